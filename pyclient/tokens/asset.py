"""Assets as Python sees them: what a permissioned token represents and how its amounts read.

Mirrors `contracts/tokens/IPermissionedToken.sol`. Every asset (JPY and USD deposits, JGBs,
equities, foreign-ETF units) is one deployment of the same token contract, described by an
`AssetSpec` at deployment and by an `Asset` afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..abi import register_enum
from ..enums import ChainEnum
from ..errors import InputError
from ..units import Amount, format_amount, from_units, isin_is_valid, to_units


class AssetClass(ChainEnum):
    CASH = 0
    BOND = 1
    EQUITY = 2
    ETF_UNIT = 3
    JDR = 4
    COMMODITY = 5


register_enum("IPermissionedToken.AssetClass", AssetClass)


@dataclass(frozen=True)
class AssetSpec:
    """What to deploy: one permissioned token instance.

    `decimals` fits the asset (JPY has no minor unit, USD has cents, securities count whole units);
    `face_unit` is the face value of one whole token in the smallest unit of `currency`.
    """

    symbol: str
    name: str
    decimals: int
    asset_class: AssetClass
    currency: str
    isin: str | None = None
    maturity: dt.date | None = None
    face_unit: int = 0
    # Warehouse receipts of this commodity, pooled: the asset's units are the goods' units (grams)
    # and only pledges of receipts mint them (a GoodsPool, not a plain token).
    pool_commodity: str | None = None
    pool_unit: str = "g"  # the unit of goods one pool unit is; receipts in another are refused

    def __post_init__(self) -> None:
        if not self.symbol or len(self.symbol) > 16 or not self.symbol.replace("-", "").isalnum():
            raise InputError(f"asset symbol {self.symbol!r} must be 1-16 letters, digits or dashes")
        if not 0 <= self.decimals <= 18:
            raise InputError(f"{self.symbol}: decimals {self.decimals} outside 0..18")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise InputError(f"{self.symbol}: currency {self.currency!r} is not an ISO 4217 code")
        if self.isin is not None and not isin_is_valid(self.isin):
            raise InputError(f"{self.symbol}: ISIN {self.isin!r} fails the ISO 6166 check digit")
        if self.asset_class is AssetClass.BOND and (self.maturity is None or self.face_unit <= 0):
            raise InputError(f"{self.symbol}: a bond needs a maturity and a face unit")
        if self.pool_commodity is not None and self.asset_class is not AssetClass.COMMODITY:
            raise InputError(f"{self.symbol}: pooled receipts are a commodity asset")
        if self.pool_commodity is not None and self.decimals != 0:
            raise InputError(f"{self.symbol}: a pool unit is one unit of goods: decimals must be 0")
        if self.face_unit < 0:
            raise InputError(f"{self.symbol}: face unit {self.face_unit} is negative")

    def constructor_info(self) -> tuple[Any, ...]:
        """The `AssetInfo` struct as the token constructor takes it."""
        maturity = 0
        if self.maturity is not None:
            maturity = int(dt.datetime.combine(self.maturity, dt.time(), dt.UTC).timestamp())
        return (
            int(self.asset_class),
            self.currency.encode(),
            (self.isin or "").encode().ljust(12, b"\0"),
            maturity,
            self.face_unit,
        )

    def to_manifest(self) -> dict[str, Any]:
        """The spec as a deployment manifest records it."""
        return {
            "name": self.name,
            "decimals": self.decimals,
            "assetClass": self.asset_class.name,
            "currency": self.currency,
            "isin": self.isin,
            "maturity": self.maturity.isoformat() if self.maturity else None,
            "faceUnit": self.face_unit,
            "poolCommodity": self.pool_commodity,
            "poolUnit": self.pool_unit,
        }

    @classmethod
    def from_manifest(cls, symbol: str, data: dict[str, Any]) -> AssetSpec:
        return cls(
            symbol=symbol,
            name=data["name"],
            decimals=data["decimals"],
            asset_class=AssetClass[data["assetClass"]],
            currency=data["currency"],
            isin=data["isin"],
            maturity=dt.date.fromisoformat(data["maturity"]) if data["maturity"] else None,
            face_unit=data["faceUnit"],
            pool_commodity=data.get("poolCommodity"),
            pool_unit=data.get("poolUnit", "g"),
        )


@dataclass(frozen=True)
class Asset:
    """A deployed asset: its spec and its address, with amount conversions."""

    address: str
    spec: AssetSpec

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def decimals(self) -> int:
        return self.spec.decimals

    def units(self, amount: Amount, *, what: str = "amount", allow_zero: bool = False) -> int:
        """`amount` in whole units as smallest units; refuses floats, negatives, excess decimals."""
        return to_units(amount, self.decimals, what=f"{self.symbol} {what}", allow_zero=allow_zero)

    def whole(self, units: int) -> Decimal:
        return from_units(units, self.decimals)

    def format(self, units: int) -> str:
        return format_amount(units, self.decimals, self.symbol)


# The pilot's assets: cash in both currencies, a JGB, two Japanese equities, a foreign ETF, two
# domestic ETFs (one created in kind from the equities, one for cash), and gold
# warehouse receipts pooled as collateral (in grams, priced per gram).
DEFAULT_ASSETS: tuple[AssetSpec, ...] = (
    AssetSpec("JPY", "JPY deposit token", 0, AssetClass.CASH, "JPY"),
    AssetSpec("USD", "USD deposit token", 2, AssetClass.CASH, "USD"),
    AssetSpec(
        "JGB374",
        "JGB 10-year #374",
        0,
        AssetClass.BOND,
        "JPY",
        isin="JP1103741003",
        maturity=dt.date(2034, 3, 20),
        face_unit=50_000,
    ),
    AssetSpec("TYO7203", "Toyota Motor shares", 0, AssetClass.EQUITY, "JPY", isin="JP3633400001"),
    AssetSpec("SPY", "SPDR S&P 500 ETF units", 0, AssetClass.ETF_UNIT, "USD", isin="US78462F1030"),
    AssetSpec("TYO6758", "Sony Group shares", 0, AssetClass.EQUITY, "JPY", isin="JP3435000009"),
    AssetSpec("ETF1306", "TOPIX ETF units (in kind)", 0, AssetClass.ETF_UNIT, "JPY"),
    AssetSpec("ETF2558", "S&P 500 ETF units (cash type)", 0, AssetClass.ETF_UNIT, "JPY"),
    AssetSpec(
        "GOLD", "Gold warehouse receipts (grams)", 0, AssetClass.COMMODITY, "JPY",
        pool_commodity="GOLD",
    ),
)  # fmt: skip
