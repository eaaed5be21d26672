"""Delivery versus payment against a Python model, one random delivery day at a time.

A Hypothesis state machine works the delivery settlement on the session's Anvil. Each example
opens a fresh delivery of rubber delivery orders and allocates random short positions (member-a,
member-c) to random long positions (member-b, member-d) with `pyclient.goods.delivery.allocate`;
then, in any order the rules allow:

* shorts deliver tokens from their stock (1-lot RSS3, 2-lot RSS1 at a premium, 1-lot RSS4 at a
  discount), within their allocation or beyond it (refused), before the delivery cut-off or after
  it (refused); a failing short may deliver part of its lots, or nothing;
* longs pay part of what has been delivered to them, all of it, or a yen more (refused), before
  the payment cut-off or after it (refused): a late payer pays after settlements have run;
* the CCP settles any set of pairs, and after the payment cut-off closes any set of pairs (before
  it, refused);
* the CCP suspends a party and reinstates it: a suspended party's deliveries and payments are
  refused, and a pair that would hand it something is passed over (`PairSkipped`), untouched.

The model is `PairModel` per pair (what settle and close release, return and refund) and every
party's yen. After every step:

1. each pair on chain is the model's (lots delivered, invoice, paid, released, settled, status)
   and its tokens are the model's, in delivery order;
2. DvP: a long never holds a token of a pair beyond what it paid (the invoice value of the
   released tokens is at most what it paid), and a short is never paid beyond what it delivered
   (settled is exactly the invoice value of the released tokens);
3. every token is where the model says: with the settlement while held for an open pair, with the
   long once released, with the short otherwise (never delivered, or returned at close); no token
   is created or lost;
4. every party's yen is the model's, the settlement holds exactly what open pairs were paid and
   did not pass on, and the yen of the parties and the settlement together never changes.

A refused step changes nothing (1-4 compare everything) and sends nothing. Each example starts
from the same chain: the machine snapshots in `__init__` and reverts in `teardown`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from goods.delivery_world import DAY, GRADES, LOT_KG, PRICE, DeliveryWorld, make_delivery_world, rss
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from support import World

from pyclient import errors
from pyclient.chain import devnet
from pyclient.goods.delivery import (
    PairModel,
    PairStatus,
    Refused,
    allocate,
    invoice_jpy,
)

SHORTS = ("member-a", "member-c")
LONGS = ("member-b", "member-d")
PARTIES = (*SHORTS, *LONGS)
# A short's stock: (goods, lots, invoice) in the order delivered.
STOCK = (
    (rss(), 1, invoice_jpy(1, PRICE)),
    (rss(2 * LOT_KG, grade="RSS1"), 2, invoice_jpy(2, PRICE, GRADES["RSS1"])),
    (rss(grade="RSS4"), 1, invoice_jpy(1, PRICE, GRADES["RSS4"])),
    (rss(), 1, invoice_jpy(1, PRICE)),
    (rss(), 1, invoice_jpy(1, PRICE)),
    (rss(2 * LOT_KG), 2, invoice_jpy(2, PRICE)),
)
DELIVERY = 11

OUTCOMES: Counter[str] = Counter()


def note(outcome: str) -> None:
    OUTCOMES[outcome] += 1
    event(outcome)


class DeliveryMachine(RuleBasedStateMachine):
    dv: ClassVar[DeliveryWorld]
    stock: ClassVar[dict[str, list[tuple[int, int, int]]]]  # short: (token id, lots, invoice)

    def __init__(self) -> None:
        super().__init__()
        self.chain = self.dv.world.chain
        self.snapshot = devnet.snapshot(self.chain)
        self.settlement = self.dv.settlement
        self.address = {name: self.dv.parties[name].address for name in PARTIES}
        self.pairs: list[PairModel] = []
        self.unused = {s: list(self.stock[s]) for s in SHORTS}  # not yet delivered
        self.yen = self._yen_now()
        self.total_yen = sum(self.yen.values())
        self.suspended: set[str] = set()
        self.tried_early_close = False
        self.done = 0  # deliveries, payments and settlements that went through
        self.steps = 0  # deliveries, payments, settlements and closes tried
        self.phase = "delivery"  # then "payment" (delivery cut-off passed), then "close"

    def teardown(self) -> None:
        devnet.revert(self.chain, self.snapshot)
        self.dv.d.forget_participants()

    # ------------------------------------------------------------------ helpers

    def _yen_now(self) -> dict[str, int]:
        raw = self.dv.yen()
        named = {name: raw[self.address[name]] for name in PARTIES}
        return named | {"settlement": raw[self.settlement.address]}

    def _refused(self, step: Any, error: type[Exception], what: str) -> None:
        self.dv.refused(step, error)
        note(f"{what} refused: {error.__name__}")

    def _active(self, name: str) -> bool:
        return name not in self.suspended

    def _blocked(self, pair: PairModel, s: Any) -> str | None:
        return next((name for name, _ in pair.receivers(s) if not self._active(name)), None)

    # ------------------------------------------------------------------ rules

    @initialize(
        short=st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda t: sum(t) > 0),
        split=st.integers(0, 10),
    )
    def open_and_allocate(self, short: tuple[int, int], split: int) -> None:
        now = self.dv.d.chain_time()
        self.delivery_cutoff, self.payment_cutoff = now + DAY, now + 2 * DAY
        self.dv.desk.open_delivery(
            DELIVERY, goods=self.dv.orders, commodity="RSS3", lot_quantity=LOT_KG,
            price_jpy_per_lot=PRICE, delivery_cutoff=self.delivery_cutoff,
            payment_cutoff=self.payment_cutoff, grades=GRADES,
        )  # fmt: skip
        total = sum(short)
        to_b = min(split, total)
        shorts = dict(zip(SHORTS, short, strict=True))
        longs = {"member-b": to_b, "member-d": total - to_b}
        recorded = self.dv.desk.allocate(DELIVERY, shorts=shorts, longs=longs).value
        for a, p in zip(allocate(shorts, longs), recorded, strict=True):
            assert (p.short, p.long, p.lots) == (self.address[a.short], self.address[a.long],
                                                 a.lots)  # fmt: skip
            self.pairs.append(PairModel(a.short, a.long, a.lots))
        note(f"{len(self.pairs)} pairs")

    def _draw_likely(self, data: st.DataObject, likely: Any, anything: Any) -> Any:
        """Mostly one of the `likely` choices (where the step can do something), else any."""
        if likely and data.draw(st.sampled_from((True, True, True, False)), label="likely"):
            return data.draw(st.sampled_from(likely), label="likely choice")
        return data.draw(st.sampled_from(anything), label="any choice")

    def _draw_pair(self, data: st.DataObject, likely: list[int]) -> int:
        return int(self._draw_likely(data, likely, range(len(self.pairs))))

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        self.steps += 1
        likely = [
            i
            for i, p in enumerate(self.pairs)
            if not p.closed
            and p.delivered_lots < p.lots
            and self.phase == "delivery"
            and any(lots <= p.lots - p.delivered_lots for _, lots, _ in self.unused[p.short])
        ]
        index = self._draw_pair(data, likely)
        pair = self.pairs[index]
        stock = self.unused[pair.short]
        if not stock:
            return
        count = data.draw(st.integers(1, min(3, len(stock))), label="tokens")
        if data.draw(st.sampled_from((True, True, True, False)), label="fitting"):
            room, tokens = pair.lots - pair.delivered_lots, []  # tokens that fit, in stock order
            for token in stock:
                if token[1] <= room and len(tokens) < count:
                    tokens.append(token)
                    room -= token[1]
            if not tokens:
                return
        else:  # the next ones, fitting or not
            tokens = stock[:count]
        party = self.dv.parties[pair.short]
        ids = [t for t, _, _ in tokens]
        step = lambda: party.deliver(DELIVERY, index, ids)  # noqa: E731
        if pair.closed:
            return self._refused(step, errors.DeliveryPairClosed, "delivery into a closed pair")
        if self.phase != "delivery":
            return self._refused(step, errors.DeliveryCutoffPassed, "late delivery")
        trial = PairModel(pair.short, pair.long, pair.lots, list(pair.tokens))
        try:
            trial.deliver(tokens)
        except Refused as r:
            return self._refused(step, getattr(errors, r.error), "delivery")
        if not self._active(pair.short):
            return self._refused(step, errors.ParticipantNotActive, "delivery by a suspended short")
        party.deliver(DELIVERY, index, ids)
        pair.deliver(tokens)
        self.done += 1
        for token in tokens:
            stock.remove(token)
        note("delivered: all lots" if pair.delivered_lots == pair.lots else "delivered: part")

    @precondition(lambda self: any(p.invoiced for p in self.pairs))  # refused before: unit tests
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        self.steps += 1
        likely = [i for i, p in enumerate(self.pairs) if not p.closed and p.paid < p.invoiced]
        late = [i for i in likely if self.pairs[i].long in self.suspended]
        likely = late or likely  # a suspended long that owes tries to pay
        index = self._draw_pair(data, likely)
        pair = self.pairs[index]
        due = pair.invoiced - pair.paid
        how = data.draw(st.sampled_from(("part", "all", "one more")), label="how")
        amount = {"all": due, "part": max(due // 3, 1), "one more": due + 1}[how]
        if not amount:
            return
        party = self.dv.parties[pair.long]
        step = lambda: party.pay(DELIVERY, index, amount)  # noqa: E731
        if pair.closed:
            return self._refused(step, errors.DeliveryPairClosed, "payment into a closed pair")
        if self.phase == "close":
            return self._refused(step, errors.DeliveryCutoffPassed, "late payment")
        trial = PairModel(pair.short, pair.long, pair.lots, list(pair.tokens), pair.paid)
        try:
            trial.pay(amount)
        except Refused as r:
            return self._refused(step, getattr(errors, r.error), "payment")
        if not self._active(pair.long):
            return self._refused(step, errors.ParticipantNotActive, "payment by a suspended long")
        assert party.pay(DELIVERY, index, amount).value == pair.paid + amount
        pair.pay(amount)
        self.done += 1
        self.yen[pair.long] -= amount
        self.yen["settlement"] += amount
        note("paid late, after a settlement" if pair.released else f"paid: {how}")
        if data.draw(st.sampled_from((True, False)), label="settled at once"):
            self._settle([index])  # the CCP settles as payments come in

    @precondition(lambda self: any(p.paid for p in self.pairs))
    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        self.steps += 1
        indexes = data.draw(
            st.lists(st.integers(0, len(self.pairs) - 1), min_size=1, max_size=4, unique=True),
            label="pairs",
        )
        self._settle(indexes)

    def _settle(self, indexes: list[int]) -> None:
        """The CCP settles `indexes`; the model says what each pair releases or why it is
        skipped."""
        run = self.dv.desk.send(self.settlement.settle(DELIVERY, indexes)).value
        expected_settled, expected_skipped = [], {}
        for i in indexes:
            pair = self.pairs[i]
            if pair.closed:
                continue
            s = pair.releasable()
            if not s.released:
                continue
            blocked = self._blocked(pair, s)
            if blocked:
                expected_skipped[i] = self.address[blocked]
                continue
            pair.settle()
            self.done += 1
            expected_settled.append((i, len(s.released), s.lots, s.amount_jpy))
            self.yen[pair.short] += s.amount_jpy
            self.yen["settlement"] -= s.amount_jpy
        assert [(x.index, x.tokens, x.lots, x.amount_jpy) for x in run.settled] == expected_settled
        assert dict(run.skipped) == expected_skipped
        note("settled" if expected_settled else "settle: nothing to do")
        if expected_skipped:
            note("settle: pair skipped")

    @precondition(
        lambda self: (
            (self.phase, self.steps >= 6) == ("delivery", True)
            or (self.phase, self.steps >= 12) == ("payment", True)
        )
    )
    @rule()
    def pass_a_cutoff(self) -> None:
        self._settle(list(range(len(self.pairs))))  # the CCP's run at each cut-off
        if self.phase == "delivery":
            devnet.set_next_timestamp(self.chain, self.delivery_cutoff + 1)
            self.phase = "payment"
        else:
            devnet.set_next_timestamp(self.chain, self.payment_cutoff + 1)
            self.phase = "close"
        note(f"cut-off passed: {self.phase}")

    @precondition(lambda self: self.phase == "close" or not self.tried_early_close)
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        self.steps += 1
        indexes = data.draw(
            st.lists(st.integers(0, len(self.pairs) - 1), min_size=1, max_size=4, unique=True),
            label="pairs",
        )
        call = self.settlement.close(DELIVERY, indexes)
        if self.phase != "close":
            self.tried_early_close = True
            return self._refused(lambda: self.dv.desk.send(call), errors.DeliveryNotYetClosable,
                                 "early close")  # fmt: skip
        run = self.dv.desk.send(call).value
        skipped, closed, failed_delivery, failed_payment, refunded = {}, [], {}, {}, {}
        for i in indexes:
            pair = self.pairs[i]
            if pair.closed:
                continue
            s = pair.closing()
            blocked = self._blocked(pair, s)
            if blocked:
                skipped[i] = self.address[blocked]
                continue
            pair.close()
            closed.append(i)
            self.yen[pair.short] += s.amount_jpy
            self.yen[pair.long] += s.refund_jpy
            self.yen["settlement"] -= s.amount_jpy + s.refund_jpy
            for t in s.returned:
                self.unused[pair.short].append(next(x for x in pair.tokens if x[0] == t))
            if s.missing_lots:
                failed_delivery[i] = s.missing_lots
            if s.unpaid_jpy:
                failed_payment[i] = s.unpaid_jpy
            if s.refund_jpy:
                refunded[i] = s.refund_jpy
        assert dict(run.skipped) == skipped
        assert list(run.closed) == closed
        assert dict(run.delivery_failed) == failed_delivery
        assert dict(run.payment_failed) == failed_payment
        assert dict(run.refunded) == refunded
        for what, happened in (("closed", closed), ("close: pair skipped", skipped),
                               ("close: delivery failed", failed_delivery),
                               ("close: payment failed", failed_payment),
                               ("close: refunded", refunded)):  # fmt: skip
            if happened:
                note(what)

    @precondition(lambda self: not self.suspended and self.done >= 2)
    @rule(data=st.data())
    def suspend(self, data: st.DataObject) -> None:
        """Now and then one party fails: suspended until the CCP reinstates it; mostly one that
        is owed something now (goods or yen a settlement or a close would hand it) or owes a
        payment, so that the failure matters."""
        if not data.draw(st.sampled_from((False, True)), label="go"):
            return
        owed = sorted(
            {name for m in self.pairs if not m.closed for name, _ in m.receivers(m.closing())}
            | {m.long for m in self.pairs if not m.closed and m.paid < m.invoiced}
        )
        name = self._draw_likely(data, owed, PARTIES)
        self.dv.world.ccp.register.suspend(name, "inquiry")
        self.suspended.add(name)
        note("suspended")

    @precondition(lambda self: bool(self.suspended))
    @rule()
    def reinstate(self) -> None:
        (name,) = self.suspended
        self.dv.world.ccp.register.reinstate(name, "cleared")
        self.suspended.clear()
        note("reinstated")

    # ------------------------------------------------------------------ invariants

    @invariant()
    def pairs_are_the_models(self) -> None:
        if not self.pairs:
            return
        chain = self.settlement.pairs(DELIVERY)
        tokens = self.settlement.tokens_of_many(DELIVERY, list(range(len(self.pairs))))
        for i, (p, m) in enumerate(zip(chain, self.pairs, strict=True)):
            assert (p.delivered_lots, p.invoiced, p.paid, p.released, p.settled) == (
                m.delivered_lots, m.invoiced, m.paid, m.released, m.settled,
            ), i  # fmt: skip
            assert p.status is (PairStatus.CLOSED if m.closed else PairStatus.OPEN)
            assert tokens[i] == [t for t, _, _ in m.tokens]
            # DvP: the long never holds more than it paid for, the short is paid no more
            released = sum(amount for _, _, amount in m.tokens[: m.released])
            assert released == p.settled <= p.paid <= p.invoiced

    @invariant()
    def every_token_is_where_the_model_says(self) -> None:
        owners = self.dv.owners()
        expected: dict[int, str] = {}
        for name in SHORTS:
            for t, _, _ in self.unused[name]:
                expected[t] = self.address[name]
        for m in self.pairs:
            for t in m.held_tokens:
                expected[t] = self.settlement.address
            for t, _, _ in m.tokens[: m.released]:
                expected[t] = self.address[m.long]
        stocked = {t for s in SHORTS for t, _, _ in self.stock[s]}
        assert {t: owners[t] for t in stocked} == expected
        assert len(expected) == len(stocked)  # nothing created or lost

    @invariant()
    def yen_is_conserved_and_the_models(self) -> None:
        now = self._yen_now()
        assert now == self.yen
        assert now["settlement"] == sum(m.held_jpy for m in self.pairs)
        assert sum(now.values()) == self.total_yen


def test_delivery_versus_payment_never_hands_over_value_unpaid_and_conserves_goods_and_yen(
    world: World,
) -> None:
    OUTCOMES.clear()
    dv = make_delivery_world(world)
    # Once for every example (each machine snapshots after this): each short's stock of delivery
    # orders, and standing approvals, so that every step is one transaction (the roles' own
    # approvals are tested in test_delivery.py).
    stock: dict[str, list[tuple[int, int, int]]] = {}
    for short in SHORTS:
        ids = dv.issue(short, *[goods for goods, _, _ in STOCK])
        stock[short] = [(t, lots, inv) for t, (_, lots, inv) in zip(ids, STOCK, strict=True)]
        dv.parties[short].send(dv.orders.set_approval_for_all(dv.settlement.address))
    for long in LONGS:
        dv.parties[long].send(dv.d.token("JPY").approve(dv.settlement.address))
    machine = type("DeliveryOnTheSessionChain", (DeliveryMachine,), {"dv": dv, "stock": stock})
    run_state_machine_as_test(
        machine,
        settings=settings(
            derandomize=True,
            database=None,
            max_examples=40,
            stateful_step_count=40,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    # The machine must have reached the heart of the day. Which rarer paths a run reaches depends
    # on the chain's clock (cut-offs against wall time), so those are pinned by test_delivery.py's
    # explicit tests (skips, late payments, suspended parties), not required here.
    for outcome in (
        "delivered: all lots", "delivered: part", "paid: all", "paid: part", "settled",
        "settle: nothing to do", "closed", "close: delivery failed", "close: payment failed",
        "close: refunded",
        "delivery refused: DeliveryExceedsAllocation",
        "payment refused: DeliveryPaymentExceedsInvoice",
        "early close refused: DeliveryNotYetClosable",
    ):  # fmt: skip
        assert OUTCOMES[outcome], "\n".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
