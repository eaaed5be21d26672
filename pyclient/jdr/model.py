"""A JDR trust as Python sees it, mirroring `contracts/jdr/IJdrTrust.sol`, and its arithmetic.

A JDR (有価証券信託受益証券) is a beneficial interest in a trust whose only asset is one foreign ETF
(docs/domain.md §10). The trust deed fixes the ETF, the trust bank, the settlor and the ratio
(JDR units per ETF unit, an exact fraction); the trust creates JDRs against ETF units, cancels them
for ETF units, passes distributions on in JPY, and pays cash on termination. The functions here
recompute, to the unit and the yen, what the contract computes: the ratio conversions and the
nearest exact amounts, a distribution's conversion and each holder's share, the daily disclosure.
They take smallest units and return smallest units.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..abi import register_enum
from ..clock import from_unix
from ..enums import ChainEnum
from ..errors import RatioRefused

BPS = 10_000
ONE = 10**18
RECORD_NOTICE = dt.timedelta(days=14)


class CancelPolicy(ChainEnum):
    """Who may cancel in kind: nobody, holders the trust bank confirmed, any holder."""

    NONE = 0
    ELIGIBLE_HOLDERS = 1
    ANY_HOLDER = 2


class Operation(ChainEnum):
    """What the trust bank may suspend."""

    CREATION = 0
    CANCELLATION = 1
    BUYBACK = 2


class Trigger(ChainEnum):
    """Why a trust ended (trust deed #31, abridged)."""

    ETF_REDEEMED = 0
    ETF_DELISTED = 1
    JDR_DELISTED = 2
    TRUSTEE_GONE = 3
    NET_ASSETS_TOO_LOW = 4
    LAW_OR_REGULATION = 5
    OTHER = 6


class RequestStatus(ChainEnum):
    NONE = 0
    PENDING = 1
    DONE = 2
    REFUSED = 3
    WITHDRAWN = 4


register_enum("IJdrTrust.CancelPolicy", CancelPolicy)
register_enum("IJdrTrust.Operation", Operation)
register_enum("IJdrTrust.Trigger", Trigger)
register_enum("IJdrTrust.RequestStatus", RequestStatus)


# ---------------------------------------------------------------------- the ratio


def ratio_of(value: Fraction | int | str) -> Fraction:
    """A ratio (JDR units per ETF unit) as an exact fraction: `10`, `"1/4"`, `Fraction(5, 2)`.
    Floats are refused: 0.1 is not exact."""
    if isinstance(value, (float, bool)):
        raise RatioRefused(f"ratio {value!r}: give an int, a Fraction or a string like '5/2'")
    try:
        ratio = Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise RatioRefused(f"ratio {value!r} is not a fraction") from exc
    if ratio <= 0 or ratio.numerator >= 2**64 or ratio.denominator >= 2**64:
        raise RatioRefused(f"ratio {ratio} must be positive with terms under 2^64")
    return ratio


def jdr_for(underlying_units: int, ratio: Fraction) -> int | None:
    """JDR units created from `underlying_units` ETF units, or None when not exact."""
    value = underlying_units * ratio
    return int(value) if value.denominator == 1 else None


def underlying_for(jdr_units: int, ratio: Fraction) -> int | None:
    """ETF units released by cancelling `jdr_units`, or None when not exact."""
    value = jdr_units / ratio
    return int(value) if value.denominator == 1 else None


def nearest_exact(amount: int, step: int) -> tuple[int, int]:
    """The nearest exact amounts below and above `amount`, multiples of `step` (the contract's
    `JdrAmountNotExact(requested, below, above)`)."""
    below = amount // step * step
    return below, below + step


def creation_step(ratio: Fraction) -> int:
    """ETF units come in multiples of this for a creation to be exact."""
    return ratio.denominator


def cancellation_step(ratio: Fraction) -> int:
    """JDR units come in multiples of this for a cancellation to be exact."""
    return ratio.numerator


# ---------------------------------------------------------------------- distributions


@dataclass(frozen=True)
class DistributionFigures:
    """A distribution's conversion: gross JPY at the FX rate (down), the fee (down), the net."""

    gross_jpy: int
    fee_jpy: int
    net_jpy: int


def distribution_figures(
    foreign_units: int, fx_e18: int, *, fee_bps: int, foreign_decimals: int, cash_decimals: int = 0
) -> DistributionFigures:
    """What the contract computes when a distribution is declared (all smallest units)."""
    gross = foreign_units * 10**cash_decimals * fx_e18 // (10**foreign_decimals * ONE)
    fee = gross * fee_bps // BPS
    return DistributionFigures(gross, fee, gross - fee)


def share(net: int, units: int, units_of_record: int) -> int:
    """A holder's share of `net`: pro rata to its units at the record time, rounded down."""
    return net * units // units_of_record


# ---------------------------------------------------------------------- disclosure


@dataclass(frozen=True)
class NavFigures:
    """The daily disclosure's figures: total NAV (yen, down) and NAV per JDR unit (yen, 18
    decimals, down), from the ETF units held, the ETF's NAV per unit and the FX rate."""

    nav_total_jpy: int
    nav_per_unit_e18: int


def nav_figures(
    held_units: int, nav_per_underlying_e18: int, fx_e18: int, units_outstanding: int, *,
    underlying_decimals: int = 0,
) -> NavFigures:  # fmt: skip
    nav_e18 = held_units * nav_per_underlying_e18 // 10**underlying_decimals
    nav_jpy_e18 = nav_e18 * fx_e18 // ONE
    return NavFigures(nav_jpy_e18 // ONE, nav_jpy_e18 // units_outstanding)


# ---------------------------------------------------------------------- what the chain returns


@dataclass(frozen=True)
class TrustDeed:
    underlying: str
    cash: str
    foreign_cash: str
    trust_bank: str
    settlor: str
    ratio: Fraction
    trust_fee_bps: int
    cancel_policy: CancelPolicy
    creation_cap: int
    buyback_minimum: int
    listing_date: dt.datetime

    @classmethod
    def from_chain(cls, raw: tuple[Any, ...]) -> TrustDeed:
        (underlying, cash, foreign, bank, settlor, num, den, fee, policy, cap, minimum,
         listing) = raw  # fmt: skip
        return cls(
            underlying, cash, foreign, bank, settlor, Fraction(int(num), int(den)), int(fee),
            CancelPolicy(policy), int(cap), int(minimum), from_unix(int(listing)),
        )  # fmt: skip


@dataclass(frozen=True)
class Creation:
    id: int
    requester: str
    recipient: str
    underlying_units: int
    jdr_units: int
    status: RequestStatus

    @classmethod
    def from_chain(cls, id_: int, raw: tuple[Any, ...]) -> Creation:
        requester, recipient, underlying, jdr, status = raw
        return cls(id_, requester, recipient, int(underlying), int(jdr), RequestStatus(status))


@dataclass(frozen=True)
class Distribution:
    """A distribution: its record time, and once declared, the conversion and what is paid."""

    id: int
    record_time: dt.datetime
    declared: bool
    foreign_amount: int
    fx_e18: int
    gross_jpy: int
    fee_jpy: int
    net_jpy: int
    units_of_record: int
    paid_jpy: int
    units_claimed: int

    @classmethod
    def from_chain(cls, id_: int, raw: tuple[Any, ...]) -> Distribution:
        record, declared, *rest = raw
        return cls(id_, from_unix(int(record)), bool(declared), *(int(v) for v in rest))


@dataclass(frozen=True)
class Buyback:
    id: int
    holder: str
    units: int
    price_jpy: int
    status: RequestStatus

    @classmethod
    def from_chain(cls, id_: int, raw: tuple[Any, ...]) -> Buyback:
        holder, units, price, status = raw
        return cls(id_, holder, int(units), int(price), RequestStatus(status))


@dataclass(frozen=True)
class Termination:
    terminated_at: dt.datetime | None
    trigger: Trigger
    liquidated: bool
    units_outstanding: int
    underlying_held: int
    proceeds_jpy: int
    paid_jpy: int
    units_claimed: int

    @classmethod
    def from_chain(cls, raw: tuple[Any, ...]) -> Termination:
        at, trigger, liquidated, *rest = raw
        when = from_unix(int(at)) if int(at) else None
        return cls(when, Trigger(trigger), bool(liquidated), *(int(v) for v in rest))

    @property
    def terminated(self) -> bool:
        return self.terminated_at is not None


@dataclass(frozen=True)
class Disclosure:
    as_of: dt.datetime | None
    nav_per_underlying_e18: int
    fx_e18: int
    nav_total_jpy: int
    nav_per_unit_e18: int
    units_outstanding: int
    underlying_held: int

    @classmethod
    def from_chain(cls, raw: tuple[Any, ...]) -> Disclosure:
        as_of, *rest = raw
        return cls(from_unix(int(as_of)) if int(as_of) else None, *(int(v) for v in rest))
