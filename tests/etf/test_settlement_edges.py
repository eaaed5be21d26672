"""Settlement edges found in review: pre-funding only ever goes back to its payer, yen a rolled
receipt leaves due is paid by 14:45, a fail's value can be made good after 13:00 so that article
47 still releases what is due, and a lapse is refused once it could not be undone cleanly."""

from __future__ import annotations

from datetime import date

import pytest
from etf.etf_world import EtfWorld, make_world
from support import Market, refused

from pyclient import Admission, ClearingMember, Kind, errors
from pyclient.etf.clearing import ApplicationStatus
from pyclient.etf.model import ApplicationKind, sub_business_days
from pyclient.etf.netting import Side, Stream, Trade

FRIDAY, T = date(2027, 1, 8), date(2027, 1, 6)
ASSETS = ("JPY", "TYO7203", "TYO6758", "ETF1306", "ETF2558")
SONY, TOYOTA = "TYO6758", "TYO7203"


@pytest.fixture
def etf(market: Market) -> EtfWorld:
    return make_world(market, t=T)


def _member_c(etf: EtfWorld) -> ClearingMember:
    w = etf.market.world
    w.ccp.register.admit_many([Admission(w.keys[11].address, Kind.CLEARING_MEMBER, "member-c")])
    w.issuer.issue_many(
        [("JPY", "member-c", 10_000_000, "edge"), (TOYOTA, "member-c", 1_000, "edge")]
    )
    return ClearingMember(etf.d, w.keys[11])


def _close(etf: EtfWorld, trades: list[Trade], prices: dict[str, int]) -> None:
    if trades:
        etf.ccp.etf.record_trades(FRIDAY, trades)
    etf.at(sub_business_days(FRIDAY, 1), 14, 46)
    etf.ccp.etf.close_netting(FRIDAY)
    etf.ccp.etf.set_dvp_prices(FRIDAY, prices)


def _jpy(etf: EtfWorld, who: str) -> int:
    return etf.d.token("JPY").balance_of(etf.d.address_of(who))


def test_pre_funding_never_pays_anyone_but_its_payer(etf: EtfWorld) -> None:
    c = _member_c(etf)
    trades = [Trade("member-b", SONY, Side.SELL, 100, 3_500),
              Trade("member-a", SONY, Side.BUY, 50, 3_500),
              Trade("member-c", SONY, Side.BUY, 50, 3_500)]  # fmt: skip
    etf.market.world.issuer.issue(SONY, "member-b", 100, ref="edge")
    _close(etf, trades, {SONY: 3_600})  # 100 yen a share above the trades: buyers pre-fund
    b0 = _jpy(etf, "member-b")
    etf.at(FRIDAY, 10)
    etf.b.settle_etf_deliveries(FRIDAY)
    c.settle_etf_deliveries(FRIDAY)  # 175,000 owed and 5,000 pre-funded; member-a pays nothing
    assert etf.d.etf_settlement.book_of(FRIDAY, "member-c").cash_in == 180_000
    etf.at(FRIDAY, 14)
    etf.ccp.etf.collect_all(FRIDAY)
    # member-b is paid what buyers paid towards what they owe, never member-c's pre-funding.
    assert _jpy(etf, "member-b") - b0 == 175_000
    assert etf.d.etf_settlement.book_of(FRIDAY, "member-a").legs[0].received == 0
    etf.at(FRIDAY, 14, 30)
    assert etf.ccp.etf.return_surplus(FRIDAY) == {"member-c": 5_000}
    assert etf.d.etf_settlement.held(FRIDAY, SONY) == 50  # member-a's, until it pays
    assert etf.d.etf_settlement.held(FRIDAY, "JPY") == 0


def test_yen_a_rolled_receipt_leaves_due_is_paid_by_1445(etf: EtfWorld) -> None:
    app = etf.b.apply_etf("1306", ApplicationKind.EXCHANGE, 1).value
    etf.manager.draw_up_statement(app)
    etf.bank.approve_statement(app)
    etf.ccp.etf.novate()
    _close(etf, [], {"ETF1306": 2_900, TOYOTA: 3_000, SONY: 3_500})
    etf.at(FRIDAY, 10)
    etf.b.settle_etf_deliveries(FRIDAY)  # 1,000 units in
    etf.bank.settle_redemptions(FRIDAY, withhold={SONY: 100})  # 100 Sony of the basket fail
    etf.at(FRIDAY, 13, 1)
    (fail,) = etf.ccp.etf.declare_fails(FRIDAY)
    assert (fail.party, fail.quantity, fail.value_jpy) == ("trust-bank", 100, 350_000)
    etf.bank.settle_redemptions(FRIDAY)  # the fail's yen: 350,000, after 13:00
    etf.at(FRIDAY, 14)
    etf.ccp.etf.collect_all(FRIDAY)
    etf.at(FRIDAY, 14, 15, 1)
    (rolled,) = etf.ccp.etf.roll_receipts(FRIDAY)
    assert (rolled.party, rolled.quantity) == ("member-b", 100)
    b0 = _jpy(etf, "member-b")
    etf.bank.cancel_units(FRIDAY)
    etf.ccp.etf.return_surplus(FRIDAY)
    assert _jpy(etf, "member-b") - b0 == 350_000  # paid on the day, not stuck
    for book in etf.d.etf_settlement.books(FRIDAY):
        assert book.settled, book
    assert etf.d.etf_settlement.held(FRIDAY, "JPY") == 0


def test_a_fails_value_can_be_made_good_after_1300_to_release_what_is_due(etf: EtfWorld) -> None:
    trades = [Trade("member-a", SONY, Side.BUY, 100, 3_500),
              Trade("member-b", SONY, Side.SELL, 100, 3_500),
              Trade("member-a", TOYOTA, Side.SELL, 100, 3_000),
              Trade("member-b", TOYOTA, Side.BUY, 100, 3_000)]  # fmt: skip
    etf.market.world.issuer.issue(SONY, "member-b", 100, ref="edge")
    _close(etf, trades, {SONY: 3_600, TOYOTA: 3_000})
    etf.at(FRIDAY, 10)
    etf.b.settle_etf_deliveries(FRIDAY)
    # member-a pre-funds as if it delivered all its Toyota (10,000), then delivers 60 of 100.
    etf.a.settle_etf_deliveries(FRIDAY, withhold={TOYOTA: 40}, prefund_jpy=10_000)
    etf.at(FRIDAY, 13, 1)
    etf.ccp.etf.declare_fails(FRIDAY)
    book = etf.a.etf_book(FRIDAY)
    assert book.cash_owed == 110_000  # 50,000 net + 120,000 for the failed Toyota - 60,000 paid
    # More than the fail's yen and what article 47 needs is refused after 13:00...
    settlement = etf.d.etf_settlement
    refused(etf.market.world, ASSETS, lambda: etf.a.send(settlement.pay_in(book.id, 120_001)),
            errors.EtfCutoffPassed)  # fmt: skip
    etf.a.settle_etf_deliveries(FRIDAY)  # ...that much is taken: 110,000 + 10,000
    etf.at(FRIDAY, 14)
    etf.ccp.etf.collect_all(FRIDAY)
    assert etf.a.etf_book(FRIDAY).legs[0].received == 100  # every Sony share released
    etf.at(FRIDAY, 14, 16)
    etf.ccp.etf.roll_receipts(FRIDAY)
    etf.at(FRIDAY, 14, 30)
    assert etf.ccp.etf.return_surplus(FRIDAY)["member-a"] == 10_000


def test_a_lapse_is_refused_once_the_member_was_paid(etf: EtfWorld) -> None:
    app = etf.b.apply_etf("2558", ApplicationKind.REDEMPTION_CASH, 1).value
    etf.manager.draw_up_statement(app, 3_010_000)
    etf.bank.approve_statement(app)
    etf.ccp.etf.novate()
    _close(etf, [], {"ETF2558": 30_000})
    etf.at(FRIDAY, 10)
    etf.bank.settle_redemptions(FRIDAY)
    etf.b.settle_etf_deliveries(FRIDAY)
    etf.b.collect_etf(FRIDAY)  # paid 3,010,000 early
    etf.ccp.register.suspend("etf-manager", reason="insolvent")
    run = etf.ccp.etf.lapse("etf-manager")
    assert run.lapsed == () and isinstance(run.refused[app], errors.EtfBookSettling)
    assert etf.d.etf_applications.application(app).status is ApplicationStatus.NOVATED


def test_a_lapse_is_refused_once_what_the_member_delivered_was_handed_on(etf: EtfWorld) -> None:
    c = _member_c(etf)
    app = etf.a.apply_etf("1306", ApplicationKind.CREATION_IN_KIND, 1).value
    etf.manager.draw_up_statement(app)
    etf.bank.approve_statement(app)
    etf.ccp.etf.novate()
    trades = [Trade("member-c", TOYOTA, Side.SELL, 600, 3_000),
              Trade("member-b", TOYOTA, Side.BUY, 600, 3_000)]  # fmt: skip
    _close(etf, trades, {"ETF1306": 2_900, TOYOTA: 3_000, SONY: 3_500})
    etf.at(FRIDAY, 10)
    etf.a.settle_etf_deliveries(FRIDAY)  # the basket: 600 Toyota among it
    c.settle_etf_deliveries(FRIDAY, withhold={TOYOTA: 600})  # member-c delivers none
    etf.b.settle_etf_deliveries(FRIDAY)
    etf.b.collect_etf(FRIDAY)  # member-b takes 600 Toyota: member-a's
    etf.ccp.register.suspend("etf-manager", reason="insolvent")
    d = etf.d
    before = d.etf_settlement.book_of(FRIDAY, "member-a")
    with pytest.raises(errors.EtfBookSettling):
        etf.ccp.send(d.etf_applications.lapse([app]))
    assert d.etf_settlement.book_of(FRIDAY, "member-a") == before
    assert d.etf_settlement.book_of(FRIDAY, "trust-bank", Stream.CREATION).legs


def test_pre_funding_does_not_come_back_while_the_book_still_owes(etf: EtfWorld) -> None:
    trades = [Trade("member-a", SONY, Side.BUY, 100, 3_500),
              Trade("member-b", SONY, Side.SELL, 100, 3_500),
              Trade("member-a", TOYOTA, Side.SELL, 100, 3_500),
              Trade("member-b", TOYOTA, Side.BUY, 100, 3_500)]  # fmt: skip
    etf.market.world.issuer.issue(SONY, "member-b", 100, ref="edge")
    _close(etf, trades, {SONY: 3_500, TOYOTA: 3_500})
    etf.at(FRIDAY, 10)
    etf.b.settle_etf_deliveries(FRIDAY)
    # member-a owes no yen but will not deliver its Toyota: it pre-funds the Sony it is due.
    etf.a.settle_etf_deliveries(FRIDAY, withhold={TOYOTA: 100})
    assert etf.a.etf_book(FRIDAY).cash_in == 350_000
    etf.a.collect_etf(FRIDAY)  # the Sony, against the pre-funding
    book = etf.a.etf_book(FRIDAY)
    err = refused(etf.market.world, ASSETS,
                  lambda: etf.a.send(etf.d.etf_settlement.return_surplus(book.id)),
                  errors.EtfStillOwed)  # fmt: skip
    assert err.owed == 100
    # Once the Toyota fails, the pre-funding is what the fail's yen needs: nothing comes back.
    etf.at(FRIDAY, 13, 1)
    etf.ccp.etf.declare_fails(FRIDAY)
    assert etf.a.etf_book(FRIDAY).surplus == 0


def test_a_lapse_is_refused_once_the_yen_it_would_return_was_paid_on(etf: EtfWorld) -> None:
    c = _member_c(etf)
    etf.market.world.issuer.issue(SONY, "member-c", 100, ref="edge")
    app = etf.a.apply_etf("2558", ApplicationKind.CREATION_CASH, 1).value
    etf.manager.draw_up_statement(app, 3_000_000)
    etf.bank.approve_statement(app)
    etf.ccp.etf.novate()
    trades = [Trade("member-c", SONY, Side.SELL, 100, 3_500),
              Trade("member-b", SONY, Side.BUY, 100, 3_500)]  # fmt: skip
    _close(etf, trades, {SONY: 3_500, "ETF2558": 30_000})
    etf.at(FRIDAY, 10)
    etf.a.settle_etf_deliveries(FRIDAY)  # 3,000,000 towards its creation
    c.settle_etf_deliveries(FRIDAY)  # member-b has not paid yet
    c.collect_etf(FRIDAY)  # member-c is paid 350,000 out of member-a's yen
    etf.ccp.register.suspend("etf-manager", reason="insolvent")
    run = etf.ccp.etf.lapse("etf-manager")
    assert run.lapsed == () and isinstance(run.refused[app], errors.EtfBookSettling)


def test_lapses_that_raise_what_a_member_owes_release_what_was_kept_for_it(etf: EtfWorld) -> None:
    creation = etf.a.apply_etf("1306", ApplicationKind.CREATION_IN_KIND, 2).value
    exchange = etf.a.apply_etf("1306", ApplicationKind.EXCHANGE, 1).value
    for app in (creation, exchange):
        etf.manager.draw_up_statement(app)
        etf.bank.approve_statement(app)
    etf.ccp.etf.novate()
    etf.market.world.issuer.issue("ETF1306", "member-a", 1_000, ref="edge")
    trades = [Trade("member-a", TOYOTA, Side.SELL, 600, 3_000),
              Trade("member-b", TOYOTA, Side.BUY, 600, 3_000)]  # fmt: skip
    _close(etf, trades, {TOYOTA: 3_000, SONY: 3_500, "ETF1306": 2_900})
    etf.at(FRIDAY, 10)
    a0 = etf.d.token(TOYOTA).balance_of(etf.a.address)
    etf.a.settle_etf_deliveries(FRIDAY)  # 1,200 Toyota: 1,200 for the creation, +600 - 600
    etf.ccp.register.suspend("etf-manager", reason="insolvent")
    run = etf.ccp.etf.lapse("etf-manager")
    assert run.lapsed == (creation, exchange)
    # After both, member-a owes its trade's 600 and delivered 1,200: 600 are kept for it, and the
    # other 600 go to member-b, who bought them.
    etf.b.settle_etf_deliveries(FRIDAY)
    etf.b.collect_etf(FRIDAY)
    assert etf.d.token(TOYOTA).balance_of(etf.b.address) >= 600
    etf.at(FRIDAY, 14, 30)
    etf.ccp.etf.return_surplus(FRIDAY)
    assert etf.d.token(TOYOTA).balance_of(etf.a.address) == a0 - 600
    assert etf.d.etf_settlement.held(FRIDAY, TOYOTA) == 0
