"""Market data as Python sees it: purposes, risk parameters, quotes and fixed-point conversions.

Mirrors the types of `contracts/oracle/IMarketData.sol`; the contract's client is
`pyclient.contracts.market_data`. Prices are `Decimal` of the asset's currency per whole
token, FX rates `Decimal` JPY per currency unit; on chain both are 18-decimal fixed point.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..abi import register_enum
from ..enums import ChainEnum
from ..errors import InputError
from ..units import from_units, to_units

PRICE_DECIMALS = 18
BPS = 10_000


class Purpose(ChainEnum):
    INITIAL_MARGIN = 0
    CLEARING_FUND = 1


register_enum("IMarketData.Purpose", Purpose)


@dataclass(frozen=True)
class RiskParameters:
    """Haircut and concentration limit, both in basis points (1/100 of a percent), and the
    purposes an asset serves.

    `RiskParameters(haircut_bps=100)` is a 1% haircut (100 bps, not 100%: the first argument is
    `haircut_bps`, so `RiskParameters(100)` is the same); `concentration_bps=4_000` lets the
    asset meet at most 40% of an account's requirement (10,000, the default: no limit)."""

    haircut_bps: int
    concentration_bps: int = BPS
    eligible_for: frozenset[Purpose] = frozenset({Purpose.INITIAL_MARGIN, Purpose.CLEARING_FUND})

    def __post_init__(self) -> None:
        if not isinstance(self.haircut_bps, int) or not 0 <= self.haircut_bps < BPS:
            raise InputError(f"haircut {self.haircut_bps!r} bps must be an int in 0..9999")
        if not isinstance(self.concentration_bps, int) or not 0 < self.concentration_bps <= BPS:
            raise InputError(f"concentration limit {self.concentration_bps!r} bps must be 1..10000")

    def to_chain(self) -> tuple[int, int, int]:
        mask = sum(1 << int(p) for p in self.eligible_for)
        return (self.haircut_bps, self.concentration_bps, mask)

    @classmethod
    def from_chain(cls, raw: tuple[Any, ...]) -> RiskParameters:
        haircut, concentration, mask = raw
        purposes = frozenset(p for p in Purpose if mask & (1 << int(p)))
        return cls(haircut, concentration, purposes)


@dataclass(frozen=True)
class Quote:
    """What the vault values an asset with, as `IMarketData.quote` returns it.

    `price_e18` is the asset's currency per whole token and `fx_e18` JPY per currency unit, both
    18-decimal fixed point; `eligibility` is a bit mask of `Purpose`s.
    """

    price_e18: int
    fx_e18: int
    haircut_bps: int
    concentration_bps: int
    decimals: int
    eligibility: int

    def eligible_for(self, purpose: Purpose) -> bool:
        return bool(self.eligibility & (1 << int(purpose)))

    @classmethod
    def from_chain(cls, raw: tuple[Any, ...]) -> Quote:
        return cls(*(int(x) for x in raw))


def price_to_chain(price: Any, *, what: str = "price") -> int:
    """A positive `Decimal` price or rate as 18-decimal fixed point (floats refused)."""
    return to_units(price, PRICE_DECIMALS, what=what)


def price_from_chain(value: int) -> Decimal:
    return from_units(value, PRICE_DECIMALS)
