"""The delivery settlement's client: physical delivery of futures through the CCP.

Reads return the types of `pyclient.goods.delivery` (`Terms`, `Pair`, `TokenInvoice`). Calls
cover delivery day: the CCP opens a delivery and allocates pairs, members deliver goods tokens
and pay, the CCP settles and closes pairs. Settling and closing many pairs are batch verbs
(`settle_many`, `close_many`) that split the pairs into transactions that fit: at most
`pairs_per_tx` pairs, and at most `tokens_per_tx` tokens that may move, to a transaction (each
token a transfer; the defaults keep a transaction well under the 2^24-gas cap of networks that
enforce EIP-7825). Yen amounts are whole yen (the JPY token has no minor unit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..clock import to_unix
from ..errors import InputError
from ..goods.delivery import (
    Allocation,
    Pair,
    PairSettled,
    SettlementRun,
    Terms,
    TokenInvoice,
    grade_price_jpy,
)
from ..units import Amount, to_bytes32
from .base import Call, ContractClient, Outcome

# Measured on Anvil (tests/goods/test_delivery.py measures the per-token slope): a pair costs about
# 55k gas in a batch besides its tokens, a token released or returned about 22-24k, an allocation
# about 75k. 80 pairs and 250 tokens stay near 10.5M, 100 allocations near 7.5M: with the client's
# 1.2 estimate margin, under the 2^24 (16.8M) gas cap of networks that enforce EIP-7825.
PAIRS_PER_TX = 80
TOKENS_PER_TX = 250
ALLOCATIONS_PER_TX = 100

_UINT64 = 2**64


class DeliverySettlementClient(ContractClient):
    artifact = "DeliverySettlement"
    prefix = "delivery"

    # ------------------------------------------------------------------ reads

    def cash_address(self) -> str:
        """The yen token payments are made in."""
        return str(self._read(self.contract.functions.cash()))

    def terms(self, delivery_id: int) -> Terms:
        """Delivery `delivery_id`'s terms (`DeliveryUnknown` if never opened)."""
        return Terms.from_chain(self._read(self.contract.functions.terms(_id(delivery_id))))

    def differential(self, delivery_id: int, grade: str) -> int | None:
        """Grade `grade`'s differential in yen per lot, or None when it is not deliverable."""
        fn = self.contract.functions.differential(_id(delivery_id), to_bytes32(grade, what="grade"))
        listed, jpy = self._read(fn)
        return int(jpy) if listed else None

    def pair_count(self, delivery_id: int) -> int:
        return int(self._read(self.contract.functions.pairCount(_id(delivery_id))))

    def pair(self, delivery_id: int, index: int) -> Pair:
        """Pair `index` (`DeliveryUnknownPair` if there is none)."""
        raw = self._read(self.contract.functions.pair(_id(delivery_id), _id(index, "pair")))
        return Pair.from_chain(delivery_id, index, raw)

    def pairs(self, delivery_id: int, indexes: Sequence[int] | None = None) -> list[Pair]:
        """Pairs by index (all of the delivery's if none are named), read in one batch."""
        ids = range(self.pair_count(delivery_id)) if indexes is None else indexes
        f = self.contract.functions
        raw = self._read_many([f.pair(_id(delivery_id), _id(i, "pair")) for i in ids])
        return [Pair.from_chain(delivery_id, i, r) for i, r in zip(ids, raw, strict=True)]

    def tokens_of(self, delivery_id: int, index: int) -> list[int]:
        """The tokens delivered into pair `index`, in delivery order (the first `released` are the
        long's)."""
        fn = self.contract.functions.tokensOf(_id(delivery_id), _id(index, "pair"))
        return [int(t) for t in self._read(fn)]

    def tokens_of_many(self, delivery_id: int, indexes: Sequence[int]) -> dict[int, list[int]]:
        """`tokens_of` many pairs, read in one batch."""
        f = self.contract.functions
        raw = self._read_many([f.tokensOf(_id(delivery_id), _id(i, "pair")) for i in indexes])
        return {i: [int(t) for t in r] for i, r in zip(indexes, raw, strict=True)}

    def invoice_of(self, delivery_id: int, token_id: int) -> TokenInvoice:
        """Token `token_id`'s lots and invoice value in the delivery: as recorded when delivered,
        or as it would be priced now (refused with the contract's reason when not deliverable)."""
        fn = self.contract.functions.invoiceOf(_id(delivery_id), _id(token_id, "token id", 1))
        lots, amount = self._read(fn)
        return TokenInvoice(token_id, int(lots), int(amount))

    def invoices_of(self, delivery_id: int, token_ids: Sequence[int]) -> list[TokenInvoice]:
        f = self.contract.functions
        raw = self._read_many(
            [f.invoiceOf(_id(delivery_id), _id(t, "token id", 1)) for t in token_ids]
        )
        return [
            TokenInvoice(t, int(lots), int(amount))
            for t, (lots, amount) in zip(token_ids, raw, strict=True)
        ]

    # ------------------------------------------------------------------ the CCP

    def open_delivery(
        self,
        delivery_id: int,
        *,
        goods: Any,
        commodity: str,
        lot_quantity: int,
        price_jpy_per_lot: int,
        delivery_cutoff: dt.datetime | int,
        payment_cutoff: dt.datetime | int,
        grades: Mapping[str, int],
        unit: str = "kg",
    ) -> Call[Terms]:
        """Open delivery `delivery_id` of `commodity` in `goods` tokens (a goods token client or
        address) at `price_jpy_per_lot`, with the deliverable `grades` and their differentials in
        yen per lot (`{"RSS3": 0, "RSS1": 2_000}`); `lot_quantity` counts in `unit`, and tokens
        in another unit are refused. The value is the terms as recorded."""
        if not unit or len(unit.encode()) > 8:
            raise InputError(f"unit {unit!r} must be 1-8 bytes (kg, g)")
        for what, value in (("lot quantity", lot_quantity), ("price", price_jpy_per_lot)):
            _positive(value, what)
        if lot_quantity >= _UINT64:
            raise InputError(f"lot quantity {lot_quantity:,} does not fit in 64 bits")
        if not grades:
            raise InputError("a delivery needs at least one deliverable grade")
        for grade, diff in grades.items():
            if isinstance(diff, bool) or not isinstance(diff, int):
                raise InputError(f"differential of {grade} must be whole yen, not {diff!r}")
            grade_price_jpy(price_jpy_per_lot, diff)  # zero or below is refused, as on chain
        address = getattr(goods, "address", None) or goods
        terms = (
            self.suite.address_of(address),
            to_bytes32(commodity, what="commodity", allow_empty=False),
            lot_quantity,
            price_jpy_per_lot,
            _unix(delivery_cutoff),
            _unix(payment_cutoff),
            unit.encode().ljust(8, b"\0"),
        )
        fn = self.contract.functions.openDelivery(
            _id(delivery_id),
            terms,
            [to_bytes32(g, what="grade", allow_empty=False) for g in grades],
            list(grades.values()),
        )
        return self._call(fn, "openDelivery", result=lambda _o: self.terms(delivery_id))

    def allocate(self, delivery_id: int, allocations: Sequence[Allocation]) -> Call[list[int]]:
        """Record `allocations` as pairs; the value is their indexes, in order."""
        if not allocations:
            raise InputError("nothing to allocate")
        rows = []
        for a in allocations:
            _positive(a.lots, "lots")
            rows.append((self.suite.address_of(a.short), self.suite.address_of(a.long), a.lots))
        fn = self.contract.functions.allocate(_id(delivery_id), rows)
        return self._call(fn, "allocate", result=_allocated)

    def allocate_many(
        self,
        delivery_id: int,
        allocations: Sequence[Allocation],
        *,
        per_tx: int = ALLOCATIONS_PER_TX,
    ) -> list[Call[list[int]]]:
        """`allocate` in transactions of at most `per_tx` pairs (send them with `send_all`, in
        order: indexes follow the order sent)."""
        return [self.allocate(delivery_id, part) for part in _chunks(allocations, per_tx)]

    def settle(self, delivery_id: int, indexes: Sequence[int]) -> Call[SettlementRun]:
        """Settle pairs `indexes` in one transaction, delivery versus payment; the value says which
        settled and which were passed over (`PairSkipped`)."""
        fn = self.contract.functions.settle(_id(delivery_id), _indexes(indexes))
        return self._call(fn, "settle", result=lambda o: run_of(delivery_id, o))

    def close(self, delivery_id: int, indexes: Sequence[int]) -> Call[SettlementRun]:
        """Close pairs `indexes` in one transaction (after the payment cut-off): settle, report
        failures, return unpaid tokens to the short and unspent yen to the long."""
        fn = self.contract.functions.close(_id(delivery_id), _indexes(indexes))
        return self._call(fn, "close", result=lambda o: run_of(delivery_id, o))

    def settle_many(
        self,
        delivery_id: int,
        indexes: Sequence[int] | None = None,
        *,
        pairs_per_tx: int = PAIRS_PER_TX,
        tokens_per_tx: int = TOKENS_PER_TX,
    ) -> list[Call[SettlementRun]]:
        """`settle` over many pairs (every open pair if none are named), split into transactions
        of at most `pairs_per_tx` pairs and `tokens_per_tx` tokens held for them."""
        parts = self._split(delivery_id, indexes, pairs_per_tx, tokens_per_tx)
        return [self.settle(delivery_id, part) for part in parts]

    def close_many(
        self,
        delivery_id: int,
        indexes: Sequence[int] | None = None,
        *,
        pairs_per_tx: int = PAIRS_PER_TX,
        tokens_per_tx: int = TOKENS_PER_TX,
    ) -> list[Call[SettlementRun]]:
        """`close` over many pairs (every open pair if none are named), split as `settle_many`."""
        parts = self._split(delivery_id, indexes, pairs_per_tx, tokens_per_tx)
        return [self.close(delivery_id, part) for part in parts]

    def _split(
        self, delivery_id: int, indexes: Sequence[int] | None, pairs_per_tx: int, tokens_per_tx: int
    ) -> list[list[int]]:
        """Open pairs among `indexes` in order, packed into parts by the tokens each holds (each
        may move in the transaction); a pair holding more than `tokens_per_tx` goes alone."""
        _positive(pairs_per_tx, "pairs per transaction")
        _positive(tokens_per_tx, "tokens per transaction")
        pairs = [p for p in self.pairs(delivery_id, indexes) if p.is_open]
        if not pairs:
            return []
        held = self.tokens_of_many(delivery_id, [p.index for p in pairs])
        parts: list[list[int]] = []
        part: list[int] = []
        weight = 0
        for p in pairs:
            w = max(len(held[p.index]) - p.released, 1)
            if part and (len(part) >= pairs_per_tx or weight + w > tokens_per_tx):
                parts.append(part)
                part, weight = [], 0
            part.append(p.index)
            weight += w
        parts.append(part)
        return parts

    # ------------------------------------------------------------------ members

    def deliver(self, delivery_id: int, index: int, token_ids: Sequence[int]) -> Call[list[int]]:
        """The short delivers `token_ids` (approved to this contract) into pair `index`; the value
        is the ids delivered."""
        ids = [_id(t, "token id", 1) for t in token_ids]
        if not ids:
            raise InputError("no token to deliver")
        if len(set(ids)) != len(ids):
            raise InputError(f"token ids {ids} name a token twice")
        fn = self.contract.functions.deliver(_id(delivery_id), _id(index, "pair"), ids)
        return self._call(fn, "deliver", result=lambda _o: ids)

    def pay(self, delivery_id: int, index: int, amount_jpy: Amount) -> Call[int]:
        """The long pays `amount_jpy` (approved to this contract) into pair `index`; the value is
        what it has paid in all."""
        cash = self.suite.asset(self.cash_address())
        units = cash.units(amount_jpy, what="payment")
        fn = self.contract.functions.pay(_id(delivery_id), _id(index, "pair"), units)
        return self._call(
            fn, "pay", asset=cash, result=lambda o: int(o.named("DeliveryPaid")[0]["paidJpy"])
        )


# ---------------------------------------------------------------------- helpers


def run_of(delivery_id: int, outcome: Outcome[Any]) -> SettlementRun:
    """What a settle or close transaction did, from its events."""
    settled: list[PairSettled] = []
    skipped: dict[int, str] = {}
    closed: list[int] = []
    failed_delivery: dict[int, int] = {}
    failed_payment: dict[int, int] = {}
    refunded: dict[int, int] = {}
    for e in outcome.events:
        if e.args.get("deliveryId") != delivery_id or "index" not in e.args:
            continue
        i = int(e["index"])
        if e.name == "PairSettled":
            settled.append(PairSettled(i, int(e["tokens"]), int(e["lots"]), int(e["amountJpy"])))
        elif e.name == "PairSkipped":
            skipped[i] = str(e["account"])
        elif e.name == "PairClosed":
            closed.append(i)
        elif e.name == "DeliveryFailed":
            failed_delivery[i] = int(e["missingLots"])
        elif e.name == "PaymentFailed":
            failed_payment[i] = int(e["unpaidJpy"])
        elif e.name == "PaymentRefunded":
            refunded[i] = int(e["amountJpy"])
    return SettlementRun(
        delivery_id, tuple(settled), skipped, tuple(closed), failed_delivery, failed_payment,
        refunded,
    )  # fmt: skip


def _allocated(outcome: Outcome[None]) -> list[int]:
    return [int(e["index"]) for e in outcome.named("Allocated")]


def _indexes(indexes: Iterable[int]) -> list[int]:
    out = [_id(i, "pair") for i in indexes]
    if not out:
        raise InputError("no pair named")
    return out


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    _positive(size, "batch size")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _id(value: Any, what: str = "delivery id", least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least or value >= 2**256:
        raise InputError(f"{what} must be a whole number from {least}, not {value!r}")
    return value


def _positive(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(f"{what} must be a positive whole number, not {value!r}")


def _unix(when: dt.datetime | int) -> int:
    if isinstance(when, bool):
        raise InputError(f"a cut-off is a datetime or unix seconds, not {when!r}")
    return when if isinstance(when, int) else to_unix(when)
