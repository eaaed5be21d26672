"""Kabuto ETF clearing demo (`make demo`): a statement day and a settlement day of ETF creation and
redemption cleared by the CCP, netted with the day's exchange trades.

On a fresh embedded chain the CCP registers trust banks and notifies ETFs; on T members apply for
an in-kind creation, a cash creation, a cash redemption and an exchange (and two more: one an ETF
special participant's that later lapses, one not yet eligible); managers draw up statements, trust
banks approve, the CCP novates. On T+2, a Friday before a Monday holiday, the exchange's trades
join them, netting closes, and the day settles on the Tokyo timetable under article 47; one member
fails part of a delivery, which rolls to Tuesday with four days of late charge; an ETF special
participant defaults and its creation lapses, the member's basket returned.
Scenario and words: etf_clearing.toml next to this file.
`.venv/bin/python scripts/demos/etf_clearing.py [--full]` exits 0 when every expectation held;
`--full` adds every detail (gas, the refused calls again with their messages, the expectations).
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from pyclient import (
    Admission,
    Chain,
    Deployment,
    Kind,
    deploy,
    errors,
    etf_tables,
    reconcile,
    tables,
)
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.etf.clearing import Fail
from pyclient.etf.model import ApplicationKind, EtfType, Legs, late_charge_days
from pyclient.etf.netting import load_trades, net
from pyclient.narration import Checks, Refusals, Show, arguments, run
from pyclient.roles import Ccp, ClearingMember, Settlor, TokenIssuer, TrustBank
from pyclient.tokens.asset import DEFAULT_ASSETS, AssetClass, AssetSpec

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
PEOPLE: dict[str, dict[str, str]] = SCENARIO["participants"]
EXPECTED: dict[str, str] = SCENARIO["expected"]
PRICES: dict[str, int] = SCENARIO["prices"]
FAIL: dict[str, Any] = SCENARIO["fail"]
ROLES = {"TRUST_BANK": TrustBank, "ETF_MANAGER": Settlor, "CLEARING_MEMBER": ClearingMember}
OWN_ASSETS = tuple(
    AssetSpec(unit, f"{code} ETF units (in kind)", 0, AssetClass.ETF_UNIT, "JPY")
    for code, (unit, *_rest) in SCENARIO["etfs"].items()
    if unit not in {a.symbol for a in DEFAULT_ASSETS}
)
n = tables.number


def tokyo(key: str) -> dt.datetime:
    """The story's clock at `key` of [clock], in Tokyo."""
    return SCENARIO["clock"][key].replace(tzinfo=TOKYO)


def main(console: Console | None = None, *, full: bool = False) -> int:
    start = tokyo("statement") - dt.timedelta(hours=1)  # the suite is deployed before the day
    return run(console, SCENARIO["narration"], lambda show, c: EtfClearing.start(show, c).tell(),
               full=full, genesis_timestamp=to_unix(start))  # fmt: skip


@dataclass
class EtfClearing:
    show: Show
    d: Deployment
    ccp: Ccp
    cast: dict[str, Any]
    checks: Checks = field(default_factory=Checks)
    ids: dict[int, tuple[str, str, ApplicationKind]] = field(default_factory=dict)
    fails: list[Fail] = field(default_factory=list)
    dvp_held: list[bool] = field(default_factory=list)  # article 47 after each receipt
    minted: dict[str, int] = field(default_factory=dict)  # units created less cancelled
    opening: dict[tuple[str, str], int] = field(default_factory=dict)
    refusals: Refusals = field(init=False)

    def __post_init__(self) -> None:
        self.refusals = Refusals(self.show, self.d)

    @classmethod
    def start(cls, show: Show, chain: Chain) -> EtfClearing:
        keys = chain.dev_accounts(2 + len(PEOPLE))
        d = deploy(chain, keys[0], issuer=keys[1].address, assets=DEFAULT_ASSETS + OWN_ASSETS)
        ccp, people = Ccp(d, keys[0]), list(zip(PEOPLE.items(), keys[2:], strict=True))
        ccp.register.admit_many([Admission(keys[1].address, Kind.TOKEN_ISSUER, "issuer")] + [
            Admission(k.address, Kind[p["kind"]], name) for (name, p), k in people])  # fmt: skip
        cast = {name: ROLES[p["kind"]](d, k) for (name, p), k in people}
        opening = SCENARIO["opening"].items()
        TokenIssuer(d, keys[1]).issue_many(
            [(symbol, who, q, "opening") for who, held in opening for symbol, q in held.items()]
        )
        return cls(show, d, ccp, cast)

    def tell(self) -> bool:
        self.opening = self.balances()
        for step in (self.notify, self.applications, self.netting, self.settlement, self.next_day):
            step()
        return self.reconcile()

    # ------------------------------------------------------------------ helpers

    def expect(self, key: str, ok: bool, observed: str) -> None:
        self.checks.check(EXPECTED[key], ok, observed)

    def table(self, render: Any, *args: Any, **kwargs: Any) -> None:
        self.show.table(render(*args, narrow=self.show.narrow, **kwargs))

    def move(self, key: str) -> str:
        devnet.set_next_timestamp(self.d.chain, to_unix(tokyo(key)))
        devnet.mine(self.d.chain)
        return f"{tokyo(key):%H:%M}"

    def balances(self) -> dict[tuple[str, str], int]:
        holders = [*PEOPLE, "etf-settlement"]
        return {(h, a.symbol): self.d.token(a).balance_of(self.d.address_of(h))
                for h in holders for a in self.d.assets.values()}  # fmt: skip

    def collect(self, day: dt.date) -> None:
        """DvP receipts for every book, then article 47 checked on each: the securities it has
        received, at the day's DvP prices, are worth no more than what it has delivered."""
        settlement = self.d.etf_settlement
        self.ccp.etf.collect_all(day)
        for b in settlement.books(day):
            got = sum(leg.received * settlement.dvp_price(day, leg.token) for leg in b.legs)
            self.dvp_held.append(got <= b.value_in)

    # ------------------------------------------------------------------ the story

    def notify(self) -> None:
        show, desk = self.show, self.ccp.etf
        show.step("notify")
        banks = sorted({row[1] for row in SCENARIO["etfs"].values()})
        for bank in banks:
            desk.register_trust_bank(bank)
        show.line("·", show.words("registered", banks=", ".join(banks)))
        for code, (unit, bank, manager, kind, cu, cash) in SCENARIO["etfs"].items():
            done = desk.notify(
                code, unit=unit, trust_bank=bank, manager=manager, etf_type=EtfType[kind],
                listing_date=SCENARIO["listings"].get(code, SCENARIO["listing"]),
                creation_unit=cu, basket=SCENARIO["baskets"].get(code, {}),
                cash_per_creation_unit=cash,
            )  # fmt: skip
            show.tx("notified", done, code=code, unit=unit, type=kind.replace("_", " ").lower(),
                    cu=n(cu))  # fmt: skip

    def applications(self) -> None:
        show, d = self.show, self.d
        show.step("applications", day=f"{tokyo('statement'):%a %d %b %Y}")
        self.move("statement")
        for member, code, kind, cu, _cash in SCENARIO["applications"]:
            app = self.cast[member].apply_etf(code, ApplicationKind[kind], cu).value
            self.ids[app] = (member, code, ApplicationKind[kind])
        members = sorted({m for m, *_ in SCENARIO["applications"]})
        show.line("·", show.words("applied", n=len(self.ids), members=", ".join(members)))
        first = next(iter(self.ids))
        with self.refusals.attempt("early", errors.EtfApplicationOutOfOrder, bank="trust-bank",
                                   id=first):  # fmt: skip
            self.cast["trust-bank"].approve_statement(first)
        for (app, (_m, code, _k)), row in zip(self.ids.items(), SCENARIO["applications"],
                                             strict=True):  # fmt: skip
            manager = self.cast[SCENARIO["etfs"][code][2]]
            manager.draw_up_statement(app, row[4] or None)
        show.line("·", show.words("stated", n=len(self.ids)))
        for app, (_m, code, _k) in self.ids.items():
            self.cast[SCENARIO["etfs"][code][1]].approve_statement(app)
        show.line("·", show.words("approved", t=f"{tokyo('statement'):%a %d %b}"))
        run = self.ccp.etf.novate()
        refused = ", ".join(f"#{i} ({type(e).__name__})" for i, e in run.refused.items())
        days = set(run.novated.values())
        show.line("✓", show.words("novated", novated=f"{len(run.novated)} applications",
                                  day=", ".join(f"{x:%a %d %b}" for x in days),
                                  refused=refused or "none"))  # fmt: skip
        self.table(etf_tables.applications_table, d, d.etf_applications.applications(),
                   title=show.words("table"))  # fmt: skip
        self.day = next(iter(days))
        only = [i for i, (_m, code, _k) in self.ids.items() if code == "1330"]
        ok = days == {tokyo("netting").date()} and list(run.refused) == only
        ok = ok and isinstance(run.refused[only[0]], errors.EtfBeforeListingWindow)
        self.expect(
            "novated",
            ok and self.refusals.all_as_expected,
            f"{len(run.novated)} novated for {self.day:%d %b}, #{only[0]} too early",
        )

    def netting(self) -> None:
        show, d, desk, day = self.show, self.d, self.ccp.etf, self.day
        show.step("netting", day=f"{tokyo('netting'):%a %d %b %Y}")
        self.move("netting")
        trades = load_trades(SCENARIO["trades"])
        recorded = desk.record_trades(day, trades)
        show.txs("recorded", recorded.outcomes, n=len(trades))
        show.tx("closed", books := desk.close_netting(day), books=books.value)
        desk.set_dvp_prices(day, {s: p for s, p in PRICES.items()})
        report = desk.netting_report(day)
        self.table(etf_tables.netting_table, report, PRICES, title=show.words("table"))
        self.table(etf_tables.cash_split_table, report, PRICES, title=show.words("split"))
        statements = []
        for a in d.etf_applications.applications(list(self.ids)):
            if a.settlement_date == day:
                legs = Legs({d.asset(t).symbol: q for t, q in a.securities.items()}, a.cash_jpy)
                bank = SCENARIO["etfs"][a.code][1]
                statements.append((d.name(a.member), bank, a.kind, legs))
        model = net(trades, statements)
        same = (
            all(
                (report.books[k].securities, report.books[k].cash) == (b.securities, b.cash)
                for k, b in model.books.items()
            )
            and report.books.keys() == model.books.keys()
        )
        self.expect("netting", same, f"{len(model.books)} books equal the model's")
        eff = report.efficiency(PRICES)
        self.expect(
            "efficiency", 0 < eff < 1, f"{etf_tables.percent(eff)} of the gross value saved"
        )

    def settlement(self) -> None:
        show, d, desk, day = self.show, self.d, self.ccp.etf, self.day
        show.step("settlement")
        time = self.move("delivered")
        failer, symbol = FAIL["member"], FAIL["symbol"]
        for name in ("member-a", "member-b", "member-c"):
            withhold = {symbol: FAIL["withheld"]} if name == failer else None
            self.cast[name].settle_etf_deliveries(day, withhold=withhold)
        book = d.etf_settlement.book_of(day, failer)
        owed = next(leg.net for leg in book.legs if d.asset(leg.token).symbol == symbol)
        show.line("·", show.words("delivered", time=time))
        show.line("·", show.words("short", time=time, member=failer, withheld=n(FAIL["withheld"]),
                                  owed=n(-owed), symbol=symbol))  # fmt: skip
        time = self.move("default")
        self.ccp.register.suspend(SCENARIO["defaulter"], reason="insolvent")
        lapsed = desk.lapse(SCENARIO["defaulter"]).lapsed
        show.line("✓", show.words("default", time=time, manager=SCENARIO["defaulter"],
                                  ids=", ".join(f"#{i}" for i in lapsed)))  # fmt: skip
        bank = self.cast["trust-bank"]
        created = bank.create_units(day)
        assert created is not None  # the day's units were still to be created
        units = {e["token"]: int(e["quantity"]) for e in created.named("UnitsCreated")}
        for token, q in units.items():
            self.minted[d.asset(token).symbol] = self.minted.get(d.asset(token).symbol, 0) + q
        bank.settle_redemptions(day)
        show.line("·", show.words("created", time=time, units=", ".join(
            f"{n(q)} {d.asset(t).symbol}" for t, q in units.items())))  # fmt: skip
        time = self.move("failed")
        with self.refusals.attempt("late", errors.EtfCutoffPassed, time=time, member=failer):
            self.cast[failer].settle_etf_deliveries(day)
        self.fails += desk.declare_fails(day)
        show.line("✓", show.words("failed", time=time, n=len(self.fails)))
        time = self.move("collected")
        self.collect(day)
        show.line("·", show.words("collected", time=time))
        time = self.move("rolled")
        self.fails += desk.roll_receipts(day)
        show.line("·", show.words("rolled", time=time))
        time = self.move("cancelled")
        cancelled = bank.cancel_units(day)
        for e in cancelled.named("UnitsCancelled"):
            symbol_ = d.asset(e["token"]).symbol
            self.minted[symbol_] = self.minted.get(symbol_, 0) - int(e["quantity"])
        show.line("·", show.words("cancelled", time=time))
        time = self.move("surplus")
        desk.return_surplus(day)
        show.line("·", show.words("surplus", time=time))
        self.table(
            etf_tables.books_table, d, d.etf_settlement.books(day), title=show.words("books")
        )
        self.table(etf_tables.fails_table, self.fails, title=show.words("fails"))
        lapsed_ok = bool(lapsed) and all(
            d.etf_applications.application(i).status.name == "LAPSED" for i in lapsed
        )
        voided = [b for b in d.etf_settlement.books(day) if d.name(b.party) == "trust-bank-2"]
        back = all(b.settled and not any(leg.net for leg in b.legs) for b in voided)
        self.expect("lapse", lapsed_ok and back, f"#{', #'.join(map(str, lapsed))} lapsed, "
                    f"{len(voided)} trust-bank-2 book emptied")  # fmt: skip

    def next_day(self) -> None:
        show, d, desk = self.show, self.d, self.ccp.etf
        following = tokyo("next_day").date()
        show.step("next_day", day=f"{following:%a %d %b %Y}")
        self.move("next_day")
        desk.close_netting(following)
        desk.set_dvp_prices(following, SCENARIO["prices_after"])
        for name in ("member-a", "member-b", "member-c"):
            book = d.etf_settlement.books(following)
            if any(d.name(b.party) == name for b in book):
                self.cast[name].settle_etf_deliveries(following)
        self.move("next_collected")
        self.collect(following)
        self.move("next_surplus")
        desk.return_surplus(following)
        show.line("✓", show.words("settled"))
        books = d.etf_settlement.books(following)
        self.table(etf_tables.books_table, d, books, title=show.words("books"))
        delivery = next(f for f in self.fails if f.delivery)
        receipts = [f for f in self.fails if not f.delivery]
        days = late_charge_days(self.day)
        expected = -(-delivery.value_jpy * 4 * days // 10_000)  # the payer's, rounded up
        ok = days == 4 and delivery.charge_jpy == expected
        ok = ok and sum(f.quantity for f in receipts) == delivery.quantity
        ok = ok and sum(f.charge_jpy for f in receipts) <= delivery.charge_jpy
        self.expect("fail", ok, f"JPY {n(delivery.value_jpy)} × 0.04 % × {days} = "
                                f"JPY {n(delivery.charge_jpy)}")  # fmt: skip
        all_books = [*d.etf_settlement.books(self.day), *books]
        held = sum(d.token(a).balance_of(d.etf_settlement.address) for a in d.assets.values())
        self.expect(
            "settled",
            all(b.settled for b in all_books) and held == 0,
            f"{len(all_books)} books, JPY 0 and no security at the CCP",
        )
        self.expect("dvp", all(self.dvp_held), f"{len(self.dvp_held)} books after receipts")
        after = self.balances()
        by_symbol: dict[str, int] = {}
        for (who, symbol), q in after.items():
            by_symbol[symbol] = by_symbol.get(symbol, 0) + q - self.opening[(who, symbol)]
        ok = all(v == self.minted.get(s, 0) for s, v in by_symbol.items())
        self.expect(
            "conserved",
            ok,
            ", ".join(f"{s} {v:+,}" for s, v in by_symbol.items() if v) or "every balance",
        )

    def reconcile(self) -> bool:
        show, d = self.show, self.d
        show.step("reconcile")
        result = reconcile.reconcile(d)
        show.controls(result.checks, tabled=lambda c: False)  # in full: told in the expectation
        self.refusals.summary(show.words("refused"))
        self.expect("reconcile", result.ok, f"{len(result.checks)} controls, block {result.block}")
        show.outcomes(self.checks, show.words("checks"))
        return show.verdict(not self.checks.failed, txs=len(d.chain.gas_log))


if __name__ == "__main__":
    sys.exit(main(full=arguments(__doc__).parse_args().full))
