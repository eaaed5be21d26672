"""The CCP's default desk: declaring a member in default, and withdrawing a default.

One default process, whichever way it starts (`pyclient.contracts.default_manager`): over a missed
call, or by the CCP's decision about a member. Either way the register records the default, every
account the member answers for is frozen with its calls closed, and its house margin and
clearing-fund contribution are seized into the DefaultManager's own account, apart from client
collateral, in one transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...contracts.base import Outcome
from ...default.case import DefaultCase, Origin
from ..base import Actor


class DefaultDesk(Actor):
    """Default cases: declare (over a call, or by decision), withdraw, read what was seized."""

    def declare(self, call_id: int, reason: str) -> Outcome[DefaultCase]:
        """Default the member answerable for call `call_id`: past its deadline and, re-valued now,
        still short (a call the collateral now covers is met instead, and this is refused)."""
        return self.send(self.deployment.default_manager.declare_default(call_id, reason))

    def declare_member(self, member: Any, reason: str) -> Outcome[DefaultCase]:
        """Default clearing member `member` by decision of the CCP (insolvency, a register
        decision), whether or not it has missed a call."""
        return self.send(self.deployment.default_manager.declare_member_default(member, reason))

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
