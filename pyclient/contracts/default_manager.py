"""The DefaultManager's client: default cases, and the CCP's declarations and withdrawals.

One default process, whichever way it starts: over a missed call (`declare_default`) or by the
CCP's decision about a member (`declare_member_default`). Each opens a case that, in the same
transaction, records the default in the register, closes the member's calls, freezes every account
it answers for and seizes its house margin and clearing-fund contribution (see
`contracts/default/IDefaultManager.sol`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..default.case import DefaultCase, Origin
from ..units import to_bytes32
from .base import Call, ContractClient, Outcome


class DefaultManagerClient(ContractClient):
    artifact = "DefaultManager"
    prefix = "default"

    # ------------------------------------------------------------------ reads

    def case(self, case_id: int) -> DefaultCase:
        raw = self._read(self.contract.functions.defaultCase(case_id))
        return DefaultCase.from_chain(case_id, raw)

    def case_count(self) -> int:
        return int(self._read(self.contract.functions.caseCount()))

    def cases(self) -> list[DefaultCase]:
        """Every case, oldest first (one batch of reads)."""
        fns = self.contract.functions
        ids = range(1, self.case_count() + 1)
        raw = self._read_many([fns.defaultCase(i) for i in ids])
        return [DefaultCase.from_chain(i, r) for i, r in zip(ids, raw, strict=True)]

    def open_case_of(self, member: Any) -> DefaultCase | None:
        """The member's open case, if it is in default."""
        fn = self.contract.functions.openCaseOf(self.suite.address_of(member))
        case_id = int(self._read(fn))
        return self.case(case_id) if case_id else None

    def seized(self, case_id: int) -> dict[str, dict[Origin, Decimal]]:
        """What case `case_id` took, by asset symbol and origin, in whole units (zeros left out)."""
        fns = self.contract.functions
        assets = [self.suite.asset(a) for a in self._read(fns.seizedAssets(case_id))]
        pairs = [(a, o) for a in assets for o in Origin]
        units = self._read_many([fns.seized(case_id, int(o), a.address) for a, o in pairs])
        out: dict[str, dict[Origin, Decimal]] = {a.symbol: {} for a in assets}
        for (a, origin), u in zip(pairs, units, strict=True):
            if u:
                out[a.symbol][origin] = a.whole(u)
        return out

    def management_account(self) -> int:
        """Its default-management account in the vault, where seized collateral sits."""
        return int(self._read(self.contract.functions.managementAccount()))

    # ------------------------------------------------------------------ calls (CCP operator)

    def declare_default(self, call_id: int, reason: str) -> Call[DefaultCase]:
        """Default the member answerable for call `call_id`, past its deadline and still short."""
        fn = self.contract.functions.declareDefault(call_id, to_bytes32(reason, what="reason"))
        return self._call(fn, "declareDefault", result=self._declared)

    def declare_member_default(self, member: Any, reason: str) -> Call[DefaultCase]:
        """Default clearing member `member` by decision of the CCP, missed call or not."""
        fn = self.contract.functions.declareMemberDefault(
            self.suite.address_of(member), to_bytes32(reason, what="reason")
        )
        return self._call(fn, "declareMemberDefault", result=self._declared)

    def withdraw_default(self, case_id: int, reason: str) -> Call[DefaultCase]:
        """Withdraw open case `case_id`: collateral back, accounts unfrozen, member active."""
        fn = self.contract.functions.withdrawDefault(case_id, to_bytes32(reason, what="reason"))
        return self._call(fn, "withdrawDefault", result=lambda _: self.case(case_id))

    def _declared(self, outcome: Outcome[None]) -> DefaultCase:
        (declared,) = outcome.named("DefaultDeclared")
        return self.case(declared["caseId"])
