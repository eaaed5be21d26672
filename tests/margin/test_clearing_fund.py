"""The clearing fund as the Rules on Clearing Fund Requirements size and share it.

Each member's stress loss, less the initial margin set against it, is its excess risk; the day's
largest is recorded; the fund total is the average of those records over six months back from
the computation date; each member's share is the total pro rata to its initial margin, at least
JPY 10m, never rescaled. All but the last test are off chain.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import Market

from pyclient import AccountKind, MarginEngine, Portfolio
from pyclient.errors import ParticipantNotFound
from pyclient.margin import (
    CLEARING_FUND_MINIMUM,
    DEFAULT_SCENARIOS,
    ClearingFund,
    IncompleteExcessRiskRecord,
    InvalidMarginAmount,
    InvalidRiskParameter,
    MarginInputError,
    MarginResult,
    NoExcessRiskRecord,
    Position,
    StressScenario,
    UnknownInstrument,
    daily_maximum,
    excess_risk,
    fund_total,
    fund_window,
    is_business_day,
    member_shares,
    record_day,
    size_clearing_fund,
    stress_loss,
)

D = Decimal
M = 1_000_000
TEN_M = D(10 * M)

CRASH = StressScenario("crash", {"NK225-FUT": D("-0.15")})
RALLY = StressScenario("rally", {"NK225-FUT": D("0.10")})


def full_record(as_of: date, value: int | Decimal = 0) -> dict[date, Decimal]:
    return {d: D(value) for d in fund_window(as_of)}


# -- stress loss ---------------------------------------------------------------------------------


def test_the_worst_scenario_decides_the_stress_loss() -> None:
    long, short = [Position("NK225-FUT", 10)], [Position("NK225-FUT", -10)]
    price = {"NK225-FUT": D(40_000)}
    # 10 contracts × 40,000 = 400,000 of exposure: the crash (-15%) costs the long 60,000; the
    # rally (+10%) costs the short 40,000, and the crash is a gain to it.
    assert stress_loss(long, price, [CRASH, RALLY]) == D(60_000)
    assert stress_loss(short, price, [CRASH, RALLY]) == D(40_000)
    assert stress_loss(short, price, [CRASH]) == D(0)


def test_gains_offset_losses_within_a_scenario_and_a_gain_is_a_loss_of_zero() -> None:
    both = StressScenario("both", {"A": D("-0.10"), "B": D("0.05")})
    price = {"A": D(1_000), "B": D(1_000)}
    # Long 10 A loses 1,000; long 10 B gains 500: the book loses 500.
    assert stress_loss([Position("A", 10), Position("B", 10)], price, [both]) == D(500)
    assert stress_loss([Position("A", -10), Position("B", 10)], price, [both]) == D(0)
    assert stress_loss([], price, [both]) == D(0)


def test_the_stress_loss_is_rounded_up_to_the_yen() -> None:
    scenario = StressScenario("dip", others=D("-0.1"))
    assert stress_loss([Position("7203", 1)], {"7203": D(333)}, [scenario]) == D(34)  # 33.3
    assert stress_loss([Position("7203", 1)], {"7203": D(330)}, [scenario]) == D(33)


def test_against_trade_prices_the_loss_since_trade_counts_too() -> None:
    # Bought at 1,000, now 900: already 100 down, then -15% of 900 = 135 more.
    position, now, traded = [Position("NK225-FUT", 1)], {"NK225-FUT": 900}, {"NK225-FUT": 1_000}
    assert stress_loss(position, now, [CRASH]) == D(135)
    assert stress_loss(position, now, [CRASH], trade_prices=traded) == D(235)


def test_an_instrument_a_scenario_does_not_move_is_refused_unless_others_covers_it() -> None:
    with pytest.raises(UnknownInstrument, match="crash gives no move for 7203"):
        stress_loss([Position("7203", 1)], {"7203": D(3_000)}, [CRASH])
    with pytest.raises(UnknownInstrument, match="no price for 7203"):
        stress_loss([Position("7203", 1)], {}, DEFAULT_SCENARIOS)
    assert stress_loss([Position("7203", 100)], {"7203": D(3_000)}) == D(54_000)  # -18%


def test_the_default_scenarios_are_the_documented_parametrisation() -> None:
    moves = {
        s.name: (s.shock("NK225-FUT"), s.shock("TOPIX-FUT"), s.shock("7203"), s.shock("JGB-FUT"))
        for s in DEFAULT_SCENARIOS
    }
    assert moves == {
        "equity-crash": (D("-0.18"),) * 3 + (D("0.01"),),
        "equity-rally": (D("0.15"),) * 3 + (D("-0.01"),),
        "rates-spike": (D("-0.10"),) * 3 + (D("-0.03"),),
        "flight-to-quality": (D("-0.10"),) * 3 + (D("0.03"),),
    }


def test_scenarios_refuse_floats_moves_below_minus_100_percent_and_emptiness() -> None:
    with pytest.raises(InvalidRiskParameter, match="Decimal"):
        StressScenario("x", {"A": -0.15})  # type: ignore[dict-item]
    with pytest.raises(InvalidRiskParameter, match="below zero"):
        StressScenario("x", {"A": D("-1.01")})
    with pytest.raises(InvalidRiskParameter, match="Decimal"):
        StressScenario("x", others=0.1)  # type: ignore[arg-type]
    with pytest.raises(InvalidRiskParameter, match="name"):
        StressScenario("", {"A": D(0)})
    assert StressScenario("wipe-out", {"A": D(-1)}).shock("A") == D(-1)
    with pytest.raises(InvalidRiskParameter, match="no stress scenarios"):
        stress_loss([Position("A", 1)], {"A": D(1)}, [])
    with pytest.raises(InvalidMarginAmount):
        stress_loss([Position("NK225-FUT", 1)], {"NK225-FUT": 1.5}, [CRASH])


# -- excess risk ---------------------------------------------------------------------------------


def test_excess_risk_is_the_stress_loss_beyond_the_previous_days_margin() -> None:
    assert excess_risk(D(80 * M), D(50 * M)) == D(30 * M)
    assert excess_risk(D("80000000.2"), D(50 * M)) == D(30 * M + 1)  # rounded up


def test_intraday_margin_counts_only_when_it_exceeds_the_previous_days_by_more_than_30m() -> None:
    loss, previous = D(200 * M), D(100 * M)
    # Exactly 30m above: "more than 30m" is not met, so the previous day's margin is deducted.
    assert excess_risk(loss, previous, intraday_im=D(130_000_000)) == D(100 * M)
    # One yen more: the intraday margin is deducted instead.
    assert excess_risk(loss, previous, intraday_im=D(130_000_001)) == D(69_999_999)
    # A lower intraday figure never replaces the previous day's.
    assert excess_risk(loss, previous, intraday_im=D(10 * M)) == D(100 * M)


def test_excess_risk_is_never_negative() -> None:
    assert excess_risk(D(40 * M), D(50 * M)) == D(0)
    assert excess_risk(D(100 * M), D(50 * M), intraday_im=D(150 * M)) == D(0)


def test_excess_risk_refuses_floats_and_negatives() -> None:
    with pytest.raises(InvalidMarginAmount, match="float"):
        excess_risk(1.0, D(0))
    with pytest.raises(InvalidMarginAmount, match="negative"):
        excess_risk(D(1), D(-1))
    with pytest.raises(InvalidMarginAmount, match="intraday"):
        excess_risk(D(1), D(0), intraday_im=D(-1))


@given(
    st.integers(0, 10**12), st.integers(0, 10**12), st.none() | st.integers(0, 10**12)
)  # fmt: skip
def test_excess_risk_is_the_loss_less_one_of_the_two_margins_and_never_below_zero(
    loss: int, previous: int, intraday: int | None
) -> None:
    result = excess_risk(loss, previous, intraday)
    assert 0 <= result <= max(0, loss - previous)
    assert result in {max(0, loss - previous), max(0, loss - (intraday or 0))}


def test_the_days_maximum_is_its_largest_members_excess_risk() -> None:
    assert daily_maximum({"a": D(0), "b": D(24 * M), "c": D(22 * M)}) == D(24 * M)
    with pytest.raises(MarginInputError, match="no member"):
        daily_maximum({})


# -- the six-month window ------------------------------------------------------------------------


def test_the_window_runs_from_after_the_day_six_months_back_to_the_computation_date() -> None:
    days = fund_window(date(2025, 11, 26))
    assert is_business_day(date(2025, 5, 26))  # six months back: a business day, left out
    assert (days[0], days[-1]) == (date(2025, 5, 27), date(2025, 11, 26))
    assert date(2025, 11, 3) not in days  # Culture Day: not a business day
    assert all(is_business_day(d) for d in days)


def test_a_month_end_goes_back_to_the_shorter_months_last_day() -> None:
    # 31 Aug (a Sunday) - 6 months = 28 Feb 2025, left out; 1-2 Mar is a weekend.
    days = fund_window(date(2025, 8, 31))
    assert (days[0], days[-1]) == (date(2025, 3, 3), date(2025, 8, 29))
    assert fund_window(date(2024, 8, 31))[0] == date(2024, 3, 1)  # back to 29 Feb 2024


def test_records_outside_the_window_are_ignored() -> None:
    as_of = date(2025, 11, 26)
    record = full_record(as_of, 6 * M)
    record[date(2025, 5, 26)] = D(999 * M)  # the day six months back
    record[date(2025, 11, 27)] = D(999 * M)  # after the computation date
    assert fund_total(record, as_of) == D(6 * M)


def test_a_business_day_without_a_record_is_refused_and_named() -> None:
    as_of = date(2025, 11, 26)
    record = full_record(as_of, 6 * M)
    del record[date(2025, 5, 27)], record[date(2025, 11, 26)]  # both ends of the window
    with pytest.raises(
        IncompleteExcessRiskRecord, match=r"2 of \d+ business .*: 2025-05-27, 2025-11-26"
    ) as e:
        fund_total(record, as_of)
    assert e.value.missing == (date(2025, 5, 27), date(2025, 11, 26))
    assert e.value.window == (date(2025, 5, 27), as_of)
    assert not isinstance(e.value, NoExcessRiskRecord)


def test_a_window_with_no_record_at_all_is_refused() -> None:
    as_of = date(2025, 11, 26)
    with pytest.raises(NoExcessRiskRecord, match="no excess risk recorded") as e:
        fund_total({date(2025, 1, 6): D(M)}, as_of)
    assert len(e.value.missing) == len(fund_window(as_of))
    with pytest.raises(NoExcessRiskRecord):  # a record that starts after the date
        fund_total({}, as_of, record_starts=date(2025, 11, 27))


def test_days_before_the_record_starts_are_not_missing() -> None:
    as_of = date(2025, 12, 3)
    record = {date(2025, 12, 1): D(3 * M), date(2025, 12, 2): D(6 * M), as_of: D(12 * M)}
    assert fund_window(as_of, record_starts=date(2025, 12, 1)) == tuple(record)
    assert fund_total(record, as_of, record_starts=date(2025, 12, 1)) == D(7 * M)
    with pytest.raises(IncompleteExcessRiskRecord):
        fund_total(record, as_of)


def test_the_average_is_rounded_up_to_the_yen() -> None:
    as_of, start = date(2025, 12, 3), date(2025, 12, 1)
    record = {date(2025, 12, 1): D(1), date(2025, 12, 2): D(1), as_of: D(2)}
    assert fund_total(record, as_of, record_starts=start) == D(2)  # 4/3


def test_a_record_on_a_holiday_or_keyed_by_datetime_is_refused() -> None:
    as_of = date(2025, 11, 26)
    record = full_record(as_of)
    with pytest.raises(MarginInputError, match="2025-11-03, not a business day"):
        fund_total({**record, date(2025, 11, 3): D(1)}, as_of)
    with pytest.raises(MarginInputError, match="must be a date"):
        fund_total({datetime(2025, 11, 26, 15): D(1)}, as_of)
    with pytest.raises(InvalidMarginAmount, match="negative"):
        fund_total({**record, as_of: D(-1)}, as_of)


# -- members' shares -----------------------------------------------------------------------------


def test_shares_are_the_plain_formula_and_not_rescaled_to_the_total() -> None:
    # 100m × 99/999 = 9,909,909.9 < 10m: the minimum. 100m × 900/999 = 90,090,090.09: rounded up.
    shares = member_shares(D(100 * M), {"a": D(900), "b": D(99)})
    assert shares == {"a": D(90_090_091), "b": TEN_M}
    assert sum(shares.values()) == D(100_090_091)  # more than the fund: the floor binds


def test_the_floor_is_exactly_ten_million() -> None:
    assert CLEARING_FUND_MINIMUM == TEN_M
    assert member_shares(D(100 * M), {"a": D(900), "b": D(100)}) == {"a": D(90 * M), "b": TEN_M}
    # 1 yen above the floor by formula stays the formula.
    assert member_shares(D(10 * M + 1), {"a": D(1)}) == {"a": D(10 * M + 1)}
    assert member_shares(D(0), {"a": D(1), "b": D(0)}) == {"a": TEN_M, "b": TEN_M}


def test_each_share_is_rounded_up_to_the_yen() -> None:
    shares = member_shares(D(100 * M), {"a": D(1), "b": D(2)})
    assert shares == {"a": D(33_333_334), "b": D(66_666_667)}


def test_with_no_basis_anywhere_the_total_is_split_equally() -> None:
    assert member_shares(D(60 * M), {"a": 0, "b": 0, "c": 0}) == {m: D(20 * M) for m in "abc"}
    assert member_shares(D(5 * M), {"a": 0, "b": 0}) == {"a": TEN_M, "b": TEN_M}


def test_member_shares_refuse_bad_input() -> None:
    with pytest.raises(InvalidMarginAmount, match="float"):
        member_shares(D(1), {"a": 1.5})
    with pytest.raises(InvalidMarginAmount, match="negative"):
        member_shares(D(-1), {"a": D(1)})
    with pytest.raises(MarginInputError, match="no members"):
        member_shares(D(1), {})
    assert member_shares(D(0), {}) == {}


BASES = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=3),
    st.integers(0, 10**12).map(D) | st.integers(0, 10**6).map(lambda x: D(x).scaleb(-2)),
    min_size=1,
    max_size=8,
)


@given(BASES, st.integers(0, 10**11).map(D))
def test_shares_never_fall_below_the_floor_and_add_up_to_at_least_the_total(
    bases: dict[str, Decimal], total: Decimal
) -> None:
    shares = member_shares(total, bases)
    assert set(shares) == set(bases)
    assert all(s >= TEN_M and s == s.to_integral_value() for s in shares.values())
    assert sum(shares.values()) >= total
    for i in bases:  # more margin never means a smaller share
        for j in bases:
            if bases[i] < bases[j]:
                assert shares[i] <= shares[j]


@given(BASES, st.integers(0, 10**11).map(D))
def test_shares_above_the_floor_are_the_total_pro_rata(
    bases: dict[str, Decimal], total: Decimal
) -> None:
    shares = member_shares(total, bases)
    whole = sum(map(Fraction, bases.values()))
    for m, share in shares.items():
        if share > TEN_M:  # the floor does not bind: the formula, rounded up by under a yen
            if whole:
                exact = Fraction(total) * Fraction(bases[m]) / whole
            else:  # no basis anywhere: the total is split equally (documented)
                exact = Fraction(total) / len(bases)
            assert share - 1 < exact <= share


# -- the whole rule, by hand ---------------------------------------------------------------------

# A clearing house that began recording on Mon 1 Dec 2025 sizes its fund on Wed 3 Dec. Member a
# is long 10 NK225-FUT at JPY 40m a contract (400m); member b is short 20 JGB-FUT at 140m (2.8bn);
# member c holds 1,000 shares of 7203 at 3,000 (3m).
PRICES = {"NK225-FUT": D(40 * M), "JGB-FUT": D(140 * M), "7203": D(3_000)}
BOOKS = {
    "a": [Position("NK225-FUT", 10)],
    "b": [Position("JGB-FUT", -20)],
    "c": [Position("7203", 1_000)],
}
PREVIOUS_IM = {"a": D(50 * M), "b": D(60 * M), "c": D(10 * M)}


def test_worked_example_from_positions_to_shares() -> None:
    losses = {m: stress_loss(book, PRICES) for m, book in BOOKS.items()}
    # a: equity-crash, 400m × 18% = 72m. b: flight-to-quality, 2.8bn × 3% = 84m (short, JGB up).
    # c: equity-crash, 3m × 18% = 540,000.
    assert losses == {"a": D(72 * M), "b": D(84 * M), "c": D(540_000)}

    # Mon 1 Dec: excess over yesterday's margin: a 22m, b 24m, c nothing. The day's max: 24m.
    monday = {m: excess_risk(losses[m], PREVIOUS_IM[m]) for m in BOOKS}
    assert monday == {"a": D(22 * M), "b": D(24 * M), "c": D(0)}
    # Tue 2 Dec: b's intraday margin is 90,000,001, more than 30m above 60m, so it is deducted
    # instead and b has no excess; a's 22m is the day's max. Wed 3 Dec was a stressed day: 44m.
    tuesday = {**monday, "b": excess_risk(losses["b"], PREVIOUS_IM["b"], D(90_000_001))}
    assert tuesday["b"] == D(0)
    record = {
        date(2025, 12, 1): daily_maximum(monday),
        date(2025, 12, 2): daily_maximum(tuesday),
        date(2025, 12, 3): D(44 * M),
    }
    assert list(record.values()) == [D(24 * M), D(22 * M), D(44 * M)]

    # Fund total: (24m + 22m + 44m) / 3 = 30m. Shares pro rata to margins 50 : 60 : 10 (of 120):
    # 12.5m, 15m and 2.5m, which the floor lifts to 10m; together 37.5m, more than the fund.
    fund = size_clearing_fund(
        record, date(2025, 12, 3), PREVIOUS_IM, record_starts=date(2025, 12, 1)
    )
    assert isinstance(fund, ClearingFund) and (fund.total, fund.days) == (D(30 * M), 3)
    assert fund.shares == {"a": D(12_500_000), "b": D(15 * M), "c": TEN_M}
    assert fund.required == D(37_500_000)
    assert fund.total == fund_total(record, date(2025, 12, 3), record_starts=date(2025, 12, 1))


def test_a_day_of_the_record_from_each_members_book_applies_the_30m_rule() -> None:
    """`record_day` from the books: b's intraday margin 30m above yesterday's is not deducted,
    one yen more is; the figures it keeps are the ones the worked example computes by hand."""
    monday = record_day(date(2025, 12, 1), BOOKS, PRICES, PREVIOUS_IM)
    assert {m: monday.stress_loss(m) for m in BOOKS} == {"a": D(72 * M), "b": D(84 * M),
                                                         "c": D(540_000)}  # fmt: skip
    assert monday.losses["b"]["flight-to-quality"] == D(84 * M)
    assert dict(monday.excess) == {"a": D(22 * M), "b": D(24 * M), "c": D(0)}
    assert dict(monday.covering) == PREVIOUS_IM and monday.maximum == D(24 * M)

    at_threshold = record_day(
        date(2025, 12, 2), BOOKS, PRICES, PREVIOUS_IM, intraday_margin={"b": D(90 * M)}
    )
    assert (at_threshold.covering["b"], at_threshold.excess["b"]) == (D(60 * M), D(24 * M))
    above = record_day(
        date(2025, 12, 2), BOOKS, PRICES, PREVIOUS_IM, intraday_margin={"b": D(90 * M + 1)}
    )
    assert (above.covering["b"], above.excess["b"], above.maximum) == (
        D(90 * M + 1), D(0), D(22 * M),
    )  # fmt: skip


def test_a_day_is_refused_without_every_members_previous_margin_or_off_the_calendar() -> None:
    with pytest.raises(MarginInputError, match="no previous day's initial margin for c"):
        record_day(date(2025, 12, 1), BOOKS, PRICES, {"a": 0, "b": 0})
    with pytest.raises(MarginInputError, match="not a business day"):
        record_day(date(2025, 11, 30), BOOKS, PRICES, PREVIOUS_IM)  # a Sunday
    with pytest.raises(MarginInputError, match="must be a date"):
        record_day(datetime(2025, 12, 1), BOOKS, PRICES, PREVIOUS_IM)


# -- on chain ------------------------------------------------------------------------------------


def test_posted_clearing_fund_requirements_equal_the_computed_shares(market: Market) -> None:
    w = market.world
    w.ccp.margin.open_account("member-b", AccountKind.CLEARING_FUND)
    record = {
        date(2025, 12, 1): D(24 * M),
        date(2025, 12, 2): D(22 * M),
        date(2025, 12, 3): D(44 * M),
    }
    fund = size_clearing_fund(
        record,
        date(2025, 12, 3),
        {"member-a": D(50 * M), "member-b": D(60 * M)},
        record_starts=date(2025, 12, 1),
    )
    # 30m × 50/110 = 13,636,363.6 and 30m × 60/110 = 16,363,636.4, each rounded up.
    assert dict(fund.shares) == {"member-a": D(13_636_364), "member-b": D(16_363_637)}
    block = w.chain.w3.eth.block_number
    posted = MarginEngine(w.ccp).post_clearing_fund_shares(fund, run_id="cf 2025-12-03")
    assert w.chain.w3.eth.block_number == block + 1  # one transaction for every member
    assert posted == dict(fund.shares)
    on_chain = {
        name: member.vault_account(AccountKind.CLEARING_FUND).requirement_jpy
        for name, member in (("member-a", w.member_a), ("member-b", w.member_b))
    }
    assert on_chain == {m: int(s) for m, s in fund.shares.items()}


def test_posting_a_share_for_an_unknown_member_is_refused_and_nothing_is_sent(
    market: Market,
) -> None:
    w = market.world
    engine = MarginEngine(w.ccp)
    block = w.chain.w3.eth.block_number
    with pytest.raises(ParticipantNotFound):
        engine.post_clearing_fund_shares({"member-a": TEN_M, "nobody": TEN_M}, run_id="cf-x")
    assert w.chain.w3.eth.block_number == block
    assert w.member_a.vault_account(AccountKind.CLEARING_FUND).requirement_jpy == 0


def test_from_account_books_to_posted_shares_by_clearing_member(market: Market) -> None:
    """End to end: the engine groups accounts into each member's whole book (client-seg clears
    through member-b, so its positions are member-b's), margins them, records the day with the
    previous day's margins deducted, sizes the fund and posts each member's share."""
    w = market.world
    w.ccp.margin.open_account("member-b", AccountKind.CLEARING_FUND)
    prices = {"NK225-FUT": D(40 * M), "JGB-FUT": D(140 * M)}
    books = [
        Portfolio(market.house_a, [Position("NK225-FUT", 10)], prices, 0),
        Portfolio(market.omnibus_a, [Position("NK225-FUT", -4)], prices, 0),
        Portfolio(market.house_b, [Position("JGB-FUT", -20)], prices, 0),
        Portfolio(market.segregated, [Position("NK225-FUT", 5)], prices, 0),
    ]
    engine = MarginEngine(w.ccp)
    by_member = engine.member_books(books)
    assert by_member == {
        "member-a": [Position("NK225-FUT", 10), Position("NK225-FUT", -4)],
        "member-b": [Position("JGB-FUT", -20), Position("NK225-FUT", 5)],
    }
    # member-a, 6 long NK x 40m: equity crash -18%, 43.2m. member-b, 20 short JGB x 140m and 5
    # long NK x 40m: flight to quality (JGB +3%, NK -10%) loses 84m + 20m = 104m.
    yesterday = {"member-a": D(40 * M), "member-b": D(50 * M)}
    day = record_day(date(2025, 12, 3), by_member, prices, yesterday,
                     intraday_margin={"member-b": D(80 * M + 1)})  # fmt: skip
    assert {m: day.stress_loss(m) for m in by_member} == {"member-a": D(43_200_000),
                                                          "member-b": D(104 * M)}  # fmt: skip
    # member-b's intraday margin is 30m + 1 above yesterday's: it is what is deducted.
    assert dict(day.excess) == {"member-a": D(3_200_000), "member-b": D(23_999_999)}
    fund = size_clearing_fund({day.day: day.maximum}, day.day, yesterday,
                              record_starts=day.day)  # fmt: skip
    # 23,999,999 x 40/90 and x 50/90, each rounded up.
    assert fund.total == D(23_999_999)
    assert dict(fund.shares) == {"member-a": D(10_666_667), "member-b": D(13_333_333)}
    engine.post_clearing_fund_shares(fund, run_id="cf 2025-12-03")
    assert w.member_b.vault_account(AccountKind.CLEARING_FUND).requirement_jpy == 13_333_333


def test_a_members_margin_is_the_sum_over_its_own_and_its_clients_accounts(market: Market) -> None:
    engine = MarginEngine(market.world.ccp)
    results = {market.house_b: MarginResult(D(0), D(7), D(0), D(7)),
               market.segregated: MarginResult(D(0), D(5), D(0), D(5)),
               market.house_a: MarginResult(D(1), D(2), D(0), D(3))}  # fmt: skip
    assert engine.member_margins(results) == {"member-a": D(3), "member-b": D(12)}
