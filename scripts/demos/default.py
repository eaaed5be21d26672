"""Kabuto default demo (`make demo`): a default that cannot be escaped, porting, the waterfall.

On a fresh embedded chain member-c misses a margin call and, past the deadline, tries to take its
clearing-fund contribution and its omnibus client's collateral out: refused, each with its reason.
The CCP declares the default; member-a takes member-c's segregated client; the omnibus client, not
ported, is closed out and gets the rest of its collateral back; the loss on member-c's own
positions runs down the waterfall. Scenario and words: default.toml next to this file.
`.venv/bin/python scripts/demos/default.py [--full]` exits 0 when every expectation held; `--full`
adds every detail (gas, the default's events, every control's table).
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from pyclient import (
    AccountKind,
    AccountType,
    Admission,
    CallType,
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
from pyclient.clock import to_unix
from pyclient.default import Layer
from pyclient.events import describe
from pyclient.margin import Position, stress_loss
from pyclient.narration import Checks, Refusals, Show, arguments, run
from pyclient.roles import Ccp, ClearingMember, Client, Oracle, TokenIssuer

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
PEOPLE: dict[str, dict[str, str]] = SCENARIO["participants"]
EXPECTED: dict[str, str] = SCENARIO["expected"]
CLOSE_OUT = SCENARIO["close_out"]


def main(console: Console | None = None, *, full: bool = False) -> int:
    return run(console, SCENARIO["narration"], lambda show, c: Default.start(show, c).tell(),
               full=full)  # fmt: skip


def jpy(value: int) -> str:
    return tables.number(value)


@dataclass
class Default:
    show: Show
    d: Deployment
    ccp: Ccp
    oracle: Oracle
    cast: dict[str, Any]  # name -> ClearingMember or Client
    checks: Checks

    @classmethod
    def start(cls, show: Show, chain: Chain) -> Default:
        keys = chain.dev_accounts(2 + len(PEOPLE))
        d = deploy(chain, keys[0], issuer=keys[1].address)
        ccp, oracle = Ccp(d, keys[0]), Oracle(d, keys[0])
        ccp.register.admit_many([Admission(keys[1].address, Kind.TOKEN_ISSUER, "issuer")] + [
            Admission(k.address, Kind[p["kind"]], name, p.get("member"),
                      AccountType[p.get("account", "NONE")])
            for (name, p), k in zip(PEOPLE.items(), keys[2:], strict=True)])  # fmt: skip
        cast = {name: (ClearingMember if p["kind"] == "CLEARING_MEMBER" else Client)(d, k)
                for (name, p), k in zip(PEOPLE.items(), keys[2:], strict=True)}  # fmt: skip
        cash = [("JPY", name, amount, "opening") for name, amount in SCENARIO["cash"].items()]
        TokenIssuer(d, keys[1]).issue_many(cash)
        oracle.set_risk_parameters({"JPY": RiskParameters(0)})
        oracle.publish_prices({"JPY": 1})
        return cls(show, d, ccp, oracle, cast, Checks())

    def tell(self) -> bool:
        self.setup()
        call = self.call()
        self.escape()
        case = self.declare(call)
        self.port(case)
        self.close_out(case)
        self.waterfall(case)
        return self.reconcile()

    def expect(self, key: str, ok: bool, observed: str) -> None:
        self.checks.check(EXPECTED[key], ok, observed)

    def setup(self) -> None:
        show, d, ccp = self.show, self.d, self.ccp
        show.step("setup")
        held = SCENARIO["accounts"]
        opened = ccp.margin.open_accounts([(self.cast[n], AccountKind[k]) for n, ks in held.items()
                                           for k in ks if k != "OMNIBUS" or n.startswith("member")]
                                          + [(ccp.address, AccountKind.CLEARING_FUND)])  # fmt: skip
        funds = {self.cast[n].account_id(AccountKind.CLEARING_FUND): ks["CLEARING_FUND"]
                 for n, ks in held.items() if "CLEARING_FUND" in ks}  # fmt: skip
        ccp.margin.post_requirements(funds, run_id="clearing fund")
        for name, kinds in held.items():
            for kind, amount in kinds.items():
                if not amount:
                    continue
                who = self.cast[name]
                if isinstance(who, Client):
                    who.deposit("JPY", amount)
                else:
                    who.deposit("JPY", amount, kind=AccountKind[kind])
        ccp.default.post_tranche("JPY", SCENARIO["tranche"])
        accounts = [*opened.value, ccp.default.tranche_account()]
        self.table(tables.accounts_table, d, views.account_views(d, dict.fromkeys(accounts)),
                   title=show.words("accounts"))  # fmt: skip

    def table(self, render: Any, *args: Any, **kwargs: Any) -> None:
        self.show.table(render(*args, narrow=self.show.narrow, **kwargs))

    def call(self) -> int:
        show, c = self.show, self.cast["member-c"]
        show.step("call")
        house = c.account_id(AccountKind.HOUSE)
        self.ccp.margin.post_requirements({house: SCENARIO["call_requirement"]}, run_id="eod")
        issued = self.ccp.margin.issue_margin_calls([house], CallType.REGULAR)
        (call,) = issued.value.calls
        show.tx("called", issued, id=call.id, short=jpy(call.shortfall_jpy),
                due=f"{call.deadline:%a %d %b %H:%M} Tokyo")  # fmt: skip
        devnet.set_next_timestamp(self.d.chain, to_unix(call.deadline) + 60)
        self.oracle.publish_prices({"JPY": 1})
        show.line(tables.OK, show.words("passes"))
        return call.id

    def escape(self) -> None:
        show, c = self.show, self.cast["member-c"]
        show.step("escape")
        refusals, past = Refusals(show, self.d), errors.VaultCallPastDeadline
        with refusals.attempt("fund", past):
            c.withdraw("JPY", 15_000_000, kind=AccountKind.CLEARING_FUND)
        with refusals.attempt("client", past):
            c.withdraw_for("client-o", "JPY", 12_000_000)
        with refusals.attempt("house", past):
            c.withdraw("JPY", 1)
        refusals.summary(show.words("refused"))
        self.expect("escape", refusals.all_as_expected, f"{len(refusals.rows)} attempts refused")

    def declare(self, call_id: int) -> int:
        show, d = self.show, self.d
        show.step("declare")
        declared = self.ccp.default.declare(call_id, "missed the regular call")
        seized, frozen = views.seizures(d, declared.events), len(declared.named("AccountFrozen"))
        show.tx("declared", declared, id=call_id, frozen=frozen, seized=len(seized))
        show.events(d, declared, show.words("events"))
        self.table(tables.seized_table, d, seized, title=show.words("seized"))
        c = self.cast["member-c"]
        ok = c.record.status.name == "DEFAULTED" and frozen == len(d.vault.accounts_of(c))
        self.expect("declared", ok, f"{frozen} accounts frozen, {len(seized)} holdings seized")
        return declared.value.id

    def port(self, case: int) -> None:
        show, a, s = self.show, self.cast["member-a"], self.cast["client-s"]
        show.step("port")
        show.tx("accepted", a.accept_client(case, s))
        ported = self.ccp.default.port(case, s)
        show.tx("ported", ported)
        for event in ported.events:  # the register, the account and the case, each in a sentence
            show.line("[magenta]»[/magenta]", f"[italic]{describe(event, self.d)}[/italic]")
        ok = s.record.clearing_member == a.address and not s.vault_account(
            AccountKind.SEGREGATED).frozen and s.collateral(AccountKind.SEGREGATED)  # fmt: skip
        self.expect(
            "ported",
            bool(ok),
            f"client-s's member is {self.d.name(s.record.clearing_member or '')}",
        )

    def loss(self, name: str) -> int:
        positions = [Position(code, n) for code, n in CLOSE_OUT[name].items()]
        return int(stress_loss(positions, CLOSE_OUT["price"], trade_prices=CLOSE_OUT["traded"]))

    def close_out(self, case_id: int) -> None:
        show, o = self.show, self.cast["client-o"]
        show.step("close_out")
        case = self.d.default_manager.case(case_id)
        devnet.set_next_timestamp(self.d.chain, to_unix(case.porting_deadline) + 60)
        self.oracle.publish_prices({"JPY": 1})
        loss, wallet = self.loss("client-o"), o.balance("JPY")
        closed = self.ccp.default.close_out(case_id, o, loss)
        back = int(o.balance("JPY") - wallet)
        show.tx("closed", closed, loss=jpy(loss), covered=jpy(closed.value), back=jpy(back))
        held = SCENARIO["accounts"]["client-o"]["OMNIBUS"]
        ok = closed.value == min(loss, held) and back == held - closed.value
        self.expect("closed_out", ok, f"JPY {jpy(closed.value)} taken, {jpy(back)} returned")

    def waterfall(self, case_id: int) -> None:
        show = self.show
        show.step("waterfall")
        loss = self.loss("member-c")
        held = ", ".join(f"{n:+} {code}" for code, n in CLOSE_OUT["member-c"].items())
        show.say(show.words("loss", positions=held, loss=jpy(loss)))
        fall = self.ccp.default.settle(case_id, loss).value
        self.table(tables.waterfall_table, self.d, fall, title=show.words("table"))
        order = [u.layer for u in fall.layers if u.used_jpy]
        ok = order == sorted(order) and fall.covered_jpy == fall.loss_jpy
        used = fall.by_layer()
        self.expect("waterfall", ok, ", ".join(f"{jpy(used[layer])}" for layer in Layer))

    def reconcile(self) -> bool:
        show, d = self.show, self.d
        show.step("reconcile")
        controls = [reconcile.vault_against_accounts(d), reconcile.omnibus_sub_ledgers(d),
                    reconcile.supply_against_register(d)]  # fmt: skip
        held = show.controls(controls)
        self.expect("reconcile", held, "3 controls")
        show.outcomes(self.checks, show.words("checks"))
        return show.verdict(not self.checks.failed, txs=len(d.chain.gas_log))


if __name__ == "__main__":
    sys.exit(main(full=arguments(__doc__).parse_args().full))
