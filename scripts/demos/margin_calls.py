"""Kabuto margin-call demo: a price shock, intraday calls, a client cascade and a default.

Three members and three clients are margined at Wednesday's close; Thursday's price shock calls
every account in one transaction, a standing instruction meets one call on the spot, an omnibus
call cascades to its clients, and member-c, who does not pay, is declared in default. The chain's
clock starts on Wed 25 Nov 2026, 08:00 Tokyo, so every run tells the same story with the same
figures. The scenario (balances, positions, market, risk parameters, what the story promises) is
data, in margin_calls.toml next to this file. `.venv/bin/python scripts/demos/margin_calls.py`
exits 0 when every expected outcome held and the books reconcile, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from show import SET_UP, Checks, Show, Timeline, run

from pyclient import Chain, Deployment, deploy, reconcile, tables
from pyclient.access import AccountType, Kind, Status
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.collateral import AccountKind, CallStatus, CallType
from pyclient.contracts import Admission
from pyclient.events import describe
from pyclient.margin.calendar import is_business_day, next_business_day
from pyclient.margin.engine import MarginEngine, Portfolio
from pyclient.margin.risk import ADD_ON_CAPITAL_THRESHOLD, MarginResult, Position, initial_margin
from pyclient.oracle import Purpose, RiskParameters
from pyclient.roles import Ccp, ClearingMember, Client, Oracle, TokenIssuer
from pyclient.valuation import haircut_value, market_value, quantity_for
from pyclient.views import account_views, balance_sheet, head, market_rows

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
DAY1: date = SCENARIO["day1"]  # a Wednesday
DAY2 = next_business_day(DAY1)


def tokyo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


def jpy(value: Decimal | int) -> str:
    return f"{Decimal(value):,.0f}"


# ====================================================================== the market


@dataclass(frozen=True)
class Future:
    """A cleared futures contract; prices in index points (or per 100 face), contracts in JPY."""

    code: str
    name: str
    multiplier: int  # JPY per point
    tick: Decimal
    first_close: Decimal
    daily_vol: Decimal
    drift: Decimal
    traded_vs_close: Decimal  # Wednesday's average trade price, against its close
    shock: Decimal  # Thursday morning's move

    def quantize(self, points: Decimal) -> Decimal:
        return (points / self.tick).quantize(Decimal(1), ROUND_HALF_EVEN) * self.tick

    def closes(self) -> list[Decimal]:
        """Daily closes in points, oldest first: a seeded random walk with occasional jumps. Each
        day's move is a standardised Irwin-Hall(4) draw from SHA-256 of the seed, the contract and
        the day (about 3% of days three times as large), all in Decimal."""
        price, out = self.first_close, []
        for i in range(SCENARIO["history_days"]):
            digest = hashlib.sha256(f"{SCENARIO['seed']}:{self.code}:{i}".encode()).digest()
            draw = sum(int.from_bytes(digest[2 * k : 2 * k + 2], "big") for k in range(4))
            z = (Decimal(draw) - 2 * 65_535) / 65_535 * Decimal(3).sqrt()
            z *= 3 if digest[8] < 8 else 1
            price = self.quantize(price * (1 + self.drift + self.daily_vol * z))
            out.append(price)
        return out

    def fmt(self, points: Decimal) -> str:
        return f"{points:,.{max(0, -int(self.tick.as_tuple().exponent))}f}"


# The futures as the scenario gives them (exact figures as strings), their closes, Wednesday's
# average trade prices and Thursday's 10:50 prices.
FUTURES = {code: Future(code, **{k: v if k in ("name", "multiplier") else Decimal(v)
                                  for k, v in spec.items()})
           for code, spec in SCENARIO["futures"].items()}  # fmt: skip
CLOSES = {code: f.closes() for code, f in FUTURES.items()}  # Wednesday's close last
TRADED = {c: (CLOSES[c][-1] + f.traded_vs_close) * f.multiplier for c, f in FUTURES.items()}
SHOCKED = {c: f.quantize(CLOSES[c][-1] * (1 + f.shock)) for c, f in FUTURES.items()}


def in_jpy(points: Mapping[str, Decimal] | None) -> dict[str, Decimal]:
    """JPY per contract at `points` per contract, or at Wednesday's close."""
    points = points or {c: CLOSES[c][-1] for c in FUTURES}
    return {code: p * FUTURES[code].multiplier for code, p in points.items()}


def history(now: Mapping[str, Decimal] | None) -> dict[str, list[Decimal]]:
    """The closes in JPY per contract, oldest first, with `now` (points) appended if given."""
    return {c: [p * f.multiplier for p in [*CLOSES[c], *([now[c]] if now else [])]]
            for c, f in FUTURES.items()}  # fmt: skip


# The scenario's people and their books (see margin_calls.toml for what each table means).
NET_CAPITAL: dict[str, int] = SCENARIO["members"]
CLIENTS: dict[str, dict[str, str]] = SCENARIO["clients"]
MEMBER = {m: m for m in NET_CAPITAL} | {c: spec["member"] for c, spec in CLIENTS.items()}
BOOKS = {account: {whose: [Position(code, n) for code, n in held.items()]
                    for whose, held in by.items()}
         for account, by in SCENARIO["books"].items()}  # fmt: skip
RISK = {s: RiskParameters(**{k: frozenset(Purpose[p] for p in v) if k == "eligible_for" else v
                             for k, v in spec.items()})
        for s, spec in SCENARIO["risk"].items()}  # fmt: skip
COLLATERAL = SCENARIO["collateral"]
EXPECTED: dict[str, str] = SCENARIO["expected"]


def positions_text(positions: Sequence[Position]) -> str:
    return ", ".join(f"{p.quantity:+,} {p.instrument}" for p in positions)


def split(total: Decimal, weights: Mapping[str, Decimal]) -> dict[str, int]:
    """`total` shared pro rata to `weights`, in whole yen, the last share taking the rounding."""
    *first, last = weights
    shares = {n: total * weights[n] / sum(weights.values()) for n in first}
    out = {n: int(share.to_integral(ROUND_CEILING)) for n, share in shares.items()}
    return out | {last: int(total) - sum(out.values())}


# ====================================================================== the story


def main(console: Console | None = None) -> int:
    return run(console, "Kabuto · margin calls under stress", "A price shock, intraday margin "
               "calls, a standing instruction, a client cascade and a default,\non one EVM "
               "ledger, on the Tokyo clock", lambda show, chain: Story.start(show, chain).tell(),
               genesis_timestamp=to_unix(tokyo(DAY1, 8)))  # fmt: skip


def set_clock(show: Show, chain: Chain, moment: datetime, why: str) -> None:
    """Move the chain's clock forward to `moment` (it never goes back), and say so."""
    devnet.set_next_timestamp(chain, to_unix(moment))
    show.line("[cyan]◷[/cyan]", f"[bold]{moment:%a %d %b %Y, %H:%M}[/bold] Tokyo · {why}")


@dataclass
class Story:
    """The cast, their accounts, and what the story has come to."""

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
    calls: dict[str, int] = field(default_factory=dict)  # account label -> intraday call id
    shares: dict[str, int] = field(default_factory=dict)  # omnibus client -> its share of a call

    def clock(self, moment: datetime, why: str) -> None:
        set_clock(self.show, self.d.chain, moment, why)
        self.timeline.skip()

    def expect(self, key: str, ok: bool, observed: str) -> None:
        self.checks.check(EXPECTED[key], ok, observed)

    def amount(self, symbol: str, quantity: Decimal) -> str:
        return f"{symbol} {tables.number(quantity, self.d.asset(symbol).decimals)}"

    def fit(self, table: Table, *drop: str) -> Table:
        return tables.fit(table, narrow=self.show.narrow, drop=drop)

    def show_accounts(self, title: str) -> None:
        views, narrow = account_views(self.d, self.engine.accounts), self.show.narrow
        self.show.table(tables.accounts_table(self.d, views, title=title, narrow=narrow))

    def show_calls(self, title: str) -> None:
        calls, narrow = self.d.vault.margin_calls(), self.show.narrow
        self.show.table(tables.calls_table(self.d, calls, title=title, narrow=narrow))

    def show_market(self, title: str, before: Mapping[str, Decimal] | None = None) -> None:
        rows, narrow = market_rows(self.d), self.show.narrow
        self.show.table(tables.market_table(rows, title=title, before=before, narrow=narrow))

    def publish(self, day: str) -> None:
        """The oracle publishes `day`'s collateral prices and FX rates, as the scenario has them."""
        self.oracle.publish_fx_rates(SCENARIO["market"][day]["fx"])
        self.oracle.publish_prices(SCENARIO["market"][day]["prices"])

    def lots(self, symbol: str, value_jpy: Decimal) -> Decimal:
        """Whole tokens of `symbol` counting for at least `value_jpy` now, in round lots."""
        a, quote = self.d.asset(symbol), self.d.market_data.quote(symbol)
        value, lot = int(value_jpy.to_integral(ROUND_CEILING)), COLLATERAL["lots"][symbol]
        return a.whole(quantity_for(value, quote, lot=a.units(lot)))

    def margin_run(self, now: Mapping[str, Decimal] | None, run_id: str) -> dict[int, MarginResult]:
        """The engine margins every account at Wednesday's close (or at `now`) and posts it."""
        portfolios = []
        for label, books in BOOKS.items():
            positions = [p for held in books.values() for p in held]
            capital = NET_CAPITAL[MEMBER[next(iter(books))]]
            portfolios.append(Portfolio(self.accounts[label], positions, TRADED, capital))
        return self.engine.run(portfolios, current_prices=in_jpy(now), history=history(now),
                               run_id=run_id)  # fmt: skip

    def client_margins(self, now: Mapping[str, Decimal] | None = None) -> dict[str, Decimal]:
        """Each omnibus client's stand-alone margin: member-a's own view, with the public model."""
        return {c: initial_margin(positions, trade_prices=TRADED, current_prices=in_jpy(now),
                                  history=history(now), net_capital=NET_CAPITAL["member-a"]).total
                for c, positions in BOOKS["member-a omnibus"].items()}  # fmt: skip

    @classmethod
    def start(cls, show: Show, chain: Chain) -> Story:
        show.step("Wednesday morning: the ledger opens", "The clearing house runs a private EVM "
                  "chain (here an embedded Anvil node). Every deadline in this story is judged "
                  "by the chain's own clock, on Tokyo time.")  # fmt: skip
        keys = chain.dev_accounts(8)
        set_clock(show, chain, tokyo(DAY1, 9), "the day opens")
        show.say(f"CCP operator {tables.short(keys[0].address)} deploys the suite; it also runs "
                 f"the oracle and the margin engine. The token issuer "
                 f"{tables.short(keys[1].address)} alone may mint.")  # fmt: skip
        with show.console.status("deploying…"):
            say = lambda m: show.say(f"[dim]· {m}[/dim]")  # noqa: E731
            d = deploy(chain, keys[0], issuer=keys[1].address, progress=say)
        cast = {n: (ClearingMember if n in NET_CAPITAL else Client)(d, k)
                for n, k in zip([*NET_CAPITAL, *CLIENTS], keys[2:], strict=True)}  # fmt: skip
        ccp = Ccp(d, keys[0])
        story = cls(show, d, ccp, Oracle(d, keys[0]), MarginEngine(ccp), TokenIssuer(d, keys[1]),
                    cast, Timeline(show, d))  # fmt: skip
        parts = f"register, market data, collateral vault and {len(d.assets)} asset tokens"
        story.timeline.record("CCP", "deploys the suite", parts)
        return story

    def tell(self) -> bool:
        self.admit_and_fund()
        self.wednesday_end_of_day()
        self.thursday_shock()
        self.meet_the_calls()
        self.the_deadline()
        self.show.step("The two days on one page", "Every step above, stamped with the time of "
                       "its block on the chain's Tokyo clock.")  # fmt: skip
        self.show.table(self.timeline.table("Timeline (Tokyo time; gas summed over each step)"))
        return self.close_the_books()

    def admit_and_fund(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("Participants, tokens, market data and collateral accounts", "The CCP admits "
                  "everyone to its register. member-b's client client-b1 is segregated: the CCP "
                  "sees it by name. client-a1 and client-a2 sit in member-a's omnibus account: "
                  "the CCP sees one total, member-a keeps the split.")  # fmt: skip
        at = {name: role.address for name, role in self.cast.items()}
        self.ccp.register.admit_many([
            Admission(self.issuer.address, Kind.TOKEN_ISSUER, "token-issuer"),
            *(Admission(at[m], Kind.CLEARING_MEMBER, m) for m in NET_CAPITAL),
            *(Admission(at[c], Kind.CLIENT, c, spec["member"], AccountType[spec["account"].upper()])
              for c, spec in CLIENTS.items()),
        ])  # fmt: skip
        record("CCP", "admits 7 participants", "issuer, 3 members, 1 segregated, 2 omnibus clients")
        show.table(tables.participants_table(d, title="The register", narrow=show.narrow))
        opening = SCENARIO["opening"].items()
        deposits = [(s, who, q, f"OPEN-{who}-{s}") for who, held in opening
                    for s, q in held.items()]  # fmt: skip
        self.issuer.issue_many(deposits)
        record("token issuer", "tokenizes cash and securities", f"{len(deposits)} deposits minted")
        self.publish("wednesday")
        self.oracle.set_risk_parameters(RISK)
        record("oracle", "publishes prices, USD/JPY and risk parameters")
        self.show_market("Collateral market data on chain")
        owners = [(label.split()[0], AccountKind[label.split()[1].upper()]) for label in BOOKS]
        self.accounts = dict(zip(BOOKS, self.ccp.margin.open_accounts(owners).value, strict=True))
        which = "a house account per member, member-a's omnibus, client-b1's segregated account"
        record("CCP", "opens 5 collateral accounts in the vault", which)
        title = "Wallets before any collateral is posted"
        show.table(tables.balances_table(d, balance_sheet(d), title=title))

    def wednesday_end_of_day(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("Wednesday end of day: initial margin", "The members cleared futures today. "
                  "After the close the CCP's margin engine values each account: mark-to-market "
                  "loss since trade + estimated loss (historical expected shortfall, 99%, 2-day) "
                  "+ an add-on for members with under JPY 2bn of net capital.")  # fmt: skip
        show.table(self.history_table(), self.positions_table())
        self.clock(tokyo(DAY1, 16, 30), "after the close")
        self.publish("wednesday")
        record("oracle", "publishes closing prices", "collateral unchanged since the morning")
        day1 = self.margin_run(None, "2026-11-25 EOD")
        record("CCP margin engine", "posts 5 requirements in one transaction", "run 2026-11-25 EOD")
        show.table(self.margin_table(day1, "Initial margin, Wednesday end of day (JPY)"))
        posted = reconcile.requirements_against(d, {a: int(r.total) for a, r in day1.items()})
        total = jpy(sum(r.total for r in day1.values()))
        self.expect("posted", posted.ok, f"{len(day1)} accounts, JPY {total} in all")
        show.part("Members and clients post collateral", "each sized to its requirement plus 10%")
        buffer = Decimal(COLLATERAL["buffer"])
        for minute, (label, mix) in zip((40, 45, 50, 55), COLLATERAL["mix"].items(), strict=True):
            owner, kind = label.split()
            self.clock(tokyo(DAY1, 16, minute), f"{owner} posts")
            target = day1[self.accounts[label]].total * buffer
            paid = [(symbol, self.lots(symbol, target * Decimal(share))) for symbol, share in
                    mix.items()]  # fmt: skip
            for symbol, quantity in paid:
                self.cast[owner].deposit(symbol, quantity)
            detail = " + ".join(self.amount(s, q) for s, q in paid)
            record(owner, f"posts initial margin into its {kind} account", detail)

        # The omnibus requirement is one figure; member-a splits it by each client's own margin.
        omnibus = day1[self.accounts["member-a omnibus"]].total * buffer
        shares = {c: self.lots("JPY", Decimal(v))
                  for c, v in split(omnibus, self.client_margins()).items()}  # fmt: skip
        self.clock(tokyo(DAY1, 17, 5), "omnibus clients")
        into, (a1, a2) = "into member-a's omnibus account", shares.values()
        self.cast["client-a1"].deposit("JPY", a1)
        record("client-a1", f"pays its share {into}", self.amount("JPY", a1))
        self.cast["member-a"].deposit_for("client-a2", "JPY", a2)
        record("member-a", f"posts client-a2's share {into}", self.amount("JPY", a2))
        self.clock(tokyo(DAY1, 17, 30), "member-a's treasury")
        instruction = list(COLLATERAL["standing_instruction"].items())
        instructed = self.cast["member-a"].set_standing_instruction(instruction)
        (event,) = instructed.named("StandingInstructionSet")
        record("member-a", "leaves a standing instruction", describe(event, d))
        show.say("[italic]The vault may now pull that collateral from member-a's wallet the moment "
                 "a call is issued (member-a approved it on both tokens).[/italic]")  # fmt: skip
        self.clock(tokyo(DAY1, 17, 45), "end-of-day check")
        issued = self.engine.issue_calls(CallType.REGULAR)
        record("CCP margin engine", "checks every account: none is short, no regular call")
        observed = f"{len(issued.value.calls)} calls, {len(issued)} transactions"
        self.expect("covered", not issued.value.calls and not len(issued), observed)
        self.show_accounts("Collateral accounts, Wednesday evening")

    def history_table(self) -> Table:
        dates, day = [], DAY1  # the business days the closes fall on, newest first
        while len(dates) < SCENARIO["history_days"]:
            dates += [day] if is_business_day(day) else []
            day -= timedelta(days=1)
        table = tables.new_table(
            f"Price history fed to the engine: {len(dates)} business days, "
            f"{dates[-1]:%d %b %Y} – {dates[0]:%d %b %Y}",
            "contract", "JPY per point", ("first close", "right"), ("low", "right"),
            ("high", "right"), ("Wed close", "right"), ("daily σ", "right"),
            ("JPY / contract", "right"),
        )  # fmt: skip
        for code, f in FUTURES.items():
            closes = CLOSES[code]
            returns = [b / a - 1 for a, b in pairwise(closes)]
            mean = sum(returns, Decimal(0)) / len(returns)
            sigma = (sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)).sqrt()
            table.add_row(
                f"[bold]{code}[/bold]\n[dim]{f.name}[/dim]", f"{f.multiplier:,}",
                f.fmt(closes[0]), f.fmt(min(closes)), f.fmt(max(closes)), f.fmt(closes[-1]),
                f"{sigma * 100:.2f}%", jpy(closes[-1] * f.multiplier),
            )  # fmt: skip
        table.caption = "synthetic, deterministic closes (seeded, Decimal arithmetic)"
        return self.fit(table, "JPY per point", "first close", "low", "high")

    def positions_table(self) -> Table:
        table = tables.new_table(
            "Cleared positions (contracts)", "account", "whose", "positions",
            ("notional (JPY)", "right"), ("member net capital", "right"),
        )  # fmt: skip
        at_close = in_jpy(None)
        for label, books in BOOKS.items():
            for i, (whose, positions) in enumerate(books.items()):
                notional = sum(abs(p.quantity) * at_close[p.instrument] for p in positions)
                capital = Decimal(NET_CAPITAL[MEMBER[whose]])
                add_on = " [yellow](add-on)[/yellow]" if capital < ADD_ON_CAPITAL_THRESHOLD else ""
                account = "" if i else f"[bold]{label}[/bold]"
                table.add_row(account, whose, positions_text(positions), jpy(notional),
                              f"{capital / 10**9:,.1f}bn{add_on}")  # fmt: skip
        traded = ", ".join(f"{c} {f.fmt(TRADED[c] / f.multiplier)}" for c, f in FUTURES.items())
        seen = "the CCP sees the omnibus account only as its total"
        table.caption = f"traded today at {traded}; {seen}"
        return self.fit(table, "member net capital")

    def margin_table(
        self, results: Mapping[int, MarginResult], title: str,
        before: Mapping[int, MarginResult] | None = None,
    ) -> Table:  # fmt: skip
        columns: list[str | tuple[str, str]] = [
            "account", ("MTM loss", "right"), ("estimated loss\n(ES 99%, 2-day)", "right"),
            ("add-on", "right"), ("requirement", "right"),
        ]  # fmt: skip
        if before is not None:
            columns += [("Wed EOD", "right"), ("change", "right")]
        table = tables.new_table(title, *columns)
        for account, r in results.items():
            mtm, add_on = (jpy(v) if v else "[dim]0" for v in (r.mtm_loss, r.add_on))
            row = [f"[bold]{self.d.account_name(account)}[/bold]", mtm, jpy(r.estimated_loss),
                   add_on, f"[bold]{jpy(r.total)}[/bold]"]  # fmt: skip
            if before is not None:
                old = before[account].total
                row += [jpy(old), f"[red]+{jpy(r.total - old)}[/red]" if r.total > old else "–"]
            table.add_row(*row)
        table.add_section()
        tail = [jpy(sum(b.total for b in before.values())), ""] if before is not None else []
        total = jpy(sum(r.total for r in results.values()))
        table.add_row("[bold]total[/bold]", "", "", "", f"[bold]{total}[/bold]", *tail)
        table.caption = "ES: historical-simulation expected shortfall over the last 250 closes"
        return self.fit(table, "Wed EOD", "change")

    def thursday_shock(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("Thursday morning: a price shock", "A risk-off morning: Japanese equities fall "
                  "7%, JGB futures 0.8%, the yen firms. The oracle republishes collateral prices; "
                  "the 11:00 intraday run reprices every account.")  # fmt: skip
        self.clock(tokyo(DAY2, 10, 50), "the oracle's intraday snapshot")
        before = {r.asset.symbol: r.price for r in market_rows(d)}
        self.publish("thursday")
        record("oracle", "publishes intraday prices", "TYO7203 −7%, JGB374 −0.6%, USD/JPY 148.50")
        self.show_market("Collateral prices at 10:50 (vs Wednesday)", before)

        move = tables.new_table(
            "Futures at 10:50 (vs Wednesday close)", "contract", ("Wed close", "right"),
            ("Thu 10:50", "right"), ("change", "right"), ("JPY / contract", "right"),
        )  # fmt: skip
        for code, f in FUTURES.items():
            close, now = CLOSES[code][-1], SHOCKED[code]
            move.add_row(f"[bold]{code}[/bold]", f.fmt(close), f.fmt(now),
                         tables.change_text(close, now), jpy(now * f.multiplier))  # fmt: skip
        show.table(self.fit(move))
        self.clock(tokyo(DAY2, 10, 55), "the intraday margin run")
        day1 = self.engine.last_results
        thu = self.margin_run(SHOCKED, "2026-11-26 11:00 intraday")
        computed_at = head(d).time
        record("CCP margin engine", "posts the intraday requirements in one transaction",
               "history extended by the 10:50 prices")  # fmt: skip
        show.table(self.margin_table(thu, "Initial margin, Thursday intraday (JPY)", day1))
        totals = [jpy(sum(r.total for r in run.values())) for run in (day1, thu)]
        raised = all(thu[a].total > day1[a].total for a in thu)
        self.expect("raised", raised, f"total JPY {totals[0]} → {totals[1]}")
        self.show_accounts("Collateral accounts after the intraday run, before any call")

        when = f"computed {computed_at:%H:%M:%S}, before the 11:00 cut-off, so due 14:00 today"
        show.part("The engine calls every short account in one transaction", when)
        issued = self.engine.issue_calls(CallType.INTRADAY, computed_at=computed_at)
        (tx,) = issued.outcomes  # the shock leaves every account short: one call each, one tx
        calls, block = issued.value.calls, f"in block {tx.block_number}"
        what = f"issues {len(calls)} intraday margin calls in one transaction"
        record("CCP margin engine", what, "member-a's standing instruction pulls its collateral "
               "in the same transaction")  # fmt: skip
        self.calls = {d.account_name(c.account): c.id for c in calls}
        show.events(d, tx, "Inside that one transaction: its events, in order")
        self.show_calls("Margin calls as issued")

        every = set(self.calls) == set(self.accounts)
        self.expect("one_tx", every and tx.receipt.label == "vault.issueMarginCalls",
                    f"{len(calls)} calls {block}")  # fmt: skip
        house_a = self.accounts["member-a house"]
        a_call = next(c for c in calls if c.account == house_a)
        pulled = [e for e in issued.named("CollateralDeposited") if e["automatic"]]
        met = a_call.status is CallStatus.MET and [e["account"] for e in pulled] == [house_a] * 2
        amounts = ", ".join(d.amount(e["amount"], e["asset"]) for e in pulled)
        status = tables.words(a_call.status)
        self.expect("standing", met, f"call #{a_call.id} {status}; pulled {amounts} {block}")
        others = [c for c in calls if c.account != house_a]
        due = all(c.status is CallStatus.ISSUED and c.deadline == tokyo(DAY2, 14) for c in others)
        self.expect("open", due, f"{len(others)} calls issued, deadline {tokyo(DAY2, 14):%a %H:%M}")

    def meet_the_calls(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("Thursday 11:00–14:00: the calls are met, except one", "A member pays its own "
                  "calls; a segregated client pays its own account directly; an omnibus call goes "
                  "to the member, who passes each client its share.")  # fmt: skip
        show.part("member-a passes the omnibus call on",
                  "the CCP sees one figure; member-a the split")  # fmt: skip
        call = d.vault.margin_call(self.calls["member-a omnibus"])
        own = self.client_margins(SHOCKED)
        self.shares = split(Decimal(call.shortfall_jpy), own)
        self.clock(tokyo(DAY2, 11, 20), "member-a's client desk")
        passed = self.cast["member-a"].pass_on_margin_call(call.id, self.shares)
        split_text = ", ".join(f"{c} {jpy(v)}" for c, v in self.shares.items())
        record("member-a", f"passes omnibus call #{call.id} on to its two clients", split_text)
        table = tables.new_table(
            f"Omnibus call #{call.id} (JPY {jpy(call.shortfall_jpy)}), as member-a passes it on",
            "client", "positions", ("own margin (JPY)", "right"), ("weight", "right"),
            ("share of the call (JPY)", "right"),
        )  # fmt: skip
        told = passed.named("MarginCallPassedOn")
        for e in told:
            name = d.name(e["client"])
            weight = f"{own[name] / sum(own.values()) * 100:.1f}%"
            positions = positions_text(BOOKS["member-a omnibus"][name])
            table.add_row(name, positions, jpy(own[name]), weight, jpy(e["amountJpy"]))
        table.caption = "each client's margin on its own positions, from member-a's sub-ledger view"
        show.table(self.fit(table))
        adds_up = sum(e["amountJpy"] for e in told) == call.shortfall_jpy
        self.expect("shares", adds_up, f"{len(told)} MarginCallPassedOn events")
        show.part("Payments come in")
        self.pay(tokyo(DAY2, 11, 45), "member-b")
        self.pay(tokyo(DAY2, 12, 30), "client-b1")
        # Omnibus clients pay their share into their member's omnibus account, each naming itself.
        self.pay(tokyo(DAY2, 13, 5), "client-a1", leaves=CallStatus.PARTIALLY_MET)
        self.pay(tokyo(DAY2, 13, 40), "client-a2", "JGB374")
        show.line("[red]…[/red]", "[bold]member-c[/bold] pays nothing")
        self.clock(tokyo(DAY2, 13, 55), "five minutes before the deadline")
        calls = d.vault.margin_calls(list(self.calls.values()))
        still_open = [f"#{c.id} {d.account_name(c.account)}" for c in calls if c.status.open]
        met = f"checks the calls: {len(calls) - len(still_open)} of {len(calls)} met"
        record("CCP margin engine", met, f"still open: {', '.join(still_open)}")
        self.show_calls("Margin calls at 13:55")
        status = {d.account_name(c.account): c.status for c in calls}
        expected = {k: CallStatus.ISSUED if k == "member-c house" else CallStatus.MET
                    for k in status}  # fmt: skip
        observed = ", ".join(f"{k} {tables.words(s)}" for k, s in status.items())
        self.expect("at_1355", status == expected, observed)

    def pay(
        self, when: datetime, payer: str, symbol: str = "JPY", leaves: CallStatus = CallStatus.MET
    ) -> None:
        """At `when`, `payer` pays the call on the account its positions are in (an omnibus
        client: its share of it) in `symbol`, in lots; the call should be left `leaves`."""
        label = next(account for account, books in BOOKS.items() if payer in books)
        owner, kind = label.split()
        call, share = self.d.vault.margin_call(self.calls[label]), self.shares.get(payer)
        self.clock(when, f"{payer} pays")
        quantity = self.lots(symbol, Decimal(call.shortfall_jpy if share is None else share))
        self.cast[payer].deposit(symbol, quantity)
        status = self.d.vault.margin_call(call.id).status
        into = f"its {kind} account" if owner == payer else f"{owner}'s {kind} account"
        what = f"pays {'its share' if share else f'call #{call.id}'} into {into}"
        paid = f"{self.amount(symbol, quantity)} → call #{call.id} {tables.words(status)}"
        self.timeline.record(payer, what, paid)
        expectation = f"{payer}'s payment leaves call #{call.id} {tables.words(leaves)}"
        self.checks.check(expectation, status is leaves, tables.words(status))

    def the_deadline(self) -> None:
        show, d, record = self.show, self.d, self.timeline.record
        show.step("14:00: the deadline passes, member-c defaults", "The engine marks every unmet "
                  "call past its deadline overdue. The CCP then declares the member behind it in "
                  "default: the register records it, its accounts freeze, and its own collateral "
                  "moves to the CCP's default-management account — one transaction.")  # fmt: skip
        self.clock(tokyo(DAY2, 14, 5), "the deadline has passed")
        self.publish("thursday")
        record("oracle", "refreshes prices for the 14:00 check", "unchanged since 10:50")
        marked = self.engine.mark_overdue()
        said = [describe(e, d) for e in marked.named("MarginCallOverdue")]
        record("CCP margin engine", "marks unmet calls overdue", "; ".join(said))
        house_c, overdue = self.accounts["member-c house"], marked.value.calls
        only_c = [(c.account, c.status) for c in overdue] == [(house_c, CallStatus.OVERDUE)]
        listed = ", ".join(f"#{c.id} {d.account_name(c.account)}" for c in overdue)
        self.expect("overdue", only_c, listed)
        if not only_c:
            return
        (call,) = overdue
        dm = d.vault.default_management_account()
        held, dm_before = d.vault.holdings(house_c), d.vault.holdings(dm)
        self.clock(tokyo(DAY2, 14, 15), "the CCP's default committee")
        default = self.ccp.margin.declare_default(call.id, "missed intraday call")
        record("CCP", f"declares member-c in default over call #{call.id}",
               "register updated, accounts frozen, house collateral seized")  # fmt: skip
        show.events(d, default, "The default transaction: its events, in order")

        seized = {d.asset(e["asset"]): e["amount"] for e in default.named("CollateralSeized")}
        quotes = d.market_data.quotes(seized)
        table = tables.new_table(
            f"What the CCP seized from member-c (the {len(seized)} CollateralSeized events)",
            "asset", ("quantity", "right"), ("market value (JPY)", "right"),
            ("after haircut (JPY)", "right"), "now in",
        )  # fmt: skip
        worth = {a: (market_value(u, quotes[a.symbol]), haircut_value(u, quotes[a.symbol]))
                 for a, u in seized.items()}  # fmt: skip
        for a, units in seized.items():
            table.add_row(a.symbol, tables.number(a.whole(units), a.decimals), *map(jpy, worth[a]),
                          d.account_name(dm))  # fmt: skip
        table.add_section()
        market, counted = (sum(w[i] for w in worth.values()) for i in (0, 1))
        table.add_row("[bold]total[/bold]", "", f"[bold]{jpy(market)}", f"[bold]{jpy(counted)}", "")
        show.table(self.fit(table))
        show.say(f"member-c's positions ({positions_text(BOOKS['member-c house']['member-c'])}) "
                 f"pass to the CCP's default management, with JPY {jpy(counted)} of collateral "
                 f"value against a requirement of {jpy(call.requirement_jpy)}; hedging and "
                 "auctioning them is beyond this demo. Only what member-c had posted is seized: "
                 "the tokens left in its wallet cannot move either, now that the register says "
                 "it is in default.")  # fmt: skip

        status, now = d.participant("member-c").status, d.vault.margin_call(call.id).status
        closed = status is Status.DEFAULTED and now is CallStatus.DEFAULT_DECLARED
        observed = f"{tables.words(status)}, call #{call.id} {tables.words(now)}"
        self.expect("defaulted", closed, observed)
        taken = {a.symbol: a.whole(u) for a, u in seized.items()}
        left, frozen = d.vault.holdings(house_c), d.vault.account(house_c).frozen
        self.expect("seized", frozen and taken == held and not left,
                    ", ".join(self.amount(s, q) for s, q in taken.items()))  # fmt: skip
        dm_after = d.vault.holdings(dm)
        received = {s: q - dm_before.get(s, 0) for s, q in dm_after.items()
                    if q != dm_before.get(s)}  # fmt: skip
        holds = ", ".join(self.amount(s, q) for s, q in dm_after.items())
        self.expect("received", received == taken, f"holds {holds}")
        title = "The register after the default"
        show.table(tables.participants_table(d, title=title, narrow=show.narrow))
        self.show_accounts("Collateral accounts after the default")

    def close_the_books(self) -> bool:
        show, d, chain = self.show, self.d, self.d.chain
        show.step("Reconciliation", "The vault's books must agree with the engine's run and with "
                  "pyclient's own valuation, with the tokens the vault holds, and, for the omnibus "
                  "account, with member-a's beneficial-owner sub-ledger; every token with the "
                  "register.")  # fmt: skip
        posted = {a: int(r.total) for a, r in self.engine.last_results.items()}
        controls = [("(a)", reconcile.requirements_against(d, posted)),
                    ("(a)", reconcile.values_against_model(d)),
                    ("(b)", reconcile.vault_against_accounts(d)),
                    ("(c)", reconcile.omnibus_sub_ledgers(d)),
                    ("", reconcile.supply_against_register(d))]  # fmt: skip
        for letter, control in controls:
            title = f"{letter} {control.title}".strip()
            show.table(self.fit(tables.check_table(control, title=title)))
            if control.name == "omnibus":
                held = d.vault.holdings(self.accounts["member-a omnibus"])
                ledger = self.cast["member-a"].sub_ledger()
                sub = tables.sub_ledger_table(d, ledger, held, title="(c) member-a's sub-ledger")
                show.table(sub)
            compared = f"{len(control.lines)} compared, {len(control.breaks)} breaks"
            self.checks.check(f"reconciled: {title}", control.ok, compared)
        show.table(self.checks.table())
        gas = tables.gas_table(chain.gas_log, title="Gas by operation, whole demo", fold=SET_UP)
        show.table(self.fit(gas))
        show.say(f"[dim]The one vault.issueMarginCalls transaction issued {len(self.calls)} calls "
                 "and ran member-a's standing instruction; vault.deposit includes the omnibus "
                 "deposits that name a client.[/dim]")  # fmt: skip
        calls, failed = len(d.vault.margin_calls()), self.checks.failed
        return show.verdict(not failed, "Every expected outcome held and the books reconcile:",
                            f"{calls} margin calls, {len(chain.gas_log)} transactions.",
                            f"{failed} expected outcome(s) did not hold.")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
