"""The ledger as tables: one renderer per read model, shared by the CLI and the demos.

Every function here turns a view (`pyclient.views`), a reconciliation (`pyclient.reconcile`), the
margin engine's figures (`pyclient.margin`) or a list of decoded events into a `rich` table in one
house style; none reads more than it is given, except names through the deployment. `fit` slims a
table for a narrow console.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise
from typing import Any

from rich import box
from rich.table import Table

from .access.registry import Participant, Status
from .chain.client import GasRecord
from .collateral.liquidity import HOURS_PER_YEAR, Liquidity
from .collateral.optimiser import Plan
from .collateral.vault import CallStatus, ClientShare, MarginCall, ShareStatus, split_account_id
from .contracts.base import Outcome
from .default.case import Layer, Waterfall
from .deployment import Deployment
from .errors import ContractError, InputError, KabutoError
from .events import DecodedEvent, describe
from .jdr.model import Disclosure, Distribution, NavFigures, Termination, TrustDeed
from .jdr.monitors import SEVEN_DAYS, SINGLE_DAY, DeviationAlert
from .margin.clearing_fund import ClearingFund, member_shares
from .margin.engine import Portfolio
from .margin.futures import FuturesContract
from .margin.risk import (
    ADD_ON_CAPITAL_THRESHOLD,
    CLEARING_FUND_MINIMUM,
    DEFAULT_CONFIDENCE,
    DEFAULT_HOLDING_PERIOD_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    MarginResult,
    Position,
)
from .reconcile import Check
from .views import AccountView, BalanceSheet, MarketRow, Seizure

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
    """An enum as a table shows it: `CLEARING_MEMBER` -> `clearing member`, `SYSTEM_CONTRACT`
    -> `system contract`, `ETF_MANAGER` -> `ETF manager` (its `label`), never a raw name."""
    label = getattr(member, "label", None)
    return label if isinstance(label, str) else str(member.name).lower().replace("_", " ")


def number(value: Decimal | int, decimals: int = 0) -> str:
    """Whole units with thousands separators and `decimals` places: `1,250.50`."""
    return f"{Decimal(value):,.{decimals}f}"


def millions(value: Decimal | int) -> str:
    """`10.0m`: whole units in millions, one decimal."""
    return f"{Decimal(value) / 1_000_000:,.1f}m"


def positions_text(positions: Iterable[Position]) -> str:
    """`+40 NK225-FUT, -20 JGB-FUT`."""
    return ", ".join(f"{p.quantity:+,} {p.instrument}" for p in positions)


def status_text(status: Status) -> str:
    style = _STATUS_STYLE.get(status, "white")
    return f"[{style}]{words(status)}[/{style}]"


def call_status_text(status: CallStatus) -> str:
    style = _CALL_STYLE.get(status, "white")
    return f"[{style}]{words(status)}[/{style}]"


def error_text(error: KabutoError, *, style: str = "red") -> str:
    """A refused call's error for a reader: its name (in `style`) and where it was refused (a
    pyclient check, before anything was sent, or a contract's rule), then its message, the
    contract's name first, addresses shortened."""
    where = "pyclient check" if isinstance(error, InputError) else "contract rule"
    message = str(error)
    if isinstance(error, ContractError):  # its name heads the text already
        message = f"{error.contract}: {error.text}" if error.contract else error.text
    name = f"[{style}]{type(error).__name__}[/{style}] [dim]({where})[/dim]"
    return f"{name}\n{shorten_addresses(message)}"


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
    wrap (but for the first column's, a name kept whole where it was asked to be); a figure that
    does not fit folds onto the next line rather than being cut short."""
    if narrow:
        dropped = set(drop)
        table.columns = [c for c in table.columns if str(c.header) not in dropped]
        for column in table.columns[1:]:
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
    table.columns[0].no_wrap = True  # a name is never split; the words around it wrap instead
    table.columns[1].min_width = len("contract")  # nor a word of a kind ("system contract")
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
    d: Deployment,
    sheet: BalanceSheet,
    *,
    title: str,
    before: BalanceSheet | None = None,
    issued_only: bool = False,
) -> Table:
    """Every holder's balance in every asset, and each asset's total supply; with `before`, a
    changed cell shows its change underneath. With `issued_only`, only the assets with a supply
    (what a status report needs: a column per asset never issued only crowds a narrow screen)."""
    assets = [
        a for a in d.assets.values() if not issued_only or sheet.supply[a.symbol]
    ]  # fmt: skip
    table = new_table(title, "participant", *[(a.symbol, "right") for a in assets])
    table.columns[0].no_wrap = True
    changes = sheet.changes(before) if before is not None else {}
    for label, address in sheet.holders:
        cells = []
        for a in assets:
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
        *[number(a.whole(sheet.supply[a.symbol]), a.decimals) for a in assets],
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
    notes.append(
        "collateral value = JPY value less haircut, each asset capped at its concentration limit"
        " of the requirement"
    )
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


def client_shares_table(
    d: Deployment, call: MarginCall, shares: Sequence[ClientShare], *, title: str | None = None,
    now: dt.datetime | None = None, narrow: bool = False,
) -> Table:  # fmt: skip
    """An omnibus call's shares as passed on (`ClearingMember.client_shares`): each client's
    share, what it has paid (its deposits, at their value when made), what remains and by when,
    and a total. With `now`, a share still owed past its deadline says so; `narrow` leaves out
    what has been paid (the remainder says it) and the deadline's date."""
    table = new_table(
        title or f"Call #{call.id}: the shares passed on to clients", "client",
        ("share (JPY)", "right"), ("paid (JPY)", "right"), ("remaining (JPY)", "right"), "due",
        "state",
    )  # fmt: skip
    for s in shares:
        if s.status is ShareStatus.PAID or s.met:
            state = "[green]paid[/green]"
        else:
            state = "partly paid" if s.paid_jpy else "unpaid"
            if s.status is ShareStatus.CLOSED:
                state = f"{state}, closed with the call"
            elif s.status is ShareStatus.OVERDUE:
                state = f"[bold red]{state}, overdue[/bold red]"
            elif now is not None and s.past_due(now):
                state = f"[bold red]{state}, past due[/bold red]"
            else:
                state = f"[yellow]{state}[/yellow]"
        table.add_row(
            d.name(s.client), number(s.amount_jpy), number(s.paid_jpy), number(s.remaining_jpy),
            f"{s.deadline:%a %H:%M}" if narrow else f"{s.deadline:%a %d %b %H:%M}", state,
        )  # fmt: skip
    table.add_section()
    totals = (sum(s.amount_jpy for s in shares), sum(s.paid_jpy for s in shares),
              sum(s.remaining_jpy for s in shares))  # fmt: skip
    table.add_row("[bold]total[/bold]", *(f"[bold]{number(t)}[/bold]" for t in totals), "", "")
    table.caption = (
        f"call #{call.id} on {d.vault_account(call.account)}: JPY {number(call.shortfall_jpy)}, "
        f"due {call.deadline:%a %d %b %H:%M}; times in Tokyo"
    )
    return fit(table, narrow=narrow, drop=("paid (JPY)",))


# ---------------------------------------------------------------------- margin and the fund


def futures_history_table(
    contracts: Iterable[FuturesContract], closes: Mapping[str, Sequence[Decimal]], *,
    title: str = "Price history", last_label: str = "last close", caption: str = "",
    narrow: bool = False,
) -> Table:  # fmt: skip
    """Each contract's daily closes (points, oldest first: the margin engine's history, before
    `FuturesContract.jpy`): its multiplier, first close, low, high and last close (headed
    `last_label`), the daily σ of its returns, and what a contract is worth at the last close.
    `narrow` leaves out the multiplier, first close, low and high."""
    table = new_table(
        title, "contract", "JPY per point", ("first close", "right"), ("low", "right"),
        ("high", "right"), (last_label, "right"), ("daily σ", "right"),
        ("JPY / contract", "right"),
    )  # fmt: skip
    for f in contracts:
        series = closes[f.code]
        returns = [b / a - 1 for a, b in pairwise(series)]
        sigma = "–"  # a sample standard deviation needs two returns
        if len(returns) > 1:
            mean = sum(returns, Decimal(0)) / len(returns)
            variance = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
            sigma = f"{variance.sqrt() * 100:.2f}%"
        table.add_row(
            f"[bold]{f.code}[/bold]\n[dim]{f.name}[/dim]", f"{f.multiplier:,}",
            f.format(series[0]), f.format(min(series)), f.format(max(series)),
            f.format(series[-1]), sigma, number(f.jpy(series[-1])),
        )  # fmt: skip
    table.caption = caption
    return fit(table, narrow=narrow, drop=("JPY per point", "first close", "low", "high"))


def futures_moves_table(
    contracts: Iterable[FuturesContract], before: Mapping[str, Decimal],
    after: Mapping[str, Decimal], *, title: str = "Futures prices", before_label: str = "before",
    after_label: str = "now", narrow: bool = False,
) -> Table:  # fmt: skip
    """Each contract's price (points) `before` and `after`, the change, and what a contract is
    worth after, in JPY."""
    table = new_table(title, "contract", (before_label, "right"), (after_label, "right"),
                      ("change", "right"), ("JPY / contract", "right"))  # fmt: skip
    for f in contracts:
        old, new = before[f.code], after[f.code]
        table.add_row(f"[bold]{f.code}[/bold]", f.format(old), f.format(new),
                      change_text(old, new), number(f.jpy(new)))  # fmt: skip
    return fit(table, narrow=narrow)


def positions_table(
    d: Deployment, portfolios: Sequence[Portfolio], prices: Mapping[str, Decimal], *,
    owners: Mapping[int, Mapping[str, Sequence[Position]]] | None = None,
    title: str = "Cleared positions (contracts)", caption: str = "", narrow: bool = False,
) -> Table:  # fmt: skip
    """Each portfolio the engine margins: its positions, their notional at `prices` (JPY per
    contract) and the net capital of the member behind it, flagged where it draws an add-on.
    With `owners` (account -> whose -> positions: an omnibus account's clients, as its member
    sees them), a row per owner. `narrow` leaves out the net capital."""
    table = new_table(
        title, "account", *(["whose"] if owners is not None else []), "positions",
        ("notional (JPY)", "right"), ("member net capital", "right"),
    )  # fmt: skip
    for p in portfolios:
        capital = Decimal(p.net_capital)
        add_on = " [yellow](add-on)[/yellow]" if capital < ADD_ON_CAPITAL_THRESHOLD else ""
        account = d.account_id(p.account)  # a portfolio may name its account by label or owner
        by = (owners or {}).get(account)
        for i, (whose, held) in enumerate((by or {"": p.positions}).items()):
            notional = sum(abs(q.quantity) * Decimal(prices[q.instrument]) for q in held)
            row = [f"[bold]{d.account_label(account)}[/bold]" if not i else ""]
            row += [whose] if owners is not None else []
            row += [positions_text(held), number(notional), f"{capital / 10**9:,.1f}bn{add_on}"]
            table.add_row(*row)
    table.caption = caption
    return fit(table, narrow=narrow, drop=("member net capital",))


def margin_table(
    d: Deployment, results: Mapping[int, MarginResult], *, title: str = "Initial margin (JPY)",
    before: Mapping[int, MarginResult] | None = None, before_label: str = "before",
    changes: bool = False, narrow: bool = False,
) -> Table:  # fmt: skip
    """Each account's initial margin by component (`MarginEngine.compute`'s results, by vault
    account id) and the total, the estimated loss headed with the model's default parameters.
    With `before` (an earlier run), its requirement, headed `before_label`, and the change.
    `narrow` leaves out the comparison, or, when the `changes` are the point, the components."""
    estimated = (f"estimated loss\n(ES {DEFAULT_CONFIDENCE:.0%}, "
                 f"{DEFAULT_HOLDING_PERIOD_DAYS}-day)")  # fmt: skip
    columns: list[str | tuple[str, str]] = [
        "account", ("MTM loss", "right"), (estimated, "right"), ("add-on", "right"),
        ("requirement", "right"),
    ]  # fmt: skip
    if before is not None:
        columns += [(before_label, "right"), ("change", "right")]
    table = new_table(title, *columns)
    for account, r in results.items():
        mtm, add_on = (number(v) if v else "[dim]0" for v in (r.mtm_loss, r.add_on))
        row = [f"[bold]{d.account_label(account)}[/bold]", mtm, number(r.estimated_loss), add_on,
               f"[bold]{number(r.total)}[/bold]"]  # fmt: skip
        if before is not None:
            old = before[account].total
            change = "–"
            if r.total != old:
                colour, sign = ("red", "+") if r.total > old else ("green", "−")
                change = f"[{colour}]{sign}{number(abs(r.total - old))}[/{colour}]"
            row += [number(old), change]
        table.add_row(*row)
    table.add_section()
    total = f"[bold]{number(sum(r.total for r in results.values()))}[/bold]"
    tail = [number(sum(b.total for b in before.values())), ""] if before is not None else []
    table.add_row("[bold]total[/bold]", "", "", "", total, *tail)
    table.caption = (f"ES: historical-simulation expected shortfall over the last "
                     f"{DEFAULT_LOOKBACK_DAYS} closes")  # fmt: skip
    drop = ("MTM loss", estimated, "add-on") if changes else (before_label, "change")
    return fit(table, narrow=narrow, drop=drop)


def trades_table(
    trades: Iterable[tuple[str, str, FuturesContract, int, Any]],
    positions: Mapping[str, Mapping[str, Sequence[Position]]],
    average_prices: Mapping[str, Mapping[str, Decimal]], *, title: str = "Trades",
    caption: str = "", narrow: bool = False,
) -> Table:  # fmt: skip
    """A session's futures trades, one row each: (account, whose book, contract, signed quantity,
    price in points); the position each leaves (`positions`: account -> whose -> positions after
    the session) and the account's average trade price, in points (`average_prices`: account ->
    contract code -> JPY per contract, as `risk.after_trade` keeps it)."""
    table = new_table(title, "account", "trade", ("price", "right"), "position now",
                      ("average trade price", "right"))  # fmt: skip
    for label, whose, contract, quantity, price in trades:
        code = contract.code
        (held,) = [p for p in positions[label][whose] if p.instrument == code]
        average = (average_prices[label][code] / contract.multiplier).normalize()
        verb = "buys" if quantity > 0 else "sells"
        table.add_row(f"[bold]{label}[/bold]", f"{whose} {verb} {abs(quantity)}",
                      contract.format(price), f"{held.quantity:+,} {code}",
                      f"{average:,f}")  # fmt: skip
    table.caption = caption
    return fit(table, narrow=narrow)


def stress_table(
    losses: Mapping[str, Mapping[str, Decimal]], excess: Mapping[str, Decimal], *,
    margins: Mapping[str, Decimal] | None = None, margin_label: str = "previous day's margin",
    title: str = "Stress losses (JPY)", caption: str = "", narrow: bool = False,
) -> Table:  # fmt: skip
    """Each member's loss under each stress scenario (member -> scenario name -> loss, as
    `clearing_fund.stress_loss` gives it scenario by scenario), the worst in bold; its stress
    loss (the worst); the margin it is set against (from `margins`, headed `margin_label`; none
    where there is none) and its excess risk. `narrow` names the worst scenario instead of
    giving each."""
    names = list(dict.fromkeys(n for by in losses.values() for n in by))
    scenarios = [] if narrow else [(n.replace("-", " "), "right") for n in names]
    table = new_table(
        title, "member", *scenarios, *(["worst scenario"] if narrow else []),
        ("stress loss", "right"), (margin_label, "right"), ("excess risk", "right"),
    )  # fmt: skip
    for m, by in losses.items():
        top = max(by, key=lambda n: by[n])
        cells = [f"[bold]{number(v)}[/bold]" if n == top else number(v) for n, v in by.items()]
        margin = (margins or {}).get(m)
        table.add_row(
            f"[bold]{m}[/bold]", *(cells if not narrow else [top.replace("-", " ")]),
            number(by[top]), "[dim]none[/dim]" if margin is None else number(margin),
            f"[bold]{number(excess[m])}[/bold]",
        )  # fmt: skip
    table.caption = caption
    return fit(table, narrow=narrow)


def fund_record_table(
    fund: ClearingFund, daily: Mapping[dt.date, Decimal], periods: Mapping[str, Sequence[dt.date]],
    *, title: str = "The record the fund averages: each business day's largest excess risk (JPY)",
    total_label: str = "the window", caption: str = "", narrow: bool = False,
) -> Table:  # fmt: skip
    """The record a clearing fund was sized on (`daily`: each business day's largest excess
    risk, as `clearing_fund.size_clearing_fund` takes it): for each labelled period, its days,
    lowest and highest; then the fund's business days and total, under `total_label`."""
    table = new_table(title, "period", ("days", "right"), ("lowest", "right"),
                      ("highest", "right"), ("fund total", "right"))  # fmt: skip
    for label, days in periods.items():
        values = [daily[day] for day in days]
        table.add_row(label, str(len(values)), number(min(values)), number(max(values)), "")
    table.add_section()
    table.add_row(f"[bold]{total_label}[/bold]", str(fund.days), "", "",
                  f"[bold]{number(fund.total)}[/bold]")  # fmt: skip
    table.caption = caption
    return fit(table, narrow=narrow)


def pass_on_table(
    shares: Mapping[str, int], margins: Mapping[str, Decimal], *,
    positions: Mapping[str, Sequence[Position]] | None = None,
    title: str = "An omnibus call, passed on to clients", caption: str = "", narrow: bool = False,
) -> Table:  # fmt: skip
    """How a member splits an omnibus call among its clients by their own margins (as
    `risk.split_pro_rata` does): each client's positions (when given), its own margin, its
    weight and its share of the call."""
    table = new_table(
        title, "client", *(["positions"] if positions is not None else []),
        ("own margin (JPY)", "right"), ("weight", "right"), ("share of the call (JPY)", "right"),
    )  # fmt: skip
    whole = sum(margins.values(), Decimal(0))
    for client, share in shares.items():
        held = [positions_text(positions.get(client, ()))] if positions is not None else []
        weight = f"{margins[client] / whole * 100:.1f}%"
        table.add_row(client, *held, number(margins[client]), weight, number(share))
    table.caption = caption
    return fit(table, narrow=narrow)


def clearing_fund_table(
    fund: ClearingFund, bases: Mapping[str, Decimal], *, title: str | None = None,
    minimum: Decimal = CLEARING_FUND_MINIMUM, narrow: bool = False,
) -> Table:  # fmt: skip
    """Each member's share of the clearing fund (`clearing_fund.size_clearing_fund`): its basis
    (initial margin), its plain pro-rata share, the share it owes and whether the `minimum`
    lifted it there, with totals. `narrow` leaves out the pro-rata share."""
    pro_rata = member_shares(fund.total, bases, minimum=0)
    table = new_table(
        title or f"The clearing fund, {fund.as_of:%a %d %b}: each member's share (JPY)",
        "member", ("basis: initial margin", "right"), ("pro rata", "right"),
        ("share", "right"), "floor applied?",
    )  # fmt: skip
    floor = f"[yellow]yes: JPY {millions(minimum)}[/yellow]"
    for m, share in fund.shares.items():
        floored = floor if share > pro_rata[m] else "no"
        table.add_row(f"[bold]{m}[/bold]", number(bases[m]), number(pro_rata[m]),
                      f"[bold]{number(share)}[/bold]", floored)  # fmt: skip
    table.add_section()
    table.add_row("[bold]total[/bold]", number(sum(bases.values())), number(fund.total),
                  f"[bold]{number(fund.required)}[/bold]", "")  # fmt: skip
    table.caption = (f"share: fund total × basis ÷ Σ bases, rounded up, at least JPY "
                     f"{millions(minimum)}; never rescaled")  # fmt: skip
    return fit(table, narrow=narrow, drop=("pro rata",))


def seized_table(
    d: Deployment, seized: Sequence[Seizure], *, title: str = "Collateral seized",
    caption: str = "", narrow: bool = False,
) -> Table:  # fmt: skip
    """What a default seized (`views.seizures`), a row per account and asset: the quantity, its
    market value and what it counts for after haircut, with totals. When every row is from one
    owner's accounts, each is named by its kind alone."""
    table = new_table(
        title, "from", "asset", ("quantity", "right"), ("market value (JPY)", "right"),
        ("after haircut (JPY)", "right"),
    )  # fmt: skip
    one_owner = len({split_account_id(s.account)[0] for s in seized}) == 1
    for s in seized:
        account = words(split_account_id(s.account)[1]) if one_owner else d.account_label(s.account)
        table.add_row(account, s.asset.symbol, number(s.quantity, s.asset.decimals),
                      number(s.market_jpy), number(s.counted_jpy))  # fmt: skip
    table.add_section()
    market = sum(s.market_jpy for s in seized)
    counted = sum(s.counted_jpy for s in seized)
    table.add_row("[bold]total[/bold]", "", "", f"[bold]{number(market)}[/bold]",
                  f"[bold]{number(counted)}[/bold]")  # fmt: skip
    table.caption = caption
    return fit(table, narrow=narrow)


_LAYER_WORDS = {
    Layer.HOUSE_MARGIN: "1. the defaulter's house margin",
    Layer.CLEARING_FUND: "2. the defaulter's clearing-fund contribution",
    Layer.CCP_TRANCHE: "3. the CCP's own tranche",
    Layer.SURVIVORS: "4. a survivor's clearing-fund contribution",
}


def waterfall_table(
    d: Deployment, fall: Waterfall, *, title: str | None = None, caption: str = "",
    narrow: bool = False,
) -> Table:  # fmt: skip
    """Who paid what of a default's loss (`DefaultDesk.settle`'s `Waterfall`): a row per layer and
    account, in the order the layers met it, what is left of the loss after each, and a total
    line with what no layer met."""
    table = new_table(
        title or f"Default case {fall.case_id}: the waterfall (JPY)", "layer", "account",
        ("paid", "right"), ("loss left", "right"),
    )  # fmt: skip
    left = fall.loss_jpy
    table.add_row("the loss", "", "", number(left))
    for use in fall.layers:
        left -= use.used_jpy
        table.add_row(_LAYER_WORDS[use.layer], d.account_label(use.account), number(use.used_jpy),
                      number(left))  # fmt: skip
    table.add_section()
    uncovered = "[bold red]" + number(fall.uncovered_jpy) + "[/bold red]"
    table.add_row("[bold]covered[/bold]", "", f"[bold]{number(fall.covered_jpy)}[/bold]",
                  uncovered if fall.uncovered_jpy else number(0))  # fmt: skip
    table.caption = caption
    return fit(table, narrow=narrow)


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


def outcomes_table(
    title: str, rows: Iterable[tuple[Sequence[str], Outcome[Any]]],
    *columns: str | tuple[str, str],
) -> Table:  # fmt: skip
    """Transactions as they were mined: each row's cells (under `columns`), then the block it
    was mined in and the gas it used."""
    table = new_table(title, *columns, ("block", "right"), ("gas", "right"))
    for cells, outcome in rows:
        table.add_row(*cells, str(outcome.block_number), f"{outcome.gas_used:,}")
    return table


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


# ---------------------------------------------------------------------- collateral substitution


def liquidity_table(
    ways: Sequence[Liquidity], *, title: str = "The liquidity each way needs",
    saved: Mapping[str, Decimal | int] | None = None, caption: str = "", narrow: bool = False,
) -> Table:  # fmt: skip
    """Ways of making one substitution (`pyclient.collateral.liquidity`), a row each: the
    pre-funding it needs and for how long, what that costs, the peak and the end of the collateral
    posted (market values, in millions); with `saved` (label -> JPY a year), what each way saves
    in collateral costs. The caption gives what was posted before, when the same for every way.
    `narrow` leaves out what is posted after."""
    columns: list[str | tuple[str, str]] = [
        "way", ("pre-funding", "right"), ("for", "right"), ("funding cost", "right"),
        ("peak posted", "right"), ("posted after", "right"),
    ]  # fmt: skip
    if saved is not None:
        columns.append(("saved a year", "right"))
    table = new_table(title, *columns)
    for w in ways:
        need = f"[bold red]{millions(w.prefunding_jpy)}[/bold red]" if w.prefunding_jpy else "0"
        hours = f"{w.hours.normalize():f} h" if w.hours else "–"
        row = [f"[bold]{w.label}[/bold]", need, hours, number(w.funding_cost_jpy),
               millions(w.peak_jpy), millions(w.posted_after_jpy)]  # fmt: skip
        if saved is not None:
            row.append(number(saved[w.label]) if w.label in saved else "[dim]–[/dim]")
        table.add_row(*row)
    notes = ["JPY; m: millions, market value before haircut"]
    if len({w.posted_before_jpy for w in ways}) == 1:
        notes.append(f"posted before: {millions(ways[0].posted_before_jpy)}")
    if ways:
        notes.append(f"funding cost = pre-funding × {Decimal(ways[0].rate_bps) / 100:g}% a year "
                     f"× hours ÷ {HOURS_PER_YEAR:,}, rounded up")  # fmt: skip
    table.caption = caption or "; ".join(notes)
    return fit(table, narrow=narrow, drop=("posted after",))


def legs_text(d: Deployment, legs: Mapping[str, Any]) -> str:
    """`40,000 JGB374 and 8,000,000.00 USD`: a substitution's legs (symbol -> whole units)."""
    said = [f"{number(Decimal(str(q)), d.asset(s).decimals)} {s}" for s, q in legs.items()]
    return ", ".join(said[:-1]) + f" and {said[-1]}" if len(said) > 1 else "".join(said)


def plan_table(plan: Plan, *, title: str = "Collateral plan", narrow: bool = False) -> Table:
    """A collateral optimiser's `Plan`, an account a row in the order it is carried out: what it
    must cover (requirement, and target with the buffer), its value before and after (JPY after
    haircuts and concentration limits), the legs out and in (whole units), and its funding cost
    a year before and after; the caption totals the cost and gives the solver's status. `narrow`
    leaves out the requirement and the cost."""
    table = new_table(
        title, "account", ("requirement", "right"), ("target", "right"),
        ("value before", "right"), ("value after", "right"), ("out", "right"), ("in", "right"),
        ("cost a year", "right"),
    )  # fmt: skip

    def legs(rows: Mapping[str, Decimal]) -> str:
        return "\n".join(f"{q:,f} {s}" for s, q in rows.items()) or "[dim]–[/dim]"

    for a in plan.accounts:
        after = number(a.value_after_jpy)
        table.add_row(
            words(a.kind), number(a.requirement_jpy), number(a.target_jpy),
            number(a.value_before_jpy), after if a.covered else f"[bold red]{after}[/bold red]",
            legs(a.out), legs(a.into),
            f"{number(a.cost_before_jpy)} → {number(a.cost_after_jpy)}",
        )  # fmt: skip
    status = re.search(r"HiGHS Status \d+: ([^)]*)", plan.status)
    table.caption = (
        f"JPY; funding cost {number(plan.cost_before_jpy)} → {number(plan.cost_after_jpy)} a year, "
        f"saving {number(plan.saving_jpy)} (market value before haircut × bps); "
        f"HiGHS: {status.group(1) if status else plan.status}"
    )
    return fit(table, narrow=narrow, drop=("requirement", "cost a year"))


# ---------------------------------------------------------------------- JDR trusts


def _share(units: int, whole: int) -> str:
    """`45.00%`: `units` of `whole`, to the hundredth of a percent (rounded half even)."""
    return f"{Decimal(units) * 100 / whole:.2f}%" if whole else "–"


def _e18(value: int, *, places: int = 4) -> str:
    """`9,334.1952`: an 18-decimal figure exact when it has at most `places` decimals, else cut
    to `places` and marked `…`."""
    exact = (Decimal(value) / 10**18).normalize()
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= places:
        return f"{exact:,f}"
    return f"{exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN):,f}…"


def jdr_series_table(
    d: Deployment, series: Mapping[str, tuple[TrustDeed, tuple[int, int, bool]]], *,
    title: str = "JDR series", narrow: bool = False,
) -> Table:  # fmt: skip
    """Each JDR series (JDR symbol -> its deed and `JdrTrustClient.invariant()`): the ETF, the
    ratio, the trust fee, the creation cap, who may cancel in kind, the listing date, and the
    JDR supply against the ETF units held, with whether the invariant holds. `narrow` leaves out
    who may cancel and the listing date."""
    table = new_table(
        title, "JDR", "ETF", ("ratio", "right"), ("trust fee", "right"), ("cap", "right"),
        "cancel in kind", "listed", ("supply / held", "right"), "invariant",
    )  # fmt: skip
    for symbol, (deed, (supply, held, holds)) in series.items():
        jdr, etf = d.asset(symbol), d.asset(deed.underlying)
        cap = number(jdr.whole(deed.creation_cap), jdr.decimals) if deed.creation_cap else "none"
        table.add_row(
            f"[bold]{symbol}[/bold]", etf.symbol, str(deed.ratio),
            f"{Decimal(deed.trust_fee_bps) / 100:.2f}%", cap, words(deed.cancel_policy),
            f"{deed.listing_date:%Y-%m-%d}",
            f"{number(jdr.whole(supply), jdr.decimals)} / {number(etf.whole(held), etf.decimals)}",
            OK if holds else BREAK,
        )  # fmt: skip
    table.caption = (
        "ratio: JDR units per ETF unit; cap: in JDR units; invariant: supply × denominator = "
        "numerator × ETF units held"
    )
    return fit(table, narrow=narrow, drop=("cancel in kind", "listed"))


def jdr_distributions_table(
    d: Deployment, deed: TrustDeed, distributions: Sequence[Distribution], *,
    title: str = "Distributions", narrow: bool = False,
) -> Table:  # fmt: skip
    """A series' distributions (`JdrTrustClient.distributions()`, its `deed` naming the cash): the
    record date, the ETF's distribution in its currency, the FX rate, gross JPY, the trust fee,
    net JPY, the units of record and what has been paid; one only announced says so. `narrow`
    leaves out gross JPY and the units of record."""
    table = new_table(
        title, ("#", "right"), "record date", ("received", "right"), ("FX", "right"),
        ("gross JPY", "right"), ("fee", "right"), ("net JPY", "right"),
        ("units of record", "right"), ("paid", "right"),
    )  # fmt: skip
    foreign, cash = d.asset(deed.foreign_cash), d.asset(deed.cash)
    for x in distributions:
        day = f"{x.record_time:%a %d %b %Y}"
        if not x.declared:
            table.add_row(f"#{x.id}", day, "[dim]announced[/dim]", "", "", "", "", "", "")
            continue
        table.add_row(
            f"#{x.id}", day, foreign.format(x.foreign_amount), _e18(x.fx_e18),
            number(cash.whole(x.gross_jpy)), number(cash.whole(x.fee_jpy)),
            f"[bold]{number(cash.whole(x.net_jpy))}[/bold]", number(x.units_of_record),
            number(cash.whole(x.paid_jpy)),
        )  # fmt: skip
    table.caption = (
        f"gross = received × FX; fee = gross × {deed.trust_fee_bps} bps; each rounded down to "
        "the yen"
    )
    return fit(table, narrow=narrow, drop=("gross JPY", "units of record"))


def holders_of_record_table(
    d: Deployment, jdr: str, distribution: Distribution, holders: Mapping[str, int],
    paid: Mapping[str, int], *, remainder: int, title: str | None = None, narrow: bool = False,
) -> Table:  # fmt: skip
    """A declared distribution's holders of record (address -> JDR units at the record time, as
    `JdrTrustClient.holders_of_record` gives them): each one's units, share of the units of
    record and the JPY it was paid (`paid`, address -> JPY; a holder not in it has not claimed),
    then the totals and the rounding `remainder` (`distribution_balance`)."""
    day = f"{distribution.record_time:%a %d %b %Y}"
    table = new_table(
        title or f"{jdr} distribution #{distribution.id}: holders of record on {day}", "holder",
        ("units at record", "right"), ("share", "right"), ("JPY", "right"),
    )  # fmt: skip
    whole = distribution.units_of_record
    for holder, units in holders.items():
        got = paid.get(holder)
        table.add_row(d.name(holder), number(units), _share(units, whole),
                      number(got) if got is not None else "[yellow]unclaimed[/yellow]")  # fmt: skip
    table.add_section()
    units, total = sum(holders.values()), sum(paid.values())
    table.add_row("[bold]paid[/bold]", f"[bold]{number(units)}[/bold]", _share(units, whole),
                  f"[bold]{number(total)}[/bold]")  # fmt: skip
    table.add_row("remainder (rounding)", "", "", number(remainder))
    net = number(distribution.net_jpy)
    table.caption = f"each: net JPY {net} × units ÷ {number(whole)}, rounded down"
    return fit(table, narrow=narrow)


def disclosure_table(
    d: Deployment, deed: TrustDeed, disclosure: Disclosure, *, model: NavFigures | None = None,
    title: str = "The daily disclosure", narrow: bool = False,
) -> Table:  # fmt: skip
    """A JDR trust's daily disclosure (`JdrTrustClient.latest_disclosure()`), a figure a row: as
    of, the ETF's NAV per unit and the FX rate, ETF units held and JDR units outstanding, then
    NAV total and per JDR unit; with `model` (`pyclient.jdr.model.nav_figures` over the same
    inputs), the model's figures beside the chain's, ✓ where they agree."""
    columns: list[str | tuple[str, str]] = ["figure", ("on chain", "right")]
    if model is not None:
        columns += [("pyclient.jdr.model", "right"), ""]
    table = new_table(title, *columns)
    etf, ccy = d.asset(deed.underlying), d.asset(deed.underlying).spec.currency
    as_of = f"{disclosure.as_of:%a %d %b %Y %H:%M}" if disclosure.as_of else "never"
    plain = [
        ("as of (Tokyo)", as_of),
        (f"{etf.symbol} NAV per unit ({ccy})", _e18(disclosure.nav_per_underlying_e18)),
        (f"FX ({ccy}/JPY)", _e18(disclosure.fx_e18)),
        (f"{etf.symbol} units held", number(etf.whole(disclosure.underlying_held), etf.decimals)),
        ("JDR units outstanding", number(disclosure.units_outstanding)),
    ]
    for label, value in plain:
        table.add_row(label, value, *([""] * (len(columns) - 2)))
    figures = [
        ("NAV total (JPY)", disclosure.nav_total_jpy, number,
         model.nav_total_jpy if model else None),
        ("NAV per JDR unit (JPY)", disclosure.nav_per_unit_e18, _e18,
         model.nav_per_unit_e18 if model else None),
    ]  # fmt: skip
    table.add_section()
    for label, chain, show, expected in figures:
        row = [f"[bold]{label}[/bold]", f"[bold]{show(chain)}[/bold]"]
        if expected is not None:
            row += [show(expected), OK if expected == chain else BREAK]
        table.add_row(*row)
    table.caption = "NAV = held × NAV per unit × FX; per JDR unit: ÷ outstanding; rounded down"
    return fit(table, narrow=narrow)


_RULE_WORDS = {
    SINGLE_DAY: "20% or more on one session",
    SEVEN_DAYS: "5% or more, 7 sessions running",
}


def deviation_alerts_table(
    alerts: Sequence[DeviationAlert], *, title: str = "Deviation alerts", caption: str = "",
    narrow: bool = False,
) -> Table:  # fmt: skip
    """The deviation rules that fired (`pyclient.jdr.monitors.deviation_alerts`), in order: the
    session, the rule, that day's deviation and, for the 7-session rule, the run it closes."""
    table = new_table(title, "session", "rule", ("deviation", "right"), "run")
    for a in alerts:
        run = f"{a.run_start:%a %d %b} – {a.day:%a %d %b}" if a.run_start else "[dim]–[/dim]"
        table.add_row(f"[bold]{a.day:%a %d %b %Y}[/bold]", _RULE_WORDS.get(a.rule, a.rule),
                      f"{a.deviation * 100:.2f}%", run)  # fmt: skip
    if not alerts:
        table.add_row("[dim]none[/dim]", "[green]no rule fired[/green]", "", "")
    table.caption = caption or "deviation = |close ÷ NAV per unit − 1| (ETF-JDR guidebook §3-2)"
    return fit(table, narrow=narrow)


def termination_table(
    d: Deployment, jdr: str, termination: Termination, payouts: Mapping[str, tuple[int, int]], *,
    title: str | None = None, narrow: bool = False,
) -> Table:  # fmt: skip
    """A terminated trust's payouts (holder address -> (JDR units surrendered, JPY paid), from
    its `TerminationClaimed` events): each holder's units, share and JPY; the total; what is left
    in the trust (the rounding remainder, and the shares of holders yet to claim) and the
    liquidation proceeds."""
    table = new_table(
        title or f"{jdr}: the termination payouts", "holder", ("units surrendered", "right"),
        ("share", "right"), ("JPY", "right"),
    )  # fmt: skip
    whole = termination.units_outstanding
    for holder, (units, jpy) in payouts.items():
        table.add_row(d.name(holder), number(units), _share(units, whole), number(jpy))
    table.add_section()
    units = sum(u for u, _ in payouts.values())
    paid = sum(j for _, j in payouts.values())
    table.add_row("[bold]paid[/bold]", f"[bold]{number(units)}[/bold]", _share(units, whole),
                  f"[bold]{number(paid)}[/bold]")  # fmt: skip
    unclaimed = whole - termination.units_claimed
    left = "remainder (rounding)" if not unclaimed else "unclaimed and rounding"
    table.add_row(left, number(unclaimed) if unclaimed else "", "",
                  number(termination.proceeds_jpy - paid))  # fmt: skip
    table.add_row("[bold]proceeds[/bold]", "", "", f"[bold]{number(termination.proceeds_jpy)}")
    table.caption = f"each: proceeds × units ÷ {number(whole)}, rounded down"
    return fit(table, narrow=narrow)
