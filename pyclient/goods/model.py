"""Goods tokens as Python sees them. Mirrors `contracts/goods/IGoodsToken.sol`.

A delivery order (rubber) or a warehouse receipt (gold, platinum, silver) is one ERC-721 token
naming its warehouse, commodity, brand or grade, quantity and unit, lot or bar numbers, location
and issue date. Quantities are whole units (`kg`, `g`): the warehouse weighs in whole units.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..abi import register_enum
from ..clock import from_unix
from ..enums import ChainEnum
from ..errors import InputError
from ..units import from_bytes32, to_bytes32


class DocumentKind(ChainEnum):
    DELIVERY_ORDER = 0
    WAREHOUSE_RECEIPT = 1


class GoodsStatus(ChainEnum):
    """Where a token is in its life: Live -> Presented (the holder asks for the goods; it cannot
    move) -> Released (burnt by its warehouse); a presentation can be withdrawn or refused."""

    NONE = 0
    LIVE = 1
    PRESENTED = 2
    RELEASED = 3


register_enum("IGoodsToken.DocumentKind", DocumentKind)
register_enum("IGoodsToken.Status", GoodsStatus)


@dataclass(frozen=True)
class Goods:
    """What a token is title to. `warehouse` is an address on chain (empty before issue)."""

    commodity: str
    brand: str
    quantity: int
    unit: str
    lots: str = ""
    location: str = ""
    warehouse: str = ""
    issued_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not self.commodity:
            raise InputError("goods need a commodity (the key their price is quoted under)")
        if not self.unit or len(self.unit.encode()) > 8:
            raise InputError(f"unit {self.unit!r} must be 1-8 bytes (kg, g, lot)")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InputError(
                f"quantity must be a whole number of {self.unit}, not {self.quantity!r}"
            )
        if not 0 < self.quantity < 2**64:
            raise InputError(f"quantity {self.quantity} {self.unit} must be positive")
        to_bytes32(self.commodity, what="commodity")
        to_bytes32(self.brand, what="brand")

    def to_chain(self) -> tuple[Any, ...]:
        """The `Goods` struct as `issue` takes it (warehouse and issue date are set on chain)."""
        return (
            "0x" + "00" * 20,
            to_bytes32(self.commodity, what="commodity"),
            to_bytes32(self.brand, what="brand"),
            self.quantity,
            self.unit.encode().ljust(8, b"\0"),
            0,
            self.lots,
            self.location,
        )

    @classmethod
    def from_chain(cls, raw: tuple[Any, ...]) -> Goods:
        """What the chain holds, read as it is: data, not input, so it is not checked again (a
        token issued outside pyclient with odd words must not break every listing)."""
        warehouse, commodity, brand, quantity, unit, issued_at, lots, location = raw
        goods = object.__new__(cls)
        fields = {
            "commodity": from_bytes32(commodity),
            "brand": from_bytes32(brand),
            "quantity": int(quantity),
            "unit": bytes(unit).rstrip(b"\0").decode(errors="replace"),
            "lots": lots,
            "location": location,
            "warehouse": str(warehouse),
            "issued_at": from_unix(int(issued_at)),
        }
        for name, value in fields.items():
            object.__setattr__(goods, name, value)
        return goods

    def describe(self) -> str:
        """`5,000 kg RSS3 (RSS3), lots 101-104` as a person reads it."""
        what = (
            self.commodity
            if self.brand in ("", self.commodity)
            else f"{self.commodity} ({self.brand})"
        )
        return f"{self.quantity:,} {self.unit} {what}" + (f", {self.lots}" if self.lots else "")


@dataclass(frozen=True)
class GoodsToken:
    """One token: its id, what it is title to, where it is in its life and who holds it (empty
    once released)."""

    token_id: int
    goods: Goods
    status: GoodsStatus
    holder: str
    frozen: bool = False
