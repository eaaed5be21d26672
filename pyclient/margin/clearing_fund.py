"""Sizing the clearing fund and sharing it out, as the Rules on Clearing Fund Requirements say.

The source is the JSCC ETF clearing amendments, Rules on Clearing Fund Requirements, Appended
Table (清算基金所要額の算出に関する表), item 1 (domain.md §6). Read bottom up, the rule is:

1. Each day, each member's **stress loss**: the loss its open (unsettled) contracts would
   suffer under the CCP's stress scenarios (`stress_loss`).
2. Its **excess risk** (担保超過リスク額, note 1-1): the stress loss minus the initial margin
   computed the previous day, or minus the day's intraday initial margin (日中算出分) when that
   exceeds the previous day's by more than JPY 30m (`excess_risk`).
3. The day's **largest** excess risk across members (日次最大担保超過リスク額,
   `daily_maximum`), recorded for every business day.
4. The **fund total** (現物清算基金総額, item a): the average of those daily figures over the six
   months back from the computation date (`fund_window`, `fund_total`).
5. Each member's **share** (現物清算基金所要額): fund total × the member's apportionment basis
   (個社按分基礎当初証拠金所要額) ÷ the sum of all members' bases, and at least JPY 10m
   (`member_shares`). `size_clearing_fund` does 4 and 5 at once and returns a `ClearingFund`,
   which `MarginEngine.post_clearing_fund_shares` posts on chain in one transaction.

This module is pure arithmetic, like `risk`: no chain. Money is `Decimal` JPY or `int`; floats
are refused. Every figure leaving it is whole yen rounded up, in the CCP's favour.

**Where the source is silent, Kabuto's choices:**

* *Stress scenarios.* The source says only that they are combinations of price moves, "extreme
  but plausible", that the CCP defines. `DEFAULT_SCENARIOS` is Kabuto's parametrisation, each a
  relative move over the two-day liquidation period the initial margin also assumes. Equities
  are NK225-FUT, TOPIX-FUT and every instrument not named (`StressScenario.others`):

  - equity-crash: equities -18%, JGB-FUT +1%;
  - equity-rally: equities +15%, JGB-FUT -1%;
  - rates-spike: equities -10%, JGB-FUT -3%;
  - flight-to-quality: equities -10%, JGB-FUT +3%.

  The equity moves are a little beyond the worst two Tokyo sessions on record (the Nikkei 225
  lost some 17% over 19-20 Oct 1987, and again over 2 and 5 Aug 2024; it gained 10% on 6 Aug
  2024). The JGB-futures moves (3% is some 40 basis points of ten-year yield) are our judgement,
  not a historical fit. Single stocks, ETFs and JDRs move with the index; a CCP that wants
  per-issue moves names the instruments in its own scenarios and passes those in.
* *Gains.* Within a scenario, gains on one instrument offset losses on another (a scenario is
  one combination of moves, so the book moves as a whole); a scenario in which the book gains
  counts as a loss of 0, never as a credit. Given `trade_prices`, the loss is measured from the
  contract prices, so the loss already suffered since trade counts, as it does in the initial
  margin the stress loss is compared with.
* *Negative excess risk.* The source says "the amount after deducting" and gives no floor. We
  floor it at 0: the term is the risk *in excess of* the collateral, and a negative figure would
  let a calm day offset a stressed one in the six-month average.
* *The apportionment basis* (items b and c) is omitted from our copy of the rules; callers pass
  each member's basis, normally its initial margin (`risk.initial_margin`). If every basis is 0
  the pro-rata split is undefined, and the fund is split equally (still at least JPY 10m each).
* *The six months.* XTKS business days in (as_of - 6 months, as_of]: the computation date
  counts, the day six calendar months before it does not, much as the Civil Code reckons a
  period in months (art. 143); when that month is shorter, the day is its last (31 Aug goes
  back to 28 or 29 Feb). `as_of` need not be a business day.
* *The daily maximum.* Note 1, which may say more about it, is omitted from our copy; we read
  日次最大担保超過リスク額 as the largest single member's excess risk that day.
* *Missing days.* A business day in the window with no record is refused
  (`IncompleteExcessRiskRecord`, naming the days), not skipped: the day nobody recorded may be
  the stressed one, and averaging the rest would shrink the fund. A CCP that began recording
  less than six months ago says so with `record_starts`; days before it are outside the record,
  not missing. A record dated on a day that is not a business day is refused as mis-dated.
* *Shares are not rescaled.* Each share is the formula rounded up, or the minimum. The shares
  therefore add up to at least the fund total, and more when the minimum binds.
* *Group rule.* The larger-of rule for a member whose corporate group holds an ETF special
  participant (note 1-1) is planned with ETF clearing; it is not applied here.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from .calendar import is_business_day
from .risk import (
    CLEARING_FUND_MINIMUM,
    InvalidMarginAmount,
    InvalidRiskParameter,
    MarginInputError,
    Position,
    UnknownInstrument,
    _amount,
    _ceil_yen,
    _decimal,
    _positions,
    _prices,
)

__all__ = [
    "DEFAULT_SCENARIOS", "FUND_WINDOW_MONTHS", "INTRADAY_MARGIN_THRESHOLD", "ClearingFund",
    "ExcessRiskDay", "IncompleteExcessRiskRecord", "NoExcessRiskRecord", "StressScenario",
    "daily_maximum", "excess_risk", "fund_total", "fund_window", "member_shares", "record_day",
    "size_clearing_fund", "stress_loss",
]  # fmt: skip

INTRADAY_MARGIN_THRESHOLD = Decimal(30_000_000)
FUND_WINDOW_MONTHS = 6


class IncompleteExcessRiskRecord(MarginInputError):
    """Business days in the fund's window have no recorded excess risk; `missing` names them."""

    def __init__(self, message: str, *, window: tuple[date, date], missing: tuple[date, ...]):
        super().__init__(message)
        self.window = window
        self.missing = missing


class NoExcessRiskRecord(IncompleteExcessRiskRecord):
    """The fund's window holds no recorded business day at all: there is nothing to average."""


# -- stress scenarios ----------------------------------------------------------------------------


def _shock(value: Any, what: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, Decimal | int | str):
        raise InvalidRiskParameter(f"{what} {value!r} must be a Decimal, e.g. '-0.15'")
    try:
        shock = _decimal(value, what)
    except InvalidMarginAmount as e:
        raise InvalidRiskParameter(str(e)) from None
    if shock < -1:
        raise InvalidRiskParameter(f"{what} {shock} would take a price below zero")
    return shock


@dataclass(frozen=True)
class StressScenario:
    """One combination of price moves: `shocks` maps an instrument to its relative move
    (Decimal('-0.15') is a 15% fall); `others`, if given, is the move of every instrument not
    named. An instrument neither named nor covered by `others` cannot be stressed and is refused.
    """

    name: str
    shocks: Mapping[str, Decimal] = field(default_factory=dict)
    others: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidRiskParameter(f"a scenario needs a name, not {self.name!r}")
        shocks = {}
        for instrument, value in dict(self.shocks).items():
            if not isinstance(instrument, str) or not instrument:
                raise InvalidRiskParameter(f"scenario {self.name}: bad instrument {instrument!r}")
            shocks[instrument] = _shock(value, f"scenario {self.name}: move of {instrument}")
        object.__setattr__(self, "shocks", MappingProxyType(shocks))
        if self.others is not None:
            object.__setattr__(
                self, "others", _shock(self.others, f"scenario {self.name}: move of the others")
            )

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.shocks.items())), self.others))

    def shock(self, instrument: str) -> Decimal:
        """The relative move of `instrument` in this scenario."""
        if instrument in self.shocks:
            return self.shocks[instrument]
        if self.others is None:
            raise UnknownInstrument(f"scenario {self.name} gives no move for {instrument}")
        return self.others


def _equities(move: str, jgb: str, name: str) -> StressScenario:
    return StressScenario(
        name,
        {"NK225-FUT": Decimal(move), "TOPIX-FUT": Decimal(move), "JGB-FUT": Decimal(jgb)},
        others=Decimal(move),
    )


DEFAULT_SCENARIOS: tuple[StressScenario, ...] = (
    _equities("-0.18", "0.01", "equity-crash"),
    _equities("0.15", "-0.01", "equity-rally"),
    _equities("-0.10", "-0.03", "rates-spike"),
    _equities("-0.10", "0.03", "flight-to-quality"),
)


def stress_loss(
    positions: Iterable[Position],
    prices: Mapping[str, Any],
    scenarios: Iterable[StressScenario] = DEFAULT_SCENARIOS,
    *,
    trade_prices: Mapping[str, Any] | None = None,
) -> Decimal:
    """The worst loss of `positions` over `scenarios`, in whole JPY rounded up; 0 if none loses.

    A scenario moves each price P (JPY per contract, from `prices`) to P·(1 + shock); the loss is
    -Σ q·(P·(1 + shock) - P₀), with P₀ = P, or the traded price when `trade_prices` is given: then
    the loss is that of the unsettled contracts from their contract price, which is what the
    initial margin (mark-to-market loss included) is set against. Gains offset losses within a
    scenario; the worst scenario's loss is floored at 0.
    """
    positions = _positions(positions)
    scenarios = list(scenarios)
    if not scenarios:
        raise InvalidRiskParameter("no stress scenarios to apply")
    for s in scenarios:
        if not isinstance(s, StressScenario):
            raise InvalidRiskParameter(f"{s!r} is not a StressScenario")
    now = _prices(positions, prices, "price")
    base = now if trade_prices is None else _prices(positions, trade_prices, "trade price")
    worst = Fraction(0)
    for scenario in scenarios:
        loss = -sum(
            (
                p.quantity
                * (
                    Fraction(now[p.instrument]) * (1 + Fraction(scenario.shock(p.instrument)))
                    - Fraction(base[p.instrument])
                )
                for p in positions
            ),
            Fraction(0),
        )
        worst = max(worst, loss)
    return _ceil_yen(worst)


# -- excess risk ---------------------------------------------------------------------------------


def excess_risk(stress_loss: Any, previous_day_im: Any, intraday_im: Any = None) -> Decimal:
    """A member's collateral-exceeding risk amount (担保超過リスク額) for one day, whole JPY.

    The stress loss minus the initial margin computed the previous day; but when an intraday
    initial margin was computed that day and exceeds the previous day's by more than JPY 30m
    (strictly: 30,000,001 does, 30,000,000 does not), minus the intraday one. Floored at 0 (see
    the module docstring).
    """
    loss = _amount(stress_loss, "stress loss")
    previous = _amount(previous_day_im, "previous day's initial margin")
    covering = previous
    if intraday_im is not None:
        intraday = _amount(intraday_im, "intraday initial margin")
        if intraday - previous > INTRADAY_MARGIN_THRESHOLD:
            covering = intraday
    return _ceil_yen(max(Fraction(0), Fraction(loss) - Fraction(covering)))


@dataclass(frozen=True)
class ExcessRiskDay:
    """One business day of the record the fund averages (`record_day`): each member's loss under
    each scenario, the margin its stress loss was set against (the previous day's, or the
    intraday one where the JPY 30m rule takes it), its excess risk, and the day's largest."""

    day: date
    losses: Mapping[str, Mapping[str, Decimal]]  # member -> scenario name -> loss
    covering: Mapping[str, Decimal]  # member -> the margin deducted
    excess: Mapping[str, Decimal]  # member -> excess risk

    def stress_loss(self, member: str) -> Decimal:
        """The member's worst scenario loss (0 when every scenario gains)."""
        return max(self.losses[member].values(), default=Decimal(0))

    @property
    def maximum(self) -> Decimal:
        """The day's largest excess risk (日次最大担保超過リスク額), what `fund_total` averages."""
        return daily_maximum(self.excess)


def record_day(
    day: date,
    books: Mapping[str, Iterable[Position]],
    prices: Mapping[str, Any],
    previous_day_margin: Mapping[str, Any],
    *,
    intraday_margin: Mapping[str, Any] | None = None,
    scenarios: Iterable[StressScenario] = DEFAULT_SCENARIOS,
    trade_prices: Mapping[str, Any] | None = None,
) -> ExcessRiskDay:
    """One business day's excess risk for every member, from its whole book (`books`: member ->
    its open positions, its own and its clients'): the loss under each scenario (`stress_loss`,
    from `trade_prices` if given), less the initial margin computed the previous day
    (`previous_day_margin`, 0 for a member that had none), or less the day's intraday one where
    `intraday_margin` has it more than JPY 30m above (`excess_risk`).

    Every member with a book must have a previous-day margin, even 0: a member left out is refused
    rather than taken to have had none, since that would overstate its excess risk.
    """
    day = _plain_date(day, "day")
    if not is_business_day(day):
        raise MarginInputError(f"{day} is not a business day: the record has none for it")
    scenarios = tuple(scenarios)
    missing = sorted(set(books) - set(previous_day_margin))
    if missing:
        raise MarginInputError(
            f"no previous day's initial margin for {', '.join(missing)} (give 0 if it had none)"
        )
    intraday = intraday_margin or {}
    losses, covering, excess = {}, {}, {}
    for member, book in books.items():
        book = list(book)
        losses[member] = MappingProxyType({
            s.name: stress_loss(book, prices, [s], trade_prices=trade_prices) for s in scenarios
        })  # fmt: skip
        previous = _amount(previous_day_margin[member], f"previous day's margin of {member}")
        during = intraday.get(member)
        covering[member] = previous
        if during is not None:
            during = _amount(during, f"intraday margin of {member}")
            if during - previous > INTRADAY_MARGIN_THRESHOLD:
                covering[member] = during
        worst = max(losses[member].values(), default=Decimal(0))
        excess[member] = excess_risk(worst, previous, during)
    return ExcessRiskDay(
        day, MappingProxyType(losses), MappingProxyType(covering), MappingProxyType(excess)
    )


def daily_maximum(excess_by_member: Mapping[str, Any]) -> Decimal:
    """The day's largest excess risk across members (日次最大担保超過リスク額), whole JPY."""
    if not excess_by_member:
        raise MarginInputError("no member's excess risk to take the largest of")
    return max(_ceil_yen(_amount(v, f"excess risk of {m}")) for m, v in excess_by_member.items())


# -- the six-month window ------------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = _gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _plain_date(day: Any, what: str) -> date:
    # A datetime is a date too, but which date it means depends on its zone: refuse it.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise MarginInputError(f"{what} must be a date, not {day!r}")
    return day


def _window_start(as_of: date, record_starts: date | None) -> date:
    start = _months_before(as_of, FUND_WINDOW_MONTHS) + timedelta(days=1)
    if record_starts is not None:
        start = max(start, _plain_date(record_starts, "record_starts"))
    return start


def fund_window(as_of: date, *, record_starts: date | None = None) -> tuple[date, ...]:
    """The business days whose records the fund total averages, oldest first.

    XTKS business days in (as_of - 6 months, as_of], and on or after `record_starts` if given.
    """
    as_of = _plain_date(as_of, "as_of")
    start = _window_start(as_of, record_starts)
    days = (start + timedelta(days=i) for i in range((as_of - start).days + 1))
    return tuple(d for d in days if is_business_day(d))


def _listed(days: tuple[date, ...], limit: int = 10) -> str:
    shown = ", ".join(d.isoformat() for d in days[:limit])
    return shown + (f" and {len(days) - limit} more" if len(days) > limit else "")


def _window_average(
    daily_max_by_date: Mapping[date, Any], as_of: date, record_starts: date | None
) -> tuple[Decimal, int]:
    days = fund_window(as_of, record_starts=record_starts)
    start = _window_start(as_of, record_starts)
    span = (start, as_of)
    recorded = {}
    for day, value in daily_max_by_date.items():
        day = _plain_date(day, "a record's date")
        if start <= day <= as_of:
            if not is_business_day(day):
                raise MarginInputError(f"excess risk recorded on {day}, not a business day")
            recorded[day] = _amount(value, f"largest excess risk of {day}")
    missing = tuple(d for d in days if d not in recorded)
    if not recorded:
        raise NoExcessRiskRecord(
            f"no excess risk recorded for any business day from {start} to {as_of}",
            window=span,
            missing=missing,
        )
    if missing:
        raise IncompleteExcessRiskRecord(
            f"{len(missing)} of {len(days)} business days from {start} to {as_of} have no "
            f"excess risk recorded: {_listed(missing)}",
            window=span,
            missing=missing,
        )
    average = sum((Fraction(recorded[d]) for d in days), Fraction(0)) / len(days)
    return _ceil_yen(average), len(days)


def fund_total(
    daily_max_by_date: Mapping[date, Any], as_of: date, *, record_starts: date | None = None
) -> Decimal:
    """The fund total (現物清算基金総額): the average of the daily largest excess risk over
    `fund_window(as_of)`, whole JPY rounded up.

    `daily_max_by_date` maps a business day to that day's `daily_maximum`; records outside the
    window are ignored. Refused if the window holds no record (`NoExcessRiskRecord`) or lacks
    one for any business day (`IncompleteExcessRiskRecord`, which names them).
    """
    return _window_average(daily_max_by_date, as_of, record_starts)[0]


# -- members' shares -----------------------------------------------------------------------------


def member_shares(
    fund_total: Any, bases: Mapping[str, Any], minimum: Any = CLEARING_FUND_MINIMUM
) -> dict[str, Decimal]:
    """Each member's share: fund total × its basis ÷ Σ bases, rounded up, at least `minimum`.

    `bases` maps members to their apportionment basis (normally initial margin). Shares are
    not rescaled to add up to the total: where the minimum binds they add up to more. If every
    basis is 0 the total is split equally, still at least the minimum.
    """
    total = _amount(fund_total, "clearing fund total")
    floor = _ceil_yen(_amount(minimum, "clearing fund minimum"))
    weights = {m: Fraction(_amount(v, f"basis of {m}")) for m, v in bases.items()}
    if not weights:
        if total:
            raise MarginInputError(f"no members to share a clearing fund of {total}")
        return {}
    whole = sum(weights.values())
    if not whole:
        return {m: max(floor, _ceil_yen(Fraction(total) / len(weights))) for m in weights}
    return {m: max(floor, _ceil_yen(Fraction(total) * w / whole)) for m, w in weights.items()}


@dataclass(frozen=True)
class ClearingFund:
    """The clearing fund sized on `as_of`: its total, the business days averaged, each share."""

    as_of: date
    total: Decimal
    days: int
    shares: Mapping[str, Decimal]

    @property
    def required(self) -> Decimal:
        """What the members owe together: the total, or more where the minimum binds."""
        return sum(self.shares.values(), Decimal(0))


def size_clearing_fund(
    daily_max_by_date: Mapping[date, Any],
    as_of: date,
    bases: Mapping[str, Any],
    *,
    record_starts: date | None = None,
    minimum: Any = CLEARING_FUND_MINIMUM,
) -> ClearingFund:
    """The fund total on `as_of` (`fund_total`) and each member's share of it (`member_shares`)."""
    total, days = _window_average(daily_max_by_date, as_of, record_starts)
    return ClearingFund(
        as_of=as_of,
        total=total,
        days=days,
        shares=MappingProxyType(member_shares(total, bases, minimum)),
    )
