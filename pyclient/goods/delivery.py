"""Physical delivery of futures through the CCP, as Python sees it: mirrors
`contracts/goods/IDeliverySettlement.sol`, and the arithmetic and the allocation the CCP does off
chain (pure: numbers in, numbers out, no chain).

On delivery day the CCP opens a delivery (one contract month of one commodity) with its terms,
allocates the short positions to the long positions in whole lots (`allocate`), and each pair
settles delivery versus payment: the short delivers goods tokens (delivery orders, warehouse
receipts), the long pays their invoice value (`invoice_jpy`), and the CCP hands each token to the
long only once the long's payments cover it, paying the short exactly what it released
(`PairModel`, the model the state-machine test checks the contract against). Amounts are yen
(the JPY token has no minor unit), quantities are the goods' units (kilograms, grams).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..abi import register_enum
from ..clock import from_unix
from ..enums import ChainEnum
from ..errors import InputError
from ..units import from_bytes32

# ---------------------------------------------------------------------- refusals


class PositionsRefused(InputError):
    """Positions the CCP cannot allocate: a position that is not a whole number of lots, a member
    both short and long, or short and long totals that differ (the message names both totals)."""


class PositionsUnbalanced(PositionsRefused):
    """The short positions and the long positions to allocate are not the same number of lots."""

    def __init__(self, short_lots: int, long_lots: int) -> None:
        self.short_lots = short_lots
        self.long_lots = long_lots
        super().__init__(
            f"short positions total {short_lots:,} lots and long positions {long_lots:,}: "
            "a delivery allocates equal totals"
        )


class PriceNotExact(InputError):
    """A settlement price per unit that does not make a whole number of yen per lot; the message
    names the nearest prices that do."""


class InvoiceRefused(InputError):
    """An invoice that cannot be computed: lots not a positive whole number, a quantity that is not
    whole lots, or a differential that leaves the price per lot at zero or below."""


# ---------------------------------------------------------------------- chain types


class PairStatus(ChainEnum):
    """Where a pair is: open until closed after the payment cut-off."""

    NONE = 0
    OPEN = 1
    CLOSED = 2


register_enum("IDeliverySettlement.PairStatus", PairStatus)


@dataclass(frozen=True)
class Allocation:
    """`lots` of `short`'s position allocated to `long`'s: one pair of a delivery. Parties are as
    the caller names them (names or addresses); the client resolves them."""

    short: str
    long: str
    lots: int


@dataclass(frozen=True)
class Terms:
    """A delivery's terms, fixed when it is opened (`IDeliverySettlement.Terms`)."""

    goods: str  # the goods token's address
    commodity: str
    lot_quantity: int  # goods units in one lot (5,000 kg of rubber)
    price_jpy_per_lot: int  # the final settlement price of one lot
    delivery_cutoff: dt.datetime
    payment_cutoff: dt.datetime
    unit: str = "kg"  # what `lot_quantity` counts; a token in another unit is refused

    @classmethod
    def from_chain(cls, raw: Sequence[Any]) -> Terms:
        goods, commodity, lot_quantity, price, delivery_cutoff, payment_cutoff, unit = raw
        return cls(
            str(goods),
            from_bytes32(commodity),
            int(lot_quantity),
            int(price),
            from_unix(int(delivery_cutoff)),
            from_unix(int(payment_cutoff)),
            bytes(unit).rstrip(b"\0").decode(errors="replace"),
        )


@dataclass(frozen=True)
class Pair:
    """One pair of a delivery as the contract keeps it (`IDeliverySettlement.Pair`). Yen amounts:
    `invoiced` of what was delivered, `paid` by the long, `settled` passed to the short (the
    invoice value of the first `released` tokens, which are the long's)."""

    delivery_id: int
    index: int
    short: str
    long: str
    lots: int
    delivered_lots: int
    status: PairStatus
    released: int
    invoiced: int
    paid: int
    settled: int

    @classmethod
    def from_chain(cls, delivery_id: int, index: int, raw: Sequence[Any]) -> Pair:
        short, long, lots, delivered, status, released, invoiced, paid, settled = raw
        return cls(
            delivery_id, index, str(short), str(long), int(lots), int(delivered),
            PairStatus(int(status)), int(released), int(invoiced), int(paid), int(settled),
        )  # fmt: skip

    @property
    def missing_lots(self) -> int:
        """Lots the short has yet to deliver."""
        return self.lots - self.delivered_lots

    @property
    def unpaid(self) -> int:
        """Yen of the invoice the long has yet to pay."""
        return self.invoiced - self.paid

    @property
    def held(self) -> int:
        """Yen this pair has in the contract: paid and neither passed on nor refunded."""
        return 0 if self.status is PairStatus.CLOSED else self.paid - self.settled

    @property
    def is_open(self) -> bool:
        return self.status is PairStatus.OPEN


@dataclass(frozen=True)
class TokenInvoice:
    """A delivered token's lots and invoice value (`invoiceOf`)."""

    token_id: int
    lots: int
    amount_jpy: int


# ---------------------------------------------------------------------- allocation


def allocate(shorts: Mapping[str, int], longs: Mapping[str, int]) -> list[Allocation]:
    """Allocate short positions to long positions, in whole lots, deterministically.

    The method: first every short whose position equals a long's is paired with it whole (the
    largest such positions first); then the largest remaining short is matched with the largest
    remaining long for as many lots as both have, again and again, until nothing is left. Ties
    are broken by the parties' names (or addresses), so the same positions always give the same
    pairs, whatever order the mappings list them in.

    Why: each pair is a delivery versus payment of its own, with its own deliveries, payments,
    settlement, and its own failure if one side fails; fewer pairs mean fewer transactions, fewer
    counterparties for a member to deal with, and a short's delivery orders (each several lots,
    and indivisible) split among as few longs as possible. Every step of the matching exhausts a
    short or a long (the last one both), so there are at most shorts + longs - 1 pairs, and an
    exact match saves one pair. Finding the fewest pairs possible is a partition problem (hard
    in general); this greedy method is simple to check by hand, which the members who receive
    the allocation need more than the last pair saved.

    Zero positions are ignored. Refused (`PositionsRefused`): a position that is not a whole
    number of lots or is negative, a member on both sides; (`PositionsUnbalanced`): totals that
    differ. An empty allocation (no positions at all) is the empty list.
    """
    short = _positions(shorts, "short")
    long = _positions(longs, "long")
    both = sorted(set(short) & set(long))
    if both:
        raise PositionsRefused(
            f"{', '.join(both)} both short and long: allocate net positions, one side each"
        )
    short_total, long_total = sum(short.values()), sum(long.values())
    if short_total != long_total:
        raise PositionsUnbalanced(short_total, long_total)

    pairs: list[Allocation] = []
    # Exact matches first, largest first; a long is taken once.
    by_size: dict[int, list[str]] = {}
    for name in sorted(long, key=lambda n: (-long[n], n)):
        by_size.setdefault(long[name], []).append(name)
    for name in sorted(short, key=lambda n: (-short[n], n)):
        takers = by_size.get(short[name])
        if takers:
            taker = takers.pop(0)
            pairs.append(Allocation(name, taker, short[name]))
            short[name] = long[taker] = 0
    # Then largest remaining short with largest remaining long.
    while True:
        s = _largest(short)
        lg = _largest(long)
        if s is None or lg is None:
            break
        lots = min(short[s], long[lg])
        pairs.append(Allocation(s, lg, lots))
        short[s] -= lots
        long[lg] -= lots
    return pairs


def _positions(positions: Mapping[str, int], side: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, lots in positions.items():
        if isinstance(lots, bool) or not isinstance(lots, int) or lots < 0:
            raise PositionsRefused(
                f"{side} position of {name} is {lots!r}: positions are whole numbers of lots"
            )
        if lots:
            out[str(name)] = lots
    return out


def _largest(positions: Mapping[str, int]) -> str | None:
    left = [(-lots, name) for name, lots in positions.items() if lots]
    return min(left)[1] if left else None


def allocated_lots(allocations: Iterable[Allocation]) -> tuple[dict[str, int], dict[str, int]]:
    """(lots allocated per short, per long): what an allocation covers, to check it against the
    positions it came from."""
    shorts: dict[str, int] = {}
    longs: dict[str, int] = {}
    for a in allocations:
        shorts[a.short] = shorts.get(a.short, 0) + a.lots
        longs[a.long] = longs.get(a.long, 0) + a.lots
    return shorts, longs


# ---------------------------------------------------------------------- invoices and prices


def lots_of(quantity: int, lot_quantity: int) -> int:
    """Whole lots in `quantity` goods units; refused (`InvoiceRefused`) when it is not whole lots,
    as the contract refuses such a token (`DeliveryNotWholeLots`)."""
    if lot_quantity <= 0:
        raise InvoiceRefused(f"a lot of {lot_quantity} units: lots hold a positive quantity")
    if quantity <= 0 or quantity % lot_quantity:
        raise InvoiceRefused(f"{quantity:,} units are not whole lots of {lot_quantity:,}")
    return quantity // lot_quantity


def grade_price_jpy(price_jpy_per_lot: int, differential_jpy_per_lot: int = 0) -> int:
    """The price of one lot of a grade: the settlement price plus the grade's differential
    (negative for a discount); refused when it would be zero or below, as `openDelivery` refuses
    such a grade (`DeliveryDifferentialTooLow`)."""
    price = price_jpy_per_lot + differential_jpy_per_lot
    if price_jpy_per_lot <= 0 or price <= 0:
        raise InvoiceRefused(
            f"a settlement price of {price_jpy_per_lot:,} JPY per lot with a differential of "
            f"{differential_jpy_per_lot:+,} JPY leaves {price:,} JPY per lot"
        )
    return price


def invoice_jpy(lots: int, price_jpy_per_lot: int, differential_jpy_per_lot: int = 0) -> int:
    """A delivery's invoice value in yen: lots x (settlement price per lot + differential)."""
    if isinstance(lots, bool) or not isinstance(lots, int) or lots <= 0:
        raise InvoiceRefused(f"{lots!r} lots: an invoice is for a positive whole number of lots")
    return lots * grade_price_jpy(price_jpy_per_lot, differential_jpy_per_lot)


def price_per_lot(jpy_per_unit: Decimal | int | str, lot_quantity: int) -> int:
    """The settlement price of one lot in yen from a price per goods unit (rubber is quoted in
    yen per kilogram, 5,000 kg a lot: 312.3 JPY/kg is 1,561,500 JPY a lot). Refused
    (`PriceNotExact`) when the lot's price is not a whole number of yen, with the nearest prices
    per unit that are; floats are refused since they cannot say 312.3 exactly."""
    if isinstance(jpy_per_unit, (bool, float)):
        raise PriceNotExact(
            f"price {jpy_per_unit!r} is a {type(jpy_per_unit).__name__}: pass an int, a Decimal "
            "or a string"
        )
    if isinstance(lot_quantity, bool) or not isinstance(lot_quantity, int) or lot_quantity <= 0:
        raise PriceNotExact(f"a lot of {lot_quantity!r} units: lots hold a positive quantity")
    try:
        price = Decimal(jpy_per_unit)
        if not price.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise PriceNotExact(f"price {jpy_per_unit!r} is not a number") from None
    if price <= 0:
        raise PriceNotExact(f"price {jpy_per_unit} per unit must be positive")
    per_lot = price * lot_quantity
    if per_lot != per_lot.to_integral_value():
        step = Decimal(1) / lot_quantity
        below = (per_lot // 1) / lot_quantity
        raise PriceNotExact(
            f"{jpy_per_unit} JPY per unit x {lot_quantity:,} units is "
            f"{per_lot.normalize():f} JPY, not whole yen; the nearest exact prices per unit "
            f"are {below.normalize():f} and {(below + step).normalize():f}"
        )
    return int(per_lot)


# ---------------------------------------------------------------------- delivery versus payment


class Refused(Exception):
    """What the model says the contract would refuse, by the contract's error name."""

    def __init__(self, error: str) -> None:
        self.error = error
        super().__init__(error)


@dataclass(frozen=True)
class Settlement:
    """What settling (or closing) a pair moves: tokens (ids, in order) and their lots to the long,
    `amount_jpy` to the short; at a close also `returned` tokens to the short and `refund_jpy` to
    the long, and the failures reported."""

    released: tuple[int, ...] = ()
    lots: int = 0
    amount_jpy: int = 0
    returned: tuple[int, ...] = ()
    refund_jpy: int = 0
    missing_lots: int = 0
    unpaid_jpy: int = 0

    @property
    def empty(self) -> bool:
        return not (self.released or self.returned or self.refund_jpy)


@dataclass
class PairModel:
    """A pair's delivery versus payment, as the contract runs it. `tokens` are (id, lots, invoice)
    in delivery order; the first `released` are the long's. The contract holds the tokens from
    `released` on and `paid - settled` yen while the pair is open, nothing once closed."""

    short: str
    long: str
    lots: int
    tokens: list[tuple[int, int, int]] = field(default_factory=list)
    paid: int = 0
    released: int = 0
    settled: int = 0
    closed: bool = False

    @property
    def delivered_lots(self) -> int:
        return sum(lots for _, lots, _ in self.tokens)

    @property
    def invoiced(self) -> int:
        return sum(amount for _, _, amount in self.tokens)

    @property
    def held_tokens(self) -> list[int]:
        return [] if self.closed else [t for t, _, _ in self.tokens[self.released :]]

    @property
    def held_jpy(self) -> int:
        return 0 if self.closed else self.paid - self.settled

    def deliver(self, tokens: Sequence[tuple[int, int, int]]) -> None:
        """The short delivers `tokens` (id, lots, invoice); refused beyond the allocation."""
        if self.closed:
            raise Refused("DeliveryPairClosed")
        if not tokens:
            raise Refused("DeliveryNothingToDo")
        if self.delivered_lots + sum(lots for _, lots, _ in tokens) > self.lots:
            raise Refused("DeliveryExceedsAllocation")
        self.tokens.extend(tokens)

    def pay(self, amount_jpy: int) -> None:
        """The long pays; refused beyond the invoice of what has been delivered."""
        if self.closed:
            raise Refused("DeliveryPairClosed")
        if amount_jpy <= 0:
            raise Refused("DeliveryNothingToDo")
        if self.paid + amount_jpy > self.invoiced:
            raise Refused("DeliveryPaymentExceedsInvoice")
        self.paid += amount_jpy

    def releasable(self) -> Settlement:
        """What settling now would move: the run of tokens after `released` that what the long
        has paid and not yet passed on covers, and their invoice value."""
        available = self.paid - self.settled
        released: list[int] = []
        lots = amount = 0
        for token_id, token_lots, invoice in self.tokens[self.released :]:
            if invoice > available:
                break
            available -= invoice
            amount += invoice
            lots += token_lots
            released.append(token_id)
        return Settlement(tuple(released), lots, amount)

    def settle(self) -> Settlement:
        """Settle: hand the long what it has paid for, pay the short for it."""
        if self.closed:
            return Settlement()
        s = self.releasable()
        self.released += len(s.released)
        self.settled += s.amount_jpy
        return s

    def closing(self) -> Settlement:
        """What closing now would move and report (nothing changes)."""
        if self.closed:
            return Settlement()
        s = self.releasable()
        end = self.released + len(s.released)
        return Settlement(
            s.released,
            s.lots,
            s.amount_jpy,
            returned=tuple(t for t, _, _ in self.tokens[end:]),
            refund_jpy=self.paid - self.settled - s.amount_jpy,
            missing_lots=self.lots - self.delivered_lots,
            unpaid_jpy=self.invoiced - self.paid,
        )

    def close(self) -> Settlement:
        """Close: settle, then return unpaid tokens to the short and unspent yen to the long."""
        s = self.closing()
        if not self.closed:
            self.released += len(s.released)
            self.settled += s.amount_jpy
            self.closed = True
        return s

    def receivers(self, s: Settlement) -> list[tuple[str, str]]:
        """Who receives what in settlement `s`, in the order the contract checks them:
        (party, "goods" or "cash")."""
        out = []
        if s.released:
            out.append((self.long, "goods"))
        if s.amount_jpy:
            out.append((self.short, "cash"))
        if s.returned:
            out.append((self.short, "goods"))
        if s.refund_jpy:
            out.append((self.long, "cash"))
        return out


# ---------------------------------------------------------------------- what a batch did


@dataclass(frozen=True)
class PairSettled:
    """One pair's settlement in a batch: `tokens` tokens (`lots` lots) to the long against
    `amount_jpy` to the short."""

    index: int
    tokens: int
    lots: int
    amount_jpy: int


@dataclass(frozen=True)
class SettlementRun:
    """What settle or close batches did to delivery `delivery_id`, read from their events: pairs
    settled, pairs passed over (with the party that could not receive), pairs closed, and the
    failures and refunds reported at close (by pair index)."""

    delivery_id: int
    settled: tuple[PairSettled, ...] = ()
    skipped: Mapping[int, str] = field(default_factory=dict)
    closed: tuple[int, ...] = ()
    delivery_failed: Mapping[int, int] = field(default_factory=dict)  # index -> missing lots
    payment_failed: Mapping[int, int] = field(default_factory=dict)  # index -> unpaid yen
    refunded: Mapping[int, int] = field(default_factory=dict)  # index -> yen back to the long

    @property
    def settled_jpy(self) -> int:
        return sum(s.amount_jpy for s in self.settled)

    @property
    def tokens_released(self) -> int:
        return sum(s.tokens for s in self.settled)

    @classmethod
    def merged(cls, delivery_id: int, runs: Iterable[SettlementRun]) -> SettlementRun:
        """Several batches' runs as one (later batches win where a pair appears twice)."""
        done = list(runs)
        skipped: dict[int, str] = {}
        for r in done:
            skipped.update(r.skipped)
        closed = tuple(i for r in done for i in r.closed)
        for i in closed:
            skipped.pop(i, None)
        return cls(
            delivery_id,
            tuple(s for r in done for s in r.settled),
            skipped,
            closed,
            {i: v for r in done for i, v in r.delivery_failed.items()},
            {i: v for r in done for i, v in r.payment_failed.items()},
            {i: v for r in done for i, v in r.refunded.items()},
        )


@dataclass(frozen=True)
class PairReport:
    """A pair as the CCP's delivery desk reads it: parties by name, what is missing, what is
    held."""

    index: int
    short: str
    long: str
    lots: int
    delivered_lots: int
    tokens: int  # delivered in all
    released: int  # of them, handed to the long
    invoiced_jpy: int
    paid_jpy: int
    settled_jpy: int
    status: PairStatus

    @property
    def missing_lots(self) -> int:
        return self.lots - self.delivered_lots

    @property
    def unpaid_jpy(self) -> int:
        return self.invoiced_jpy - self.paid_jpy

    @property
    def held_tokens(self) -> int:
        """Tokens the settlement holds for this pair (delivered, neither released nor returned)."""
        return 0 if self.status is PairStatus.CLOSED else self.tokens - self.released

    @property
    def held_jpy(self) -> int:
        return 0 if self.status is PairStatus.CLOSED else self.paid_jpy - self.settled_jpy
