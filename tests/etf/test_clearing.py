"""ETF creation and redemption clearing on chain: application to novation, netting with the day's
trades (article 50), and the settlement day on the Tokyo timetable with article 47's DvP rule."""

from __future__ import annotations

import pytest
from etf.etf_world import CU_2558, EtfWorld, make_world
from support import Market

from pyclient import reconcile
from pyclient.etf.clearing import ApplicationStatus
from pyclient.etf.model import ApplicationKind
from pyclient.etf.netting import Side, Stream, Trade, net
from pyclient.views import balance_sheet

K = ApplicationKind


@pytest.fixture
def etf(market: Market) -> EtfWorld:
    return make_world(market)


def _through_approval(etf: EtfWorld, who, code: str, kind: ApplicationKind, cu: int, cash=None):
    app_id = who.apply_etf(code, kind, cu).value
    etf.manager.draw_up_statement(app_id, cash)
    etf.bank.approve_statement(app_id)
    return app_id


def test_a_day_of_applications_nets_with_trades_and_settles_delivery_versus_payment(
    etf: EtfWorld,
) -> None:
    d = etf.d
    ids = [
        _through_approval(etf, etf.a, "1306", K.CREATION_IN_KIND, 2),
        _through_approval(etf, etf.b, "1306", K.EXCHANGE, 1),
        _through_approval(etf, etf.a, "2558", K.CREATION_CASH, 3, 3 * CU_2558 * 30_000),
        _through_approval(etf, etf.b, "2558", K.REDEMPTION_CASH, 1, CU_2558 * 30_100),
    ]
    run = etf.ccp.etf.novate()
    assert run.refused == {}
    assert run.novated == dict.fromkeys(ids, etf.s)
    apps = d.etf_applications.applications(ids)
    assert {a.status for a in apps} == {ApplicationStatus.NOVATED}
    assert {a.statement_date for a in apps} == {etf.t}

    trades = [
        Trade("member-a", "ETF1306", Side.SELL, 500, 2_900),
        Trade("member-b", "ETF1306", Side.BUY, 500, 2_900),
        Trade("member-b", "TYO7203", Side.SELL, 200, 3_010),
        Trade("member-a", "TYO7203", Side.BUY, 200, 3_010),
    ]
    etf.ccp.etf.record_trades(etf.s, trades)
    etf.before_netting()
    assert etf.ccp.etf.close_netting(etf.s).value == 4  # two members, two trust bank streams

    # The chain's books are the model's: article 50 netting of the same trades and statements.
    report = etf.ccp.etf.netting_report(etf.s)
    statements = [
        (d.participant(a.member).name, "trust-bank", a.kind,
         _legs(d, a.securities, a.cash_jpy))
        for a in apps
    ]  # fmt: skip
    model = net(trades, statements)
    for key, book in model.books.items():
        chain = report.books[key]
        assert (chain.securities, chain.cash) == (book.securities, book.cash), key
        assert (chain.gross_securities, chain.gross_cash) == (
            book.gross_securities,
            book.gross_cash,
        )
    prices = {"ETF1306": 2_900, "ETF2558": 30_000, "TYO7203": 3_000, "TYO6758": 3_500}
    assert 0 < report.efficiency(prices) < 1
    assert report.efficiency(prices) == model.efficiency(prices)

    # Settlement day, Tokyo time: deliver and pay by 13:00, collect by 14:15, surplus by 14:45,
    # cancel units by 15:30.
    etf.ccp.etf.set_dvp_prices(etf.s, prices)
    holders = {p: d.address_of(p) for p in ("member-a", "member-b", "trust-bank")}
    before = balance_sheet(d, holders, participants=False).units
    etf.at(etf.s, 9)
    by_address = {d.asset(s).address: p for s, p in prices.items()}
    prefund = {}
    for party, stream in (("member-a", Stream.MEMBER), ("member-b", Stream.MEMBER),
                          ("trust-bank", Stream.REDEMPTION)):  # fmt: skip
        prefund[party] = d.etf_settlement.book_of(etf.s, party, stream).prefund_needed(by_address)
    # The exchange's basket (2,850,000 yen at DvP prices) is worth 50,000 less than its units
    # (2,900,000); the cash redemption pays 3,010,000 for units worth 3,000,000, 10,000 more: the
    # trust bank pre-funds the 40,000 left to take every unit in (article 47).
    assert prefund["trust-bank"] == 40_000
    etf.a.settle_etf_deliveries(etf.s)
    etf.b.settle_etf_deliveries(etf.s)
    etf.bank.create_units(etf.s)
    etf.bank.settle_redemptions(etf.s)
    etf.at(etf.s, 14, 0)
    assert etf.ccp.etf.collect_all(etf.s) == []
    etf.at(etf.s, 14, 30)
    etf.bank.cancel_units(etf.s)
    for who, stream in ((etf.a, Stream.MEMBER), (etf.b, Stream.MEMBER),
                        (etf.bank, Stream.REDEMPTION)):  # fmt: skip
        if prefund[who.name]:
            assert who.return_etf_surplus(etf.s, stream).value == prefund[who.name]

    after = balance_sheet(d, holders, participants=False).units
    for (party, _stream), book in model.books.items():
        if party == "trust-bank":
            continue
        address = holders[party]
        for symbol, q in book.securities.items():
            assert after[(address, symbol)] - before.get((address, symbol), 0) == q, (party, symbol)
        assert after[(address, "JPY")] - before[(address, "JPY")] == book.cash, party
    # Nothing stays with the CCP; the trust bank's units were created and cancelled on chain.
    for b in d.etf_settlement.books(etf.s):
        assert b.settled, b
    settlement = d.etf_settlement.address
    for symbol in ("JPY", "ETF1306", "ETF2558", "TYO7203", "TYO6758"):
        assert d.token(symbol).balance_of(settlement) == 0
    assert reconcile.etf_settlement_held(d).ok


def _legs(d, securities, cash):
    from pyclient.etf.model import Legs

    return Legs({d.asset(t).symbol: q for t, q in securities.items()}, cash)
