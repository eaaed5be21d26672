"""Kabuto margin-call demo: a price shock, intraday calls, a client cascade and a default.

The story, told on an embedded EVM chain in well under a minute, on the Tokyo clock:

1. Wednesday 25 November 2026, 09:00: the clearing house (CCP) deploys the suite;
2. it admits a token issuer, three clearing members (member-a, -b, -c), a segregated client of
   member-b (client-b1) and two clients in member-a's omnibus account (client-a1, client-a2);
   the issuer tokenizes their cash and securities, the oracle publishes prices, FX rates and
   risk parameters, and the CCP opens their collateral accounts in the vault;
3. Wednesday end of day: the margin engine values every account's futures positions against
   260 days of price history and posts the initial-margin requirements in one transaction;
   members and clients post collateral, and member-a leaves a standing instruction;
4. Thursday 10:50: equities and JGBs sell off; the 11:00 intraday run posts higher requirements
   and calls every short account in one transaction, due 14:00. member-a's call is met by its
   standing instruction inside that same transaction;
5. before 14:00 member-b pays, client-b1 pays its own segregated call, and member-a passes its
   omnibus call on to client-a1 and client-a2, who pay their shares; member-c does nothing;
6. after 14:00 member-c's call is overdue; the CCP declares member-c in default: the register
   says so, its accounts freeze and its collateral moves to the CCP's default-management account;
7. the two days on one page: a timeline of every step with its gas;
8. reconciliation: each account on chain against the engine's view, the vault's token balances
   against every account's holdings, and the omnibus sub-ledger against the omnibus holdings.

Price histories are synthetic but deterministic (Decimal arithmetic from a fixed seed), so every
run tells the same story with the same figures. Run with
`.venv/bin/python scripts/demo_margin_calls.py`; exits 0 when every expected outcome held and
the books reconcile, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from itertools import pairwise

from demo_util import (
    Outcomes,
    Show,
    Timeline,
    amount_text,
    balances_table,
    gas_summary_table,
    new_table,
    participants_table,
    receipt_of_last,
    reconciliation_table,
    short,
    words,
)
from eth_account.signers.local import LocalAccount
from rich.table import Table
from web3.logs import DISCARD

from pyclient import (
    AccountKind,
    AccountType,
    CallStatus,
    CallType,
    Ccp,
    Chain,
    ClearingMember,
    Client,
    Deployment,
    Kind,
    MarginCall,
    MarginEngine,
    Oracle,
    Portfolio,
    Position,
    RiskParameters,
    Status,
    TokenIssuer,
    deploy,
    errors,
)
from pyclient.chain import devnet
from pyclient.chain.client import Receipt
from pyclient.collateral import split_account_id
from pyclient.margin import (
    ADD_ON_CAPITAL_THRESHOLD,
    TOKYO,
    MarginResult,
    from_unix,
    initial_margin,
    is_business_day,
    next_business_day,
    to_unix,
)
from pyclient.units import from_bytes32

DAY1 = date(2026, 11, 25)  # a Wednesday
DAY2 = next_business_day(DAY1)
HISTORY_DAYS = 260
SEED = "kabuto-36"  # picked for a plausible year: a Nikkei rally, JGBs drifting lower


def tokyo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


def hhmm(moment: datetime) -> str:
    return f"{moment.astimezone(TOKYO):%a %H:%M}"


def jpy(value: Decimal | int) -> str:
    return f"{Decimal(value):,.0f}"


def ceil_to(value: Decimal, step: int) -> int:
    """`value` rounded up to a multiple of `step`."""
    return int((value / step).to_integral_value(ROUND_CEILING)) * step


# ====================================================================== market


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

    def closes(self, days: int) -> list[Decimal]:
        """Daily closes in points, oldest first: a seeded random walk with occasional jumps.

        Each day's move is a standardised Irwin-Hall(4) draw from SHA-256 of the seed, the
        contract and the day (about 3% of days three times as large), all in Decimal.
        """
        sqrt3 = Decimal(3).sqrt()
        price, out = self.first_close, []
        for i in range(days):
            digest = hashlib.sha256(f"{SEED}:{self.code}:{i}".encode()).digest()
            draw = sum(int.from_bytes(digest[2 * k : 2 * k + 2], "big") for k in range(4))
            z = (Decimal(draw) - 2 * 65_535) / 65_535 * sqrt3
            if digest[8] < 8:
                z *= 3
            price = self.quantize(price * (1 + self.drift + self.daily_vol * z))
            out.append(price)
        return out

    def jpy(self, points: Decimal) -> Decimal:
        return points * self.multiplier

    def fmt(self, points: Decimal) -> str:
        decimals = max(0, -int(self.tick.as_tuple().exponent))
        return f"{points:,.{decimals}f}"


FUTURES = {
    f.code: f
    for f in (
        Future("JGB-FUT", "10-year JGB futures", 1_000_000, Decimal("0.01"), Decimal("137.10"),
               Decimal("0.0028"), Decimal("-0.0001"), Decimal("-0.05"), Decimal("-0.008")),
        Future("NK225-FUT", "Nikkei 225 futures", 1_000, Decimal(10), Decimal(36_800),
               Decimal("0.013"), Decimal("0.0002"), Decimal(60), Decimal("-0.07")),
    )
}  # fmt: skip

# Collateral: price per whole token in its own currency, FX to JPY, risk parameters.
PRICES_WED = {"JPY": 1, "USD": 1, "JGB374": 49_250, "TYO7203": 3_000, "SPY": 600}
FX_WED = {"USD": Decimal(150)}
PRICES_THU = {"JPY": 1, "USD": 1, "JGB374": 48_950, "TYO7203": 2_790, "SPY": 585}
FX_THU = {"USD": Decimal("148.50")}
RISK = {
    "JPY": RiskParameters(0),
    "USD": RiskParameters(200),
    "JGB374": RiskParameters(100),
    "TYO7203": RiskParameters(3_000, concentration_bps=4_000),
    "SPY": RiskParameters(1_000, eligible_for=frozenset()),
}

# Who holds what before the story starts: tokens minted against deposits at the custodian.
OPENING = [
    ("member-a", "JPY", 1_000_000_000), ("member-a", "JGB374", 10_000),
    ("member-a", "USD", "1000000.00"),
    ("member-b", "JPY", 800_000_000), ("member-b", "TYO7203", 100_000),
    ("member-c", "JPY", 300_000_000), ("member-c", "USD", "500000.00"),
    ("member-c", "JGB374", 2_000),
    ("client-b1", "JPY", 200_000_000), ("client-b1", "TYO7203", 20_000),
    ("client-a1", "JPY", 150_000_000),
    ("client-a2", "JPY", 30_000_000), ("client-a2", "JGB374", 2_000),
]  # fmt: skip

# Cleared positions (contracts, + long / − short). The omnibus book is two clients' positions,
# which only member-a sees apart; the CCP margins their total.
BOOKS: dict[str, list[Position]] = {
    "member-a house": [Position("NK225-FUT", 40), Position("JGB-FUT", -20)],
    "client-a1": [Position("NK225-FUT", 12)],
    "client-a2": [Position("JGB-FUT", 15)],
    "member-b house": [Position("NK225-FUT", 25), Position("JGB-FUT", 10)],
    "client-b1 segregated": [Position("NK225-FUT", 8)],
    "member-c house": [Position("NK225-FUT", 30)],
}
NET_CAPITAL = {"member-a": 120_000_000_000, "member-b": 1_500_000_000, "member-c": 800_000_000}

# Wednesday's collateral: a mix per account, sized to the requirement plus a buffer.
BUFFER = Decimal("1.10")
STEP = {"JPY": 1_000_000, "USD": 1_000, "JGB374": 10, "TYO7203": 100}
MIX = {
    "member-a house": [("JPY", "0.5"), ("JGB374", "0.5")],
    "member-b house": [("JPY", "0.65"), ("TYO7203", "0.35")],
    "client-b1 segregated": [("JPY", "0.65"), ("TYO7203", "0.35")],
    "member-c house": [("JPY", "0.5"), ("USD", "0.2"), ("JGB374", "0.3")],
}
STANDING_INSTRUCTION = [("JPY", 30_000_000), ("JGB374", 3_000)]


def unit_value(symbol: str, prices: Mapping[str, int], fx: Mapping[str, Decimal]) -> Decimal:
    """JPY counted for one whole token after its haircut (before any concentration limit)."""
    rate = fx.get("USD", Decimal(1)) if symbol in ("USD", "SPY") else Decimal(1)
    return Decimal(prices[symbol]) * rate * (1 - Decimal(RISK[symbol].haircut_bps) / 10_000)


def quantity_for(
    symbol: str, value: Decimal, prices: Mapping[str, int], fx: Mapping[str, Decimal]
) -> int:
    """Whole tokens of `symbol` counting for at least `value` JPY, rounded up to a round lot."""
    return ceil_to(value / unit_value(symbol, prices, fx), STEP[symbol])


def market_value(
    holdings: Mapping[str, Decimal], prices: Mapping[str, int], fx: Mapping[str, Decimal]
) -> Decimal:
    total = Decimal(0)
    for symbol, qty in holdings.items():
        rate = fx.get("USD", Decimal(1)) if symbol in ("USD", "SPY") else Decimal(1)
        total += qty * Decimal(prices[symbol]) * rate
    return total


def history_dates(last: date, n: int) -> list[date]:
    """The `n` business days ending on `last`, oldest first."""
    out: list[date] = []
    day = last
    while len(out) < n:
        if is_business_day(day):
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


def daily_vol(points: Sequence[Decimal]) -> Decimal:
    returns = [b / a - 1 for a, b in pairwise(points)]
    mean = sum(returns, Decimal(0)) / len(returns)
    return (sum(((r - mean) ** 2 for r in returns), Decimal(0)) / (len(returns) - 1)).sqrt()


# ====================================================================== the cast and its accounts


@dataclass
class World:
    """Everything the story needs: the chain, the cast, their accounts and what happened."""

    show: Show
    chain: Chain
    d: Deployment
    keys: list[LocalAccount]
    ccp: Ccp
    oracle: Oracle
    issuer: TokenIssuer
    members: dict[str, ClearingMember]
    clients: dict[str, Client]
    timeline: Timeline
    market: Market
    engine: MarginEngine
    outcomes: Outcomes = field(default_factory=Outcomes)
    accounts: dict[str, int] = field(default_factory=dict)  # label -> vault account id
    prices: dict[str, int] = field(default_factory=lambda: dict(PRICES_WED))
    fx: dict[str, Decimal] = field(default_factory=lambda: dict(FX_WED))
    names: dict[str, str] = field(default_factory=dict)  # address -> participant name
    day1: dict[int, MarginResult] = field(default_factory=dict)  # Wednesday's margin run
    thu: dict[int, MarginResult] = field(default_factory=dict)  # Thursday's intraday run
    shocked: dict[str, Decimal] = field(default_factory=dict)  # futures at 10:50, in points
    calls: dict[str, int] = field(default_factory=dict)  # account label -> intraday call id

    def label(self, account: int) -> str:
        owner, kind = split_account_id(account)
        if kind is AccountKind.DEFAULT_MANAGEMENT:
            return "CCP default management"
        return f"{self.names.get(owner, short(owner))} {kind.name.lower()}"

    def record(self, actor: str, event: str, detail: str = "") -> None:
        self.timeline.record(actor, event, detail)

    def clock(self, moment: datetime, why: str) -> None:
        """Move the chain's clock forward to `moment` (it never goes back)."""
        now = self.d.chain_time()
        target = to_unix(moment)
        if target <= now:
            raise errors.InputError(
                f"the chain clock is at {from_unix(now):%Y-%m-%d %H:%M:%S}; it cannot go back "
                f"to {moment:%Y-%m-%d %H:%M:%S}"
            )
        devnet.set_next_timestamp(self.chain, target)
        self.timeline.skip()
        self.show.line("[cyan]◷[/cyan]", f"[bold]{moment:%a %d %b %Y, %H:%M}[/bold] Tokyo · {why}")

    def holdings(self, account: int) -> dict[str, Decimal]:
        return self.d.collateral_holdings(account)

    def value(self, account: int) -> int:
        return self.d.call(self.d.vault.functions.collateralValue(account))

    def requirement(self, account: int) -> int:
        return self.d.call(self.d.vault.functions.account(account))[3]


def fit(show: Show, table: Table, drop: Iterable[str] = ()) -> Table:
    """`table` for this console: on a narrow one without the `drop` columns, its labels free to
    wrap; and a figure that does not fit folds onto the next line rather than being cut short."""
    if show.narrow:
        table.columns = [c for c in table.columns if str(c.header) not in set(drop)]
        for column in table.columns:
            column.no_wrap = False
    for column in table.columns:
        column.overflow = "fold"
    return table


def holdings_text(holdings: Mapping[str, Decimal], d: Deployment) -> str:
    if not holdings:
        return "[dim]–[/dim]"
    return "\n".join(
        f"{symbol} {amount_text(d.asset(symbol).decimals, qty)}" for symbol, qty in holdings.items()
    )


def positions_text(positions: Iterable[Position]) -> str:
    return ", ".join(f"{p.quantity:+,} {p.instrument}" for p in positions)


def merged(positions: Iterable[Position]) -> list[Position]:
    """Positions netted per instrument: what the CCP sees of an omnibus account."""
    total: dict[str, int] = {}
    for p in positions:
        total[p.instrument] = total.get(p.instrument, 0) + p.quantity
    return [Position(i, q) for i, q in total.items() if q]


# ====================================================================== main


def main() -> int:
    show = Show()
    show.banner(
        "Kabuto · margin calls under stress",
        "A price shock, intraday margin calls, a standing instruction, a client cascade and a "
        "default,\non one EVM ledger, on the Tokyo clock",
    )
    chain: Chain | None = None
    try:
        chain = Chain.connect()
        w = open_the_ledger(show, chain)
        admit_and_fund(w)
        wednesday_end_of_day(w)
        thursday_shock(w)
        meet_the_calls(w)
        the_deadline(w)
        show_timeline(w)
        reconcile(w)
    except errors.KabutoError as exc:
        show.console.print(f"\n[bold red]demo stopped: {type(exc).__name__}[/bold red]: {exc}")
        return 1
    finally:
        if chain is not None:
            chain.close()
    if not w.outcomes.all_held:
        failed = sum(1 for _, ok, _ in w.outcomes.rows if not ok)
        show.console.print(
            f"[bold red]✗ {failed} expected outcome(s) did not hold: see above.[/bold red]"
        )
        return 1
    show.console.print(f"[dim]chain stopped · demo ran in {show.elapsed():.1f} s[/dim]")
    return 0


# ---------------------------------------------------------------------- step 1


def open_the_ledger(show: Show, chain: Chain) -> World:
    show.step(
        "Wednesday morning: the ledger opens",
        "The clearing house runs a private EVM chain (here an embedded Anvil node). Every "
        "deadline in this story is judged by the chain's own clock, which we set to Tokyo time.",
    )
    keys = chain.dev_accounts(10)
    start = tokyo(DAY1, 9)
    devnet.set_next_timestamp(chain, to_unix(start))
    show.line(
        "[cyan]◷[/cyan]",
        f"[bold]{start:%a %d %b %Y, %H:%M}[/bold] Tokyo · the chain's clock is set",
    )
    show.say(
        f"CCP operator {short(keys[0].address)} deploys the suite; it also runs the oracle and "
        f"the margin engine. The token issuer {short(keys[1].address)} alone may mint."
    )
    with show.console.status("deploying…"):
        d = deploy(
            chain, keys[0], issuer=keys[1].address, progress=lambda m: show.say(f"[dim]· {m}[/dim]")
        )
    ccp = Ccp(d, keys[0])  # the operator kept MARGIN_ENGINE_ROLE and ORACLE_ROLE
    w = World(
        show=show,
        chain=chain,
        d=d,
        keys=keys,
        ccp=ccp,
        oracle=Oracle(d, keys[0]),
        issuer=TokenIssuer(d, keys[1]),
        members={
            name: ClearingMember(d, keys[i])
            for name, i in (("member-a", 2), ("member-b", 3), ("member-c", 4))
        },
        clients={
            name: Client(d, keys[i])
            for name, i in (("client-b1", 5), ("client-a1", 6), ("client-a2", 7))
        },
        timeline=Timeline(show, chain, TOKYO),
        market=build_market(),
        engine=MarginEngine(ccp),
    )
    w.record(
        "CCP",
        "deploys the suite",
        f"register, market data, collateral vault and {len(d.assets)} asset tokens",
    )
    return w


# ---------------------------------------------------------------------- step 2


def admit_and_fund(w: World) -> None:
    show, d, ccp = w.show, w.d, w.ccp
    show.step(
        "Participants, tokens, market data and collateral accounts",
        "The CCP admits everyone to its register. member-b's client client-b1 is segregated: the "
        "CCP sees it by name. client-a1 and client-a2 sit in member-a's omnibus account: the CCP "
        "sees one total, member-a keeps the split.",
    )
    ccp.admit(w.issuer.address, Kind.TOKEN_ISSUER, "token-issuer")
    for name, member in w.members.items():
        ccp.admit_member(member.address, name)
    ccp.admit_client(
        w.clients["client-b1"].address, "client-b1", "member-b", AccountType.SEGREGATED
    )
    for name in ("client-a1", "client-a2"):
        ccp.admit_client(w.clients[name].address, name, "member-a", AccountType.OMNIBUS)
    w.names = {p.address: p.name for p in d.participants()}
    w.record("CCP", "admits 7 participants", "issuer, 3 members, 1 segregated, 2 omnibus clients")
    show.table(participants_table(d, title="The register", narrow=show.narrow))

    for holder, symbol, amount in OPENING:
        w.issuer.issue(symbol, holder, amount, ref=f"OPEN-{holder}-{symbol}")
    w.record("token issuer", "tokenizes cash and securities", f"{len(OPENING)} deposits minted")

    w.oracle.publish_fx_rates(FX_WED)
    w.oracle.publish_prices(PRICES_WED)
    w.oracle.set_risk_parameters(RISK)
    w.record("oracle", "publishes prices, USD/JPY and risk parameters")
    show.table(market_data_table(w, "Collateral market data on chain"))

    w.accounts["member-a house"] = ccp.open_account("member-a", AccountKind.HOUSE)
    w.accounts["member-a omnibus"] = ccp.open_account("member-a", AccountKind.OMNIBUS)
    w.accounts["member-b house"] = ccp.open_account("member-b", AccountKind.HOUSE)
    w.accounts["client-b1 segregated"] = ccp.open_account("client-b1", AccountKind.SEGREGATED)
    w.accounts["member-c house"] = ccp.open_account("member-c", AccountKind.HOUSE)
    w.record(
        "CCP",
        "opens 5 collateral accounts in the vault",
        "a house account per member, member-a's omnibus, client-b1's segregated account",
    )
    table, _ = balances_table(d, "Wallets before any collateral is posted")
    show.table(fit(show, table))


def market_data_table(w: World, title: str, before: Mapping[str, int] | None = None) -> Table:
    md = w.d.market_data.functions
    columns: list[str | tuple[str, str]] = ["asset", ("price", "right"), "ccy"]
    if before is not None:
        columns.append(("change", "right"))
    columns += [("JPY per token", "right"), ("haircut", "right"), ("conc. limit", "right"),
                "eligible as margin"]  # fmt: skip
    table = new_table(title, *columns)
    for a in w.d.assets.values():
        params = RiskParameters.from_chain(md.riskParameters(a.address).call())
        price = Decimal(w.prices[a.symbol])
        rate = w.fx["USD"] if a.spec.currency == "USD" else Decimal(1)
        row = [f"[bold]{a.symbol}[/bold]", f"{price:,}", a.spec.currency]
        if before is not None:
            old = Decimal(before[a.symbol])
            row.append(_change(old, price))
        eligible = "[green]yes[/green]" if params.eligible_for else "[red]no[/red]"
        conc = "–" if params.concentration_bps == 10_000 else f"{params.concentration_bps / 100:g}%"
        row += [f"{price * rate:,.2f}", f"{params.haircut_bps / 100:g}%", conc, eligible]
        table.add_row(*row)
    table.caption = (
        f"USD/JPY {w.fx['USD']}; JGB374 per token of 50,000 face; collateral value = JPY value "
        "less haircut, capped at the concentration limit"
    )
    return fit(w.show, table, ("ccy", "conc. limit", "eligible as margin"))


def _change(old: Decimal, new: Decimal) -> str:
    if old == new:
        return "[dim]–[/dim]"
    pct = (new / old - 1) * 100
    colour = "red" if pct < 0 else "green"
    return f"[{colour}]{pct:+.1f}%[/{colour}]"


# ---------------------------------------------------------------------- step 3


@dataclass
class Market:
    """The futures market as the margin engine sees it: histories in JPY per contract."""

    dates: list[date]
    points: dict[str, list[Decimal]]
    traded: dict[str, Decimal]  # JPY per contract

    def history(self, extra: Mapping[str, Decimal] | None = None) -> dict[str, list[Decimal]]:
        out = {c: [FUTURES[c].jpy(p) for p in pts] for c, pts in self.points.items()}
        for code, points in (extra or {}).items():
            out[code].append(FUTURES[code].jpy(points))
        return out

    def close(self, code: str) -> Decimal:
        return self.points[code][-1]


def build_market() -> Market:
    dates = history_dates(DAY1, HISTORY_DAYS)
    points = {code: f.closes(HISTORY_DAYS) for code, f in FUTURES.items()}
    traded = {code: f.jpy(points[code][-1] + f.traded_vs_close) for code, f in FUTURES.items()}
    return Market(dates, points, traded)


def portfolios(w: World, traded: Mapping[str, Decimal]) -> list[Portfolio]:
    capital = NET_CAPITAL
    return [
        Portfolio(w.accounts["member-a house"], BOOKS["member-a house"], traded,
                  capital["member-a"]),
        Portfolio(w.accounts["member-a omnibus"],
                  merged(BOOKS["client-a1"] + BOOKS["client-a2"]), traded, capital["member-a"]),
        Portfolio(w.accounts["member-b house"], BOOKS["member-b house"], traded,
                  capital["member-b"]),
        Portfolio(w.accounts["client-b1 segregated"], BOOKS["client-b1 segregated"], traded,
                  capital["member-b"]),
        Portfolio(w.accounts["member-c house"], BOOKS["member-c house"], traded,
                  capital["member-c"]),
    ]  # fmt: skip


def wednesday_end_of_day(w: World) -> None:
    show, d = w.show, w.d
    show.step(
        "Wednesday end of day: initial margin",
        "The members cleared futures today. After the close the CCP's margin engine values each "
        "account: mark-to-market loss since trade + estimated loss (historical expected "
        "shortfall, 99%, 2-day) + an add-on for members with under JPY 2bn of net capital.",
    )
    market = w.market
    show.table(fit(show, history_table(market), ("JPY per point", "first close", "low", "high")))
    show.table(positions_table(w, market))

    w.clock(tokyo(DAY1, 16, 30), "after the close")
    w.oracle.publish_fx_rates(FX_WED)
    w.oracle.publish_prices(PRICES_WED)
    w.record("oracle", "publishes closing prices", "collateral unchanged since the morning")
    engine = w.engine
    books = portfolios(w, market.traded)
    results = engine.run(
        books,
        current_prices={c: FUTURES[c].jpy(market.close(c)) for c in FUTURES},
        history=market.history(),
        run_id="2026-11-25 EOD",
    )
    w.record("CCP margin engine", "posts 5 requirements in one transaction", "run 2026-11-25 EOD")
    w.day1 = results
    show.table(margin_table(w, results, "Initial margin, Wednesday end of day (JPY)"))
    posted = {s.account.id: s.requirement_jpy for s in engine.states()}
    w.outcomes.check(
        "the requirements on chain are the ones the engine computed",
        all(posted[a] == int(r.total) for a, r in results.items()),
        f"{len(results)} accounts, JPY {jpy(sum(r.total for r in results.values()))} in all",
    )

    show.part("Members and clients post collateral", "each sized to its requirement plus 10%")
    post_initial_collateral(w, results)

    w.clock(tokyo(DAY1, 17, 30), "member-a's treasury")
    a = w.members["member-a"]
    a.set_standing_instruction(STANDING_INSTRUCTION)
    caps = ", then ".join(
        f"{symbol} up to {amount_text(d.asset(symbol).decimals, Decimal(cap))}"
        for symbol, cap in STANDING_INSTRUCTION
    )
    w.record("member-a", "leaves a standing instruction on its house account", f"pull {caps}")
    show.say(
        "[italic]The vault may now pull that collateral from member-a's wallet the moment a call "
        "is issued (member-a approved it on both tokens).[/italic]"
    )

    w.clock(tokyo(DAY1, 17, 45), "end-of-day check")
    calls = engine.issue_calls(CallType.REGULAR)
    w.record("CCP margin engine", "checks every account: none is short, no regular call")
    w.outcomes.check(
        "Wednesday: every account covered, no margin call", calls == [], f"{len(calls)} calls"
    )
    show.table(accounts_table(w, "Collateral accounts, Wednesday evening"))


def post_initial_collateral(w: World, results: Mapping[int, MarginResult]) -> None:
    prices, fx, d = w.prices, w.fx, w.d
    times = iter(range(40, 90, 5))
    for label, member_or_client in (
        ("member-a house", w.members["member-a"]),
        ("member-b house", w.members["member-b"]),
        ("client-b1 segregated", w.clients["client-b1"]),
        ("member-c house", w.members["member-c"]),
    ):
        w.clock(tokyo(DAY1, 16, next(times)), f"{label.split()[0]} posts")
        requirement = Decimal(results[w.accounts[label]].total) * BUFFER
        paid = []
        for symbol, share in MIX[label]:
            qty = quantity_for(symbol, requirement * Decimal(share), prices, fx)
            member_or_client.deposit(symbol, qty)
            paid.append(f"{symbol} {amount_text(d.asset(symbol).decimals, Decimal(qty))}")
        owner = label.split()[0]
        w.record(
            owner, f"posts initial margin into its {label.split()[1]} account", " + ".join(paid)
        )

    # The omnibus requirement is one figure; member-a splits it by each client's own margin.
    omnibus = w.accounts["member-a omnibus"]
    market = w.market
    own = client_margins(
        market.traded, {c: FUTURES[c].jpy(market.close(c)) for c in FUTURES}, market.history()
    )
    shares = split(Decimal(results[omnibus].total) * BUFFER, own)
    w.clock(tokyo(DAY1, 17, 5), "omnibus clients")
    qty = ceil_to(shares["client-a1"], STEP["JPY"])
    w.clients["client-a1"].deposit("JPY", qty)
    w.record("client-a1", "pays its share into member-a's omnibus account", f"JPY {qty:,}")
    qty = ceil_to(shares["client-a2"], STEP["JPY"])
    w.members["member-a"].deposit_for("client-a2", "JPY", qty)
    w.record("member-a", "posts client-a2's share into its omnibus account", f"JPY {qty:,}")


def client_margins(
    traded: Mapping[str, Decimal],
    current: Mapping[str, Decimal],
    history: Mapping[str, Sequence[Decimal]],
) -> dict[str, Decimal]:
    """Each omnibus client's stand-alone margin: member-a's own view, with the public model."""
    return {
        c: initial_margin(
            BOOKS[c],
            trade_prices=traded,
            current_prices=current,
            history=history,
            net_capital=NET_CAPITAL["member-a"],
        ).total
        for c in ("client-a1", "client-a2")
    }


def split(total: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """`total` shared pro rata to `weights`, in whole yen, the last share taking the rounding."""
    names = list(weights)
    out = {n: Decimal(ceil_to(total * weights[n] / sum(weights.values()), 1)) for n in names[:-1]}
    out[names[-1]] = total - sum(out.values(), Decimal(0))
    return out


def history_table(market: Market) -> Table:
    table = new_table(
        f"Price history fed to the engine: {len(market.dates)} business days, "
        f"{market.dates[0]:%d %b %Y} – {market.dates[-1]:%d %b %Y}",
        "contract", "JPY per point", ("first close", "right"), ("low", "right"), ("high", "right"),
        ("Wed close", "right"), ("daily σ", "right"), ("JPY / contract", "right"),
    )  # fmt: skip
    for code, f in FUTURES.items():
        pts = market.points[code]
        table.add_row(
            f"[bold]{code}[/bold]\n[dim]{f.name}[/dim]",
            f"{f.multiplier:,}",
            f.fmt(pts[0]),
            f.fmt(min(pts)),
            f.fmt(max(pts)),
            f.fmt(pts[-1]),
            f"{daily_vol(pts) * 100:.2f}%",
            jpy(f.jpy(pts[-1])),
        )
    table.caption = "synthetic, deterministic closes (seeded, Decimal arithmetic)"
    return table


def positions_table(w: World, market: Market) -> Table:
    table = new_table(
        "Cleared positions (contracts)",
        "account", "whose", "positions", ("notional (JPY)", "right"),
        ("member net capital", "right"),
    )  # fmt: skip
    rows = [
        ("member-a house", "member-a", BOOKS["member-a house"]),
        ("member-a omnibus", "client-a1", BOOKS["client-a1"]),
        ("", "client-a2", BOOKS["client-a2"]),
        ("member-b house", "member-b", BOOKS["member-b house"]),
        ("client-b1 segregated", "client-b1", BOOKS["client-b1 segregated"]),
        ("member-c house", "member-c", BOOKS["member-c house"]),
    ]
    member_of = {"client-a1": "member-a", "client-a2": "member-a", "client-b1": "member-b"}
    for account, whose, positions in rows:
        notional = sum(
            abs(p.quantity) * FUTURES[p.instrument].jpy(market.close(p.instrument))
            for p in positions
        )
        member = member_of.get(whose, whose)
        capital = Decimal(NET_CAPITAL[member])
        add_on = " [yellow](add-on)[/yellow]" if capital < ADD_ON_CAPITAL_THRESHOLD else ""
        table.add_row(
            f"[bold]{account}[/bold]", whose, positions_text(positions), jpy(notional),
            f"{capital / 10**9:,.1f}bn{add_on}",
        )  # fmt: skip
    traded = ", ".join(
        f"{code} {f.fmt(market.traded[code] / f.multiplier)}" for code, f in FUTURES.items()
    )
    table.caption = f"traded today at {traded}; the CCP sees the omnibus account only as its total"
    return fit(w.show, table, ("member net capital",))


def margin_table(
    w: World,
    results: Mapping[int, MarginResult],
    title: str,
    before: Mapping[int, MarginResult] | None = None,
) -> Table:
    columns: list[str | tuple[str, str]] = [
        "account", ("MTM loss", "right"), ("estimated loss\n(ES 99%, 2-day)", "right"),
        ("add-on", "right"),
        ("requirement", "right"),
    ]  # fmt: skip
    if before is not None:
        columns += [("Wed EOD", "right"), ("change", "right")]
    table = new_table(title, *columns)
    for account, r in results.items():
        row = [
            f"[bold]{w.label(account)}[/bold]",
            jpy(r.mtm_loss) if r.mtm_loss else "[dim]0[/dim]",
            jpy(r.estimated_loss),
            jpy(r.add_on) if r.add_on else "[dim]0[/dim]",
            f"[bold]{jpy(r.total)}[/bold]",
        ]
        if before is not None:
            old = before[account].total
            row += [jpy(old), f"[red]+{jpy(r.total - old)}[/red]" if r.total > old else "–"]
        table.add_row(*row)
    total = sum((r.total for r in results.values()), Decimal(0))
    table.add_section()
    tail = [jpy(sum(b.total for b in before.values())), ""] if before is not None else []
    table.add_row("[bold]total[/bold]", "", "", "", f"[bold]{jpy(total)}[/bold]", *tail)
    table.caption = "ES: historical-simulation expected shortfall over the last 250 closes"
    return fit(w.show, table, ("Wed EOD", "change"))


def accounts_table(w: World, title: str) -> Table:
    engine = w.engine
    table = new_table(
        title, "account", "collateral held", ("collateral value", "right"),
        ("requirement", "right"), ("excess / shortfall", "right"), "state",
    )  # fmt: skip
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for state in engine.states():
        acct = state.account
        held = w.holdings(acct.id)
        value = w.value(acct.id)
        gap = value - acct.requirement_jpy
        gap_text = (
            f"[green]+{jpy(gap)}[/green]" if gap >= 0 else f"[bold red]−{jpy(-gap)}[/bold red]"
        )
        if acct.frozen:
            state_text = "[red]frozen[/red]"
        elif acct.open_call:
            call = w.d.margin_call(acct.open_call)
            state_text = f"call #{call.id}: {call_status_text(call.status)}"
        else:
            state_text = "[green]covered[/green]" if gap >= 0 else "[red]short[/red]"
        table.add_row(
            f"[bold]{w.label(acct.id)}[/bold]",
            holdings_text(held, w.d),
            jpy(value),
            jpy(acct.requirement_jpy),
            gap_text,
            state_text,
        )
    table.caption = "collateral value: JPY value after haircuts and concentration limits, on chain"
    return fit(w.show, table, ("collateral held",))


def call_status_text(status: CallStatus) -> str:
    style = {
        CallStatus.ISSUED: "yellow",
        CallStatus.PARTIALLY_MET: "yellow",
        CallStatus.MET: "green",
        CallStatus.OVERDUE: "bold red",
        CallStatus.DEFAULT_DECLARED: "bold red",
    }.get(status, "white")
    return f"[{style}]{words(status)}[/{style}]"


# ---------------------------------------------------------------------- step 4


def thursday_shock(w: World) -> None:
    show, d = w.show, w.d
    engine = w.engine
    market = w.market
    show.step(
        "Thursday morning: a price shock",
        "A risk-off morning: Japanese equities fall 7%, JGB futures 0.8%, the yen firms. The "
        "oracle republishes collateral prices; the 11:00 intraday run reprices every account.",
    )
    w.clock(tokyo(DAY2, 10, 50), "the oracle's intraday snapshot")
    before_prices = dict(w.prices)
    w.prices, w.fx = dict(PRICES_THU), dict(FX_THU)
    w.oracle.publish_fx_rates(FX_THU)
    w.oracle.publish_prices(PRICES_THU)
    w.record("oracle", "publishes intraday prices", "TYO7203 −7%, JGB374 −0.6%, USD/JPY 148.50")
    show.table(market_data_table(w, "Collateral prices at 10:50 (vs Wednesday)", before_prices))

    shocked = {c: f.quantize(market.close(c) * (1 + f.shock)) for c, f in FUTURES.items()}
    move = new_table(
        "Futures at 10:50 (vs Wednesday close)",
        "contract", ("Wed close", "right"), ("Thu 10:50", "right"), ("change", "right"),
        ("JPY / contract", "right"),
    )  # fmt: skip
    for code, f in FUTURES.items():
        move.add_row(
            f"[bold]{code}[/bold]", f.fmt(market.close(code)), f.fmt(shocked[code]),
            _change(market.close(code), shocked[code]), jpy(f.jpy(shocked[code])),
        )  # fmt: skip
    show.table(fit(show, move))
    w.shocked = shocked

    w.clock(tokyo(DAY2, 10, 55), "the intraday margin run")
    current = {c: FUTURES[c].jpy(p) for c, p in shocked.items()}
    results = engine.run(
        portfolios(w, market.traded),
        current_prices=current,
        history=market.history(shocked),
        run_id="2026-11-26 11:00 intraday",
    )
    computed_at = from_unix(d.chain_time())
    w.record(
        "CCP margin engine",
        "posts the intraday requirements in one transaction",
        "history extended by the 10:50 prices",
    )
    w.thu = results
    show.table(margin_table(w, results, "Initial margin, Thursday intraday (JPY)", before=w.day1))
    w.outcomes.check(
        "the shock raises every account's requirement",
        all(results[a].total > w.day1[a].total for a in results),
        f"total JPY {jpy(sum(r.total for r in w.day1.values()))} → "
        f"{jpy(sum(r.total for r in results.values()))}",
    )
    show.table(accounts_table(w, "Collateral accounts after the intraday run, before any call"))

    show.part(
        "The engine calls every short account in one transaction",
        f"computed {computed_at:%H:%M:%S}, before the 11:00 cut-off, so due 14:00 today",
    )
    house_a = w.accounts["member-a house"]
    before_a = w.holdings(house_a)
    calls = engine.issue_calls(CallType.INTRADAY, computed_at=computed_at)
    receipt = receipt_of_last(w.chain)
    w.record(
        "CCP margin engine",
        f"issues {len(calls)} intraday margin calls in one transaction",
        "member-a's standing instruction pulls its collateral in the same transaction",
    )
    w.calls = {w.label(c.account): c.id for c in calls}
    show.table(
        events_table(w, receipt, "Inside that one transaction: the vault's events, in order")
    )
    show.table(calls_table(w, "Margin calls as issued"))

    expected = set(w.accounts)
    w.outcomes.check(
        "every account is called, in one transaction",
        {w.label(c.account) for c in calls} == expected
        and receipt.label == "vault.issueMarginCalls",
        f"{len(calls)} calls in block {receipt.block_number}",
    )
    a_call = next(c for c in calls if c.account == house_a)
    pulled = [
        e
        for e in w.chain.events(d.vault, "CollateralDeposited", receipt)
        if e["automatic"] and e["account"] == house_a
    ]
    after_a = w.holdings(house_a)
    w.outcomes.check(
        "member-a's call is met by its standing instruction in the same transaction",
        a_call.status is CallStatus.MET and len(pulled) == 2,
        f"call #{a_call.id} {words(a_call.status)}; pulled "
        + ", ".join(
            f"{s} {amount_text(d.asset(s).decimals, after_a.get(s, 0) - before_a.get(s, 0))}"
            for s in after_a
            if after_a.get(s, 0) != before_a.get(s, 0)
        )
        + f" in block {receipt.block_number}",
    )
    others = [c for c in calls if c.account != house_a]
    w.outcomes.check(
        "every other call is open, due 14:00 today",
        all(c.status is CallStatus.ISSUED and c.deadline == tokyo(DAY2, 14) for c in others),
        f"{len(others)} calls issued, deadline {tokyo(DAY2, 14):%a %H:%M}",
    )


VAULT_EVENTS = (
    "MarginCallIssued", "CollateralDeposited", "MarginCallPartiallyMet", "MarginCallMet",
    "MarginCallOverdue", "MarginCallPassedOn", "DefaultDeclared", "AccountFrozen",
    "CollateralSeized", "RequirementPosted",
)  # fmt: skip


def vault_events(w: World, receipt: Receipt) -> list[tuple[str, dict]]:
    """The vault's events in `receipt`, in the order they were emitted."""
    raw = w.chain.w3.eth.get_transaction_receipt(receipt.tx_hash)
    found = []
    for name in VAULT_EVENTS:
        for ev in getattr(w.d.vault.events, name)().process_receipt(raw, errors=DISCARD):
            if ev.address == w.d.vault.address:
                found.append((ev.logIndex, name, dict(ev.args)))
    return [(name, args) for _, name, args in sorted(found, key=lambda e: e[0])]


def describe(w: World, name: str, e: dict) -> str:
    d = w.d
    if name == "MarginCallIssued":
        return (
            f"call #{e['callId']} on {w.label(e['account'])}: short {jpy(e['shortfallJpy'])} "
            f"(value {jpy(e['valueJpy'])} vs requirement {jpy(e['requirementJpy'])}), "
            f"due {hhmm(from_unix(e['deadline']))}"
        )
    if name == "CollateralDeposited":
        how = "pulled by standing instruction" if e["automatic"] else "deposited"
        return f"{d.asset(e['asset']).format(e['amount'])} {how} into {w.label(e['account'])}"
    if name == "MarginCallMet":
        return (
            f"call #{e['callId']} met: value {jpy(e['valueJpy'])} ≥ requirement "
            f"{jpy(e['requirementJpy'])}"
        )
    if name in ("MarginCallPartiallyMet", "MarginCallOverdue"):
        return (
            f"call #{e['callId']} on {w.label(e['account'])}: {jpy(e['remainingJpy'])} still short"
        )
    if name == "MarginCallPassedOn":
        return f"call #{e['callId']}: {jpy(e['amountJpy'])} passed on to {w.names[e['client']]}"
    if name == "DefaultDeclared":
        return (
            f"{w.names[e['member']]} in default over call #{e['callId']}: "
            f"“{from_bytes32(e['reason'])}”"
        )
    if name == "AccountFrozen":
        return f"{w.label(e['account'])} frozen"
    if name == "CollateralSeized":
        return (
            f"{d.asset(e['asset']).format(e['amount'])} moved from {w.label(e['fromAccount'])} "
            f"to {w.label(e['toAccount'])}"
        )
    if name == "RequirementPosted":
        return f"{w.label(e['account'])}: requirement {jpy(e['requirementJpy'])}"
    return str(e)


def events_table(w: World, receipt: Receipt, title: str) -> Table:
    table = new_table(title, ("#", "right"), "event", "what it says")
    for i, (name, args) in enumerate(vault_events(w, receipt), 1):
        table.add_row(str(i), name, describe(w, name, args))
    table.caption = (
        f"tx {receipt.tx_hash[:10]}…, block {receipt.block_number}, gas {receipt.gas_used:,}"
    )
    return fit(w.show, table, ())


def calls_table(w: World, title: str) -> Table:
    table = new_table(
        title, ("call", "right"), "account", "type", ("shortfall (JPY)", "right"), "issued",
        "deadline", "status",
    )  # fmt: skip
    for c in w.d.margin_calls():
        table.add_row(
            f"#{c.id}", w.label(c.account), words(c.call_type), jpy(c.shortfall_jpy),
            hhmm(c.issued_at), hhmm(c.deadline), call_status_text(c.status),
        )  # fmt: skip
    table.caption = "shortfall as called; times in Tokyo"
    return fit(w.show, table, ("type", "issued"))


# ---------------------------------------------------------------------- step 5


def meet_the_calls(w: World) -> None:
    show, d = w.show, w.d
    market, calls = w.market, w.calls
    show.step(
        "Thursday 11:00–14:00: the calls are met, except one",
        "A member pays its own calls; a segregated client pays its own account directly; an "
        "omnibus call goes to the member, who passes each client its share.",
    )

    show.part("member-a passes the omnibus call on", "the CCP sees one figure; member-a the split")
    omnibus_call = d.margin_call(calls["member-a omnibus"])
    shocked = w.shocked
    own = client_margins(
        market.traded, {c: FUTURES[c].jpy(p) for c, p in shocked.items()}, market.history(shocked)
    )
    shares = split(Decimal(omnibus_call.shortfall_jpy), own)
    w.clock(tokyo(DAY2, 11, 20), "member-a's client desk")
    r = w.members["member-a"].pass_on_margin_call(
        omnibus_call.id, {c: int(v) for c, v in shares.items()}
    )
    w.record(
        "member-a",
        f"passes omnibus call #{omnibus_call.id} on to its two clients",
        ", ".join(f"{c} {jpy(v)}" for c, v in shares.items()),
    )
    passed = w.chain.events(d.vault, "MarginCallPassedOn", r)
    table = new_table(
        f"Omnibus call #{omnibus_call.id} (JPY {jpy(omnibus_call.shortfall_jpy)}), as member-a "
        "passes it on",
        "client", "positions", ("own margin (JPY)", "right"), ("weight", "right"),
        ("share of the call (JPY)", "right"),
    )  # fmt: skip
    for ev in passed:
        name = w.names[ev["client"]]
        weight = own[name] / sum(own.values()) * 100
        table.add_row(
            name, positions_text(BOOKS[name]), jpy(own[name]), f"{weight:.1f}%",
            jpy(ev["amountJpy"]),
        )  # fmt: skip
    table.caption = "each client's margin on its own positions, from member-a's sub-ledger view"
    show.table(fit(show, table))
    w.outcomes.check(
        "the omnibus call's shares add up to the call",
        sum(ev["amountJpy"] for ev in passed) == omnibus_call.shortfall_jpy,
        f"{len(passed)} MarginCallPassedOn events",
    )

    show.part("Payments come in")
    pay(w, tokyo(DAY2, 11, 45), "member-b", w.members["member-b"], "member-b house", "JPY")
    pay(w, tokyo(DAY2, 12, 30), "client-b1", w.clients["client-b1"], "client-b1 segregated", "JPY")

    # Omnibus clients pay into their member's omnibus account, each naming itself.
    w.clock(tokyo(DAY2, 13, 5), "client-a1 pays")
    qty = ceil_to(shares["client-a1"], STEP["JPY"])
    w.clients["client-a1"].deposit("JPY", qty)
    status = d.margin_call(omnibus_call.id).status
    w.record(
        "client-a1",
        "pays its share into member-a's omnibus account",
        f"JPY {qty:,} → call #{omnibus_call.id} {words(status)}",
    )
    w.outcomes.check(
        "after client-a1 alone the omnibus call is partially met",
        status is CallStatus.PARTIALLY_MET,
        words(status),
    )
    w.clock(tokyo(DAY2, 13, 40), "client-a2 pays")
    qty = quantity_for("JGB374", shares["client-a2"], w.prices, w.fx)
    w.clients["client-a2"].deposit("JGB374", qty)
    status = d.margin_call(omnibus_call.id).status
    w.record(
        "client-a2",
        "pays its share in JGBs into member-a's omnibus account",
        f"JGB374 {qty:,} → call #{omnibus_call.id} {words(status)}",
    )
    w.outcomes.check(
        "after client-a2 the omnibus call is met", status is CallStatus.MET, words(status)
    )
    show.line("[red]…[/red]", "[bold]member-c[/bold] pays nothing")

    w.clock(tokyo(DAY2, 13, 55), "five minutes before the deadline")
    still_open = [c for c in engine_calls(w) if c.status.open]
    w.record(
        "CCP margin engine",
        f"checks the calls: {len(calls) - len(still_open)} of {len(calls)} met",
        "still open: " + ", ".join(f"#{c.id} {w.label(c.account)}" for c in still_open),
    )
    show.table(calls_table(w, "Margin calls at 13:55"))
    statuses = {w.label(c.account): c.status for c in d.margin_calls()}
    w.outcomes.check(
        "at 13:55 every call is met but member-c's",
        all(s is CallStatus.MET for k, s in statuses.items() if k != "member-c house")
        and statuses["member-c house"] is CallStatus.ISSUED,
        ", ".join(f"{k} {words(s)}" for k, s in statuses.items()),
    )


def engine_calls(w: World) -> list[MarginCall]:
    """Every intraday call of the story, read from the chain now."""
    return [w.d.margin_call(i) for i in w.calls.values()]


def pay(w: World, when: datetime, actor: str, payer: ClearingMember | Client, label: str,
        symbol: str) -> None:  # fmt: skip
    """`payer` covers the call on `label` with `symbol`, rounded up to a round lot."""
    d = w.d
    call = d.margin_call(w.calls[label])
    w.clock(when, f"{actor} pays")
    qty = quantity_for(symbol, Decimal(call.shortfall_jpy), w.prices, w.fx)
    payer.deposit(symbol, qty)
    status = d.margin_call(call.id).status
    where = "its own segregated account" if "segregated" in label else "its house account"
    w.record(
        actor,
        f"pays call #{call.id} into {where}",
        f"{symbol} {qty:,} → {words(status)}",
    )
    w.outcomes.check(
        f"{actor}'s call #{call.id} is met by its deposit",
        status is CallStatus.MET,
        words(status),
    )


# ---------------------------------------------------------------------- step 6


def the_deadline(w: World) -> None:
    show, d, ccp = w.show, w.d, w.ccp
    engine = w.engine
    show.step(
        "14:00: the deadline passes, member-c defaults",
        "The engine marks every unmet call past its deadline overdue. The CCP then declares the "
        "member behind it in default: the register records it, its accounts freeze, and its own "
        "collateral moves to the CCP's default-management account — one transaction.",
    )
    w.clock(tokyo(DAY2, 14, 5), "the deadline has passed")
    w.oracle.publish_fx_rates(FX_THU)
    w.oracle.publish_prices(PRICES_THU)
    w.record("oracle", "refreshes prices for the 14:00 check", "unchanged since 10:50")
    overdue = engine.mark_overdue()
    (call,) = overdue if len(overdue) == 1 else (None,)
    remaining = (call.requirement_jpy - w.value(call.account)) if call else 0
    w.record(
        "CCP margin engine",
        "marks unmet calls overdue",
        ", ".join(f"call #{c.id} on {w.label(c.account)}" for c in overdue)
        + (f": {jpy(remaining)} still short" if call else ""),
    )
    house_c = w.accounts["member-c house"]
    w.outcomes.check(
        "only member-c's call is overdue",
        call is not None and call.account == house_c and call.status is CallStatus.OVERDUE,
        ", ".join(f"#{c.id} {w.label(c.account)}" for c in overdue),
    )
    if call is None:
        return

    held = w.holdings(house_c)
    dm = d.call(d.vault.functions.defaultManagementAccount())
    dm_before = w.holdings(dm)
    w.clock(tokyo(DAY2, 14, 15), "the CCP's default committee")
    receipt = ccp.declare_default_for_call(call.id, "missed intraday call")
    w.record(
        "CCP",
        f"declares member-c in default over call #{call.id}",
        "register updated, accounts frozen, house collateral seized",
    )
    show.table(events_table(w, receipt, "The default transaction: the vault's events, in order"))

    seized = w.chain.events(d.vault, "CollateralSeized", receipt)
    seized_by_asset = {d.asset(e["asset"]).symbol: d.asset(e["asset"]).whole(e["amount"])
                       for e in seized}  # fmt: skip
    table = new_table(
        f"What the CCP seized from member-c (the {len(seized)} CollateralSeized events)",
        "asset", ("quantity", "right"), ("market value (JPY)", "right"),
        ("after haircut (JPY)", "right"), "now in",
    )  # fmt: skip
    total_mv = total_hv = Decimal(0)
    for e in seized:
        a = d.asset(e["asset"])
        qty = a.whole(e["amount"])
        mv = market_value({a.symbol: qty}, w.prices, w.fx)
        hv = qty * unit_value(a.symbol, w.prices, w.fx)
        total_mv, total_hv = total_mv + mv, total_hv + hv
        table.add_row(
            a.symbol, amount_text(a.decimals, qty), jpy(mv), jpy(hv), w.label(e["toAccount"])
        )
    table.add_section()
    table.add_row("[bold]total[/bold]", "", f"[bold]{jpy(total_mv)}[/bold]",
                  f"[bold]{jpy(total_hv)}[/bold]", "")  # fmt: skip
    show.table(fit(show, table))
    show.say(
        f"member-c's positions ({positions_text(BOOKS['member-c house'])}) pass to the "
        f"CCP's default management, with JPY {jpy(total_hv)} of collateral value against a "
        f"requirement of {jpy(call.requirement_jpy)}; hedging and auctioning them is beyond this "
        "demo. Only what member-c had posted is seized: the tokens left in its wallet cannot "
        "move either, now that the register says it is in default."
    )

    record = d.participant("member-c")
    w.outcomes.check(
        "member-c is defaulted in the register and its call is closed as such",
        record.status is Status.DEFAULTED
        and d.margin_call(call.id).status is CallStatus.DEFAULT_DECLARED,
        f"{words(record.status)}, call #{call.id} {words(d.margin_call(call.id).status)}",
    )
    account = w.members["member-c"].vault_account(AccountKind.HOUSE)
    dm_after = w.holdings(dm)
    w.outcomes.check(
        "member-c's house account is frozen and all it held is seized",
        account.frozen and seized_by_asset == held and w.holdings(house_c) == {},
        ", ".join(f"{s} {amount_text(d.asset(s).decimals, q)}" for s, q in seized_by_asset.items()),
    )
    w.outcomes.check(
        "the default-management account received exactly what was seized",
        all(dm_after.get(s, 0) - dm_before.get(s, 0) == q for s, q in seized_by_asset.items())
        and set(dm_after) == set(dm_before) | set(seized_by_asset),
        f"holds {', '.join(f'{s} {q:,}' for s, q in dm_after.items())}",
    )
    show.table(participants_table(d, title="The register after the default", narrow=show.narrow))
    show.table(accounts_table(w, "Collateral accounts after the default"))


# ---------------------------------------------------------------------- step 7


def show_timeline(w: World) -> None:
    w.show.step(
        "The two days on one page",
        "Every step above, stamped with the time of its block on the chain's Tokyo clock.",
    )
    w.show.table(
        w.timeline.table("Timeline (Tokyo time; gas summed over each step's transactions)")
    )


# ---------------------------------------------------------------------- step 8


def reconcile(w: World) -> None:
    show, d = w.show, w.d
    engine = w.engine
    show.step(
        "Reconciliation",
        "The vault's books must agree with the engine's view, with the tokens the vault holds, "
        "and, for the omnibus account, with member-a's beneficial-owner sub-ledger.",
    )
    ok_mark = "[green]✓[/green]"
    bad_mark = "[bold red]✗[/bold red]"
    dm = d.call(d.vault.functions.defaultManagementAccount())
    latest = w.thu

    # (a) every account: the chain against the engine
    table = new_table(
        "(a) Vault accounts: on chain vs the margin engine's view (JPY)",
        "account", "holdings on chain", ("value\non chain", "right"), ("value\nengine", "right"),
        ("requirement\non chain", "right"), ("requirement\nengine posted", "right"), "",
    )  # fmt: skip
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    states = {s.account.id: s for s in engine.states()}
    all_a = True
    for acct in [*engine.accounts, dm]:
        held = w.holdings(acct)
        value = w.value(acct)
        requirement = w.requirement(acct)
        state = states.get(acct)
        if state is None:  # not margined: the CCP's own account
            ok = requirement == 0
            engine_value, engine_req = "[dim]not margined[/dim]", "[dim]–[/dim]"
        else:
            ok = requirement == state.requirement_jpy == int(latest[acct].total) and (
                value == state.value_jpy or (state.account.frozen and state.value_jpy == 0)
            )
            engine_value = jpy(state.value_jpy) + (
                " [dim](frozen)[/dim]" if state.account.frozen else ""
            )
            engine_req = jpy(latest[acct].total)
        all_a &= ok
        table.add_row(
            f"[bold]{w.label(acct)}[/bold]", holdings_text(held, d), jpy(value), engine_value,
            jpy(requirement), engine_req, ok_mark if ok else bad_mark,
        )  # fmt: skip
    show.table(fit(show, table, ("holdings on chain",)))
    w.outcomes.check(
        "(a) each account's requirement and value on chain match the engine's view",
        all_a,
        f"{len(engine.accounts)} margined accounts + the default-management account",
    )

    # (b) every asset: the vault's token balance against the accounts' holdings
    table = new_table(
        "(b) Per asset: the vault's tokens vs its accounts' holdings",
        "asset", ("vault's token balance", "right"), ("sum of holdings", "right"),
        ("accounts", "right"), "",
    )  # fmt: skip
    all_b = True
    accounts = [*engine.accounts, dm]
    for a in d.assets.values():
        balance = d.token(a).functions.balanceOf(d.vault.address).call()
        parts = [d.vault.functions.holding(acct, a.address).call() for acct in accounts]
        ok = balance == sum(parts)
        all_b &= ok
        table.add_row(
            f"[bold]{a.symbol}[/bold]", amount_text(a.decimals, a.whole(balance)),
            amount_text(a.decimals, a.whole(sum(parts))), str(sum(1 for p in parts if p)),
            ok_mark if ok else bad_mark,
        )  # fmt: skip
    show.table(fit(show, table))
    w.outcomes.check(
        "(b) the vault holds exactly the tokens its accounts say it does",
        all_b,
        f"{len(d.assets)} assets over {len(accounts)} accounts",
    )

    # (c) the omnibus account against member-a's sub-ledger
    omnibus = w.accounts["member-a omnibus"]
    ledger = w.members["member-a"].sub_ledger()
    held = w.holdings(omnibus)
    symbols = sorted(set(held) | {s for rows in ledger.values() for s in rows})
    table = new_table(
        "(c) Omnibus sub-ledger vs holdings",
        "", *[(s, "right") for s in symbols],
    )  # fmt: skip
    for client, rows in ledger.items():
        table.add_row(
            client,
            *[amount_text(d.asset(s).decimals, rows.get(s, Decimal(0))) for s in symbols],
        )
    totals = {s: sum((rows.get(s, Decimal(0)) for rows in ledger.values()), Decimal(0))
              for s in symbols}  # fmt: skip
    table.add_section()
    table.add_row(
        "[bold]sub-ledger total[/bold]",
        *[f"[bold]{amount_text(d.asset(s).decimals, totals[s])}[/bold]" for s in symbols],
    )
    table.add_row(
        "omnibus holdings",
        *[amount_text(d.asset(s).decimals, held.get(s, Decimal(0))) for s in symbols],
    )
    table.add_row(
        "", *[ok_mark if totals[s] == held.get(s, Decimal(0)) else bad_mark for s in symbols]
    )
    verified = d.call(d.vault.functions.verifyOmnibus(omnibus))
    show.table(fit(show, table))
    show.line(
        "[green]✓[/green]" if verified else "[bold red]✗[/bold red]",
        f"the vault's own check, verifyOmnibus(member-a omnibus), returns {verified}",
    )
    w.outcomes.check(
        "(c) the omnibus sub-ledger totals equal the omnibus holdings, and the vault agrees",
        all(totals[s] == held.get(s, Decimal(0)) for s in symbols) and verified is True,
        f"{len(ledger)} clients, verifyOmnibus = {verified}",
    )

    table, supply_ok = reconciliation_table(d)
    show.table(fit(show, table))
    w.outcomes.check(
        "every token's supply is held by registered participants (the vault included)",
        supply_ok,
        f"{len(d.assets)} assets",
    )

    show.table(w.outcomes.table("Expected outcomes"))
    gas = gas_summary_table(
        w.chain, "Gas by operation, whole demo", fold={"deploy.": "deploy.* (suite set-up)"}
    )
    show.table(fit(show, gas))
    show.say(
        f"[dim]The one vault.issueMarginCalls transaction issued {len(w.calls)} calls and ran "
        "member-a's standing instruction; vault.deposit includes the omnibus deposits that name "
        "a client.[/dim]"
    )
    if w.outcomes.all_held:
        show.console.print(
            f"[bold green]✓ Every expected outcome held and the books reconcile:[/bold green] "
            f"{len(d.margin_calls())} margin calls, {len(w.chain.gas_log)} transactions."
        )


if __name__ == "__main__":
    sys.exit(main())
