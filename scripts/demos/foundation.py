"""Kabuto foundation demo (`make demo`): a clearing house's register and permissioned assets.

On a fresh embedded chain: the CCP deploys the suite and admits participants, the issuer tokenizes
deposits, participants pay each other, every call the rules forbid is refused while the ledger
stays still, a member defaults and loses its cash by forced transfer, and the books reconcile.
`.venv/bin/python scripts/demos/foundation.py` exits 0 when every rule held and the books balance.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from rich.console import Console
from show import SET_UP, Refusals, Show, run

from pyclient import AccountType, Admission, Chain, Deployment, Kind, deploy, errors, tables
from pyclient.reconcile import supply_against_register
from pyclient.roles import Ccp, ClearingMember, Client, Role, TokenIssuer
from pyclient.views import balance_sheet

DEPOSITS = [  # (asset, for, amount, the custodian's deposit reference)
    ("JPY", "member-a", 500_000_000, "JPY-DEP-0001"),
    ("JPY", "member-b", 300_000_000, "JPY-DEP-0002"),
    ("JPY", "member-c", 200_000_000, "JPY-DEP-0003"),
    ("JPY", "client-b1", 20_000_000, "JPY-DEP-0004"),
    ("USD", "member-a", "1000000.00", "USD-DEP-0001"),
    ("USD", "member-b", "750000.00", "USD-DEP-0002"),
    ("JGB374", "member-a", 1_000, "JGB-CUST-0001"),
    ("JGB374", "member-b", 2_000, "JGB-CUST-0002"),
    ("TYO7203", "member-a", 50_000, "EQ-CUST-0001"),
    ("TYO7203", "client-b1", 5_000, "EQ-CUST-0002"),
    ("SPY", "trust-bank", 10_000, "ETF-CUST-0001"),
]


def main(console: Console | None = None) -> int:
    return run(console, "Kabuto · tokenized clearing: the foundation",
               "A clearing house's participant register and permissioned assets on an EVM ledger",
               lambda show, chain: Foundation.start(show, chain).tell())  # fmt: skip


@dataclass
class Foundation:
    """Who is who in the story (one development key each), and the story in steps."""

    show: Show
    d: Deployment
    ccp: Ccp  # the CCP's operations desk: admin of the register and the tokens
    issuer: TokenIssuer
    a: ClearingMember
    b: ClearingMember
    c: ClearingMember
    trust_bank: Role
    clients: list[Client]  # client-b1 (segregated, under member-b), client-a1 and client-a2
    desk: Role  # the CCP's default-management account, admitted in step 6
    outsider: str  # an address never admitted

    @classmethod
    def start(cls, show: Show, chain: Chain) -> Foundation:
        show.step("A ledger for the clearing house", "The CCP starts a private EVM chain (here "
                  "an embedded Anvil node; in production a permissioned Besu/QBFT "
                  "network).")  # fmt: skip
        show.say(f"chain id [bold]{chain.chain_id}[/bold] at {chain.url}")
        keys = chain.dev_accounts(11)
        show.say(f"CCP operator {tables.short(keys[0].address)} deploys the suite; the token "
                 f"issuer {tables.short(keys[1].address)} alone may mint and burn")  # fmt: skip
        with show.console.status("deploying…"):
            say = lambda msg: show.say(f"[dim]· {msg}[/dim]")  # noqa: E731
            d = deploy(chain, keys[0], issuer=keys[1].address, progress=say)
        gas = sum(r.gas_used for r in chain.gas_log)
        show.line(tables.OK, f"{len(d.contracts())} contracts and the issuer hand-over in "
                  f"{len(chain.gas_log)} transactions, gas {gas:,}; register at "
                  f"{tables.short(d.registry.address)}")  # fmt: skip
        show.table(tables.assets_table(d, narrow=show.narrow))
        a, b, c = (ClearingMember(d, k) for k in keys[2:5])
        clients = [Client(d, k) for k in keys[6:9]]
        return cls(show, d, Ccp(d, keys[0]), TokenIssuer(d, keys[1]), a, b, c, Role(d, keys[5]),
                   clients, Role(d, keys[9]), keys[10].address)  # fmt: skip

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
        self.show.step("The CCP admits participants", "Only participants in the CCP's register "
                       "may hold or move an asset. Clients sit under a clearing member: "
                       "segregated (the CCP sees them by name) or in the member's omnibus "
                       "account.")  # fmt: skip
        client_b1, client_a1, client_a2 = (c.address for c in self.clients)
        omnibus = AccountType.OMNIBUS
        admitted = self.ccp.register.admit_many([
            Admission(self.issuer.address, Kind.TOKEN_ISSUER, "token-issuer"),
            *(Admission(m.address, Kind.CLEARING_MEMBER, f"member-{x}")
              for m, x in ((self.a, "a"), (self.b, "b"), (self.c, "c"))),
            Admission(self.trust_bank.address, Kind.TRUST_BANK, "trust-bank"),
            Admission(client_b1, Kind.CLIENT, "client-b1", "member-b", AccountType.SEGREGATED),
            Admission(client_a1, Kind.CLIENT, "client-a1", "member-a", omnibus),
            Admission(client_a2, Kind.CLIENT, "client-a2", "member-a", omnibus),
        ])  # fmt: skip
        gas = {o.value.address: o.gas_used for o in admitted.outcomes}
        title, narrow = "The register (gas = cost of admission)", self.show.narrow
        self.show.table(tables.participants_table(self.d, title=title, gas=gas, narrow=narrow))

    def tokenize_deposits(self) -> None:
        self.show.step("The token issuer tokenizes deposits", "Cash, bonds and shares stay with "
                       "the custodian off-chain; the issuer mints a token for each deposit, "
                       "quoting the deposit's reference.")  # fmt: skip
        issued = self.issuer.issue_many(DEPOSITS)
        table = tables.new_table(
            "Deposits tokenized by the issuer", "deposit ref", "for", ("amount", "right"),
            "asset", ("block", "right"), ("gas", "right"),
        )  # fmt: skip
        for (symbol, holder, amount, ref), o in zip(DEPOSITS, issued.outcomes, strict=True):
            block, gas = str(o.block_number), f"{o.gas_used:,}"
            table.add_row(ref, holder, self.amount(symbol, amount), symbol, block, gas)
        sheet, title = balance_sheet(self.d), "Balances after the deposits"
        self.show.table(table, tables.balances_table(self.d, sheet, title=title))

    def ordinary_transfers(self) -> None:
        self.show.step("Ordinary transfers", "Registered, active participants move assets "
                       "directly; each transfer is one transaction, checked against the register "
                       "on the way.")  # fmt: skip
        before = balance_sheet(self.d)
        table = tables.new_table(
            "Transfers", "from", "to", ("amount", "right"), "asset", "what", ("block", "right"),
            ("gas", "right"),
        )  # fmt: skip
        for sender, symbol, to, amount, what in (
            (self.a, "JPY", "member-b", 25_000_000, "cash payment"),
            (self.b, "JGB374", "member-a", 500, "bond delivery"),
            (self.a, "TYO7203", "client-a1", 1_000, "allocation to omnibus client"),
            (self.b, "USD", "member-c", "125000.50", "cash payment"),
            (self.clients[0], "JPY", "member-b", 5_000_000, "client pays its member"),
        ):
            o = sender.transfer(symbol, to, amount)
            cost = (str(o.block_number), f"{o.gas_used:,}")
            table.add_row(sender.name, to, self.amount(symbol, amount), symbol, what, *cost)
        after, title = balance_sheet(self.d), "Balances after the transfers"
        self.show.table(table, tables.balances_table(self.d, after, title=title, before=before))

    def rules_at_work(self) -> bool:
        show, ccp, a, b, c, outsider = self.show, self.ccp, self.a, self.b, self.c, self.outsider
        show.step("The rules at work", "Every call the rules forbid is refused before anything "
                  "is mined, with a typed error that names the participants and amounts. After "
                  "each one we check the whole ledger.")  # fmt: skip
        refusals = Refusals(show, self.d, {"outsider": outsider})
        attempt, not_active = refusals.attempt, errors.ParticipantNotActive
        show.part("Only registered participants hold assets")
        with attempt(
            f"member-a pays 1,000,000 JPY to an unregistered address {tables.short(outsider)}",
            errors.ParticipantUnknown,
        ):
            a.transfer("JPY", outsider, 1_000_000)
        with attempt(
            "member-a pays 1,000,000 JPY to 'member-z' (no such name)", errors.ParticipantNotFound
        ):
            a.transfer("JPY", "member-z", 1_000_000)
        show.part("Amounts must be exact", "money is never a float")
        with attempt("member-a pays 10.1 USD given as a Python float", errors.InvalidAmount):
            a.transfer("USD", "member-b", 10.1)  # type: ignore[arg-type]
        with attempt("member-a pays 10.125 USD (USD has 2 decimals)", errors.InvalidAmount):
            a.transfer("USD", "member-b", "10.125")
        show.part("A suspended member can neither pay nor be paid")
        show.tx("CCP suspends member-c", ccp.register.suspend("member-c", "late margin payment"))
        show.say(f"member-c is now {tables.status_text(c.record.status)}")
        with attempt("member-a pays 1,000,000 JPY to suspended member-c", not_active):
            a.transfer("JPY", "member-c", 1_000_000)
        with attempt("suspended member-c pays 1,000,000 JPY to member-a", not_active):
            c.transfer("JPY", "member-a", 1_000_000)
        show.tx("CCP reinstates member-c", ccp.register.reinstate("member-c", "margin received"))
        show.tx("the same payment now goes through", a.transfer("JPY", "member-c", 1_000_000))
        show.part("A frozen account", "a freeze is per asset")
        frozen = ccp.agent.freeze("JPY", "member-b", reason="inquiry")
        show.tx("CCP freezes member-b's JPY account", frozen)
        frozen_error = errors.TokenAccountFrozen
        with attempt("member-b (JPY frozen) pays 1,000,000 JPY to member-a", frozen_error):
            b.transfer("JPY", "member-a", 1_000_000)
        with attempt("member-a pays 1,000,000 JPY into member-b's frozen account", frozen_error):
            a.transfer("JPY", "member-b", 1_000_000)
        paid = b.transfer("USD", a, "1000")
        show.tx("member-b's USD still moves: pays member-a 1,000.00 USD", paid)
        show.tx("CCP unfreezes member-b's JPY", ccp.agent.unfreeze("JPY", b, reason="cleared"))
        show.part("A partial freeze", "frozen tokens stay in the balance but cannot move")
        balance = b.balance("JPY")
        hold = balance - 50_000_000
        frozen = ccp.agent.freeze_tokens("JPY", b, hold, reason="collateral hold")
        show.tx(f"CCP freezes {hold:,} of member-b's {balance:,} JPY", frozen)
        show.say(f"member-b's free JPY balance: {b.free_balance('JPY'):,}")
        with attempt(
            "member-b pays 60,000,000 JPY (free balance only 50,000,000)",
            errors.TokenInsufficientFreeBalance,
        ):
            b.transfer("JPY", "member-a", 60_000_000)
        show.tx("member-b pays 10,000,000 JPY out of its free balance", b.transfer("JPY", a, 10**7))
        released = ccp.agent.unfreeze_tokens("JPY", b, hold, reason="hold released")
        show.tx(f"CCP releases the {hold:,} JPY hold", released)
        show.part("A paused asset", "transfers halt; the issuer keeps working")
        show.tx("CCP pauses TYO7203", ccp.agent.pause("TYO7203"))
        with attempt(
            "member-a delivers 100 TYO7203 to member-b while paused", errors.EnforcedPause
        ):
            a.transfer("TYO7203", "member-b", 100)
        minted = self.issuer.issue("TYO7203", "member-a", 100, ref="EQ-CUST-0003")
        show.tx("the issuer still mints 100 TYO7203 to member-a (new deposit)", minted)
        show.tx("CCP unpauses TYO7203", ccp.agent.unpause("TYO7203"))
        show.part("Powers belong to roles", "a member cannot act as the CCP or the issuer")
        posing, unauthorized = Ccp(self.d, a.signer), errors.AccessControlUnauthorizedAccount
        with attempt("member-a admits a participant, posing as the CCP", unauthorized):
            posing.register.admit_member(outsider, "member-x")
        with attempt("member-a mints itself 1,000,000 JPY, posing as the issuer", unauthorized):
            TokenIssuer(self.d, a.signer).issue("JPY", a, 1_000_000, ref="FAKE")
        with attempt("member-a force-moves member-b's JPY to itself", unauthorized):
            posing.agent.forced_transfer("JPY", b, a, 1_000_000, reason="grab")

        show.console.print()
        show.table(refusals.table("Refused calls: the ledger is checked before and after each"))
        held, n = refusals.all_as_expected, len(refusals.rows)
        if held:
            show.line(tables.OK, f"all {n} attempts refused as expected; no balance moved, no "
                      "block was mined")  # fmt: skip
        return held

    def default_management(self) -> bool:
        show, d, ccp, c = self.show, self.d, self.ccp, self.c
        show.step("Default management preview", "member-c fails to meet its obligations. The "
                  "CCP declares the default, freezes its cash and moves it, without member-c's "
                  "consent, to the CCP's default-management account.")  # fmt: skip
        opened = ccp.register.admit(self.desk.address, Kind.CCP, "ccp-default-mgmt")
        show.tx("CCP opens its default-management account 'ccp-default-mgmt'", opened)
        declared = ccp.register.declare_default(c, "failed to pay")
        show.tx("CCP declares member-c in default", declared)
        show.tx("CCP freezes member-c's JPY", ccp.agent.freeze("JPY", c, reason="default"))
        show.say(f"member-c is {tables.status_text(c.record.status)}; JPY balance "
                 f"{c.balance('JPY'):,}, free to move {c.free_balance('JPY'):,}")  # fmt: skip
        refusals = Refusals(show, d)
        with refusals.attempt("defaulted member-c tries to pay 1,000,000 JPY to member-a",
                              errors.ParticipantNotActive):  # fmt: skip
            c.transfer("JPY", "member-a", 1_000_000)

        before, amount = balance_sheet(d), c.balance("JPY")
        moved = ccp.agent.forced_transfer("JPY", c, self.desk, amount, reason="default of member-c")
        show.tx(f"CCP force-transfers member-c's {amount:,} JPY to ccp-default-mgmt", moved)
        show.events(d, moved, "The forced transfer's events")
        after, title = balance_sheet(d), "Balances after the forced transfer"
        show.table(tables.balances_table(d, after, title=title, before=before))
        show.say("member-c's USD stays in its account, which it cannot move while in default, "
                 "pending the rest of the default process.")  # fmt: skip
        return refusals.all_as_expected

    def reconcile(self) -> bool:
        show, d = self.show, self.d
        show.step("Reconciliation", "Only registered participants can hold tokens, so every "
                  "asset's supply must equal the sum of the register's holdings.")  # fmt: skip
        supply, gas_log = supply_against_register(d), d.chain.gas_log
        gas = tables.gas_table(gas_log, title="Gas by operation, whole demo", fold=SET_UP)
        show.table(tables.check_table(supply), gas)
        return show.verdict(supply.ok, "Books balance:", f"{len(d.assets)} assets, "
                            f"{d.registry.count()} participants, {len(gas_log)} transactions, "
                            "all supply accounted for.",
                            "Books do not balance: see the table above.")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
