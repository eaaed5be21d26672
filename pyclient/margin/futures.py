"""Futures contracts' terms: prices in points, contracts in yen.

An exchange quotes a futures price in points (index points, or per 100 of face for a bond
future); one contract is worth the price times the contract's multiplier, in JPY, and prices move
in ticks. The margin engine (`pyclient.margin.risk`) works in JPY per contract: `jpy` converts a
price, `quantize` rounds a computed one (a close moved by a shock, say) to a tick as the exchange
would, and `format` writes one as the exchange does. Pure `Decimal` arithmetic, no chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from .risk import InvalidRiskParameter, _decimal

__all__ = ["FuturesContract"]


@dataclass(frozen=True)
class FuturesContract:
    """A listed futures contract: `code` as positions name it, `multiplier` JPY per point, and
    `tick`, the smallest step of its price in points."""

    code: str
    name: str
    multiplier: int
    tick: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise InvalidRiskParameter(f"a futures contract needs a code, not {self.code!r}")
        if isinstance(self.multiplier, bool) or not isinstance(self.multiplier, int):
            raise InvalidRiskParameter(f"{self.code}: multiplier {self.multiplier!r} is not an int")
        if self.multiplier <= 0:
            raise InvalidRiskParameter(f"{self.code}: multiplier {self.multiplier} is not positive")
        tick = _decimal(self.tick, f"tick of {self.code}")
        if tick <= 0:
            raise InvalidRiskParameter(f"{self.code}: tick {tick} is not positive")
        object.__setattr__(self, "tick", tick)

    def quantize(self, points: Any) -> Decimal:
        """`points` on the nearest tick (a half tick to the even one)."""
        value = _decimal(points, f"price of {self.code}")
        return (value / self.tick).quantize(Decimal(1), ROUND_HALF_EVEN) * self.tick

    def jpy(self, points: Any) -> Decimal:
        """What one contract is worth at `points`, in JPY (the engine's prices)."""
        return _decimal(points, f"price of {self.code}") * self.multiplier

    def format(self, points: Any) -> str:
        """`points` with thousands separators and as many decimals as the tick: `40,680`,
        `134.07`."""
        places = max(0, -int(self.tick.as_tuple().exponent))
        return f"{_decimal(points, f'price of {self.code}'):,.{places}f}"
