"""The narrator of a story told over the SDK: steps, transaction lines, refusals, a timeline and
checked expectations (what scripts/demos use).

Presentation only, the same for every story: what it shows of the ledger comes from the SDK
(tables from `pyclient.tables` over `pyclient.views`, sentences from `pyclient.events`), what it
says from a narration (the [narration] of a demo's TOML). `run` tells a story on a fresh chain, for
an exit code.

A story is told in one of two modes. Brief (`make demo`) is for a live audience, at most about 150
lines a story: no gas or block numbers, each refused call listed once with its reason, the tables
that carry the story only, and compact, the reconciliation in one line, the expectations only if
one failed, no closing timeline or gas table. Full (`--full`, `make demo-full`) adds every detail:
each transaction's block and gas, the events of a transaction, intermediate tables, a summary of
the refused calls, every expectation, the timeline and the gas used. Both run the same story and
look up the same words; only what is printed differs, so every expectation is checked, and the exit
code means the same, either way.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table

from .chain.client import Chain
from .contracts.base import Outcome
from .deployment import Deployment
from .errors import KabutoError
from .events import describe
from .reconcile import Check
from .tables import (
    BREAK,
    OK,
    check_table,
    error_text,
    events_table,
    fit,
    new_table,
    shorten_addresses,
)
from .views import Head, balance_sheet, head

MAX_WIDTH = 110
WIDE = 100  # narrower consoles get slimmer tables
Narration = Mapping[str, Any]  # a demo's words, from its TOML: see `Show`
SET_UP = {"deploy.": "deploy.* (suite set-up)"}  # gas tables fold the suite's deployment
COSTS = ("block", "gas")  # columns a brief table leaves out
# A refused call: what was tried, the error expected and the one raised, ledger still, no block.
Attempt = tuple[str, type[KabutoError], KabutoError | None, bool, bool]


def arguments(description: str | None = None) -> argparse.ArgumentParser:
    """The command line of a demo script: `--full` tells the story in full detail (`make
    demo-full`); without it, briefly (`make demo`). A demo may add arguments of its own."""
    parser = argparse.ArgumentParser(description=(description or "").split("\n\n")[0] or None)
    full = "every detail: gas, events, intermediate tables, the timeline"
    parser.add_argument("--full", action="store_true", help=full)
    return parser


def run(
    console: Console | None, narration: Narration, story: Callable[[Show, Chain], bool],
    *, full: bool = False, **connect: Any,
) -> int:  # fmt: skip
    """Tell `story` in the words of `narration` on a fresh embedded chain (`Chain.connect(**
    connect)`), briefly or in `full`, then close it: 0 when the story says every expectation held,
    1 if not or stopped."""
    if console is None:  # to a file or a pipe rich assumes 80 columns: use MAX_WIDTH there
        sized = Console().is_terminal or "COLUMNS" in os.environ
        width = min(Console().width, MAX_WIDTH) if sized else MAX_WIDTH
        console = Console(width=width, highlight=False)
    show = Show(console, narration, full=full)
    banner = f"[bold]{show.words('title')}[/bold]\n{show.words('subtitle')}"
    console.print(Panel(banner, box=box.DOUBLE, expand=False, padding=(0, 2)))
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
    """The narrator: numbered steps, parts, story lines and transaction lines, in the words of the
    demo's narration: a table per step (its `title`, `story` and the rest it says, by key).

    Brief unless `full` (see the module): a demo tells everything through `Show`, marking what is
    detail (`detail`, `say(detail=True)`, `step(detail=True)`), and `Show` decides what to print.
    Words are looked up whatever is printed, so `told` is the same in both modes."""

    console: Console
    narration: Narration = field(default_factory=dict)
    full: bool = False  # every detail, or brief (for a live audience)
    scene: str = ""  # the step being told
    told: set[str] = field(default_factory=set)  # each key looked up ("step.key" in a step)
    started: float = field(default_factory=time.monotonic)
    steps: int = 0
    day: date | None = None  # the day of the last clock line printed

    @property
    def narrow(self) -> bool:
        """Below `WIDE` columns, tables drop their least useful columns (`tables.fit`)."""
        return self.console.width < WIDE

    def words(self, key: str, **fill: Any) -> Any:
        """The narration's `key`, in the step being told or else at the top: a text, or the texts
        of a list or table, each with its {fields} filled from `fill` (`str.format`)."""
        scene = self.narration.get(self.scene, {})
        self.told.add(f"{self.scene}.{key}" if key in scene else key)
        found = scene[key] if key in scene else self.narration[key]
        if isinstance(found, str):
            return found.format(**fill)
        if isinstance(found, list):
            return [text.format(**fill) for text in found]
        return {name: text.format(**fill) for name, text in found.items()}

    def step(self, key: str, *, detail: bool = False, **fill: Any) -> None:
        """Step `key` of the narration: a numbered rule with its title, then its story; a `detail`
        step (a recap, say) is told in full only."""
        self.scene = key
        title, story = (self.words(part, **fill) for part in ("title", "story"))
        if detail and not self.full:
            return
        self.steps += 1
        self.console.print()
        self.console.rule(f"[bold cyan]Step {self.steps}. {title}[/bold cyan]", align="left")
        self.console.print(f"[italic]{story}[/italic]")

    def part(self, key: str, **fill: Any) -> None:
        """A sub-heading inside a step, from the words `key`: a title, and maybe a story."""
        part = self.words(key, **fill)
        tail = f" [dim]— {part['story']}[/dim]" if "story" in part else ""
        self.console.print(f"\n[bold]▸ {part['title']}[/bold]{tail}")

    def say(self, text: str, *, detail: bool = False) -> None:
        """A line of the story, indented; a `detail` is said in full only."""
        if self.full or not detail:
            self.console.print(Padding(shorten_addresses(text), (0, 0, 0, 4)))

    def progress(self, message: str) -> None:
        """How a long operation (the suite's deployment) is going: in full only."""
        self.say(f"[dim]· {message}[/dim]", detail=True)

    def clock(self, moment: datetime, why: str) -> None:
        """The story's clock moves to `moment`, for `why`: said at every move in full, briefly only
        when the day changes (each line that follows carries its own time)."""
        if self.full or moment.date() != self.day:
            self.line("[cyan]◷[/cyan]", f"[bold]{moment:%a %d %b %Y, %H:%M}[/bold] Tokyo · {why}")
            self.day = moment.date()

    def line(self, mark: str, text: str, right: str = "") -> None:
        """`mark text … right`: the text wraps under itself, `right` stays flush right."""
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=3, justify="right")
        grid.add_column(ratio=1)
        if right:
            grid.add_column(justify="right", no_wrap=True)
        grid.add_row(mark, shorten_addresses(text), *([right] if right else []))
        self.console.print(grid)

    def tx(self, key: str, outcome: Outcome[Any], **fill: Any) -> None:
        """One line for a mined transaction: what happened (the words `key`); in full, its block
        and gas."""
        cost = f"[dim]block {outcome.block_number} · gas {outcome.gas_used:,}[/dim]"
        self.line(OK, self.words(key, **fill), cost if self.full else "")

    def txs(self, key: str, done: Sequence[Outcome[Any]], **fill: Any) -> None:
        """One line for transactions of one kind (the words `key`): how many; in full, their gas."""
        count = f"{len(done)} tx{'s' * (len(done) != 1)}"
        gas = f" · gas {sum(o.gas_used for o in done):,}" if self.full else ""
        self.line(OK, self.words(key, **fill), f"[dim]{count}{gas}[/dim]")

    def table(self, *tables: Table) -> None:
        """Tables that carry the story, each on its own lines, as printed one by one; brief, they
        are compact (no blank edge lines) and without their block and gas columns."""
        if not self.full:
            for table in tables:
                table.columns = [c for c in table.columns if str(c.header) not in COSTS]
                table.show_edge = False
        self.console.print(*tables)

    def detail(self, *tables: Table) -> None:
        """Tables that add detail to what the story has told (intermediate states, the gas used, a
        recap): in full only."""
        if self.full:
            self.console.print(*tables)

    def events(self, d: Deployment, tx: Outcome[Any], title: str, said: Sequence[str] = ()) -> None:
        """The events of one transaction: in full, all of them in order, under its hash, block and
        gas; brief, only those named in `said`, each as a sentence of its own."""
        if not self.full:
            for e in tx.events:
                if e.name in said:
                    self.line("[magenta]»[/magenta]", f"[italic]{describe(e, d)}[/italic]")
            return
        caption = f"tx {tx.tx_hash[:10]}…, block {tx.block_number}, gas {tx.gas_used:,}"
        self.detail(events_table(d, tx.events, title=title, caption=caption, narrow=self.narrow))

    def controls(
        self, checks: Sequence[Check], titles: Sequence[str] = (),
        tabled: Callable[[Check], bool] = lambda check: True,
    ) -> bool:  # fmt: skip
        """The CCP's reconciliation controls, each titled by `titles` or its own title: in full a
        table each (those `tabled`); brief, one line for them all, and the table of any that found
        a break. Returns whether all held."""
        named = [*titles, *(check.title for check in checks[len(titles) :])]
        for check, title in zip(checks, named, strict=True):
            if (self.full and tabled(check)) or not check.ok:
                self.table(fit(check_table(check, title=title), narrow=self.narrow))
        held = all(check.ok for check in checks)
        if not self.full and held:
            n, lines = len(checks), sum(len(check.lines) for check in checks)
            self.line(OK, f"{n} control{'s' * (n != 1)}, {lines} lines compared, no break")
        return held

    def outcomes(self, checks: Checks, title: str = "Expected outcomes") -> None:
        """The story's checked expectations: in full, all of them; brief, those that failed (the
        verdict says when all held)."""
        if self.full or checks.failed:
            self.table(checks.table(title, failed_only=not self.full))

    def verdict(self, ok: bool, **fill: Any) -> bool:
        """The story's last line: ✓ `held` `details` if `ok`, else ✗ `failed`; returns `ok`."""
        held, details, failed = (self.words(key, **fill) for key in ("held", "details", "failed"))
        last = f"[bold green]✓ {held}[/bold green] {details}" if ok else f"[bold red]✗ {failed}"
        self.console.print(last)
        return ok


@dataclass
class Refusals:
    """Calls the rules must refuse, each attempted, checked and listed once.

    As expected when the call raised `expected` (or a subclass), no balance or supply moved (of
    every participant, and of the `extra` holders, label -> address) and no block was mined. Each
    attempt is a line naming its error; brief, its message under it (unless the same as the one
    before); in full, the messages go in one table (`summary`), as does any attempt that did not go
    as expected, in either mode.
    """

    show: Show
    d: Deployment
    extra: Mapping[str, str] = field(default_factory=dict)
    rows: list[Attempt] = field(default_factory=list)
    said: str = ""  # the last message said, not said again for the next attempt

    @contextmanager
    def attempt(self, key: str, expected: type[KabutoError], **fill: Any) -> Iterator[None]:
        """`with refusals.attempt(key, errors.Expected): the call`, the text `key` saying what is
        tried (the typed error is caught and kept; a call that is not refused is too)."""
        text, error = self.show.words(key, **fill), None
        before, block = balance_sheet(self.d, self.extra), head(self.d).block
        try:
            yield
        except KabutoError as exc:
            error = exc
        after = balance_sheet(self.d, self.extra)
        still = after.units == before.units and after.supply == before.supply
        self.rows.append((text, expected, error, still, head(self.d).block == block))
        name = f"[red]{type(error).__name__}[/red]" if error else "[bold red]NOT REFUSED"
        self.show.line("[red]✗[/red]", text, name)
        message = error_text(error).split("\n", 1)[1] if error else ""  # as the table has it
        if message and message != self.said and not self.show.full:
            self.show.say(f"[dim]{message}[/dim]")
        self.said = message

    @property
    def all_as_expected(self) -> bool:
        return all(isinstance(e, x) and still and same for _, x, e, still, same in self.rows)

    def summary(self, title: str) -> bool:
        """The attempts in one table titled `title`: in full, or when one did not go as expected;
        returns whether all did."""
        if self.show.full or not self.all_as_expected:
            self.show.table(self.table(title))
        return self.all_as_expected

    def table(self, title: str) -> Table:
        """One row per attempt: what was tried; the error, where it was caught and its message;
        and whether the ledger moved."""
        table = new_table(title, ("#", "right"), "attempt", "refused with", "ledger")
        table.expand, table.columns[-2].overflow = True, "fold"  # a long word folds, not cut
        table.columns[1].ratio, table.columns[2].ratio = 2, 3
        for i, (text, expected, error, still, same) in enumerate(self.rows, 1):
            refused = f"[bold red]NOT REFUSED[/bold red]\nexpected {expected.__name__}"
            if error is not None:
                style = "red" if isinstance(error, expected) else "bold magenta"
                refused = error_text(error, style=style)
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
    stands; its words are the step's [actor, what it did, detail]. Each entry is printed as it is
    recorded (in full with its transactions, block and gas); `table` recaps them all, a section per
    day.
    """

    show: Show
    d: Deployment
    entries: list[tuple[Head, str, str, str, int, int]] = field(default_factory=list)
    seen: int = 0

    def skip(self) -> None:
        """Leave what was mined so far (setting the clock, say) out of the next entry."""
        self.seen = len(self.d.chain.gas_log)

    def record(self, key: str, **fill: Any) -> None:
        (actor, event, *more), now = self.show.words(key, **fill), head(self.d)
        records, detail = self.d.chain.gas_log[self.seen :], "".join(more)  # a detail, if any
        self.skip()
        gas = sum(r.gas_used for r in records)
        self.entries.append((now, actor, event, detail, len(records), gas))
        text = f"[dim]{now.time:%H:%M:%S}[/dim]  [bold]{actor}[/bold] {event}"
        text += f" [dim]— {detail}[/dim]" if detail else ""
        if not self.show.full:  # the words say what took one transaction
            return self.show.line(OK if records else "[blue]·[/blue]", text)
        if not records:
            return self.show.line("[blue]·[/blue]", text, "[dim]read only[/dim]")
        txs = f"{len(records)} tx{'s' * (len(records) != 1)}"
        self.show.line(OK, text, f"[dim]{txs} · block {now.block} · gas {gas:,}[/dim]")

    def table(self, title: str) -> Table:
        columns = ("time", "actor", "what happened", ("txs", "right"), ("gas", "right"))
        table = new_table(title, *columns)
        table.columns[0].no_wrap = table.columns[1].no_wrap = True
        for i, (day, entries) in enumerate(groupby(self.entries, lambda e: e[0].time.date())):
            if i:
                table.add_section()
            table.add_row(f"[bold]{day:%a %d %b}[/bold]", "", "", "", "")
            for now, actor, event, detail, txs, gas in entries:
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

    def table(self, title: str = "Expected outcomes", *, failed_only: bool = False) -> Table:
        """A row per expectation (numbered in the order checked), or only those that failed."""
        table = new_table(title, ("#", "right"), "expectation", "observed", "")
        table.expand = True
        for i, (expectation, ok, observed) in enumerate(self.rows, 1):
            if ok and failed_only:
                continue
            table.add_row(str(i), expectation, f"[dim]{observed}[/dim]", OK if ok else BREAK)
        return table
