"""The warehouse: issues delivery orders and warehouse receipts for goods it stores, and releases
the goods against them.

    warehouse = Warehouse(deployment, key)
    rubber = Goods("RSS3", "RSS3", 5_000, "kg", lots="lot 101")
    order = warehouse.issue_delivery_order("member-a", rubber)
    gold = Goods("GOLD", "TANAKA 999.9", 1_000, "g", lots="bar 7731")
    receipt = warehouse.issue_receipt("member-b", gold)
    warehouse.release(DocumentKind.WAREHOUSE_RECEIPT, receipt.value)  # once it was presented

A warehouse must be admitted to the register as `Kind.WAREHOUSE` and active; only the warehouse
that issued a token releases or refuses it. Token ids count from 1 in each kind of document, so
a token is named by its kind and its id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..contracts.base import BatchOutcome, BatchProgress, Outcome
from ..contracts.goods import GoodsTokenClient
from ..goods.model import DocumentKind, Goods, GoodsToken
from .base import Role


class Warehouse(Role):
    """A registered warehouse: the only issuer of goods tokens, and the one that releases them."""

    def _documents(self, kind: DocumentKind) -> GoodsTokenClient:
        return self.deployment.goods_documents(kind)

    def issue_delivery_order(self, to: Any, goods: Goods) -> Outcome[int]:
        """Issue a delivery order (荷渡指図書) to `to`; the value is its token id."""
        return self.send(self._documents(DocumentKind.DELIVERY_ORDER).issue(to, goods))

    def issue_receipt(self, to: Any, goods: Goods) -> Outcome[int]:
        """Issue a warehouse receipt (倉荷証券) to `to`; the value is its token id."""
        return self.send(self._documents(DocumentKind.WAREHOUSE_RECEIPT).issue(to, goods))

    def issue_many(
        self,
        kind: DocumentKind,
        entries: Iterable[tuple[Any, Goods]],
        *,
        progress: BatchProgress | None = None,
    ) -> BatchOutcome[list[int]]:
        """Issue many tokens, `(holder, goods)` each, pipelined; the value lists their ids."""
        return self.send_all(self._documents(kind).issue_many(entries), progress=progress)

    def release(self, kind: DocumentKind, token_id: int, *, ref: str = "") -> Outcome[None]:
        """Hand the goods of a presented token to its holder and burn the token, for good."""
        return self.send(self._documents(kind).release(token_id, ref=ref))

    def refuse(self, kind: DocumentKind, token_id: int, *, reason: str) -> Outcome[None]:
        """Refuse a presentation (the goods cannot go out as asked): the token is live again."""
        return self.send(self._documents(kind).refuse(token_id, reason=reason))

    def outstanding(
        self, kind: DocumentKind | None = None
    ) -> list[tuple[DocumentKind, GoodsToken]]:
        """The tokens this warehouse issued and has not released, delivery orders first."""
        kinds = [kind] if kind is not None else list(DocumentKind)
        return [(k, t) for k in kinds for t in self._documents(k).outstanding(self.address)]
