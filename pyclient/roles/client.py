"""A client of a clearing member: segregated (its own vault account) or in the member's omnibus."""

from __future__ import annotations

from ..access.registry import AccountType
from ..collateral.substitution import Substitution
from ..collateral.vault import AccountKind, account_id
from ..contracts.base import Outcome
from ..contracts.substitution import LegsIn
from ..errors import InputError
from ..tokens.asset import Asset
from ..units import Amount
from .collateral import CollateralOwner


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

    def withdraw(self, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Take collateral back from its segregated account (the member withdraws omnibus)."""
        return self._withdraw(self.account_id(AccountKind.SEGREGATED), asset, amount)
