"""The ledger as tables: one renderer per read model, shared by the CLI and the demos.

Every function here turns a view (`pyclient.views`), a reconciliation (`pyclient.reconcile`) or a
list of decoded events into a `rich` table in one house style; none reads more than it is given,
except names through the deployment. `fit` slims a table for a narrow console.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich import box
from rich.table import Table

from .access.registry import Participant, Status
from .chain.client import GasRecord
from .collateral.vault import CallStatus, MarginCall
from .deployment import Deployment
from .events import DecodedEvent, describe
from .reconcile import Check
from .views import AccountView, BalanceSheet, MarketRow

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_STATUS_STYLE = {Status.ACTIVE: "green", Status.SUSPENDED: "yellow", Status.DEFAULTED: "red"}
_CALL_STYLE = {
    CallStatus.ISSUED: "yellow",
    CallStatus.PARTIALLY_MET: "yellow",
    CallStatus.MET: "green",
    CallStatus.OVERDUE: "bold red",
    CallStatus.DEFAULT_DECLARED: "bold red",
}
OK = "[green]✓[/green]"
BREAK = "[bold red]✗[/bold red]"


# ---------------------------------------------------------------------- words


def short(address: str | None) -> str:
    """`0x1234…abcd`."""
    return f"{address[:6]}…{address[-4:]}" if address else ""


def shorten_addresses(text: str) -> str:
    """Every full address in `text` shortened."""
    return _ADDRESS.sub(lambda m: short(m.group(0)), text)


def words(member: Any) -> str:
    """`CLEARING_MEMBER` -> `clearing member`."""
    return str(member.name).lower().replace("_", " ")


def number(value: Decimal | int, decimals: int = 0) -> str:
    """Whole units with thousands separators and `decimals` places: `1,250.50`."""
    return f"{Decimal(value):,.{decimals}f}"


def status_text(status: Status) -> str:
    style = _STATUS_STYLE.get(status, "white")
    return f"[{style}]{words(status)}[/{style}]"


def call_status_text(status: CallStatus) -> str:
    style = _CALL_STYLE.get(status, "white")
    return f"[{style}]{words(status)}[/{style}]"


def holdings_text(d: Deployment, holdings: Mapping[str, Decimal]) -> str:
    if not holdings:
        return "[dim]–[/dim]"
    return "\n".join(f"{s} {number(q, d.asset(s).decimals)}" for s, q in holdings.items())


# ---------------------------------------------------------------------- house style


def new_table(title: str, *columns: str | tuple[str, str]) -> Table:
    """A table in the house style; a column given as (name, "right") is right-aligned."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAVY, title_style="bold")
    for col in columns:
        name, justify = col if isinstance(col, tuple) else (col, "left")
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    return table


def fit(table: Table, *, narrow: bool, drop: Iterable[str] = ()) -> Table:
    """`table` for the console: on a narrow one without the `drop` columns, its labels free to
    wrap; a figure that does not fit folds onto the next line rather than being cut short."""
    if narrow:
        dropped = set(drop)
        table.columns = [c for c in table.columns if str(c.header) not in dropped]
        for column in table.columns:
            column.no_wrap = False
    for column in table.columns:
        column.overflow = "fold"
    return table


# ---------------------------------------------------------------------- the register and assets


def assets_table(d: Deployment, *, title: str = "Assets on chain", narrow: bool = False) -> Table:
    """Every asset of the deployment; `narrow` leaves out decimals and the token address."""
    table = new_table(
        title, "symbol", "name", "class", "ccy", ("dec", "right"), "ISIN", "maturity",
        ("face unit", "right"), "address",
    )  # fmt: skip
    for a in d.assets.values():
        s = a.spec
        table.add_row(
            f"[bold]{s.symbol}[/bold]", s.name, words(s.asset_class), s.currency, str(s.decimals),
            s.isin or "–", s.maturity.isoformat() if s.maturity else "–",
            f"{s.face_unit:,}" if s.face_unit else "–", short(a.address),
        )  # fmt: skip
    fit(table, narrow=narrow, drop=("dec", "address"))
    for column in table.columns:  # codes and dates stay whole even on a narrow console
        column.no_wrap = column.no_wrap or str(column.header) in ("ISIN", "maturity")
    return table


def participants_table(
    d: Deployment,
    participants: Sequence[Participant] | None = None,
    *,
    title: str = "The register",
    gas: Mapping[str, int] | None = None,
    narrow: bool = False,
) -> Table:
    """Every registered participant (or those given); with `gas`, what its admission cost."""
    columns: list[str | tuple[str, str]] = [
        "name", "kind", "status", "account", "clearing member", "address",
    ]  # fmt: skip
    if gas is not None:
        columns.append(("gas", "right"))
    table = new_table(title, *columns)
    for p in d.participants() if participants is None else participants:
        row = [
            f"[bold]{p.name}[/bold]",
            words(p.kind),
            status_text(p.status),
            words(p.account_type) if p.account_type.value else "–",
            d.name(p.clearing_member) if p.clearing_member else "–",
            short(p.address),
        ]
        if gas is not None:
            row.append(f"{gas[p.address]:,}" if p.address in gas else "")
        table.add_row(*row)
    return fit(table, narrow=narrow, drop=("address",))


def balances_table(
    d: Deployment, sheet: BalanceSheet, *, title: str, before: BalanceSheet | None = None
) -> Table:
    """Every holder's balance in every asset, and each asset's total supply; with `before`, a
    changed cell shows its change underneath."""
    table = new_table(title, "participant", *[(s, "right") for s in d.assets])
    changes = sheet.changes(before) if before is not None else {}
    for label, address in sheet.holders:
        cells = []
        for a in d.assets.values():
            units = sheet.of(address, a.symbol)
            cell = number(a.whole(units), a.decimals) if units else "[dim]·[/dim]"
            delta = changes.get((address, a.symbol))
            if delta:
                colour, sign = ("green", "+") if delta > 0 else ("red", "−")
                change = number(a.whole(abs(delta)), a.decimals)
                cell = f"[bold]{cell}[/bold]\n[{colour}]{sign}{change}[/{colour}]"
            cells.append(cell)
        table.add_row(label, *cells)
    table.add_section()
    table.add_row(
        "[bold]total supply[/bold]",
        *[number(a.whole(sheet.supply[a.symbol]), a.decimals) for a in d.assets.values()],
    )
    if before is not None:
        table.caption = "changes since the previous table shown underneath"
    return fit(table, narrow=False)


# ---------------------------------------------------------------------- market data


def market_table(
    rows: Sequence[MarketRow],
    *,
    title: str = "Market data on chain",
    before: Mapping[str, Decimal] | None = None,
    narrow: bool = False,
) -> Table:
    """What each asset is valued with; with `before` (symbol -> price), each price's change.
    The caption gives the FX rates used and the face value a bond's price is per."""
    columns: list[str | tuple[str, str]] = ["asset", ("price", "right"), "ccy"]
    if before is not None:
        columns.append(("change", "right"))
    columns += [("JPY per token", "right"), ("haircut", "right"), ("conc. limit", "right"),
                "eligible as margin"]  # fmt: skip
    table = new_table(title, *columns)
    for r in rows:
        row = [f"[bold]{r.asset.symbol}[/bold]", f"{r.price.normalize():,f}", r.asset.spec.currency]
        if before is not None:
            row.append(change_text(Decimal(before[r.asset.symbol]), r.price))
        limit = r.parameters.concentration_bps
        row += [
            f"{r.jpy_per_token:,.2f}",
            f"{r.parameters.haircut_bps / 100:g}%",
            "–" if limit == 10_000 else f"{limit / 100:g}%",
            "[green]yes[/green]" if r.parameters.eligible_for else "[red]no[/red]",
        ]
        table.add_row(*row)
    rates = {r.asset.spec.currency: r.fx_rate for r in rows if r.asset.spec.currency != "JPY"}
    notes = [f"{ccy}/JPY {rate:,.2f}" for ccy, rate in sorted(rates.items())]
    notes += [f"{r.asset.symbol} per token of {r.asset.spec.face_unit:,} face"
              for r in rows if r.asset.spec.face_unit]  # fmt: skip
    notes.append("collateral value = JPY value less haircut, capped at the concentration limit")
    table.caption = "; ".join(notes)
    return fit(table, narrow=narrow, drop=("ccy", "conc. limit", "eligible as margin"))


def change_text(old: Decimal, new: Decimal) -> str:
    """`+1.2%` in green, `−7.0%` in red, `–` when unchanged."""
    if old == new:
        return "[dim]–[/dim]"
    pct = (new / old - 1) * 100
    colour = "red" if pct < 0 else "green"
    return f"[{colour}]{pct:+.1f}%[/{colour}]"


# ---------------------------------------------------------------------- the vault


def accounts_table(
    d: Deployment, views: Sequence[AccountView], *, title: str = "Collateral accounts",
    narrow: bool = False,
) -> Table:  # fmt: skip
    """Each account: holdings, value against requirement, and its state (call, frozen)."""
    table = new_table(
        title, "account", "collateral held", ("collateral value", "right"),
        ("requirement", "right"), ("excess / shortfall", "right"), "state",
    )  # fmt: skip
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for v in views:
        excess = v.excess_jpy
        if excess is None:
            value = gap = f"[yellow]not valued: {type(v.unvalued).__name__}[/yellow]"
        else:
            value = number(v.value_jpy or 0)
            gap = (
                f"[green]+{number(excess)}[/green]"
                if excess >= 0
                else (f"[bold red]−{number(-excess)}[/bold red]")
            )
        if v.account.frozen:
            state = "[red]frozen[/red]"
        elif v.open_call is not None:
            state = f"call #{v.open_call.id}: {call_status_text(v.open_call.status)}"
        elif excess is None:
            state = ""
        else:
            state = "[green]covered[/green]" if excess >= 0 else "[red]short[/red]"
        table.add_row(
            f"[bold]{v.label.removesuffix(' account')}[/bold]", holdings_text(d, v.holdings),
            value, number(v.requirement_jpy), gap, state,
        )  # fmt: skip
    table.caption = "collateral value: JPY value after haircuts and concentration limits, on chain"
    return fit(table, narrow=narrow, drop=("collateral held",))


def sub_ledger_table(
    d: Deployment, ledger: Mapping[str, Mapping[str, Decimal]], holdings: Mapping[str, Decimal],
    *, title: str = "Omnibus sub-ledger", narrow: bool = False,
) -> Table:  # fmt: skip
    """An omnibus account's beneficial owners (client -> asset symbol -> quantity, as
    `ClearingMember.sub_ledger` gives them), each asset's total, and what the account holds."""
    symbols = [s for s in d.assets if s in holdings or any(s in r for r in ledger.values())]
    table = new_table(title, "client", *[(s, "right") for s in symbols])

    def cell(quantity: Decimal, symbol: str, style: str = "") -> str:
        if not quantity:
            return "[dim]·[/dim]"
        text = number(quantity, d.asset(symbol).decimals)
        return f"[{style}]{text}[/{style}]" if style else text

    for client, rows in ledger.items():
        name = d.name(client) if client.startswith("0x") else client
        table.add_row(name, *[cell(rows.get(s, Decimal(0)), s) for s in symbols])
    table.add_section()
    total = {s: sum((r.get(s, Decimal(0)) for r in ledger.values()), Decimal(0)) for s in symbols}
    table.add_row("[bold]sub-ledger total[/bold]", *[cell(total[s], s, "bold") for s in symbols])
    table.add_row("account holds", *[cell(holdings.get(s, Decimal(0)), s) for s in symbols])
    return fit(table, narrow=narrow)


def calls_table(
    d: Deployment, calls: Sequence[MarginCall], *, title: str = "Margin calls", narrow: bool = False
) -> Table:
    """Each call: account, type, shortfall as called, when issued and due, status now."""
    table = new_table(
        title, ("call", "right"), "account", "type", ("shortfall (JPY)", "right"), "issued",
        "deadline", "status",
    )  # fmt: skip
    for c in calls:
        table.add_row(
            f"#{c.id}", d.vault_account(c.account).removesuffix(" account"), words(c.call_type),
            number(c.shortfall_jpy), f"{c.issued_at:%a %d %b %H:%M}",
            f"{c.deadline:%a %d %b %H:%M}", call_status_text(c.status),
        )  # fmt: skip
    table.caption = "shortfall as called; times in Tokyo"
    return fit(table, narrow=narrow, drop=("type", "issued"))


# ---------------------------------------------------------------------- events and gas


def events_table(
    d: Deployment, events: Sequence[DecodedEvent], *, title: str, caption: str = "",
    narrow: bool = False,
) -> Table:  # fmt: skip
    """Events in order, each with its business sentence; `narrow` leaves out the contract."""
    table = new_table(title, ("#", "right"), "contract", "event", "what it says")
    for i, e in enumerate(events, 1):
        table.add_row(str(i), e.contract, e.name, describe(e, d))
    table.caption = caption
    return fit(table, narrow=narrow, drop=("contract",))


def gas_table(
    records: Sequence[GasRecord], *, title: str = "Gas by operation",
    fold: Mapping[str, str] | None = None,
) -> Table:  # fmt: skip
    """Transactions grouped by operation: count, average and total gas. With `fold`, every label
    starting with one of its keys counts as one row named by its value."""
    groups: dict[str, list[int]] = defaultdict(list)
    for r in records:
        label = next((n for p, n in (fold or {}).items() if r.label.startswith(p)), r.label)
        groups[label].append(r.gas_used)
    table = new_table(title, "operation", ("txs", "right"), ("avg gas", "right"),
                      ("total", "right"))  # fmt: skip
    for label, gas in groups.items():
        table.add_row(label, str(len(gas)), f"{sum(gas) // len(gas):,}", f"{sum(gas):,}")
    total = sum(r.gas_used for r in records)
    table.add_section()
    table.add_row("[bold]all[/bold]", f"[bold]{len(records)}[/bold]", "", f"[bold]{total:,}")
    return table


# ---------------------------------------------------------------------- reconciliation


def check_table(check: Check, *, title: str | None = None) -> Table:
    """One control: a line per subject, expected against actual (as exact as the line's figures:
    an asset's amounts with its decimals), ✓ or ✗."""
    table = new_table(
        title or check.title, "subject", (check.expected_label, "right"),
        (check.actual_label, "right"), "", "",
    )  # fmt: skip
    for line in check.lines:
        table.add_row(
            f"[bold]{line.subject}[/bold]", f"{line.expected:,f}", f"{line.actual:,f}",
            OK if line.ok else BREAK,
            f"[dim]{line.detail}[/dim]",
        )  # fmt: skip
    return fit(table, narrow=False)
