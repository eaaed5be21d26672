"""Kabuto margin-call demo: a clearing fund, a price shock, a race, calls, a cascade and a default.

Three members and three clients are margined at Wednesday's close, and the clearing fund is sized
from stress scenarios as the rules say. Thursday's shock calls every short account in one batch,
which skips the member that topped up a moment before it landed; a standing instruction meets one
call on the spot; an omnibus call cascades to two clients, one of whom does not pay; an emergency
run lowers one requirement (meeting its call) and raises another (called on its own); and
member-c, who does not pay, is declared in default. The chain's clock starts on Wed 25 Nov 2026,
08:00 Tokyo, so every run tells the same story with the same figures. The scenario (balances,
positions, market, risk parameters, what the story promises) and its narration are data, in
margin_calls.toml next to this file. `.venv/bin/python scripts/demos/margin_calls.py [--full]`
exits 0 when every expected outcome held and the books reconcile, 1 otherwise; `--full` adds every
detail (gas, events, every intermediate table, the two days' timeline).
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pyclient import Chain, Deployment, deploy, reconcile, tables, views
from pyclient.access import AccountType, Kind, Status
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.collateral import AccountKind, CallStatus, CallType, ShareStatus, Skipped, SkipReason
from pyclient.collateral.vault import CallBatch, ClientShare, MarginCall
from pyclient.contracts import Admission, BatchOutcome
from pyclient.events import describe
from pyclient.margin import DEFAULT_SCENARIOS, ClearingFund, fund_window, size_clearing_fund
from pyclient.margin.calendar import last_business_days, next_business_day
from pyclient.margin.clearing_fund import member_shares, record_day
from pyclient.margin.engine import MarginEngine, Portfolio
from pyclient.margin.futures import FuturesContract
from pyclient.margin.history import simulated_closes
from pyclient.margin.risk import MarginResult, Position, after_trade, initial_margin, split_pro_rata
from pyclient.narration import SET_UP, Checks, Show, Timeline, arguments, run
from pyclient.oracle import Purpose, RiskParameters
from pyclient.roles import Ccp, ClearingMember, Client, Oracle, TokenIssuer

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
DAY1: date = SCENARIO["day1"]  # a Wednesday
DAY2 = next_business_day(DAY1)
jpy, millions = tables.number, tables.millions  # 1,250,000 and 1.3m


def tokyo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


# ====================================================================== the market


@dataclass(frozen=True)
class Future(FuturesContract):
    """A cleared futures contract (prices in points) and how the story moves it."""

    first_close: Decimal
    daily_vol: Decimal
    drift: Decimal
    traded_vs_close: Decimal  # Wednesday's average trade price, against its close
    shock: Decimal  # Thursday morning's move

    def closes(self) -> list[Decimal]:
        """Daily closes in points, oldest first: the SDK's seeded walk (`simulated_closes`)."""
        return simulated_closes(
            self, first_close=self.first_close, days=SCENARIO["history_days"],
            daily_vol=self.daily_vol, drift=self.drift, seed=SCENARIO["seed"],
        )  # fmt: skip


# The futures as the scenario gives them (exact figures as strings), their closes (Wednesday's
# last), Wednesday's average trade prices (in JPY) and Thursday's 10:50 prices.
FUTURES = {code: Future(code, **{k: v if k in ("name", "multiplier") else Decimal(v)
                                  for k, v in spec.items()})
           for code, spec in SCENARIO["futures"].items()}  # fmt: skip
CLOSES = {code: f.closes() for code, f in FUTURES.items()}  # Wednesday's close last
WEDNESDAY = {code: closes[-1] for code, closes in CLOSES.items()}
TRADED = {c: f.jpy(WEDNESDAY[c] + f.traded_vs_close) for c, f in FUTURES.items()}
SHOCKED = {c: f.quantize(WEDNESDAY[c] * (1 + f.shock)) for c, f in FUTURES.items()}


def in_jpy(points: Mapping[str, Decimal] | None) -> dict[str, Decimal]:
    """JPY per contract at `points` per contract, or at Wednesday's close."""
    return {code: FUTURES[code].jpy(p) for code, p in (points or WEDNESDAY).items()}


def history(now: Mapping[str, Decimal] | None) -> dict[str, list[Decimal]]:
    """The closes in JPY per contract, oldest first, with `now` (points) appended if given."""
    return {c: [f.jpy(p) for p in [*CLOSES[c], *([now[c]] if now else [])]]
            for c, f in FUTURES.items()}  # fmt: skip


# The scenario's people and their books (see margin_calls.toml for what each table means).
NET_CAPITAL: dict[str, int] = SCENARIO["members"]
CLIENTS: dict[str, dict[str, str]] = SCENARIO["clients"]
MEMBER = {m: m for m in NET_CAPITAL} | {c: spec["member"] for c, spec in CLIENTS.items()}
Books = dict[str, dict[str, list[Position]]]  # account label -> whose -> positions
BOOKS: Books = {account: {whose: [Position(code, n) for code, n in held.items()]
                          for whose, held in by.items()}
                for account, by in SCENARIO["books"].items()}  # fmt: skip
RISK = {s: RiskParameters(**{k: frozenset(Purpose[p] for p in v) if k == "eligible_for" else v
                             for k, v in spec.items()})
        for s, spec in SCENARIO["risk"].items()}  # fmt: skip
COLLATERAL = SCENARIO["collateral"]
EXPECTED: dict[str, str] = SCENARIO["expected"]


def after_the_morning() -> tuple[Books, dict[str, dict[str, Decimal]]]:
    """The books after Thursday's morning session (its trades at the 10:50 prices) and each
    account's trade prices then (`after_trade`: added contracts average in at their price, a
    position cut keeps the price it stands at)."""
    books = {label: {whose: list(held) for whose, held in by.items()}
             for label, by in BOOKS.items()}  # fmt: skip
    prices = {label: dict(TRADED) for label in BOOKS}
    for label, whose, code, quantity in SCENARIO["morning_session"]["trades"]:
        held, at = books[label][whose], prices[label]
        i = next(i for i, p in enumerate(held) if p.instrument == code)
        held[i], at[code] = after_trade(held[i], at[code], quantity, in_jpy(SHOCKED)[code])
    return books, prices


THURSDAY, THURSDAY_PRICES = after_the_morning()


def synthetic_record(days: Sequence[date]) -> dict[date, Decimal]:
    """The largest excess risk of each business day before the ledger opened: synthetic and
    deterministic. Each day is `level` moved by a uniform draw of up to ±`spread` from SHA-256 of
    the seed and the date, about one day in `stressed_one_in` `stressed_times` as large."""
    cf, out = SCENARIO["clearing_fund"], {}
    for day in days:
        digest = hashlib.sha256(f"{cf['seed']}:{day.isoformat()}".encode()).digest()
        u = Decimal(int.from_bytes(digest[:4], "big")) / 2**32
        value = cf["level"] * (1 + Decimal(cf["spread"]) * (2 * u - 1))
        value *= Decimal(cf["stressed_times"]) if digest[4] < 256 // cf["stressed_one_in"] else 1
        out[day] = value.to_integral(ROUND_CEILING)
    return out


# ====================================================================== the story


def main(console: Console | None = None, *, full: bool = False) -> int:
    return run(console, SCENARIO["narration"], lambda show, chain: Story.start(show, chain).tell(),
               full=full, genesis_timestamp=to_unix(tokyo(DAY1, 8)))  # fmt: skip


def set_clock(show: Show, chain: Chain, moment: datetime, why: str) -> None:
    """Move the chain's clock forward to `moment` (it never goes back), and say so."""
    devnet.set_next_timestamp(chain, to_unix(moment))
    show.clock(moment, why)


@dataclass
class Story:
    """The cast, their accounts, and what the story has come to (kept for the headless test)."""

    show: Show
    d: Deployment
    ccp: Ccp  # the operator also runs the oracle and the margin engine
    oracle: Oracle
    engine: MarginEngine
    issuer: TokenIssuer
    cast: dict[str, Any]  # name -> its ClearingMember or Client
    timeline: Timeline
    checks: Checks = field(default_factory=Checks)
    accounts: dict[str, int] = field(default_factory=dict)  # label -> vault account id
    funds: dict[str, int] = field(default_factory=dict)  # member -> clearing-fund account id
    margins: dict[int, MarginResult] = field(default_factory=dict)  # the last run, posted
    fund: ClearingFund | None = None  # the clearing fund as sized and posted
    batch: CallBatch | None = None  # the 11:00 batch: calls issued, accounts skipped
    calls: dict[str, int] = field(default_factory=dict)  # account label -> intraday call id
    shares: dict[str, int] = field(default_factory=dict)  # omnibus client -> its share of a call
    met_by_posting: list[int] = field(default_factory=list)  # calls the 12:40 posting met
    increase: MarginCall | None = None  # member-c's raise, called on its own, as issued
    owed: list[ClientShare] = field(default_factory=list)  # the shares as member-a sees them
    settled: list[ClientShare] = field(default_factory=list)  # ... and once it has paid
    closing: list[MarginCall] = field(default_factory=list)  # every call, as the story ends

    def clock(self, moment: datetime, why: str) -> None:
        set_clock(self.show, self.d.chain, moment, why)
        self.timeline.skip()

    def expect(self, key: str, ok: bool, observed: str) -> None:
        self.checks.check(EXPECTED[key], ok, observed)

    def amount(self, symbol: str, quantity: Decimal) -> str:
        return f"{symbol} {tables.number(quantity, self.d.asset(symbol).decimals)}"

    def show_accounts(self, title: str) -> None:
        """Every collateral account as it stands: a detail (the story says what changed)."""
        self.table(tables.accounts_table, self.d, views.account_views(self.d, self.engine.accounts),
                   title=title, detail=True)  # fmt: skip

    def table(
        self, render: Callable[..., Table], *args: Any, detail: bool = False, **kwargs: Any
    ) -> None:
        """Show what `render` (a `pyclient.tables` function) makes of `args`, fit to the console:
        a table that carries the story, or with `detail` one told in full only."""
        made = render(*args, narrow=self.show.narrow, **kwargs)
        self.show.detail(made) if detail else self.show.table(made)

    def said(self, outcome: Any, *names: str, detail: bool = False) -> None:
        """Each event of `outcome` called one of `names`, as a sentence of its own; as a `detail`,
        in full only."""
        if detail and not self.show.full:
            return
        for e in outcome.events:
            if e.name in names:
                self.show.line("[magenta]»[/magenta]", f"[italic]{describe(e, self.d)}[/italic]")

    def publish(self, day: str) -> None:
        """The oracle publishes `day`'s collateral prices and FX rates, as the scenario has them."""
        self.oracle.publish_fx_rates(SCENARIO["market"][day]["fx"])
        self.oracle.publish_prices(SCENARIO["market"][day]["prices"])

    def lots(self, symbol: str, value_jpy: Decimal | int) -> Decimal:
        """Whole tokens of `symbol` counting for at least `value_jpy` now, in round lots."""
        return views.quantity_worth(self.d, symbol, value_jpy, lot=COLLATERAL["lots"][symbol])

    def portfolios(self, morning: bool = False) -> list[Portfolio]:
        """What the engine margins: each account's positions, whoever's they are, at their trade
        prices, with the net capital of the member behind it; the books as Wednesday left them,
        or with `morning` as Thursday's morning session did."""
        books, prices = (THURSDAY, THURSDAY_PRICES) if morning else (BOOKS, {})
        return [Portfolio(self.accounts[label], [p for held in by.values() for p in held],
                          prices.get(label, TRADED), NET_CAPITAL[MEMBER[next(iter(by))]])
                for label, by in books.items()]  # fmt: skip

    def margin_run(
        self, now: Mapping[str, Decimal] | None, run_id: str, morning: bool = False
    ) -> tuple[dict[int, MarginResult], BatchOutcome[Any]]:
        """The engine margins every account at Wednesday's close (or at `now`) and posts the
        requirements in one transaction; the outcome carries what the posting did to open calls."""
        self.margins = self.engine.run(self.portfolios(morning), current_prices=in_jpy(now),
                                       history=history(now), run_id=run_id)  # fmt: skip
        assert self.engine.last_posted is not None
        return self.margins, self.engine.last_posted

    def client_margins(self, now: Mapping[str, Decimal] | None = None) -> dict[str, Decimal]:
        """Each omnibus client's stand-alone margin: member-a's own view, with the public model."""
        return {c: initial_margin(positions, trade_prices=TRADED, current_prices=in_jpy(now),
                                  history=history(now), net_capital=NET_CAPITAL["member-a"]).total
                for c, positions in BOOKS["member-a omnibus"].items()}  # fmt: skip

    @classmethod
    def start(cls, show: Show, chain: Chain) -> Story:
        show.step("open")
        keys = chain.dev_accounts(8)
        set_clock(show, chain, tokyo(DAY1, 9), "the day opens")
        show.say(show.words("operator", ccp=keys[0].address, issuer=keys[1].address), detail=True)
        with show.console.status("deploying…"):
            d = deploy(chain, keys[0], issuer=keys[1].address, progress=show.progress)
        cast = {n: (ClearingMember if n in NET_CAPITAL else Client)(d, k)
                for n, k in zip([*NET_CAPITAL, *CLIENTS], keys[2:], strict=True)}  # fmt: skip
        ccp = Ccp(d, keys[0])
        story = cls(show, d, ccp, Oracle(d, keys[0]), MarginEngine(ccp), TokenIssuer(d, keys[1]),
                    cast, Timeline(show, d))  # fmt: skip
        story.timeline.record("deployed", n=len(d.assets))
        return story

    def tell(self) -> bool:
        self.admit_and_fund()
        self.wednesday_end_of_day()
        self.clearing_fund()
        self.thursday_shock()
        self.pass_the_omnibus_call_on()
        self.emergency_run()
        self.meet_the_calls()
        self.the_deadline()
        self.show.step("timeline", detail=True)  # a recap: in full only
        self.show.detail(self.timeline.table(self.show.words("timeline")))
        return self.close_the_books()

    def admit_and_fund(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("admit")
        at = {name: role.address for name, role in self.cast.items()}
        self.ccp.register.admit_many([
            Admission(self.issuer.address, Kind.TOKEN_ISSUER, "token-issuer"),
            *(Admission(at[m], Kind.CLEARING_MEMBER, m) for m in NET_CAPITAL),
            *(Admission(at[c], Kind.CLIENT, c, spec["member"], AccountType[spec["account"].upper()])
              for c, spec in CLIENTS.items()),
        ])  # fmt: skip
        record("admitted")
        self.table(tables.participants_table, d, title=show.words("register"), detail=True)
        deposits = [(s, who, q, f"OPEN-{who}-{s}") for who, held in SCENARIO["opening"].items()
                    for s, q in held.items()]  # fmt: skip
        self.issuer.issue_many(deposits)
        record("tokenized", n=len(deposits))
        self.publish("wednesday")
        self.oracle.set_risk_parameters(RISK)
        record("published")
        self.table(tables.market_table, views.market_rows(d), title=show.words("market"),
                   detail=True)  # fmt: skip
        owners = [(label.split()[0], AccountKind[label.split()[1].upper()]) for label in BOOKS]
        self.accounts = dict(zip(BOOKS, self.ccp.margin.open_accounts(owners).value, strict=True))
        record("opened")
        show.detail(tables.balances_table(d, views.balance_sheet(d), title=show.words("wallets")))

    def wednesday_end_of_day(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("margin")
        traded = ", ".join(f"{c} {f.format(TRADED[c] / f.multiplier)}" for c, f in FUTURES.items())
        owners = {self.accounts[label]: by for label, by in BOOKS.items()}
        dates = last_business_days(DAY1, SCENARIO["history_days"])  # the days the closes fall on
        words = show.words("history", days=len(dates), first=dates[0], last=dates[-1])
        self.table(tables.futures_history_table, FUTURES.values(), CLOSES, detail=True, **words)
        self.table(tables.positions_table, d, self.portfolios(), in_jpy(None), owners=owners,
                   caption=show.words("positions", traded=traded), detail=True)  # fmt: skip
        self.clock(tokyo(DAY1, 16, 30), "after the close")
        self.publish("wednesday")
        record("closing")
        day1, _ = self.margin_run(None, "2026-11-25 EOD")
        record("requirements")
        self.table(tables.margin_table, d, day1, title=show.words("margin"), detail=True)
        posted = reconcile.requirements_against(d, {a: int(r.total) for a, r in day1.items()})
        total = jpy(sum(r.total for r in day1.values()))
        self.expect("posted", posted.ok, f"{len(day1)} accounts, JPY {total} in all")
        show.part("post")
        buffer = Decimal(COLLATERAL["buffer"])
        for minute, (label, mix) in zip((40, 45, 50, 55), COLLATERAL["mix"].items(), strict=True):
            owner, kind = label.split()
            self.clock(tokyo(DAY1, 16, minute), f"{owner} posts")
            target = day1[self.accounts[label]].total * buffer
            paid = [(s, self.lots(s, target * Decimal(share))) for s, share in mix.items()]
            for symbol, quantity in paid:
                self.cast[owner].deposit(symbol, quantity)
            record("posted", owner=owner, kind=kind,
                   amounts=" + ".join(self.amount(s, q) for s, q in paid))  # fmt: skip

        # The omnibus requirement is one figure; member-a splits it by each client's own margin.
        omnibus = day1[self.accounts["member-a omnibus"]].total * buffer
        split = split_pro_rata(omnibus, self.client_margins()).values()
        self.clock(tokyo(DAY1, 17, 5), "omnibus clients")
        a1, a2 = (self.lots("JPY", v) for v in split)
        self.cast["client-a1"].deposit("JPY", a1)
        record("a1_paid", amount=self.amount("JPY", a1))
        self.cast["member-a"].deposit_for("client-a2", "JPY", a2)
        record("a2_posted", amount=self.amount("JPY", a2))

        show.part("standing")
        self.clock(tokyo(DAY1, 17, 10), "member-a's treasury and client-a1")
        instruction = list(COLLATERAL["standing_instruction"].items())
        instructed = self.cast["member-a"].set_standing_instruction(instruction)
        (event,) = instructed.named("StandingInstructionSet")
        record("instruction", event=describe(event, d))
        for client, held in COLLATERAL["client_standing_instruction"].items():
            instructed = self.cast[client].set_standing_instruction(list(held.items()))
            (event,) = instructed.named("ClientStandingInstructionSet")
            record("client_instruction", client=client, event=describe(event, d))

    def clearing_fund(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("fund")
        # Each member's whole book and margin (its own accounts' and its clients'); the books were
        # opened today, so no margin of the previous day stands against their stress loss.
        books = self.engine.member_books(self.portfolios())
        margins = self.engine.member_margins(self.margins)
        today = record_day(DAY1, books, in_jpy(None), dict.fromkeys(books, 0),
                           trade_prices=TRADED)  # fmt: skip
        moves = "; ".join(f"{s.name.replace('-', ' ')} " + ", ".join(
            f"{c.removesuffix('-FUT')} {v:+.0%}" for c, v in s.shocks.items() if c != "TOPIX-FUT")
            for s in DEFAULT_SCENARIOS)  # fmt: skip
        show.say(show.words("scenarios", moves=moves), detail=True)
        window = fund_window(DAY1)  # the business days of the six months to today
        margin = f"margin {window[-2]:%a %d %b}"
        self.table(tables.stress_table, today.losses, today.excess, margin_label=margin,
                   detail=True, **show.words("stress"))  # fmt: skip

        daily = synthetic_record(window[:-1]) | {DAY1: today.maximum}
        self.fund = fund = size_clearing_fund(daily, DAY1, margins)
        largest = max(today.excess, key=lambda m: today.excess[m])
        cf = SCENARIO["clearing_fund"]
        periods = {f"{window[0]:%d %b} – {window[-2]:%d %b} [dim](synthetic)[/dim]": window[:-1],
                   f"{DAY1:%d %b}, today [dim]({largest})[/dim]": [DAY1]}  # fmt: skip
        words = show.words("excess", level=millions(cf["level"]))
        self.table(tables.fund_record_table, fund, daily, periods, detail=True, **words)
        self.table(tables.clearing_fund_table, fund, margins, detail=True)

        self.clock(tokyo(DAY1, 17, 15), "the CCP sizes the clearing fund")
        funds = [(m, AccountKind.CLEARING_FUND) for m in NET_CAPITAL]
        self.funds = dict(zip(NET_CAPITAL, self.ccp.margin.open_accounts(funds).value, strict=True))
        record("opened", members=", ".join(self.funds))
        sent = len(d.chain.gas_log)
        posted = self.engine.post_clearing_fund_shares(fund, run_id="2026-11-25 CF")
        txs = len(d.chain.gas_log) - sent
        record("posted", n=len(posted), total=jpy(fund.total), days=fund.days)
        fund_accounts = d.vault.accounts(list(self.funds.values()))
        on_chain = {m: a.requirement_jpy for m, a in zip(NET_CAPITAL, fund_accounts, strict=True)}
        as_ruled = dict(fund.shares) == member_shares(fund.total, margins)
        ok = as_ruled and txs == 1 and on_chain == {m: int(v) for m, v in fund.shares.items()}
        listed = ", ".join(f"{m} {jpy(v)}" for m, v in on_chain.items())
        self.expect("fund", ok, f"JPY {jpy(fund.total)}; on chain {listed}; {txs} tx")
        self.clock(tokyo(DAY1, 17, 20), "members post their shares")
        for member, share in fund.shares.items():
            quantity = self.lots("JPY", share)
            self.cast[member].deposit("JPY", quantity, kind=AccountKind.CLEARING_FUND)
            record("share", member=member, amount=self.amount("JPY", quantity))

        show.part("check")
        self.clock(tokyo(DAY1, 17, 45), "end-of-day check")
        issued = self.engine.issue_calls(CallType.REGULAR)
        record("checked")
        observed = f"{len(issued.value.calls)} calls, {len(issued)} transactions"
        self.expect("covered", not issued.value.calls and not len(issued), observed)
        self.show_accounts(show.words("accounts"))

    def thursday_shock(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("shock")
        self.clock(tokyo(DAY2, 10, 50), "the oracle's intraday snapshot")
        before = {r.asset.symbol: r.price for r in views.market_rows(d)}
        self.publish("thursday")
        record("published")
        market = show.words("market")
        self.table(tables.market_table, views.market_rows(d), title=market, before=before,
                   detail=True)  # fmt: skip

        moves = show.words("futures")
        self.table(tables.futures_moves_table, FUTURES.values(), WEDNESDAY, SHOCKED, detail=True,
                   **moves)  # fmt: skip
        self.clock(tokyo(DAY2, 10, 55), "the intraday margin run")
        day1 = self.margins
        thu, _ = self.margin_run(SHOCKED, "2026-11-26 11:00 intraday")
        computed_at = views.head(d).time
        record("requirements")
        self.table(tables.margin_table, d, thu, before=day1, detail=True, **show.words("margin"))
        totals = [jpy(sum(r.total for r in run.values())) for run in (day1, thu)]
        raised = all(thu[a].total > day1[a].total for a in thu)
        self.expect("raised", raised, f"total JPY {totals[0]} → {totals[1]}")
        self.show_accounts(show.words("accounts"))

        show.part("batch", at=computed_at)
        short = self.engine.short_accounts()
        (batch,) = self.engine.calls_due(CallType.INTRADAY, computed_at=computed_at)
        record("read", n=len(short), names=", ".join(d.account_name(v.id) for v in short))
        house_b = self.accounts["member-b house"]
        gap = next(v.shortfall_jpy for v in short if v.id == house_b)
        self.clock(tokyo(DAY2, 10, 56), "member-b's treasury")
        top_up = self.lots("JPY", gap)
        self.cast["member-b"].deposit("JPY", top_up)
        record("topped_up", amount=self.amount("JPY", top_up), gap=jpy(gap))
        tx = self.ccp.send(batch)
        self.batch = issued = tx.value
        calls, block = issued.calls, f"in block {tx.block_number}"
        skips = ", ".join(f"{d.account_name(k.id)} ({tables.words(k.reason)})"
                          for k in issued.skipped)  # fmt: skip
        record("issued", n=len(calls), skips=skips)
        self.calls = {d.account_name(c.account): c.id for c in calls}
        show.events(d, tx, show.words("events"))
        self.said(tx, "AccountSkipped")
        self.table(tables.calls_table, d, d.vault.margin_calls(), title=show.words("calls"))

        skipped = issued.skipped == (Skipped(house_b, SkipReason.NO_SHORTFALL),)
        said = "; ".join(describe(e, d) for e in tx.named("AccountSkipped"))
        self.expect("skipped", skipped, said)
        others = {label for label in self.accounts if label != "member-b house"}
        every = set(self.calls) == others and tx.receipt.label == "vault.issueMarginCalls"
        self.expect("one_tx", every, f"{len(calls)} calls {block}")
        house_a = self.accounts["member-a house"]
        a_call = next(c for c in calls if c.account == house_a)
        pulled = [e for e in tx.named("CollateralDeposited") if e["automatic"]]
        met = a_call.status is CallStatus.MET and [e["account"] for e in pulled] == [house_a] * 2
        amounts = ", ".join(d.amount(e["amount"], e["asset"]) for e in pulled)
        status = tables.words(a_call.status)
        self.expect("standing", met, f"call #{a_call.id} {status}; pulled {amounts} {block}")
        rest = [c for c in calls if c.account != house_a]
        due = all(c.status is CallStatus.ISSUED and c.deadline == tokyo(DAY2, 14) for c in rest)
        self.expect("open", due, f"{len(rest)} calls issued, deadline {tokyo(DAY2, 14):%a %H:%M}")

    def pass_the_omnibus_call_on(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        deadline = datetime.combine(DAY2, SCENARIO["omnibus"]["client_deadline"], TOKYO)
        show.step("pass_on", deadline=deadline)
        call = d.vault.margin_call(self.calls["member-a omnibus"])
        own = self.client_margins(SHOCKED)
        self.shares = split_pro_rata(call.shortfall_jpy, own)
        self.clock(tokyo(DAY2, 11, 20), "member-a's client desk")
        passed = self.cast["member-a"].pass_on_margin_call(call.id, self.shares, deadline=deadline)
        pulled = [e for e in passed.named("CollateralDeposited") if e["automatic"]]
        split_text = ", ".join(f"{c} {jpy(v)}" for c, v in self.shares.items())
        paid = "; ".join(f"{d.name(e['beneficialOwner'])}'s standing instruction pays "
                         f"{d.amount(e['amount'], e['asset'])} in the same transaction"
                         for e in pulled)  # fmt: skip
        record("passed", id=call.id, split=split_text, paid=paid)
        told = passed.named("MarginCallPassedOn")
        words = show.words("shares", id=call.id, jpy=jpy(call.shortfall_jpy))
        self.table(tables.pass_on_table, self.shares, own, positions=BOOKS["member-a omnibus"],
                   detail=True, **words)  # fmt: skip
        show.events(d, passed, show.words("events"))
        adds_up = sum(e["amountJpy"] for e in told) == call.shortfall_jpy
        due = all(e["deadline"] == to_unix(deadline) for e in told)
        self.expect("shares", adds_up and due, f"{len(told)} MarginCallPassedOn events, "
                    f"due {deadline:%H:%M}")  # fmt: skip
        by = {d.name(s.client): s for s in passed.value}
        ok = by["client-a1"].met and not by["client-a2"].paid_jpy and len(pulled) == 1
        status = tables.words(d.vault.margin_call(call.id).status)
        paid = ", ".join(f"{c} paid {jpy(by[c].paid_jpy)}" for c in ("client-a1", "client-a2"))
        self.expect("client_standing", ok, f"{paid}; call #{call.id} {status}")

    def emergency_run(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("emergency")
        show.detail(self.trades_table())
        self.clock(tokyo(DAY2, 12, 40), "the emergency margin run")
        before = self.margins
        now, posted = self.margin_run(SHOCKED, "2026-11-26 12:40 emergency", morning=True)
        computed_at = views.head(d).time
        record("requirements")
        self.table(tables.margin_table, d, now, before=before, changes=True, detail=True,
                   **show.words("margin"))  # fmt: skip
        show.events(d, posted.outcomes[0], show.words("events"))
        self.said(posted.outcomes[0], "MarginCallMet")
        self.met_by_posting = [e["callId"] for e in posted.named("MarginCallMet")]
        house_b1, house_c = self.accounts["client-b1 segregated"], self.accounts["member-c house"]
        b1_call = d.vault.margin_call(self.calls["client-b1 segregated"])
        lowered = now[house_b1].total < before[house_b1].total
        ok = lowered and self.met_by_posting == [b1_call.id] and b1_call.status is CallStatus.MET
        block = posted.outcomes[0].block_number
        self.expect("lowered", ok, f"requirement {millions(before[house_b1].total)} → "
                    f"{millions(now[house_b1].total)}; call #{b1_call.id} "
                    f"{tables.words(b1_call.status)} in block {block}")  # fmt: skip

        show.part("increase", at=computed_at)
        issued = self.engine.issue_calls(CallType.EMERGENCY, computed_at=computed_at)
        (self.increase,) = (c,) = issued.value.calls
        self.said(issued, "MarginCallIssued", detail=True)
        record("called", id=c.id, jpy=jpy(c.shortfall_jpy), previous=c.previous_open)
        open_c = d.vault.open_calls(house_c)
        self.table(tables.calls_table, d, open_c, title=show.words("calls"), detail=True)
        first = d.vault.margin_call(self.calls["member-c house"])
        ok = (c.account == house_c and c.previous_open == first.id
              and c.shortfall_jpy == now[house_c].total - before[house_c].total
              and c.deadline == tokyo(DAY2, 16) and c.call_type is CallType.EMERGENCY
              and [o.id for o in open_c] == [c.id, first.id]
              and first.requirement_jpy == before[house_c].total)  # fmt: skip
        self.expect("increase", ok, f"call #{c.id} JPY {jpy(c.shortfall_jpy)} after #{first.id}, "
                    f"due {c.deadline:%H:%M}; #{first.id} still asks JPY "
                    f"{jpy(first.shortfall_jpy)}")  # fmt: skip
        self.show_accounts(show.words("accounts"))

    def trades_table(self) -> Table:
        trades = [(label, whose, FUTURES[code], q, SHOCKED[code])
                  for label, whose, code, q in SCENARIO["morning_session"]["trades"]]  # fmt: skip
        return tables.trades_table(trades, THURSDAY, THURSDAY_PRICES, narrow=self.show.narrow,
                                   **self.show.words("trades"))  # fmt: skip

    def meet_the_calls(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("meet")
        call_id = self.calls["member-a omnibus"]
        self.clock(tokyo(DAY2, 13, 35), "member-a's client desk")
        marked = self.cast["member-a"].mark_shares_overdue(call_id)
        self.said(marked, "ClientShareOverdue")
        self.owed = owed = self.cast["member-a"].client_shares(call_id)
        title = show.words("shares", id=call_id)
        call = d.vault.margin_call(call_id)
        self.table(tables.client_shares_table, d, call, owed, title=title, now=views.head(d).time,
                   detail=True)  # fmt: skip
        by = {d.name(s.client): s for s in owed}
        a2 = by["client-a2"]
        record("read", id=call_id, owes=jpy(a2.remaining_jpy))
        ok = by["client-a1"].met and a2.paid_jpy == 0 and a2.status is ShareStatus.OVERDUE
        self.expect("unpaid", ok, f"client-a1 paid {jpy(by['client-a1'].paid_jpy)}; client-a2 "
                    f"paid 0 of {jpy(a2.amount_jpy)}, due {a2.deadline:%H:%M}")  # fmt: skip
        self.clock(tokyo(DAY2, 13, 40), "member-a covers its client")
        quantity = self.lots("JPY", a2.remaining_jpy)
        paid = self.cast["member-a"].deposit_for("client-a2", "JPY", quantity)
        show.say(show.words("deposit", amount=self.amount("JPY", quantity)), detail=True)
        self.said(paid, "ClientSharePaid", "ClientShareMet", "MarginCallMet", detail=True)
        status = d.vault.margin_call(call_id).status
        record("paid", amount=self.amount("JPY", quantity), id=call_id, status=tables.words(status))
        self.settled = self.cast["member-a"].client_shares(call_id)
        ok = status is CallStatus.MET and all(s.met for s in self.settled)
        self.expect("covered_for", ok, f"call #{call_id} {tables.words(status)}; client-a2's "
                    f"share paid {jpy(self.settled[-1].paid_jpy)}")  # fmt: skip
        show.line("[red]…[/red]", "[bold]member-c[/bold] pays nothing")
        self.clock(tokyo(DAY2, 13, 55), "five minutes before the deadline")
        calls = d.vault.margin_calls()
        still_open = [f"#{c.id} {d.account_name(c.account)}" for c in calls if c.status.open]
        record("checked", met=len(calls) - len(still_open), n=len(calls),
               open=", ".join(still_open))  # fmt: skip
        self.table(tables.calls_table, d, calls, title=show.words("calls"), detail=True)
        house_c = self.accounts["member-c house"]
        status_ = {c.id: c.status for c in calls}
        expected = {c.id: CallStatus.ISSUED if c.account == house_c else CallStatus.MET
                    for c in calls}  # fmt: skip
        observed = ", ".join(f"#{k} {tables.words(s)}" for k, s in status_.items())
        self.expect("at_1355", status_ == expected, observed)

    def the_deadline(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("deadline")
        self.clock(tokyo(DAY2, 14, 5), "the deadline has passed")
        self.publish("thursday")
        record("refreshed")
        open_ids = [c.id for c in self.engine.open_calls()]
        marked = self.ccp.margin.mark_overdue(open_ids)
        house_c, batch = self.accounts["member-c house"], marked.value
        first, increase = self.calls["member-c house"], self.increase
        assert increase is not None
        overdue = [c.id for c in batch.calls if c.status is CallStatus.OVERDUE]
        listed = f"overdue: #{', #'.join(map(str, overdue))}; skipped: " + ", ".join(
            f"#{s.id} ({tables.words(s.reason)})" for s in batch.skipped)  # fmt: skip
        record("marked", ids=", ".join(f"#{i}" for i in open_ids), listed=listed)
        self.said(marked, "MarginCallOverdue", "CallSkipped", detail=True)  # as the line says
        only_c = overdue == [first] and batch.skipped == (
            Skipped(increase.id, SkipReason.DEADLINE_NOT_PASSED),)  # fmt: skip
        self.expect("overdue", only_c, listed)
        if not only_c:
            return
        dm = d.default_manager.management_account()
        own = [house_c, self.funds["member-c"]]
        held = {a: d.vault.holdings(a) for a in own}
        dm_before = d.vault.holdings(dm)
        self.clock(tokyo(DAY2, 14, 15), "the CCP's default committee")
        default = self.ccp.default.declare(first, "missed intraday call")
        record("declared", id=first)
        show.events(d, default, show.words("events"))
        seized = views.seizures(d, default.events)
        self.table(tables.seized_table, d, seized, **show.words("seized", n=len(seized)))
        counted = sum(s.counted_jpy for s in seized)
        requirement = d.vault.account(house_c).requirement_jpy
        positions = tables.positions_text(THURSDAY["member-c house"]["member-c"])
        show.say(show.words("positions", positions=positions, counted=jpy(counted),
                           requirement=jpy(requirement)))  # fmt: skip

        status = d.participant("member-c").status
        calls = d.vault.margin_calls([first, increase.id])
        closed = status is Status.DEFAULTED and all(
            c.status is CallStatus.DEFAULT_DECLARED for c in calls)  # fmt: skip
        observed = f"{tables.words(status)}; " + ", ".join(
            f"#{c.id} {tables.words(c.status)}" for c in calls)  # fmt: skip
        self.expect("defaulted", closed, observed)
        taken = {a: {s.asset.symbol: s.quantity for s in seized if s.account == a} for a in own}
        total = sum((Counter(t) for t in taken.values()), Counter[str]())  # by asset, all accounts
        left = [d.vault.holdings(a) for a in own]
        frozen = all(acct.frozen for acct in d.vault.accounts(own))
        listed = "; ".join(f"{d.account_name(a)}: " + ", ".join(
            self.amount(s, q) for s, q in t.items()) for a, t in taken.items())  # fmt: skip
        self.expect("seized", frozen and taken == held and not any(left), listed)
        dm_after = d.vault.holdings(dm)
        received = {s: q - dm_before.get(s, 0) for s, q in dm_after.items()
                    if q != dm_before.get(s)}  # fmt: skip
        holds = ", ".join(self.amount(s, q) for s, q in dm_after.items())
        self.expect("received", received == total, f"holds {holds}")
        self.table(tables.participants_table, d, title=show.words("register"), detail=True)
        self.show_accounts(show.words("accounts"))

    def close_the_books(self) -> bool:
        show, d, chain = self.show, self.d, self.d.chain
        show.step("reconcile")
        assert self.fund is not None
        posted = {a: int(r.total) for a, r in self.margins.items()} | {
            self.funds[m]: int(share) for m, share in self.fund.shares.items()}  # fmt: skip
        controls = [("(a)", reconcile.requirements_against(d, posted)),
                    ("(a)", reconcile.values_against_model(d)),
                    ("(b)", reconcile.vault_against_accounts(d)),
                    ("(c)", reconcile.omnibus_sub_ledgers(d)),
                    ("", reconcile.supply_against_register(d))]  # fmt: skip
        titles = [f"{letter} {control.title}".strip() for letter, control in controls]
        show.controls([control for _, control in controls], titles)
        held = d.vault.holdings(self.accounts["member-a omnibus"])
        ledger, sub = self.cast["member-a"].sub_ledger(), show.words("sub_ledger")
        self.table(tables.sub_ledger_table, d, ledger, held, title=sub, detail=True)  # under (c)
        for title, (_, control) in zip(titles, controls, strict=True):
            compared = f"{len(control.lines)} compared, {len(control.breaks)} breaks"
            self.checks.check(f"reconciled: {title}", control.ok, compared)
        show.outcomes(self.checks)
        gas = tables.gas_table(chain.gas_log, title=show.words("gas"), fold=SET_UP)
        show.detail(tables.fit(gas, narrow=show.narrow))
        show.say(show.words("batches", calls=len(self.calls)), detail=True)  # of the gas table
        self.closing, failed = d.vault.margin_calls(), self.checks.failed
        return show.verdict(not failed, calls=len(self.closing), txs=len(chain.gas_log),
                            failed=failed)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(full=arguments(__doc__).parse_args().full))
