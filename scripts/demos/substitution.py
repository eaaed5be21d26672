"""Kabuto substitution demo (`make demo`): JGBs and dollars out, yen and equities in, three ways.

On a fresh embedded chain member-a's house account holds JGBs and USD cash; it swaps them for yen,
Toyota shares and S&P 500 ETF units three ways from the same start (a chain snapshot): today's two
steps (the new deposited in full, the old withdrawn hours later: pre-funded, at a cost), one atomic
substitution (nothing pre-funded), and the optimiser's cheapest plan. A table and a chart compare
the liquidity each needs through the day. Then a dealer's signed offer is accepted, and replayed in
vain. Scenario and words: substitution.toml next to this file.
`.venv/bin/python scripts/demos/substitution.py [--full] [CHART.png]` exits 0 when every
expectation held; the chart goes to .kabuto/demo/substitution-liquidity.png unless another path is
given; `--full` adds every detail (gas, each transaction's events, every control's table).
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from pyclient import (
    AccountKind,
    Admission,
    Chain,
    Deployment,
    Kind,
    RiskParameters,
    deploy,
    errors,
    reconcile,
    tables,
    views,
)
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.collateral.liquidity import (
    Liquidity,
    Timetable,
    Way,
    market_value_jpy,
    posting_cost_jpy,
    save_chart,
)
from pyclient.collateral.substitution import Offer
from pyclient.narration import Checks, Refusals, Show, arguments, run
from pyclient.roles import Ccp, ClearingMember, Oracle, TokenIssuer

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
EXPECTED: dict[str, str] = SCENARIO["expected"]
OUT, INTO, OFFER = SCENARIO["out"], SCENARIO["into"], SCENARIO["offer"]
COSTS: dict[str, int] = SCENARIO["costs_bps"]
CHART = Path(__file__).resolve().parents[2] / ".kabuto" / "demo" / "substitution-liquidity.png"
HOUSE = AccountKind.HOUSE


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.combine(SCENARIO["day"], dt.time.fromisoformat(hhmm), tzinfo=TOKYO)


DAY = Timetable(*(at(SCENARIO[key]) for key in ("opens", "delivered", "released", "closes")))


def main(console: Console | None = None, chart: Path | None = None, *, full: bool = False) -> int:
    return run(console, SCENARIO["narration"],
               lambda show, c: Substitution.start(show, c, chart or CHART).tell(),
               full=full, genesis_timestamp=to_unix(DAY.opens))  # fmt: skip


def jpy(value: int) -> str:
    return tables.number(value)


@dataclass
class Substitution:
    show: Show
    d: Deployment
    ccp: Ccp
    a: ClearingMember  # the member that substitutes
    b: ClearingMember  # the dealer that offers a swap
    chart: Path
    checks: Checks = field(default_factory=Checks)
    ways: list[Liquidity] = field(default_factory=list)
    saved: dict[str, Decimal] = field(default_factory=dict)  # way -> posting cost saved a year
    opening: dict[str, Any] = field(default_factory=dict)  # the house account at the start
    end_state: dict[str, Any] = field(default_factory=dict)  # the house account after a swap
    snapshot: str = ""

    @classmethod
    def start(cls, show: Show, chain: Chain, chart: Path) -> Substitution:
        keys = chain.dev_accounts(4)
        d = deploy(chain, keys[0], issuer=keys[1].address)
        ccp, market = Ccp(d, keys[0]), SCENARIO["market"]
        cast = zip(SCENARIO["participants"].items(), keys[2:], strict=True)
        ccp.register.admit_many([Admission(keys[1].address, Kind.TOKEN_ISSUER, "issuer")] + [
            Admission(k.address, Kind[p["kind"]], name) for (name, p), k in cast])  # fmt: skip
        a, b = ClearingMember(d, keys[2]), ClearingMember(d, keys[3])
        held = [(a, SCENARIO["house"]), (a, SCENARIO["wallet"]), (b, SCENARIO["dealer"])]
        TokenIssuer(d, keys[1]).issue_many([(s, who, q, "custody") for who, legs in held
                                            for s, q in legs.items()])  # fmt: skip
        oracle = Oracle(d, keys[0])
        oracle.set_risk_parameters({s: RiskParameters(h, concentration_bps=c)
                                    for s, (h, c) in market["risk"].items()})  # fmt: skip
        oracle.publish_fx_rates(market["fx"])
        oracle.publish_prices(market["prices"])
        for symbol in SCENARIO["wallet"]:  # a standing approval, as a member's treasury keeps
            a.approve_vault(symbol)
        return cls(show, d, ccp, a, b, chart)

    def tell(self) -> bool:
        self.setup()
        for step in (self.two_step, self.atomic, self.optimiser):
            step()
        self.compare()
        self.offer()
        return self.reconcile()

    def expect(self, key: str, ok: bool, observed: str) -> None:
        self.checks.check(EXPECTED[key], ok, observed)

    def table(self, render: Any, *args: Any, detail: bool = False, **kwargs: Any) -> None:
        """A table that carries the story, or with `detail` one told in full only."""
        made = render(*args, narrow=self.show.narrow, **kwargs)
        self.show.detail(made) if detail else self.show.table(made)

    def clock(self, when: dt.datetime) -> str:
        devnet.set_next_timestamp(self.d.chain, to_unix(when))
        return f"{when:%H:%M}"

    def now(self) -> str:
        return f"{views.head(self.d).time:%H:%M}"

    def value(self, legs: dict[str, Any]) -> int:
        return market_value_jpy(legs, self.d.market_data.quotes(legs))

    def way(self, index: int, way: Way, out: dict[str, Any], into: dict[str, Any]) -> Liquidity:
        """Way `index` of the day, as it left the house account: its liquidity, and what it saves
        a year in posting costs."""
        label, after, costs = self.show.words("ways")[index], self.a.collateral(HOUSE), COSTS
        quotes = self.d.market_data.quotes({**self.opening, **after})
        self.saved[label] = posting_cost_jpy(self.opening, quotes, costs) - posting_cost_jpy(
            after, quotes, costs)  # fmt: skip
        self.ways.append(Liquidity(label, way, self.value(self.opening), self.value(out),
                                   self.value(into), SCENARIO["funding_bps"], DAY))  # fmt: skip
        return self.ways[-1]

    def again(self) -> None:
        """Back to the start state, for the next way."""
        devnet.revert(self.d.chain, self.snapshot)
        self.snapshot = devnet.snapshot(self.d.chain)

    def setup(self) -> None:
        show, d, a = self.show, self.d, self.a
        show.step("setup", requirement=jpy(SCENARIO["requirement"]))
        (house,) = self.ccp.margin.open_accounts([(a, HOUSE)]).value
        for symbol, amount in SCENARIO["house"].items():
            a.deposit(symbol, amount)
        self.ccp.margin.post_requirements({house: SCENARIO["requirement"]}, run_id="eod")
        self.table(tables.market_table, views.market_rows(d), title=show.words("market"),
                   detail=True)  # fmt: skip
        self.table(tables.accounts_table, d, views.account_views(d, [house]),
                   title=show.words("accounts"))  # fmt: skip
        self.opening = a.collateral(HOUSE)
        out, into = tables.legs_text(d, OUT), tables.legs_text(d, INTO)
        show.say(show.words("legs", out=out, into=into, out_jpy=jpy(self.value(OUT)),
                            into_jpy=jpy(self.value(INTO))))  # fmt: skip
        self.snapshot = devnet.snapshot(d.chain)

    def two_step(self) -> None:
        show, d, a = self.show, self.d, self.a
        show.step("two_step")
        refusals = Refusals(show, d)
        with refusals.attempt("first", errors.VaultWithdrawalExceedsExcess,
                              time=self.clock(DAY.delivered)):  # fmt: skip
            a.withdraw("JGB374", OUT["JGB374"])
        refusals.summary(show.words("refused"))
        for symbol, amount in INTO.items():
            legs = tables.legs_text(d, {symbol: amount})
            show.tx("deposit", a.deposit(symbol, amount), time=self.now(), legs=legs)
        both = views.account_view(d, a.account_id(HOUSE))
        self.table(tables.accounts_table, d, [both], title=show.words("both", time=self.now()))
        time = self.clock(DAY.released)
        for symbol, amount in OUT.items():
            legs = tables.legs_text(d, {symbol: amount})
            show.tx("withdraw", a.withdraw(symbol, amount), time=time, legs=legs)
        way = self.way(0, Way.TWO_STEP, OUT, INTO)
        need = show.words("need", amount=jpy(way.prefunding_jpy), hours=way.hours,
                          rate=way.rate_bps / 100, cost=jpy(way.funding_cost_jpy))  # fmt: skip
        show.line("[yellow]![/yellow]", need)
        self.end_state = a.collateral(HOUSE)
        held_twice = self.value(both.holdings) - self.value(self.opening)
        self.expect("refused", refusals.all_as_expected, "VaultWithdrawalExceedsExcess, no move")
        self.expect("two_step", held_twice == way.prefunding_jpy > 0,
                    f"JPY {jpy(held_twice)} held twice for {way.hours} h")  # fmt: skip
        self.again()

    def atomic(self) -> None:
        show, d, a = self.show, self.d, self.a
        show.step("atomic")
        time = self.clock(DAY.delivered)
        done = a.substitute(out=OUT, into=INTO)
        s = done.value
        show.tx("swapped", done, time=time, before=jpy(s.value_before_jpy),
                after=jpy(s.value_after_jpy))  # fmt: skip
        show.events(d, done, show.words("events"))
        way = self.way(1, Way.ATOMIC, OUT, INTO)
        same = a.collateral(HOUSE) == self.end_state
        ok = way.prefunding_jpy == 0 and same and s.covered and len(done.named("Substituted")) == 1
        self.expect("atomic", ok, f"pre-funding JPY {jpy(way.prefunding_jpy)}, "
                                  f"end state {'the same' if same else 'DIFFERENT'}")  # fmt: skip
        self.again()

    def optimiser(self) -> None:
        show, a = self.show, self.a
        buffer = Decimal(SCENARIO["buffer"])
        show.step("optimiser", buffer=f"{(buffer * 100).normalize():f}")
        plan = a.optimise(COSTS, buffer=buffer, kinds=(HOUSE,))
        show.table(tables.plan_table(plan, title=show.words("plan"), narrow=True))  # costs: caption
        time = self.clock(DAY.delivered)
        done, house = a.execute(plan), plan.account(HOUSE)
        show.tx("executed", done[-1], time=time, txs=len(done))
        way = self.way(2, Way.ATOMIC, dict(house.out), dict(house.into))
        saved, manual = self.saved[way.label], self.saved[self.ways[1].label]
        show.line(tables.OK, show.words("saving", saving=jpy(saved), more=jpy(saved - manual)))
        value = a.collateral_value(HOUSE)
        ok = saved == plan.saving_jpy > manual and value >= house.target_jpy and len(done) == 1
        self.expect("optimiser", ok, f"JPY {jpy(saved)} a year saved, value JPY {jpy(value)}")

    def compare(self) -> None:
        show = self.show
        show.step("compare")
        self.table(tables.liquidity_table, self.ways, title=show.words("table"), saved=self.saved)
        title = show.words("chart_title", day=f"{DAY.opens:%a %d %b %Y}")
        path = save_chart(self.ways, self.chart, title=title)
        show.say(show.words("chart", path=path))  # said, not a line: a long path folds, not cut
        self.expect("chart", path.is_file(), f"{path.name}, {path.stat().st_size:,} bytes")

    def offer(self) -> None:
        show, d, a, b = self.show, self.d, self.a, self.b
        show.step("offer")
        signed = b.sign_offer(a.account_id(HOUSE), deliver=OFFER["deliver"], take=OFFER["take"])
        offer = Offer.from_json(signed.to_json())  # what member-a receives
        signer = d.name(offer.signer(d.substitution.domain()))  # whose key signed what came
        show.line(tables.OK, show.words("signed", deliver=tables.legs_text(d, OFFER["deliver"]),
                                        take=tables.legs_text(d, OFFER["take"]), signer=signer,
                                        expiry=f"{offer.expires_at:%H:%M}"))  # fmt: skip
        before = a.collateral(HOUSE)
        done = a.accept_offer(offer)
        show.tx("accepted", done)
        show.events(d, done, show.words("events"), said=("Substituted",))
        refusals = Refusals(show, d)
        with refusals.attempt("replay", errors.InvalidAccountNonce):
            a.accept_offer(offer)
        refusals.summary(show.words("refused"))
        after, deliver, take = a.collateral(HOUSE), OFFER["deliver"], OFFER["take"]
        moved = all(after.get(s, 0) - before.get(s, 0) == q for s, q in deliver.items()) and all(
            before[s] - after.get(s, 0) == q for s, q in take.items())  # fmt: skip
        counterparty = d.name(done.value.counterparty or "nobody")
        self.expect("offer", moved and done.value.counterparty == b.address,
                    f"one transaction, counterparty {counterparty}")  # fmt: skip
        self.expect("replay", refusals.all_as_expected and d.substitution.nonce_used(offer),
                    "InvalidAccountNonce, nothing moved")  # fmt: skip

    def reconcile(self) -> bool:
        show, d = self.show, self.d
        show.step("reconcile")
        controls = [reconcile.vault_against_accounts(d), reconcile.values_against_model(d),
                    reconcile.supply_against_register(d)]  # fmt: skip
        held = show.controls(controls)
        self.expect("reconcile", held, f"{len(controls)} controls")
        show.outcomes(self.checks, show.words("checks"))
        return show.verdict(not self.checks.failed, txs=len(d.chain.gas_log))


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("chart", nargs="?", type=Path, help=f"where the chart goes ({CHART.name})")
    args = parser.parse_args()
    sys.exit(main(chart=args.chart, full=args.full))
