"""Conversions between business values and what the contracts store.

Money and quantities are `Decimal` in whole units (or `int`) at the edge and integers in the
asset's smallest unit on chain; floats are refused because they cannot say 0.1 exactly. Short
texts (names, reasons, references) travel as `bytes32`.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation
from typing import Any

from .errors import InputError, InvalidAmount

Amount = int | Decimal | str

# uint256 has 78 digits; the default decimal context (28) would silently round large amounts.
_EXACT = Context(prec=100)
UINT256_LIMIT = 2**256


def to_units(amount: Any, decimals: int, *, what: str = "amount", allow_zero: bool = False) -> int:
    """`amount` in whole units as an integer of smallest units, refusing anything inexact."""
    if isinstance(amount, (bool, float)):
        raise InvalidAmount(
            f"{what} {amount!r} is a {type(amount).__name__}: pass an int, a Decimal or a string"
        )
    try:
        value = Decimal(amount) if isinstance(amount, str | int) else amount
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidAmount(f"{what} {amount!r} is not a number") from None
    if value < 0:
        raise InvalidAmount(f"{what} {amount} is negative")
    if value == 0 and not allow_zero:
        raise InvalidAmount(f"{what} must be greater than zero")
    scaled = value.scaleb(decimals, context=_EXACT)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{what} {amount} has more than {decimals} decimal places")
    if scaled >= UINT256_LIMIT:
        raise InvalidAmount(f"{what} {amount} is more than any amount on chain (2^256 units)")
    return int(scaled)


def from_units(units: int, decimals: int) -> Decimal:
    """Smallest units back to a `Decimal` of whole units, exactly."""
    return Decimal(units).scaleb(-decimals, context=_EXACT)


def format_amount(units: int, decimals: int, symbol: str | None = None) -> str:
    """`1,234.50 USD` style text for tables and messages."""
    text = f"{from_units(units, decimals):,.{decimals}f}"
    return f"{text} {symbol}" if symbol else text


def to_bytes32(text: str, *, what: str = "text", allow_empty: bool = True) -> bytes:
    """A short UTF-8 text as a right-padded bytes32."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be a string, not {type(text).__name__}")
    raw = text.encode()
    if len(raw) > 32:
        raise InputError(f"{what} {text!r} is {len(raw)} bytes; at most 32 fit on chain")
    if not raw and not allow_empty:
        raise InputError(f"{what} must not be empty")
    return raw.ljust(32, b"\0")


def from_bytes32(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode(errors="replace")


def isin_is_valid(isin: str) -> bool:
    """ISO 6166: two letters, nine alphanumerics, and a Luhn check digit over all of them."""
    if len(isin) != 12 or not isin[:2].isalpha() or not isin.isalnum() or not isin[-1].isdigit():
        return False
    digits = "".join(str(int(c, 36)) for c in isin.upper())
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
