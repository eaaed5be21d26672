"""The demos' narrator: steps, transaction lines, refusals, a timeline and checked expectations.

Presentation only, the same for every demo: what a demo shows of the ledger comes from the SDK
(tables from `pyclient.tables` over `pyclient.views`, sentences from `pyclient.events`). `run`
tells a story on a fresh embedded chain and turns it into an exit code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table

from pyclient import Chain, Deployment, Outcome
from pyclient.errors import ContractError, InputError, KabutoError
from pyclient.tables import BREAK, OK, events_table, new_table, shorten_addresses
from pyclient.views import Head, balance_sheet, head

MAX_WIDTH = 110
WIDE = 100  # narrower consoles get slimmer tables
SET_UP = {"deploy.": "deploy.* (suite set-up)"}  # gas tables fold the suite's deployment
# A refused call: what was tried, the error expected and the one raised, ledger still, no block.
Attempt = tuple[str, type[KabutoError], KabutoError | None, bool, bool]


def run(
    console: Console | None, title: str, subtitle: str, story: Callable[[Show, Chain], bool],
    **connect: Any,
) -> int:  # fmt: skip
    """Tell `story` on a fresh embedded chain (`Chain.connect(**connect)`) and close the chain:
    0 when the story says every expectation held, 1 when one did not or the story stopped."""
    if console is None:  # to a file or a pipe rich assumes 80 columns: use MAX_WIDTH there
        sized = Console().is_terminal or "COLUMNS" in os.environ
        width = min(Console().width, MAX_WIDTH) if sized else MAX_WIDTH
        console = Console(width=width, highlight=False)
    show = Show(console)
    console.print(Panel(f"[bold]{title}[/bold]\n{subtitle}", box=box.DOUBLE, expand=False,
                        padding=(0, 2)))  # fmt: skip
    try:
        with Chain.connect(**connect) as chain:
            held = story(show, chain)
    except KabutoError as exc:
        console.print(f"\n[bold red]demo stopped: {type(exc).__name__}[/bold red]: {exc}")
        return 1
    console.print(f"[dim]chain stopped · demo ran in {time.monotonic() - show.started:.1f} s")
    return 0 if held else 1


@dataclass
class Show:
    """The narrator: numbered steps, parts, story lines and transaction lines."""

    console: Console
    started: float = field(default_factory=time.monotonic)
    steps: int = 0

    @property
    def narrow(self) -> bool:
        """Below `WIDE` columns, tables drop their least useful columns (`tables.fit`)."""
        return self.console.width < WIDE

    def step(self, title: str, story: str) -> None:
        self.steps += 1
        self.console.print()
        self.console.rule(f"[bold cyan]Step {self.steps}. {title}[/bold cyan]", align="left")
        self.console.print(f"[italic]{story}[/italic]")

    def part(self, title: str, story: str = "") -> None:
        """A sub-heading inside a step."""
        tail = f" [dim]— {story}[/dim]" if story else ""
        self.console.print(f"\n[bold]▸ {title}[/bold]{tail}")

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

    def tx(self, what: str, outcome: Outcome[Any]) -> None:
        """One line for a mined transaction: what happened, its block and its gas."""
        self.line(OK, what, f"[dim]block {outcome.block_number} · gas {outcome.gas_used:,}[/dim]")

    def table(self, *tables: Table) -> None:
        for table in tables:
            self.console.print(table)

    def events(self, d: Deployment, tx: Outcome[Any], title: str) -> None:
        """The events of one transaction, in order, under its hash, block and gas."""
        caption = f"tx {tx.tx_hash[:10]}…, block {tx.block_number}, gas {tx.gas_used:,}"
        self.table(events_table(d, tx.events, title=title, caption=caption, narrow=self.narrow))

    def verdict(self, ok: bool, held: str, details: str, failed: str) -> bool:
        """The story's last line: ✓ `held` `details` if `ok`, else ✗ `failed`; returns `ok`."""
        last = f"[bold green]✓ {held}[/bold green] {details}" if ok else f"[bold red]✗ {failed}"
        self.console.print(last)
        return ok


@dataclass
class Refusals:
    """Calls the rules must refuse, each attempted, checked and kept for one table.

    As expected when the call raised `expected` (or a subclass), no balance or supply moved (of
    every participant, and of the `extra` holders, label -> address) and no block was mined.
    """

    show: Show
    d: Deployment
    extra: Mapping[str, str] = field(default_factory=dict)
    rows: list[Attempt] = field(default_factory=list)

    @contextmanager
    def attempt(self, text: str, expected: type[KabutoError]) -> Iterator[None]:
        """`with refusals.attempt("what is tried", errors.Expected): the call` (the typed error
        is caught and kept; a call that is not refused is too)."""
        before, block = balance_sheet(self.d, self.extra), head(self.d).block
        error = None
        try:
            yield
        except KabutoError as exc:
            error = exc
        after = balance_sheet(self.d, self.extra)
        still = after.units == before.units and after.supply == before.supply
        self.rows.append((text, expected, error, still, head(self.d).block == block))
        name = f"[red]{type(error).__name__}[/red]" if error else "[bold red]NOT REFUSED"
        self.show.line("[red]✗[/red]", text, name)

    @property
    def all_as_expected(self) -> bool:
        return all(isinstance(e, x) and still and same for _, x, e, still, same in self.rows)

    def table(self, title: str) -> Table:
        """One row per attempt: what was tried; the error, where it was caught and its message;
        and whether the ledger moved."""
        table = new_table(title, ("#", "right"), "attempt", "refused with", "ledger")
        table.expand, table.columns[-2].overflow = True, "fold"  # a long word folds, not cut
        table.columns[1].ratio, table.columns[2].ratio = 2, 3
        for i, (text, expected, error, still, same) in enumerate(self.rows, 1):
            refused = f"[bold red]NOT REFUSED[/bold red]\nexpected {expected.__name__}"
            if error is not None:
                where = "pyclient check" if isinstance(error, InputError) else "contract rule"
                message = str(error)
                if isinstance(error, ContractError):  # its name heads the cell already
                    message = f"{error.contract}: {error.text}" if error.contract else error.text
                style = "red" if isinstance(error, expected) else "bold magenta"
                refused = f"[{style}]{type(error).__name__}[/{style}] [dim]({where})[/dim]\n"
                refused += shorten_addresses(message)
                if style != "red":
                    refused += f" [bold magenta](expected {expected.__name__})[/bold magenta]"
            ledger = "[green]unchanged[/green]" if same else "[yellow]block mined[/yellow]"
            table.add_row(str(i), text, refused, ledger if still else "[bold red]MOVED[/bold red]")
        return table


@dataclass
class Timeline:
    """The story's steps as they happen on chain, each stamped with the chain's clock.

    `record` makes the transactions mined since the previous record (`chain.gas_log`) one entry,
    stamped with the head block: the last of them, or for a step that only reads, where the clock
    stands. Each entry is printed as it is recorded; `table` prints them all, a section per day.
    """

    show: Show
    d: Deployment
    entries: list[tuple[Head, str, str, str, int, int]] = field(default_factory=list)
    seen: int = 0

    def skip(self) -> None:
        """Leave what was mined so far (setting the clock, say) out of the next entry."""
        self.seen = len(self.d.chain.gas_log)

    def record(self, actor: str, event: str, detail: str = "") -> None:
        records, now = self.d.chain.gas_log[self.seen :], head(self.d)
        self.skip()
        gas = sum(r.gas_used for r in records)
        self.entries.append((now, actor, event, detail, len(records), gas))
        text = f"[dim]{now.time:%H:%M:%S}[/dim]  [bold]{actor}[/bold] {event}"
        text += f" [dim]— {detail}[/dim]" if detail else ""
        if not records:
            return self.show.line("[blue]·[/blue]", text, "[dim]read only[/dim]")
        txs = f"{len(records)} tx{'s' * (len(records) != 1)}"
        self.show.line(OK, text, f"[dim]{txs} · block {now.block} · gas {gas:,}[/dim]")

    def table(self, title: str) -> Table:
        columns = ("time", "actor", "what happened", ("txs", "right"), ("gas", "right"))
        table = new_table(title, *columns)
        table.columns[0].no_wrap = table.columns[1].no_wrap = True
        day = None
        for now, actor, event, detail, txs, gas in self.entries:
            if now.time.date() != day:
                if day is not None:
                    table.add_section()
                day = now.time.date()
                table.add_row(f"[bold]{now.time:%a %d %b}[/bold]", "", "", "", "")
            what = event + (f"\n[dim]{detail}[/dim]" if detail else "")
            cost = (str(txs), f"{gas:,}") if txs else ("[dim]–[/dim]", "[dim]–[/dim]")
            table.add_row(f"{now.time:%H:%M:%S}", actor, what, *cost)
        return table


@dataclass
class Checks:
    """What the story promises, checked as it goes: one row each, ✓ or ✗, for a closing table."""

    rows: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, expectation: str, ok: bool, observed: str = "") -> None:
        self.rows.append((expectation, bool(ok), observed))

    @property
    def failed(self) -> int:
        return sum(1 for _, ok, _ in self.rows if not ok)

    def table(self, title: str = "Expected outcomes") -> Table:
        table = new_table(title, ("#", "right"), "expectation", "observed", "")
        table.expand = True
        for i, (expectation, ok, observed) in enumerate(self.rows, 1):
            table.add_row(str(i), expectation, f"[dim]{observed}[/dim]", OK if ok else BREAK)
        return table
