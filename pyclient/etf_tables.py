"""ETF creation and redemption clearing as tables: applications and their statements, the day's
netting per book (gross against net, article 50's a/b split), the settlement books on the day,
and the fails that rolled. The house style and helpers are `pyclient.tables`'.

Each function renders what it is given (`Application`s from the applications client, a
`NettingReport` from `ccp.etf.netting_report`, `SettlementBook`s from the settlement client,
`Fail`s from `ccp.etf.declare_fails`/`roll_receipts`) and reads nothing but names and symbols
through the deployment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from rich.table import Table

from .deployment import Deployment
from .etf.clearing import Application, ApplicationStatus, Fail, SettlementBook
from .etf.netting import Book, NettingReport, Stream, decompose
from .tables import fit, millions, new_table, number, words

_STREAM = {Stream.MEMBER: "member", Stream.CREATION: "creation", Stream.REDEMPTION: "redemption"}
_STATUS_STYLE = {
    ApplicationStatus.NOVATED: "green",
    ApplicationStatus.REFUSED: "red",
    ApplicationStatus.DECLINED: "yellow",
    ApplicationStatus.LAPSED: "yellow",
}


def signed(value: int) -> str:
    """`+1,000` / `-600` / `0`."""
    return f"{value:+,}" if value else "0"


def percent(share: Fraction) -> str:
    return f"{float(share) * 100:.1f}%"


def legs_text(d: Deployment, securities: Mapping[str, int], cash_jpy: int) -> str:
    """`+2,000 ETF1306`, `-1,200 TYO7203`, `JPY -100,000`, one a line: token address -> signed
    quantity."""
    parts = [f"{signed(q)} {d.asset(t).symbol}" for t, q in securities.items() if q]
    if cash_jpy:
        parts.append(f"JPY {signed(cash_jpy)}")
    return "\n".join(parts) or "–"


def applications_table(
    d: Deployment, apps: Sequence[Application], *, title: str, narrow: bool = False
) -> Table:
    """Applications: who applied for what, where each stands, its statement date T and settlement
    date, and the statement on the member's side (+ received, - delivered or paid)."""
    table = new_table(title, ("#", "right"), "member", "ETF", "kind", ("CU", "right"), "status",
                      "T", "settles", "statement (member's side)")  # fmt: skip
    for a in apps:
        style = _STATUS_STYLE.get(a.status, "white")
        table.add_row(
            str(a.id), d.name(a.member), a.code, a.kind.label, number(a.creation_units),
            f"[{style}]{words(a.status)}[/{style}]",
            f"{a.statement_date:%m-%d}" if a.statement_date else "–",
            f"{a.settlement_date:%m-%d}" if a.settlement_date else "–",
            legs_text(d, a.securities, a.cash_jpy),
        )  # fmt: skip
    return fit(table, narrow=narrow, drop=("T",))


def netting_table(
    report: NettingReport, prices: Mapping[str, int], *, title: str, narrow: bool = False
) -> Table:
    """Article 50 per book: the gross value each would move without netting against the net
    value it moves (JPY millions at DvP prices), the share saved, the net securities and the net
    yen. The caption gives the day's totals and the netting efficiency."""
    table = new_table(title, "party", "book", ("gross", "right"), ("net", "right"),
                      ("saved", "right"), "net securities", ("net yen", "right"))  # fmt: skip
    for (party, stream), book in _ordered(report):
        gross = sum(q * prices[s] for s, q in book.gross_securities.items()) + book.gross_cash
        net = sum(abs(q) * prices[s] for s, q in book.securities.items()) + abs(book.cash)
        table.add_row(
            party, _STREAM[stream], millions(gross), millions(net),
            percent(1 - Fraction(net, gross)) if gross else "–",
            "\n".join(f"{signed(q)} {s}" for s, q in book.securities.items()) or "–",
            signed(book.cash),
        )  # fmt: skip
    for column in table.columns:
        column.no_wrap = True
    gross, net = report.gross_value(prices), report.net_value(prices)
    table.caption = (
        f"gross JPY {number(gross)}, net JPY {number(net)}: netting saves "
        f"{percent(report.efficiency(prices))}"
    )
    return fit(table, narrow=narrow, drop=("gross", "net"))


def cash_split_table(
    report: NettingReport, prices: Mapping[str, int], *, title: str, narrow: bool = False
) -> Table:
    """Article 50(1) for each member book: its net yen as a (securities sold less bought at the
    DvP clearing price), b (trade price less DvP price) and the adjustments (the creation and
    exchange market-value adjustments d and e, with the statements' yen)."""
    table = new_table(title, "member", ("a", "right"), ("b", "right"), ("adjustments", "right"),
                      ("net yen", "right"))  # fmt: skip
    for (party, stream), book in _ordered(report):
        if stream is Stream.MEMBER:
            split = decompose(book, prices)
            table.add_row(party, signed(split.a), signed(split.b), signed(split.adjustments),
                          signed(split.total))  # fmt: skip
    return fit(table, narrow=narrow)


def _ordered(report: NettingReport) -> list[tuple[tuple[str, Stream], Book]]:
    return sorted(report.books.items(), key=lambda kv: (kv[0][1], kv[0][0]))


def books_table(
    d: Deployment, books: Sequence[SettlementBook], *, title: str, narrow: bool = False
) -> Table:
    """Settlement books on their day: per security what is still owed and still due, the yen
    owed, paid in and out and the late charges, and whether the book has settled."""
    table = new_table(title, "party", "book", "still owed", "still due", ("yen owed", "right"),
                      ("yen in", "right"), ("yen out", "right"), ("charges", "right"),
                      "settled")  # fmt: skip
    for b in books:
        owed = "\n".join(f"{number(leg.owed)} {d.asset(leg.token).symbol}"
                         for leg in b.legs if leg.owed)  # fmt: skip
        due = "\n".join(f"{number(leg.due)} {d.asset(leg.token).symbol}"
                        for leg in b.legs if leg.due)  # fmt: skip
        table.add_row(
            d.name(b.party), _STREAM[b.stream], owed or "–", due or "–", number(b.cash_owed),
            number(b.cash_in), number(b.cash_out), signed(b.charges),
            "[green]yes[/green]" if b.settled else "[yellow]open[/yellow]",
        )  # fmt: skip
    for column in table.columns[:2]:
        column.no_wrap = True
    return fit(table, narrow=narrow, drop=("yen in", "yen out"))


def fails_table(fails: Sequence[Fail], *, title: str, narrow: bool = False) -> Table:
    """Fails rolled to the next business day: the party, whether it failed to deliver or could not
    receive, the security, quantity, value at the DvP price and the late charge (paid by a
    deliverer, owed to a receiver)."""
    table = new_table(title, "day", "party", "side", "security", ("quantity", "right"),
                      ("value JPY", "right"), ("late charge JPY", "right"))  # fmt: skip
    for f in fails:
        table.add_row(
            f"{f.day:%a %m-%d}", f.party, "delivery" if f.delivery else "receipt", f.symbol,
            number(f.quantity), number(f.value_jpy),
            f"{'pays' if f.delivery else 'owed'} {number(f.charge_jpy)}",
        )  # fmt: skip
    return fit(table, narrow=narrow, drop=("day",))
