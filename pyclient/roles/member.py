"""A clearing member: house, omnibus and clearing-fund accounts; its clients sit under it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..access.registry import Participant
from ..collateral.substitution import Substitution
from ..collateral.vault import AccountKind, ClientShare
from ..contracts.base import Outcome
from ..contracts.substitution import LegsIn
from ..default.case import ClientPort
from ..errors import InputError
from ..tokens.asset import Asset
from ..units import Amount
from .collateral import CollateralOwner


class ClearingMember(CollateralOwner):
    """A clearing member: posts margin and clearing fund, passes calls on to its clients."""

    def clients(self) -> list[Participant]:
        return [p for p in self.deployment.participants() if p.clearing_member == self.address]

    def deposit(
        self, asset: str | Asset, amount: Amount, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Outcome[None]:
        """Post `amount` of `asset` into the member's `kind` account (house by default)."""
        if kind is AccountKind.OMNIBUS:
            raise InputError("omnibus deposits name their client: use deposit_for(client, ...)")
        return self._deposit(self.account_id(kind), asset, amount)

    def withdraw(
        self, asset: str | Asset, amount: Amount, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Outcome[None]:
        """Take collateral back; refused when the account would fall below its requirement, and
        while the member is not active or any of its calls is open past its deadline."""
        if kind is AccountKind.OMNIBUS:
            raise InputError("omnibus withdrawals name their client: use withdraw_for(client, ...)")
        return self._withdraw(self.account_id(kind), asset, amount)

    def substitute(
        self,
        kind: AccountKind = AccountKind.HOUSE,
        *,
        out: LegsIn,
        into: LegsIn,
        client: Any = None,
    ) -> Outcome[Substitution]:
        """Swap collateral in the member's `kind` account in one step: `out` comes back to the
        member, `into` goes in from its wallet, e.g. `out={"JGB374": 100}, into={"JPY": 5_000_000,
        "TYO7203": 1_000}`. No leg is checked alone, so nothing needs pre-funding: the account must
        end at or above its requirement, or, already short, no lower than it was; an open call the
        result covers is met. For the omnibus account name the `client`: its sub-ledger moves, and
        what comes out goes to the client. The value is what the `Substituted` event records."""
        if (kind is AccountKind.OMNIBUS) != (client is not None):
            raise InputError("an omnibus substitution names its client; no other account has one")
        return self._substitute(self.account_id(kind), out, into, client)

    def deposit_for(self, client: Any, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Post collateral into the omnibus account on behalf of `client` (its sub-ledger grows)."""
        return self._deposit(self.account_id(AccountKind.OMNIBUS), asset, amount, client)

    def withdraw_for(self, client: Any, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Return `client`'s collateral from the omnibus account to the client's wallet (its
        sub-ledger shrinks); refused while the client or the member is not active, or while any
        call of the member is open past its deadline."""
        return self._withdraw(self.account_id(AccountKind.OMNIBUS), asset, amount, client)

    def pass_on_margin_call(
        self, call_id: int, shares: dict[Any, Amount], *, deadline: dt.datetime | None = None
    ) -> Outcome[list[ClientShare]]:
        """Pass an omnibus call on to the clients: each client's share (JPY), due by `deadline`
        (default: the call's). The shares must add up to what the call still asks (payments since
        it was issued count); each client's deposits into the omnibus account count toward its
        share, and clients with a standing instruction are pulled from at once. The value is the
        shares as the transaction left them."""
        call = self.deployment.vault.pass_on_margin_call(call_id, shares, deadline=deadline)
        return self.send(call)

    def client_shares(self, call_id: int) -> list[ClientShare]:
        """Which clients have paid their share of an omnibus call passed on, how much, and each
        share's status (owed, paid, overdue, closed)."""
        return self.deployment.vault.client_shares(call_id)

    def accept_client(self, case_id: int, client: Any) -> Outcome[ClientPort]:
        """Take on `client` of a defaulted member in default case `case_id`, before its porting
        deadline; the CCP then ports it here (an omnibus client needs this member's omnibus
        account open)."""
        return self.send(self.deployment.default_manager.accept_client(case_id, client))

    def mark_shares_overdue(self, call_id: int) -> Outcome[list[ClientShare]]:
        """Record that clients missed their share's deadline: each unpaid share past it becomes
        overdue, with an event. The value is the shares as the transaction left them."""
        return self.send(self.deployment.vault.mark_shares_overdue(call_id))

    def sub_ledger(self) -> dict[str, dict[str, Decimal]]:
        """The omnibus beneficial-owner sub-ledger: client name -> asset -> quantity."""
        ledger = self.deployment.vault.sub_ledger(self.account_id(AccountKind.OMNIBUS))
        return {self.deployment.name(client): rows for client, rows in ledger.items()}
