"""The DefaultManager's client: default cases, and the CCP's declarations and withdrawals.

One default process, whichever way it starts: over a missed call (`declare_default`) or by the
CCP's decision about a member (`declare_member_default`). Each opens a case that, in the same
transaction, records the default in the register, closes the member's calls, freezes every account
it answers for and seizes its house margin and clearing-fund contribution (see
`contracts/default/IDefaultManager.sol`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..clock import from_unix, to_unix
from ..default.case import ClientPort, DefaultCase, Layer, LayerUse, Origin, Waterfall
from ..margin.calendar import porting_deadline
from ..units import to_bytes32, to_units
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

    def client_port(self, case_id: int, client: Any) -> ClientPort:
        """Where `client` stands in case `case_id`: accepted (by whom), ported, closed out."""
        address = self.suite.address_of(client)
        raw = self._read(self.contract.functions.clientPort(case_id, address))
        return ClientPort.from_chain(address, raw)

    def management_account(self) -> int:
        """Its default-management account in the vault, where seized collateral sits."""
        return int(self._read(self.contract.functions.managementAccount()))

    # ------------------------------------------------------------------ calls (CCP operator)

    def declare_default(
        self, call_id: int, reason: str, *, porting_until: dt.datetime | None = None
    ) -> Call[DefaultCase]:
        """Default the member answerable for call `call_id`, past its deadline and still short;
        its clients may be ported until `porting_until` (default: `calendar.porting_deadline`)."""
        fn = self.contract.functions.declareDefault(
            call_id, to_bytes32(reason, what="reason"), self._porting(porting_until)
        )
        return self._call(fn, "declareDefault", result=self._declared)

    def declare_member_default(
        self, member: Any, reason: str, *, porting_until: dt.datetime | None = None
    ) -> Call[DefaultCase]:
        """Default clearing member `member` by decision of the CCP, missed call or not."""
        fn = self.contract.functions.declareMemberDefault(
            self.suite.address_of(member), to_bytes32(reason, what="reason"),
            self._porting(porting_until),
        )  # fmt: skip
        return self._call(fn, "declareMemberDefault", result=self._declared)

    def accept_client(self, case_id: int, client: Any) -> Call[ClientPort]:
        """A surviving member accepts `client` of the defaulter (sent by that member)."""
        address = self.suite.address_of(client)
        fn = self.contract.functions.acceptClient(case_id, address)
        return self._call(fn, "acceptClient", result=lambda _: self.client_port(case_id, address))

    def port_client(self, case_id: int, client: Any) -> Call[ClientPort]:
        """Port an accepted client, with its collateral, to the member that accepted it."""
        address = self.suite.address_of(client)
        fn = self.contract.functions.portClient(case_id, address)
        return self._call(fn, "portClient", result=lambda _: self.client_port(case_id, address))

    def close_out_client(self, case_id: int, client: Any, loss_jpy: Any) -> Call[int]:
        """After the porting deadline, close out `client` (not ported) for a loss of `loss_jpy`
        (whole JPY): taken from its own collateral, the rest returned to it. The value is what
        its collateral covered."""
        address = self.suite.address_of(client)
        fn = self.contract.functions.closeOutClient(
            case_id, address, to_units(loss_jpy, 0, what="JPY loss", allow_zero=True)
        )
        return self._call(
            fn, "closeOutClient",
            result=lambda o: int(o.named("ClientClosedOut")[0]["coveredJpy"]),
        )  # fmt: skip

    def withdraw_default(self, case_id: int, reason: str) -> Call[DefaultCase]:
        """Withdraw open case `case_id`: collateral back, accounts unfrozen, member active."""
        fn = self.contract.functions.withdrawDefault(case_id, to_bytes32(reason, what="reason"))
        return self._call(fn, "withdrawDefault", result=lambda _: self.case(case_id))

    def settle(self, case_id: int, close_out_loss_jpy: Any, ccp_tranche: int) -> Call[Waterfall]:
        """After the porting deadline, meet the loss of closing out the defaulter's positions
        (`close_out_loss_jpy`, whole JPY) and its clients' uncovered losses through the waterfall:
        its house margin, its clearing-fund contribution, the CCP's tranche (vault account
        `ccp_tranche`), the survivors' contributions pro rata. The value is the waterfall."""
        loss = to_units(close_out_loss_jpy, 0, what="JPY loss", allow_zero=True)
        fn = self.contract.functions.settle(case_id, loss, ccp_tranche)
        return self._call(fn, "settle", result=lambda o: waterfall_of(case_id, o))

    def _porting(self, until: dt.datetime | None) -> int:
        return to_unix(until or porting_deadline(from_unix(self.suite.chain_time())))

    def _declared(self, outcome: Outcome[None]) -> DefaultCase:
        (declared,) = outcome.named("DefaultDeclared")
        return self.case(declared["caseId"])


def waterfall_of(case_id: int, outcome: Outcome[Any]) -> Waterfall:
    """The waterfall of a settlement, from its events."""
    (settled,) = outcome.named("CaseSettled")
    layers = tuple(
        LayerUse(Layer(e["layer"]), int(e["account"]), int(e["usedJpy"]))
        for e in outcome.named("WaterfallApplied")
    )
    return Waterfall(case_id, int(settled["lossJpy"]), layers, int(settled["uncoveredJpy"]))
