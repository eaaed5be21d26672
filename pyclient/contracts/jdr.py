"""The JDR contracts' clients: the factory that creates series, each trust, and its JDR token.

`JdrFactoryClient.create_series` turns a trust deed given in business terms (assets by symbol,
parties by name, the ratio as an exact fraction) into the factory call. A `JdrTrustClient` speaks
to one trust: creation and cancellation in kind, the ratio, suspension, record dates and
distributions, buybacks, the daily disclosure and termination. Amounts go in and come out in
whole units of the asset concerned (ETF units, JDR units, yen, dollars); the ratio arithmetic is
checked here first (`pyclient.jdr.model`), so an amount that does not convert exactly is refused
with the nearest exact amounts before anything is sent, as the contract would refuse it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..clock import TOKYO, from_unix, to_unix
from ..errors import AmountNotExact, InputError
from ..jdr.model import (
    Buyback,
    CancelPolicy,
    Creation,
    Disclosure,
    Distribution,
    Operation,
    Termination,
    Trigger,
    TrustDeed,
    cancellation_step,
    creation_step,
    nearest_exact,
    ratio_of,
)
from ..jdr.schedule import check_record_date, record_time
from ..oracle.market_data import price_to_chain
from ..tokens.asset import Asset
from ..units import Amount, isin_is_valid, to_bytes32
from .base import Call, ContractClient, Outcome
from .token import TokenClient


class JdrTokenClient(TokenClient):
    """A JDR token: a permissioned token that also answers balances at past times."""

    artifact = "JdrToken"
    prefix = "jdr"

    def balance_at(self, holder: Any, when: int | dt.datetime) -> Decimal:
        """`holder`'s balance at a past moment (unix seconds or a datetime)."""
        fn = self.contract.functions.balanceOfAt(self.suite.address_of(holder), _unix(when))
        return self.asset.whole(int(self._read(fn, asset=self.asset)))

    def supply_at(self, when: int | dt.datetime) -> Decimal:
        fn = self.contract.functions.totalSupplyAt(_unix(when))
        return self.asset.whole(int(self._read(fn, asset=self.asset)))

    def balances_at(self, holders: Sequence[str], when: int | dt.datetime) -> dict[str, int]:
        """Balances of many addresses at a past moment, smallest units, in one batch."""
        fns = [self.contract.functions.balanceOfAt(h, _unix(when)) for h in holders]
        return dict(zip(holders, (int(v) for v in self._read_many(fns)), strict=True))

    def holders(self) -> list[str]:
        """Every address that has ever held this JDR, in order of first appearance."""
        seen: dict[str, None] = {}
        for event in self.history("Transfer"):
            if event["to"] != _ZERO:
                seen.setdefault(event["to"], None)
        return list(seen)

    def is_closed(self) -> bool:
        return bool(self._read(self.contract.functions.closed()))


class JdrFactoryClient(ContractClient):
    artifact = "JdrFactory"
    prefix = "jdrFactory"

    def series(self) -> list[str]:
        """The address of every trust created, oldest first."""
        return [str(a) for a in self._read(self.contract.functions.allSeries())]

    def series_count(self) -> int:
        return int(self._read(self.contract.functions.seriesCount()))

    def create_series(
        self,
        *,
        symbol: str,
        name: str,
        underlying: Any,
        settlor: Any,
        trust_bank: Any,
        ratio: Fraction | int | str,
        trust_fee_bps: int,
        listing_date: dt.date,
        isin: str | None = None,
        cash: Any = "JPY",
        foreign_cash: Any = None,
        cancel_policy: CancelPolicy = CancelPolicy.ELIGIBLE_HOLDERS,
        creation_cap: int = 0,
        buyback_minimum: int = 1,
    ) -> Call[str]:
        """Create the trust of a deed and its JDR token; the value is the trust's address.
        `foreign_cash` defaults to the cash token of the ETF's currency ("USD" for SPY)."""
        etf = self.suite.asset(underlying)
        if etf.decimals:  # the ratio is per smallest unit on chain: whole units keep it per unit
            raise InputError(
                f"{etf.symbol} has {etf.decimals} decimals; a JDR's ETF counts whole units"
            )
        foreign = self.suite.asset(foreign_cash or etf.spec.currency)
        r = ratio_of(ratio)
        if not 0 <= trust_fee_bps < 10_000 or isinstance(trust_fee_bps, bool):
            raise InputError(f"trust fee {trust_fee_bps!r} bps must be 0..9999")
        if isin is not None and not isin_is_valid(isin):
            raise InputError(f"ISIN {isin!r} fails the ISO 6166 check digit")
        for what, value in (("creation cap", creation_cap), ("buyback minimum", buyback_minimum)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{what} {value!r} must be a whole number of JDR units")
        deed = (
            etf.address,
            self.suite.asset(cash).address,
            foreign.address,
            self.suite.address_of(trust_bank),
            self.suite.address_of(settlor),
            r.numerator,
            r.denominator,
            trust_fee_bps,
            int(CancelPolicy(cancel_policy)),
            creation_cap,
            buyback_minimum,
            to_unix(dt.datetime.combine(listing_date, dt.time(), TOKYO)),
        )
        fn = self.contract.functions.createSeries(
            deed, name, symbol, (isin or "").encode().ljust(12, b"\0")
        )
        return self._call(fn, "createSeries", result=self._created)

    def _created(self, outcome: Outcome[None]) -> str:
        self.suite.refresh_jdrs()  # type: ignore[attr-defined]
        return str(outcome.named("SeriesCreated")[0]["trust"])


_ZERO = "0x" + "00" * 20


def _unix(when: int | dt.datetime) -> int:
    return when if isinstance(when, int) else to_unix(when)


class JdrTrustClient(ContractClient):
    """One JDR trust: its deed, its token, and every call of its lifecycle."""

    artifact = "JdrTrust"
    prefix = "jdr"

    def __init__(self, suite: Any, contract: Any, label: str, jdr: Asset) -> None:
        super().__init__(suite, contract, label)
        self.jdr = jdr  # the JDR token's asset

    # ------------------------------------------------------------------ reads

    @property
    def token(self) -> JdrTokenClient:
        return self.suite.token(self.jdr)  # type: ignore[no-any-return]

    def deed(self) -> TrustDeed:
        return TrustDeed.from_chain(self._read(self.contract.functions.deed()))

    @property
    def underlying(self) -> Asset:
        return self.suite.asset(self.deed().underlying)

    def ratio(self) -> Fraction:
        num, den = self._read(self.contract.functions.ratio())
        return Fraction(int(num), int(den))

    def underlying_held(self) -> Decimal:
        return self.underlying.whole(int(self._read(self.contract.functions.underlyingHeld())))

    def pending_creations(self) -> tuple[int, int, int]:
        """(count, ETF units delivered, JDR units to mint) of creations awaiting the trust bank."""
        count, underlying, jdr = self._read(self.contract.functions.pendingCreations())
        return int(count), int(underlying), int(jdr)

    def invariant(self) -> tuple[int, int, bool]:
        """(JDR supply, ETF units held, whether the invariant holds), as the contract checks it."""
        supply, held, holds = self._read(self.contract.functions.invariant())
        return int(supply), int(held), bool(holds)

    def creation(self, id_: int) -> Creation:
        return Creation.from_chain(id_, self._read(self.contract.functions.creation(id_)))

    def distribution(self, id_: int) -> Distribution:
        return Distribution.from_chain(id_, self._read(self.contract.functions.distribution(id_)))

    def distributions(self) -> list[Distribution]:
        count = int(self._read(self.contract.functions.distributionCount()))
        raw = self._read_many([self.contract.functions.distribution(i) for i in range(count)])
        return [Distribution.from_chain(i, r) for i, r in enumerate(raw)]

    def claimable_distribution(self, id_: int, holder: Any) -> tuple[int, int]:
        """(JDR units at the record time, JPY it would be paid) for `holder`, zero once claimed."""
        fn = self.contract.functions.claimableDistribution(id_, self.suite.address_of(holder))
        units, amount = self._read(fn)
        return int(units), int(amount)

    def distribution_balance(self, id_: int) -> tuple[int, int]:
        """(JPY owed to holders who have not claimed, rounding remainder) of distribution `id_`."""
        unclaimed, remainder = self._read(self.contract.functions.distributionBalance(id_))
        return int(unclaimed), int(remainder)

    def has_claimed(self, id_: int, holder: Any) -> bool:
        fn = self.contract.functions.hasClaimed(id_, self.suite.address_of(holder))
        return bool(self._read(fn))

    def holders_of_record(self, id_: int) -> dict[str, int]:
        """Every holder at distribution `id_`'s record time with its JDR units (smallest units),
        read from the token's checkpoints (the record time must have passed)."""
        when = to_unix(self.distribution(id_).record_time)
        balances = self.token.balances_at(self.token.holders(), when)
        return {h: units for h, units in balances.items() if units}

    def buyback(self, id_: int) -> Buyback:
        return Buyback.from_chain(id_, self._read(self.contract.functions.buyback(id_)))

    def buybacks(self) -> list[Buyback]:
        count = int(self._read(self.contract.functions.buybackCount()))
        raw = self._read_many([self.contract.functions.buyback(i) for i in range(count)])
        return [Buyback.from_chain(i, r) for i, r in enumerate(raw)]

    def is_suspended(self, operation: Operation) -> bool:
        return bool(self._read(self.contract.functions.isSuspended(int(Operation(operation)))))

    def is_authorised_participant(self, who: Any) -> bool:
        fn = self.contract.functions.isAuthorisedParticipant(self.suite.address_of(who))
        return bool(self._read(fn))

    def is_cancel_eligible(self, who: Any) -> bool:
        fn = self.contract.functions.isCancelEligible(self.suite.address_of(who))
        return bool(self._read(fn))

    def termination(self) -> Termination:
        return Termination.from_chain(self._read(self.contract.functions.termination()))

    def claimable_termination(self, holder: Any) -> tuple[int, int]:
        fn = self.contract.functions.claimableTermination(self.suite.address_of(holder))
        units, amount = self._read(fn)
        return int(units), int(amount)

    def latest_disclosure(self) -> Disclosure:
        return Disclosure.from_chain(self._read(self.contract.functions.latestDisclosure()))

    # ------------------------------------------------------------------ creation and cancellation

    def request_creation(self, underlying_units: Amount, recipient: Any) -> Call[Creation]:
        """Deliver ETF units for JDRs to `recipient`, pending the trust bank's approval; the value
        is the `Creation` requested. Refused first when the units do not convert exactly."""
        units = self.underlying.units(underlying_units, what="ETF units")
        step = creation_step(self.ratio())
        if units % step:
            below, above = nearest_exact(units, step)
            raise AmountNotExact(
                f"{self.underlying.format(units)} do not convert exactly at {self.ratio()} JDR per "
                f"unit; the nearest exact amounts are {self.underlying.format(below)} and "
                f"{self.underlying.format(above)}"
            )
        fn = self.contract.functions.requestCreation(units, self.suite.address_of(recipient))
        return self._call(fn, "requestCreation", result=self._creation("CreationRequested"))

    def approve_creation(self, id_: int) -> Call[Creation]:
        fn = self.contract.functions.approveCreation(id_)
        return self._call(fn, "approveCreation", result=lambda _o: self.creation(id_))

    def reject_creation(self, id_: int, *, reason: str) -> Call[Creation]:
        fn = self.contract.functions.rejectCreation(id_, to_bytes32(reason, what="reason"))
        return self._call(fn, "rejectCreation", result=lambda _o: self.creation(id_))

    def cancel_in_kind(self, jdr_units: Amount) -> Call[Decimal]:
        """Cancel JDRs for the ETF units behind them; the value is the ETF units received."""
        units = self.jdr.units(jdr_units, what="JDR units")
        step = cancellation_step(self.ratio())
        if units % step:
            below, above = nearest_exact(units, step)
            raise AmountNotExact(
                f"{self.jdr.format(units)} do not convert exactly at {self.ratio()} JDR per ETF "
                f"unit; the nearest exact amounts are {self.jdr.format(below)} and "
                f"{self.jdr.format(above)}"
            )
        fn = self.contract.functions.cancelInKind(units)
        return self._call(fn, "cancelInKind", result=self._cancelled)

    def propose_ratio_change(self, ratio: Fraction | int | str, *, reason: str) -> Call[Fraction]:
        """The trust bank proposes the ratio after a split or consolidation of the ETF; the value
        is the ratio proposed. It takes effect when the settlor confirms it."""
        r = ratio_of(ratio)
        fn = self.contract.functions.changeRatio(
            r.numerator, r.denominator, to_bytes32(reason, what="reason")
        )
        return self._call(fn, "changeRatio", result=lambda _o: self.proposed_ratio())

    def confirm_ratio_change(self) -> Call[Fraction]:
        """The settlor confirms the proposed ratio; the value is the ratio now in force."""
        fn = self.contract.functions.confirmRatioChange()
        return self._call(fn, "confirmRatioChange", result=lambda _o: self.ratio())

    def proposed_ratio(self) -> Fraction | None:
        """The ratio change awaiting the settlor's confirmation, if any."""
        num, den = self._read(self.contract.functions.proposedRatio())
        return Fraction(int(num), int(den)) if int(num) else None

    def set_authorised_participant(self, who: Any, authorised: bool = True) -> Call[None]:
        fn = self.contract.functions.setAuthorisedParticipant(
            self.suite.address_of(who), authorised
        )
        return self._call(fn, "setAuthorisedParticipant")

    def set_cancel_eligible(self, who: Any, eligible: bool = True) -> Call[None]:
        fn = self.contract.functions.setCancelEligible(self.suite.address_of(who), eligible)
        return self._call(fn, "setCancelEligible")

    # ------------------------------------------------------------------ suspension

    def suspend(self, operation: Operation, *, reason: str) -> Call[None]:
        fn = self.contract.functions.suspend(
            int(Operation(operation)), to_bytes32(reason, what="reason")
        )
        return self._call(fn, "suspend")

    def resume(self, operation: Operation, *, reason: str) -> Call[None]:
        fn = self.contract.functions.resume(
            int(Operation(operation)), to_bytes32(reason, what="reason")
        )
        return self._call(fn, "resume")

    # ------------------------------------------------------------------ distributions

    def announce_record_date(
        self, record_date: dt.date, *, announced_on: dt.date | None = None
    ) -> Call[Distribution]:
        """Announce a record date (an XTKS business day, at least 14 days after `announced_on`,
        by default today on the chain's clock, in Tokyo): holders at 23:59:59 Tokyo that day are
        the holders of record. The value is the new distribution."""
        today = announced_on or from_unix(self.suite.chain_time()).date()
        check_record_date(today, record_date)
        fn = self.contract.functions.announceRecordDate(record_time(record_date))
        return self._call(
            fn, "announceRecordDate", result=self._distribution("RecordDateAnnounced")
        )

    def declare_distribution(self, id_: int, foreign_amount: Amount) -> Call[Distribution]:
        """Declare distribution `id_`: `foreign_amount` of the ETF's currency held by the trust is
        converted at the published rate, the fee deducted, the net JPY paid in by the sender."""
        foreign = self.suite.asset(self.deed().foreign_cash)
        fn = self.contract.functions.declareDistribution(
            id_, foreign.units(foreign_amount, what="distribution")
        )
        return self._call(fn, "declareDistribution", result=lambda _o: self.distribution(id_))

    def claim_distribution(self, id_: int) -> Call[int]:
        """Claim the sender's share of distribution `id_`; the value is the yen paid."""
        fn = self.contract.functions.claimDistribution(id_)
        return self._call(
            fn, "claimDistribution",
            result=lambda o: int(o.named("DistributionClaimed")[0]["amountJpy"]),
        )  # fmt: skip

    # ------------------------------------------------------------------ buyback

    def request_buyback(self, units: Amount, price_jpy: Amount) -> Call[Buyback]:
        cash = self.suite.asset(self.deed().cash)
        fn = self.contract.functions.requestBuyback(
            self.jdr.units(units, what="JDR units"), cash.units(price_jpy, what="price")
        )
        return self._call(fn, "requestBuyback", result=self._buyback("BuybackRequested"))

    def accept_buyback(self, id_: int) -> Call[Buyback]:
        fn = self.contract.functions.acceptBuyback(id_)
        return self._call(fn, "acceptBuyback", result=lambda _o: self.buyback(id_))

    def decline_buyback(self, id_: int, *, reason: str) -> Call[Buyback]:
        fn = self.contract.functions.declineBuyback(id_, to_bytes32(reason, what="reason"))
        return self._call(fn, "declineBuyback", result=lambda _o: self.buyback(id_))

    def withdraw_buyback(self, id_: int) -> Call[Buyback]:
        fn = self.contract.functions.withdrawBuyback(id_)
        return self._call(fn, "withdrawBuyback", result=lambda _o: self.buyback(id_))

    # ------------------------------------------------------------------ disclosure

    def disclose(
        self, as_of: dt.date | dt.datetime, nav_per_underlying: Amount
    ) -> Call[Disclosure]:
        """Record the daily disclosure as of `as_of` (a date means 15:00 Tokyo, the close) from
        the ETF's NAV per unit in its own currency."""
        when = as_of if isinstance(as_of, dt.datetime) else dt.datetime.combine(
            as_of, dt.time(15), TOKYO
        )  # fmt: skip
        fn = self.contract.functions.disclose(to_unix(when), price_to_chain(nav_per_underlying))
        return self._call(fn, "disclose", result=lambda _o: self.latest_disclosure())

    # ------------------------------------------------------------------ termination

    def terminate(self, trigger: Trigger, *, reason: str) -> Call[Termination]:
        fn = self.contract.functions.terminate(
            int(Trigger(trigger)), to_bytes32(reason, what="reason")
        )
        return self._call(fn, "terminate", result=lambda _o: self.termination())

    def record_liquidation(self, proceeds_jpy: Amount) -> Call[Termination]:
        cash = self.suite.asset(self.deed().cash)
        fn = self.contract.functions.recordLiquidation(
            cash.units(proceeds_jpy, what="proceeds", allow_zero=True)
        )
        return self._call(fn, "recordLiquidation", result=lambda _o: self.termination())

    def claim_termination(self) -> Call[int]:
        """Surrender the sender's JDRs for its share of the proceeds; the value is the yen paid."""
        fn = self.contract.functions.claimTermination()
        return self._call(
            fn, "claimTermination",
            result=lambda o: int(o.named("TerminationClaimed")[0]["amountJpy"]),
        )  # fmt: skip

    # ------------------------------------------------------------------ helpers

    def _creation(self, event: str) -> Any:
        return lambda o: self.creation(int(o.named(event)[0]["id"]))

    def _distribution(self, event: str) -> Any:
        return lambda o: self.distribution(int(o.named(event)[0]["id"]))

    def _buyback(self, event: str) -> Any:
        return lambda o: self.buyback(int(o.named(event)[0]["id"]))

    def _cancelled(self, outcome: Outcome[None]) -> Decimal:
        units = int(outcome.named("CancelledInKind")[0]["underlyingUnits"])
        return self.underlying.whole(units)
