"""What every owner of vault accounts can do: approve, deposit, withdraw, read its accounts."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from ..collateral.substitution import Offer, Substitution
from ..collateral.vault import AccountKind, VaultAccount, account_id
from ..contracts.base import Call, Outcome
from ..contracts.substitution import LegsIn
from ..contracts.token import MAX_ALLOWANCE
from ..tokens.asset import Asset
from ..units import Amount
from .base import Role

T = TypeVar("T")


class CollateralOwner(Role):
    """A participant with accounts in the collateral vault (a clearing member or a client)."""

    def account_id(self, kind: AccountKind) -> int:
        return account_id(self.address, AccountKind.coerce(kind, what="account kind"))

    def vault_account(self, kind: AccountKind) -> VaultAccount:
        return self.deployment.vault.account(self.account_id(kind))

    def collateral(self, kind: AccountKind) -> dict[str, Decimal]:
        """Holdings of the `kind` account, per asset symbol, in whole units."""
        return self.deployment.vault.holdings(self.account_id(kind))

    def collateral_value(self, kind: AccountKind) -> int:
        """Value of the `kind` account in JPY after haircuts and concentration limits."""
        return self.deployment.vault.collateral_value(self.account_id(kind))

    def approve_vault(self, asset: str | Asset, amount: Amount | None = None) -> Outcome[None]:
        """Let the vault pull `amount` of `asset` (unlimited if omitted, for standing orders)."""
        return self.send(
            self.deployment.token(asset).approve(self.deployment.vault.address, amount)
        )

    def set_standing_instruction(
        self, instruction: list[tuple[str, Amount]], *, kind: AccountKind = AccountKind.HOUSE
    ) -> Outcome[None]:
        """Pull order for margin calls: `[("JPY", 50_000_000), ("JGB374", 100)]` (asset, cap).

        Approves the vault without limit on each asset that is not approved so already, so the
        pull can happen in the call's own transaction; an instruction the vault would refuse is
        refused first, before any approval is sent.
        """
        call = self.deployment.vault.set_standing_instruction(self.account_id(kind), instruction)
        return self._with_approvals(call, instruction)

    def _with_approvals(
        self, call: Call[None], instruction: list[tuple[str, Amount]]
    ) -> Outcome[None]:
        """Send an instruction after approving the vault on each asset it pulls, checked first so a
        refusal sends nothing; an approval already unlimited is not sent again."""
        call.estimate(self)
        vault = self.deployment.vault.address
        for symbol, _ in instruction:
            if self.deployment.token(symbol).allowance(self, vault) != MAX_ALLOWANCE:
                self.approve_vault(symbol)
        return self.send(call)

    def _deposit(
        self, account: int, asset: str | Asset, amount: Amount, client: Any = None
    ) -> Outcome[None]:
        call = self.deployment.vault.deposit(account, asset, amount, client=client)
        return self._approving(call, [(asset, amount)])

    def _approving(self, call: Call[T], legs: Iterable[tuple[Any, Amount]]) -> Outcome[T]:
        """Send `call`, which pulls `legs` from this participant into the vault (see `_drawing`)."""
        return self._drawing(call, self.deployment.vault.address, legs)

    def _substitute(
        self, account: int, out: LegsIn, into: LegsIn, client: Any = None
    ) -> Outcome[Substitution]:
        call = self.deployment.substitution.substitute(account, out=out, into=into, client=client)
        pairs = into.items() if isinstance(into, dict) else into
        return self._approving(call, list(pairs))

    def accept_offer(self, offer: Offer) -> Outcome[Substitution]:
        """Take a counterparty's signed offer on one of this participant's accounts: its legs
        come in and the legs it asked for go out to it, in one transaction, the valuation rule
        checked on the final state. Refused, nothing moved, when expired, used or cancelled, not
        signed by the counterparty, or the counterparty is not active or short of collateral."""
        return self.send(self.deployment.substitution.accept_offer(offer))

    def _withdraw(
        self, account: int, asset: str | Asset, amount: Amount, client: Any = None
    ) -> Outcome[None]:
        return self.send(self.deployment.vault.withdraw(account, asset, amount, client=client))
