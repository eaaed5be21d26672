"""Collateral valuation in Python, to the yen the contracts compute it.

Mirrors `contracts/collateral/Valuation.sol` and the vault's account valuation step for step, with
the same integer arithmetic and the same roundings (values down, quantities needed up: always the
CCP's way), so that

* the CCP can check the chain's figures independently (`pyclient.reconcile` does);
* a participant can size a deposit before sending it (`quantity_for`, in round lots);
* reports can show market value before haircut next to the value that counts.

Quantities are in the asset's smallest units, values in whole JPY, quotes as `IMarketData.quote`
returns them (`pyclient.oracle.Quote`). A test holds `account_value` against the chain's
`collateralValue` on random holdings and quotes.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

from .errors import InputError
from .oracle.market_data import BPS, Purpose, Quote

ONE = 10**18
K = TypeVar("K", bound=Hashable)


def _mul_div(a: int, b: int, denominator: int, *, ceil: bool = False) -> int:
    """a x b / denominator in exact integers, like OpenZeppelin's `Math.mulDiv`."""
    quotient, remainder = divmod(a * b, denominator)
    return quotient + (1 if ceil and remainder else 0)


def market_value(quantity: int, q: Quote) -> int:
    """JPY value of `quantity` smallest units before haircut, rounded down."""
    currency_e18 = _mul_div(quantity, q.price_e18, 10**q.decimals)
    return _mul_div(currency_e18, q.fx_e18, ONE * ONE)


def haircut_value(quantity: int, q: Quote) -> int:
    """JPY value (whole yen, rounded down) of `quantity` smallest units after haircut:
    quantity / 10^decimals x price x FX x (1 - haircut), as `Valuation.haircutValue`."""
    currency_e18 = _mul_div(quantity, q.price_e18, 10**q.decimals)
    jpy_e18 = _mul_div(currency_e18, q.fx_e18, ONE)
    return _mul_div(jpy_e18, BPS - q.haircut_bps, BPS * ONE)


def quantity_for(value_jpy: int, q: Quote, *, lot: int = 1) -> int:
    """The smallest quantity (a multiple of `lot` smallest units) whose haircut value is at least
    `value_jpy`, as `Valuation.quantityFor` (which has no lots)."""
    if isinstance(lot, bool) or not isinstance(lot, int) or lot <= 0:
        raise InputError(f"lot {lot!r} must be a positive number of smallest units")
    if value_jpy <= 0:
        return 0
    # Each rounding down in haircut_value undone by a ceiling, in reverse order (as the contract).
    jpy_e18 = _mul_div(value_jpy, BPS * ONE, BPS - q.haircut_bps, ceil=True)
    currency_e18 = _mul_div(jpy_e18, ONE, q.fx_e18, ceil=True)
    quantity = _mul_div(currency_e18, 10**q.decimals, q.price_e18, ceil=True)
    return -(-quantity // lot) * lot


def concentration_capped(
    values: Sequence[int], limits_bps: Sequence[int], requirement_jpy: int
) -> int:
    """Sum of `values`, each counted only up to its limit of the requirement, as
    `Valuation.concentrationCapped`: an asset with a limit below 100% meets at most
    `limit x requirement` (rounded down), so an account with no requirement counts only unlimited
    assets. This is CME Clearing's rule (Advisory 12-155: at most 40% of the core requirement from
    each of its category-2 and category-3 asset groups); see docs/domain.md §4."""
    if len(values) != len(limits_bps):
        raise InputError(f"{len(values)} values but {len(limits_bps)} limits")
    return sum(
        v if limit >= BPS else min(v, _mul_div(requirement_jpy, limit, BPS))
        for v, limit in zip(values, limits_bps, strict=True)
    )


def concentration_cap(limit_bps: int, requirement_jpy: int) -> int | None:
    """The most an asset with `limit_bps` may count for against `requirement_jpy` (None: none)."""
    return None if limit_bps >= BPS else _mul_div(requirement_jpy, limit_bps, BPS)


def account_value(
    holdings: Mapping[K, int],
    quotes: Mapping[K, Quote],
    purpose: Purpose,
    requirement_jpy: int,
) -> int:
    """Collateral value of an account holding `holdings` (asset -> smallest units), in JPY, against
    its requirement `requirement_jpy` (concentration limits are shares of it).

    As the vault: an asset held at zero is not priced (a stale price there blocks nothing);
    collateral no longer eligible for `purpose` counts for nothing; then concentration limits.
    `quotes` needs an entry for every asset held.
    """
    values, limits = [], []
    for asset, quantity in holdings.items():
        if quantity == 0:
            values.append(0)
            limits.append(BPS)
            continue
        q = quotes[asset]
        values.append(haircut_value(quantity, q) if q.eligible_for(purpose) else 0)
        limits.append(q.concentration_bps)
    return concentration_capped(values, limits, requirement_jpy)
