"""The narrator of a story told over the SDK: steps, transaction lines, refusals, a timeline and
checked expectations (what scripts/demos use).

Presentation only, the same for every story: what it shows of the ledger comes from the SDK
(tables from `pyclient.tables` over `pyclient.views`, sentences from `pyclient.events`), what it
says from a narration (the [narration] of a demo's TOML). `run` tells a story on a fresh chain, for
an exit code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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
from .tables import BREAK, OK, error_text, events_table, new_table, shorten_addresses
from .views import Head, balance_sheet, head

MAX_WIDTH = 110
WIDE = 100  # narrower consoles get slimmer tables
Narration = Mapping[str, Any]  # a demo's words, from its TOML: see `Show`
SET_UP = {"deploy.": "deploy.* (suite set-up)"}  # gas tables fold the suite's deployment
# A refused call: what was tried, the error expected and the one raised, ledger still, no block.
Attempt = tuple[str, type[KabutoError], KabutoError | None, bool, bool]


def run(
    console: Console | None, narration: Narration, story: Callable[[Show, Chain], bool],
    **connect: Any,
) -> int:  # fmt: skip
    """Tell `story` in the words of `narration` on a fresh embedded chain (`Chain.connect(**
    connect)`), then close it: 0 when the story says every expectation held, 1 if not or stopped."""
    if console is None:  # to a file or a pipe rich assumes 80 columns: use MAX_WIDTH there
        sized = Console().is_terminal or "COLUMNS" in os.environ
        width = min(Console().width, MAX_WIDTH) if sized else MAX_WIDTH
        console = Console(width=width, highlight=False)
    show = Show(console, narration)
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
    demo's narration: a table per step (its `title`, `story` and the rest it says, by key)."""

    console: Console
    narration: Narration = field(default_factory=dict)
    scene: str = ""  # the step being told
    told: set[str] = field(default_factory=set)  # each key looked up ("step.key" in a step)
    started: float = field(default_factory=time.monotonic)
    steps: int = 0

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

    def step(self, key: str, **fill: Any) -> None:
        """Step `key` of the narration: a numbered rule with its title, then its story."""
        self.scene, self.steps = key, self.steps + 1
        title, story = (self.words(part, **fill) for part in ("title", "story"))
        self.console.print()
        self.console.rule(f"[bold cyan]Step {self.steps}. {title}[/bold cyan]", align="left")
        self.console.print(f"[italic]{story}[/italic]")

    def part(self, key: str, **fill: Any) -> None:
        """A sub-heading inside a step, from the words `key`: a title, and maybe a story."""
        part = self.words(key, **fill)
        tail = f" [dim]— {part['story']}[/dim]" if "story" in part else ""
        self.console.print(f"\n[bold]▸ {part['title']}[/bold]{tail}")

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

    def tx(self, key: str, outcome: Outcome[Any], **fill: Any) -> None:
        """One line for a mined transaction: what happened (the words `key`), its block and gas."""
        cost = f"[dim]block {outcome.block_number} · gas {outcome.gas_used:,}[/dim]"
        self.line(OK, self.words(key, **fill), cost)

    def txs(self, key: str, done: Sequence[Outcome[Any]], **fill: Any) -> None:
        """One line for transactions of one kind (the words `key`): how many, and their gas."""
        gas = f"{len(done)} tx{'s' * (len(done) != 1)} · gas {sum(o.gas_used for o in done):,}"
        self.line(OK, self.words(key, **fill), f"[dim]{gas}[/dim]")

    def table(self, *tables: Table) -> None:
        self.console.print(*tables)  # each on its own lines, as printed one by one

    def events(self, d: Deployment, tx: Outcome[Any], title: str) -> None:
        """The events of one transaction, in order, under its hash, block and gas."""
        caption = f"tx {tx.tx_hash[:10]}…, block {tx.block_number}, gas {tx.gas_used:,}"
        self.table(events_table(d, tx.events, title=title, caption=caption, narrow=self.narrow))

    def verdict(self, ok: bool, **fill: Any) -> bool:
        """The story's last line: ✓ `held` `details` if `ok`, else ✗ `failed`; returns `ok`."""
        held, details, failed = (self.words(key, **fill) for key in ("held", "details", "failed"))
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
    recorded; `table` prints them all, a section per day.
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

    def table(self, title: str = "Expected outcomes") -> Table:
        table = new_table(title, ("#", "right"), "expectation", "observed", "")
        table.expand = True
        for i, (expectation, ok, observed) in enumerate(self.rows, 1):
            table.add_row(str(i), expectation, f"[dim]{observed}[/dim]", OK if ok else BREAK)
        return table
