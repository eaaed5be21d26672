"""A client of a clearing member: segregated (its own vault account) or in the member's omnibus."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..access.registry import AccountType
from ..collateral.substitution import Substitution
from ..collateral.vault import (
    AccountKind,
    ClientShare,
    MarginCall,
    ShareStatus,
    account_id,
)
from ..contracts.base import Outcome
from ..contracts.substitution import LegsIn
from ..errors import InputError
from ..tokens.asset import Asset
from ..units import Amount
from .collateral import CollateralOwner


@dataclass(frozen=True)
class ClientCall:
    """A margin call as a client owes it: a call on its own segregated account (`share` None:
    the whole call is its own), or its share of its member's omnibus call, passed on to it."""

    call: MarginCall
    share: ClientShare | None = None

    @property
    def amount_jpy(self) -> int:
        """What it is asked for: its share, or the whole call."""
        return self.share.amount_jpy if self.share else self.call.shortfall_jpy

    @property
    def deadline(self) -> dt.datetime:
        return self.share.deadline if self.share else self.call.deadline

    @property
    def open(self) -> bool:
        """Still owed: its share unpaid (owed or overdue), or its own call open."""
        if self.share is None:
            return self.call.status.open
        return self.share.status in (ShareStatus.OWED, ShareStatus.OVERDUE) and not self.share.met


class Client(CollateralOwner):
    """A client pays its own collateral: into its segregated account or its omnibus share."""

    def own_account(self) -> tuple[int, str | None]:
        """Where its collateral sits: its segregated account, or its member's omnibus account and
        its own name there (the sub-ledger it owns)."""
        record = self.record
        if record.account_type is AccountType.SEGREGATED:
            return self.account_id(AccountKind.SEGREGATED), None
        return account_id(record.clearing_member or "0x0", AccountKind.OMNIBUS), self.address

    def deposit(self, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Pay collateral into its own segregated account, or as its share of the omnibus one."""
        account, name = self.own_account()
        return self._deposit(account, asset, amount, name)

    def set_standing_instruction(
        self, instruction: list[tuple[str, Amount]], *, kind: AccountKind | None = None
    ) -> Outcome[None]:
        """Pull order for calls: on its segregated account's calls, or, for an omnibus client, on
        its shares of the member's omnibus calls, pulled into the omnibus account in its name.
        Approves the vault on each asset not approved yet (see `CollateralOwner`). A client has
        one account, so `kind`, if given, must be its own (SEGREGATED or OMNIBUS)."""
        record = self.record
        own = AccountKind.SEGREGATED
        if record.account_type is not AccountType.SEGREGATED:
            own = AccountKind.OMNIBUS
        if kind is not None and kind is not own:
            raise InputError(
                f"{self.deployment.name(self.address)} is a {own.name.lower()} client: its "
                f"standing instruction applies to its {own.name.lower()} account, not a "
                f"{kind.name.lower().replace('_', ' ')} one"
            )
        if own is AccountKind.SEGREGATED:
            return super().set_standing_instruction(instruction, kind=own)
        omnibus, _ = self.own_account()
        vault = self.deployment.vault
        return self._with_approvals(
            vault.set_client_standing_instruction(omnibus, self, instruction), instruction
        )

    def substitute(self, *, out: LegsIn, into: LegsIn) -> Outcome[Substitution]:
        """Swap its own collateral in one step: in its segregated account, or its share of the
        member's omnibus account (its sub-ledger moves). `into` comes from its wallet, `out` goes
        back to it; the account must end at or above its requirement, or, already short, no
        lower than it was."""
        account, name = self.own_account()
        return self._substitute(account, out, into, name)

    def margin_calls(self, *, open_only: bool = True) -> list[ClientCall]:
        """What this client is called for, oldest first: the calls on its segregated account,
        or, as an omnibus client, its shares of its member's omnibus calls passed on to it (a call
        not passed on asks the member, not the client). Only what is still owed unless
        `open_only` is False. Read from the chain in a few batches."""
        d = self.deployment
        account, name = self.own_account()
        mine = [c for c in d.vault.margin_calls() if c.account == account]
        if name is None:
            owed = [ClientCall(c) for c in mine]
        else:
            passed = [c for c in mine if c.passed_on]
            fns = d.vault.contract.functions
            raw = d.chain.read_many([fns.clientShares(c.id) for c in passed])
            owed = [
                ClientCall(c, share)
                for c, shares in zip(passed, raw, strict=True)
                for share in (ClientShare.from_chain(r) for r in shares)
                if share.client == self.address
            ]
        return [c for c in owed if c.open] if open_only else owed

    def withdraw(self, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Take collateral back from its segregated account (the member withdraws omnibus)."""
        return self._withdraw(self.account_id(AccountKind.SEGREGATED), asset, amount)
