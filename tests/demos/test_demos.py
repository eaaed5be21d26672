"""The demos run headless, each on its own fresh chain, and tell their whole story.

Each demo's `main(console)` is run in-process against a console that writes to a string, at the
widths `make demo` supports; it must return 0 (every expectation held, the books reconcile) and
end with its closing lines. The margin demo's story object is kept, to check what it did against
its scenario (scripts/demos/margin_calls.toml) without reading tables that wrap with the width.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rich.console import Console

DEMOS = Path(__file__).resolve().parents[2] / "scripts" / "demos"
WIDTHS = [110, 80]


def demo(name: str) -> ModuleType:
    """The module of demo `name`, loaded from scripts/demos (which also holds `show`)."""
    if str(DEMOS) not in sys.path:
        sys.path.insert(0, str(DEMOS))
    spec = importlib.util.spec_from_file_location(f"demos_{name}", DEMOS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def told(module: ModuleType, width: int) -> tuple[int, str, str]:
    """The demo's exit code, what it printed, and the same with every run of whitespace one space
    (so a sentence the console wrapped reads whole)."""
    out = io.StringIO()
    code = module.main(Console(file=out, width=width, no_color=True, force_terminal=False))
    text = out.getvalue()
    return code, text, " ".join(text.split())


@pytest.mark.parametrize("width", WIDTHS)
def test_the_foundation_demo_refuses_every_forbidden_call_and_balances_its_books(
    width: int,
) -> None:
    code, text, flat = told(demo("foundation"), width)
    assert code == 0, text[-3000:]
    assert "✓ all 13 attempts refused as expected; no balance moved, no block was mined" in flat
    assert re.search(r"✓ Books balance: 5 assets, 11 participants, \d+ transactions, all supply "
                     r"accounted for\. chain stopped", flat)  # fmt: skip
    assert "member-c is defaulted; JPY balance 201,000,000, free to move 0" in flat
    assert "NOT REFUSED" not in text and "MOVED" not in text
    if width == 110:  # a contract's refusal: its name, then the contract and its message, once
        assert "JPY token: 0xBcd4…4096 is not in the register." in text
        assert "ParticipantUnknown in" not in text
    # The suite's set-up is one row of the gas table, whatever deploy() labels it.
    assert "deploy.* (suite set-up)" in text and "deploy.CollateralVault" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_the_margin_demo_defaults_member_c_and_reconciles(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, stories = demo("margin_calls"), []
    start = module.Story.start

    def kept(show: Any, chain: Any) -> Any:
        stories.append(start(show, chain))
        return stories[-1]

    monkeypatch.setattr(module.Story, "start", kept)
    code, text, flat = told(module, width)
    assert code == 0, text[-3000:]
    assert re.search(r"✓ Every expected outcome held and the books reconcile: 5 margin calls, "
                     r"\d+ transactions\. chain stopped", flat)  # fmt: skip
    assert "Wed 25 Nov 2026, 16:30 Tokyo" in text  # the story's own clock, whatever today is
    assert "✗" not in text.split("Expected outcomes")[-1]
    assert "deploy.* (suite set-up)" in text and "deploy.CollateralVault" not in text

    (story,) = stories
    checked = [expectation for expectation, _, _ in story.checks.rows]
    promised = list(module.EXPECTED.values())
    assert [e for e in checked if e in promised] == promised  # every promise, in the file's order
    assert all(ok for _, ok, _ in story.checks.rows)
    assert len(checked) == len(promised) + 4 + 5  # + four payments + five reconciliations
    # One call per account, in one transaction; member-c's is the fifth, and it defaults on it.
    assert story.calls == {"member-a house": 1, "member-a omnibus": 2, "member-b house": 3,
                           "client-b1 segregated": 4, "member-c house": 5}  # fmt: skip
    events = {(actor, event): txs for _, actor, event, _, txs, _ in story.timeline.entries}
    assert events[("CCP margin engine", "issues 5 intraday margin calls in one transaction")] == 1
    assert (
        events[("CCP margin engine", "checks every account: none is short, no regular call")] == 0
    )
    assert events[("CCP", "declares member-c in default over call #5")] == 1
    assert story.shares.keys() == {"client-a1", "client-a2"}
    assert sum(story.shares.values()) > 0
