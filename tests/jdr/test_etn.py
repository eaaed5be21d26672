"""The exchange's issuer criteria for an ETN-type JDR (TSE ETN overview): listing needs net
assets of JPY 500bn, a capital ratio above 8%, A- or better, notes within 25% of net assets and
redemption at least every 5 business days; delisting follows 3 years under JPY 250bn, at 8% or
less, under BBB- or over 25%, or a year of correlation under 0.9. None of these tests touches
the chain.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from pyclient.errors import HistoryRefused, InputError, InvalidAmount, UnknownRating
from pyclient.jdr.etn import (
    RATING_SCALE,
    DelistingCriterion,
    IssuerFacts,
    IssuerKind,
    Rating,
    delisting_check,
    listing_eligibility,
)

D = Decimal
BN = 1_000_000_000
SOUND = IssuerFacts(
    net_assets_jpy=2_000 * BN,
    capital_ratio=D("0.135"),
    rating="AA-",
    notes_outstanding_jpy=100 * BN,
    redemption_interval_business_days=1,
)


# -- ratings --------------------------------------------------------------------------------------


def test_a_better_rating_compares_greater_notch_by_notch() -> None:
    assert Rating("AAA") > Rating("AA+") > Rating("A") > Rating("A-") > Rating("BBB+")
    assert Rating("BBB-") > Rating("BB+") > Rating("C") > Rating("D")
    ratings = [Rating(s) for s in RATING_SCALE]
    assert sorted(ratings, reverse=True) == ratings
    assert Rating("AAA").notch == 21 and Rating("D").notch == 0


def test_a_rating_is_read_whatever_its_case_spacing_or_minus_sign() -> None:
    assert Rating("a-") == Rating(" A- ") == Rating("A−") == Rating("Ａ－".replace("Ａ", "A"))
    assert Rating("bbb +").symbol == "BBB+" and str(Rating("bbb-")) == "BBB-"


@pytest.mark.parametrize("symbol", ["Aa1", "A++", "", "SD", "AAA-", "B B B一"])
def test_a_symbol_off_the_scale_is_refused(symbol: str) -> None:
    with pytest.raises(UnknownRating, match="not a rating") as refused:
        Rating(symbol)
    assert isinstance(refused.value, InputError)


def test_issuer_facts_with_an_unknown_rating_are_refused() -> None:
    with pytest.raises(UnknownRating):
        replace(SOUND, rating="Baa3")


# -- listing --------------------------------------------------------------------------------------


def test_a_sound_issuer_is_eligible_on_every_criterion() -> None:
    report = listing_eligibility(SOUND)
    assert report.eligible and report.unmet == ()
    assert [(c.name, c.required, c.actual) for c in report.criteria] == [
        ("net assets", ">= JPY 500,000,000,000", "JPY 2,000,000,000,000"),
        ("capital ratio", "> 8%", "13.5%"),
        ("credit rating", ">= A-", "AA-"),
        ("notes issued", "<= 25% of net assets", "JPY 100,000,000,000 (5.00% of net assets)"),
        ("redemption", "at least every 5 business days", "every 1 business days"),
    ]


def unmet(facts: IssuerFacts) -> list[str]:
    return [c.name for c in listing_eligibility(facts).unmet]


def test_net_assets_of_exactly_500bn_qualify_one_yen_less_does_not() -> None:
    assert unmet(replace(SOUND, net_assets_jpy=500 * BN)) == []
    assert unmet(replace(SOUND, net_assets_jpy=500 * BN - 1)) == ["net assets"]


def test_a_capital_ratio_of_exactly_8_percent_does_not_qualify_above_it_does() -> None:
    assert unmet(replace(SOUND, capital_ratio=D("0.08"))) == ["capital ratio"]
    assert unmet(replace(SOUND, capital_ratio=D("0.0801"))) == []


def test_a_securities_firm_needs_a_capital_adequacy_ratio_above_200_percent() -> None:
    firm = replace(SOUND, kind=IssuerKind.SECURITIES_FIRM, capital_ratio=D(2))
    [criterion] = listing_eligibility(firm).unmet
    assert (criterion.required, criterion.actual) == ("> 200%", "200%")
    assert unmet(replace(firm, capital_ratio=D("2.005"))) == []


def test_a_rating_of_a_minus_qualifies_bbb_plus_does_not() -> None:
    assert unmet(replace(SOUND, rating="A-")) == []
    assert unmet(replace(SOUND, rating="BBB+")) == ["credit rating"]


def test_notes_of_exactly_25_percent_of_net_assets_qualify_one_yen_more_does_not() -> None:
    at_cap = replace(SOUND, notes_outstanding_jpy=500 * BN)
    assert unmet(at_cap) == []
    over = replace(SOUND, notes_outstanding_jpy=500 * BN + 1)
    assert unmet(over) == ["notes issued"]
    assert listing_eligibility(over).unmet[0].actual.endswith("(25.00% of net assets)")


def test_redemption_every_5_business_days_qualifies_every_6_does_not() -> None:
    assert unmet(replace(SOUND, redemption_interval_business_days=5)) == []
    assert unmet(replace(SOUND, redemption_interval_business_days=6)) == ["redemption"]


def test_a_weak_issuer_fails_every_criterion_it_misses() -> None:
    weak = IssuerFacts(400 * BN, D("0.07"), "BB", 150 * BN, 10)
    report = listing_eligibility(weak)
    assert not report.eligible and len(report.unmet) == 5


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"capital_ratio": D("8.5")}, "a fraction"),
        ({"capital_ratio": 0.085}, "finite Decimal"),
        ({"capital_ratio": D(-1)}, "cannot be negative"),
        ({"net_assets_jpy": 1.5e12}, "must be an int"),
        ({"notes_outstanding_jpy": -1}, "at least 0"),
        ({"redemption_interval_business_days": 0}, "at least 1"),
        ({"redemption_interval_business_days": True}, "must be an int"),
    ],
)
def test_facts_that_cannot_be_right_are_refused(change: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidAmount, match=words) as refused:
        replace(SOUND, **change)
    assert isinstance(refused.value, InputError)


# -- delisting ------------------------------------------------------------------------------------


def criterion(
    history: list[tuple[date, IssuerFacts]], as_of: date, name: str
) -> DelistingCriterion:
    report = delisting_check(history, None, as_of)
    return next(c for c in report.criteria if c.name == name)


def test_a_sound_issuer_meets_no_delisting_criterion() -> None:
    report = delisting_check([(date(2025, 3, 31), SOUND)], None, date(2026, 6, 1))
    assert not report.delist and report.met == () and report.pending == ()
    assert [c.name for c in report.criteria] == [
        "net assets", "capital ratio", "credit rating", "notes issued", "redemption",
        "correlation",
    ]  # fmt: skip


def test_net_assets_under_250bn_for_3_years_meet_the_criterion_on_the_anniversary() -> None:
    low = replace(SOUND, net_assets_jpy=200 * BN, notes_outstanding_jpy=0)
    history = [(date(2022, 3, 31), SOUND), (date(2023, 3, 31), low), (date(2024, 3, 31), low)]
    before = criterion(history, date(2026, 3, 30), "net assets")
    assert (before.since, before.deadline, before.met) == (
        date(2023, 3, 31),
        date(2026, 3, 31),
        False,
    )
    assert delisting_check(history, None, date(2026, 3, 30)).pending == (before,)
    on = criterion(history, date(2026, 3, 31), "net assets")
    assert on.met and on.actual == "JPY 200,000,000,000"
    assert delisting_check(history, None, date(2026, 3, 31)).delist


def test_net_assets_of_exactly_250bn_are_not_under_the_floor() -> None:
    at_floor = replace(SOUND, net_assets_jpy=250 * BN, notes_outstanding_jpy=0)
    c = criterion([(date(2020, 3, 31), at_floor)], date(2026, 3, 31), "net assets")
    assert c.since is None and not c.met


def test_a_recovery_restarts_the_3_year_clock() -> None:
    low = replace(SOUND, net_assets_jpy=200 * BN, notes_outstanding_jpy=0)
    mended = replace(low, net_assets_jpy=260 * BN)
    history = [(date(2023, 3, 31), low), (date(2024, 3, 31), mended), (date(2025, 3, 31), low)]
    c = criterion(history, date(2026, 12, 31), "net assets")
    assert (c.since, c.deadline, c.met) == (date(2025, 3, 31), date(2028, 3, 31), False)


def test_a_capital_ratio_of_exactly_8_percent_starts_the_clock() -> None:
    history = [(date(2023, 3, 31), replace(SOUND, capital_ratio=D("0.08")))]
    c = criterion(history, date(2026, 3, 31), "capital ratio")
    assert c.since == date(2023, 3, 31) and c.met and c.condition == "<= 8% for 3 years"


def test_a_rating_of_bbb_minus_is_not_under_the_floor_bb_plus_is() -> None:
    history = [(date(2023, 6, 1), replace(SOUND, rating="BBB-"))]
    assert criterion(history, date(2026, 6, 1), "credit rating").since is None
    history = [(date(2023, 6, 1), replace(SOUND, rating="BB+"))]
    c = criterion(history, date(2026, 6, 1), "credit rating")
    assert c.met and c.actual == "BB+"


def test_notes_over_25_percent_start_the_clock_at_exactly_25_they_do_not() -> None:
    at_cap = replace(SOUND, notes_outstanding_jpy=500 * BN)
    assert criterion([(date(2023, 6, 1), at_cap)], date(2026, 6, 1), "notes issued").since is None
    over = replace(SOUND, notes_outstanding_jpy=500 * BN + 1)
    assert criterion([(date(2023, 6, 1), over)], date(2026, 6, 1), "notes issued").met


def test_dropping_the_5_day_redemption_is_a_criterion_at_once() -> None:
    dropped = replace(SOUND, redemption_interval_business_days=20)
    history = [(date(2026, 5, 1), SOUND), (date(2026, 6, 1), dropped)]
    c = criterion(history, date(2026, 6, 1), "redemption")
    assert (c.since, c.deadline, c.met) == (date(2026, 6, 1), date(2026, 6, 1), True)


def test_a_correlation_under_0_9_for_a_year_is_a_criterion() -> None:
    history = [(date(2025, 3, 31), SOUND)]
    report = delisting_check(history, date(2025, 6, 30), date(2026, 6, 29))
    [pending] = report.pending
    assert (pending.name, pending.deadline, pending.met) == (
        "correlation",
        date(2026, 6, 30),
        False,
    )
    [met] = delisting_check(history, date(2025, 6, 30), date(2026, 6, 30)).met
    assert met.name == "correlation" and met.since == date(2025, 6, 30)


def test_a_clock_started_on_29_february_runs_to_28_february() -> None:
    low = replace(SOUND, net_assets_jpy=100 * BN, notes_outstanding_jpy=0)
    c = criterion([(date(2024, 2, 29), low)], date(2027, 2, 28), "net assets")
    assert c.deadline == date(2027, 2, 28) and c.met


def test_facts_after_as_of_are_not_read() -> None:
    low = replace(SOUND, net_assets_jpy=100 * BN, notes_outstanding_jpy=0)
    history = [(date(2022, 3, 30), low), (date(2025, 3, 31), SOUND)]
    assert criterion(history, date(2025, 3, 30), "net assets").met
    assert criterion(history, date(2025, 3, 31), "net assets").since is None


@pytest.mark.parametrize(
    ("history", "breach", "words"),
    [
        ([(date(2025, 3, 31), SOUND), (date(2024, 3, 31), SOUND)], None, "out of order"),
        ([(date(2025, 3, 31), SOUND), (date(2025, 3, 31), SOUND)], None, "repeated"),
        ([(date(2027, 3, 31), SOUND)], None, "no facts on or before 2026-06-01"),
        ([(date(2025, 3, 31), SOUND)], date(2026, 6, 2), "after 2026-06-01"),
        ([(date(2025, 3, 31), "AA-")], None, "not IssuerFacts"),
    ],
)
def test_a_history_that_cannot_be_read_is_refused(
    history: list[tuple[date, IssuerFacts]], breach: date | None, words: str
) -> None:
    with pytest.raises(HistoryRefused, match=words) as refused:
        delisting_check(history, breach, date(2026, 6, 1))
    assert isinstance(refused.value, InputError)
