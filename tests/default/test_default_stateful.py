"""A default, porting, close-out and waterfall against a Python model, one random sequence at a
time: nothing is created or lost, and client collateral answers only for its own client.

The world, all in JPY (no haircut, so every figure is exact): member-a defaults holding house
margin and a clearing-fund contribution, with two omnibus clients and a segregated one; member-b
and member-c survive with clearing-fund contributions (member-b also takes clients into its
omnibus account); the CCP has posted its tranche. Hypothesis then draws, in any order the rules
allow: ports (a survivor accepts a client and the CCP ports it), refused withdrawals by the
defaulter, the clock passing the porting deadline, close-outs of clients left for a random loss,
and the settlement of the case for a random loss. After every step:

1. tokens are conserved: the vault's balance is the sum of its accounts' holdings, and the vault
   plus every wallet in the world holds the supply;
2. every omnibus sub-ledger totals its account's holdings;
3. each client's collateral, plus what came back to its wallet, plus what its own close-out took,
   is what it had when the default was declared: no client pays for the defaulter or for another;
4. the DefaultManager's account, the defaulter's accounts, the CCP's tranche and the survivors'
   contributions hold what the model says, layer by layer.
"""

from __future__ import annotations

from collections import Counter
from math import ceil
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from support import FX, PRICES, World

from pyclient import AccountKind, AccountType, ClearingMember, Client, Oracle, errors, reconcile
from pyclient.chain import devnet
from pyclient.clock import to_unix
from pyclient.default import ClientStatus, Layer

CLIENTS = ("client-omni", "client-omni2", "client-sega")
SEEN: Counter[str] = Counter()  # what the examples went through, across the run
OMNIBUS = {"client-omni", "client-omni2"}


class DefaultMachine(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = devnet.snapshot(self.world.chain)
        self.d = self.world.deployment

    def teardown(self) -> None:
        devnet.revert(self.world.chain, self.snapshot)
        self.d.forget_participants()

    # ------------------------------------------------------------------ set-up

    @initialize(data=st.data())
    def a_member_defaults(self, data: st.DataObject) -> None:
        w, d = self.world, self.d
        amount = lambda label: data.draw(st.integers(0, 400_000), label=label)  # noqa: E731
        keys = w.keys
        w.ccp.register.admit_client(
            keys[8].address, "client-omni2", "member-a", AccountType.OMNIBUS
        )
        w.ccp.register.admit_client(keys[9].address, "client-sega", "member-a",
                                    AccountType.SEGREGATED)  # fmt: skip
        self.member_c = ClearingMember(d, keys[10])
        w.ccp.register.admit_member(self.member_c.address, "member-c")
        self.clients = {"client-omni": w.client_omni, "client-omni2": Client(d, keys[8]),
                        "client-sega": Client(d, keys[9])}  # fmt: skip
        for name in ("client-omni2", "client-sega", "member-c", "ccp"):
            w.issuer.issue("JPY", name, 1_000_000, ref="stateful")
        w.ccp.margin.open_accounts([  # the `market` fixture opened member-a's three already
            ("client-sega", AccountKind.SEGREGATED), ("member-b", AccountKind.OMNIBUS),
            ("member-b", AccountKind.CLEARING_FUND), ("member-c", AccountKind.CLEARING_FUND),
            (w.ccp.address, AccountKind.CLEARING_FUND),
        ])  # fmt: skip
        for who, member in (("member-b", w.member_b), ("member-c", self.member_c)):
            fund = member.account_id(AccountKind.CLEARING_FUND)
            requirement = data.draw(st.integers(1, 300_000), label=f"{who} fund requirement")
            w.ccp.margin.post_requirements({fund: requirement}, run_id=f"cf {who}")
            member.deposit("JPY", requirement + amount(f"{who} fund excess") // 4,
                           kind=AccountKind.CLEARING_FUND)  # fmt: skip
        self.house, self.fund = amount("house margin"), amount("clearing fund")
        for value, kind in (
            (self.house, AccountKind.HOUSE),
            (self.fund, AccountKind.CLEARING_FUND),
        ):
            if value:
                w.member_a.deposit("JPY", value, kind=kind)
        self.held = {c: amount(f"{c} collateral") for c in CLIENTS}
        for c, value in self.held.items():
            if value:
                self.clients[c].deposit("JPY", value)
        self.tranche = amount("ccp tranche")
        if self.tranche:
            w.ccp.default.post_tranche("JPY", self.tranche)
        self.supply = d.token("JPY").total_supply()
        self.case = w.ccp.default.declare_member("member-a", "stateful").value
        self.dm = d.default_manager.management_account()
        self.model_dm = self.house + self.fund  # seized
        self.returned = dict.fromkeys(CLIENTS, 0)  # to the client's wallet
        self.taken = dict.fromkeys(CLIENTS, 0)  # by its own close-out
        self.status = dict.fromkeys(CLIENTS, ClientStatus.NONE)
        self.past_deadline = self.settled = False
        self.wallets = {c: self.clients[c].balance("JPY") for c in CLIENTS}
        self.uncovered_clients = 0

    # ------------------------------------------------------------------ rules

    def _open(self) -> list[str]:
        return [c for c in CLIENTS if self.status[c] in (ClientStatus.NONE, ClientStatus.ACCEPTED)]

    @precondition(lambda self: not self.past_deadline and self._open())
    @rule(data=st.data())
    def a_survivor_takes_a_client(self, data: st.DataObject) -> None:
        client = data.draw(st.sampled_from(self._open()), label="client")
        self.world.member_b.accept_client(self.case.id, client)
        self.world.ccp.default.port(self.case.id, client)
        self.status[client] = ClientStatus.PORTED
        note(f"ported {client}")
        SEEN["ported omnibus" if client in OMNIBUS else "ported segregated"] += 1

    @rule()
    def the_defaulter_tries_to_take_its_fund_out(self) -> None:
        w = self.world
        try:
            w.member_a.withdraw("JPY", 1, kind=AccountKind.CLEARING_FUND)
        except (errors.VaultAccountFrozen, errors.VaultPartyNotActive):
            return
        raise AssertionError("a defaulter took collateral out")

    @precondition(lambda self: not self.past_deadline)
    @rule()
    def the_porting_deadline_passes(self) -> None:
        devnet.set_next_timestamp(self.world.chain, to_unix(self.case.porting_deadline) + 1)
        oracle = Oracle(self.d, self.world.ccp.signer)
        oracle.publish_fx_rates(FX)
        oracle.publish_prices(PRICES)
        self.past_deadline = True

    @precondition(lambda self: self.past_deadline and not self.settled and self._open())
    @rule(data=st.data())
    def a_client_left_is_closed_out(self, data: st.DataObject) -> None:
        client = data.draw(st.sampled_from(self._open()), label="client")
        loss = data.draw(st.integers(0, 500_000), label="its loss")
        covered = self.world.ccp.default.close_out(self.case.id, client, loss).value
        held = self.held[client]
        assert covered == min(loss, held)
        self.taken[client] = covered
        self.returned[client] = held - covered
        self.uncovered_clients += loss - covered
        self.model_dm += covered
        self.status[client] = ClientStatus.CLOSED_OUT
        SEEN["closed out, loss beyond its collateral" if loss > held else "closed out"] += 1

    @precondition(lambda self: self.past_deadline and not self.settled)
    @rule(data=st.data())
    def the_case_is_settled(self, data: st.DataObject) -> None:
        w = self.world
        loss = data.draw(st.integers(0, 2_500_000), label="close-out loss")
        fund_b, fund_c = (
            m.account_id(AccountKind.CLEARING_FUND) for m in (w.member_b, self.member_c)
        )
        before = {a: self.d.vault.holdings(a).get("JPY", 0) for a in (fund_b, fund_c)}
        requirements = {a: self.d.vault.account(a).requirement_jpy for a in (fund_b, fund_c)}
        fall = w.ccp.default.settle(self.case.id, loss).value
        # The model: each layer in order, the survivors pro rata (rounded up), capped at holdings.
        short = loss + self.uncovered_clients
        used = {}
        for layer, available in (("house", self.house), ("fund", self.fund), ("ccp", self.tranche)):
            used[layer] = min(short, available)
            short -= used[layer]
        total, due, paid = sum(requirements.values()), short, {}
        for a in (fund_b, fund_c):
            if not due:
                break
            share = min(due, ceil(short * requirements[a] / total))
            due -= share
            paid[a] = min(share, before[a])
        assert fall.uncovered_jpy == short - sum(paid.values()), (fall, used, paid)
        by = fall.by_layer()
        assert (by[Layer.HOUSE_MARGIN], by[Layer.CLEARING_FUND], by[Layer.CCP_TRANCHE]) == (
            used["house"], used["fund"], used["ccp"],
        )  # fmt: skip
        survivors = {u.account: u.used_jpy for u in fall.layers if u.layer is Layer.SURVIVORS}
        assert survivors == paid
        SEEN["settled by survivors" if paid else "settled before the survivors"] += 1
        SEEN["settled with a loss uncovered"] += bool(fall.uncovered_jpy)
        self.model_dm += (
            used["ccp"]
            + sum(paid.values())
            - (self.house - used["house"])
            - (self.fund - used["fund"])
        )
        self.left = {"house": self.house - used["house"], "fund": self.fund - used["fund"]}
        self.settled = True

    # ------------------------------------------------------------------ invariants

    @invariant()
    def tokens_are_conserved_and_the_books_agree(self) -> None:
        d = self.d
        assert reconcile.vault_against_accounts(d).ok
        assert reconcile.omnibus_sub_ledgers(d).ok
        assert reconcile.supply_against_register(d).ok
        assert d.token("JPY").total_supply() == self.supply

    @invariant()
    def client_collateral_answers_for_its_own_client_only(self) -> None:
        w, d = self.world, self.d
        for c in CLIENTS:
            client = self.clients[c]
            if c in OMNIBUS:
                member = d.participant(c).clearing_member
                omnibus = ClearingMember(d, w.member_b.signer if member == w.member_b.address
                                         else w.member_a.signer)  # fmt: skip
                now = omnibus.sub_ledger().get(c, {}).get("JPY", 0)
            else:
                now = client.collateral(AccountKind.SEGREGATED).get("JPY", 0)
            gained = client.balance("JPY") - self.wallets[c]
            assert gained == self.returned[c], c
            assert now + gained + self.taken[c] == self.held[c], c

    @invariant()
    def the_default_managers_account_holds_what_the_model_says(self) -> None:
        assert self.d.vault.holdings(self.dm).get("JPY", 0) == self.model_dm
        if self.settled:
            w = self.world
            assert w.member_a.collateral(AccountKind.HOUSE).get("JPY", 0) == self.left["house"]
            assert (
                w.member_a.collateral(AccountKind.CLEARING_FUND).get("JPY", 0)
                == (self.left["fund"])
            )


def test_nothing_is_created_or_lost_through_a_default_and_clients_pay_only_their_own(
    market: Any,
) -> None:
    SEEN.clear()
    machine = type("DefaultOnTheSessionChain", (DefaultMachine,), {"world": market.world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            derandomize=True, database=None, max_examples=12, stateful_step_count=8,
            deadline=None, suppress_health_check=[HealthCheck.too_slow],
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )  # fmt: skip
    for outcome in ("ported omnibus", "ported segregated", "closed out",
                    "closed out, loss beyond its collateral", "settled by survivors",
                    "settled before the survivors", "settled with a loss uncovered"):  # fmt: skip
        assert SEEN[outcome], dict(SEEN)
