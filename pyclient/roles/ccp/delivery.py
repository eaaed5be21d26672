"""The CCP's delivery desk: physical delivery of futures on delivery day (CCP_OPERATOR_ROLE on the
delivery settlement).

    desk = ccp.delivery
    desk.open_delivery(1, goods=deployment.delivery_orders, commodity="RSS3", lot_quantity=5_000,
                       price_jpy_per_lot=price_per_lot("312.3", 5_000), grades={"RSS3": 0},
                       delivery_cutoff=..., payment_cutoff=...)
    desk.allocate(1, shorts={"member-a": 3}, longs={"member-b": 2, "client-seg": 1})
    desk.settle(1)              # every open pair, as many transactions as it takes
    desk.close(1)               # after the payment cut-off: failures reported, the rest returned
    desk.report(1)              # every pair, by name: missing lots, unpaid yen, what is held

Allocation runs `pyclient.goods.delivery.allocate` over the net positions (by name or address);
settling and closing skip a pair whose receiving party cannot receive (suspended, defaulted,
frozen) and say so in the value (`SettlementRun.skipped`), so one member never blocks the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ...contracts.base import BatchOutcome, BatchProgress, Outcome
from ...contracts.delivery import DeliverySettlementClient
from ...goods.delivery import Pair, PairReport, SettlementRun, Terms, allocate
from ..base import Actor


class DeliveryDesk(Actor):
    """Opening deliveries, allocating shorts to longs, settling and closing pairs."""

    @property
    def settlement(self) -> DeliverySettlementClient:
        return self.deployment.delivery

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
    ) -> Outcome[Terms]:
        """Open a delivery of one contract month: its goods tokens, commodity, lot size, final
        settlement price per lot, deliverable grades with their differentials (yen per lot), the
        unit lots count in (`kg`; tokens in another are refused), and the two cut-offs (each the
        last second its step is allowed). The value is the terms."""
        call = self.settlement.open_delivery(
            delivery_id,
            goods=goods,
            commodity=commodity,
            lot_quantity=lot_quantity,
            price_jpy_per_lot=price_jpy_per_lot,
            delivery_cutoff=delivery_cutoff,
            payment_cutoff=payment_cutoff,
            grades=grades,
            unit=unit,
        )
        return self.send(call)

    def allocate(
        self,
        delivery_id: int,
        *,
        shorts: Mapping[str, int],
        longs: Mapping[str, int],
        progress: BatchProgress | None = None,
    ) -> BatchOutcome[list[Pair]]:
        """Allocate the short positions to the long positions (lots by name or address; the
        method is `pyclient.goods.delivery.allocate`'s) and record the pairs, as many
        transactions as it takes; the value is the pairs recorded."""
        allocations = allocate(shorts, longs)
        calls = self.settlement.allocate_many(delivery_id, allocations)
        sent = self.send_all(calls, progress=progress)
        indexes = [i for part in sent.value for i in part]
        return BatchOutcome(sent.outcomes, self.settlement.pairs(delivery_id, indexes))

    def settle(
        self,
        delivery_id: int,
        pairs: Sequence[int] | None = None,
        *,
        progress: BatchProgress | None = None,
    ) -> BatchOutcome[SettlementRun]:
        """Settle pairs (every open pair if none are named), delivery versus payment: each long
        gets the tokens its payments cover, each short their invoice value."""
        sent = self.send_all(self.settlement.settle_many(delivery_id, pairs), progress=progress)
        return BatchOutcome(sent.outcomes, SettlementRun.merged(delivery_id, sent.value))

    def close(
        self,
        delivery_id: int,
        pairs: Sequence[int] | None = None,
        *,
        progress: BatchProgress | None = None,
    ) -> BatchOutcome[SettlementRun]:
        """After the payment cut-off, close pairs (every open pair if none are named): settle
        them, report each short's undelivered lots and each long's unpaid invoice, and hand back
        tokens not paid for and yen that bought nothing. A pair whose party cannot receive stays
        open (`SettlementRun.skipped`); close it again once it can."""
        sent = self.send_all(self.settlement.close_many(delivery_id, pairs), progress=progress)
        return BatchOutcome(sent.outcomes, SettlementRun.merged(delivery_id, sent.value))

    def pairs(self, delivery_id: int) -> list[Pair]:
        """Every pair of the delivery, as the contract keeps it."""
        return self.settlement.pairs(delivery_id)

    def report(self, delivery_id: int) -> list[PairReport]:
        """Every pair of the delivery with its parties by name: what is missing, what is held."""
        pairs = self.settlement.pairs(delivery_id)
        tokens = self.settlement.tokens_of_many(delivery_id, [p.index for p in pairs])
        name = self.deployment.name
        return [
            PairReport(
                p.index,
                name(p.short),
                name(p.long),
                p.lots,
                p.delivered_lots,
                len(tokens[p.index]),
                p.released,
                p.invoiced,
                p.paid,
                p.settled,
                p.status,
            )
            for p in pairs
        ]
