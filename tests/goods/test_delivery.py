"""Physical delivery through the CCP (contracts/goods/DeliverySettlement.sol): opening a delivery,
allocating, delivering, paying, settling delivery versus payment, and closing after the payment
cut-off. Every refusal is typed and leaves pairs, tokens and yen as they were; cut-offs are tested
on both sides of their second (a cut-off is the last second its step is allowed)."""

from __future__ import annotations

from typing import Any

import pytest
from goods.delivery_world import (
    DAY,
    DELIVERY,
    DISCOUNT,
    GRADES,
    LOT_KG,
    PREMIUM,
    PRICE,
    DeliveryWorld,
    make_delivery_world,
    rss,
)
from support import World

from pyclient import errors
from pyclient.chain import devnet
from pyclient.errors import InputError
from pyclient.events import describe
from pyclient.goods.delivery import Allocation, PairStatus, TokenInvoice
from pyclient.goods.model import Goods

ZERO = "0x" + "00" * 20


@pytest.fixture
def dv(world: World) -> DeliveryWorld:
    return make_delivery_world(world)


def _terms(dv: DeliveryWorld, **change: Any) -> tuple[Any, ...]:
    """The raw `Terms` of a fresh delivery, with some fields changed."""
    now = dv.d.chain_time()
    t = {
        "goods": dv.orders.address,
        "commodity": b"RSS3".ljust(32, b"\0"),
        "lot": LOT_KG,
        "price": PRICE,
        "delivery": now + DAY,
        "payment": now + 2 * DAY,
        "unit": b"kg".ljust(8, b"\0"),
    } | change
    return (t["goods"], t["commodity"], t["lot"], t["price"], t["delivery"], t["payment"],
            t["unit"])  # fmt: skip


def _grade(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def _open_raw(dv: DeliveryWorld, delivery_id: int, terms: tuple[Any, ...], grades: Any = None,
              diffs: Any = None) -> Any:  # fmt: skip
    grades = [_grade("RSS3")] if grades is None else grades
    diffs = [0] * len(grades) if diffs is None else diffs
    return dv.desk.send(dv.settlement.call("openDelivery", delivery_id, terms, grades, diffs))


def _allocated(dv: DeliveryWorld, *pairs: tuple[str, str, int]) -> None:
    dv.desk.send(dv.settlement.allocate(DELIVERY, [Allocation(*p) for p in pairs]))


def _party(dv: DeliveryWorld, name: str) -> Any:
    return dv.parties[name]


# ---------------------------------------------------------------------- opening a delivery


def test_opening_records_the_terms_and_every_grade_with_its_differential(
    dv: DeliveryWorld,
) -> None:
    terms = dv.settlement.terms(DELIVERY)
    assert (terms.goods, terms.commodity, terms.lot_quantity, terms.price_jpy_per_lot) == (
        dv.orders.address, "RSS3", LOT_KG, PRICE,
    )  # fmt: skip
    assert [dv.settlement.differential(DELIVERY, g) for g in GRADES] == list(GRADES.values())
    assert dv.settlement.differential(DELIVERY, "RSS5") is None
    assert dv.settlement.pair_count(DELIVERY) == 0


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"lot": 0}, "lotQuantity"),
        ({"unit": b"\0" * 8}, "lotQuantity"),
        ({"price": 0}, "price"),
        ({"goods": "0x000000000000000000000000000000000000dEaD"}, "goods"),
        ({"commodity": b"\0" * 32}, "goods"),
    ],
)
def test_terms_that_cannot_work_are_refused_naming_what(
    dv: DeliveryWorld, change: dict[str, Any], what: str
) -> None:
    err = dv.refused(lambda: _open_raw(dv, 8, _terms(dv, **change)), errors.DeliveryTermsInvalid)
    assert err.what.rstrip(b"\0").decode() == what
    with pytest.raises(errors.DeliveryUnknown):
        dv.settlement.terms(8)


def test_cutoffs_must_be_in_the_future_and_payment_not_before_delivery(dv: DeliveryWorld) -> None:
    now = dv.d.chain_time() + 10
    fn = dv.settlement.contract.functions.openDelivery
    grades = ([_grade("RSS3")], [0])
    ccp = dv.desk
    at_now = dv.settlement._call(fn(8, _terms(dv, delivery=now), *grades), "openDelivery")
    assert not dv.sent_at(now, ccp, at_now)  # a cut-off this very second is not in the future
    for delivery, payment in ((now, now + DAY), (now + DAY, now + DAY - 1)):
        err = dv.refused(
            lambda d=delivery, p=payment: _open_raw(dv, 8, _terms(dv, delivery=d, payment=p)),
            errors.DeliveryTermsInvalid,
        )
        assert err.what.rstrip(b"\0") == b"cutoffs"
    later = now + 5
    ahead = _terms(dv, delivery=later + 1, payment=later + 1)  # one second ahead; equal cut-offs
    assert dv.sent_at(later, ccp, dv.settlement._call(fn(8, ahead, *grades), "openDelivery"))
    assert dv.settlement.terms(8).payment_cutoff == dv.settlement.terms(8).delivery_cutoff


@pytest.mark.parametrize(
    ("grades", "diffs"),
    [([], []), ([_grade("RSS3"), _grade("RSS3")], [0, 1]), ([_grade("RSS3")], [0, 1]),
     ([b"\0" * 32], [0])],
)  # fmt: skip
def test_grades_must_be_listed_once_each(dv: DeliveryWorld, grades: Any, diffs: Any) -> None:
    err = dv.refused(lambda: _open_raw(dv, 8, _terms(dv), grades, diffs),
                     errors.DeliveryTermsInvalid)  # fmt: skip
    assert err.what.rstrip(b"\0") == b"grades"


def test_a_differential_leaving_no_price_is_refused_one_yen_above_is_not(
    dv: DeliveryWorld,
) -> None:
    dv.refused(
        lambda: _open_raw(dv, 8, _terms(dv), [_grade("RSS5")], [-PRICE]),
        errors.DeliveryDifferentialTooLow,
    )
    dv.refused(  # the most negative int256 is a differential too, and refused as one
        lambda: _open_raw(dv, 8, _terms(dv), [_grade("RSS5")], [-(2**255)]),
        errors.DeliveryDifferentialTooLow,
    )
    _open_raw(dv, 8, _terms(dv), [_grade("RSS5")], [-PRICE + 1])
    assert dv.settlement.differential(8, "RSS5") == -PRICE + 1


def test_a_delivery_id_is_opened_once_and_only_by_the_ccp(dv: DeliveryWorld) -> None:
    dv.refused(lambda: _open_raw(dv, DELIVERY, _terms(dv, price=1)), errors.DeliveryExists)
    assert dv.settlement.terms(DELIVERY).price_jpy_per_lot == PRICE
    member = _party(dv, "member-a")
    dv.refused(
        lambda: member.send(dv.settlement.call("openDelivery", 8, _terms(dv), [_grade("X")], [0])),
        errors.AccessControlUnauthorizedAccount,
    )


def test_the_client_refuses_terms_before_sending(dv: DeliveryWorld) -> None:
    common = {"goods": dv.orders, "commodity": "RSS3", "delivery_cutoff": dv.delivery_cutoff,
              "payment_cutoff": dv.payment_cutoff}  # fmt: skip
    for bad in (
        {"lot_quantity": 0, "price_jpy_per_lot": PRICE, "grades": GRADES},
        {"lot_quantity": LOT_KG, "price_jpy_per_lot": 1.5, "grades": GRADES},
        {"lot_quantity": LOT_KG, "price_jpy_per_lot": PRICE, "grades": {}},
        {"lot_quantity": LOT_KG, "price_jpy_per_lot": PRICE, "grades": {"RSS5": -PRICE}},
    ):
        dv.refused(lambda b=bad: dv.desk.open_delivery(8, **common, **b), InputError)


# ---------------------------------------------------------------------- allocation


def test_the_desk_allocates_positions_into_pairs_by_the_documented_method(
    dv: DeliveryWorld,
) -> None:
    out = dv.desk.allocate(
        DELIVERY, shorts={"member-a": 5, "member-c": 2}, longs={"member-b": 2, "member-d": 5}
    )
    a, b, c, d = (_party(dv, n).address for n in ("member-a", "member-b", "member-c", "member-d"))
    assert [(p.index, p.short, p.long, p.lots, p.status) for p in out.value] == [
        (0, a, d, 5, PairStatus.OPEN),
        (1, c, b, 2, PairStatus.OPEN),
    ]
    assert [e["lots"] for e in out.named("Allocated")] == [5, 2]
    again = dv.desk.allocate(DELIVERY, shorts={"member-c": 1}, longs={"member-b": 1})
    assert [p.index for p in again.value] == [2]  # indexes go on from the pair count


@pytest.mark.parametrize("which", ["same", "zero-lots", "zero-short", "zero-long"])
def test_an_allocation_must_pair_two_members_for_at_least_one_lot(
    dv: DeliveryWorld, which: str
) -> None:
    a, b = _party(dv, "member-a").address, _party(dv, "member-b").address
    row = {"same": (a, a, 1), "zero-lots": (a, b, 0), "zero-short": (ZERO, b, 1),
           "zero-long": (a, ZERO, 1)}[which]  # fmt: skip
    good = (a, b, 1)
    dv.refused(
        lambda: dv.desk.send(dv.settlement.call("allocate", DELIVERY, [good, row])),
        errors.DeliveryAllocationInvalid,
    )
    assert dv.settlement.pair_count(DELIVERY) == 0  # the good row before it is not kept either


def test_allocation_needs_a_known_delivery_a_row_and_the_ccp(dv: DeliveryWorld) -> None:
    a, b = _party(dv, "member-a").address, _party(dv, "member-b").address
    desk = dv.desk
    dv.refused(lambda: desk.send(dv.settlement.call("allocate", 99, [(a, b, 1)])),
               errors.DeliveryUnknown)  # fmt: skip
    dv.refused(lambda: desk.send(dv.settlement.call("allocate", DELIVERY, [])),
               errors.DeliveryNothingToDo)  # fmt: skip
    dv.refused(
        lambda: _party(dv, "member-a").send(dv.settlement.call("allocate", DELIVERY, [(a, b, 1)])),
        errors.AccessControlUnauthorizedAccount,
    )


def test_allocation_is_allowed_at_the_delivery_cutoff_second_and_refused_after(
    dv: DeliveryWorld,
) -> None:
    one = [Allocation("member-a", "member-b", 1)]
    assert dv.sent_at(dv.delivery_cutoff, dv.desk, dv.settlement.allocate(DELIVERY, one))
    assert not dv.sent_at(dv.delivery_cutoff + 1, dv.desk, dv.settlement.allocate(DELIVERY, one))
    assert dv.settlement.pair_count(DELIVERY) == 1
    err = dv.refused(lambda: _allocated(dv, ("member-a", "member-b", 1)),
                     errors.DeliveryCutoffPassed)  # fmt: skip
    assert err.cutoff == dv.delivery_cutoff and err.at > dv.delivery_cutoff


def test_unequal_positions_are_refused_before_anything_is_sent(dv: DeliveryWorld) -> None:
    from pyclient.goods.delivery import PositionsUnbalanced

    dv.refused(
        lambda: dv.desk.allocate(DELIVERY, shorts={"member-a": 2}, longs={"member-b": 1}),
        PositionsUnbalanced,
    )


# ---------------------------------------------------------------------- delivering


@pytest.fixture
def allocated(dv: DeliveryWorld) -> DeliveryWorld:
    """Pair 0: member-a short 3 lots to member-b; pair 1: member-c short 2 lots to member-d."""
    _allocated(dv, ("member-a", "member-b", 3), ("member-c", "member-d", 2))
    return dv


def test_delivered_tokens_are_held_and_invoiced_at_their_grade(allocated: DeliveryWorld) -> None:
    dv = allocated
    one, premium = dv.issue("member-a", rss(), rss(2 * LOT_KG, grade="RSS1"))
    assert dv.settlement.invoice_of(DELIVERY, premium) == TokenInvoice(
        premium, 2, 2 * (PRICE + PREMIUM)
    )  # priced before delivery, as deliver will price it
    out = _party(dv, "member-a").deliver(DELIVERY, 0, [premium, one])
    assert out.value == [premium, one]
    assert [(e["tokenId"], e["lots"], e["invoiceJpy"]) for e in out.named("GoodsDelivered")] == [
        (premium, 2, 2 * (PRICE + PREMIUM)),
        (one, 1, PRICE),
    ]
    pair = dv.settlement.pair(DELIVERY, 0)
    assert (pair.delivered_lots, pair.invoiced) == (3, 3 * PRICE + 2 * PREMIUM)
    assert dv.settlement.tokens_of(DELIVERY, 0) == [premium, one]
    assert dv.orders.holder(one) == dv.orders.holder(premium) == dv.settlement.address


def test_a_discounted_grade_is_invoiced_below_the_settlement_price(
    allocated: DeliveryWorld,
) -> None:
    dv = allocated
    (token,) = dv.issue("member-c", rss(grade="RSS4"))
    _party(dv, "member-c").deliver(DELIVERY, 1, [token])
    assert dv.settlement.pair(DELIVERY, 1).invoiced == PRICE + DISCOUNT


@pytest.mark.parametrize(
    ("goods", "error"),
    [
        (rss(commodity="GOLD", grade="RSS3"), errors.DeliveryWrongCommodity),
        (rss(grade="RSS5"), errors.DeliveryGradeNotDeliverable),
        (rss(kg=LOT_KG + LOT_KG // 2), errors.DeliveryNotWholeLots),
        (rss(kg=LOT_KG - 1), errors.DeliveryNotWholeLots),
        (rss(kg=4 * LOT_KG), errors.DeliveryExceedsAllocation),  # 4 lots into a 3-lot pair
    ],
)
def test_a_token_the_delivery_cannot_take_is_refused_and_nothing_moves(
    allocated: DeliveryWorld, goods: Any, error: type[Exception]
) -> None:
    dv = allocated
    good, bad = dv.issue("member-a", rss(), goods)
    dv.refused(lambda: _party(dv, "member-a").deliver(DELIVERY, 0, [good, bad]), error)
    assert not dv.orders.is_approved("member-a", dv.settlement.address)


def test_delivery_beyond_the_allocation_over_two_calls_is_refused(
    allocated: DeliveryWorld,
) -> None:
    dv = allocated
    two, one = dv.issue("member-c", rss(2 * LOT_KG), rss())
    _party(dv, "member-c").deliver(DELIVERY, 1, [two])
    err = dv.refused(lambda: _party(dv, "member-c").deliver(DELIVERY, 1, [one]),
                     errors.DeliveryExceedsAllocation)  # fmt: skip
    assert (err.allocated, err.delivered, err.lots) == (2, 2, 1)


def test_only_the_pairs_short_delivers(allocated: DeliveryWorld) -> None:
    dv = allocated
    (token,) = dv.issue("member-c", rss())
    err = dv.refused(lambda: _party(dv, "member-c").deliver(DELIVERY, 0, [token]),
                     errors.DeliveryNotParty)  # fmt: skip
    assert err.expected == _party(dv, "member-a").address
    dv.refused(lambda: _party(dv, "member-b").deliver(DELIVERY, 0, [token]),
               errors.DeliveryNotParty)  # fmt: skip


def test_a_token_the_short_does_not_hold_is_refused_without_approving(
    allocated: DeliveryWorld,
) -> None:
    dv = allocated
    (theirs,) = dv.issue("member-c", rss())
    dv.refused(lambda: _party(dv, "member-a").deliver(DELIVERY, 0, [theirs]),
               errors.ERC721IncorrectOwner)  # fmt: skip


def test_unknown_delivery_or_pair_and_empty_lists_are_refused(allocated: DeliveryWorld) -> None:
    dv = allocated
    (token,) = dv.issue("member-a", rss())
    a = _party(dv, "member-a")
    dv.refused(lambda: a.deliver(99, 0, [token]), errors.DeliveryUnknown)
    err = dv.refused(lambda: a.deliver(DELIVERY, 2, [token]), errors.DeliveryUnknownPair)
    assert err.index == 2
    dv.refused(lambda: a.send(dv.settlement.call("deliver", DELIVERY, 0, [])),
               errors.DeliveryNothingToDo)  # fmt: skip
    dv.refused(lambda: a.deliver(DELIVERY, 0, []), InputError)
    dv.refused(lambda: a.deliver(DELIVERY, 0, [token, token]), InputError)


def test_delivery_is_allowed_at_the_cutoff_second_and_refused_after(
    allocated: DeliveryWorld,
) -> None:
    dv = allocated
    early, late = dv.issue("member-a", rss(), rss())
    a = _party(dv, "member-a")
    a.send(dv.orders.set_approval_for_all(dv.settlement.address))
    assert dv.sent_at(dv.delivery_cutoff, a, dv.settlement.deliver(DELIVERY, 0, [early]))
    assert not dv.sent_at(dv.delivery_cutoff + 1, a, dv.settlement.deliver(DELIVERY, 0, [late]))
    assert dv.settlement.tokens_of(DELIVERY, 0) == [early]
    dv.refused(lambda: a.deliver(DELIVERY, 0, [late]), errors.DeliveryCutoffPassed)


def test_invoice_of_a_token_the_delivery_would_refuse_is_refused(allocated: DeliveryWorld) -> None:
    dv = allocated
    (token,) = dv.issue("member-a", rss(grade="RSS5"))
    with pytest.raises(errors.DeliveryGradeNotDeliverable):
        dv.settlement.invoice_of(DELIVERY, token)
    with pytest.raises(errors.DeliveryUnknown):
        dv.settlement.invoice_of(99, token)


# ---------------------------------------------------------------------- paying


@pytest.fixture
def delivered(allocated: DeliveryWorld) -> DeliveryWorld:
    """Pair 0: three 1-lot tokens delivered (invoice 3 x PRICE); pair 1: one 2-lot token."""
    dv = allocated
    _party(dv, "member-a").deliver(DELIVERY, 0, dv.issue("member-a", rss(), rss(), rss()))
    _party(dv, "member-c").deliver(DELIVERY, 1, dv.issue("member-c", rss(2 * LOT_KG)))
    return dv


def test_paying_up_to_the_invoice_is_allowed_one_yen_more_is_refused(
    delivered: DeliveryWorld,
) -> None:
    dv = delivered
    b = _party(dv, "member-b")
    assert b.pay(DELIVERY, 0, PRICE).value == PRICE
    err = dv.refused(lambda: b.pay(DELIVERY, 0, 2 * PRICE + 1),
                     errors.DeliveryPaymentExceedsInvoice)  # fmt: skip
    assert (err.invoicedJpy, err.paidJpy, err.amountJpy) == (3 * PRICE, PRICE, 2 * PRICE + 1)
    assert b.pay(DELIVERY, 0, 2 * PRICE).value == 3 * PRICE
    assert dv.yen()[dv.settlement.address] == 3 * PRICE


def test_a_long_cannot_pay_before_anything_is_delivered(allocated: DeliveryWorld) -> None:
    dv = allocated
    dv.refused(lambda: _party(dv, "member-b").pay(DELIVERY, 0, 1),
               errors.DeliveryPaymentExceedsInvoice)  # fmt: skip


def test_only_the_pairs_long_pays_and_never_nothing(delivered: DeliveryWorld) -> None:
    dv = delivered
    dv.refused(lambda: _party(dv, "member-d").pay(DELIVERY, 0, PRICE), errors.DeliveryNotParty)
    dv.refused(lambda: _party(dv, "member-a").pay(DELIVERY, 0, PRICE), errors.DeliveryNotParty)
    b = _party(dv, "member-b")
    dv.refused(lambda: b.send(dv.settlement.call("pay", DELIVERY, 0, 0)),
               errors.DeliveryNothingToDo)  # fmt: skip
    dv.refused(lambda: b.pay(DELIVERY, 0, 0), errors.InvalidAmount)
    dv.refused(lambda: b.pay(DELIVERY, 5, PRICE), errors.DeliveryUnknownPair)


def test_payment_is_allowed_at_the_cutoff_second_and_refused_after(
    delivered: DeliveryWorld,
) -> None:
    dv = delivered
    b = _party(dv, "member-b")
    b.send(dv.d.token("JPY").approve(dv.settlement.address))
    assert dv.sent_at(dv.payment_cutoff, b, dv.settlement.pay(DELIVERY, 0, PRICE))
    assert not dv.sent_at(dv.payment_cutoff + 1, b, dv.settlement.pay(DELIVERY, 0, PRICE))
    assert dv.settlement.pair(DELIVERY, 0).paid == PRICE
    dv.refused(lambda: b.pay(DELIVERY, 0, PRICE), errors.DeliveryCutoffPassed)


# ---------------------------------------------------------------------- settling


def test_settlement_hands_over_tokens_in_order_as_payments_cover_them(
    delivered: DeliveryWorld,
) -> None:
    dv = delivered
    tokens = dv.settlement.tokens_of(DELIVERY, 0)
    a, b = _party(dv, "member-a"), _party(dv, "member-b")
    yen_a = dv.yen()[a.address]
    b.pay(DELIVERY, 0, PRICE + PRICE // 2)  # covers one token and half the next
    run = dv.desk.settle(DELIVERY, [0]).value
    assert [(s.index, s.tokens, s.lots, s.amount_jpy) for s in run.settled] == [(0, 1, 1, PRICE)]
    assert dv.orders.holder(tokens[0]) == b.address
    assert {dv.orders.holder(t) for t in tokens[1:]} == {dv.settlement.address}
    assert dv.yen()[a.address] == yen_a + PRICE  # paid exactly what was released
    again = dv.desk.settle(DELIVERY, [0])  # nothing more is covered: passed over
    assert again.value.settled == () and not again.named("PairSettled")
    b.pay(DELIVERY, 0, PRICE + PRICE // 2)
    dv.desk.settle(DELIVERY, [0])
    pair = dv.settlement.pair(DELIVERY, 0)
    assert (pair.released, pair.settled, pair.paid) == (3, 3 * PRICE, 3 * PRICE)
    assert dv.yen()[dv.settlement.address] == 0
    assert {dv.orders.holder(t) for t in tokens} == {b.address}


def test_settling_needs_the_ccp_and_known_pairs_and_refuses_the_whole_batch_otherwise(
    delivered: DeliveryWorld,
) -> None:
    dv = delivered
    _party(dv, "member-b").pay(DELIVERY, 0, PRICE)
    dv.refused(lambda: dv.desk.send(dv.settlement.settle(DELIVERY, [0, 9])),
               errors.DeliveryUnknownPair)  # fmt: skip
    dv.refused(lambda: dv.desk.send(dv.settlement.settle(42, [0])), errors.DeliveryUnknown)
    dv.refused(lambda: dv.desk.send(dv.settlement.call("settle", DELIVERY, [])),
               errors.DeliveryNothingToDo)  # fmt: skip
    dv.refused(lambda: _party(dv, "member-b").send(dv.settlement.settle(DELIVERY, [0])),
               errors.AccessControlUnauthorizedAccount)  # fmt: skip


def _suspend(dv: DeliveryWorld, who: str) -> None:
    dv.world.ccp.register.suspend(who, "inquiry")


def _freeze_yen(dv: DeliveryWorld, who: str) -> None:
    dv.world.ccp.agent.freeze("JPY", who, reason="inquiry")


def _freeze_goods(dv: DeliveryWorld, who: str) -> None:
    dv.world.ccp.send(dv.orders.set_frozen(who, True, reason="inquiry"))


@pytest.mark.parametrize(
    ("block", "who"),
    [
        (_suspend, "member-a"),  # the short cannot take its yen
        (_suspend, "member-b"),  # the long cannot take its goods
        (_freeze_yen, "member-a"),
        (_freeze_goods, "member-b"),
    ],
)
def test_a_party_that_cannot_receive_holds_up_only_its_own_pair(
    delivered: DeliveryWorld, block: Any, who: str
) -> None:
    dv = delivered
    _party(dv, "member-b").pay(DELIVERY, 0, PRICE)
    _party(dv, "member-d").pay(DELIVERY, 1, 2 * PRICE)
    block(dv, who)
    before = dv.settlement.pair(DELIVERY, 0)
    out = dv.desk.settle(DELIVERY)
    assert out.value.skipped == {0: _party(dv, who).address}
    assert [s.index for s in out.value.settled] == [1]
    assert [(e["index"], e["account"]) for e in out.named("PairSkipped")] == [
        (0, _party(dv, who).address)
    ]
    assert dv.settlement.pair(DELIVERY, 0) == before
    assert dv.settlement.pair(DELIVERY, 1).released == 1


def test_a_defaulted_long_holds_up_only_its_own_pair(delivered: DeliveryWorld) -> None:
    """The default process declares member-d (the long of pair 1): its pair is passed over,
    member-b's settles."""
    dv = delivered
    _party(dv, "member-b").pay(DELIVERY, 0, PRICE)
    _party(dv, "member-d").pay(DELIVERY, 1, 2 * PRICE)
    dv.world.ccp.default.declare_member("member-d", "insolvency")
    out = dv.desk.settle(DELIVERY)
    assert out.value.skipped == {1: _party(dv, "member-d").address}
    assert [s.index for s in out.value.settled] == [0]
    assert dv.settlement.pair(DELIVERY, 1).released == 0


def test_a_skipped_pair_settles_once_its_party_is_reinstated(delivered: DeliveryWorld) -> None:
    dv = delivered
    _party(dv, "member-b").pay(DELIVERY, 0, PRICE)
    _suspend(dv, "member-b")
    assert dv.desk.settle(DELIVERY, [0]).value.skipped
    dv.world.ccp.register.reinstate("member-b", "cleared")
    assert [s.tokens for s in dv.desk.settle(DELIVERY, [0]).value.settled] == [1]


def test_settlement_gas_per_released_token_is_flat(allocated: DeliveryWorld) -> None:
    """1, 10 and 100 tokens released in one batch: the 90 tokens between 10 and 100 cost what
    the 9 between 1 and 10 cost each, within 5%. The long already holds a delivery order, so no
    batch pays for its first (a zero balance made non-zero costs 17,100 gas more, once)."""
    dv = allocated
    dv.issue("member-b", rss())
    a, b = _party(dv, "member-a"), _party(dv, "member-b")
    _allocated(dv, ("member-a", "member-b", 1), ("member-a", "member-b", 10),
               ("member-a", "member-b", 100))  # fmt: skip
    a.send(dv.orders.set_approval_for_all(dv.settlement.address))
    b.send(dv.d.token("JPY").approve(dv.settlement.address))
    gas = {}
    for index, n in ((2, 1), (3, 10), (4, 100)):
        a.deliver(DELIVERY, index, dv.issue("member-a", *[rss()] * n))
        b.pay(DELIVERY, index, n * PRICE)
        gas[n] = dv.desk.settle(DELIVERY, [index]).gas_used
    small = (gas[10] - gas[1]) / 9
    large = (gas[100] - gas[10]) / 90
    assert abs(large - small) / small < 0.05, gas


# ---------------------------------------------------------------------- closing


def test_closing_is_refused_until_the_second_after_the_payment_cutoff(
    delivered: DeliveryWorld,
) -> None:
    dv = delivered
    err = dv.refused(lambda: dv.desk.close(DELIVERY), errors.DeliveryNotYetClosable)
    assert err.cutoff == dv.payment_cutoff
    close = dv.settlement.close(DELIVERY, [0, 1])
    assert not dv.sent_at(dv.payment_cutoff, dv.desk, close)
    assert {p.status for p in dv.pairs()} == {PairStatus.OPEN}
    assert dv.sent_at(dv.payment_cutoff + 1, dv.desk, close)
    assert {p.status for p in dv.pairs()} == {PairStatus.CLOSED}


def test_close_settles_reports_failures_and_returns_what_bought_nothing(
    allocated: DeliveryWorld,
) -> None:
    dv = allocated
    a, b = _party(dv, "member-a"), _party(dv, "member-b")
    tokens = dv.issue("member-a", rss(), rss())  # 2 of 3 lots: one lot short
    a.deliver(DELIVERY, 0, tokens)
    b.pay(DELIVERY, 0, PRICE + 1_000)  # one token paid, 1,000 yen towards the other
    yen = dv.yen()
    devnet.set_next_timestamp(dv.world.chain, dv.payment_cutoff + 1)
    out = dv.desk.close(DELIVERY, [0])
    run = out.value
    assert run.closed == (0,)
    assert [(s.tokens, s.amount_jpy) for s in run.settled] == [(1, PRICE)]
    assert run.delivery_failed == {0: 1}
    assert run.payment_failed == {0: PRICE - 1_000}
    assert run.refunded == {0: 1_000}
    (failed,) = out.named("PaymentFailed")
    assert (failed["long"], failed["tokens"]) == (b.address, 1)
    assert out.named("DeliveryFailed")[0]["short"] == a.address
    assert dv.orders.holder(tokens[0]) == b.address
    assert dv.orders.holder(tokens[1]) == a.address  # unpaid: back to the short
    after = dv.yen()
    assert after[a.address] == yen[a.address] + PRICE
    assert after[b.address] == yen[b.address] + 1_000
    assert after[dv.settlement.address] == 0
    pair = dv.settlement.pair(DELIVERY, 0)
    assert (pair.status, pair.released, pair.settled) == (PairStatus.CLOSED, 1, PRICE)
    sentences = [describe(e, dv.d) for e in out.events if e.contract == "delivery settlement"]
    assert sentences == [
        "delivery 7 pair 0 settled DvP: 1 token (1 lot) to the long against JPY 300,000 to the "
        "short",
        "delivery 7 pair 0: member-a failed to deliver 1 lot",
        "delivery 7 pair 0: member-b failed to pay JPY 299,000; 1 token back to the short",
        "delivery 7 pair 0: JPY 1,000 that bought no goods back to member-b",
        "delivery 7 pair 0 closed",
    ]
    again = dv.desk.settle(DELIVERY, [0])
    assert not again.events  # a closed pair is passed over
    assert dv.desk.send(dv.settlement.close(DELIVERY, [0])).events == ()


def test_a_closed_pair_takes_no_delivery_or_payment(delivered: DeliveryWorld) -> None:
    dv = delivered
    devnet.set_next_timestamp(dv.world.chain, dv.payment_cutoff + 1)
    dv.desk.close(DELIVERY, [0])
    (token,) = dv.issue("member-a", rss())
    dv.refused(lambda: _party(dv, "member-a").deliver(DELIVERY, 0, [token]),
               errors.DeliveryPairClosed)  # fmt: skip
    dv.refused(lambda: _party(dv, "member-b").pay(DELIVERY, 0, 1), errors.DeliveryPairClosed)


def test_a_short_that_delivered_nothing_does_not_hold_up_its_close(
    allocated: DeliveryWorld,
) -> None:
    """The failing short is suspended, but owed nothing: the pair closes with its failure."""
    dv = allocated
    _suspend(dv, "member-c")
    devnet.set_next_timestamp(dv.world.chain, dv.payment_cutoff + 1)
    run = dv.desk.close(DELIVERY).value
    assert sorted(run.closed) == [0, 1]
    assert run.delivery_failed == {0: 3, 1: 2}
    assert run.payment_failed == {}


def test_a_late_payer_that_cannot_take_its_refund_holds_up_only_its_pair(
    delivered: DeliveryWorld,
) -> None:
    dv = delivered
    _party(dv, "member-b").pay(DELIVERY, 0, PRICE // 2)  # pays half a token, then is suspended
    _suspend(dv, "member-b")
    devnet.set_next_timestamp(dv.world.chain, dv.payment_cutoff + 1)
    out = dv.desk.close(DELIVERY)
    assert out.value.skipped == {0: _party(dv, "member-b").address}
    assert out.value.closed == (1,)
    assert out.value.payment_failed == {1: 2 * PRICE}  # pair 1's long paid nothing
    assert dv.settlement.pair(DELIVERY, 0).status is PairStatus.OPEN
    assert dv.yen()[dv.settlement.address] == PRICE // 2
    dv.world.ccp.register.reinstate("member-b", "cleared")
    assert dv.desk.close(DELIVERY).value.refunded == {0: PRICE // 2}
    assert dv.yen()[dv.settlement.address] == 0
    assert dv.orders.balance_of(dv.settlement.address) == 0


def test_the_report_names_parties_and_says_what_is_missing_and_held(
    delivered: DeliveryWorld,
) -> None:
    dv = delivered
    _party(dv, "member-b").pay(DELIVERY, 0, PRICE)
    first, second = dv.desk.report(DELIVERY)
    assert (first.short, first.long, first.tokens, first.held_tokens) == (
        "member-a", "member-b", 3, 3,
    )  # fmt: skip
    assert (first.unpaid_jpy, first.held_jpy, first.missing_lots) == (2 * PRICE, PRICE, 0)
    assert (second.short, second.unpaid_jpy) == ("member-c", 2 * PRICE)


def test_batch_verbs_split_many_pairs_into_transactions_that_fit(
    allocated: DeliveryWorld,
) -> None:
    dv = allocated
    _allocated(dv, *[("member-a", "member-b", 1)] * 6)
    calls = dv.settlement.settle_many(DELIVERY, pairs_per_tx=3)
    assert [c.fn.args[1] for c in calls] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    _party(dv, "member-c").deliver(DELIVERY, 1, dv.issue("member-c", rss(), rss()))
    by_tokens = dv.settlement.close_many(DELIVERY, tokens_per_tx=2)
    assert [c.fn.args[1] for c in by_tokens] == [[0], [1], [2, 3], [4, 5], [6, 7]]
    assert len(dv.desk.settle(DELIVERY).outcomes) == 1


def test_a_suspended_long_is_refused_before_anything_is_sent(delivered: DeliveryWorld) -> None:
    """Neither the payment nor the approval it would need goes out."""
    dv = delivered
    jpy = dv.d.token("JPY")
    long = _party(dv, "member-b")
    _suspend(dv, "member-b")
    block = dv.d.chain.w3.eth.block_number
    allowance = jpy.allowance(long, dv.settlement.address)
    with pytest.raises(errors.ParticipantNotActive):
        long.pay(DELIVERY, 0, PRICE)
    assert dv.d.chain.w3.eth.block_number == block  # no approval, no payment
    assert jpy.allowance(long, dv.settlement.address) == allowance
    assert dv.settlement.pair(DELIVERY, 0).paid == 0


def test_a_token_counted_in_another_unit_is_refused_not_invoiced_as_whole_lots(
    allocated: DeliveryWorld,
) -> None:
    """5,000 grams of rubber are not a 5,000 kg lot: the invoice would be a lot's price."""
    dv = allocated
    grams = dv.issue("member-a", Goods("RSS3", "RSS3", LOT_KG, "g", lots="lot 9"))
    err = dv.refused(
        lambda: _party(dv, "member-a").deliver(DELIVERY, 0, grams), errors.DeliveryWrongUnit
    )
    assert (err.unit.rstrip(b"\0"), err.required.rstrip(b"\0")) == (b"g", b"kg")
    assert dv.settlement.terms(DELIVERY).unit == "kg"


def test_a_frozen_token_behind_an_unapproved_one_is_refused_before_any_approval(
    allocated: DeliveryWorld,
) -> None:
    """The chain stops at the first unapproved token; the SDK judges the rest before approving."""
    dv = allocated
    first, second = dv.issue("member-a", rss(), rss())
    short = _party(dv, "member-a")
    if dv.orders.is_approved(short, dv.settlement.address):
        short.send(dv.orders.set_approval_for_all(dv.settlement.address, False))
    dv.world.ccp.agent.freeze_goods(dv.orders.document_kind(), second, reason="inquiry")
    block = dv.d.chain.w3.eth.block_number
    with pytest.raises(errors.GoodsTokenFrozen):
        short.deliver(DELIVERY, 0, [first, second])
    assert dv.d.chain.w3.eth.block_number == block  # no approval went out
    assert dv.settlement.pair(DELIVERY, 0).delivered_lots == 0
