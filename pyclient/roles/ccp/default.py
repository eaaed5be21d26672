"""The CCP's default desk: declaring a member in default, and withdrawing a default.

One default process, whichever way it starts (`pyclient.contracts.default_manager`): over a missed
call, or by the CCP's decision about a member. Either way the register records the default, every
account the member answers for is frozen with its calls closed, and its house margin and
clearing-fund contribution are seized into the DefaultManager's own account, apart from client
collateral, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ...collateral.vault import AccountKind, account_id
from ...contracts.base import Outcome
from ...default.case import ClientPort, DefaultCase, Origin, Waterfall
from ...tokens.asset import Asset
from ...units import Amount
from ..base import Actor
from ..collateral import CollateralOwner


class DefaultDesk(Actor):
    """Default cases: declare (over a call, or by decision), withdraw, read what was seized."""

    def declare(
        self, call_id: int, reason: str, *, porting_until: dt.datetime | None = None
    ) -> Outcome[DefaultCase]:
        """Default the member answerable for call `call_id`: past its deadline and, re-valued now,
        still short (a call the collateral now covers is met instead, and this is refused). Its
        clients may be ported until `porting_until` (default: 15:00 Tokyo the next business day)."""
        dm = self.deployment.default_manager
        return self.send(dm.declare_default(call_id, reason, porting_until=porting_until))

    def declare_member(
        self, member: Any, reason: str, *, porting_until: dt.datetime | None = None
    ) -> Outcome[DefaultCase]:
        """Default clearing member `member` by decision of the CCP (insolvency, a register
        decision), whether or not it has missed a call."""
        dm = self.deployment.default_manager
        return self.send(dm.declare_member_default(member, reason, porting_until=porting_until))

    def port(self, case_id: int, client: Any) -> Outcome[ClientPort]:
        """Port `client`, accepted by a surviving member, with its collateral, before the
        deadline (the member accepts with `ClearingMember.accept_client`)."""
        return self.send(self.deployment.default_manager.port_client(case_id, client))

    def close_out(self, case_id: int, client: Any, loss_jpy: Any) -> Outcome[int]:
        """After the porting deadline, close out a client not ported: its loss (`loss_jpy`, from
        its positions at stressed prices: `clearing_fund.stress_loss`) is taken from its own
        collateral and the rest returned to it. The value is what its collateral covered."""
        dm = self.deployment.default_manager
        return self.send(dm.close_out_client(case_id, client, loss_jpy))

    def tranche_account(self) -> int:
        """The CCP's own clearing-fund account: its first tranche of the default waterfall."""
        return account_id(self.address, AccountKind.CLEARING_FUND)

    def post_tranche(self, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Post collateral into the CCP's own tranche account (opened with
        `ccp.margin.open_account(ccp, AccountKind.CLEARING_FUND)`), approving the vault if
        needed."""
        owner = CollateralOwner(self.deployment, self.signer)
        return owner._deposit(self.tranche_account(), asset, amount)

    def settle(
        self, case_id: int, close_out_loss_jpy: Any, *, ccp_tranche: Any = None
    ) -> Outcome[Waterfall]:
        """After the porting deadline, run the waterfall for the loss of closing out the
        defaulter's own positions (`close_out_loss_jpy`: `clearing_fund.stress_loss` of its house
        book at stressed prices) plus its clients' uncovered losses. `ccp_tranche` (a clearing-fund
        account, by id or label: `"ccp clearing fund"`) defaults to this CCP's own. The value says
        what each layer met."""
        tranche = (
            self.tranche_account()
            if ccp_tranche is None
            else self.deployment.account_id(ccp_tranche)  # the contract judges whose it is
        )
        dm = self.deployment.default_manager
        return self.send(dm.settle(case_id, close_out_loss_jpy, tranche))

    def withdraw(self, case_id: int, reason: str) -> Outcome[DefaultCase]:
        """Withdraw the default of open case `case_id` (declared in error, or cured before
        anything was done with the collateral): the seized collateral goes back, the accounts are
        unfrozen and the member is active again."""
        return self.send(self.deployment.default_manager.withdraw_default(case_id, reason))

    def case_of(self, member: Any) -> DefaultCase | None:
        return self.deployment.default_manager.open_case_of(member)

    def seized(self, case_id: int) -> dict[str, dict[Origin, Decimal]]:
        """What the case took, by asset and origin (house margin, clearing fund)."""
        return self.deployment.default_manager.seized(case_id)
