"""Fails in ETF clearing: a delivery missed for an unavoidable reason rolls to the next business
day with a late charge (0.04 % a day, an ordinary Friday 3 days, a Friday before a Monday holiday
4), the receipt it leaves unmade rolls with it, a buy-in may be designated only from the third
business day counted from the request, and an ETF special participant's default lets its
unsettled contracts lapse with everything members delivered returned."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from etf.etf_world import EtfWorld, make_world
from support import Market, refused

from pyclient import errors, reconcile
from pyclient.etf.clearing import ApplicationStatus
from pyclient.etf.model import (
    ApplicationKind,
    late_charge,
    late_charge_days,
    settlement_date,
    sub_business_days,
)
from pyclient.etf.netting import Side, Trade

# Friday 8 January 2027 comes before Coming of Age Day, Monday 11 January: a fail on it counts
# four days. T is two business days before it.
FRIDAY = date(2027, 1, 8)
T = date(2027, 1, 6)
TUESDAY = date(2027, 1, 12)
ASSETS = ("JPY", "TYO7203", "TYO6758", "ETF1306", "ETF2558")
PRICES = {"TYO7203": 3_000, "TYO6758": 3_500, "ETF1306": 2_900, "ETF2558": 30_000}


@pytest.fixture
def etf(market: Market) -> EtfWorld:
    return make_world(market, t=T)


def _trade_day(etf: EtfWorld, day: date, quantity: int = 100) -> None:
    """member-b sells `quantity` Sony shares to member-a, settling on `day`, netting closed."""
    etf.ccp.etf.record_trades(
        day,
        [
            Trade("member-b", "TYO6758", Side.SELL, quantity, 3_500),
            Trade("member-a", "TYO6758", Side.BUY, quantity, 3_500),
        ],
    )
    etf.at(sub_business_days(day, 1), 14, 46)  # the eve's fails are in
    etf.ccp.etf.close_netting(day)
    etf.ccp.etf.set_dvp_prices(day, {"TYO6758": 3_500})


def _jpy(etf: EtfWorld, who: str) -> int:
    return etf.d.token("JPY").balance_of(etf.d.address_of(who))


def _sony(etf: EtfWorld, who: str) -> int:
    return etf.d.token("TYO6758").balance_of(etf.d.address_of(who))


def test_a_fail_on_the_friday_before_a_monday_holiday_rolls_to_tuesday_with_four_days_charged(
    etf: EtfWorld,
) -> None:
    assert settlement_date(T) == FRIDAY and late_charge_days(FRIDAY) == 4
    assert etf.d.calendar.charge_days(FRIDAY) == 4
    _trade_day(etf, FRIDAY)
    a0, b0 = _jpy(etf, "member-a"), _jpy(etf, "member-b")
    sa0, sb0 = _sony(etf, "member-a"), _sony(etf, "member-b")
    etf.at(FRIDAY, 10)
    etf.a.settle_etf_deliveries(FRIDAY)  # pays 350,000; member-b delivers nothing
    check = reconcile.etf_settlement_held(etf.d)  # the day holds member-a's yen, and says so
    assert check.ok and [(x.subject, x.actual) for x in check.lines] == [("JPY", 350_000)]
    etf.at(FRIDAY, 13, 0, 0)
    refused(etf.market.world, ASSETS, lambda: etf.ccp.etf.declare_fails(FRIDAY),
            errors.EtfCutoffNotPassed)  # fmt: skip
    etf.at(FRIDAY, 13, 0, 1)
    (fail,) = etf.ccp.etf.declare_fails(FRIDAY)
    charge = late_charge(350_000, FRIDAY, payer=True)
    assert (fail.party, fail.symbol, fail.quantity, fail.value_jpy) == (
        "member-b", "TYO6758", 100, 350_000,
    )  # fmt: skip
    assert fail.charge_jpy == charge == 560  # 350,000 x 0.04 % x 4
    # The receipt can roll only after 14:15, and only what the fail left unmade.
    refused(etf.market.world, ASSETS, lambda: etf.ccp.etf.roll_receipts(FRIDAY),
            errors.EtfCutoffNotPassed)  # fmt: skip
    etf.at(FRIDAY, 14, 15, 1)
    (rolled,) = etf.ccp.etf.roll_receipts(FRIDAY)
    assert (rolled.party, rolled.quantity, rolled.charge_jpy) == ("member-a", 100, 560)
    assert etf.ccp.etf.return_surplus(FRIDAY) == {"member-a": 350_000}
    assert (_jpy(etf, "member-a"), _jpy(etf, "member-b")) == (a0, b0)
    for book in etf.d.etf_settlement.books(FRIDAY):
        assert book.settled, book

    # Tuesday's netting closes only once Friday's 14:45 cut-off has passed: what Friday's fails
    # roll comes first.
    etf.at(FRIDAY, 14, 45, 0)
    refused(etf.market.world, ASSETS, lambda: etf.ccp.etf.close_netting(TUESDAY),
            errors.EtfCutoffNotPassed)  # fmt: skip
    etf.at(FRIDAY, 14, 45, 1)
    # Tuesday: the rolled delivery and receipt settle, the charge with them.
    etf.ccp.etf.close_netting(TUESDAY)
    etf.ccp.etf.set_dvp_prices(TUESDAY, {"TYO6758": 3_600})
    tuesday_a = etf.d.etf_settlement.book_of(TUESDAY, "member-a")
    tuesday_b = etf.d.etf_settlement.book_of(TUESDAY, "member-b")
    assert (tuesday_a.cash, tuesday_a.charges) == (-350_000, 560)
    assert (tuesday_b.cash, tuesday_b.charges) == (350_000, -560)
    etf.at(TUESDAY, 9)
    etf.market.world.issuer.issue("TYO6758", "member-b", 100, ref="bought back")
    etf.b.settle_etf_deliveries(TUESDAY)
    etf.a.settle_etf_deliveries(TUESDAY)
    etf.at(TUESDAY, 14)
    etf.ccp.etf.collect_all(TUESDAY)
    etf.at(TUESDAY, 14, 30)
    etf.ccp.etf.return_surplus(TUESDAY)
    assert _jpy(etf, "member-a") == a0 - 350_000 + 560
    assert _jpy(etf, "member-b") == b0 + 350_000 - 560
    assert (_sony(etf, "member-a"), _sony(etf, "member-b")) == (sa0 + 100, sb0)
    assert etf.d.token("JPY").balance_of(etf.d.etf_settlement.address) == 0


def test_a_buy_in_is_designated_only_from_the_third_business_day_counted_from_the_request(
    etf: EtfWorld,
) -> None:
    _trade_day(etf, FRIDAY)
    etf.at(FRIDAY, 13, 1)
    etf.ccp.etf.declare_fails(FRIDAY)
    etf.at(FRIDAY, 14, 16)
    etf.ccp.etf.roll_receipts(FRIDAY)
    etf.at(FRIDAY, 14, 46)
    etf.ccp.etf.close_netting(TUESDAY)
    etf.ccp.etf.set_dvp_prices(TUESDAY, {"TYO6758": 3_500})
    etf.at(TUESDAY, 9)
    # Asked on Tuesday 12 January (day 1): the buy-in falls on Thursday 14 January (day 3).
    assert etf.a.request_buy_in(TUESDAY, "TYO6758").value == date(2027, 1, 14)
    days = [TUESDAY, date(2027, 1, 13), date(2027, 1, 14)]
    for day, following in pairwise(days):
        etf.at(day, 13, 1)
        err = refused(etf.market.world, ASSETS, lambda day=day: _designate_raw(etf, day),
                      errors.EtfBuyInTooEarly)  # fmt: skip
        assert err.earliest == 20_832  # 14 January 2027 as a day number
        assert etf.ccp.etf.designate_buy_ins(day) == []  # the desk designates nothing early
        etf.ccp.etf.declare_fails(day)
        etf.at(day, 14, 16)
        etf.ccp.etf.roll_receipts(day)
        etf.at(day, 14, 46)
        etf.ccp.etf.close_netting(following)
        etf.ccp.etf.set_dvp_prices(following, {"TYO6758": 3_500})
    thursday = days[-1]
    assert etf.d.etf_settlement.buy_in_from(thursday, "TYO6758") == thursday
    etf.at(thursday, 12, 59)
    with pytest.raises(errors.EtfCutoffNotPassed):  # after the day's DvP cut-off only
        _designate_raw(etf, thursday)
    etf.at(thursday, 13, 1)
    assert etf.ccp.etf.designate_buy_ins(thursday) == [("member-b", "TYO6758", 100)]


def _designate_raw(etf: EtfWorld, day: date) -> object:
    book = etf.d.etf_settlement.book_of(day, "member-b")
    return etf.ccp.send(etf.d.etf_settlement.designate_buy_in(book.id, "TYO6758"))


def test_an_etf_special_participant_default_lapses_its_contracts_and_returns_what_members_delivered(
    etf: EtfWorld,
) -> None:
    d = etf.d
    app = etf.a.apply_etf("1306", ApplicationKind.CREATION_IN_KIND, 1).value
    etf.manager.draw_up_statement(app)
    etf.bank.approve_statement(app)
    etf.ccp.etf.novate()
    etf.at(date(2027, 1, 7), 14, 46)  # Thursday, after its 14:45: Friday's netting may close
    etf.ccp.etf.close_netting(FRIDAY)
    etf.ccp.etf.set_dvp_prices(FRIDAY, PRICES)
    holders = ("member-a", "trust-bank")
    before = {(h, s): d.token(s).balance_of(d.address_of(h)) for h in holders for s in ASSETS}
    etf.at(FRIDAY, 10)
    etf.a.settle_etf_deliveries(FRIDAY)  # the basket and the cash component are with the CCP
    assert d.token("TYO7203").balance_of(d.etf_settlement.address) == 600
    # A lapse needs the ETF special participant out of action.
    with pytest.raises(errors.EtfManagerActive):
        etf.ccp.send(d.etf_applications.lapse([app]))
    etf.ccp.register.suspend("etf-manager", reason="insolvent")
    run = etf.ccp.etf.lapse("etf-manager")
    assert run.lapsed == (app,) and run.refused == {}
    assert d.etf_applications.application(app).status is ApplicationStatus.LAPSED
    etf.ccp.etf.return_surplus(FRIDAY)
    after = {(h, s): d.token(s).balance_of(d.address_of(h)) for h in holders for s in ASSETS}
    assert after == before  # nothing lost: the basket and the yen came back
    for symbol in ASSETS:
        assert d.token(symbol).balance_of(d.etf_settlement.address) == 0
    for book in d.etf_settlement.books(FRIDAY):
        assert book.settled and book.cash == 0 and all(leg.net == 0 for leg in book.legs)
