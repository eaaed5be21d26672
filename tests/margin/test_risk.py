"""The margin engine's arithmetic, off chain.

Initial margin is mark-to-market loss + estimated loss (historical expected shortfall) + an
add-on for members under JPY 2bn of net capital, floored at 0, in whole yen rounded up; the
clearing fund is shared pro rata to margin with a JPY 10m minimum; a trade averages into the
position it adds to; a call is split among clients pro rata, in whole yen. None of these tests
touches the chain.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyclient.errors import InvalidAmount
from pyclient.margin import (
    ADD_ON_CAPITAL_THRESHOLD,
    CLEARING_FUND_MINIMUM,
    TOKYO,
    InsufficientHistory,
    InvalidMarginAmount,
    InvalidRiskParameter,
    MarginInputError,
    Position,
    UnknownInstrument,
    add_on,
    clearing_fund_shares,
    expected_shortfall,
    initial_margin,
    mark_to_market_loss,
    member_shares,
)
from pyclient.margin.risk import after_trade, split_pro_rata

D = Decimal
TEN_M = D(10_000_000)


def tokyo(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=TOKYO)


# -- mark-to-market loss -------------------------------------------------------------------------


def test_long_position_loses_when_the_price_falls_and_not_when_it_rises() -> None:
    long = [Position("7203", 100)]
    assert mark_to_market_loss(long, {"7203": D(1000)}, {"7203": D(990)}) == D(1000)
    assert mark_to_market_loss(long, {"7203": D(1000)}, {"7203": D(1010)}) == D(0)


def test_short_position_loses_when_the_price_rises_and_not_when_it_falls() -> None:
    short = [Position("7203", -100)]
    assert mark_to_market_loss(short, {"7203": D(1000)}, {"7203": D(1010)}) == D(1000)
    assert mark_to_market_loss(short, {"7203": D(1000)}, {"7203": D(990)}) == D(0)


def test_gains_on_one_instrument_offset_losses_on_another() -> None:
    book = [Position("A", 100), Position("B", -40)]
    assert mark_to_market_loss(book, {"A": 1000, "B": 500}, {"A": 990, "B": 490}) == D(600)


def test_mark_to_market_loss_is_rounded_up_to_the_yen() -> None:
    # 3 × 0.1 = 0.3 yen of loss is charged as 1 yen.
    assert mark_to_market_loss([Position("A", 3)], {"A": D("100.1")}, {"A": D(100)}) == D(1)


def test_mark_to_market_needs_both_prices_of_every_instrument() -> None:
    with pytest.raises(UnknownInstrument, match="B"):
        mark_to_market_loss([Position("A", 1), Position("B", 1)], {"A": 1}, {"A": 1, "B": 1})
    with pytest.raises(UnknownInstrument, match="current price"):
        mark_to_market_loss([Position("A", 1)], {"A": 1}, {})


def test_float_prices_and_quantities_are_refused() -> None:
    with pytest.raises(InvalidMarginAmount) as info:
        mark_to_market_loss([Position("A", 1)], {"A": 100.1}, {"A": D(100)})
    assert isinstance(info.value, InvalidAmount)
    with pytest.raises(MarginInputError):
        Position("A", 1.0)  # type: ignore[arg-type]


# -- estimated loss (expected shortfall) ---------------------------------------------------------

# Six closes, two-day returns: 90/100 - 1 = -10%, 160/200 - 1 = -20%, 99/90 - 1 = +10%,
# 200/160 - 1 = +25%. Today's close is 200, so 10 units (JPY 2,000) make -200, -400, +200, +500.
HAND = {"A": [D(100), D(200), D(90), D(160), D(99), D(200)]}


def es(positions: list[Position], history=HAND, **kw) -> Decimal:
    kw.setdefault("lookback_days", 6)
    return expected_shortfall(positions, history, **kw)


def test_expected_shortfall_is_the_mean_loss_of_the_worst_tail() -> None:
    # 50%: the worst 2 of 4 scenarios, losses 400 and 200.
    assert es([Position("A", 10)], confidence=D("0.5")) == D(300)
    # 75%: the single worst.
    assert es([Position("A", 10)], confidence=D("0.75")) == D(400)
    # A short position suffers the rises: losses 500 and 200.
    assert es([Position("A", -10)], confidence=D("0.5")) == D(350)


def test_expected_shortfall_is_rounded_up_to_the_yen() -> None:
    # At 40%, ceil(4 × 0.6) = 3 scenarios: (400 + 200 - 200) / 3.
    assert es([Position("A", 10)], confidence=D("0.4")) == D(134)  # 133.33..., never 133


def test_tail_always_holds_at_least_one_scenario() -> None:
    assert es([Position("A", 10)], confidence=D("0.999")) == D(400)


def test_only_the_last_lookback_closes_count() -> None:
    longer = {"A": [D(1), D(1000), *HAND["A"]]}
    assert es([Position("A", 10)], longer, confidence=D("0.5")) == D(300)


def test_current_prices_revalue_the_position_against_the_same_returns() -> None:
    assert es([Position("A", 10)], confidence=D("0.5"), current_prices={"A": D(100)}) == D(150)


def test_no_loss_in_the_tail_means_no_estimated_loss() -> None:
    rising = {"A": [D(100 + k) for k in range(6)]}
    assert es([Position("A", 10)], rising, confidence=D("0.5")) == D(0)
    assert es([], confidence=D("0.5")) == D(0)
    assert es([Position("A", 0)], confidence=D("0.5")) == D(0)


def test_a_hedged_book_needs_less_than_its_legs_apart() -> None:
    twins = {"A": HAND["A"], "B": HAND["A"]}
    long_a, short_b = Position("A", 10), Position("B", -10)
    assert es([long_a], twins, confidence=D("0.5")) == D(300)
    assert es([short_b], twins, confidence=D("0.5")) == D(350)
    assert es([long_a, short_b], twins, confidence=D("0.5")) == D(0)


def test_positions_in_the_same_instrument_are_netted() -> None:
    split = [Position("A", 4), Position("A", 6)]
    assert es(split, confidence=D("0.5")) == es([Position("A", 10)], confidence=D("0.5"))


def test_expected_shortfall_refuses_what_it_cannot_price() -> None:
    with pytest.raises(UnknownInstrument, match="B"):
        es([Position("B", 1)])
    with pytest.raises(InsufficientHistory, match="5 closes"):
        es([Position("A", 1)], {"A": HAND["A"][1:]})
    with pytest.raises(InsufficientHistory):
        es([Position("A", 1)], lookback_days=2, holding_period_days=2)
    for bad in (D(0), D(1), D("1.5"), D(-1), 0.99, "NaN"):
        with pytest.raises(InvalidRiskParameter):
            es([Position("A", 1)], confidence=bad)
    with pytest.raises(InvalidRiskParameter):
        es([Position("A", 1)], holding_period_days=0)
    with pytest.raises(InvalidMarginAmount):
        es([Position("A", 1)], {"A": [*HAND["A"][:-1], 200.0]})
    with pytest.raises(InvalidMarginAmount, match="greater than zero"):
        es([Position("A", 1)], {"A": [D(0), *HAND["A"][1:]]})


def reference_es(positions, history, h, lookback, confidence, now=None) -> Fraction:
    """The rule written out in exact rationals: the mean of the worst tail's losses, or 0."""
    pnl = []
    for t in range(h, lookback):
        total = Fraction(0)
        for p in positions:
            closes = history[p.instrument][-lookback:]
            price = Fraction((now or {}).get(p.instrument, closes[-1]))
            total += p.quantity * price * (Fraction(closes[t]) / Fraction(closes[t - h]) - 1)
        pnl.append(total)
    losses = sorted((-x for x in pnl), reverse=True)
    k = max(1, math.ceil(len(losses) * (1 - Fraction(confidence))))
    return max(Fraction(0), sum(losses[:k]) / k)


prices = st.integers(1, 20_000).map(lambda x: D(x).scaleb(-1))


@st.composite
def markets(draw):
    """(history, holding period, lookback, confidence) for one to three instruments."""
    h = draw(st.integers(1, 3))
    lookback = draw(st.integers(h + 1, h + 12))
    n = draw(st.integers(1, 3))
    extra = draw(st.integers(0, 3))
    history = {
        f"I{k}": draw(st.lists(prices, min_size=lookback + extra, max_size=lookback + extra))
        for k in range(n)
    }
    confidence = draw(st.integers(1, 99).map(lambda x: D(x).scaleb(-2)))
    return history, h, lookback, confidence


def books(history):
    return st.lists(
        st.builds(Position, st.sampled_from(sorted(history)), st.integers(-1000, 1000)),
        max_size=4,
    )


@given(st.data(), markets())
def test_expected_shortfall_is_the_exact_tail_mean_rounded_up(data, market) -> None:
    history, h, lookback, confidence = market
    book = data.draw(books(history))
    got = expected_shortfall(
        book, history, confidence=confidence, holding_period_days=h, lookback_days=lookback
    )
    exact = reference_es(book, history, h, lookback, confidence)
    assert got == math.ceil(exact)
    assert got == got.to_integral_value() and got >= 0


@given(st.data(), markets())
def test_expected_shortfall_is_at_least_the_tail_threshold_and_at_most_the_worst_loss(
    data, market
) -> None:
    history, h, lookback, confidence = market
    book = data.draw(books(history))
    got = expected_shortfall(
        book, history, confidence=confidence, holding_period_days=h, lookback_days=lookback
    )
    losses = sorted(
        (
            -sum(
                p.quantity
                * Fraction(history[p.instrument][-1])
                * (
                    Fraction(history[p.instrument][-lookback:][t])
                    / Fraction(history[p.instrument][-lookback:][t - h])
                    - 1
                )
                for p in book
            )
            for t in range(h, lookback)
        ),
        reverse=True,
    )
    k = max(1, math.ceil(len(losses) * (1 - Fraction(confidence))))
    var = losses[k - 1]  # the loss at the confidence level: the tail's mildest member
    assert got >= var
    assert got <= max(0, math.ceil(losses[0]))


@given(st.data(), markets(), st.integers(2, 50))
def test_expected_shortfall_scales_with_position_size(data, market, k) -> None:
    history, h, lookback, confidence = market
    book = data.draw(books(history))
    kw = dict(confidence=confidence, holding_period_days=h, lookback_days=lookback)
    one = expected_shortfall(book, history, **kw)
    scaled = expected_shortfall(
        [Position(p.instrument, k * p.quantity) for p in book], history, **kw
    )
    # Exactly k times as much before rounding each up to the yen.
    assert k * one - (k - 1) <= scaled <= k * one


@given(st.data(), markets())
def test_a_combined_book_never_needs_more_than_its_parts(data, market) -> None:
    history, h, lookback, confidence = market
    first, second = data.draw(books(history)), data.draw(books(history))
    kw = dict(confidence=confidence, holding_period_days=h, lookback_days=lookback)
    together = expected_shortfall(first + second, history, **kw)
    assert together <= expected_shortfall(first, history, **kw) + expected_shortfall(
        second, history, **kw
    )


# -- add-on and initial margin -------------------------------------------------------------------


def test_add_on_applies_only_under_jpy_2bn_of_net_capital() -> None:
    assert D(2_000_000_000) == ADD_ON_CAPITAL_THRESHOLD
    assert add_on(D(1_999_999_999), D(1_000_000)) == D(100_000)
    assert add_on(D(-5), D(1_000_000)) == D(100_000)
    assert add_on(D(2_000_000_000), D(1_000_000)) == D(0)
    assert add_on(D(50_000_000_000), D(1_000_000)) == D(0)


def test_add_on_is_rounded_up_and_its_rate_is_a_parameter() -> None:
    assert add_on(D(0), D(1005)) == D(101)  # 100.5
    assert add_on(D(0), D(1000), D("0.25")) == D(250)
    with pytest.raises(InvalidRiskParameter):
        add_on(D(0), D(1000), 0.1)
    with pytest.raises(InvalidRiskParameter):
        add_on(D(0), D(1000), D("-0.1"))


def margin(net_capital, **kw):
    kw.setdefault("lookback_days", 6)
    kw.setdefault("confidence", D("0.5"))
    return initial_margin(
        [Position("A", 10)],
        trade_prices={"A": D(210)},
        current_prices={"A": D(200)},
        history=HAND,
        net_capital=net_capital,
        **kw,
    )


def test_initial_margin_adds_mtm_loss_estimated_loss_and_add_on() -> None:
    small = margin(D(500_000_000))
    assert (small.mtm_loss, small.estimated_loss, small.add_on) == (D(100), D(300), D(40))
    assert small.total == D(440)
    large = margin(D(3_000_000_000))
    assert (large.add_on, large.total) == (D(0), D(400))


def test_initial_margin_is_floored_at_zero_and_a_gain_is_no_credit() -> None:
    flat = {"A": [D(200)] * 6}
    result = initial_margin(
        [Position("A", 10)],
        trade_prices={"A": D(100)},  # 1,000 yen in the money
        current_prices={"A": D(200)},
        history=flat,
        net_capital=D(0),
        lookback_days=6,
    )
    assert result.total == D(0)
    assert (result.mtm_loss, result.estimated_loss, result.add_on) == (D(0), D(0), D(0))


def test_initial_margin_is_whole_yen_rounded_up() -> None:
    result = initial_margin(
        [Position("A", 3)],
        trade_prices={"A": D("200.1")},
        current_prices={"A": D(200)},
        history=HAND,
        net_capital=D(0),
        lookback_days=6,
        confidence=D("0.4"),
    )
    # MTM 0.3 -> 1; ES 3/10 of 400/3 = 40 exactly; add-on 10% of 41 = 4.1 -> 5.
    assert (result.mtm_loss, result.estimated_loss, result.add_on) == (D(1), D(40), D(5))
    assert result.total == D(46)
    assert all(v == v.to_integral_value() for v in vars(result).values())


# -- clearing fund -------------------------------------------------------------------------------
# `clearing_fund_shares` is deprecated in favour of `clearing_fund.member_shares` (tested in
# test_clearing_fund.py); these tests keep its old callers honest. It used to rescale the pro-rata
# factor so that shares added up to the fund; the Rules on Clearing Fund Requirements (Appended
# Table, item 1) apply the plain formula and then the JPY 10m floor, so two expectations changed.


def shares(margins: dict[str, Any], fund: Any) -> dict[str, Decimal]:
    with pytest.warns(DeprecationWarning, match="member_shares"):
        return clearing_fund_shares(margins, fund)


def test_clearing_fund_is_shared_pro_rata_to_margin() -> None:
    assert shares({"a": D(300), "b": D(100)}, D(100_000_000)) == {
        "a": D(75_000_000),
        "b": D(25_000_000),
    }


def test_members_under_the_minimum_pay_it_and_the_others_pay_the_plain_formula() -> None:
    assert CLEARING_FUND_MINIMUM == TEN_M
    margins = {"a": D(1000), "b": D(10), "c": D(0), "d": D(5000)}
    result = shares(margins, D(100_000_000))
    assert result["b"] == result["c"] == TEN_M
    # Was 13,333,334 and 66,666,667 (80m left after the minimums, rescaled 1:5). The source's
    # formula is 100m × 1000/6010 = 16,638,935.1 and 100m × 5000/6010 = 83,194,675.5, rounded up.
    assert result["a"] == D(16_638_936) and result["d"] == D(83_194_676)
    assert list(result) == list(margins)


def test_the_minimum_binds_member_by_member() -> None:
    # Was 10m each ("the minimums alone cover the fund"). The source's formula gives c
    # 25m × 3/6 = 12.5m, above the minimum, so c pays it; a (4.2m) and b (8.3m) pay the minimum.
    assert shares({"a": D(1), "b": D(2), "c": D(3)}, D(25_000_000)) == {
        "a": TEN_M,
        "b": TEN_M,
        "c": D(12_500_000),
    }


def test_with_no_margin_anywhere_the_fund_is_split_equally_at_least_the_minimum() -> None:
    assert shares({"a": 0, "b": 0}, D(5_000_000)) == {"a": TEN_M, "b": TEN_M}
    assert shares({"a": 0, "b": 0, "c": 0}, D(100_000_000)) == {m: D(33_333_334) for m in "abc"}


def test_clearing_fund_refuses_bad_input() -> None:
    with pytest.raises(InvalidMarginAmount, match="negative"):
        shares({"a": D(1)}, D(-1))
    with pytest.raises(InvalidMarginAmount):
        shares({"a": 1.5}, D(100))
    with pytest.raises(InvalidMarginAmount):
        shares({"a": D(-1)}, D(100))
    with pytest.raises(MarginInputError, match="no members"):
        shares({}, D(100))
    assert shares({}, D(0)) == {}


@given(
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3),
        st.integers(0, 10**12).map(D) | st.integers(0, 10**6).map(lambda x: D(x).scaleb(-2)),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 10**11).map(D),
)
def test_the_deprecated_function_gives_the_source_rules_shares(margins, fund) -> None:
    # Was: shares add up to the fund, give or take rounding. Under the source's rule they add up
    # to more wherever the floor binds; the properties of the rule are in test_clearing_fund.py.
    assert shares(margins, fund) == member_shares(fund, margins)


# -- trades and shares ---------------------------------------------------------------------------


def test_contracts_added_to_a_position_average_in_at_their_price() -> None:
    # (30 × 40.74m + 10 × 37.83m) / 40
    after, price = after_trade(Position("NK", 30), D(40_740_000), 10, D(37_830_000))
    assert after == Position("NK", 40) and price == D(40_012_500)
    short, price = after_trade(Position("JGB", -2), D(100), -2, D(90))
    assert short == Position("JGB", -4) and price == D(95)


def test_a_cut_or_a_close_keeps_its_price_an_opening_or_a_turn_stands_at_the_trade() -> None:
    assert after_trade(Position("NK", 8), D(40_740), -5, D(37_830)) == (Position("NK", 3), 40_740)
    assert after_trade(Position("NK", 8), D(40_740), -10, D(37_830)) == (
        Position("NK", -2),
        37_830,
    )
    assert after_trade(Position("NK", 8), D(40_740), -8, D(37_830)) == (Position("NK", 0), 40_740)
    assert after_trade(Position("NK", 8), D(40_740), 0, D(37_830)) == (Position("NK", 8), 40_740)
    assert after_trade(Position("NK", 0), D(40_740), -3, D(37_830)) == (Position("NK", -3), 37_830)


def test_a_trade_refuses_a_float_or_a_fractional_quantity() -> None:
    with pytest.raises(InvalidMarginAmount):
        after_trade(Position("NK", 1), 40_740.0, 1, D(1))
    with pytest.raises(MarginInputError):
        after_trade(Position("NK", 1), D(40_740), 1.5, D(1))  # type: ignore[arg-type]


def test_a_split_rounds_the_first_shares_up_and_the_last_takes_the_rest() -> None:
    # 100 × 2/3 = 66.67 -> 67; the last takes 33, not 33.33 rounded up.
    assert split_pro_rata(100, {"a1": D(2), "a2": D(1)}) == {"a1": 67, "a2": 33}
    assert split_pro_rata(D("99.5"), {"a": 1, "b": 1}) == {"a": 50, "b": 50}  # 100, rounded up
    assert split_pro_rata(1, {"a": 1, "b": 1, "c": 1}) == {"a": 1, "b": 0, "c": 0}  # none < 0
    assert split_pro_rata(10, {"a": 0, "b": 5}) == {"a": 0, "b": 10}


def test_a_split_refuses_what_it_cannot_share_by() -> None:
    with pytest.raises(MarginInputError, match="no weight"):
        split_pro_rata(100, {"a": 0, "b": 0})
    with pytest.raises(MarginInputError, match="no weight"):
        split_pro_rata(100, {})
    with pytest.raises(InvalidMarginAmount, match="negative"):
        split_pro_rata(100, {"a": D(-1), "b": D(2)})
    with pytest.raises(InvalidMarginAmount):
        split_pro_rata(100.0, {"a": 1})


@given(
    st.integers(0, 10**12),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=8).filter(any),
)
def test_a_split_adds_up_exactly_and_each_share_is_within_a_yen_of_pro_rata(
    total: int, weights: list[int]
) -> None:
    split = split_pro_rata(total, {f"c{i}": w for i, w in enumerate(weights)})
    assert sum(split.values()) == total and all(v >= 0 for v in split.values())
    exact = [Fraction(total * w, sum(weights)) for w in weights]
    assert all(abs(v - x) < 1 for v, x in zip(split.values(), exact, strict=True))
    assert split["c0"] == math.ceil(exact[0])
