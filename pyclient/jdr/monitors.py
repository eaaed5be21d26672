"""The exchange's monitoring rules for a listed ETF-JDR: price deviation and index tracking.

The trust bank discloses the JDR's NAV per unit every day; these rules say when that disclosure
must be followed by more (docs/domain.md §10, the ETF-JDR listing guidebook):

* **Deviation disclosure** (ETF-JDR guidebook, listing rule 1107(2)(i)): the deviation
  `|close / NAV per unit - 1|` is 20% or more on one day, or 5% or more on 7 consecutive business
  days. `deviation_alerts` reads a daily history and says when each rule fires.
* **Tracking** (ETF-JDR guidebook, delisting criterion, rule 1112(3)(5)a): the correlation between
  the monthly changes of NAV per unit and of the underlying index over the last 60 months falls
  below 0.9 and is not back to 0.9 within one year. `correlation_rule` reads month-end values
  and says when the correlation first broke, recovered, or met the delisting criterion.

Pure: numbers in, findings out, no chain. Days are XTKS sessions (`pyclient.margin.calendar`).
Money is `Decimal` and the deviation thresholds are decided in exact rational arithmetic; the
correlation is a statistic, computed in floating point, and decided exactly when it is within
1e-9 of the 0.9 threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import pairwise

import numpy as np

from ..errors import HistoryRefused, InvalidAmount
from ..margin.calendar import is_business_day, last_business_days, next_business_day

__all__ = [
    "CORRELATION_FLOOR", "CORRELATION_GRACE_MONTHS", "CORRELATION_WINDOW", "RUN_DAYS",
    "RUN_THRESHOLD", "SEVEN_DAYS", "SINGLE_DAY", "SINGLE_DAY_THRESHOLD", "BreachEpisode",
    "CorrelationReport", "DailyPrice", "DeviationAlert", "MonthEnd", "correlation_rule",
    "deviation", "deviation_alerts", "month_ends", "monthly_correlations",
]  # fmt: skip

# ETF-JDR guidebook §3-2 ((a): 20%以上; (b): 5%以上となった日が7営業日連続): both inclusive.
SINGLE_DAY_THRESHOLD = Decimal("0.20")
RUN_THRESHOLD = Decimal("0.05")
RUN_DAYS = 7
SINGLE_DAY = "single-day 20%"
SEVEN_DAYS = "7 days 5%"

# ETF-JDR guidebook: 相関係数が0.9未満 ... 1年以内に0.9以上とならないとき; 最近60か月 ... 騰落率.
CORRELATION_FLOOR = 0.9
CORRELATION_WINDOW = 60
CORRELATION_GRACE_MONTHS = 12

# Within this distance of the floor the float correlation may sit on the wrong side of it by
# rounding alone (a few ulps over 60 returns), so the side is decided exactly.
_EXACT_BAND = 1e-9
_EXACT_FLOOR = Fraction(9, 10)  # the float 0.9 is not 9/10


def _amount(value: object, what: str) -> Decimal:
    """A positive, finite `Decimal` (an int is taken as one; a float is refused: money)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidAmount(f"{what} must be a Decimal, not {value!r}")
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise InvalidAmount(f"{what} must be positive, not {value}")
    return value


def _date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise HistoryRefused(f"{what} must be a date, not {value!r}")
    return value


# -- deviation disclosure -------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyPrice:
    """One XTKS session: the JDR's closing price and its NAV per unit, both in JPY.

    On a day without a trade the close is the last traded close (ETF-JDR guidebook): the caller
    carries it forward, and the day still counts.
    """

    day: date
    close_jpy: Decimal
    nav_per_unit_jpy: Decimal

    def __post_init__(self) -> None:
        _date(self.day, "a price's day")
        object.__setattr__(self, "close_jpy", _amount(self.close_jpy, f"the close on {self.day}"))
        object.__setattr__(
            self,
            "nav_per_unit_jpy",
            _amount(self.nav_per_unit_jpy, f"the NAV per unit on {self.day}"),
        )


@dataclass(frozen=True)
class DeviationAlert:
    """A deviation rule that fired: which, on what day, the day's deviation (a fraction: 0.2 is
    20%), and for the 7-day rule the run it closes (a single-day alert has no run: None, 1)."""

    rule: str
    day: date
    deviation: Decimal
    run_start: date | None
    run_days: int


def deviation(close: Decimal, nav: Decimal) -> Decimal:
    """`|close / nav - 1|` as a fraction (0.2 is 20%), to `Decimal`'s 28 significant digits.

    The rules compare it with their thresholds exactly (`deviation_alerts`), not through this
    rounded quotient.
    """
    close, nav = _amount(close, "the close"), _amount(nav, "the NAV per unit")
    return abs(close / nav - 1)


def _at_least(price: DailyPrice, threshold: Decimal) -> bool:
    # |c/n - 1| >= t  <=>  |c - n| >= t * n for n > 0; as fractions, nothing is rounded.
    close, nav = Fraction(price.close_jpy), Fraction(price.nav_per_unit_jpy)
    return abs(close - nav) >= Fraction(threshold) * nav


def _checked_days(days: Iterable[date], what: str) -> None:
    """Every day an XTKS session, each after the one before."""
    previous: date | None = None
    for day in days:
        if not is_business_day(day):
            raise HistoryRefused(f"{what}: {day} is not an XTKS business day")
        if previous is not None and day <= previous:
            word = "repeated" if day == previous else f"out of order (after {previous})"
            raise HistoryRefused(f"{what}: {day} is {word}")
        previous = day


def deviation_alerts(history: Sequence[DailyPrice]) -> list[DeviationAlert]:
    """Every day a deviation rule fires, in order of day (the single-day rule first on a day
    both fire).

    The single-day rule fires on each day the deviation is 20% or more. The 7-day rule fires on
    the 7th consecutive session with a deviation of 5% or more, once per run: a run that goes on
    fires again only after it breaks and a new run reaches 7. Holidays are not sessions and do
    not break a run; a session missing from `history` does (nothing says it deviated).

    Refused (`HistoryRefused`): a day that is not an XTKS session, repeated or out of order.
    """
    _checked_days((p.day for p in history), "price history")
    alerts: list[DeviationAlert] = []
    run_start: date | None = None
    run_days = 0
    previous: date | None = None
    for price in history:
        dev = deviation(price.close_jpy, price.nav_per_unit_jpy)
        if _at_least(price, SINGLE_DAY_THRESHOLD):
            alerts.append(DeviationAlert(SINGLE_DAY, price.day, dev, None, 1))
        if _at_least(price, RUN_THRESHOLD):
            if run_days and previous is not None and next_business_day(previous) == price.day:
                run_days += 1
            else:
                run_start, run_days = price.day, 1
            if run_days == RUN_DAYS:
                alerts.append(DeviationAlert(SEVEN_DAYS, price.day, dev, run_start, run_days))
        else:
            run_start, run_days = None, 0
        previous = price.day
    return alerts


# -- correlation with the index --------------------------------------------------------------------


@dataclass(frozen=True)
class MonthEnd:
    """NAV per unit and index level at the end of a month.

    `month` is the day of the observation, normally the month's last XTKS session (as
    `month_ends` gives it); only its year and month are read, and a series must have one entry
    per calendar month, without gaps.
    """

    month: date
    nav_per_unit: Decimal
    index_level: Decimal

    def __post_init__(self) -> None:
        _date(self.month, "a month-end's month")
        label = f"{self.month:%Y-%m}"
        object.__setattr__(
            self, "nav_per_unit", _amount(self.nav_per_unit, f"the NAV per unit of {label}")
        )
        object.__setattr__(
            self, "index_level", _amount(self.index_level, f"the index level of {label}")
        )


@dataclass(frozen=True)
class BreachEpisode:
    """A stretch below the correlation floor: the month it began, and the month it recovered or
    the month the delisting criterion was met (both None while it is still open)."""

    start: date
    recovered: date | None
    criterion_met: date | None


@dataclass(frozen=True)
class CorrelationReport:
    """The correlation at each month-end (once a full window of returns exists) and the
    findings of the rule. `first_breach`, `recovered` and `delisting_criterion_met` describe the
    latest episode below 0.9 (`first_breach` is the month it fell below); `episodes` holds
    them all. Nothing is read after the criterion is met."""

    correlations: tuple[tuple[date, float], ...]
    episodes: tuple[BreachEpisode, ...]

    @property
    def first_breach(self) -> date | None:
        return self.episodes[-1].start if self.episodes else None

    @property
    def recovered(self) -> date | None:
        return self.episodes[-1].recovered if self.episodes else None

    @property
    def delisting_criterion_met(self) -> date | None:
        return self.episodes[-1].criterion_met if self.episodes else None


def _checked_months(series: Sequence[MonthEnd]) -> None:
    for before, after in pairwise(series):
        gap = (after.month.year - before.month.year) * 12 + after.month.month - before.month.month
        if gap <= 0:
            word = "repeated" if gap == 0 else f"out of order (after {before.month:%Y-%m})"
            raise HistoryRefused(f"month-end series: {after.month:%Y-%m} is {word}")
        if gap > 1:
            raise HistoryRefused(
                f"month-end series: {gap - 1} month(s) missing between {before.month:%Y-%m} and "
                f"{after.month:%Y-%m}"
            )


def _exact_at_least(navs: Sequence[Decimal], indices: Sequence[Decimal], floor: Fraction) -> bool:
    """Whether the correlation of the returns of `navs` and `indices` is at least `floor`,
    decided in rational arithmetic: r >= t (t > 0) <=> cov >= 0 and cov^2 >= t^2 var_x var_y."""
    x = [Fraction(b) / Fraction(a) - 1 for a, b in pairwise(navs)]
    y = [Fraction(b) / Fraction(a) - 1 for a, b in pairwise(indices)]
    n = len(x)
    sx, sy = sum(x, Fraction(0)), sum(y, Fraction(0))
    cov = n * sum((a * b for a, b in zip(x, y, strict=True)), Fraction(0)) - sx * sy
    var_x = n * sum((a * a for a in x), Fraction(0)) - sx * sx
    var_y = n * sum((b * b for b in y), Fraction(0)) - sy * sy
    return cov >= 0 and cov * cov >= floor * floor * var_x * var_y


def _returns(levels: Sequence[Decimal]) -> np.ndarray:
    # In Decimal first: a level that grows by the same fraction every month then has the same
    # return every month, not returns that differ in the last bit of a float.
    with localcontext(prec=34):
        return np.array([float(b / a - 1) for a, b in pairwise(levels)])


def _correlations(series: Sequence[MonthEnd], window: int) -> list[tuple[date, float, bool]]:
    """(month, correlation, below the floor) for each month-end with `window` returns behind it."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise HistoryRefused(f"a correlation window is at least 2 returns, not {window!r}")
    _checked_months(series)
    navs = [m.nav_per_unit for m in series]
    indices = [m.index_level for m in series]
    r_nav, r_idx = _returns(navs), _returns(indices)
    found = []
    for end in range(window, len(r_nav) + 1):
        x, y = r_nav[end - window : end], r_idx[end - window : end]
        month = series[end].month
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            which = "NAV per unit" if np.ptp(x) == 0 else "index level"
            raise HistoryRefused(
                f"the {which} changes by the same fraction every month of the {window} to "
                f"{month:%Y-%m}: the correlation is undefined"
            )
        value = float(np.corrcoef(x, y)[0, 1])
        below = value < CORRELATION_FLOOR
        if abs(value - CORRELATION_FLOOR) < _EXACT_BAND:
            start = end - window
            below = not _exact_at_least(
                navs[start : end + 1], indices[start : end + 1], _EXACT_FLOOR
            )
            # Reported on the side the exact test found, so the number and the finding agree.
            if below and value >= CORRELATION_FLOOR:
                value = math.nextafter(CORRELATION_FLOOR, 0.0)
            elif not below and value < CORRELATION_FLOOR:
                value = CORRELATION_FLOOR
        found.append((month, value, below))
    return found


def monthly_correlations(
    series: Sequence[MonthEnd], window: int = CORRELATION_WINDOW
) -> list[tuple[date, float]]:
    """The correlation of the monthly returns of NAV per unit and of the index over the last
    `window` returns, at each month-end that has them (the first at the `window + 1`-th entry).

    A return is the change from one month-end to the next (`b / a - 1`). Refused
    (`HistoryRefused`): months repeated, out of order or missing; a window in which either
    series changes by a constant fraction (the correlation would be undefined).
    """
    return [(month, value) for month, value, _ in _correlations(series, window)]


def correlation_rule(
    series: Sequence[MonthEnd], window: int = CORRELATION_WINDOW
) -> CorrelationReport:
    """The tracking rule read month by month: a breach is a month-end with the correlation below
    0.9; it recovers at the first later month-end at 0.9 or more, within 12 months of the breach
    (recovering at the 12th month-end counts); otherwise the delisting criterion is met at the
    12th month-end after the breach. A recovery resets the clock for the next breach."""
    rows = _correlations(series, window)
    episodes: list[BreachEpisode] = []
    opened: int | None = None
    for k, (month, _, below) in enumerate(rows):
        if opened is None:
            if below:
                opened = k
        elif not below:
            episodes.append(BreachEpisode(rows[opened][0], month, None))
            opened = None
        elif k - opened == CORRELATION_GRACE_MONTHS:
            episodes.append(BreachEpisode(rows[opened][0], None, month))
            opened = None
            break
    if opened is not None:
        episodes.append(BreachEpisode(rows[opened][0], None, None))
    return CorrelationReport(
        correlations=tuple((month, value) for month, value, _ in rows),
        episodes=tuple(episodes),
    )


def month_ends(daily: Sequence[tuple[date, Decimal, Decimal]]) -> list[MonthEnd]:
    """Month-end values from a daily history of `(day, NAV per unit, index level)`: for each
    calendar month in it, the entry on the month's last XTKS session.

    The last month is left out when its last session is not in the history (the month is not
    over); any earlier month without it is refused (`HistoryRefused`), as are days that are not
    sessions, repeated or out of order.
    """
    _checked_days((row[0] for row in daily), "daily history")
    by_day = {day: (nav, level) for day, nav, level in daily}
    months = sorted({(day.year, day.month) for day in by_day})
    found = []
    for i, (year, month) in enumerate(months):
        next_first = date(year + month // 12, month % 12 + 1, 1)
        last_session = last_business_days(next_first - timedelta(days=1), 1)[0]
        if last_session not in by_day:
            if i == len(months) - 1:
                break
            raise HistoryRefused(
                f"daily history: {last_session}, the last session of {year}-{month:02d}, is missing"
            )
        nav, level = by_day[last_session]
        found.append(MonthEnd(last_session, nav, level))
    return found
