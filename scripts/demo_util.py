"""Shared presentation for Kabuto's demos: narrated steps, rich tables, refusals and gas.

Every demo tells a business story to an audience watching a terminal. This module keeps the look
the same from one demo to the next:

* `Show` prints the opening banner, numbered step headers, narration, and one line per
  transaction with its block and the gas its `Receipt` reports;
* `assets_table`, `participants_table` and `balances_table` render the state of a deployment
  (balances with their change since a previous `snapshot`);
* `Refusals` runs calls that the rules must refuse, checks that each raised the expected
  `KabutoError` and that the ledger did not move, and renders them as one table;
* `reconciliation_table` and `gas_table` close a demo with its invariants and its costs;
* `Timeline` stamps each step with the chain's clock, `Outcomes` checks what a story promises,
  and `gas_summary_table` folds set-up transactions into one row.

Addresses are always shortened (`0x1234…abcd`) so tables stay narrow.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table

from pyclient import Deployment, Participant, Status
from pyclient.chain.client import Chain, Receipt
from pyclient.errors import ContractError, InputError, KabutoError, TransactionFailed

MAX_WIDTH = 110
WIDE = 100  # narrower consoles get slimmer tables
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_STATUS_STYLE = {Status.ACTIVE: "green", Status.SUSPENDED: "yellow", Status.DEFAULTED: "red"}

Snapshot = dict[tuple[str, str], int]  # (participant address, asset symbol) -> smallest units


def make_console() -> Console:
    """A console no wider than `MAX_WIDTH`, so tables read well on a projector.

    On a terminal (or with `$COLUMNS` set) the demo uses its width up to `MAX_WIDTH`; written to
    a file or a pipe, where rich would assume 80 columns, it uses `MAX_WIDTH`.
    """
    probe = Console()
    sized = probe.is_terminal or "COLUMNS" in os.environ
    return Console(width=min(probe.width, MAX_WIDTH) if sized else MAX_WIDTH, highlight=False)


def short(address: str | None) -> str:
    """`0x1234…abcd`."""
    if not address:
        return ""
    return f"{address[:6]}…{address[-4:]}"


def shorten_addresses(text: str) -> str:
    """Every full address in `text` shortened."""
    return _ADDRESS.sub(lambda m: short(m.group(0)), text)


def words(enum_member: Any) -> str:
    """`CLEARING_MEMBER` -> `clearing member`."""
    return enum_member.name.lower().replace("_", " ")


def amount_text(decimals: int, value: Decimal | int) -> str:
    """Whole units with thousands separators and the asset's decimals: `1,250.50`."""
    return f"{Decimal(value):,.{decimals}f}"


def error_parts(exc: KabutoError) -> tuple[str, str]:
    """(type name, message) of a typed error, the message without its repeated error name."""
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, ContractError):
        text = text.removeprefix(exc.error_name).removeprefix(" in ").removeprefix(": ")
    return name, shorten_addresses(text)


def refused_where(exc: KabutoError) -> str:
    if isinstance(exc, InputError):
        return "pyclient check"
    if isinstance(exc, ContractError):
        return "contract rule"
    return "refused"


# ---------------------------------------------------------------------- narration


@dataclass
class Show:
    """The narrator: banner, steps, story lines and transaction lines."""

    console: Console = field(default_factory=make_console)
    started: float = field(default_factory=time.monotonic)
    step_no: int = 0

    def banner(self, title: str, subtitle: str) -> None:
        self.console.print(
            Panel(f"[bold]{title}[/bold]\n{subtitle}", box=box.DOUBLE, expand=False, padding=(0, 2))
        )

    def step(self, title: str, story: str = "") -> None:
        self.step_no += 1
        self.console.print()
        self.console.rule(f"[bold cyan]Step {self.step_no}. {title}[/bold cyan]", align="left")
        if story:
            self.console.print(f"[italic]{story}[/italic]")

    def part(self, title: str, story: str = "") -> None:
        """A sub-heading inside a step."""
        self.console.print()
        line = f"[bold]▸ {title}[/bold]"
        if story:
            line += f" [dim]— {story}[/dim]"
        self.console.print(line)

    @property
    def narrow(self) -> bool:
        """Below `WIDE` columns tables drop their least useful columns."""
        return self.console.width < WIDE

    def say(self, text: str) -> None:
        self.console.print(Padding(shorten_addresses(text), (0, 0, 0, 4)))

    def line(self, mark: str, text: str, right: str = "") -> None:
        """`mark text … right`: the text wraps under itself, `right` stays flush right."""
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=3, justify="right")
        grid.add_column(ratio=1)
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(mark, shorten_addresses(text), right)
        self.console.print(grid)

    def tx(self, what: str, receipt: Receipt) -> None:
        """One line for a mined transaction: what happened, its block and its gas."""
        gas = f"[dim]block {receipt.block_number} · gas {receipt.gas_used:,}[/dim]"
        self.line("[green]✓[/green]", what, gas)

    def ok(self, text: str) -> None:
        self.line("[green]✓[/green]", text)

    def refused(self, text: str, exc: KabutoError) -> None:
        self.line("[red]✗[/red]", text, f"[red]{type(exc).__name__}[/red]")

    def table(self, table: Table) -> None:
        self.console.print(table)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def receipt_of_last(chain: Chain) -> Receipt:
    """The most recent mined transaction as a `Receipt`-like record, for calls that return
    something else (admitting a participant returns the `Participant`)."""
    record = chain.gas_log[-1]
    block = chain.w3.eth.get_transaction_receipt(record.tx_hash)["blockNumber"]
    return Receipt(
        tx_hash=record.tx_hash, block_number=block, gas_used=record.gas_used, label=record.label
    )


# ---------------------------------------------------------------------- state


def snapshot(d: Deployment, addresses: Iterable[str]) -> Snapshot:
    """Every balance of every asset for `addresses`, in smallest units, read from the chain now.

    All `balanceOf` calls go out as one JSON-RPC batch: a demo reads the whole ledger before and
    after every refused call, and one web3 call per balance would make that take seconds.
    """
    keys = [(address, a.symbol) for a in d.assets.values() for address in addresses]
    requests = [
        (
            "eth_call",
            [{"to": d.asset(symbol).address, "data": _balance_of(d, symbol, address)}, "latest"],
        )
        for address, symbol in keys
    ]
    responses = d.chain.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
    if not isinstance(responses, list):
        raise TransactionFailed(f"balance batch refused by the node: {responses}")
    out: Snapshot = {}
    for key, response in zip(keys, responses, strict=True):  # web3 sorts them by request id
        if "result" not in response:
            raise TransactionFailed(f"balanceOf {key} failed: {response.get('error')}")
        out[key] = int(response["result"], 16)
    return out


def ledger(d: Deployment) -> Snapshot:
    """Every registered participant's balance of every asset."""
    return snapshot(d, [p.address for p in d.participants()])


def _balance_of(d: Deployment, symbol: str, address: str) -> str:
    return d.token(symbol).encode_abi("balanceOf", [address])


def new_table(title: str, *columns: str | tuple[str, str]) -> Table:
    """A table in the demos' style; a column given as (name, "right") is right-aligned."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAVY, title_style="bold")
    for col in columns:
        name, justify = col if isinstance(col, tuple) else (col, "left")
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    return table


def assets_table(d: Deployment, *, narrow: bool = False) -> Table:
    """Every asset of the deployment; `narrow` leaves out decimals and the token address."""
    columns: list[str | tuple[str, str]] = [
        "symbol", "name", "class", "ccy", ("dec", "right"), "ISIN", "maturity",
        ("face unit", "right"), "address",
    ]  # fmt: skip
    if narrow:
        columns = [c for c in columns if c not in (("dec", "right"), "address")]
    table = new_table("Assets on chain", *columns)
    for column in table.columns:
        if column.header in ("ISIN", "maturity"):
            column.no_wrap = True
    for a in d.assets.values():
        s = a.spec
        row = [
            f"[bold]{s.symbol}[/bold]", s.name, words(s.asset_class), s.currency, str(s.decimals),
            s.isin or "–", s.maturity.isoformat() if s.maturity else "–",
            f"{s.face_unit:,}" if s.face_unit else "–", short(a.address),
        ]  # fmt: skip
        if narrow:
            row = row[:4] + row[5:8]
        table.add_row(*row)
    return table


def status_text(status: Status) -> str:
    style = _STATUS_STYLE.get(status, "white")
    return f"[{style}]{words(status)}[/{style}]"


def participants_table(
    d: Deployment,
    gas: Mapping[str, int] | None = None,
    title: str = "The register",
    *,
    narrow: bool = False,
) -> Table:
    """Every registered participant; with `gas`, the gas its admission cost. `narrow` leaves
    out the address."""
    columns: list[str | tuple[str, str]] = [
        "name", "kind", "status", "account", "clearing member", "address",
    ]  # fmt: skip
    if narrow:
        columns.remove("address")
    if gas is not None:
        columns.append(("gas", "right"))
    table = new_table(title, *columns)
    for p in d.participants():
        row = [
            f"[bold]{p.name}[/bold]",
            words(p.kind),
            status_text(p.status),
            words(p.account_type) if p.account_type.value else "–",
            _member_name(d, p),
        ]
        if not narrow:
            row.append(short(p.address))
        if gas is not None:
            row.append(f"{gas[p.address]:,}" if p.address in gas else "")
        table.add_row(*row)
    return table


def _member_name(d: Deployment, p: Participant) -> str:
    return d.participant(p.clearing_member).name if p.clearing_member else "–"


def balances_table(
    d: Deployment,
    title: str,
    *,
    before: Snapshot | None = None,
    extra: Mapping[str, str] | None = None,
) -> tuple[Table, Snapshot]:
    """Balances of every participant (and of `extra` addresses, by label) in every asset.

    With `before`, a changed cell shows its change underneath. Returns the table and the new
    snapshot, to pass as `before` next time.
    """
    rows = [(p.name, p.address) for p in d.participants()]
    rows += [(label, address) for label, address in (extra or {}).items()]
    now = snapshot(d, [address for _, address in rows])
    table = new_table(title, "participant", *[(s, "right") for s in d.assets])
    for label, address in rows:
        cells = []
        for a in d.assets.values():
            units = now[(address, a.symbol)]
            cell = amount_text(a.decimals, a.whole(units)) if units else "[dim]·[/dim]"
            if before is not None and (address, a.symbol) in before:
                delta = units - before[(address, a.symbol)]
                if delta:
                    colour, sign = ("green", "+") if delta > 0 else ("red", "−")
                    change = amount_text(a.decimals, a.whole(abs(delta)))
                    cell = f"[bold]{cell}[/bold]\n[{colour}]{sign}{change}[/{colour}]"
            cells.append(cell)
        table.add_row(label, *cells)
    if before is not None:
        table.caption = "changes since the previous table shown underneath"
    return table, now


def total_supply(d: Deployment, symbol: str) -> int:
    return d.token(symbol).functions.totalSupply().call()


def reconciliation_table(d: Deployment) -> tuple[Table, bool]:
    """Per asset: supply on chain against the sum of every registered participant's balance."""
    participants = d.participants()
    holdings = snapshot(d, [p.address for p in participants])
    table = new_table(
        "Reconciliation: supply on chain vs holdings in the register",
        "asset", ("total supply", "right"), ("sum of holdings", "right"), ("holders", "right"),
        "match",
    )  # fmt: skip
    all_match = True
    for a in d.assets.values():
        supply = total_supply(d, a.symbol)
        held = [holdings[(p.address, a.symbol)] for p in participants]
        match = supply == sum(held)
        all_match &= match
        table.add_row(
            f"[bold]{a.symbol}[/bold]",
            amount_text(a.decimals, a.whole(supply)),
            amount_text(a.decimals, a.whole(sum(held))),
            str(sum(1 for h in held if h)),
            "[green]✓ equal[/green]" if match else "[bold red]✗ MISMATCH[/bold red]",
        )
    return table, all_match


# ---------------------------------------------------------------------- refusals


@dataclass
class Refusal:
    attempt: str
    expected: type[KabutoError]
    error: KabutoError | None
    ledger_unchanged: bool
    block_unchanged: bool

    @property
    def as_expected(self) -> bool:
        return isinstance(self.error, self.expected) and self.ledger_unchanged


@dataclass
class Refusals:
    """Calls the rules must refuse: each is run, checked and kept for one table at the end.

    A refusal is as expected when the call raised `expected` (or a subclass), no balance of any
    watched address moved and no block was mined.
    """

    show: Show
    deployment: Deployment
    watched: list[str]
    rows: list[Refusal] = field(default_factory=list)

    def attempt(self, text: str, call: Callable[[], Any], expected: type[KabutoError]) -> None:
        chain = self.deployment.chain
        before, block = snapshot(self.deployment, self.watched), chain.w3.eth.block_number
        error: KabutoError | None = None
        try:
            call()
        except KabutoError as exc:
            error = exc
        after = snapshot(self.deployment, self.watched)
        row = Refusal(
            attempt=text,
            expected=expected,
            error=error,
            ledger_unchanged=before == after,
            block_unchanged=chain.w3.eth.block_number == block,
        )
        self.rows.append(row)
        if error is None:
            self.show.line("[bold red]✗[/bold red]", text, "[bold red]NOT REFUSED[/bold red]")
        else:
            self.show.refused(text, error)

    @property
    def all_as_expected(self) -> bool:
        return all(r.as_expected for r in self.rows)

    def table(self, title: str = "Refused calls") -> Table:
        """One row per attempt: what was tried, the error, its message, and the ledger check.

        On a narrow console the message goes under the error name instead of in its own column.
        """
        merged = self.show.narrow
        columns = ["attempt", "refused with"] + ([] if merged else ["message"]) + ["ledger"]
        table = new_table(title, ("#", "right"), *columns)
        table.expand = True
        # Error names are long single words: keep them whole; a long token in a message folds
        # rather than being cut. The attempt and the message share what is left.
        table.columns[1].ratio = 3
        table.columns[2].no_wrap = not merged
        table.columns[-2].ratio = 4
        table.columns[-2].overflow = "fold"
        table.columns[-1].no_wrap = True
        for i, r in enumerate(self.rows, 1):
            if r.error is None:
                error = "[bold red]NOT REFUSED[/bold red]"
                message = f"expected {r.expected.__name__}"
            else:
                name, message = error_parts(r.error)
                style = "red" if isinstance(r.error, r.expected) else "bold magenta"
                error = f"[{style}]{name}[/{style}]\n[dim]{refused_where(r.error)}[/dim]"
                if not isinstance(r.error, r.expected):
                    message += f" [bold magenta](expected {r.expected.__name__})[/bold magenta]"
            if r.ledger_unchanged and r.block_unchanged:
                ledger = "[green]unchanged[/green]"
            elif r.ledger_unchanged:
                ledger = "[yellow]block mined[/yellow]"
            else:
                ledger = "[bold red]MOVED[/bold red]"
            cells = [error, message] if not merged else [f"{error}\n{message}"]
            table.add_row(str(i), r.attempt, *cells, ledger)
        return table


# ---------------------------------------------------------------------- timelines and outcomes


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a story: when (the block time of its last transaction), who, what, its cost."""

    when: datetime
    actor: str
    event: str
    detail: str
    txs: int
    gas: int
    block: int


@dataclass
class Timeline:
    """The story's steps as they happen on chain, each stamped with the chain's clock.

    `record` turns every transaction mined since the previous record (found in `chain.gas_log`)
    into one entry: its time is the timestamp of the block of the last of them (of the latest
    block when nothing was mined, for a step that only reads), its gas their sum. Each entry is
    printed as it is recorded; `table` prints them all again, a section per day.
    """

    show: Show
    chain: Chain
    zone: tzinfo
    entries: list[TimelineEntry] = field(default_factory=list)
    _seen: int = 0

    def skip(self) -> None:
        """Leave what was mined so far out of the next entry."""
        self._seen = len(self.chain.gas_log)

    def record(self, actor: str, event: str, detail: str = "") -> TimelineEntry:
        records = self.chain.gas_log[self._seen :]
        self._seen = len(self.chain.gas_log)
        if records:
            block = self.chain.w3.eth.get_transaction_receipt(records[-1].tx_hash)["blockNumber"]
        else:
            block = self.chain.w3.eth.block_number
        stamp = self.chain.w3.eth.get_block(block)["timestamp"]
        entry = TimelineEntry(
            when=datetime.fromtimestamp(stamp, self.zone),
            actor=actor,
            event=event,
            detail=detail,
            txs=len(records),
            gas=sum(r.gas_used for r in records),
            block=block,
        )
        self.entries.append(entry)
        text = f"[dim]{entry.when:%H:%M:%S}[/dim]  [bold]{actor}[/bold] {event}"
        if detail:
            text += f" [dim]— {detail}[/dim]"
        if entry.txs:
            plural = "" if entry.txs == 1 else "s"
            cost = f"[dim]{entry.txs} tx{plural} · block {block} · gas {entry.gas:,}[/dim]"
            self.show.line("[green]✓[/green]", text, cost)
        else:
            self.show.line("[blue]·[/blue]", text, "[dim]read only[/dim]")
        return entry

    def table(self, title: str = "Timeline") -> Table:
        table = new_table(
            title, "time", "actor", "what happened", ("txs", "right"), ("gas", "right")
        )
        table.columns[0].no_wrap = True
        table.columns[1].no_wrap = True
        day = None
        for e in self.entries:
            if e.when.date() != day:
                if day is not None:
                    table.add_section()
                day = e.when.date()
                table.add_row(f"[bold]{e.when:%a %d %b}[/bold]", "", "", "", "")
            what = e.event + (f"\n[dim]{e.detail}[/dim]" if e.detail else "")
            table.add_row(
                f"{e.when:%H:%M:%S}",
                e.actor,
                what,
                str(e.txs) if e.txs else "[dim]–[/dim]",
                f"{e.gas:,}" if e.txs else "[dim]–[/dim]",
            )
        return table


def gas_summary_table(
    chain: Chain, title: str = "Gas by operation", *, fold: Mapping[str, str] | None = None
) -> Table:
    """Every transaction the demo mined, grouped by operation: count, average and total gas.

    With `fold`, every label starting with one of its keys counts as one row named by its value
    (`{"deploy.": "deploy (whole suite)"}`), so set-up does not crowd out the operations the demo
    is about."""
    groups: dict[str, list[int]] = defaultdict(list)
    for record in chain.gas_log:
        label = next(
            (name for prefix, name in (fold or {}).items() if record.label.startswith(prefix)),
            record.label,
        )
        groups[label].append(record.gas_used)
    table = new_table(
        title, "operation", ("txs", "right"), ("avg gas", "right"), ("total", "right")
    )
    for label, gas in groups.items():
        table.add_row(label, str(len(gas)), f"{sum(gas) // len(gas):,}", f"{sum(gas):,}")
    total = sum(r.gas_used for r in chain.gas_log)
    table.add_section()
    table.add_row("[bold]all[/bold]", f"[bold]{len(chain.gas_log)}[/bold]", "", f"[bold]{total:,}")
    return table


@dataclass
class Outcomes:
    """What the story promises, checked as it goes: one row each, ✓ or ✗, for a closing table."""

    rows: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, expectation: str, ok: bool, detail: str = "") -> bool:
        self.rows.append((expectation, bool(ok), detail))
        return bool(ok)

    @property
    def all_held(self) -> bool:
        return all(ok for _, ok, _ in self.rows)

    def table(self, title: str = "Expected outcomes") -> Table:
        table = new_table(title, ("#", "right"), "expectation", "observed", "")
        table.expand = True
        for i, (expectation, ok, detail) in enumerate(self.rows, 1):
            mark = "[green]✓[/green]" if ok else "[bold red]✗[/bold red]"
            table.add_row(str(i), expectation, f"[dim]{detail}[/dim]", mark)
        return table
