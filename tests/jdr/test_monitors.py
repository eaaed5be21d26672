"""The exchange's monitors of a listed ETF-JDR: deviation of the close from NAV per unit (20% on a
day, 5% on 7 consecutive sessions) and tracking of the index (correlation of 60 monthly returns
under 0.9, not back within a year). Real XTKS dates; none of these tests touches the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, localcontext

import numpy as np
import pytest

from pyclient.errors import HistoryRefused, InputError, InvalidAmount
from pyclient.jdr.monitors import (
    SEVEN_DAYS,
    SINGLE_DAY,
    BreachEpisode,
    DailyPrice,
    MonthEnd,
    correlation_rule,
    deviation,
    deviation_alerts,
    month_ends,
    monthly_correlations,
)
from pyclient.margin.calendar import add_business_days, is_business_day

D = Decimal
NAV = D(10_000)


def sessions(first: date, n: int) -> list[date]:
    """`n` XTKS sessions from `first` (a session) on."""
    assert is_business_day(first)
    return [first] + [add_business_days(first, k) for k in range(1, n)]


def day(on: date, deviation_pct: str) -> DailyPrice:
    """A session whose close is `deviation_pct` percent above NAV per unit."""
    return DailyPrice(on, NAV * (1 + D(deviation_pct) / 100), NAV)


def history(days: Sequence[date], deviation_pct: str) -> list[DailyPrice]:
    return [day(d, deviation_pct) for d in days]


# -- deviation ------------------------------------------------------------------------------------


def test_deviation_is_the_absolute_gap_of_the_close_from_nav_as_a_fraction() -> None:
    assert deviation(D(12_000), D(10_000)) == D("0.2")
    assert deviation(D(8_000), D(10_000)) == D("0.2")
    assert deviation(D(10_000), D(10_000)) == 0


def test_a_close_exactly_20_percent_from_nav_fires_the_single_day_rule() -> None:
    on = date(2026, 6, 1)
    [alert] = deviation_alerts([DailyPrice(on, D(12_000), NAV)])
    assert (alert.rule, alert.day, alert.deviation) == (SINGLE_DAY, on, D("0.2"))
    assert (alert.run_start, alert.run_days) == (None, 1)
    assert [a.rule for a in deviation_alerts([DailyPrice(on, D(8_000), NAV)])] == [SINGLE_DAY]


def test_a_close_19_99_percent_from_nav_fires_nothing() -> None:
    assert deviation_alerts([day(date(2026, 6, 1), "19.99")]) == []
    assert deviation_alerts([day(date(2026, 6, 1), "-19.99")]) == []


def test_the_20_percent_boundary_is_exact_where_the_quotient_would_round() -> None:
    nav = D("123456789.123456789123456789")
    with localcontext(prec=60):
        close = nav * D("1.2")  # 20% above, to more digits than Decimal's default 28
        under = close - D("1e-30")
    assert [a.rule for a in deviation_alerts([DailyPrice(date(2026, 6, 1), close, nav)])] == [
        SINGLE_DAY
    ]
    assert deviation_alerts([DailyPrice(date(2026, 6, 1), under, nav)]) == []


def test_six_consecutive_sessions_at_5_percent_fire_nothing_the_seventh_fires_once() -> None:
    days = sessions(date(2026, 6, 1), 7)
    assert deviation_alerts(history(days[:6], "5")) == []
    [alert] = deviation_alerts(history(days, "5"))
    assert alert.rule == SEVEN_DAYS and alert.day == date(2026, 6, 9)
    assert (alert.run_start, alert.run_days, alert.deviation) == (date(2026, 6, 1), 7, D("0.05"))


def test_a_day_at_4_99_percent_breaks_the_run() -> None:
    days = sessions(date(2026, 6, 1), 10)
    assert len(deviation_alerts(history(days, "-5"))) == 1
    prices = history(days, "-5")
    prices[3] = day(days[3], "4.99")
    assert deviation_alerts(prices) == []  # runs of 3 and 6


def test_a_run_that_goes_on_fires_once_and_again_only_after_it_breaks() -> None:
    days = sessions(date(2026, 6, 1), 22)
    prices = history(days, "6")
    prices[10] = day(days[10], "1")  # the first run is 10 long; the second starts on day 12
    alerts = deviation_alerts(prices)
    assert [(a.day, a.run_start, a.run_days) for a in alerts] == [
        (days[6], days[0], 7),
        (days[17], days[11], 7),
    ]


def test_the_new_year_closure_does_not_break_a_run() -> None:
    days = sessions(date(2025, 12, 24), 7)
    assert days[-2:] == [date(2026, 1, 5), date(2026, 1, 6)]  # 31 Dec to 4 Jan: closed
    [alert] = deviation_alerts(history(days, "7"))
    assert (alert.day, alert.run_start) == (date(2026, 1, 6), date(2025, 12, 24))


def test_golden_week_does_not_break_a_run_but_a_missing_session_does() -> None:
    days = sessions(date(2026, 4, 24), 7)
    assert days == [
        date(2026, 4, 24), date(2026, 4, 27), date(2026, 4, 28), date(2026, 4, 30),
        date(2026, 5, 1), date(2026, 5, 7), date(2026, 5, 8),
    ]  # fmt: skip
    [alert] = deviation_alerts(history(days, "5.5"))
    assert (alert.day, alert.run_start, alert.run_days) == (date(2026, 5, 8), date(2026, 4, 24), 7)

    without_30_april = [d for d in days if d != date(2026, 4, 30)] + [date(2026, 5, 11)]
    assert deviation_alerts(history(without_30_april, "5.5")) == []


def test_a_day_past_20_percent_fires_both_rules_when_it_is_the_seventh_single_first() -> None:
    days = sessions(date(2026, 6, 1), 7)
    prices = [*history(days[:6], "5"), day(days[6], "-25")]
    alerts = deviation_alerts(prices)
    assert [(a.rule, a.day) for a in alerts] == [(SINGLE_DAY, days[6]), (SEVEN_DAYS, days[6])]
    assert alerts[1].deviation == D("0.25")


@pytest.mark.parametrize(
    ("days", "words"),
    [
        ([date(2026, 4, 28), date(2026, 4, 29)], "2026-04-29 is not an XTKS business day"),
        ([date(2026, 6, 6)], "2026-06-06 is not an XTKS business day"),
        ([date(2026, 6, 1), date(2026, 6, 1)], "2026-06-01 is repeated"),
        ([date(2026, 6, 2), date(2026, 6, 1)], "2026-06-01 is out of order"),
    ],
)
def test_a_history_on_a_closed_repeated_or_unsorted_day_is_refused(
    days: list[date], words: str
) -> None:
    with pytest.raises(HistoryRefused, match=words) as refused:
        deviation_alerts(history(days, "1"))
    assert isinstance(refused.value, InputError)


@pytest.mark.parametrize("nav", [D(0), D(-1), D("NaN"), 10_000.0])
def test_a_nav_per_unit_that_is_not_a_positive_decimal_is_refused(nav: object) -> None:
    with pytest.raises(InvalidAmount) as refused:
        DailyPrice(date(2026, 6, 1), D(10_000), nav)  # type: ignore[arg-type]
    assert isinstance(refused.value, InputError)
    with pytest.raises(InvalidAmount):
        deviation(D(10_000), nav)  # type: ignore[arg-type]


def test_a_zero_close_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="close on 2026-06-01"):
        DailyPrice(date(2026, 6, 1), D(0), NAV)


# -- correlation ---------------------------------------------------------------------------------


def first_of_months(n: int, start: date = date(2019, 1, 1)) -> list[date]:
    return [date(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1, 1)
            for k in range(n)]  # fmt: skip


def series_of(nav_returns: Sequence[Decimal], index_returns: Sequence[Decimal]) -> list[MonthEnd]:
    """Month-ends whose monthly returns are exactly the ones given (levels kept to every digit)."""
    assert len(nav_returns) == len(index_returns)
    months = first_of_months(len(nav_returns) + 1)
    nav, level = D(100), D(1_000)
    found = [MonthEnd(months[0], nav, level)]
    with localcontext(prec=2_000):
        for month, rn, ri in zip(months[1:], nav_returns, index_returns, strict=True):
            nav, level = nav * (1 + rn), level * (1 + ri)
            found.append(MonthEnd(month, nav, level))
    return found


def tracking(n: int) -> list[Decimal]:
    """`n` monthly returns of an index (seeded, so every run sees the same ones)."""
    rng = np.random.default_rng(9)
    return [D(str(round(r, 4))) for r in rng.normal(0.006, 0.04, n)]


def test_the_first_correlation_comes_with_the_61st_month_end_60_returns() -> None:
    index = tracking(61)
    assert monthly_correlations(series_of(index[:59], index[:59])) == []
    months = series_of(index[:60], index[:60])
    assert len(months) == 61
    assert monthly_correlations(months) == [(months[60].month, pytest.approx(1.0))]
    assert [m for m, _ in monthly_correlations(series_of(index, index))] == [
        date(2024, 1, 1),
        date(2024, 2, 1),
    ]


def test_a_nav_that_follows_its_index_with_noise_tracks_it_closely() -> None:
    index = tracking(72)
    rng = np.random.default_rng(90)
    nav = [r + D(str(round(e, 4))) for r, e in zip(index, rng.normal(0, 0.005, 72), strict=True)]
    report = correlation_rule(series_of(nav, index))
    assert len(report.correlations) == 13
    assert all(0.95 < c <= 1 for _, c in report.correlations)
    assert report.episodes == () and report.first_breach is None


def exactly(a: str) -> tuple[list[Decimal], list[Decimal]]:
    """60 returns whose correlation is a / sqrt(a^2 + 19): exactly 0.9 when a = 9.

    With centred u = (1, -1, 0...) and w = (3, 3, -4, -2, 0...) orthogonal, |w|^2 = 19 |u|^2:
    corr(u, a u + w) = a |u|^2 / (|u| sqrt(a^2 |u|^2 + |w|^2)) = a / sqrt(a^2 + 19).
    """
    u = [1, -1] + [0] * 58
    w = [3, 3, -4, -2] + [0] * 56
    nav = [D("0.01") + D("0.01") * k for k in u]
    index = [D("0.01") + D("0.001") * (D(a) * i + j) for i, j in zip(u, w, strict=True)]
    return nav, index


def test_a_correlation_of_exactly_0_9_is_not_a_breach() -> None:
    report = correlation_rule(series_of(*exactly("9")))
    [(_, value)] = report.correlations
    assert value == pytest.approx(0.9, abs=1e-12) and value >= 0.9
    assert report.episodes == ()


def test_a_correlation_a_hair_under_0_9_is_a_breach_decided_exactly() -> None:
    # a = 8.999999999: the correlation is about 1e-11 under 0.9, inside float noise.
    report = correlation_rule(series_of(*exactly("8.999999999")))
    [(month, value)] = report.correlations
    assert value < 0.9 and value == pytest.approx(0.9, abs=1e-9)
    assert report.first_breach == month and report.delisting_criterion_met is None
    assert correlation_rule(series_of(*exactly("9.000000001"))).episodes == ()


def test_correlations_either_side_of_0_9_fall_where_they_should() -> None:
    [(_, under)] = monthly_correlations(series_of(*exactly("8.99")))
    [(_, over)] = monthly_correlations(series_of(*exactly("9.01")))
    assert under == pytest.approx(8.99 / (8.99**2 + 19) ** 0.5) and under < 0.9 < over


UP, DOWN = D("0.04"), D("-0.03")


def scenario(events: dict[int, tuple[str, str]], length: int) -> list[MonthEnd]:
    """`length` returns: NAV and index move together (+4%, -3%, ...), except at the returns in
    `events` (return k is between month-ends k and k+1) where they move as given."""
    nav = [UP if k % 2 == 0 else DOWN for k in range(length)]
    index = list(nav)
    for k, (rn, ri) in events.items():
        nav[k], index[k] = D(rn), D(ri)
    return series_of(nav, index)


BREAK = ("0.10", "-0.10")  # NAV up 10% while the index falls 10%: the correlation drops to 0.76
MEND = ("0.60", "0.60")  # both up 60%: the correlation is back above 0.9
B = 62  # the return that breaks; month-end B + 1 is the first below 0.9


def correlation_at(series: list[MonthEnd]) -> dict[date, float]:
    return dict(monthly_correlations(series))


def test_a_breach_not_mended_within_12_months_meets_the_criterion_at_the_12th_month_end() -> None:
    months = scenario({B: BREAK}, B + 20)
    corr = correlation_at(months)
    breach, twelfth = months[B + 1].month, months[B + 13].month
    assert corr[months[B].month] >= 0.9 > corr[breach]
    assert all(corr[m.month] < 0.9 for m in months[B + 1 : B + 14])
    report = correlation_rule(months)
    assert report.episodes == (BreachEpisode(breach, None, twelfth),)
    assert (report.first_breach, report.recovered, report.delisting_criterion_met) == (
        breach,
        None,
        twelfth,
    )
    assert twelfth == date(2025, 4, 1) and breach == date(2024, 4, 1)


def test_a_breach_mended_at_the_12th_month_end_is_a_recovery() -> None:
    months = scenario({B: BREAK, B + 12: MEND}, B + 20)
    corr = correlation_at(months)
    assert corr[months[B + 12].month] < 0.9 <= corr[months[B + 13].month]
    report = correlation_rule(months)
    assert report.episodes == (BreachEpisode(months[B + 1].month, months[B + 13].month, None),)
    assert report.delisting_criterion_met is None


def test_a_breach_mended_at_the_13th_month_end_is_too_late() -> None:
    months = scenario({B: BREAK, B + 13: MEND}, B + 20)
    report = correlation_rule(months)
    assert report.delisting_criterion_met == months[B + 13].month
    assert report.recovered is None


def test_a_recovery_resets_the_clock_for_the_next_breach() -> None:
    # Broken at B, mended 3 months on, broken again (harder, past the mend) 5 months on.
    months = scenario({B: BREAK, B + 3: MEND, B + 5: ("0.80", "-0.80")}, B + 30)
    report = correlation_rule(months)
    first, second = months[B + 1].month, months[B + 6].month
    assert report.episodes == (
        BreachEpisode(first, months[B + 4].month, None),
        BreachEpisode(second, None, months[B + 18].month),
    )
    assert report.first_breach == second
    assert report.delisting_criterion_met == months[B + 18].month  # not B + 13: the clock reset


def test_an_open_breach_without_12_months_of_data_has_met_nothing_yet() -> None:
    months = scenario({B: BREAK}, B + 12)
    report = correlation_rule(months)
    assert report.episodes == (BreachEpisode(months[B + 1].month, None, None),)


def test_months_repeated_out_of_order_or_missing_are_refused() -> None:
    months = scenario({}, 61)
    with pytest.raises(HistoryRefused, match="2019-02 is repeated"):
        monthly_correlations([months[0], MonthEnd(date(2019, 2, 1), D(1), D(1)), months[1]])
    with pytest.raises(HistoryRefused, match="out of order"):
        monthly_correlations([months[1], months[0]])
    with pytest.raises(HistoryRefused, match="1 month\\(s\\) missing between 2019-03 and 2019-05"):
        correlation_rule(months[:3] + months[4:])


def test_a_nav_that_changes_by_a_constant_fraction_has_no_correlation_and_is_refused() -> None:
    flat = [D("0.01")] * 60
    with pytest.raises(HistoryRefused, match="NAV per unit changes by the same fraction"):
        monthly_correlations(series_of(flat, tracking(60)))


def test_a_month_end_with_a_non_positive_level_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="index level of 2026-03"):
        MonthEnd(date(2026, 3, 31), D(100), D(0))


# -- month-ends -----------------------------------------------------------------------------------


def daily_rows(first: date, last: date) -> list[tuple[date, Decimal, Decimal]]:
    rows, on, k = [], first, 0
    while on <= last:
        if is_business_day(on):
            rows.append((on, D(100 + k), D(1_000 + k)))
            k += 1
        on += timedelta(days=1)
    return rows


def test_month_ends_are_each_months_last_session_and_an_unfinished_month_is_left_out() -> None:
    rows = daily_rows(date(2025, 12, 1), date(2026, 5, 15))
    found = month_ends(rows)
    assert [m.month for m in found] == [
        date(2025, 12, 30),  # 31 Dec: closed
        date(2026, 1, 30),  # 31 Jan: a Saturday
        date(2026, 2, 27),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    by_day = {d: (nav, level) for d, nav, level in rows}
    assert all((m.nav_per_unit, m.index_level) == by_day[m.month] for m in found)


def test_a_month_missing_its_last_session_inside_the_history_is_refused() -> None:
    rows = [r for r in daily_rows(date(2026, 1, 5), date(2026, 4, 30)) if r[0] != date(2026, 2, 27)]
    with pytest.raises(HistoryRefused, match="2026-02-27, the last session of 2026-02"):
        month_ends(rows)


def test_daily_rows_on_a_holiday_are_refused() -> None:
    with pytest.raises(HistoryRefused, match="2026-01-01 is not an XTKS business day"):
        month_ends([(date(2025, 12, 30), D(1), D(1)), (date(2026, 1, 1), D(1), D(1))])
