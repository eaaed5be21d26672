"""The demos run headless, each on its own fresh chain, and tell their whole story.

Each demo's `main(console, full=...)` is run in-process against a console that writes to a string,
in both modes: brief (`make demo`) at 110 columns, where a live audience reads it and where it must
fit in `BRIEF_LINES`, with no per-transaction gas; and full (`make demo-full`) at 80, the narrowest
width `make demo` supports, where every table, events and gas included, is printed in its slim
layout. Either way it must return 0 (every expectation held, the books reconcile) and end with its
closing lines, and have looked up every word of its narration (the [narration] of its TOML), no
more: brief mode prints less of the same story but looks up the same words (`pyclient.narration`),
so a word no step uses fails in both modes, and what brief mode leaves out is a choice of the
narrator, not a word forgotten. An assertion on something only full mode prints says so.

The margin demo's story object is kept, to check what it did against its scenario
(scripts/demos/margin_calls.toml) without reading tables that wrap with the width: the clearing
fund, the race its batch of calls survives, a requirement lowered and one raised under open calls,
the omnibus call one client does not pay, and the default.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rich.console import Console
from support import load_script

from pyclient.collateral import ShareStatus
from pyclient.collateral.liquidity import Way
from pyclient.margin.risk import CLEARING_FUND_MINIMUM

pytestmark = pytest.mark.anvil_only("each demo tells its story on an embedded Anvil of its own")

DEMOS = Path(__file__).resolve().parents[2] / "scripts" / "demos"
BRIEF_LINES = 150  # the most a story may take in brief mode, at 110 columns
# (full, width): brief where the audience reads it, full at the narrowest width supported.
MODES = [pytest.param(False, 110, id="brief-110"), pytest.param(True, 80, id="full-80")]


def demo(name: str) -> ModuleType:
    """The module of demo `name`, loaded from scripts/demos."""
    return load_script(DEMOS / f"{name}.py", f"demos_{name}")


def kept(monkeypatch: pytest.MonkeyPatch, story: type) -> list[Any]:
    """The story objects `story.start` makes while the test runs, kept to look into."""
    made, start = [], story.start

    def keep(show: Any, chain: Any, *more: Any) -> Any:
        made.append(start(show, chain, *more))
        return made[-1]

    monkeypatch.setattr(story, "start", keep)
    return made


def narrated(narration: dict[str, Any]) -> set[str]:
    """Every entry of a demo's narration as `Show.told` names them: `key` at the top, `step.key`
    in a step."""
    steps = {name: words for name, words in narration.items() if isinstance(words, dict)}
    return {name for name in narration if name not in steps} | {
        f"{name}.{key}" for name, words in steps.items() for key in words
    }


def told(module: ModuleType, width: int, full: bool, **options: Any) -> tuple[int, str, str]:
    """The demo's exit code, what it printed, and the same with every run of whitespace one space
    (so a sentence the console wrapped reads whole); `options` go to its `main`. Brief, it must fit
    in `BRIEF_LINES` without a transaction's gas; in full every transaction line carries it."""
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, force_terminal=False)
    code = module.main(console, full=full, **options)
    text = out.getvalue()
    per_tx_gas = re.search(r"block \d+ · gas [\d,]+", text)
    if full:
        assert per_tx_gas, "full mode shows each transaction's block and gas"
    else:
        assert len(text.splitlines()) <= BRIEF_LINES, f"{len(text.splitlines())} lines"
        assert not per_tx_gas and "Gas by operation" not in text, "brief mode: no gas per line"
    return code, text, " ".join(text.split())


@pytest.mark.parametrize(("full", "width"), MODES)
def test_the_foundation_demo_refuses_every_forbidden_call_and_balances_its_books(
    full: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = demo("foundation")
    stories = kept(monkeypatch, module.Foundation)
    code, text, flat = told(module, width, full)
    assert code == 0, text[-3000:]
    (story,) = stories
    assert story.show.told == narrated(module.SCENARIO["narration"])
    assert "✓ all 13 attempts refused as expected; no balance moved, no block was mined" in flat
    assert re.search(r"✓ Books balance: 9 assets, 14 participants, \d+ transactions, all supply "
                     r"accounted for\. chain stopped", flat)  # fmt: skip
    assert "member-c is defaulted; JPY balance 201,000,000, free to move 0" in flat
    assert "NOT REFUSED" not in text and "MOVED" not in text
    if width == 110:  # a contract's refusal: its name, then the contract and its message, once
        assert "JPY token: 0xBcd4…4096 is not in the register." in text
        assert "ParticipantUnknown in" not in text
    # The deployment's count is the deployment's own: one line, brief; deploy()'s progress, in full.
    contracts = re.findall(r"(\d+) contracts", text)
    assert contracts and set(contracts) == {str(len(story.d.contracts()))}
    assert len(contracts) == (2 if full else 1)
    if full:  # the suite's set-up is one row of the gas table, whatever deploy() labels it
        assert "deploy.* (suite set-up)" in text and "deploy.CollateralVault" not in text
        assert "Refused calls: the ledger is checked before and after each" in text
    else:  # each refused call listed once, with its reason, no summary table
        assert flat.count("member-a force-moves member-b's JPY to itself") == 1
        assert "Refused calls" not in text


@pytest.mark.parametrize(("full", "width"), MODES)
def test_the_margin_demo_defaults_member_c_and_reconciles(
    full: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = demo("margin_calls")
    stories = kept(monkeypatch, module.Story)
    code, text, flat = told(module, width, full)
    assert code == 0, text[-3000:]
    assert re.search(r"✓ Every expected outcome held and the books reconcile: 5 margin calls, "
                     r"\d+ transactions\. chain stopped", flat)  # fmt: skip
    assert "Wed 25 Nov 2026, 09:00 Tokyo" in text  # the story's own clock, whatever today is
    assert ("Thu 26 Nov 2026, 14:05 Tokyo" in text) == full  # brief: a clock line a day
    if full:
        assert "✗" not in text.split("Expected outcomes")[-1]
        assert "deploy.* (suite set-up)" in text and "deploy.CollateralVault" not in text
        assert "Timeline (Tokyo time; gas summed over each step)" in text
    else:  # no expectation failed, none listed; no closing timeline repeating the story
        assert "Expected outcomes" not in text and "Timeline" not in text
        assert "✓ 5 controls, 34 lines compared, no break" in flat  # the reconciliation, one line

    (story,) = stories
    assert story.show.told == narrated(module.SCENARIO["narration"])
    checked = [expectation for expectation, _, _ in story.checks.rows]
    promised = list(module.EXPECTED.values())
    assert [e for e in checked if e in promised] == promised  # every promise, in the file's order
    assert all(ok for _, ok, _ in story.checks.rows)
    assert len(checked) == len(promised) + 5  # + five reconciliations
    events = {(actor, event): txs for _, actor, event, _, txs, _ in story.timeline.entries}
    order = [(actor, event) for _, actor, event, _, _, _ in story.timeline.entries]
    calls = {c.id: c for c in story.closing}
    members = list(module.NET_CAPITAL)

    # Wednesday: the clearing fund, sized by the rules, posted in one transaction, then paid.
    fund = story.fund
    assert fund.days == len(module.fund_window(module.DAY1)) and fund.total > 0
    assert list(fund.shares) == members
    assert all(share >= CLEARING_FUND_MINIMUM for share in fund.shares.values())
    assert fund.required >= fund.total
    assert events[("CCP margin engine", "posts 3 clearing-fund shares in one transaction")] == 1
    assert story.funds.keys() == set(members)
    requirements = next(r for r in story.checks.rows if "(a) Requirements" in r[0])
    assert requirements[1:] == (True, "8 compared, 0 breaks")  # 5 margin, 3 clearing fund
    assert (
        events[("CCP margin engine", "checks every account: none is short, no regular call")] == 0
    )

    # The race: member-b tops up after the engine read it short; the batch calls the other four
    # short accounts in one transaction and skips member-b, saying why.
    assert story.calls == {"member-a house": 1, "member-a omnibus": 2,
                           "client-b1 segregated": 3, "member-c house": 4}  # fmt: skip
    skipped = [(s.id, s.reason) for s in story.batch.skipped]
    assert skipped == [(story.accounts["member-b house"], module.SkipReason.NO_SHORTFALL)]
    assert "member-b house account skipped: it is covered" in flat
    issued = ("CCP margin engine", "issues 4 intraday margin calls in one transaction")
    topped = ("member-b", "tops up its house account, a moment before the batch lands")
    read = ("CCP margin engine", "reads 5 short accounts, builds one batch")
    assert events[issued] == 1 and events[read] == 0
    assert order.index(read) < order.index(topped) < order.index(issued)

    # A lowered requirement meets client-b1's open call in the posting itself; member-c's raise
    # is a call of its own, after its open one, due 16:00; the default closes both.
    b1, house_c = story.accounts["client-b1 segregated"], story.accounts["member-c house"]
    assert story.met_by_posting == [3] and calls[3].status is module.CallStatus.MET
    assert story.margins[b1].total < calls[3].requirement_jpy
    increase = story.increase
    assert (increase.id, increase.account, increase.previous_open) == (5, house_c, 4)
    assert increase.call_type is module.CallType.EMERGENCY
    assert increase.deadline == module.tokyo(module.DAY2, 16)
    assert increase.shortfall_jpy == story.margins[house_c].total - calls[4].requirement_jpy
    as_issued = next(c for c in story.batch.calls if c.id == 4)
    assert (calls[4].shortfall_jpy, calls[4].requirement_jpy) == (
        as_issued.shortfall_jpy, as_issued.requirement_jpy,
    )  # fmt: skip
    assert [calls[i].status for i in (4, 5)] == [module.CallStatus.DEFAULT_DECLARED] * 2
    assert events[("CCP", "declares member-c in default over call #4")] == 1
    assert "overdue: #4; skipped: #5 (deadline not passed)" in flat
    if full:  # the events, each a sentence; brief, the table of what was seized
        assert "call #5 skipped: its deadline has not passed" in flat
        assert "seized from member-c clearing fund account" in flat  # its share of the fund too
    else:
        assert re.search(r"clearing fund +JPY +[\d,]+", text)

    # The omnibus call: client-a1 pays by standing instruction as it is passed on, client-a2 does
    # not; past the clients' deadline member-a sees it and pays client-a2's share in its name.
    assert story.shares.keys() == {"client-a1", "client-a2"}
    assert sum(story.shares.values()) == calls[2].shortfall_jpy
    a1, a2 = (story.cast[c].address for c in ("client-a1", "client-a2"))
    owed = {s.client: s for s in story.owed}
    assert owed[a1].met and owed[a1].paid_jpy == story.shares["client-a1"]
    assert owed[a2].paid_jpy == 0 and owed[a2].remaining_jpy == story.shares["client-a2"]
    assert owed[a2].deadline == module.tokyo(module.DAY2, 13, 30)
    assert all(s.met for s in story.settled) and calls[2].status is module.CallStatus.MET
    assert owed[a2].status is ShareStatus.OVERDUE
    assert "unpaid, overdue" in flat or not full  # member-a's view of the shares: a detail
    assert "client-a2's share of call #2 overdue" in flat  # the event, as a sentence


@pytest.mark.parametrize(("full", "width"), MODES)
def test_the_default_demo_closes_every_exit_ports_a_client_and_runs_the_waterfall(
    full: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 7 of the default-management issue, told: the refused exits, one default, a client
    ported and one closed out, and the waterfall down to the survivors."""
    module = demo("default")
    stories = kept(monkeypatch, module.Default)
    code, text, flat = told(module, width, full)
    assert code == 0, text[-3000:]
    (story,) = stories
    assert story.show.told == narrated(module.SCENARIO["narration"])
    assert [ok for _, ok, _ in story.checks.rows] == [True] * len(module.EXPECTED)
    assert flat.count("VaultCallPastDeadline") >= 3
    assert "client-s ported from member-c to member-a" in flat
    assert re.search(r"✓ Every expected outcome held and the books reconcile: \d+ transactions\.",
                     flat)  # fmt: skip
    assert "9,466,667" in flat and "4,733,333" in flat  # the survivors' shares, pro rata


@pytest.mark.parametrize(("full", "width"), MODES)
def test_the_substitution_demo_prefunds_only_todays_way_and_refuses_a_replayed_offer(
    full: bool, width: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Item 5 of the substitution issue, told: the same swap three ways from one start (today's
    two steps pre-fund the new collateral in full, the atomic way and the optimiser's plan
    nothing), a chart of the day, a dealer's signed offer accepted, and its replay refused."""
    module = demo("substitution")
    stories = kept(monkeypatch, module.Substitution)
    chart = tmp_path / "chart" / "liquidity.png"
    code, text, flat = told(module, width, full, chart=chart)
    assert code == 0, text[-3000:]
    (story,) = stories
    assert story.show.told == narrated(module.SCENARIO["narration"])
    assert [e for e, ok, _ in story.checks.rows if ok] == list(module.EXPECTED.values())

    # 40,000 JGBs and 8m dollars (3.17bn) out; 1.9bn yen, 400,000 Toyota, 4,000 SPY (3.46bn) in.
    two, atomic, plan = story.ways
    assert [w.way for w in story.ways] == [Way.TWO_STEP, Way.ATOMIC, Way.ATOMIC]
    assert (two.out_jpy, two.into_jpy) == (atomic.out_jpy, atomic.into_jpy)
    assert two.prefunding_jpy == two.into_jpy == 3_460_000_000
    assert (two.hours, two.funding_cost_jpy) == (Decimal("6.5"), 12_837)  # 0.5% a year
    assert two.peak_jpy == two.posted_before_jpy + two.prefunding_jpy
    assert atomic.prefunding_jpy == plan.prefunding_jpy == 0 == atomic.funding_cost_jpy
    assert atomic.posted_after_jpy == two.posted_after_jpy  # the same end, without the hump
    assert story.saved[plan.label] > story.saved[atomic.label] > 0  # cheaper a year, and cheapest
    assert "pre-funding JPY 3,460,000,000 for 6.5 hours at 0.5% a year: JPY 12,837" in flat
    assert "VaultWithdrawalExceedsExcess" in flat  # the old cannot leave first, today

    # The signed offer: both ways in one transaction, then the replay refused, nothing moved.
    assert "with member-b under its signed offer" in flat  # the Substituted event, in words
    assert re.search(r"member-a sends the same offer again .*InvalidAccountNonce", flat)
    assert "NOT REFUSED" not in text and "MOVED" not in text

    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"chart:{chart}" in "".join(text.split())  # the path printed, however it wrapped
    assert re.search(r"✓ Every expected outcome held and the books reconcile: \d+ transactions",
                     flat)  # fmt: skip


@pytest.mark.parametrize(("full", "width"), MODES)
def test_the_jdr_demo_takes_a_trust_from_listing_to_a_cash_payout_conserving_every_yen(
    full: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9, told: an SPY JDR listed, created in kind, traded, paid a dollar dividend in yen,
    disclosed and monitored, suspended and resumed, posted as margin at 70%, and wound up in cash;
    the trust's invariant checked after each step."""
    module = demo("jdr")
    stories = kept(monkeypatch, module.Jdr)
    code, text, flat = told(module, width, full)
    assert code == 0, text[-3000:]
    (story,) = stories
    assert story.show.told == narrated(module.SCENARIO["narration"])
    assert [e for e, ok, _ in story.checks.rows if ok] == list(module.EXPECTED.values())

    # The holders of record are those of the record date: client-b1 bought after it.
    client_b1 = story.cast["client-b1"].address
    assert sum(story.record.values()) == 10_000 and client_b1 not in story.record
    assert "the 4 holders of record claim their shares: JPY 186,327" in flat
    assert re.search(r"remainder \(rounding\) 2 each: net JPY 186,329 × units ÷ 10,000", flat)

    # Refused with typed errors, nothing moved; the JDRs count exactly 70% as margin.
    for error in ("JdrOperationSuspended", "MarketDataHaircutBelowFloor", "JdrTokenClosed"):
        assert error in flat
    assert "collateral value JPY 12,880,000: 70.0% of market value" in flat
    assert "NOT REFUSED" not in text and "MOVED" not in text

    # Every holder surrenders its JDRs for cash; the payouts and the remainder make the proceeds.
    units = sum(u for u, _ in story.payouts.values())
    paid = sum(jpy for _, jpy in story.payouts.values())
    assert (units, len(story.payouts)) == (11_000, 5) and client_b1 in story.payouts
    assert 0 <= module.SCENARIO["proceeds_jpy"] - paid < len(story.payouts)
    assert re.search(r"✓ Every expected outcome held and the books reconcile: \d+ transactions\.",
                     flat)  # fmt: skip


@pytest.mark.parametrize(("full", "width"), MODES)
def test_the_delivery_demo_settles_dvp_closes_a_late_payer_and_takes_gold_home(
    full: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10, told: rubber delivered through the CCP (allocation, DvP in one batch, a late
    payer closed out), an order released, and a gold receipt posted as margin, swapped for yen,
    redeemed and released."""
    module = demo("delivery")
    stories = kept(monkeypatch, module.Delivery)
    code, text, flat = told(module, width, full)
    assert code == 0, text[-3000:]
    (story,) = stories
    assert story.show.told == narrated(module.SCENARIO["narration"])
    assert [e for e, ok, _ in story.checks.rows if ok] == list(module.EXPECTED.values())
    for error in ("DeliveryCutoffPassed", "GoodsWrongStatus", "GoodsNotHolder"):
        assert error in flat
    assert "member-e failed to pay JPY 826,250; 1 token back to the short" in flat
    assert "JPY 826,250 that bought no goods back to member-e" in flat
    assert "7 orders against JPY 14,822,500" in flat
    assert "NOT REFUSED" not in text and "MOVED" not in text
    assert re.search(r"✓ Every expected outcome held and the books reconcile: \d+ transactions\.",
                     flat)  # fmt: skip


@pytest.mark.parametrize(("full", "width"), MODES)
def test_the_etf_clearing_demo_nets_settles_rolls_a_fail_and_lapses_a_defaulters_creation(
    full: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11, told: applications to novation (one refused as too early), article 50 netting
    with the day's trades, DvP on the Tokyo timetable, a Friday fail rolled to Tuesday with four
    days of late charge, and an ETF special participant's creation lapsed."""
    module = demo("etf_clearing")
    stories = kept(monkeypatch, module.EtfClearing)
    code, text, flat = told(module, width, full)
    assert code == 0, text[-3000:]
    (story,) = stories
    assert story.show.told == narrated(module.SCENARIO["narration"])
    assert [e for e, ok, _ in story.checks.rows if ok] == list(module.EXPECTED.values())
    for error in ("EtfApplicationOutOfOrder", "EtfCutoffPassed", "EtfBeforeListingWindow"):
        assert error in flat
    late_charge = "JPY 350,000 × 0.04 % × 4 = JPY 560"  # the observation: in full, in a table
    assert any(observed == late_charge for _, _, observed in story.checks.rows)
    assert "pays 560" in flat and "owed 560" in flat  # the fails table: payer and receiver
    assert "NOT REFUSED" not in text and "MOVED" not in text
    assert re.search(r"✓ Every expected outcome held and the books reconcile: \d+ transactions\.",
                     flat)  # fmt: skip
