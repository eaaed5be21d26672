"""The liquidity a substitution needs: the two-step way pre-funds the new collateral in full for
the hours until the old is released, the atomic way nothing, and the day's series says the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from pyclient import errors
from pyclient.clock import TOKYO
from pyclient.collateral.liquidity import (
    HOURS_PER_YEAR,
    Liquidity,
    Timetable,
    Way,
    funding_cost_jpy,
    market_value_jpy,
    prefunding_jpy,
    save_chart,
)
from pyclient.oracle import Quote

E18 = 10**18


def _quote(price: int | str, *, fx: int = 1, decimals: int = 0, haircut_bps: int = 0) -> Quote:
    price_e18 = int(Decimal(price) * E18)
    return Quote(price_e18, fx * E18, haircut_bps, 10_000, decimals, 0b11)


QUOTES = {
    "JPY": _quote(1),
    "USD": _quote(1, fx=150, decimals=2, haircut_bps=200),
    "JGB374": _quote(49_250, haircut_bps=100),
}


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 27, hour, minute, tzinfo=TOKYO)


DAY = Timetable(opens=_at(8), delivered=_at(9), released=_at(15, 30), closes=_at(17))


def test_market_value_is_before_haircut_in_jpy_at_the_quotes() -> None:
    legs = {"JGB374": 40_000, "USD": Decimal("8000000.00")}
    assert market_value_jpy(legs, QUOTES) == 40_000 * 49_250 + 8_000_000 * 150
    assert market_value_jpy({"USD": "0.01"}, QUOTES) == 1  # 1.5 yen, rounded down
    assert market_value_jpy({}, QUOTES) == 0


def test_a_leg_finer_than_its_smallest_unit_is_refused() -> None:
    with pytest.raises(errors.InputError, match="smallest units"):
        market_value_jpy({"USD": Decimal("0.001")}, QUOTES)


def test_the_two_step_way_prefunds_the_new_collateral_in_full_and_the_atomic_way_nothing() -> None:
    assert prefunding_jpy(Way.TWO_STEP, 3_460_000_000) == 3_460_000_000
    assert prefunding_jpy(Way.ATOMIC, 3_460_000_000) == 0


def test_funding_cost_is_amount_times_rate_times_hours_over_a_year_rounded_up() -> None:
    assert HOURS_PER_YEAR == 8_760
    # 8.76bn at 1% for a year's 8,760 hours is 87.6m; for one hour, 10,000 exactly.
    assert funding_cost_jpy(8_760_000_000, 100, 8_760) == 87_600_000
    assert funding_cost_jpy(8_760_000_000, 100, 1) == 10_000
    # 3.46bn at 0.5% for 6.5 hours: 12,836.76... is 12,837.
    assert funding_cost_jpy(3_460_000_000, 50, Decimal("6.5")) == 12_837
    assert funding_cost_jpy(0, 50, 6) == funding_cost_jpy(1_000, 0, 6) == 0
    with pytest.raises(errors.InputError):
        funding_cost_jpy(1_000, -1, 1)


def test_a_timetable_runs_in_order_and_counts_the_hours_both_are_held() -> None:
    assert DAY.hours == Decimal("6.5")
    with pytest.raises(errors.InputError, match="opens <= delivered"):
        Timetable(opens=_at(8), delivered=_at(16), released=_at(15), closes=_at(17))


def _way(way: Way, **kw: int) -> Liquidity:
    figures = {"posted_before_jpy": 3_170_000_000, "out_jpy": 3_170_000_000,
               "into_jpy": 3_460_000_000, "rate_bps": 50} | kw  # fmt: skip
    return Liquidity(way.value, way, timetable=DAY, **figures)


def test_the_two_step_way_holds_both_until_the_old_is_released() -> None:
    two = _way(Way.TWO_STEP)
    assert (two.prefunding_jpy, two.hours, two.funding_cost_jpy) == (
        3_460_000_000, Decimal("6.5"), 12_837,
    )  # fmt: skip
    assert two.series == [
        (_at(8), 3_170_000_000), (_at(9), 3_170_000_000), (_at(9), 6_630_000_000),
        (_at(15, 30), 6_630_000_000), (_at(15, 30), 3_460_000_000), (_at(17), 3_460_000_000),
    ]  # fmt: skip
    assert two.peak_jpy - two.posted_before_jpy == two.prefunding_jpy


def test_the_atomic_way_swaps_at_once_and_needs_no_funding() -> None:
    one = _way(Way.ATOMIC)
    assert (one.prefunding_jpy, one.hours, one.funding_cost_jpy) == (0, 0, 0)
    assert one.series == [
        (_at(8), 3_170_000_000), (_at(9), 3_170_000_000), (_at(9), 3_460_000_000),
        (_at(17), 3_460_000_000),
    ]  # fmt: skip
    assert one.posted_after_jpy == _way(Way.TWO_STEP).posted_after_jpy  # the same end state
    assert one.peak_jpy == max(one.posted_before_jpy, one.posted_after_jpy)


def test_the_chart_is_a_png_written_where_asked(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "liquidity.png"
    ways = [_way(Way.TWO_STEP), _way(Way.ATOMIC, into_jpy=3_000_000_000)]
    assert save_chart(ways, path, title="Liquidity through the day") == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
