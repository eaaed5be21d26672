"""What every participant can do, whatever its role: read its holdings and move its own assets.

A role object binds a signing key to a deployment. What it may do mirrors the contracts' access
rules (docs/access.md); calling something the role may not do is refused on chain with a typed
error, and input that cannot be right (an unknown name, a float, too many decimals) is refused
before anything is sent. Every write returns an `Outcome` (receipt, decoded events, value).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from eth_account.signers.local import LocalAccount

from .. import errors
from ..access.registry import Participant
from ..collateral.substitution import Offer
from ..contracts.base import BatchOutcome, BatchProgress, Call, Outcome, send_all
from ..contracts.substitution import LegsIn
from ..contracts.token import MAX_ALLOWANCE
from ..deployment import Deployment
from ..goods.model import DocumentKind, GoodsToken
from ..jdr.model import Buyback, Creation
from ..tokens.asset import Asset
from ..units import Amount

T = TypeVar("T")


class Actor:
    """A signing key bound to a deployment: what roles and the CCP's desks send through."""

    def __init__(self, deployment: Deployment, signer: LocalAccount) -> None:
        self.deployment = deployment
        self.signer = signer

    @property
    def address(self) -> str:
        return str(self.signer.address)

    def send(self, call: Call[T]) -> Outcome[T]:
        """Sign and send a call built on a contract client, as this participant."""
        return call.send(self.signer)

    def send_all(
        self, calls: Sequence[Call[T]], *, progress: BatchProgress | None = None
    ) -> BatchOutcome[list[T]]:
        """Send many calls back to back (pipelined) as this participant; see `send_all`."""
        return send_all(calls, self.signer, progress=progress)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address})"


class Role(Actor):
    """Any participant: reads its holdings and moves its own assets."""

    @property
    def record(self) -> Participant:
        """This participant's entry in the register (`ParticipantNotFound` until admitted)."""
        return self.deployment.participant(self.address)

    @property
    def name(self) -> str:
        return self.record.name

    def balance(self, asset: str | Asset) -> Decimal:
        """Holding of `asset`, in whole units."""
        return self.deployment.token(asset).balance_of(self.address)

    def free_balance(self, asset: str | Asset) -> Decimal:
        """What can move now: the balance less frozen tokens (nothing while frozen as a whole)."""
        return self.deployment.token(asset).free_balance_of(self.address)

    def holdings(self) -> dict[str, Decimal]:
        """Every asset of the deployment with this participant's balance, zero ones included."""
        return {symbol: self.balance(symbol) for symbol in self.deployment.assets}

    def transfer(self, asset: str | Asset, to: Any, amount: Amount) -> Outcome[None]:
        """Move `amount` (whole units) of `asset` to participant `to` (name, address or role)."""
        return self.send(self.deployment.token(asset).transfer(to, amount))

    # ------------------------------------------------------------------ goods tokens

    def goods_held(self, kind: DocumentKind) -> list[GoodsToken]:
        """The delivery orders or warehouse receipts this participant holds now."""
        return self.deployment.goods_documents(kind).held_by(self.address)

    def transfer_goods(self, kind: DocumentKind, to: Any, token_id: int) -> Outcome[None]:
        """Hand goods token `token_id` to participant `to`."""
        return self.send(self.deployment.goods_documents(kind).transfer(self, to, token_id))

    def present_goods(self, kind: DocumentKind, token_id: int) -> Outcome[None]:
        """Present a token to its warehouse to take the goods out; it cannot move meanwhile."""
        return self.send(self.deployment.goods_documents(kind).present(token_id))

    def withdraw_presentation(self, kind: DocumentKind, token_id: int) -> Outcome[None]:
        return self.send(self.deployment.goods_documents(kind).withdraw_presentation(token_id))

    def _approve_goods(self, kind: DocumentKind, operator: Any) -> None:
        """Let `operator` (a Kabuto contract) move this participant's goods tokens of `kind`."""
        documents = self.deployment.goods_documents(kind)
        if not documents.is_approved(self.address, operator):
            self.send(documents.set_approval_for_all(operator))

    def _drawing(
        self, call: Call[T], spender: str, legs: Iterable[tuple[Any, Amount]]
    ) -> Outcome[T]:
        """Send `call`, which has `spender` draw `legs` from this participant. The chain judges it
        first; only when a missing allowance is all that stands in the way is `spender` approved
        (each leg short of one, for its amount), so a refused call sends nothing at all: a paused
        asset, a frozen holder, a balance or free balance short are refused as the token would."""
        legs = list(legs)
        try:
            return self.send(call)
        except errors.ERC20InsufficientAllowance:
            short = []
            if all(
                self.deployment.token(asset).allowance(self, spender)
                >= self.deployment.asset(asset).units(amount)
                for asset, amount in legs
            ):
                raise  # someone else's allowance is short, not ours: approving would not help
            me = self.deployment.participant(self.address)
            if not me.active:  # approving would go through, the payment would not
                raise errors.ParticipantNotActive(
                    {"account": self.address, "status": me.status},
                    contract=self.deployment.registry.label,
                    formatter=self.deployment,
                ) from None
            for asset, amount in legs:
                token = self.deployment.token(asset)
                a = token.asset
                units = a.units(amount)
                balance = a.units(token.balance_of(self.address), allow_zero=True)
                free = a.units(token.free_balance_of(self.address), allow_zero=True)
                context = {
                    "contract": token.label,
                    "formatter": self.deployment,
                    "context_asset": a.address,
                }
                if token.paused():
                    raise errors.EnforcedPause({}, **context) from None
                if token.is_frozen(self.address):
                    raise errors.TokenAccountFrozen({"account": self.address}, **context) from None
                if balance < units:
                    raise errors.ERC20InsufficientBalance(
                        {"sender": self.address, "balance": balance, "needed": units}, **context
                    ) from None
                if free < units:  # frozen tokens stand behind the allowance: approve nothing
                    raise errors.TokenInsufficientFreeBalance(
                        {"account": self.address, "freeBalance": free, "needed": units}, **context
                    ) from None
                if token.allowance(self, spender) < units:
                    short.append(token.approve(spender, amount))
            for approval in short:
                self.send(approval)
            return self.send(call)

    def _approve_up_to(self, asset: Asset, spender: str, units: int) -> None:
        """Raise `spender`'s allowance on `asset` to `units` (smallest units) if it is lower."""
        token = self.deployment.token(asset)
        if units and token.allowance(self, spender) < units:
            self.send(token.approve(spender, asset.whole(units)))

    # ------------------------------------------------------------------ JDR holders

    def request_creation(
        self, jdr: str | Asset, underlying_units: Amount, *, recipient: Any = None
    ) -> Outcome[Creation]:
        """Deliver ETF units for JDRs to `recipient` (by default this participant), pending the
        trust bank's approval: the settlor's right, or an authorised participant's."""
        trust = self.deployment.jdr(jdr)
        call = trust.request_creation(underlying_units, recipient or self.address)
        return self._drawing(call, trust.address, [(trust.underlying, underlying_units)])

    def cancel_in_kind(self, jdr: str | Asset, jdr_units: Amount) -> Outcome[Decimal]:
        """Cancel JDRs for the ETF units behind them (never cash); the value is the ETF units."""
        return self.send(self.deployment.jdr(jdr).cancel_in_kind(jdr_units))

    def claim_distribution(self, jdr: str | Asset, distribution_id: int) -> Outcome[int]:
        """Claim this participant's share of a distribution; the value is the yen paid."""
        return self.send(self.deployment.jdr(jdr).claim_distribution(distribution_id))

    def request_buyback(
        self, jdr: str | Asset, units: Amount, price_jpy: Amount
    ) -> Outcome[Buyback]:
        """Ask the settlor to buy `units` JDRs for `price_jpy` in all; the trust is approved to
        deliver them if the settlor accepts (they stay here, and on record, until then)."""
        trust = self.deployment.jdr(jdr)
        call = trust.request_buyback(units, price_jpy)  # checked before approving
        outcome = self.send(call)
        token = self.deployment.token(trust.jdr)  # on top of what other requests may draw
        total = token.allowance(self, trust.address) + trust.jdr.units(units)
        self._approve_up_to(trust.jdr, trust.address, min(total, MAX_ALLOWANCE))
        return outcome

    def withdraw_buyback(self, jdr: str | Asset, buyback_id: int) -> Outcome[Buyback]:
        return self.send(self.deployment.jdr(jdr).withdraw_buyback(buyback_id))

    def claim_termination(self, jdr: str | Asset) -> Outcome[int]:
        """After a terminated trust's liquidation, surrender this participant's JDRs for its
        share of the proceeds; the value is the yen paid."""
        return self.send(self.deployment.jdr(jdr).claim_termination())

    # ------------------------------------------------------------------ substitution offers

    def sign_offer(
        self,
        account: Any,
        *,
        deliver: LegsIn,
        take: LegsIn,
        client: Any = None,
        valid_for: dt.timedelta = dt.timedelta(hours=1),
        approve: bool = True,
    ) -> Offer:
        """Offer the owner of vault `account` (its id, label or owner, as `Deployment.account_id`
        reads it) a swap, signed off chain (EIP-712): this participant
        delivers `deliver` into the account and takes `take` out of it, if accepted within
        `valid_for`. With `approve` (the default) the vault's allowance on each asset to deliver is
        raised by the leg (the swap pulls it when accepted; other offers keep theirs). The signed
        `Offer` travels to the owner as `offer.to_json()`."""
        sub = self.deployment.substitution
        offer = sub.offer(
            self.deployment.account_id(account),
            self.address,
            deliver=deliver,
            take=take,
            client=client,
            valid_for=valid_for,
        )
        if approve:  # on top of what the vault may already pull (other offers, deposits)
            vault = self.deployment.vault.address
            for leg in offer.deliver:
                token = self.deployment.token(leg.asset)
                allowance = token.allowance(self, vault)
                if allowance < MAX_ALLOWANCE:
                    total = allowance + leg.units
                    amount = None if total >= MAX_ALLOWANCE else token.asset.whole(total)
                    self.send(token.approve(vault, amount))
        return offer.sign(self.signer, sub.domain())

    def cancel_offer(self, offer: Offer) -> Outcome[None]:
        """Withdraw an offer this participant signed: from now on it cannot be accepted."""
        return self.send(self.deployment.substitution.cancel_offer(offer))
