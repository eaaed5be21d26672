"""Kabuto foundation demo (`make demo`): a clearing house's register and permissioned assets.

On a fresh embedded chain: the CCP deploys the suite and admits participants, the issuer tokenizes
deposits, participants pay each other, every call the rules forbid is refused while the ledger
stays still, a member defaults and loses its cash by forced transfer, and the books reconcile.
The participants, deposits, payments and narration are data, in foundation.toml next to this file.
`.venv/bin/python scripts/demos/foundation.py [--full]` exits 0 when every rule held and the books
balance; `--full` adds every detail (gas, events, balances after each step).
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from pyclient import AccountType, Admission, Chain, Deployment, Kind, deploy, errors, tables
from pyclient.narration import SET_UP, Refusals, Show, arguments, run
from pyclient.reconcile import supply_against_register
from pyclient.roles import Ccp, ClearingMember, Client, Role, TokenIssuer
from pyclient.views import balance_sheet

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
DEPOSITS = [tuple(deposit) for deposit in SCENARIO["deposits"]]  # (asset, for, amount, ref)
PARTICIPANTS: dict[str, dict[str, str]] = SCENARIO["participants"]  # name -> kind, member, account
ROLES = {"TOKEN_ISSUER": TokenIssuer, "CLEARING_MEMBER": ClearingMember, "CLIENT": Client}


def main(console: Console | None = None, *, full: bool = False) -> int:
    return run(console, SCENARIO["narration"], lambda show, c: Foundation.start(show, c).tell(),
               full=full)  # fmt: skip


@dataclass
class Foundation:
    """Who is who in the story (one development key each), and the story in steps."""

    show: Show
    d: Deployment
    ccp: Ccp  # the CCP's operations desk: admin of the register and the tokens
    cast: dict[str, Any]  # name -> the role of each participant, the token issuer first
    desk: Role  # the CCP's default-management account, admitted in step 6
    outsider: str  # an address never admitted

    @classmethod
    def start(cls, show: Show, chain: Chain) -> Foundation:
        show.step("ledger")
        show.say(show.words("chain", id=chain.chain_id, url=chain.url), detail=True)
        keys = chain.dev_accounts(11)
        show.say(show.words("operator", ccp=keys[0].address, issuer=keys[1].address))
        with show.console.status("deploying…"):
            d = deploy(chain, keys[0], issuer=keys[1].address, progress=show.progress)
        gas = sum(r.gas_used for r in chain.gas_log)
        deployed = show.words("deployed", contracts=len(d.contracts()), txs=len(chain.gas_log),
                             gas=gas, register=d.registry.address)  # fmt: skip
        show.line(tables.OK, deployed)
        show.table(tables.assets_table(d, narrow=show.narrow or not show.full))  # brief: no address
        keyed = zip(PARTICIPANTS.items(), keys[1:9], strict=True)
        cast = {name: ROLES.get(p["kind"], Role)(d, key) for (name, p), key in keyed}
        return cls(show, d, Ccp(d, keys[0]), cast, Role(d, keys[9]), keys[10].address)

    def tell(self) -> bool:
        self.admit_participants()
        self.tokenize_deposits()
        self.ordinary_transfers()
        rules_held = self.rules_at_work() & self.default_management()  # both told, whatever held
        return self.reconcile() and rules_held

    def amount(self, symbol: str, amount: int | str) -> str:
        a = self.d.asset(symbol)
        return tables.number(a.whole(a.units(amount)), a.decimals)

    def admit_participants(self) -> None:
        self.show.step("admit")
        admitted = self.ccp.register.admit_many([
            Admission(self.cast[name].address, Kind[p["kind"]], name, p.get("member"),
                      AccountType[p.get("account", "NONE")]) for name, p in PARTICIPANTS.items()
        ])  # fmt: skip
        gas = {o.value.address: o.gas_used for o in admitted.outcomes}
        title, narrow = self.show.words("register"), self.show.narrow
        self.show.table(tables.participants_table(self.d, title=title, gas=gas, narrow=narrow))

    def tokenize_deposits(self) -> None:
        self.show.step("tokenize")
        issued = self.cast["token-issuer"].issue_many(DEPOSITS).outcomes
        rows = [((ref, holder, self.amount(s, amount), s), o)
                for (s, holder, amount, ref), o in zip(DEPOSITS, issued, strict=True)]  # fmt: skip
        table = tables.outcomes_table(self.show.words("deposits"), rows, "deposit ref", "for",
                                      ("amount", "right"), "asset")  # fmt: skip
        sheet, title = balance_sheet(self.d), self.show.words("balances")
        self.show.table(table)
        self.show.detail(tables.balances_table(self.d, sheet, title=title))

    def ordinary_transfers(self) -> None:
        self.show.step("transfers")
        before = balance_sheet(self.d)
        rows = []
        for sender, symbol, to, amount, what in SCENARIO["transfers"]:
            paid = self.cast[sender].transfer(symbol, to, amount)
            rows.append(((sender, to, self.amount(symbol, amount), symbol, what), paid))
        table = tables.outcomes_table(self.show.words("transfers"), rows, "from", "to",
                                      ("amount", "right"), "asset", "what")  # fmt: skip
        after, title = balance_sheet(self.d), self.show.words("balances")
        self.show.table(table)
        self.show.detail(tables.balances_table(self.d, after, title=title, before=before))

    def rules_at_work(self) -> bool:
        show, ccp, issuer, outsider = self.show, self.ccp, self.cast["token-issuer"], self.outsider
        a, b, c = (self.cast[f"member-{x}"] for x in "abc")
        show.step("rules")
        refusals = Refusals(show, self.d, {"outsider": outsider})
        attempt, not_active = refusals.attempt, errors.ParticipantNotActive
        show.part("registered")
        with attempt("to_outsider", errors.ParticipantUnknown, outsider=tables.short(outsider)):
            a.transfer("JPY", outsider, 1_000_000)
        with attempt("to_no_name", errors.ParticipantNotFound):
            a.transfer("JPY", "member-z", 1_000_000)
        show.part("exact")
        with attempt("float", errors.InvalidAmount):
            a.transfer("USD", "member-b", 10.1)  # type: ignore[arg-type]
        with attempt("decimals", errors.InvalidAmount):
            a.transfer("USD", "member-b", "10.125")
        show.part("suspended")
        show.tx("suspend", ccp.register.suspend("member-c", "late margin payment"))
        show.say(show.words("now", status=tables.status_text(c.record.status)))
        with attempt("to_suspended", not_active):
            a.transfer("JPY", "member-c", 1_000_000)
        with attempt("from_suspended", not_active):
            c.transfer("JPY", "member-a", 1_000_000)
        show.tx("reinstate", ccp.register.reinstate("member-c", "margin received"))
        show.tx("goes_through", a.transfer("JPY", "member-c", 1_000_000))
        show.part("frozen")
        show.tx("freeze", ccp.agent.freeze("JPY", "member-b", reason="inquiry"))
        with attempt("from_frozen", errors.TokenAccountFrozen):
            b.transfer("JPY", "member-a", 1_000_000)
        with attempt("to_frozen", errors.TokenAccountFrozen):
            a.transfer("JPY", "member-b", 1_000_000)
        show.tx("usd_moves", b.transfer("USD", a, "1000"))
        show.tx("unfreeze", ccp.agent.unfreeze("JPY", b, reason="cleared"))
        show.part("partial")
        balance = b.balance("JPY")
        hold = balance - 50_000_000
        frozen = ccp.agent.freeze_tokens("JPY", b, hold, reason="collateral hold")
        show.tx("hold", frozen, hold=hold, balance=balance)
        show.say(show.words("free", free=b.free_balance("JPY")))
        with attempt("beyond_free", errors.TokenInsufficientFreeBalance):
            b.transfer("JPY", "member-a", 60_000_000)
        show.tx("within_free", b.transfer("JPY", a, 10**7))
        released = ccp.agent.unfreeze_tokens("JPY", b, hold, reason="hold released")
        show.tx("release", released, hold=hold)
        show.part("paused")
        show.tx("pause", ccp.agent.pause("TYO7203"))
        with attempt("while_paused", errors.EnforcedPause):
            a.transfer("TYO7203", "member-b", 100)
        show.tx("still_mints", issuer.issue("TYO7203", "member-a", 100, ref="EQ-CUST-0003"))
        show.tx("unpause", ccp.agent.unpause("TYO7203"))
        show.part("roles")
        posing, unauthorized = Ccp(self.d, a.signer), errors.AccessControlUnauthorizedAccount
        with attempt("as_ccp", unauthorized):
            posing.register.admit_member(outsider, "member-x")
        with attempt("as_issuer", unauthorized):
            TokenIssuer(self.d, a.signer).issue("JPY", a, 1_000_000, ref="FAKE")
        with attempt("grab", unauthorized):
            posing.agent.forced_transfer("JPY", b, a, 1_000_000, reason="grab")

        if show.full:
            show.console.print()
        if refusals.summary(show.words("refused")):
            show.line(tables.OK, show.words("all_refused", n=len(refusals.rows)))
        return refusals.all_as_expected

    def default_management(self) -> bool:
        show, d, ccp, c = self.show, self.d, self.ccp, self.cast["member-c"]
        show.step("default")
        show.tx("desk", ccp.register.admit(self.desk.address, Kind.CCP, "ccp-default-mgmt"))
        show.tx("declare", ccp.default.declare_member(c, "failed to pay"))
        show.tx("freeze", ccp.agent.freeze("JPY", c, reason="default"))
        status = tables.status_text(c.record.status)
        show.say(show.words("status", status=status, balance=c.balance("JPY"),
                           free=c.free_balance("JPY")))  # fmt: skip
        refusals = Refusals(show, d)
        with refusals.attempt("pays", errors.ParticipantNotActive):
            c.transfer("JPY", "member-a", 1_000_000)

        before, amount = balance_sheet(d), c.balance("JPY")
        moved = ccp.agent.forced_transfer("JPY", c, self.desk, amount, reason="default of member-c")
        show.tx("forced", moved, amount=amount)
        show.events(d, moved, show.words("events"))
        after, title = balance_sheet(d), show.words("balances")
        show.detail(tables.balances_table(d, after, title=title, before=before))
        show.say(show.words("usd"))
        return refusals.all_as_expected

    def reconcile(self) -> bool:
        show, d = self.show, self.d
        show.step("reconcile")
        supply, gas_log = supply_against_register(d), d.chain.gas_log
        show.controls([supply])
        show.detail(tables.gas_table(gas_log, title=show.words("gas"), fold=SET_UP))
        return show.verdict(supply.ok, assets=len(d.assets), participants=d.registry.count(),
                            txs=len(gas_log))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(full=arguments(__doc__).parse_args().full))
