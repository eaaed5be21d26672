"""Netting of one settlement day (business rules art. 50): exchange trades and ETF statements
become one net delivery per issue and one net cash amount per book.

The CCP is the counterparty to every novated obligation. For a clearing member, everything that
settles on the day (its exchange trades and the member's legs of its ETF statements) is netted
into one book: per issue, the quantity received less the quantity delivered (art. 50(1)(ii),
銘柄ごとの有価証券の引渡数量と受領数量の差引数量), and one cash amount (art. 50(1)(i)):

* a: the value sold less the value bought, at the day's DvP clearing price (a statement leg the
  member delivers counts as sold, one it receives as bought);
* b: for trades, the difference between the trade price and the DvP clearing price;
* d, e: the market-value adjustments of creations and exchanges (設定時・交換時時価総額調整額),
  which together with the statements' cash make up `adjustments` = cash - a - b.

The ETF special participant is not netted with members: its amounts are computed per trust bank
that is trustee of its ETFs, creation apart from redemption and exchange, and settled per stream
(art. 50, second sentence: 登録ＥＴＦ信託銀行ごとに...設定と交換...に係るものに区分して算出). Its
legs are the exact negation of the member's.

Every trade and statement passed to `net` settles on the same day; choosing them is the caller's
business. A CCP novates only matched trades, so a trade feed that is not balanced per symbol
(quantity bought = quantity sold, value bought = value sold) is refused; then every issue and
the cash sum to zero over all books (conservation). Pure: no chain.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType

from ..enums import ChainEnum
from ..errors import InputError
from .model import ApplicationKind, Legs

__all__ = [
    "HEADER", "Book", "CashBreakdown", "NettingRefused", "NettingReport", "Side", "Statement",
    "Stream", "Trade", "TradeFeedRefused", "TradesUnbalanced", "decompose", "load_trades", "net",
    "stream_of",
]  # fmt: skip

HEADER = ("member", "symbol", "side", "quantity", "price")
_INTEGER = re.compile(r"[+-]?[0-9]+")


class NettingRefused(InputError):
    """Obligations the CCP cannot net: a malformed statement, a missing or bad DvP price."""


class TradeFeedRefused(NettingRefused):
    """A trade feed row that cannot be read: `line` and `field` say where (0 and "" if none)."""

    def __init__(self, message: str, *, line: int = 0, field: str = "") -> None:
        self.line = line
        self.field = field
        super().__init__(f"line {line}, {field}: {message}" if line else message)


class TradesUnbalanced(NettingRefused):
    """Trades in `symbol` that do not match: more bought than sold (or the values differ)."""

    def __init__(self, symbol: str, quantity: int, value: int) -> None:
        self.symbol = symbol
        self.quantity = quantity  # bought - sold
        self.value = value  # JPY bought - sold, at trade prices
        super().__init__(
            f"trades in {symbol} do not match: bought - sold = {quantity:+,} units and "
            f"{value:+,} JPY; the CCP novates only matched trades"
        )


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Stream(ChainEnum):
    """Which netted book an obligation settles in."""

    MEMBER = 0  # a clearing member: trades and its statement legs together
    CREATION = 1  # a trust bank's creations (the ETF special participant's side)
    REDEMPTION = 2  # a trust bank's redemptions and exchanges


def stream_of(kind: ApplicationKind) -> Stream:
    """The trust bank's stream for a statement of `kind`."""
    kind = ApplicationKind(kind)
    if kind is ApplicationKind.NONE:
        raise NettingRefused("a statement must have an application kind")
    return Stream.CREATION if kind.is_creation else Stream.REDEMPTION


@dataclass(frozen=True)
class Trade:
    """One side of an exchange trade novated to the CCP: `member` buys or sells `quantity` units
    of `symbol` at `price_jpy` a unit."""

    member: str
    symbol: str
    side: Side
    quantity: int
    price_jpy: int

    def __post_init__(self) -> None:
        for name in ("member", "symbol"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise TradeFeedRefused(f"a trade needs a {name}, not {value!r}", field=name)
        try:
            side = self.side.lower() if isinstance(self.side, str) else self.side
            object.__setattr__(self, "side", Side(side))
        except ValueError:
            raise TradeFeedRefused(
                f"side {self.side!r} is neither buy nor sell", field="side"
            ) from None
        for name in ("quantity", "price_jpy"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise TradeFeedRefused(f"{name} must be a positive int, not {value!r}", field=name)

    @property
    def signed_quantity(self) -> int:
        """Units the member receives (+) or delivers (-)."""
        return self.quantity if self.side is Side.BUY else -self.quantity

    @property
    def cash(self) -> int:
        """JPY the member receives (+) or pays (-) at the trade price."""
        return -self.signed_quantity * self.price_jpy


def _positive_int(text: str, line: int, name: str) -> int:
    # int() alone would take "1_000" and non-ASCII digits; a feed holds plain decimal numbers.
    if not _INTEGER.fullmatch(text):
        raise TradeFeedRefused(f"{text!r} is not a whole number", line=line, field=name)
    value = int(text)
    if value <= 0:
        raise TradeFeedRefused(f"{value} must be positive", line=line, field=name)
    return value


def load_trades(source: str | Path) -> list[Trade]:
    """Read trades from CSV with the header `member,symbol,side,quantity,price`: `source` is a
    path, or the CSV text itself when it contains a newline. Blank lines are skipped; every bad
    row is refused (`TradeFeedRefused`) naming its line number and field."""
    if isinstance(source, str) and "\n" in source:
        text = source
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise TradeFeedRefused(f"cannot read the trade feed {source}: {e}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise TradeFeedRefused(
            f"the header must be {','.join(HEADER)}, not {','.join(header or [])!r}",
            line=1,
            field="header",
        )
    trades = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise TradeFeedRefused(
                f"{len(row)} fields where {len(HEADER)} are expected", line=line, field="row"
            )
        member, symbol, side, quantity, price = (cell.strip() for cell in row)
        for name, value in (("member", member), ("symbol", symbol)):
            if not value:
                raise TradeFeedRefused("empty", line=line, field=name)
        if side.lower() not in tuple(Side):
            raise TradeFeedRefused(f"{side!r} is neither buy nor sell", line=line, field="side")
        trades.append(
            Trade(
                member,
                symbol,
                Side(side.lower()),
                _positive_int(quantity, line, "quantity"),
                _positive_int(price, line, "price"),
            )
        )
    return trades


# ---------------------------------------------------------------------- books


@dataclass(frozen=True)
class Book:
    """One netted book: `party` (a member, or a trust bank for the ETF special participant's
    side) in `stream`. `securities` is net per symbol (+ received, - delivered; issues that net to
    zero are left out), `cash` net JPY (+ received); the gross fields sum the magnitude of every
    obligation, what would move without netting. `trades` and `statements` are the obligations
    netted, statements as this book's legs."""

    party: str
    stream: Stream
    securities: dict[str, int]
    cash: int
    gross_securities: dict[str, int]
    gross_cash: int
    trades: tuple[Trade, ...] = ()
    statements: tuple[Legs, ...] = ()


@dataclass(frozen=True)
class CashBreakdown:
    """A book's cash as article 50(1)(i) builds it: `a` (value sold - value bought at the DvP
    price), `b` (trade price vs DvP price), `adjustments` (the creation and exchange market-value
    adjustments d and e, with the statements' cash); `total` = a + b + adjustments = the book's
    cash."""

    a: int
    b: int
    adjustments: int
    total: int


def _prices(dvp_prices: Mapping[str, int], symbols: Iterable[str]) -> dict[str, int]:
    prices = {}
    for symbol in symbols:
        if symbol not in dvp_prices:
            raise NettingRefused(f"no DvP clearing price for {symbol}")
        price = dvp_prices[symbol]
        if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
            raise NettingRefused(f"the DvP clearing price of {symbol} must be a positive int JPY")
        prices[symbol] = price
    return prices


def decompose(book: Book, dvp_prices: Mapping[str, int]) -> CashBreakdown:
    """Split `book.cash` into a, b and the adjustments at the day's DvP clearing prices."""
    symbols = {*book.gross_securities, *book.securities, *(t.symbol for t in book.trades)}
    prices = _prices(dvp_prices, sorted(symbols))
    # Sold counts positive and bought negative, so a is minus the net received value.
    a = -sum(q * prices[s] for s, q in book.securities.items())
    b = sum(t.signed_quantity * (prices[t.symbol] - t.price_jpy) for t in book.trades)
    return CashBreakdown(a=a, b=b, adjustments=book.cash - a - b, total=book.cash)


@dataclass(frozen=True)
class NettingReport:
    """The day's books, keyed by (party, stream)."""

    books: Mapping[tuple[str, Stream], Book]

    def gross_value(self, dvp_prices: Mapping[str, int]) -> int:
        """JPY that would move without netting: over every obligation of every book,
        |quantity| x DvP price plus |cash|."""
        total = 0
        for book in self.books.values():
            prices = _prices(dvp_prices, book.gross_securities)
            total += sum(q * prices[s] for s, q in book.gross_securities.items())
            total += book.gross_cash
        return total

    def net_value(self, dvp_prices: Mapping[str, int]) -> int:
        """JPY that moves after netting: over every book, |net quantity| x DvP price plus
        |net cash|."""
        total = 0
        for book in self.books.values():
            prices = _prices(dvp_prices, book.gross_securities)
            total += sum(abs(q) * prices[s] for s, q in book.securities.items())
            total += abs(book.cash)
        return total

    def efficiency(self, dvp_prices: Mapping[str, int]) -> Fraction:
        """1 - net / gross, exactly: the share of the gross value netting saves, between 0 (no
        obligation offsets another) and 1; 0 for a day with nothing to settle."""
        gross = self.gross_value(dvp_prices)
        if gross == 0:
            return Fraction(0)
        return 1 - Fraction(self.net_value(dvp_prices), gross)


Statement = tuple[str, str, ApplicationKind, Legs]  # (member, trust bank, kind, member's legs)


class _Accumulator:
    def __init__(self) -> None:
        self.securities: dict[str, int] = defaultdict(int)
        self.gross_securities: dict[str, int] = defaultdict(int)
        self.cash = 0
        self.gross_cash = 0
        self.trades: list[Trade] = []
        self.statements: list[Legs] = []

    def add(self, securities: Mapping[str, int], cash: int) -> None:
        for symbol, q in securities.items():
            self.securities[symbol] += q
            self.gross_securities[symbol] += abs(q)
        self.cash += cash
        self.gross_cash += abs(cash)

    def book(self, party: str, stream: Stream) -> Book:
        return Book(
            party=party,
            stream=stream,
            securities={s: q for s, q in sorted(self.securities.items()) if q},
            cash=self.cash,
            gross_securities=dict(sorted(self.gross_securities.items())),
            gross_cash=self.gross_cash,
            trades=tuple(self.trades),
            statements=tuple(self.statements),
        )


def _check_balanced(trades: list[Trade]) -> None:
    quantity: dict[str, int] = defaultdict(int)
    value: dict[str, int] = defaultdict(int)
    for t in trades:
        quantity[t.symbol] += t.signed_quantity
        value[t.symbol] -= t.cash
    for symbol in sorted(quantity):
        if quantity[symbol] or value[symbol]:
            raise TradesUnbalanced(symbol, quantity[symbol], value[symbol])


def _check_statement(item: object) -> Statement:
    if not isinstance(item, tuple) or len(item) != 4:
        raise NettingRefused(f"a statement is (member, trust bank, kind, legs), not {item!r}")
    member, trust_bank, kind, legs = item
    for what, name in (("member", member), ("trust bank", trust_bank)):
        if not isinstance(name, str) or not name.strip():
            raise NettingRefused(f"a statement needs a {what}, not {name!r}")
    try:
        kind = ApplicationKind(kind)
    except ValueError:
        raise NettingRefused(f"unknown application kind {kind!r}") from None
    if not isinstance(legs, Legs):
        raise NettingRefused(f"a statement's legs must be Legs, not {legs!r}")
    for symbol, q in legs.securities.items():
        if (
            not isinstance(symbol, str)
            or not symbol
            or isinstance(q, bool)
            or not isinstance(q, int)
        ):
            raise NettingRefused(
                f"a statement leg must be a symbol and an int, not {symbol!r}: {q!r}"
            )
    if isinstance(legs.cash, bool) or not isinstance(legs.cash, int):
        raise NettingRefused(f"a statement's cash must be an int JPY, not {legs.cash!r}")
    return member, trust_bank, kind, legs


def net(trades: Iterable[Trade], statements: Iterable[Statement] = ()) -> NettingReport:
    """Net one settlement day: `trades` into their members' books; each statement's member legs
    into the member's book and their negation into its trust bank's creation or redemption book.
    Refuses (`TradesUnbalanced`) trades that do not match per symbol."""
    trades = list(trades)
    for t in trades:
        if not isinstance(t, Trade):
            raise NettingRefused(f"{t!r} is not a Trade")
    _check_balanced(trades)
    checked = [_check_statement(s) for s in statements]
    books: dict[tuple[str, Stream], _Accumulator] = defaultdict(_Accumulator)
    for t in trades:
        book = books[(t.member, Stream.MEMBER)]
        book.add({t.symbol: t.signed_quantity}, t.cash)
        book.trades.append(t)
    for member, trust_bank, kind, legs in checked:
        mine = books[(member, Stream.MEMBER)]
        mine.add(legs.securities, legs.cash)
        mine.statements.append(legs)
        theirs = books[(trust_bank, stream_of(kind))]
        other = legs.negated()
        theirs.add(other.securities, other.cash)
        theirs.statements.append(other)
    return NettingReport(
        MappingProxyType({key: acc.book(*key) for key, acc in sorted(books.items())})
    )
