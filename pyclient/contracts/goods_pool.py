"""A goods pool's client: warehouse receipts of one commodity in, fungible units out, and back.

A `GoodsPool` is a permissioned token (so `GoodsPoolClient` is a `TokenClient`: balances, transfers,
freezes) whose units are minted only when a holder pledges a warehouse receipt of the pool's
commodity, one per unit of goods (a gram of gold), and burnt only when a holder redeems one. The
vault takes the units like any other asset; `pyclient.roles.receipts` turns receipts into margin
and back. Quantities come out in the pool asset's whole units (grams, for gold).

The pool's receipts are read through the warehouse-receipts token the pool names (`receipts`), so
the client works whatever the deployment calls that token.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..errors import InputError
from ..goods.model import Goods
from ..tokens.asset import Asset
from ..units import from_bytes32
from .base import Call, Outcome
from .goods import GoodsTokenClient
from .token import TokenClient


class GoodsPoolClient(TokenClient):
    artifact = "GoodsPool"
    prefix = "goodsPool"

    def __init__(self, suite: Any, contract: Any, asset: Asset) -> None:
        super().__init__(suite, contract, asset)
        self._receipts: GoodsTokenClient | None = None

    # ------------------------------------------------------------------ reads

    def commodity(self) -> str:
        """The commodity this pool takes (`"GOLD"`), as receipts name it."""
        return from_bytes32(self._read(self.contract.functions.commodity()))

    def receipts_address(self) -> str:
        """The warehouse-receipts token this pool takes receipts of."""
        return str(self._read(self.contract.functions.receipts()))

    @property
    def receipts(self) -> GoodsTokenClient:
        """The warehouse-receipts token this pool takes (the deployment's own client of it when
        it has one, else one made for the address the pool names)."""
        if self._receipts is None:
            address = self.receipts_address()
            own = getattr(self.suite, "parts", {}).get("warehouse_receipts")
            if isinstance(own, GoodsTokenClient) and own.address == address:
                self._receipts = own
            else:
                contract = self.suite.chain.contract(GoodsTokenClient.artifact, address)
                self._receipts = GoodsTokenClient(self.suite, contract, "warehouse receipts")
        return self._receipts

    def held_quantity(self) -> Decimal:
        """Goods behind the units: the sum of the quantities of the receipts held (whole units)."""
        return self.asset.whole(int(self._read(self.contract.functions.heldQuantity())))

    def held_count(self) -> int:
        return int(self._read(self.contract.functions.heldCount()))

    def held_receipts(self) -> list[int]:
        """Ids of the receipts in the pool (in the pool's order, which redemptions reshuffle)."""
        count = self.held_count()
        fns = [self.contract.functions.heldAt(i) for i in range(count)]
        return [int(t) for t in self._read_many(fns)] if fns else []

    def holds(self, token_id: int) -> bool:
        """Whether receipt `token_id` is in the pool (pledged and not redeemed)."""
        _check_id(token_id)
        return token_id in self.held_receipts()

    def invariant(self) -> tuple[int, int, bool]:
        """(units outstanding, goods held, whether they are equal), in smallest units: what anyone
        can check of a pool at any time."""
        fns = [self.contract.functions.totalSupply(), self.contract.functions.heldQuantity()]
        supply, held = (int(v) for v in self._read_many(fns))
        return supply, held, supply == held

    def receipt_quantity(self, token_id: int) -> Decimal:
        """How many units receipt `token_id` is worth in this pool (its quantity of goods)."""
        return self.asset.whole(self.receipt_goods(token_id).quantity)

    def receipt_goods(self, token_id: int) -> Goods:
        """What receipt `token_id` is title to; `GoodsUnknownToken` for an id never issued."""
        _check_id(token_id)
        return self.receipts.goods(token_id)

    # ------------------------------------------------------------------ holders

    def approve_receipt(self, token_id: int) -> Call[None]:
        """Let the pool take receipt `token_id` from its holder (the holder sends it)."""
        return self.receipts.approve(self.address, token_id)

    def pledge(self, token_id: int) -> Call[Decimal]:
        """Move receipt `token_id` from the sender into the pool for its quantity of units; the
        value is that quantity. Refused when the receipt is of another commodity, its warehouse is
        not active, or the receipts' rules refuse the move (not the sender's, not approved,
        presented, frozen, paused)."""
        _check_id(token_id)
        fn = self.contract.functions.pledge(token_id)
        return self._call(fn, "pledge", asset=self.asset, result=self._quantity("ReceiptPledged"))

    def redeem(self, token_id: int) -> Call[Decimal]:
        """Return receipt `token_id`'s quantity of the sender's units and take the receipt; the
        value is that quantity. Any receipt in the pool: units are a claim on goods of the
        commodity, not on one bar."""
        _check_id(token_id)
        fn = self.contract.functions.redeem(token_id)
        return self._call(fn, "redeem", asset=self.asset, result=self._quantity("ReceiptRedeemed"))

    def _quantity(self, event: str) -> Any:
        def result(outcome: Outcome[None]) -> Decimal:
            (ev,) = [e for e in outcome.named(event) if e.address == self.address]
            return self.asset.whole(int(ev["quantity"]))

        return result


def _check_id(token_id: int) -> None:
    if isinstance(token_id, bool) or not isinstance(token_id, int) or token_id <= 0:
        raise InputError(f"receipt id {token_id!r} must be a positive whole number")
