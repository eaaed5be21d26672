"""Goods tokens and physical delivery as tables: delivery orders and receipts, a delivery's
allocation and pairs, what the parties and the settlement hold through the day, and a pledged
receipt's value. The house style and helpers are `pyclient.tables`' (to be merged into it).

As there, each function renders what it is given (`GoodsToken`s from the goods token clients,
`Pair`s and `PairReport`s from the delivery desk, a `Quote` from the market data) and reads
nothing but names through the deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.table import Table

from .deployment import Deployment
from .goods.delivery import Pair, PairReport, PairStatus
from .goods.model import Goods, GoodsStatus, GoodsToken
from .oracle.market_data import Quote, price_from_chain
from .tables import BREAK, OK, fit, new_table, number, words
from .valuation import market_value

_GOODS_STYLE = {
    GoodsStatus.LIVE: "green",
    GoodsStatus.PRESENTED: "yellow",
    GoodsStatus.RELEASED: "dim",
}


def goods_status_text(status: GoodsStatus) -> str:
    style = _GOODS_STYLE.get(status, "white")
    return f"[{style}]{words(status)}[/{style}]"


def pair_status_text(status: PairStatus) -> str:
    return "[green]open[/green]" if status is PairStatus.OPEN else "[dim]closed[/dim]"


def goods_text(goods: Goods) -> str:
    """`5,000 kg RUBBER (RSS4)`: quantity, unit, commodity and, when it says more, the grade."""
    grade = "" if goods.brand in ("", goods.commodity) else f" ({goods.brand})"
    return f"{goods.quantity:,} {goods.unit} {goods.commodity}{grade}"


# ---------------------------------------------------------------------- goods tokens


def goods_table(
    d: Deployment, tokens: Sequence[GoodsToken], *, title: str, narrow: bool = False
) -> Table:
    """Goods tokens (`GoodsTokenClient.tokens()`): id, what each is title to, its lot or bar
    numbers and location, its warehouse, who holds it and where it is in its life; a total of
    the quantity per unit. `narrow` leaves out the location and the warehouse."""
    table = new_table(title, ("#", "right"), "goods", "lots", "location", "warehouse", "holder",
                      "status")  # fmt: skip
    totals: dict[str, int] = {}
    for t in tokens:
        g = t.goods
        totals[g.unit] = totals.get(g.unit, 0) + g.quantity
        holder = d.name(t.holder) if t.holder else "[dim]–[/dim]"
        table.add_row(f"#{t.token_id}", goods_text(g), g.lots or "–", g.location or "–",
                      d.name(g.warehouse) if g.warehouse else "–", holder,
                      goods_status_text(t.status))  # fmt: skip
    table.caption = f"{len(tokens)} token{'s' * (len(tokens) != 1)}, " + ", ".join(
        f"{number(q)} {unit}" for unit, q in totals.items()
    )
    table.columns[1].no_wrap = True
    return fit(table, narrow=narrow, drop=("location", "warehouse"))


# ---------------------------------------------------------------------- a delivery


def allocation_table(
    d: Deployment, pairs: Sequence[Pair], *, price_jpy_per_lot: int,
    title: str = "The allocation", narrow: bool = False,
) -> Table:  # fmt: skip
    """A delivery's pairs as allocated (`DeliveryDesk.allocate`): each short, long and lots, and
    their value at the final settlement price (before grade differentials); then the totals."""
    table = new_table(title, ("pair", "right"), "short", "long", ("lots", "right"),
                      ("JPY at the price", "right"))  # fmt: skip
    for p in pairs:
        table.add_row(str(p.index), d.name(p.short), d.name(p.long), number(p.lots),
                      number(p.lots * price_jpy_per_lot))  # fmt: skip
    lots = sum(p.lots for p in pairs)
    shorts, longs = len({p.short for p in pairs}), len({p.long for p in pairs})
    table.add_section()
    table.add_row("", f"[bold]{shorts} shorts", f"[bold]{longs} longs", f"[bold]{number(lots)}",
                  f"[bold]{number(lots * price_jpy_per_lot)}")  # fmt: skip
    table.caption = f"{len(pairs)} pairs; at most shorts + longs − 1 = {shorts + longs - 1}"
    return fit(table, narrow=narrow)


_JPY_FIELDS = ("invoiced_jpy", "paid_jpy", "settled_jpy")


def pairs_table(
    reports: Sequence[PairReport], *, title: str, before: Sequence[PairReport] | None = None,
    narrow: bool = False,
) -> Table:  # fmt: skip
    """A delivery's pairs as the desk reports them (`DeliveryDesk.report`): lots delivered of
    those allocated, tokens released to the long of those delivered, the invoice of what was
    delivered, what the long paid, what passed to the short, and the pair's status; totals
    underneath. With `before`, a figure that changed since is bold. `narrow` puts the long under
    the short and leaves out the status."""
    parties = "short\nlong" if narrow else "short → long"
    table = new_table(
        title, ("pair", "right"), parties, ("lots", "right"), ("tokens", "right"),
        ("invoiced", "right"), ("paid", "right"), ("settled", "right"), "status",
    )  # fmt: skip
    was = {r.index: r for r in before or ()}

    def cell(r: PairReport, field: str, text: str) -> str:
        old = was.get(r.index)
        changed = old is not None and getattr(old, field) != getattr(r, field)
        return f"[bold]{text}[/bold]" if changed else text

    for r in reports:
        table.add_row(
            str(r.index), f"{r.short}\n{r.long}" if narrow else f"{r.short} → {r.long}",
            cell(r, "delivered_lots", f"{r.delivered_lots}/{r.lots}"),
            cell(r, "released", f"{r.released}/{r.tokens}"),
            *(cell(r, f, number(getattr(r, f))) for f in _JPY_FIELDS),
            pair_status_text(r.status),
        )  # fmt: skip
    table.add_section()
    total = [
        sum(getattr(r, f) for r in reports) for f in ("invoiced_jpy", "paid_jpy", "settled_jpy")
    ]
    table.add_row("", "[bold]total", "", "", *(f"[bold]{number(t)}" for t in total), "")
    table.caption = (
        "lots: delivered/allocated; tokens: released to the long/delivered; JPY: invoiced for "
        "what was delivered, paid by the long, settled to the short"
    )
    for column in table.columns[2:7]:
        column.no_wrap = True  # a figure folded is misread
    if narrow:
        table.columns.pop()  # the status
    return table


@dataclass(frozen=True)
class Holdings:
    """What the parties to a delivery and its settlement hold at one moment: yen (whole) and
    goods tokens (count and quantity), for a table of the day."""

    moment: str
    parties_jpy: int
    settlement_jpy: int
    parties_tokens: int
    settlement_tokens: int
    quantity: int  # of every token held by the parties or the settlement
    unit: str

    @property
    def jpy(self) -> int:
        return self.parties_jpy + self.settlement_jpy

    @property
    def tokens(self) -> int:
        return self.parties_tokens + self.settlement_tokens


def holdings_table(
    rows: Sequence[Holdings], *, title: str = "Through the day", narrow: bool = False
) -> Table:
    """Yen and goods tokens held by the parties and by the settlement at each moment, with their
    totals: settlement moves them, it creates and destroys none. `narrow` leaves out the
    quantity."""
    table = new_table(
        title, "moment", ("parties JPY", "right"), ("settlement JPY", "right"),
        ("total JPY", "right"), ("tokens", "right"), ("quantity", "right"),
    )  # fmt: skip
    for r in rows:
        table.add_row(r.moment, number(r.parties_jpy), number(r.settlement_jpy),
                      f"[bold]{number(r.jpy)}", f"{r.parties_tokens} + {r.settlement_tokens}",
                      f"{number(r.quantity)} {r.unit}")  # fmt: skip
    table.caption = "tokens: held by the parties + by the settlement"
    return fit(table, narrow=narrow, drop=("quantity",))


# ---------------------------------------------------------------------- receipts as collateral


def receipt_value_table(
    d: Deployment, token: GoodsToken, symbol: str, quote: Quote, *, chain_jpy: int,
    model_jpy: int, title: str = "A pledged receipt's value", narrow: bool = False,
) -> Table:  # fmt: skip
    """A warehouse receipt posted as margin through its pool (`symbol`, one unit per unit of
    goods), a figure a row: the receipt, the units it makes, the price per unit and its market
    value, the haircut, and the value it counts for: on chain (`chain_jpy`, the vault's) and as
    `pyclient.valuation` computes it (`model_jpy`), ✓ when they agree."""
    asset = d.asset(symbol)
    units = token.goods.quantity * 10**asset.decimals
    price, fx = price_from_chain(quote.price_e18), price_from_chain(quote.fx_e18)
    table = new_table(title, "figure", ("value", "right"), "")
    rows = [
        ("receipt", f"#{token.token_id}, {goods_text(token.goods)}"),
        ("issued by", d.name(token.goods.warehouse)),
        (f"{symbol} units", number(asset.whole(units), asset.decimals)),
        (f"price per {token.goods.unit} (JPY)", f"{(price * fx).normalize():,f}"),
        ("market value (JPY)", number(market_value(units, quote))),
        ("haircut", f"{Decimal(quote.haircut_bps) / 100:g}%"),
    ]
    for label, value in rows:
        table.add_row(label, value, "")
    table.add_section()
    table.add_row("[bold]collateral value, on chain", f"[bold]{number(chain_jpy)}", "")
    table.add_row("pyclient.valuation", number(model_jpy), OK if model_jpy == chain_jpy else BREAK)
    table.caption = "quantity × price × FX × (1 − haircut), rounded down"
    return fit(table, narrow=narrow)
