"""Kabuto JDR demo (`make demo`): an SPY JDR trust from its listing to its termination.

On a fresh embedded chain the trust bank creates an SPY JDR series (10 JDRs per SPY unit), the CCP
lists it and the oracle prices it. The settlor creates JDRs in kind; members and clients trade
them; SPY's dollar distribution is paid in yen to the holders of record; the trust bank discloses
NAV every day, and the exchange's deviation rules read a month of closes against it. Creation is
suspended and resumed; JDRs are posted as margin at 70% of their value at most; the trust ends and
pays its holders in cash. Each step checks what it promises (the trust's invariant above all).
Scenario and words: jdr.toml next to this file.
`.venv/bin/python scripts/demos/jdr.py [--full]` exits 0 when every expectation held; `--full` adds
every detail (gas, the control's table, the expectations).
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
    AccountType,
    Admission,
    CancelPolicy,
    Chain,
    Deployment,
    Kind,
    Operation,
    RiskParameters,
    Trigger,
    deploy,
    errors,
    reconcile,
    tables,
)
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.contracts.jdr import JdrTrustClient
from pyclient.jdr.model import nav_figures, share
from pyclient.jdr.monitors import (
    RUN_THRESHOLD,
    SEVEN_DAYS,
    SINGLE_DAY,
    SINGLE_DAY_THRESHOLD,
    DailyPrice,
    deviation,
    deviation_alerts,
)
from pyclient.margin.calendar import is_business_day, last_business_days
from pyclient.narration import Checks, Refusals, Show, arguments, run
from pyclient.oracle.market_data import price_to_chain
from pyclient.roles import (
    Ccp,
    ClearingMember,
    Client,
    Oracle,
    Role,
    Settlor,
    TokenIssuer,
    TrustBank,
)

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
PEOPLE: dict[str, dict[str, str]] = SCENARIO["participants"]
EXPECTED: dict[str, str] = SCENARIO["expected"]
SERIES: dict[str, Any] = SCENARIO["series"]
MARKET: dict[str, Any] = SCENARIO["market"]
SYMBOL, ETF = SERIES["symbol"], SERIES["underlying"]
ROLES = {"TRUST_BANK": TrustBank, "ETF_MANAGER": Settlor, "CLEARING_MEMBER": ClearingMember,
         "CLIENT": Client}  # fmt: skip
HOUSE = AccountKind.HOUSE


def tokyo(key: str) -> dt.datetime:
    """The story's clock at `key` of [clock], in Tokyo."""
    return SCENARIO["clock"][key].replace(tzinfo=TOKYO)


def main(console: Console | None = None, *, full: bool = False) -> int:
    start = tokyo("listing") - dt.timedelta(hours=1)  # the suite is deployed before the listing
    return run(console, SCENARIO["narration"], lambda show, c: Jdr.start(show, c).tell(),
               full=full, genesis_timestamp=to_unix(start))  # fmt: skip


def n(value: int | Decimal) -> str:
    return tables.number(value)


@dataclass
class Jdr:
    show: Show
    d: Deployment
    ccp: Ccp
    oracle: Oracle
    cast: dict[str, Role]  # name -> TrustBank, Settlor, ClearingMember or Client
    checks: Checks = field(default_factory=Checks)
    priced: set[str] = field(default_factory=set)  # what the oracle has listed for pricing
    distribution: int = 0  # the distribution announced
    record: dict[str, int] = field(default_factory=dict)  # holder -> JDR units at the record date
    payouts: dict[str, tuple[int, int]] = field(default_factory=dict)  # holder -> (units, JPY)
    backing: list[bool] = field(default_factory=list)  # the invariant after each step

    @classmethod
    def start(cls, show: Show, chain: Chain) -> Jdr:
        keys = chain.dev_accounts(2 + len(PEOPLE))
        d = deploy(chain, keys[0], issuer=keys[1].address)
        ccp, people = Ccp(d, keys[0]), list(zip(PEOPLE.items(), keys[2:], strict=True))
        ccp.register.admit_many([Admission(keys[1].address, Kind.TOKEN_ISSUER, "issuer")] + [
            Admission(k.address, Kind[p["kind"]], name, p.get("member"),
                      AccountType[p.get("account", "NONE")])
            for (name, p), k in people])  # fmt: skip
        roles = {name: ROLES[p["kind"]](d, k) for (name, p), k in people}
        TokenIssuer(d, keys[1]).issue_many([(s, who, q, "opening")
                                            for who, held in SCENARIO["opening"].items()
                                            for s, q in held.items()])  # fmt: skip
        oracle = Oracle(d, keys[0])
        return cls(show, d, ccp, oracle, roles, priced={ETF, *MARKET["cash"]})

    def tell(self) -> bool:
        for step in (self.listing, self.creation, self.trading, self.distribute,
                     self.disclosure, self.deviation, self.suspension, self.collateral,
                     self.termination):  # fmt: skip
            step()
            self.backing.append(self.backed()[0])
        return self.reconcile()

    # ------------------------------------------------------------------ helpers

    @property
    def bank(self) -> TrustBank:
        return self.cast["trust-bank"]  # type: ignore[return-value]

    @property
    def settlor(self) -> Settlor:
        return self.cast["etf-manager"]  # type: ignore[return-value]

    @property
    def trust(self) -> JdrTrustClient:
        return self.d.jdr(SYMBOL)

    def expect(self, key: str, ok: bool, observed: str) -> None:
        self.checks.check(EXPECTED[key], ok, observed)

    def table(self, render: Any, *args: Any, **kwargs: Any) -> None:
        self.show.table(render(*args, narrow=self.show.narrow, **kwargs))

    def move(self, key: str) -> str:
        """The chain's clock to `key` of [clock]; the oracle publishes that day's market, if any,
        for what it prices. Returns the day, for the story."""
        when = tokyo(key)
        devnet.set_next_timestamp(self.d.chain, to_unix(when))
        if key in MARKET:
            prices = {**MARKET["cash"], **MARKET[key]["prices"]}
            self.oracle.publish_fx_rates(MARKET[key]["fx"])
            self.oracle.publish_prices({s: p for s, p in prices.items() if s in self.priced})
        return f"{when:%a %d %b %Y}"

    def units(self, symbol: str, amount: int | str) -> str:
        """`1,000 SPY-JDR`: whole units of an asset, as the ledger writes them."""
        a = self.d.asset(symbol)
        return a.format(a.units(amount))

    def backed(self) -> tuple[bool, str]:
        """Whether the trust's invariant holds, and its supply against the ETF units held."""
        supply, held, holds = self.trust.invariant()
        return holds, f"{n(supply)} {SYMBOL} on {n(held)} {ETF}"

    def role_of(self, address: str) -> Role:
        return next(r for r in self.cast.values() if r.address == address)

    # ------------------------------------------------------------------ the story

    def listing(self) -> None:
        show, d = self.show, self.d
        show.step("listing", day=self.move("listing"))
        deed = {k: v for k, v in SERIES.items() if k != "cancel_policy"}
        created = self.bank.create_series(
            settlor="etf-manager", listing_date=tokyo("listing").date(),
            cancel_policy=CancelPolicy[SERIES["cancel_policy"]], **deed,
        )  # fmt: skip
        show.tx("created", created, symbol=SYMBOL, ratio=SERIES["ratio"], etf=ETF)
        show.tx("listed", self.ccp.jdr.list_series(SYMBOL))
        self.oracle.list_asset(SYMBOL)
        self.priced.add(SYMBOL)
        price = MARKET["listing"]["prices"][SYMBOL]
        priced = self.oracle.publish_prices({SYMBOL: price})
        show.tx("priced", priced, symbol=SYMBOL, price=n(price))
        # The settlor's custody lets the trust draw its SPY for creations (a standing approval).
        self.settlor.send(d.token(ETF).approve(self.trust.address, self.settlor.balance(ETF)))
        series = {SYMBOL: (self.trust.deed(), self.trust.invariant())}
        self.table(tables.jdr_series_table, d, series, title=show.words("series"))
        supply, held, holds = self.trust.invariant()
        quote = d.market_data.quote(SYMBOL)
        ok = holds and supply == held == 0 and quote.price_e18 == price_to_chain(price)
        self.expect("listed", ok and d.participant(self.trust.address).kind is Kind.SYSTEM_CONTRACT,
                    f"registered, JPY {n(price)} a unit, supply {supply}")  # fmt: skip

    def creation(self) -> None:
        show = self.show
        show.step("creation")
        etf, jdr = SCENARIO["creation"], SCENARIO["creation"] * SERIES["ratio"]
        requested = self.settlor.create(SYMBOL, etf)
        show.tx("requested", requested, etf=self.units(ETF, etf), jdr=self.units(SYMBOL, jdr))
        approved = self.bank.approve_creation(SYMBOL, requested.value.id)
        show.tx("approved", approved, id=requested.value.id, jdr=self.units(SYMBOL, jdr))
        holds, backing = self.backed()
        ok = holds and self.settlor.balance(SYMBOL) == jdr and self.trust.underlying_held() == etf
        self.expect("created", ok, backing)

    def trading(self) -> None:
        show = self.show
        show.step("trading")
        for seller, buyer, units in SCENARIO["trades"]:
            moved = self.cast[seller].transfer(SYMBOL, buyer, units)
            show.tx("trade", moved, seller=seller, buyer=buyer, units=self.units(SYMBOL, units))
        record_date = SCENARIO["clock"]["record_date"]
        announced = self.bank.announce_record_date(SYMBOL, record_date)
        self.distribution = announced.value.id
        show.tx("announced", announced, date=f"{record_date:%a %d %b %Y}")
        holds, backing = self.backed()
        self.record = {r.address: int(r.balance(SYMBOL)) for r in self.cast.values()
                       if r.balance(SYMBOL)}  # fmt: skip
        self.expect("traded", holds and sum(self.record.values()) == self.trust.invariant()[0],
                    backing)  # fmt: skip

    def distribute(self) -> None:
        show, d, trust = self.show, self.d, self.trust
        show.step("distribution", day=self.move("distribution"))
        seller, buyer, units = SCENARIO["after_record"]
        late = self.cast[seller].transfer(SYMBOL, buyer, units)
        show.tx("late", late, seller=seller, buyer=buyer, units=self.units(SYMBOL, units))
        usd = SCENARIO["distribution_usd"]
        received = self.bank.transfer("USD", trust.address, usd)
        show.tx("received", received, usd=self.units("USD", usd))
        declared = self.bank.declare_distribution(SYMBOL, self.distribution, usd)
        x = declared.value
        show.tx("declared", declared, net=n(x.net_jpy), units=n(x.units_of_record))
        holders = trust.holders_of_record(self.distribution)
        claims = [self.role_of(h).claim_distribution(SYMBOL, self.distribution) for h in holders]
        paid = {h: claimed.value for h, claimed in zip(holders, claims, strict=True)}
        self.show.txs("claimed", claims, holders=len(claims), jpy=n(sum(paid.values())))
        x = trust.distribution(self.distribution)
        self.table(tables.jdr_distributions_table, d, trust.deed(), [x],
                   title=show.words("distributions"))  # fmt: skip
        unclaimed, remainder = trust.distribution_balance(self.distribution)
        self.table(tables.holders_of_record_table, d, SYMBOL, x, holders, paid,
                   remainder=remainder)  # fmt: skip
        buyer_address = self.cast[buyer].address
        self.expect("record", holders == self.record and buyer_address not in holders,
                    f"{len(holders)} holders; not {buyer}")  # fmt: skip
        shares = all(paid[h] == share(x.net_jpy, u, x.units_of_record) for h, u in holders.items())
        ok = shares and sum(paid.values()) + remainder == x.net_jpy and unclaimed == 0
        self.expect("distribution", ok, f"JPY {n(sum(paid.values()))} + {remainder} = "
                                        f"{n(x.net_jpy)}")  # fmt: skip

    def disclosure(self) -> None:
        show, d, trust = self.show, self.d, self.trust
        day = self.move("disclosure")
        show.step("disclosure", day=day)
        nav = SCENARIO["nav_per_spy"]
        disclosed = self.bank.disclose(SYMBOL, tokyo("disclosure").date(), nav)
        x, etf = disclosed.value, d.asset(ETF)
        model = nav_figures(
            etf.units(trust.underlying_held()), price_to_chain(nav),
            d.market_data.quote(ETF).fx_e18, d.asset(SYMBOL).units(trust.token.total_supply()),
            underlying_decimals=etf.decimals,
        )  # fmt: skip
        per_unit = (Decimal(x.nav_per_unit_e18) / 10**18).normalize()
        show.tx("disclosed", disclosed, total=n(x.nav_total_jpy), per_unit=f"{per_unit:,f}",
                units=n(x.units_outstanding), fx=MARKET["disclosure"]["fx"]["USD"])  # fmt: skip
        self.table(tables.disclosure_table, d, trust.deed(), x, model=model,
                   title=show.words("table"))  # fmt: skip
        same = (model.nav_total_jpy, model.nav_per_unit_e18) == (x.nav_total_jpy,
                                                                 x.nav_per_unit_e18)  # fmt: skip
        self.expect("disclosure", same, f"JPY {n(x.nav_total_jpy)}; {per_unit:,f} a unit")

    def deviation(self) -> None:
        show = self.show
        show.step("deviation")
        premia, trend = SCENARIO["premium_bps"], SCENARIO["nav_trend_bps"]
        sessions = last_business_days(tokyo("disclosure").date(), len(premia))
        last = Decimal(self.trust.latest_disclosure().nav_per_unit_e18) / 10**18
        history = []
        for i, (day, premium) in enumerate(zip(sessions, premia, strict=True)):
            nav = (last * (1 - Decimal(trend * (len(premia) - 1 - i)) / 10_000)).quantize(
                Decimal("0.01"))  # fmt: skip
            close = (nav * (1 + Decimal(premium) / 10_000)).quantize(Decimal(1))
            history.append(DailyPrice(day, close, nav))
        alerts = deviation_alerts(history)
        devs = [deviation(p.close_jpy, p.nav_per_unit_jpy) for p in history]
        first, span = sessions[0], (sessions[-1] - sessions[0]).days
        closed = [first + dt.timedelta(days=i) for i in range(span)]
        holidays = [c for c in closed if c.weekday() < 5 and not is_business_day(c)]
        skipped = ", ".join(f"{h:%a %d %b}" for h in holidays) + " a holiday" if holidays else (
            "no holiday")  # fmt: skip
        show.line("[blue]·[/blue]", show.words(
            "history", sessions=len(sessions), first=f"{first:%a %d %b}",
            last=f"{sessions[-1]:%a %d %b}", skipped=skipped,
            calm=sum(v < RUN_THRESHOLD for v in devs),
            wide=sum(RUN_THRESHOLD <= v < SINGLE_DAY_THRESHOLD for v in devs),
            extreme=sum(v >= SINGLE_DAY_THRESHOLD for v in devs)))  # fmt: skip
        self.table(tables.deviation_alerts_table, alerts, title=show.words("alerts"))
        said = ", ".join(f"{a.rule}: {a.day:%d %b}" for a in alerts)
        self.expect("deviation", [a.rule for a in alerts] == [SEVEN_DAYS, SINGLE_DAY], said)

    def suspension(self) -> None:
        show, bank = self.show, self.bank
        show.step("suspension", day=self.move("suspension"))
        reason = SCENARIO["suspend_reason"]
        show.tx("suspended", bank.suspend(SYMBOL, Operation.CREATION, reason=reason),
                reason=reason)  # fmt: skip
        etf = SCENARIO["resumed_creation"]
        refusals = Refusals(show, self.d)  # the line names the error; the ledger is checked
        with refusals.attempt("attempt", errors.JdrOperationSuspended, etf=self.units(ETF, etf)):
            self.settlor.create(SYMBOL, etf)
        reason = SCENARIO["resume_reason"]
        show.tx("resumed", bank.resume(SYMBOL, Operation.CREATION, reason=reason), reason=reason)
        requested = self.settlor.create(SYMBOL, etf)
        approved = bank.approve_creation(SYMBOL, requested.value.id)
        show.tx("created", approved, jdr=self.units(SYMBOL, etf * SERIES["ratio"]))
        self.expect("suspended", refusals.all_as_expected, "JdrOperationSuspended")
        holds, backing = self.backed()
        self.expect("resumed", holds and not self.trust.is_suspended(Operation.CREATION), backing)

    def collateral(self) -> None:
        show, d, member = self.show, self.d, self.cast["member-a"]
        assert isinstance(member, ClearingMember)
        self.move("collateral")
        show.step("collateral")
        refusals = Refusals(show, d)
        low, floor = SCENARIO["haircut_refused"], SCENARIO["haircut"]
        with refusals.attempt("attempt", errors.MarketDataHaircutBelowFloor, bps=n(low)):
            self.oracle.set_risk_parameters({SYMBOL: RiskParameters(low)})
        set_ = self.oracle.set_risk_parameters({SYMBOL: RiskParameters(floor)})
        show.tx("haircut", set_, bps=n(floor))
        self.ccp.margin.open_account(member, HOUSE)
        posted = SCENARIO["posted"]
        show.tx("posted", member.deposit(SYMBOL, posted), jdr=self.units(SYMBOL, posted))
        quote = d.market_data.quote(SYMBOL)
        market = posted * quote.price_e18 * quote.fx_e18 // 10**36
        counted = member.collateral_value(HOUSE)
        pct = f"{Decimal(counted) * 100 / market:.1f}%"
        show.line(tables.OK, show.words("valued", market=n(market), counted=n(counted), pct=pct))
        show.tx("returned", member.withdraw(SYMBOL, posted), jdr=self.units(SYMBOL, posted))
        self.expect("floor", refusals.all_as_expected, "MarketDataHaircutBelowFloor")
        self.expect("capped", counted * 10 == market * 7,
                    f"JPY {n(counted)} of {n(market)}")  # fmt: skip

    def termination(self) -> None:
        show, d, bank, trust = self.show, self.d, self.bank, self.trust
        show.step("termination", day=self.move("termination"))
        ended = bank.terminate(SYMBOL, Trigger[SCENARIO["trigger"]],
                               reason=SCENARIO["terminate_reason"])  # fmt: skip
        show.tx("terminated", ended, units=self.units(SYMBOL, ended.value.units_outstanding))
        refusals = Refusals(show, d)
        units = self.units(SYMBOL, SERIES["buyback_minimum"])
        with refusals.attempt("transfer", errors.JdrTokenClosed, units=units):
            self.cast["member-a"].transfer(SYMBOL, "member-b", SERIES["buyback_minimum"])
        proceeds, low = SCENARIO["proceeds_jpy"], SCENARIO["undersold_jpy"]
        day = self.move("liquidation")
        etf = self.units(ETF, int(trust.underlying_held()))
        low_sale = {"day": day, "etf": etf, "proceeds": n(low)}
        with refusals.attempt("undersold", errors.JdrProceedsBelowMarket, **low_sale):
            bank.record_liquidation(SYMBOL, low)  # the published price and rate value the SPY
        sold = bank.record_liquidation(SYMBOL, proceeds)
        show.tx("liquidated", sold, etf=self.units(ETF, sold.value.underlying_held),
                proceeds=n(proceeds))  # fmt: skip
        claims = [r.claim_termination(SYMBOL) for r in self.cast.values() if r.balance(SYMBOL)]
        for claimed in claims:
            (event,) = claimed.named("TerminationClaimed")
            self.payouts[event["holder"]] = (int(event["units"]), int(event["amountJpy"]))
        paid = sum(jpy for _, jpy in self.payouts.values())
        self.show.txs("claimed", claims, holders=len(claims), jpy=n(paid))
        end = trust.termination()
        self.table(tables.termination_table, d, SYMBOL, end, self.payouts,
                   title=show.words("payouts"))  # fmt: skip
        shares = all(jpy == share(proceeds, u, end.units_outstanding)
                     for u, jpy in self.payouts.values())  # fmt: skip
        left = proceeds - paid
        ok = shares and paid == end.paid_jpy and end.units_claimed == end.units_outstanding
        ok = ok and trust.token.total_supply() == 0 and 0 <= left < len(self.payouts)
        self.expect("terminated", ok and refusals.all_as_expected,
                    f"JPY {n(paid)} + {left} = {n(proceeds)}")  # fmt: skip

    def reconcile(self) -> bool:
        show, d = self.show, self.d
        show.step("reconcile")
        backed = reconcile.jdr_trusts_backed(d)
        others = [reconcile.supply_against_register(d), reconcile.vault_against_accounts(d)]
        ok = show.controls([backed, *others], tabled=lambda c: c is backed)  # in full: the trusts
        held = sum(self.backing)
        self.expect("invariant", held == len(self.backing), f"{held} of {len(self.backing)} steps")
        self.expect("reconcile", ok, f"{1 + len(others)} controls")
        show.outcomes(self.checks, show.words("checks"))
        return show.verdict(not self.checks.failed, txs=len(d.chain.gas_log))


if __name__ == "__main__":
    sys.exit(main(full=arguments(__doc__).parse_args().full))
