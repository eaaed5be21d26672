"""ETF clearing refusals on chain, each typed and leaving nothing changed (no block mined): article
46(2) eligibility at real XTKS edges, agreeing with the pure model (`pyclient.etf.model`); novation
refusing ineligible applications one by one; steps out of order or by the wrong party; the netting
and the settlement day's timetable (article 48, cut-offs inclusive); and article 47's delivery
versus payment when a member delivers only part of what it owes (reference 004)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from etf.etf_world import BASKET_1306, CASH_1306, CU_1306, CU_2558, EtfWorld, make_world
from support import Market, refused

from pyclient import errors
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.etf.clearing import ApplicationStatus, Step
from pyclient.etf.model import (
    ApplicationKind,
    Constituent,
    EligibilityRule,
    EtfIneligible,
    EtfTerms,
    EtfType,
    TrustBankStatus,
    epoch_day,
    sub_business_days,
)
from pyclient.etf.model import check_eligibility as model_check
from pyclient.etf.netting import Side, Stream, Trade
from pyclient.margin.calendar import add_business_days, is_business_day

K = ApplicationKind
ASSETS = ("JPY", "ETF1306", "ETF2558", "TYO7203", "TYO6758")
PRICES = {"ETF1306": 2_900, "ETF2558": 30_000, "TYO7203": 3_000, "TYO6758": 3_500}
RULE_OF = {
    errors.EtfTrustBankNotRegistered: EligibilityRule.TRUST_BANK,
    errors.EtfKindNotAccepted: EligibilityRule.KIND,
    errors.EtfNotBusinessDay: EligibilityRule.NOT_BUSINESS_DAY,
    errors.EtfBeforeListingWindow: EligibilityRule.BEFORE_LISTING,
    errors.EtfAfterLastTradingDay: EligibilityRule.AFTER_LAST_TRADING_DAY,
}


@pytest.fixture
def etf(market: Market) -> EtfWorld:
    return make_world(market)


def _refused(etf: EtfWorld, call, error):
    return refused(etf.market.world, ASSETS, call, error)


def _stated(etf: EtfWorld, who, code: str, kind: ApplicationKind, cu: int, cash=None) -> int:
    app_id = who.apply_etf(code, kind, cu).value
    etf.manager.draw_up_statement(app_id, cash)
    return app_id


def _approved(etf: EtfWorld, who, code: str, kind: ApplicationKind, cu: int, cash=None) -> int:
    app_id = _stated(etf, who, code, kind, cu, cash)
    etf.bank.approve_statement(app_id)
    return app_id


# ---------------------------------------------------------------------- 1. eligibility


# The New Year break: XTKS trades last on Wednesday 30 December 2026 and reopens on Monday
# 4 January 2027, so the listing window of an ETF listed on 5 January reaches back over it.
LISTING = date(2027, 1, 5)


def _terms(code: str, etf_type: EtfType, last_trading_day: date | None = None) -> EtfTerms:
    in_kind = etf_type is EtfType.IN_KIND
    return EtfTerms(
        code, "ETF1306" if in_kind else "ETF2558", "trust-bank", "etf-manager", LISTING, etf_type,
        CU_1306 if in_kind else CU_2558,
        tuple(Constituent(s, q) for s, q in BASKET_1306.items()) if in_kind else (),
        CASH_1306 if in_kind else 0, last_trading_day,
    )  # fmt: skip


def _agree(etf: EtfWorld, terms: EtfTerms, kind: ApplicationKind, day: date, status) -> str:
    """Ask the chain and the model; both accept (return "ok") or both refuse for the same rule."""
    try:
        etf.d.etf_registry.check_eligibility(terms.code, kind, day)
        chain = "ok"
    except errors.ContractError as e:
        chain = RULE_OF[type(e)]
    try:
        model_check(terms, kind, day, trust_bank_status=status)
        model = "ok"
    except EtfIneligible as e:
        model = e.rule
    assert chain == model, (terms.code, kind, day)
    return chain


def test_the_listing_window_on_chain_is_the_models_across_the_new_year_break(
    etf: EtfWorld,
) -> None:
    for code, unit, etf_type in (("1309", "ETF1306", EtfType.IN_KIND), ("1310", "ETF2558", 2)):
        terms = _terms(code, EtfType(etf_type))
        etf.ccp.etf.notify(
            code, unit=unit, trust_bank="trust-bank", manager="etf-manager",
            listing_date=LISTING, etf_type=terms.etf_type, creation_unit=terms.creation_unit,
            basket=BASKET_1306 if terms.basket else None,
            cash_per_creation_unit=terms.cash_per_creation_unit,
        )  # fmt: skip
    in_kind, cash = _terms("1309", EtfType.IN_KIND), _terms("1310", EtfType.CASH)
    ok, status = "ok", TrustBankStatus.REGISTERED
    # Creation: from two business days before listing (30 December), not three (29 December).
    assert sub_business_days(LISTING, 2) == date(2026, 12, 30)
    for terms, kind in ((in_kind, K.CREATION_IN_KIND), (cash, K.CREATION_CASH)):
        assert _agree(etf, terms, kind, date(2026, 12, 30), status) == ok
        assert (
            _agree(etf, terms, kind, date(2026, 12, 29), status) == EligibilityRule.BEFORE_LISTING
        )
    # Redemption and exchange: from the business day before listing (4 January), not two.
    for terms, kind in ((in_kind, K.EXCHANGE), (cash, K.REDEMPTION_CASH)):
        assert _agree(etf, terms, kind, date(2027, 1, 4), status) == ok
        assert (
            _agree(etf, terms, kind, date(2026, 12, 30), status) == EligibilityRule.BEFORE_LISTING
        )
    # 31 December and 1 January are weekdays the exchange is closed; 2 January a Saturday.
    for day in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 11)):
        assert not is_business_day(day)
        assert _agree(etf, in_kind, K.CREATION_IN_KIND, day, status) == (
            EligibilityRule.NOT_BUSINESS_DAY
        )
    # The wrong kind for the type, before the day is even looked at.
    assert _agree(etf, cash, K.EXCHANGE, date(2026, 12, 31), status) == EligibilityRule.KIND
    assert _agree(etf, in_kind, K.CREATION_CASH, LISTING, status) == EligibilityRule.KIND
    err = refused(
        etf.market.world,
        ASSETS,
        lambda: etf.d.etf_registry.check_eligibility(
            "1309", K.CREATION_IN_KIND, date(2026, 12, 29)
        ),
        errors.EtfBeforeListingWindow,
    )
    assert err.earliest == epoch_day(date(2026, 12, 30))  # the earliest day is named


def test_delisting_and_a_trust_bank_being_deregistered_on_chain_are_the_models(
    etf: EtfWorld,
) -> None:
    last = add_business_days(LISTING, 20)
    etf.ccp.etf.notify(
        "1309", unit="ETF1306", trust_bank="trust-bank", manager="etf-manager",
        listing_date=LISTING, etf_type=EtfType.IN_KIND, creation_unit=CU_1306,
        basket=BASKET_1306, cash_per_creation_unit=CASH_1306,
    )  # fmt: skip
    etf.ccp.etf.decide_delisting("1309", last)
    delisted = _terms("1309", EtfType.IN_KIND, last)
    status = TrustBankStatus.REGISTERED
    after = add_business_days(last, 1)
    for kind in (K.CREATION_IN_KIND, K.EXCHANGE):
        assert _agree(etf, delisted, kind, last, status) == "ok"
        assert _agree(etf, delisted, kind, after, status) == EligibilityRule.AFTER_LAST_TRADING_DAY
    _refused(
        etf,
        lambda: etf.d.etf_registry.check_eligibility("1309", K.EXCHANGE, after),
        errors.EtfAfterLastTradingDay,
    )

    etf.ccp.etf.begin_deregistration("trust-bank")
    status = TrustBankStatus.BEING_DEREGISTERED
    for day in (last, LISTING, date(2027, 1, 1)):  # the trust bank is checked before the day
        assert _agree(etf, delisted, K.EXCHANGE, day, status) == EligibilityRule.TRUST_BANK
    _refused(
        etf,
        lambda: etf.d.etf_registry.check_eligibility("1306", K.CREATION_IN_KIND, etf.t),
        errors.EtfTrustBankNotRegistered,
    )


# ---------------------------------------------------------------------- 2. novation


def test_novation_refuses_every_application_of_a_trust_bank_being_deregistered(
    etf: EtfWorld,
) -> None:
    ids = [
        _approved(etf, etf.a, "1306", K.CREATION_IN_KIND, 1),
        _approved(etf, etf.b, "2558", K.REDEMPTION_CASH, 1, CU_2558 * 30_100),
    ]
    etf.ccp.etf.begin_deregistration("trust-bank")
    run = etf.ccp.etf.novate()
    assert run.novated == {}
    assert set(run.refused) == set(ids)
    assert all(type(e) is errors.EtfTrustBankNotRegistered for e in run.refused.values())
    assert etf.d.etf_settlement.books(etf.s) == []
    apps = etf.d.etf_applications.applications(ids)
    assert [(a.status, a.settlement_date) for a in apps] == [(ApplicationStatus.REFUSED, None)] * 2


def test_novation_refuses_only_the_application_too_early_for_its_listing(market: Market) -> None:
    # Listed two business days after T: a creation is eligible today (2 before listing), an
    # exchange only tomorrow (the business day before listing).
    etf = make_world(market, listing_offset=2)
    early = _approved(etf, etf.b, "1306", K.EXCHANGE, 1)
    fine = _approved(etf, etf.a, "2558", K.CREATION_CASH, 1, CU_2558 * 30_000)
    run = etf.ccp.etf.novate([early, fine])
    assert run.novated == {fine: etf.s}
    assert set(run.refused) == {early}
    assert type(run.refused[early]) is errors.EtfBeforeListingWindow
    books = etf.d.etf_settlement.books(etf.s)
    parties = {(etf.d.participant(b.party).name, b.stream) for b in books}
    assert parties == {("member-a", Stream.MEMBER), ("trust-bank", Stream.CREATION)}


# ---------------------------------------------------------------------- 3. steps


def test_steps_out_of_order_or_by_the_wrong_party_are_refused(etf: EtfWorld) -> None:
    w, d = etf.market.world, etf.d
    apps = d.etf_applications
    app_id = etf.a.apply_etf("1306", K.CREATION_IN_KIND, 2).value
    _refused(etf, lambda: etf.bank.approve_statement(app_id), errors.EtfApplicationOutOfOrder)
    _refused(
        etf,
        lambda: etf.bank.send(apps.draw_up_statement(app_id, 2 * CASH_1306)),
        errors.EtfApplicationNotParty,
    )
    _refused(
        etf,
        lambda: etf.a.send(apps.draw_up_statement(app_id, 2 * CASH_1306)),
        errors.EtfApplicationNotParty,
    )
    _refused(
        etf,
        lambda: etf.manager.draw_up_statement(app_id, 2 * CASH_1306 - 1),
        errors.EtfStatementCashInvalid,
    )
    _refused(etf, lambda: etf.manager.draw_up_statement(app_id, 0), errors.EtfStatementCashInvalid)
    etf.manager.draw_up_statement(app_id)
    _refused(etf, lambda: etf.manager.draw_up_statement(app_id), errors.EtfApplicationOutOfOrder)
    _refused(etf, lambda: etf.manager.send(apps.approve(app_id)), errors.EtfApplicationNotParty)
    _refused(etf, lambda: etf.a.send(apps.approve(app_id)), errors.EtfApplicationNotParty)
    _refused(etf, lambda: etf.ccp.etf.novate([app_id]), errors.EtfApplicationOutOfOrder)
    etf.bank.approve_statement(app_id)
    _refused(
        etf, lambda: etf.a.send(apps.novate([app_id])), errors.AccessControlUnauthorizedAccount
    )
    assert etf.ccp.etf.novate([app_id]).novated == {app_id: etf.s}
    _refused(etf, lambda: etf.ccp.etf.novate([app_id]), errors.EtfApplicationOutOfOrder)
    _refused(etf, lambda: etf.bank.approve_statement(app_id), errors.EtfApplicationOutOfOrder)
    assert apps.application(app_id).status is ApplicationStatus.NOVATED

    # Who may apply, and for what.
    _refused(
        etf,
        lambda: w.client_seg.send(apps.apply("1306", K.CREATION_IN_KIND, 1)),
        errors.EtfNotClearingMember,
    )
    _refused(
        etf,
        lambda: apps.apply("1306", K.CREATION_IN_KIND, 1).send(w.outsider),
        errors.EtfNotClearingMember,
    )
    _refused(
        etf,
        lambda: etf.manager.send(apps.apply("1306", K.CREATION_IN_KIND, 1)),
        errors.EtfNotClearingMember,
    )
    for code, kind in (("2558", K.CREATION_IN_KIND), ("2558", K.EXCHANGE),
                       ("1306", K.CREATION_CASH), ("1306", K.REDEMPTION_CASH)):  # fmt: skip
        _refused(etf, lambda c=code, k=kind: etf.a.apply_etf(c, k, 1), errors.EtfKindNotAccepted)
    _refused(etf, lambda: etf.a.apply_etf("9999", K.EXCHANGE, 1), errors.EtfNotNotified)
    assert apps.count() == 1


# ---------------------------------------------------------------------- 4. netting, settlement


def _novated_day(etf: EtfWorld) -> None:
    """Member A creates one unit of ETF1306 in kind; member B redeems one of ETF2558 for cash."""
    _approved(etf, etf.a, "1306", K.CREATION_IN_KIND, 1)
    _approved(etf, etf.b, "2558", K.REDEMPTION_CASH, 1, CU_2558 * 30_100)
    assert not etf.ccp.etf.novate().refused


def _approve_all(etf: EtfWorld) -> None:
    settlement = etf.d.etf_settlement.address
    for who in (etf.a, etf.b):
        for symbol in ASSETS:
            who.send(etf.d.token(symbol).approve(settlement))


def test_the_netting_closes_only_when_the_day_nets_to_zero(etf: EtfWorld) -> None:
    _novated_day(etf)
    s, desk, d = etf.s, etf.ccp.etf, etf.d
    _approve_all(etf)
    book = etf.a.etf_book(s)
    _refused(etf, lambda: etf.a.send(d.etf_settlement.deliver(book.id, "TYO7203", 1)),
             errors.EtfDayNotClosed)  # fmt: skip
    desk.record_trades(s, [Trade("member-a", "TYO7203", Side.BUY, 100, 3_000)])
    # Not before the eve's 14:45: what the eve's fails roll into the day comes first.
    err = _refused(etf, lambda: desk.close_netting(s), errors.EtfCutoffNotPassed)
    assert err.cutoff == to_unix(datetime.combine(etf.eve, time(14, 45), TOKYO))
    etf.before_netting()
    err = _refused(etf, lambda: desk.close_netting(s), errors.EtfDayUnbalanced)
    assert err.imbalance != 0
    desk.record_trades(s, [Trade("member-b", "TYO7203", Side.SELL, 100, 3_000)])
    assert desk.close_netting(s).value == 4
    _refused(
        etf,
        lambda: desk.record_trades(s, [Trade("member-a", "TYO7203", Side.BUY, 1, 3_000)]),
        errors.EtfDayClosed,
    )
    _refused(etf, lambda: desk.close_netting(s), errors.EtfDayClosed)
    desk.set_dvp_prices(s, PRICES)
    _refused(etf, lambda: desk.set_dvp_prices(s, {"TYO7203": 3_001}), errors.EtfDvpPriceFixed)
    assert d.etf_settlement.dvp_price(s, "TYO7203") == 3_000


def test_the_settlement_day_timetable_and_who_may_deliver(etf: EtfWorld) -> None:
    _novated_day(etf)
    s, desk, d = etf.s, etf.ccp.etf, etf.d
    settlement = d.etf_settlement
    etf.before_netting()
    assert desk.close_netting(s).value == 4
    desk.set_dvp_prices(s, PRICES)
    _approve_all(etf)
    a_book = etf.a.etf_book(s)
    deliver = settlement.deliver

    # The eve is not the settlement day.
    _refused(etf, lambda: etf.a.send(deliver(a_book.id, "TYO7203", 1)), errors.EtfNotSettlementDay)
    etf.at(s, 9)
    # More than owed (600 per creation unit), and another party into A's book.
    _refused(
        etf,
        lambda: etf.a.send(deliver(a_book.id, "TYO7203", 601)),
        errors.EtfDeliveryExceedsObligation,
    )
    _refused(etf, lambda: etf.a.send(deliver(a_book.id, "ETF1306", 1)),
             errors.EtfDeliveryExceedsObligation)  # fmt: skip
    _refused(etf, lambda: etf.b.send(deliver(a_book.id, "TYO7203", 1)), errors.EtfNotBookParty)
    # 13:00:00 is the last second deliveries are taken: a delivery mined then is accepted.
    cutoff = settlement.cutoff(s, Step.DELIVER)
    assert cutoff == to_unix(datetime.combine(s, time(13), TOKYO))
    etf.at(s, 12, 59)
    devnet.set_next_timestamp(etf.market.world.chain, cutoff)
    sent = etf.a.send(deliver(a_book.id, "TYO7203", 100))
    w3 = etf.market.world.chain.w3
    assert w3.eth.get_block(sent.receipt.block_number)["timestamp"] == cutoff
    assert {leg.delivered for leg in etf.a.etf_book(s).legs} == {0, 100}
    etf.at(s, 13, 0, 1)
    err = _refused(etf, lambda: etf.a.send(deliver(a_book.id, "TYO7203", 1)),
                   errors.EtfCutoffPassed)  # fmt: skip
    assert err.cutoff == cutoff
    # 14:15:00 is the last second of DvP receipts.
    assert settlement.cutoff(s, Step.RECEIVE) == to_unix(datetime.combine(s, time(14, 15), TOKYO))
    etf.at(s, 14, 15, 1)
    _refused(etf, lambda: etf.a.collect_etf(s), errors.EtfCutoffPassed)


# ---------------------------------------------------------------------- 5. article 47


def test_a_partial_delivery_receives_no_more_than_it_is_worth_and_no_yen(etf: EtfWorld) -> None:
    _novated_day(etf)
    s, desk, d = etf.s, etf.ccp.etf, etf.d
    settlement = d.etf_settlement
    etf.before_netting()
    desk.close_netting(s)
    desk.set_dvp_prices(s, PRICES)
    _approve_all(etf)
    etf.at(s, 9)
    etf.bank.create_units(s)  # 1,000 ETF1306 for member A's creation
    etf.bank.settle_redemptions(s)  # 3,010,000 yen for member B's redemption
    a_book, b_book = etf.a.etf_book(s), etf.b.etf_book(s)
    # A owes 600 TYO7203, 300 TYO6758 and 50,000 yen for 1,000 ETF1306; it delivers 300 TYO7203.
    etf.a.send(settlement.deliver(a_book.id, "TYO7203", 300))
    # B owes 100 ETF2558 for 3,010,000 yen; it delivers 50.
    etf.b.send(settlement.deliver(b_book.id, "ETF2558", 50))
    etf.at(s, 10)
    units_before = d.token("ETF1306").balance_of(etf.a.address)
    etf.a.collect_etf(s)
    book = etf.a.etf_book(s)
    assert book.value_in == 300 * 3_000
    # The largest whole number of units worth no more than 900,000 yen: 310 (899,000 yen).
    got = {d.asset(leg.token).symbol: leg.received for leg in book.legs}["ETF1306"]
    assert got == 900_000 // 2_900 == 310
    assert book.value_out == got * 2_900 <= book.value_in < (got + 1) * 2_900
    assert d.token("ETF1306").balance_of(etf.a.address) - units_before == got

    yen_before = d.token("JPY").balance_of(etf.b.address)
    _refused(etf, lambda: etf.b.collect_etf(s), errors.EtfNothingToDo)  # its yen is withheld
    assert etf.b.etf_book(s).cash_out == 0
    assert d.token("JPY").balance_of(etf.b.address) == yen_before

    # Once B has delivered everything it owes, its yen is paid in full.
    etf.b.send(settlement.deliver(b_book.id, "ETF2558", 50))
    etf.b.collect_etf(s)
    assert etf.b.etf_book(s).cash_out == CU_2558 * 30_100
    assert d.token("JPY").balance_of(etf.b.address) - yen_before == CU_2558 * 30_100
