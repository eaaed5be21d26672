"""Delivery day's arithmetic, off chain: allocating shorts to longs, invoices, the settlement price
per lot, and the DvP model the contract is checked against (pyclient.goods.delivery)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyclient.goods.delivery import (
    Allocation,
    InvoiceRefused,
    PairModel,
    PositionsRefused,
    PositionsUnbalanced,
    PriceNotExact,
    Refused,
    allocate,
    allocated_lots,
    grade_price_jpy,
    invoice_jpy,
    lots_of,
    price_per_lot,
)

# ---------------------------------------------------------------------- allocation


def test_equal_positions_are_paired_whole_before_anything_is_split() -> None:
    pairs = allocate({"a": 10, "b": 5, "c": 3}, {"x": 5, "y": 8, "z": 5})
    assert pairs[0] == Allocation("b", "x", 5)  # the exact match, not a split of a's 10
    assert allocated_lots(pairs) == ({"a": 10, "b": 5, "c": 3}, {"x": 5, "y": 8, "z": 5})
    assert len(pairs) == 4


def test_largest_short_meets_largest_long_and_ties_go_by_name() -> None:
    assert allocate({"s2": 4, "s1": 4}, {"l1": 6, "l2": 2}) == [
        Allocation("s1", "l1", 4),
        Allocation("s2", "l1", 2),
        Allocation("s2", "l2", 2),
    ]


def test_allocation_does_not_depend_on_the_order_positions_are_listed() -> None:
    shorts = {"a": 7, "b": 3, "c": 3}
    longs = {"x": 3, "y": 10}
    reordered = allocate(dict(reversed(shorts.items())), dict(reversed(longs.items())))
    assert allocate(shorts, longs) == reordered


def test_unequal_totals_are_refused_naming_both() -> None:
    with pytest.raises(PositionsUnbalanced) as info:
        allocate({"a": 3}, {"x": 2})
    assert (info.value.short_lots, info.value.long_lots) == (3, 2)
    assert "3 lots" in str(info.value)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_a_position_that_is_not_whole_lots_is_refused(bad: object) -> None:
    with pytest.raises(PositionsRefused):
        allocate({"a": bad}, {"x": 1})  # type: ignore[dict-item]


def test_a_member_on_both_sides_is_refused() -> None:
    with pytest.raises(PositionsRefused, match="both short and long"):
        allocate({"a": 1, "b": 1}, {"a": 1, "c": 1})


def test_zero_positions_are_ignored_and_no_positions_allocate_nothing() -> None:
    assert allocate({"a": 0}, {"x": 0}) == []
    assert allocate({"a": 2, "b": 0}, {"x": 2}) == [Allocation("a", "x", 2)]


positions = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 40), min_size=1)


@given(shorts=positions, split=st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_every_allocation_covers_each_position_exactly_with_few_pairs(
    shorts: dict[str, int], split: list[int]
) -> None:
    total = sum(shorts.values())
    longs: dict[str, int] = {}
    left = total
    for i, lots in enumerate(split):  # spread the same total over longs named L0, L1...
        take = min(lots, left) if i < len(split) - 1 else left
        if take:
            longs[f"L{i}"] = take
        left -= take
    pairs = allocate(shorts, longs)
    assert allocated_lots(pairs) == (shorts, longs)
    assert all(p.lots > 0 and p.short != p.long for p in pairs)
    assert len(pairs) <= len(shorts) + len(longs) - 1
    assert allocate(shorts, longs) == pairs  # deterministic


# ---------------------------------------------------------------------- invoices and prices


def test_invoice_is_lots_times_price_plus_differential() -> None:
    assert invoice_jpy(3, 1_561_500) == 4_684_500
    assert invoice_jpy(3, 1_561_500, -25_000) == 3 * 1_536_500
    assert invoice_jpy(2, 1_000, 500) == 3_000


def test_a_differential_that_leaves_no_price_is_refused_at_the_boundary() -> None:
    assert grade_price_jpy(1_000, -999) == 1
    with pytest.raises(InvoiceRefused):
        grade_price_jpy(1_000, -1_000)


@pytest.mark.parametrize("lots", [0, -1, True, 1.0])
def test_an_invoice_needs_a_positive_whole_number_of_lots(lots: object) -> None:
    with pytest.raises(InvoiceRefused):
        invoice_jpy(lots, 1_000)  # type: ignore[arg-type]


def test_lots_of_a_quantity_must_be_whole() -> None:
    assert lots_of(10_000, 5_000) == 2
    with pytest.raises(InvoiceRefused):
        lots_of(7_500, 5_000)
    with pytest.raises(InvoiceRefused):
        lots_of(0, 5_000)


def test_settlement_price_per_kg_becomes_whole_yen_per_lot() -> None:
    assert price_per_lot("312.3", 5_000) == 1_561_500
    assert price_per_lot(Decimal("312.3002"), 5_000) == 1_561_501
    assert price_per_lot(300, 5_000) == 1_500_000


def test_a_price_that_is_not_whole_yen_per_lot_is_refused_with_the_nearest_ones() -> None:
    with pytest.raises(PriceNotExact) as info:
        price_per_lot("312.3001", 5_000)
    assert "312.3 and 312.3002" in str(info.value)


@pytest.mark.parametrize("bad", [312.3, "abc", "-1", 0, "NaN"])
def test_a_price_that_is_a_float_or_not_positive_is_refused(bad: object) -> None:
    with pytest.raises(PriceNotExact):
        price_per_lot(bad, 5_000)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the DvP model


def test_tokens_go_in_delivery_order_only_once_paid_for() -> None:
    pair = PairModel("s", "l", lots=3)
    pair.deliver([(1, 1, 100), (2, 2, 200)])
    pair.pay(150)
    s = pair.settle()
    assert (s.released, s.lots, s.amount_jpy) == ((1,), 1, 100)
    assert pair.settle().released == ()  # 50 left does not cover token 2's 200
    pair.pay(150)
    assert pair.settle().released == (2,)
    assert pair.held_jpy == 0 and pair.held_tokens == []


def test_the_model_refuses_what_the_contract_refuses() -> None:
    pair = PairModel("s", "l", lots=2)
    with pytest.raises(Refused, match="DeliveryPaymentExceedsInvoice"):
        pair.pay(1)  # nothing delivered, nothing to pay for
    pair.deliver([(1, 2, 100)])
    with pytest.raises(Refused, match="DeliveryExceedsAllocation"):
        pair.deliver([(2, 1, 50)])
    with pytest.raises(Refused, match="DeliveryPaymentExceedsInvoice"):
        pair.pay(101)


def test_closing_returns_unpaid_tokens_and_unspent_yen_and_reports_failures() -> None:
    pair = PairModel("s", "l", lots=4)
    pair.deliver([(1, 1, 100), (2, 1, 100)])
    pair.pay(150)
    s = pair.close()
    assert s.released == (1,) and s.amount_jpy == 100
    assert s.returned == (2,) and s.refund_jpy == 50
    assert (s.missing_lots, s.unpaid_jpy) == (2, 50)
    assert pair.receivers(s) == [("l", "goods"), ("s", "cash"), ("s", "goods"), ("l", "cash")]
    assert pair.close().empty
    with pytest.raises(Refused, match="DeliveryPairClosed"):
        pair.pay(1)
