"""Netting of one settlement day (art. 50): trades and ETF statements into one book per member
and one per trust bank and stream, the cash split into a, b and the adjustments, conservation,
and the trade feed. None of these tests touches the chain.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyclient.errors import InputError
from pyclient.etf.model import (
    ApplicationKind,
    Constituent,
    EtfTerms,
    EtfType,
    Legs,
    statement_legs,
)
from pyclient.etf.netting import (
    Book,
    CashBreakdown,
    NettingRefused,
    NettingReport,
    Side,
    Stream,
    Trade,
    TradeFeedRefused,
    TradesUnbalanced,
    decompose,
    load_trades,
    net,
    stream_of,
)

TOPIX = EtfTerms(
    code="1321",
    unit_symbol="ETF1321",
    trust_bank="trust-a",
    manager="manager-a",
    listing_date=date(2026, 3, 10),
    etf_type=EtfType.IN_KIND,
    creation_unit=1_000,
    basket=(Constituent("7203", 100), Constituent("6758", 50)),
    cash_per_creation_unit=20_000,
)
CASH = EtfTerms(
    code="1489",
    unit_symbol="ETF1489",
    trust_bank="trust-b",
    manager="manager-b",
    listing_date=date(2026, 3, 10),
    etf_type=EtfType.CASH,
    creation_unit=500,
    basket=(),
    cash_per_creation_unit=0,
)
# DvP clearing prices of the day. At 3,000 and 13,000 the basket plus cash of one creation unit is
# worth 970,000 JPY, 970 a unit; the units clear at 972.
DVP = {"7203": 3_000, "6758": 13_000, "ETF1321": 972, "ETF1489": 2_100}

FEED = """member,symbol,side,quantity,price
A,7203,buy,100,3010
A,7203,BUY,50,2990
A,ETF1321,sell,500,971
A,ETF1489,sell,500,2080

B,7203,sell,100,3010
B,7203,sell,50,2990
B,ETF1321,buy,500,971
B,ETF1489,buy,500,2080
"""


def worked_example() -> NettingReport:
    creation = statement_legs(TOPIX, ApplicationKind.CREATION_IN_KIND, 2, 40_000)
    redemption = statement_legs(CASH, ApplicationKind.REDEMPTION_CASH, 1, 1_050_000)
    return net(
        load_trades(FEED),
        [
            ("A", "trust-a", ApplicationKind.CREATION_IN_KIND, creation),
            ("B", "trust-b", ApplicationKind.REDEMPTION_CASH, redemption),
        ],
    )


# ---------------------------------------------------------------------- the worked example


def test_the_worked_example_has_one_book_per_member_and_per_trust_bank_stream() -> None:
    assert list(worked_example().books) == [
        ("A", Stream.MEMBER),
        ("B", Stream.MEMBER),
        ("trust-a", Stream.CREATION),
        ("trust-b", Stream.REDEMPTION),
    ]


def test_member_a_nets_its_creation_in_kind_with_its_trades() -> None:
    # Trades: buys 100 7203 @3,010 and 50 @2,990, sells 500 ETF1321 @971 and 500 ETF1489 @2,080.
    # Statement: delivers 200 7203, 100 6758 and 40,000 JPY, receives 2,000 ETF1321.
    a = worked_example().books[("A", Stream.MEMBER)]
    assert a.securities == {"7203": -50, "6758": -100, "ETF1321": 1_500, "ETF1489": -500}
    # -301,000 - 149,500 + 485,500 + 1,040,000 - 40,000
    assert a.cash == 1_035_000
    assert a.gross_securities == {"7203": 350, "6758": 100, "ETF1321": 2_500, "ETF1489": 500}
    assert a.gross_cash == 2_016_000
    assert len(a.trades) == 4 and len(a.statements) == 1
    # a: sold 200x3,000 + 100x13,000 + 500x972 + 500x2,100 = 3,436,000;
    #    bought 150x3,000 + 2,000x972 = 2,394,000.
    # b: -100x10 + 50x10 - 500x1 - 500x20 = -11,000 (bought dear, bought cheap, sold cheap twice).
    # adjustments: the units were worth 2 JPY each more than basket and cash: 2,000 x 2.
    assert decompose(a, DVP) == CashBreakdown(
        a=1_042_000, b=-11_000, adjustments=4_000, total=a.cash
    )


def test_member_b_nets_its_cash_redemption_with_its_trades() -> None:
    b = worked_example().books[("B", Stream.MEMBER)]
    # The ETF1489 it bought are the ones it redeems: that issue nets to nothing.
    assert b.securities == {"7203": -150, "ETF1321": 500}
    # 301,000 + 149,500 - 485,500 - 1,040,000 + 1,050,000
    assert b.cash == -25_000
    assert b.gross_securities == {"7203": 150, "ETF1321": 500, "ETF1489": 1_000}
    assert b.gross_cash == 3_026_000
    # a: sold 150x3,000 + 500x2,100 = 1,500,000; bought 500x972 + 500x2,100 = 1,536,000.
    # b: 100x10 - 50x10 + 500x1 + 500x20 = 11,000. The redemption cash is the units' DvP value.
    assert decompose(b, DVP) == CashBreakdown(a=-36_000, b=11_000, adjustments=0, total=-25_000)


def test_each_trust_bank_settles_the_negation_of_its_statements_unnetted() -> None:
    books = worked_example().books
    creation = books[("trust-a", Stream.CREATION)]
    assert creation.securities == {"7203": 200, "6758": 100, "ETF1321": -2_000}
    assert creation.cash == 40_000
    assert creation.gross_securities == {"7203": 200, "6758": 100, "ETF1321": 2_000}
    assert creation.gross_cash == 40_000
    assert creation.trades == ()
    assert decompose(creation, DVP) == CashBreakdown(44_000, 0, -4_000, 40_000)
    redemption = books[("trust-b", Stream.REDEMPTION)]
    assert redemption.securities == {"ETF1489": 500}
    assert redemption.cash == -1_050_000
    assert redemption.gross_cash == 1_050_000


def test_the_worked_example_conserves_every_issue_and_the_cash() -> None:
    books = worked_example().books.values()
    for symbol in DVP:
        assert sum(book.securities.get(symbol, 0) for book in books) == 0
    assert sum(book.cash for book in books) == 0


def test_the_worked_example_nets_away_exactly_3977_in_9946_of_the_gross_value() -> None:
    report = worked_example()
    # Gross: A 350x3,000 + 100x13,000 + 2,500x972 + 500x2,100 + 2,016,000 = 7,846,000;
    # B 150x3,000 + 500x972 + 1,000x2,100 + 3,026,000 = 6,062,000;
    # trust-a 200x3,000 + 100x13,000 + 2,000x972 + 40,000 = 3,884,000; trust-b 2,100,000.
    assert report.gross_value(DVP) == 19_892_000
    # Net: A 50x3,000 + 100x13,000 + 1,500x972 + 500x2,100 + 1,035,000 = 4,993,000;
    # B 150x3,000 + 500x972 + 25,000 = 961,000; the trust banks' books do not net.
    assert report.net_value(DVP) == 11_938_000
    assert report.efficiency(DVP) == 1 - Fraction(11_938_000, 19_892_000) == Fraction(3977, 9946)


def test_a_creation_and_an_exchange_of_one_trust_bank_settle_in_separate_books() -> None:
    creation = statement_legs(TOPIX, ApplicationKind.CREATION_IN_KIND, 1, 20_000)
    exchange = statement_legs(TOPIX, ApplicationKind.EXCHANGE, 1, 0)
    report = net(
        [],
        [
            ("A", "trust-a", ApplicationKind.CREATION_IN_KIND, creation),
            ("A", "trust-a", ApplicationKind.EXCHANGE, exchange),
        ],
    )
    # For member A the two offset but for the cash component.
    assert report.books[("A", Stream.MEMBER)].securities == {}
    assert report.books[("A", Stream.MEMBER)].cash == -20_000
    assert report.books[("trust-a", Stream.CREATION)].securities == {
        "7203": 100,
        "6758": 50,
        "ETF1321": -1_000,
    }
    assert report.books[("trust-a", Stream.REDEMPTION)].securities == {
        "7203": -100,
        "6758": -50,
        "ETF1321": 1_000,
    }
    assert stream_of(ApplicationKind.CREATION_CASH) is Stream.CREATION
    assert stream_of(ApplicationKind.REDEMPTION_CASH) is Stream.REDEMPTION


def test_nothing_to_settle_nets_to_nothing() -> None:
    report = net([])
    assert report.books == {}
    assert report.gross_value(DVP) == report.net_value(DVP) == 0
    assert report.efficiency(DVP) == 0


# ---------------------------------------------------------------------- refusals


def test_trades_that_do_not_match_in_quantity_are_refused_naming_the_symbol() -> None:
    trades = [
        Trade("A", "7203", Side.BUY, 100, 3_000),
        Trade("B", "7203", Side.SELL, 60, 3_000),
        Trade("C", "7203", Side.SELL, 30, 3_000),
    ]
    with pytest.raises(TradesUnbalanced, match="7203") as e:
        net(trades)
    assert (e.value.symbol, e.value.quantity, e.value.value) == ("7203", 10, 30_000)
    assert isinstance(e.value, InputError)


def test_trades_that_match_in_quantity_but_not_in_value_are_refused() -> None:
    trades = [Trade("A", "7203", Side.BUY, 100, 3_001), Trade("B", "7203", Side.SELL, 100, 3_000)]
    with pytest.raises(TradesUnbalanced, match=r"\+0 units and \+100 JPY"):
        net(trades)


def test_netting_without_a_dvp_price_for_a_traded_issue_is_refused() -> None:
    report = worked_example()
    prices = {k: v for k, v in DVP.items() if k != "6758"}
    with pytest.raises(NettingRefused, match="no DvP clearing price for 6758"):
        report.gross_value(prices)
    with pytest.raises(NettingRefused, match="no DvP clearing price for 6758"):
        decompose(report.books[("A", Stream.MEMBER)], prices)
    with pytest.raises(NettingRefused, match="positive int"):
        report.net_value({**DVP, "6758": 0})


def test_a_malformed_statement_is_refused() -> None:
    legs = Legs({"ETF1489": -500}, 1_050_000)
    for bad in [
        ("B", "trust-b", ApplicationKind.REDEMPTION_CASH),
        ("", "trust-b", ApplicationKind.REDEMPTION_CASH, legs),
        ("B", "trust-b", ApplicationKind.NONE, legs),
        ("B", "trust-b", 9, legs),
        ("B", "trust-b", ApplicationKind.REDEMPTION_CASH, {"ETF1489": -500}),
        ("B", "trust-b", ApplicationKind.REDEMPTION_CASH, Legs({"ETF1489": -0.5}, 0)),
    ]:
        with pytest.raises(NettingRefused):
            net([], [bad])  # type: ignore[list-item]


# ---------------------------------------------------------------------- the trade feed


def test_the_feed_is_read_from_text_or_from_a_file(tmp_path: Path) -> None:
    trades = load_trades(FEED)
    assert len(trades) == 8
    assert trades[1] == Trade("A", "7203", Side.BUY, 50, 2_990)
    assert trades[2].side is Side.SELL and trades[2].cash == 485_500
    assert trades[0].signed_quantity == 100 and trades[0].cash == -301_000
    path = tmp_path / "trades.csv"
    path.write_text(FEED, encoding="utf-8")
    assert load_trades(path) == trades
    assert load_trades(str(path)) == trades


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (",7203,buy,100,3000", "member", "empty"),
        ("A, ,buy,100,3000", "symbol", "empty"),
        ("A,7203,hold,100,3000", "side", "'hold' is neither buy nor sell"),
        ("A,7203,buy,1.5,3000", "quantity", "'1.5' is not a whole number"),
        ("A,7203,buy,1_000,3000", "quantity", "'1_000' is not a whole number"),
        ("A,7203,buy,,3000", "quantity", "'' is not a whole number"),
        ("A,7203,buy,0,3000", "quantity", "0 must be positive"),
        ("A,7203,buy,-5,3000", "quantity", "-5 must be positive"),
        ("A,7203,buy,100,abc", "price", "'abc' is not a whole number"),
        ("A,7203,buy,100,0", "price", "0 must be positive"),
        ("A,7203,buy,100", "row", "4 fields where 5 are expected"),
    ],
)
def test_a_bad_row_is_refused_naming_its_line_and_field(row: str, field: str, words: str) -> None:
    text = f"member,symbol,side,quantity,price\nA,7203,buy,1,3000\n\n{row}\n"
    with pytest.raises(TradeFeedRefused, match=words) as e:
        load_trades(text)
    assert (e.value.line, e.value.field) == (4, field)
    assert str(e.value).startswith(f"line 4, {field}: ")


def test_a_feed_without_the_header_is_refused_at_line_1() -> None:
    with pytest.raises(TradeFeedRefused, match="the header must be") as e:
        load_trades("member,symbol,side,qty,price\nA,7203,buy,1,3000\n")
    assert e.value.line == 1
    with pytest.raises(TradeFeedRefused, match="header"):
        load_trades("\n")


def test_a_feed_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TradeFeedRefused, match="cannot read"):
        load_trades(tmp_path / "missing.csv")


def test_a_trade_built_in_python_is_checked_too() -> None:
    assert Trade("A", "7203", "SELL", 1, 1).side is Side.SELL  # type: ignore[arg-type]
    with pytest.raises(TradeFeedRefused, match="quantity must be a positive int"):
        Trade("A", "7203", Side.BUY, 0, 3_000)
    with pytest.raises(TradeFeedRefused, match="price_jpy must be a positive int"):
        Trade("A", "7203", Side.BUY, 1, 3_000.0)  # type: ignore[arg-type]
    with pytest.raises(TradeFeedRefused, match="neither buy nor sell"):
        Trade("A", "7203", "short", 1, 1)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- conservation

MEMBERS = ("A", "B", "C")
SYMBOLS = ("7203", "6758", "ETF1321", "ETF1489")
PRICES = {s: st.integers(1, 20_000) for s in SYMBOLS}

matched_trade = st.tuples(
    st.sampled_from(MEMBERS),
    st.sampled_from(MEMBERS),
    st.sampled_from(SYMBOLS),
    st.integers(1, 10_000),
    st.integers(1, 20_000),
)
statement = st.one_of(
    st.tuples(
        st.sampled_from(MEMBERS),
        st.sampled_from([ApplicationKind.CREATION_IN_KIND, ApplicationKind.EXCHANGE]),
        st.integers(1, 5),
    ).map(
        lambda t: (
            t[0],
            TOPIX.trust_bank,
            t[1],
            statement_legs(
                TOPIX,
                t[1],
                t[2],
                TOPIX.cash_per_creation_unit * t[2] if t[1].is_creation else 0,
            ),
        )
    ),
    st.tuples(
        st.sampled_from(MEMBERS),
        st.sampled_from([ApplicationKind.CREATION_CASH, ApplicationKind.REDEMPTION_CASH]),
        st.integers(1, 5),
        st.integers(1, 10**8),
    ).map(lambda t: (t[0], CASH.trust_bank, t[1], statement_legs(CASH, t[1], t[2], t[3]))),
)


@given(
    matches=st.lists(matched_trade, max_size=12),
    statements=st.lists(statement, max_size=6),
    prices=st.fixed_dictionaries(PRICES),
    order=st.randoms(use_true_random=False),
)
def test_netting_conserves_every_issue_and_the_cash_and_decomposes_every_book(
    matches: list[tuple[str, str, str, int, int]],
    statements: list[tuple[str, str, ApplicationKind, Legs]],
    prices: dict[str, int],
    order,  # type: ignore[no-untyped-def]
) -> None:
    trades = [
        t
        for buyer, seller, symbol, q, p in matches
        for t in (Trade(buyer, symbol, Side.BUY, q, p), Trade(seller, symbol, Side.SELL, q, p))
    ]
    order.shuffle(trades)  # the feed is one side per row, in no particular order
    report = net(trades, statements)

    per_symbol: dict[str, int] = defaultdict(int)
    gross_cash = 0
    for book in report.books.values():
        assert isinstance(book, Book)
        for symbol, q in book.securities.items():
            assert q != 0
            assert abs(q) <= book.gross_securities[symbol]
            per_symbol[symbol] += q
        assert abs(book.cash) <= book.gross_cash
        gross_cash += book.gross_cash
        breakdown = decompose(book, prices)
        assert breakdown.total == book.cash == breakdown.a + breakdown.b + breakdown.adjustments
        if book.stream is not Stream.MEMBER:
            assert breakdown.b == 0 and book.trades == ()
    assert all(q == 0 for q in per_symbol.values())
    assert sum(book.cash for book in report.books.values()) == 0
    assert gross_cash == sum(abs(t.cash) for t in trades) + 2 * sum(
        abs(s[3].cash) for s in statements
    )

    efficiency = report.efficiency(prices)
    assert 0 <= efficiency <= 1
    assert report.net_value(prices) <= report.gross_value(prices)
