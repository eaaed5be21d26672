"""ETF creation and redemption as the CCP clears them: terms, eligibility at the rule edges on
real XTKS dates, statement legs, T+2, late charges, the buy-in day and the settlement-day cut-offs.
None of these tests touches the chain.

2026 XTKS dates used: Mon 20 Jul is Marine Day; 29 Apr and 4-6 May are Golden Week; 21-23 Sep
are Respect for the Aged Day, a bridge holiday and the Autumnal Equinox; 31 Dec - 3 Jan closed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time

import pytest

from pyclient.clock import TOKYO, TimetableError, from_unix
from pyclient.errors import InputError
from pyclient.etf.model import (
    ACCEPTED_KINDS,
    CUTOFFS,
    LATE_CHARGE_BPS,
    ApplicationKind,
    Constituent,
    EligibilityRule,
    EtfIneligible,
    EtfTerms,
    EtfTermsRefused,
    EtfType,
    Legs,
    StatementRefused,
    TrustBankStatus,
    buy_in_from,
    check_eligibility,
    cutoff,
    day_date,
    earliest_statement_date,
    epoch_day,
    late_charge,
    late_charge_days,
    settlement_date,
    statement_legs,
    sub_business_days,
    tokyo_day,
)

REGISTERED = TrustBankStatus.REGISTERED
BASKET = (Constituent("7203", 100), Constituent("6758", 50))


def in_kind(listing: date = date(2026, 3, 10), **changes: object) -> EtfTerms:
    terms = EtfTerms(
        code="1321",
        unit_symbol="ETF1321",
        trust_bank="trust-a",
        manager="manager-a",
        listing_date=listing,
        etf_type=EtfType.IN_KIND,
        creation_unit=1_000,
        basket=BASKET,
        cash_per_creation_unit=20_000,
    )
    return dataclasses.replace(terms, **changes) if changes else terms


def cash_etf(listing: date = date(2026, 3, 10), **changes: object) -> EtfTerms:
    terms = EtfTerms(
        code="1489",
        unit_symbol="ETF1489",
        trust_bank="trust-b",
        manager="manager-b",
        listing_date=listing,
        etf_type=EtfType.CASH,
        creation_unit=500,
        basket=(),
        cash_per_creation_unit=0,
    )
    return dataclasses.replace(terms, **changes) if changes else terms


def refused(rule: EligibilityRule, *args: object, **kwargs: object) -> EtfIneligible:
    kwargs.setdefault("trust_bank_status", REGISTERED)
    with pytest.raises(EtfIneligible) as e:
        check_eligibility(*args, **kwargs)
    assert isinstance(e.value, InputError)
    assert e.value.rule == rule
    return e.value


# ---------------------------------------------------------------------- days


def test_days_are_counted_from_1970_on_the_tokyo_calendar() -> None:
    assert epoch_day(date(1970, 1, 1)) == 0
    assert epoch_day(date(2026, 3, 10)) == 20_522
    assert day_date(20_522) == date(2026, 3, 10)
    for d in (date(2000, 2, 29), date(2026, 12, 31), date(2045, 1, 1)):
        assert day_date(epoch_day(d)) == d


def test_a_unix_second_belongs_to_its_tokyo_date() -> None:
    # 15:00 UTC is midnight in Tokyo: the second before is still the previous Tokyo day.
    midnight = int(datetime(2026, 3, 9, 15, tzinfo=UTC).timestamp())
    assert tokyo_day(midnight) == date(2026, 3, 10)
    assert tokyo_day(midnight - 1) == date(2026, 3, 9)
    assert tokyo_day(midnight) == day_date((midnight + 9 * 3600) // 86_400)


def test_a_datetime_or_a_float_is_refused_where_a_day_is_meant() -> None:
    with pytest.raises(TimetableError, match="must be a date"):
        epoch_day(datetime(2026, 3, 10, tzinfo=TOKYO))
    with pytest.raises(TimetableError, match="whole number"):
        tokyo_day(1.5)  # type: ignore[arg-type]


def test_business_days_are_counted_back_across_weekends_and_holidays() -> None:
    assert sub_business_days(date(2026, 3, 10), 2) == date(2026, 3, 6)  # Tue -> Fri
    assert sub_business_days(date(2026, 7, 22), 2) == date(2026, 7, 17)  # over Marine Day
    assert sub_business_days(date(2026, 5, 7), 1) == date(2026, 5, 1)  # over Golden Week
    assert sub_business_days(date(2026, 3, 10), 0) == date(2026, 3, 10)
    with pytest.raises(TimetableError):
        sub_business_days(date(2026, 7, 20), 0)


# ---------------------------------------------------------------------- kinds and terms


def test_kinds_have_the_solidity_numbers_and_business_words() -> None:
    assert [int(k) for k in ApplicationKind] == [0, 1, 2, 3, 4]
    assert [int(t) for t in EtfType] == [0, 1, 2]
    assert [int(s) for s in TrustBankStatus] == [0, 1, 2, 3]
    assert [k for k in ApplicationKind if k.is_creation] == [
        ApplicationKind.CREATION_IN_KIND,
        ApplicationKind.CREATION_CASH,
    ]
    assert [k for k in ApplicationKind if k.in_kind] == [
        ApplicationKind.CREATION_IN_KIND,
        ApplicationKind.EXCHANGE,
    ]
    assert ApplicationKind.CREATION_IN_KIND.label == "creation in kind"
    assert ApplicationKind.CREATION_CASH.label == "cash creation"
    assert ApplicationKind.REDEMPTION_CASH.label == "cash redemption"
    assert ApplicationKind.EXCHANGE.label == "exchange for the basket"


def test_an_in_kind_etf_takes_creations_in_kind_and_exchanges_a_cash_etf_cash_both_ways() -> None:
    assert in_kind().accepted_kinds == {ApplicationKind.CREATION_IN_KIND, ApplicationKind.EXCHANGE}
    assert cash_etf().accepted_kinds == {
        ApplicationKind.CREATION_CASH,
        ApplicationKind.REDEMPTION_CASH,
    }
    assert ACCEPTED_KINDS[EtfType.NONE] == frozenset()
    assert not in_kind().accepts(ApplicationKind.REDEMPTION_CASH)
    assert not cash_etf().accepts(ApplicationKind.EXCHANGE)
    assert not cash_etf().accepts(7)


def test_valid_terms_are_kept_as_given() -> None:
    terms = in_kind(basket=list(BASKET), last_trading_day=date(2026, 3, 10))
    assert terms.basket == BASKET  # a list is frozen into a tuple
    assert terms.etf_type is EtfType.IN_KIND
    assert in_kind(code="A" * 12).code == "A" * 12


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"code": ""}, "1-12 ASCII letters or digits"),
        ({"code": "A" * 13}, "1-12 ASCII letters or digits"),
        ({"code": "13-21"}, "1-12 ASCII letters or digits"),
        ({"code": "１３２１"}, "1-12 ASCII letters or digits"),  # full-width digits
        ({"unit_symbol": ""}, "unit_symbol must be named"),
        ({"trust_bank": " "}, "trust_bank must be named"),
        ({"etf_type": EtfType.NONE}, "must be IN_KIND or CASH"),
        ({"etf_type": 3}, "unknown ETF type"),
        ({"creation_unit": 0}, "creation_unit must be positive"),
        ({"creation_unit": 1.5}, "creation_unit must be a whole number"),
        ({"basket": ()}, "an in-kind ETF needs a basket"),
        ({"basket": (Constituent("7203", 1), Constituent("7203", 2))}, "7203 is twice"),
        ({"basket": (Constituent("ETF1321", 1),)}, "its own units ETF1321"),
        ({"basket": ("7203",)}, "is not a Constituent"),
        ({"cash_per_creation_unit": -1}, "must not be negative"),
        ({"listing_date": date(2026, 7, 20)}, "listing_date 2026-07-20 is not an XTKS business"),
        ({"last_trading_day": date(2026, 3, 14)}, "last_trading_day 2026-03-14 is not an XTKS"),
        ({"last_trading_day": date(2026, 3, 9)}, "is before listing_date 2026-03-10"),
    ],
)
def test_terms_that_cannot_be_registered_are_refused_naming_the_fault(
    changes: dict[str, object], words: str
) -> None:
    with pytest.raises(EtfTermsRefused, match=words) as e:
        in_kind(**changes)
    assert isinstance(e.value, InputError)


def test_a_cash_etf_has_no_basket_and_constituents_need_a_positive_quantity() -> None:
    with pytest.raises(EtfTermsRefused, match="a cash ETF has no basket"):
        cash_etf(basket=BASKET)
    with pytest.raises(EtfTermsRefused, match="quantity of 7203 per creation unit must be"):
        Constituent("7203", 0)
    with pytest.raises(EtfTermsRefused, match="needs a symbol"):
        Constituent("", 1)


# ---------------------------------------------------------------------- eligibility


def test_a_creation_is_eligible_from_two_business_days_before_listing_across_a_weekend() -> None:
    terms = in_kind(listing=date(2026, 3, 10))  # a Tuesday
    assert earliest_statement_date(terms, ApplicationKind.CREATION_IN_KIND) == date(2026, 3, 6)
    check_eligibility(
        terms, ApplicationKind.CREATION_IN_KIND, date(2026, 3, 6), trust_bank_status=REGISTERED
    )
    e = refused(
        EligibilityRule.BEFORE_LISTING, terms, ApplicationKind.CREATION_IN_KIND, date(2026, 3, 5)
    )
    assert "art. 46(2)(ii)" in str(e)
    assert "earliest statement date is 2026-03-06" in str(e)


def test_a_creation_is_eligible_from_two_business_days_before_listing_across_a_holiday() -> None:
    terms = cash_etf(listing=date(2026, 7, 22))  # Wednesday after Marine Day (Mon 20 Jul)
    kind = ApplicationKind.CREATION_CASH
    assert earliest_statement_date(terms, kind) == date(2026, 7, 17)
    check_eligibility(terms, kind, date(2026, 7, 17), trust_bank_status=REGISTERED)
    check_eligibility(terms, kind, date(2026, 7, 21), trust_bank_status=REGISTERED)
    refused(EligibilityRule.BEFORE_LISTING, terms, kind, date(2026, 7, 16))
    refused(EligibilityRule.NOT_BUSINESS_DAY, terms, kind, date(2026, 7, 20))


def test_a_redemption_is_eligible_from_the_business_day_before_listing_across_a_weekend() -> None:
    terms = cash_etf(listing=date(2026, 3, 9))  # a Monday
    kind = ApplicationKind.REDEMPTION_CASH
    assert earliest_statement_date(terms, kind) == date(2026, 3, 6)
    check_eligibility(terms, kind, date(2026, 3, 6), trust_bank_status=REGISTERED)
    e = refused(EligibilityRule.BEFORE_LISTING, terms, kind, date(2026, 3, 5))
    assert "art. 46(2)(iii)" in str(e)


def test_an_exchange_is_eligible_from_the_business_day_before_listing_across_a_holiday() -> None:
    terms = in_kind(listing=date(2026, 7, 21))  # Tuesday after Marine Day
    kind = ApplicationKind.EXCHANGE
    assert earliest_statement_date(terms, kind) == date(2026, 7, 17)
    check_eligibility(terms, kind, date(2026, 7, 17), trust_bank_status=REGISTERED)
    refused(EligibilityRule.BEFORE_LISTING, terms, kind, date(2026, 7, 16))
    # The same ETF's creation may start a business day earlier.
    check_eligibility(
        terms, ApplicationKind.CREATION_IN_KIND, date(2026, 7, 16), trust_bank_status=REGISTERED
    )
    refused(
        EligibilityRule.BEFORE_LISTING, terms, ApplicationKind.CREATION_IN_KIND, date(2026, 7, 15)
    )


def test_the_last_trading_day_is_the_last_eligible_statement_date() -> None:
    terms = in_kind(last_trading_day=date(2026, 9, 18))  # Friday before Silver Week
    kind = ApplicationKind.EXCHANGE
    check_eligibility(terms, kind, date(2026, 9, 18), trust_bank_status=REGISTERED)
    e = refused(EligibilityRule.AFTER_LAST_TRADING_DAY, terms, kind, date(2026, 9, 24))
    assert "art. 46(2)(iv)" in str(e) and "2026-09-18" in str(e)


def test_an_etf_not_notified_is_refused_before_anything_else() -> None:
    e = refused(
        EligibilityRule.NOT_NOTIFIED,
        None,
        ApplicationKind.NONE,
        date(2026, 7, 20),
        trust_bank_status=TrustBankStatus.DEREGISTERED,
    )
    assert "art. 46(2)(vi)" in str(e)


@pytest.mark.parametrize(
    "status",
    [TrustBankStatus.BEING_DEREGISTERED, TrustBankStatus.DEREGISTERED, TrustBankStatus.NONE, 9],
)
def test_a_trustee_not_plainly_registered_is_refused(status: TrustBankStatus) -> None:
    e = refused(
        EligibilityRule.TRUST_BANK,
        in_kind(),
        ApplicationKind.REDEMPTION_CASH,  # the wrong kind too: the trustee is checked first
        date(2026, 3, 10),
        trust_bank_status=status,
    )
    assert "trust-a" in str(e) and "art. 46(2)(i)" in str(e)


@pytest.mark.parametrize(
    ("terms", "kind"),
    [
        (in_kind(), ApplicationKind.CREATION_CASH),
        (in_kind(), ApplicationKind.REDEMPTION_CASH),
        (cash_etf(), ApplicationKind.CREATION_IN_KIND),
        (cash_etf(), ApplicationKind.EXCHANGE),
        (cash_etf(), ApplicationKind.NONE),
        (cash_etf(), 5),
    ],
)
def test_a_kind_the_etf_does_not_take_is_refused(terms: EtfTerms, kind: ApplicationKind) -> None:
    # On a holiday, before listing: the kind is checked before the day.
    e = refused(EligibilityRule.KIND, terms, kind, date(2026, 1, 1))
    assert f"ETF {terms.code}" in str(e)
    with pytest.raises(EtfIneligible):
        statement_legs(terms, kind, 1, 0)


def test_a_statement_date_on_a_weekend_is_refused() -> None:
    refused(
        EligibilityRule.NOT_BUSINESS_DAY, in_kind(), ApplicationKind.EXCHANGE, date(2026, 3, 14)
    )


# ---------------------------------------------------------------------- settlement date


def test_settlement_is_two_business_days_after_the_statement_date() -> None:
    assert settlement_date(date(2026, 3, 10)) == date(2026, 3, 12)
    assert settlement_date(date(2026, 3, 5)) == date(2026, 3, 9)  # Thu -> Mon
    assert settlement_date(date(2026, 3, 6)) == date(2026, 3, 10)  # Fri -> Tue
    assert settlement_date(date(2026, 4, 30)) == date(2026, 5, 7)  # over Golden Week
    assert settlement_date(date(2026, 4, 28)) == date(2026, 5, 1)  # over Showa Day
    assert settlement_date(date(2026, 12, 29)) == date(2027, 1, 4)  # over the year end
    assert settlement_date(date(2026, 12, 30)) == date(2027, 1, 5)
    with pytest.raises(TimetableError, match="not an XTKS business day"):
        settlement_date(date(2026, 5, 4))


# ---------------------------------------------------------------------- statement legs


def test_a_creation_in_kind_delivers_basket_and_cash_for_units() -> None:
    legs = statement_legs(in_kind(), ApplicationKind.CREATION_IN_KIND, 3, 60_000)
    assert legs == Legs({"7203": -300, "6758": -150, "ETF1321": 3_000}, -60_000)
    assert legs.negated() == Legs({"7203": 300, "6758": 150, "ETF1321": -3_000}, 60_000)


def test_a_creation_in_kind_must_pay_exactly_its_cash_component() -> None:
    with pytest.raises(StatementRefused, match="cash component of 3 creation units is 60,000"):
        statement_legs(in_kind(), ApplicationKind.CREATION_IN_KIND, 3, 60_001)
    no_cash = in_kind(cash_per_creation_unit=0)
    assert statement_legs(no_cash, ApplicationKind.CREATION_IN_KIND, 1, 0).cash == 0


def test_an_exchange_gives_units_for_the_basket_and_no_cash() -> None:
    legs = statement_legs(in_kind(), ApplicationKind.EXCHANGE, 2, 0)
    assert legs == Legs({"ETF1321": -2_000, "7203": 200, "6758": 100}, 0)
    with pytest.raises(StatementRefused, match="no cash moves"):
        statement_legs(in_kind(), ApplicationKind.EXCHANGE, 2, 1)


def test_cash_creation_and_redemption_move_units_against_the_statement_cash() -> None:
    assert statement_legs(cash_etf(), ApplicationKind.CREATION_CASH, 2, 2_100_001) == Legs(
        {"ETF1489": 1_000}, -2_100_001
    )
    assert statement_legs(cash_etf(), ApplicationKind.REDEMPTION_CASH, 1, 1_050_000) == Legs(
        {"ETF1489": -500}, 1_050_000
    )
    for kind in (ApplicationKind.CREATION_CASH, ApplicationKind.REDEMPTION_CASH):
        for cash in (0, -1):
            with pytest.raises(StatementRefused, match="cash must be positive"):
                statement_legs(cash_etf(), kind, 1, cash)


@pytest.mark.parametrize("units", [0, -1, 1.0, True])
def test_a_statement_needs_a_positive_whole_number_of_creation_units(units: object) -> None:
    with pytest.raises(StatementRefused, match="creation_units"):
        statement_legs(in_kind(), ApplicationKind.EXCHANGE, units, 0)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- late charges


@pytest.mark.parametrize(
    ("day", "days"),
    [
        (date(2026, 3, 10), 1),  # an ordinary Tuesday
        (date(2026, 3, 6), 3),  # an ordinary Friday
        (date(2026, 7, 17), 4),  # Friday before Marine Day (Mon 20 Jul)
        (date(2026, 10, 9), 4),  # Friday before Sports Day (Mon 12 Oct)
        (date(2026, 3, 19), 4),  # Thursday before the Vernal Equinox (Fri 20 Mar)
        (date(2026, 4, 28), 2),  # Tuesday before Showa Day (Wed 29 Apr)
        (date(2026, 5, 1), 6),  # Friday before Golden Week: 2-6 May closed
        (date(2026, 9, 18), 6),  # Friday before Silver Week: 19-23 Sep closed
        (date(2026, 12, 30), 5),  # last business day of the year: 31 Dec - 3 Jan closed
    ],
)
def test_a_fail_is_charged_for_the_day_and_the_holidays_that_follow_it(
    day: date, days: int
) -> None:
    assert late_charge_days(day) == days


def test_no_late_charge_day_count_for_a_day_without_settlement() -> None:
    with pytest.raises(TimetableError, match="not an XTKS business day"):
        late_charge_days(date(2026, 7, 20))


def test_the_late_charge_is_4_sen_per_100_yen_a_day() -> None:
    assert LATE_CHARGE_BPS == 4
    assert late_charge(1_000_000, date(2026, 3, 10), payer=True) == 400
    assert late_charge(1_000_000, date(2026, 3, 10), payer=False) == 400
    assert late_charge(1_000_000, date(2026, 3, 6), payer=True) == 1_200
    assert late_charge(1_000_000, date(2026, 7, 17), payer=False) == 1_600


def test_the_late_charge_rounds_up_for_the_payer_and_down_for_the_receiver() -> None:
    # 1,234,567 x 0.0004 x 3 = 1,481.4804 JPY
    assert late_charge(1_234_567, date(2026, 3, 6), payer=True) == 1_482
    assert late_charge(1_234_567, date(2026, 3, 6), payer=False) == 1_481
    # 2,499 x 0.0004 = 0.9996: the payer pays one yen, the receiver gets none.
    assert late_charge(2_499, date(2026, 3, 10), payer=True) == 1
    assert late_charge(2_499, date(2026, 3, 10), payer=False) == 0
    assert late_charge(0, date(2026, 3, 10), payer=True) == 0


def test_a_late_charge_on_a_bad_value_is_refused() -> None:
    with pytest.raises(InputError, match="must not be negative"):
        late_charge(-1, date(2026, 3, 10), payer=True)
    with pytest.raises(InputError, match="whole number"):
        late_charge(1.5, date(2026, 3, 10), payer=True)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="payer must be True or False"):
        late_charge(100, date(2026, 3, 10), payer=1)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- buy-in and cut-offs


def test_a_buy_in_falls_on_the_third_business_day_counting_the_request_day() -> None:
    assert buy_in_from(date(2026, 3, 10)) == date(2026, 3, 12)  # Tue -> Thu
    assert buy_in_from(date(2026, 3, 12)) == date(2026, 3, 16)  # Thu -> Mon
    assert buy_in_from(date(2026, 4, 30)) == date(2026, 5, 7)  # over Golden Week
    # Asked on a holiday (5 May): Thursday 7 May is day 1, so Monday 11 May is day 3, as on chain.
    assert buy_in_from(date(2026, 5, 5)) == date(2026, 5, 11)
    with pytest.raises(TimetableError, match="must be a date"):
        buy_in_from("2026-05-05")  # type: ignore[arg-type]


def test_the_settlement_day_cut_offs_in_tokyo_time() -> None:
    assert dict(CUTOFFS) == {
        "deliver": time(13),
        "receive": time(14, 15),
        "surplus": time(14, 45),
        "cancel": time(15, 30),
    }
    day = date(2026, 3, 12)
    assert from_unix(cutoff("deliver", day)) == datetime(2026, 3, 12, 13, tzinfo=TOKYO)
    assert cutoff("deliver", day) == int(datetime(2026, 3, 12, 4, tzinfo=UTC).timestamp())
    assert cutoff("receive", day) - cutoff("deliver", day) == 75 * 60
    assert cutoff("surplus", day) - cutoff("receive", day) == 30 * 60
    assert cutoff("cancel", day) - cutoff("surplus", day) == 45 * 60
    assert tokyo_day(cutoff("cancel", day)) == day


def test_a_cut_off_for_an_unknown_step_or_a_closed_day_is_refused() -> None:
    with pytest.raises(TimetableError, match="unknown settlement step 'pay'"):
        cutoff("pay", date(2026, 3, 12))
    with pytest.raises(TimetableError, match="not an XTKS business day"):
        cutoff("deliver", date(2026, 3, 14))
