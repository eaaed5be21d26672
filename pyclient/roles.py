"""The participants' view of Kabuto: one object per role, with methods in business words.

A role object binds a signing key to a deployment. What it may do mirrors the contracts' access
rules; calling something the role may not do is refused on chain with a typed error, and input
that cannot be right (an unknown name, a float, too many decimals) is refused before sending.

    ccp = Ccp(deployment, operator_key)
    ccp.admit_member(member_key.address, "member-a")
    issuer.issue("JPY", "member-a", 1_000_000, ref="deposit 2026-11-20")
    ClearingMember(deployment, member_key).transfer("JPY", "member-b", 250_000)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount

from .access.registry import AccountType, Kind, Participant, Status
from .chain.client import Receipt
from .deploy import AGENT_ROLE, ISSUER_ROLE, PAUSER_ROLE, Deployment
from .tokens.asset import Asset
from .units import Amount, to_bytes32


class Role:
    """Any participant: reads its holdings and moves its own assets."""

    def __init__(self, deployment: Deployment, signer: LocalAccount) -> None:
        self.deployment = deployment
        self.signer = signer

    @property
    def address(self) -> str:
        return self.signer.address

    @property
    def record(self) -> Participant:
        """This participant's entry in the register (`ParticipantNotFound` until admitted)."""
        return self.deployment.participant(self.address)

    @property
    def name(self) -> str:
        return self.record.name

    def balance(self, asset: str | Asset) -> Decimal:
        """Holding of `asset`, in whole units."""
        a = self.deployment.asset(asset)
        return a.whole(self.deployment.token(a).functions.balanceOf(self.address).call())

    def free_balance(self, asset: str | Asset) -> Decimal:
        """What can move now: the balance less frozen tokens (nothing while frozen as a whole)."""
        a = self.deployment.asset(asset)
        return a.whole(self.deployment.token(a).functions.freeBalanceOf(self.address).call())

    def holdings(self) -> dict[str, Decimal]:
        """Every asset of the deployment with this participant's balance, zero ones included."""
        return {symbol: self.balance(symbol) for symbol in self.deployment.assets}

    def transfer(self, asset: str | Asset, to: Any, amount: Amount) -> Receipt:
        """Move `amount` (whole units) of `asset` to participant `to` (name, address or role)."""
        a = self.deployment.asset(asset)
        units = a.units(amount)
        recipient = self.deployment.address_of(to)
        fn = self.deployment.token(a).functions.transfer(recipient, units)
        return self.deployment.transact(fn, self.signer, label="token.transfer", asset=a)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address})"


class ClearingMember(Role):
    """A clearing member: holds house assets; its clients sit under it."""

    def clients(self) -> list[Participant]:
        return [p for p in self.deployment.participants() if p.clearing_member == self.address]


class Client(Role):
    """A client of a clearing member, segregated or in the member's omnibus account."""


class TokenIssuer(Role):
    """The token issuer/custodian: mints against off-chain deposits and burns on withdrawal."""

    def issue(self, asset: str | Asset, to: Any, amount: Amount, *, ref: str = "") -> Receipt:
        """Create `amount` of `asset` for `to` against an off-chain deposit identified by `ref`."""
        a = self.deployment.asset(asset)
        units = a.units(amount)
        fn = self.deployment.token(a).functions.mint(
            self.deployment.address_of(to), units, to_bytes32(ref, what="reference")
        )
        return self.deployment.transact(fn, self.signer, label="token.mint", asset=a)

    def redeem(self, asset: str | Asset, holder: Any, amount: Amount, *, ref: str = "") -> Receipt:
        """Destroy `amount` of `holder`'s `asset` as it is paid out off-chain under `ref`."""
        a = self.deployment.asset(asset)
        units = a.units(amount)
        fn = self.deployment.token(a).functions.burn(
            self.deployment.address_of(holder), units, to_bytes32(ref, what="reference")
        )
        return self.deployment.transact(fn, self.signer, label="token.burn", asset=a)


class Ccp(Role):
    """The clearing house's operations desk: the register, and the agent powers over tokens."""

    # ------------------------------------------------------------------ the register

    def admit(self, account: str, kind: Kind, name: str) -> Participant:
        """Admit a participant that is not a client (a member, trust bank, issuer, oracle...)."""
        fn = self._registry.admit(account, int(kind), to_bytes32(name, what="participant name"))
        self._send(fn, "registry.admit", "participant registry")
        return self.deployment.participant(account)

    def admit_member(self, account: str, name: str) -> Participant:
        return self.admit(account, Kind.CLEARING_MEMBER, name)

    def admit_client(
        self, account: str, name: str, clearing_member: Any, account_type: AccountType
    ) -> Participant:
        """Admit a client under `clearing_member`, in a segregated or omnibus account."""
        fn = self._registry.admitClient(
            account,
            to_bytes32(name, what="participant name"),
            self.deployment.address_of(clearing_member),
            int(account_type),
        )
        self._send(fn, "registry.admitClient", "participant registry")
        return self.deployment.participant(account)

    def register_system_contract(self, address: str, name: str) -> Participant:
        """Let a Kabuto contract (a vault, say) hold assets."""
        return self.admit(address, Kind.SYSTEM_CONTRACT, name)

    def suspend(self, who: Any, reason: str) -> Receipt:
        return self._status("suspend", who, reason)

    def reinstate(self, who: Any, reason: str) -> Receipt:
        return self._status("reinstate", who, reason)

    def declare_default(self, who: Any, reason: str) -> Receipt:
        return self._status("declareDefault", who, reason)

    def set_status(self, who: Any, status: Status, reason: str) -> Receipt:
        fn = self._registry.setStatus(
            self.deployment.address_of(who), int(status), to_bytes32(reason, what="reason")
        )
        return self._send(fn, "registry.setStatus", "participant registry")

    # ------------------------------------------------------------------ agent powers

    def freeze(self, asset: str | Asset, who: Any, *, reason: str) -> Receipt:
        """Freeze `who`'s whole holding of `asset`: it can neither send nor receive."""
        return self._freeze_account(asset, who, True, reason)

    def unfreeze(self, asset: str | Asset, who: Any, *, reason: str) -> Receipt:
        return self._freeze_account(asset, who, False, reason)

    def freeze_tokens(
        self, asset: str | Asset, who: Any, amount: Amount, *, reason: str
    ) -> Receipt:
        """Freeze part of `who`'s holding; the rest keeps moving."""
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.freezeTokens(
            self.deployment.address_of(who), a.units(amount), to_bytes32(reason, what="reason")
        )
        return self.deployment.transact(fn, self.signer, label="token.freezeTokens", asset=a)

    def unfreeze_tokens(
        self, asset: str | Asset, who: Any, amount: Amount, *, reason: str
    ) -> Receipt:
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.unfreezeTokens(
            self.deployment.address_of(who), a.units(amount), to_bytes32(reason, what="reason")
        )
        return self.deployment.transact(fn, self.signer, label="token.unfreezeTokens", asset=a)

    def forced_transfer(
        self, asset: str | Asset, source: Any, destination: Any, amount: Amount, *, reason: str
    ) -> Receipt:
        """Move `amount` from `source` to `destination` without `source`'s consent."""
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.forcedTransfer(
            self.deployment.address_of(source),
            self.deployment.address_of(destination),
            a.units(amount),
            to_bytes32(reason, what="reason"),
        )
        return self.deployment.transact(fn, self.signer, label="token.forcedTransfer", asset=a)

    def pause(self, asset: str | Asset) -> Receipt:
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.pause()
        return self.deployment.transact(fn, self.signer, label="token.pause", asset=a)

    def unpause(self, asset: str | Asset) -> Receipt:
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.unpause()
        return self.deployment.transact(fn, self.signer, label="token.unpause", asset=a)

    def grant_token_role(self, asset: str | Asset, role: str, account: Any) -> Receipt:
        """Give `account` one of a token's operating roles (issuer, agent, pauser)."""
        if role not in (ISSUER_ROLE, AGENT_ROLE, PAUSER_ROLE):
            from .errors import InputError

            raise InputError(f"unknown token role {role!r}")
        a = self.deployment.asset(asset)
        role_id = self.deployment.chain.w3.keccak(text=role)
        fn = self.deployment.token(a).functions.grantRole(
            role_id, self.deployment.address_of(account)
        )
        return self.deployment.transact(fn, self.signer, label="token.grantRole", asset=a)

    # ------------------------------------------------------------------ internals

    @property
    def _registry(self) -> Any:
        return self.deployment.registry.functions

    def _status(self, action: str, who: Any, reason: str) -> Receipt:
        fn = getattr(self._registry, action)(
            self.deployment.address_of(who), to_bytes32(reason, what="reason")
        )
        return self._send(fn, f"registry.{action}", "participant registry")

    def _freeze_account(self, asset: str | Asset, who: Any, frozen: bool, reason: str) -> Receipt:
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.setAccountFrozen(
            self.deployment.address_of(who), frozen, to_bytes32(reason, what="reason")
        )
        return self.deployment.transact(fn, self.signer, label="token.setAccountFrozen", asset=a)

    def _send(self, fn: Any, label: str, contract: str) -> Receipt:
        return self.deployment.transact(fn, self.signer, label=label, contract=contract)
