"""Warehouse receipts as margin: what a holder of receipts and vault accounts can do with them.

A receipt does not enter the vault itself: it is pledged into the goods pool of its commodity
(`pyclient.contracts.goods_pool`), which mints one unit per unit of goods, and the units go into
the vault like any other asset, valued at quantity x price per unit x FX x (1 - haircut), under
the same eligibility and concentration limits, substituted and seized like the rest. A receipt in
the pool cannot be presented to the warehouse: the goods are released only after the units come
out of the vault and the receipt is redeemed.

`ReceiptHolder` adds the verbs to a `CollateralOwner`: a clearing member mixes it in
(`class ClearingMember(ReceiptHolder)`). Each verb is two transactions, pledge then deposit or
withdraw then redeem; the vault's side is judged before anything is sent, and if the second step
still fails (the market moved, another holder redeemed that receipt first) nothing is lost: the
holder keeps the units in its wallet, redeemable for any receipt in the pool or deposited again.
"""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal
from typing import Any

from .. import errors
from ..collateral.vault import AccountKind
from ..contracts.base import Outcome
from ..contracts.goods_pool import GoodsPoolClient
from ..errors import InputError
from ..tokens.asset import Asset
from .collateral import CollateralOwner

_OWN_KINDS = (AccountKind.HOUSE, AccountKind.SEGREGATED, AccountKind.CLEARING_FUND)


class ReceiptHolder(CollateralOwner):
    """A vault-account owner that posts warehouse receipts as collateral through their pools."""

    # ------------------------------------------------------------------ reads

    def goods_pools(self) -> dict[str, GoodsPoolClient]:
        """The deployment's goods pools by asset symbol (the assets with a `pool_commodity`)."""
        d = self.deployment
        return {s: d.pool(a) for s, a in d.assets.items() if a.spec.pool_commodity is not None}

    def pool_for(self, token_id: int) -> GoodsPoolClient:
        """The pool that takes receipt `token_id`: the one of its commodity."""
        pools = self.goods_pools()
        if not pools:
            raise InputError("this deployment has no goods pool: receipts cannot be posted")
        commodity = self.deployment.warehouse_receipts.goods(token_id).commodity
        for pool in pools.values():
            if pool.asset.spec.pool_commodity == commodity:
                return pool
        raise InputError(f"receipt {token_id} is of {commodity}: no pool takes it")

    def pledged_receipts(self) -> dict[int, Decimal]:
        """The receipts this participant pledged that are still in a pool, with their quantity
        (whole units of the pool asset). Units are fungible: whoever returns a receipt's quantity
        may take it out, so a receipt pledged here may come back to someone else."""
        out: dict[int, Decimal] = {}
        for pool in self.goods_pools().values():
            held = set(pool.held_receipts())
            last: dict[int, Any] = {}
            for event in pool.history("ReceiptPledged"):
                last[int(event["tokenId"])] = event
            for token_id, event in sorted(last.items()):
                if token_id in held and event["holder"] == self.address:
                    out[token_id] = pool.asset.whole(int(event["quantity"]))
        return out

    # ------------------------------------------------------------------ pool only

    def pledge_receipt(self, token_id: int) -> Outcome[Decimal]:
        """Pledge receipt `token_id` into its pool for its quantity of units, kept in the wallet;
        the value is the quantity. The pool is approved for the receipt only when the pledge would
        pass but for that approval, so a refused pledge sends nothing."""
        pool = self.pool_for(token_id)
        holder = pool.receipts.holder(token_id)
        if holder != self.address:
            raise errors.ERC721IncorrectOwner(
                {"sender": self.address, "tokenId": token_id, "owner": holder},
                **self._context(pool.receipts.label),
            )
        call = pool.pledge(token_id)
        try:
            return self.send(call)
        except errors.ERC721InsufficientApproval:
            # The receipts' rules come before the approval check: this is all that was missing.
            self.send(pool.approve_receipt(token_id))
            return self.send(call)

    def redeem_receipt(self, token_id: int) -> Outcome[Decimal]:
        """Return receipt `token_id`'s quantity of units from the wallet and take the receipt; the
        value is the quantity."""
        return self.send(self.pool_for(token_id).redeem(token_id))

    # ------------------------------------------------------------------ margin

    def deposit_receipt(
        self, token_id: int, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Outcome[Decimal]:
        """Post warehouse receipt `token_id` as collateral in this participant's `kind` account:
        pledge it into its pool, then deposit its quantity of units. The value is that quantity.

        The deposit is judged first (the account open, this participant's, not frozen; the pool
        asset eligible for the account and priced), so a deposit the vault would refuse sends
        nothing. Should the deposit still fail after the pledge, the units stay in the wallet:
        deposit them, or redeem the receipt."""
        account = self._receipt_account(kind)
        pool = self.pool_for(token_id)
        quantity = pool.receipt_quantity(token_id)
        deposit = self.deployment.vault.deposit(account, pool.asset, quantity)
        # The vault's own checks come before it pulls the units, which do not exist yet.
        with suppress(errors.ERC20InsufficientAllowance, errors.ERC20InsufficientBalance):
            deposit.estimate(self)
        self.pledge_receipt(token_id)
        return self._approving(deposit.then(lambda _: quantity), [(pool.asset, quantity)])

    def withdraw_receipt(
        self, token_id: int, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Outcome[Decimal]:
        """Take receipt `token_id` back out of this participant's `kind` account: withdraw its
        quantity of units (refused, as any withdrawal, beyond the account's excess), then redeem
        the receipt with them. Any receipt in the pool will do: units are a claim on goods of the
        commodity, not on the receipt pledged. The value is the quantity.

        What would stop the redemption is checked first (the receipt in the pool, transfers of
        receipts not paused, this participant not frozen on either token); should it still fail
        (another holder redeemed that receipt in between), the units stay in the wallet."""
        account = self._receipt_account(kind)
        pool = self.pool_for(token_id)
        if not pool.holds(token_id):
            raise errors.GoodsPoolReceiptNotHeld(
                {"tokenId": token_id}, **self._context(pool.label, pool.asset)
            )
        receipts = pool.receipts
        if receipts.paused():
            raise errors.EnforcedPause({}, **self._context(receipts.label))
        if receipts.is_frozen(self.address):
            raise errors.GoodsAccountFrozen(
                {"account": self.address}, **self._context(receipts.label)
            )
        if pool.is_frozen(self.address):
            raise errors.TokenAccountFrozen(
                {"account": self.address}, **self._context(pool.label, pool.asset)
            )
        quantity = pool.receipt_quantity(token_id)
        self.send(self.deployment.vault.withdraw(account, pool.asset, quantity))
        return self.send(pool.redeem(token_id))

    # ------------------------------------------------------------------ helpers

    def _receipt_account(self, kind: AccountKind) -> int:
        if kind not in _OWN_KINDS:
            raise InputError(
                f"receipts go into an account of the participant's own (house, segregated or "
                f"clearing fund), not a {kind.name.lower().replace('_', ' ')} one"
            )
        return self.account_id(kind)

    def _context(self, contract: str, asset: Asset | None = None) -> dict[str, Any]:
        return {
            "contract": contract,
            "formatter": self.deployment,
            "context_asset": asset.address if asset else None,
        }
