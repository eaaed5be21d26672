"""Initial margin: the CCP's risk arithmetic, off chain.

Domain rules (domain.md §6): initial margin = mark-to-market loss + estimated loss + an add-on
for members whose net capital is under JPY 2bn, floored at 0. The clearing fund (sized on
stress losses, shared in proportion to margin with a JPY 10m minimum) is in
`pyclient.margin.clearing_fund`; `clearing_fund_shares` here is kept for old callers. The
engine that issues calls on chain feeds positions and prices in here and sends the resulting
whole-yen figures out; nothing in this module touches the chain.

Money is `Decimal` JPY (or `int`); floats are refused because they cannot say 0.1 exactly.
Every figure leaving the module is whole yen, rounded up: a requirement rounded down would
leave the CCP short.

The estimated loss is a historical-simulation expected shortfall. Its parameters (99%,
two-day holding period, 250 closes) and the add-on rate (10% of mark-to-market loss plus
estimated loss) are our parametrisation; the source rules only say that such terms apply.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import Any

from ..errors import InputError, InvalidAmount

ADD_ON_CAPITAL_THRESHOLD = Decimal(2_000_000_000)
DEFAULT_ADD_ON_RATE = Decimal("0.1")
CLEARING_FUND_MINIMUM = Decimal(10_000_000)
DEFAULT_CONFIDENCE = Decimal("0.99")
DEFAULT_HOLDING_PERIOD_DAYS = 2
DEFAULT_LOOKBACK_DAYS = 250

# Figures are computed exactly, in rationals. Only the ranking of scenarios uses (60-digit)
# decimal arithmetic, for speed; the tail that decides the estimated loss is recomputed exactly.
_RANKING = Context(prec=60)


class MarginInputError(InputError):
    """Input the margin engine cannot price: refused before any figure is produced."""


class UnknownInstrument(MarginInputError):
    """A position's instrument has no price (history, trade price or current price)."""


class InsufficientHistory(MarginInputError):
    """Fewer closes than the lookback needs, or a lookback too short for one scenario."""


class InvalidRiskParameter(MarginInputError):
    """A confidence outside (0, 1), a non-positive period, a negative rate or minimum."""


class InvalidMarginAmount(MarginInputError, InvalidAmount):
    """A price, capital, margin or fund size that is a float, not finite, or out of range."""


@dataclass(frozen=True)
class Position:
    """A member's net position in one instrument: `quantity` > 0 long, < 0 short."""

    instrument: str
    quantity: int

    def __post_init__(self) -> None:
        if not isinstance(self.instrument, str) or not self.instrument:
            raise MarginInputError(f"instrument must be a non-empty string: {self.instrument!r}")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise MarginInputError(
                f"quantity of {self.instrument} must be an int, "
                f"not {type(self.quantity).__name__} {self.quantity!r}"
            )


@dataclass(frozen=True)
class MarginResult:
    """A member's initial margin, by component, each in whole JPY rounded up."""

    mtm_loss: Decimal
    estimated_loss: Decimal
    add_on: Decimal
    total: Decimal

    def __str__(self) -> str:
        return (
            f"JPY {self.total:,} = MTM loss {self.mtm_loss:,} + expected shortfall "
            f"{self.estimated_loss:,} + add-on {self.add_on:,}"
        )


# -- validation ------------------------------------------------------------------------------


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvalidMarginAmount(
            f"{what} {value!r} is a {type(value).__name__}: pass an int, a Decimal or a string"
        )
    try:
        number = Decimal(value) if isinstance(value, int | str) else value
        if not isinstance(number, Decimal) or not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidMarginAmount(f"{what} {value!r} is not a finite number") from None
    return number


def _amount(value: Any, what: str) -> Decimal:
    number = _decimal(value, what)
    if number < 0:
        raise InvalidMarginAmount(f"{what} {number} is negative")
    return number


def _price(value: Any, what: str) -> Decimal:
    number = _decimal(value, what)
    if number <= 0:
        raise InvalidMarginAmount(f"{what} {number} must be greater than zero")
    return number


def _positions(positions: Iterable[Position]) -> list[Position]:
    result = list(positions)
    for p in result:
        if not isinstance(p, Position):
            raise MarginInputError(f"{p!r} is not a Position")
    return result


def _prices(positions: list[Position], prices: Mapping[str, Any], what: str) -> dict[str, Decimal]:
    missing = sorted({p.instrument for p in positions} - set(prices))
    if missing:
        raise UnknownInstrument(f"no {what} for {', '.join(missing)}")
    return {
        p.instrument: _price(prices[p.instrument], f"{what} of {p.instrument}") for p in positions
    }


def _ceil_yen(value: Decimal | Fraction) -> Decimal:
    return Decimal(math.ceil(value))


# -- mark to market ----------------------------------------------------------------------------


def mark_to_market_loss(
    positions: Iterable[Position],
    trade_prices: Mapping[str, Any],
    current_prices: Mapping[str, Any],
) -> Decimal:
    """The portfolio's loss since trade, max(0, -Σ q·(P_now - P_trade)), in whole JPY rounded up.

    Gains on one instrument offset losses on another; a net gain is a loss of 0, not a credit.
    """
    positions = _positions(positions)
    traded = _prices(positions, trade_prices, "trade price")
    now = _prices(positions, current_prices, "current price")
    pnl = sum(
        (
            p.quantity * (Fraction(now[p.instrument]) - Fraction(traded[p.instrument]))
            for p in positions
        ),
        Fraction(0),
    )
    return _ceil_yen(max(Fraction(0), -pnl))


# -- estimated loss ------------------------------------------------------------------------------


def _confidence(confidence: Any) -> Decimal:
    if isinstance(confidence, (bool, float)) or not isinstance(confidence, Decimal | int | str):
        raise InvalidRiskParameter(f"confidence {confidence!r} must be a Decimal, e.g. '0.99'")
    try:
        value = Decimal(confidence)
    except InvalidOperation:
        raise InvalidRiskParameter(f"confidence {confidence!r} is not a number") from None
    if not (value.is_finite() and 0 < value < 1):
        raise InvalidRiskParameter(f"confidence {confidence} must lie strictly between 0 and 1")
    return value


def _days(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRiskParameter(f"{what} must be a positive int, not {value!r}")
    return value


def expected_shortfall(
    positions: Iterable[Position],
    history: Mapping[str, Sequence[Any]],
    *,
    confidence: Any = DEFAULT_CONFIDENCE,
    holding_period_days: int = DEFAULT_HOLDING_PERIOD_DAYS,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    current_prices: Mapping[str, Any] | None = None,
) -> Decimal:
    """The estimated loss: historical-simulation expected shortfall, in whole JPY rounded up.

    `history` holds each instrument's daily closes in JPY, oldest first, all ending on the same
    day; only the last `lookback_days` closes are used. Each scenario applies the relative
    returns over `holding_period_days`, P_t / P_(t-h) - 1, of every instrument to today's value
    of the position, q·P_now, with P_now the current price if given, else the last close:
    `lookback_days - holding_period_days` overlapping scenarios. The estimate is the mean loss
    of the worst ceil(n·(1 - confidence)) of the n scenarios (at least one), 0 if that mean is
    not a loss.

    Scenarios are ranked in 60-digit decimal arithmetic; the mean of the tail is then computed
    exactly, so the rounding up to the yen is exact too.
    """
    positions = _positions(positions)
    level = _confidence(confidence)
    h = _days(holding_period_days, "holding period")
    lookback = _days(lookback_days, "lookback")
    if lookback <= h:
        raise InsufficientHistory(
            f"a lookback of {lookback} closes gives no {h}-day return; it must exceed {h}"
        )
    instruments = sorted({p.instrument for p in positions})
    missing = [i for i in instruments if i not in history]
    if missing:
        raise UnknownInstrument(f"no price history for {', '.join(missing)}")
    closes: dict[str, list[Decimal]] = {}
    for instrument in instruments:
        series = list(history[instrument])
        if len(series) < lookback:
            raise InsufficientHistory(
                f"{instrument} has {len(series)} closes; a {lookback}-day lookback needs {lookback}"
            )
        closes[instrument] = [
            _price(c, f"close of {instrument}") for c in series[len(series) - lookback :]
        ]
    if current_prices is None:
        now = {i: closes[i][-1] for i in instruments}
    else:
        now = _prices(positions, current_prices, "current price")

    # Today's value per instrument, positions in the same instrument netted (P&L is linear).
    units: dict[str, int] = {}
    for p in positions:
        units[p.instrument] = units.get(p.instrument, 0) + p.quantity
    units = {i: q for i, q in units.items() if q}
    if not units:
        return Decimal(0)

    scenarios = range(h, lookback)
    with localcontext(_RANKING):
        exposure = {i: q * now[i] for i, q in units.items()}
        pnl = {
            t: sum(
                (v * (closes[i][t] / closes[i][t - h] - 1) for i, v in exposure.items()),
                Decimal(0),
            )
            for t in scenarios
        }
    worst_first = sorted(scenarios, key=pnl.__getitem__)
    tail = max(1, math.ceil(len(scenarios) * (1 - Fraction(level))))
    tail_loss = -sum(
        q * Fraction(now[i]) * (Fraction(closes[i][t]) / Fraction(closes[i][t - h]) - 1)
        for t in worst_first[:tail]
        for i, q in units.items()
    )
    return _ceil_yen(max(Fraction(0), tail_loss / tail))


# -- add-on and total --------------------------------------------------------------------------


def add_on(net_capital: Any, base_margin: Any, rate: Any = DEFAULT_ADD_ON_RATE) -> Decimal:
    """The add-on for a member with net capital under JPY 2bn: `rate` × `base_margin`, else 0.

    `base_margin` is the mark-to-market loss plus the estimated loss. The rules say only that
    an add-on applies to such members; a proportion of the base margin is our parametrisation.
    Result in whole JPY, rounded up.
    """
    capital = _decimal(net_capital, "net capital")  # may be negative: a member in trouble
    base = _amount(base_margin, "base margin")
    if isinstance(rate, (bool, float)) or not isinstance(rate, Decimal | int | str):
        raise InvalidRiskParameter(f"add-on rate {rate!r} must be a Decimal, e.g. '0.1'")
    rate = _decimal(rate, "add-on rate")
    if rate < 0:
        raise InvalidRiskParameter(f"add-on rate {rate} is negative")
    if capital >= ADD_ON_CAPITAL_THRESHOLD:
        return Decimal(0)
    return _ceil_yen(Fraction(rate) * Fraction(base))


def initial_margin(
    positions: Iterable[Position],
    *,
    trade_prices: Mapping[str, Any],
    current_prices: Mapping[str, Any],
    history: Mapping[str, Sequence[Any]],
    net_capital: Any,
    confidence: Any = DEFAULT_CONFIDENCE,
    holding_period_days: int = DEFAULT_HOLDING_PERIOD_DAYS,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    add_on_rate: Any = DEFAULT_ADD_ON_RATE,
) -> MarginResult:
    """A member's initial margin: MTM loss + estimated loss + add-on, floored at 0, whole JPY.

    The estimated loss values positions at `current_prices`, so an intraday recomputation uses
    intraday prices against the same history.
    """
    positions = _positions(positions)
    mtm = mark_to_market_loss(positions, trade_prices, current_prices)
    estimated = expected_shortfall(
        positions,
        history,
        confidence=confidence,
        holding_period_days=holding_period_days,
        lookback_days=lookback_days,
        current_prices=current_prices,
    )
    extra = add_on(net_capital, mtm + estimated, add_on_rate)
    return MarginResult(
        mtm_loss=mtm,
        estimated_loss=estimated,
        add_on=extra,
        total=max(Decimal(0), mtm + estimated + extra),
    )


# -- trades and shares ---------------------------------------------------------------------------


def after_trade(position: Position, price: Any, quantity: int, at: Any) -> tuple[Position, Decimal]:
    """`position`, standing at trade price `price`, after trading `quantity` contracts at `at`
    (+ bought, − sold): the new position and the trade price it stands at.

    Contracts added to a position average in at their price; a position cut keeps the price it
    stands at, and a closed one too; one opened from flat, or turned from long to short (or
    back), stands at `at`. Prices are JPY per contract (or any one unit), the average exact to
    the context's precision.
    """
    (position,) = _positions([position])
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise MarginInputError(f"quantity traded must be an int, not {quantity!r}")
    held = _price(price, f"trade price of {position.instrument}")
    now = _price(at, f"price of the trade in {position.instrument}")
    after = Position(position.instrument, position.quantity + quantity)
    if not quantity or not after.quantity:  # nothing traded, or closed
        return after, held
    if after.quantity * position.quantity <= 0:  # opened from flat, or turned over
        return after, now
    if quantity * position.quantity > 0:  # added to: the new contracts average in
        return after, (position.quantity * held + quantity * now) / after.quantity
    return after, held  # cut


def split_pro_rata(total: Any, weights: Mapping[str, Any]) -> dict[str, int]:
    """`total` (rounded up to the yen) shared among `weights`' keys pro rata, in whole yen.

    The running total is rounded up share by share, so the first share is its pro-rata amount
    rounded up, the last takes what the rounding left, none is negative and the shares add up
    to the total exactly. For a member passing an omnibus call on to its clients in proportion
    to their own margins, say.
    """
    whole = math.ceil(_amount(total, "total to share"))
    parts = {k: Fraction(_amount(v, f"weight of {k}")) for k, v in weights.items()}
    weight = sum(parts.values())
    if not weight:
        raise MarginInputError(f"no weight to share JPY {whole} by: {dict(weights)!r}")
    out: dict[str, int] = {}
    running, given = Fraction(0), 0
    for key, part in parts.items():
        running += part
        upto = math.ceil(whole * running / weight)
        out[key], given = upto - given, upto
    return out


# -- clearing fund -------------------------------------------------------------------------------


def clearing_fund_shares(
    margins: Mapping[str, Any],
    fund_size: Any,
    minimum: Any = CLEARING_FUND_MINIMUM,
) -> dict[str, Decimal]:
    """Deprecated: use `pyclient.margin.clearing_fund.member_shares(fund_size, margins)`.

    Each member's share of a fund of `fund_size`: fund_size × margin ÷ Σ margins, whole JPY
    rounded up, at least `minimum`, as the Rules on Clearing Fund Requirements say. It used to
    rescale the pro-rata factor so that the shares added up to the fund; the source does not,
    and neither does it any more.
    """
    warnings.warn(
        "clearing_fund_shares is deprecated; use pyclient.margin.clearing_fund.member_shares",
        DeprecationWarning,
        stacklevel=2,
    )
    from .clearing_fund import member_shares  # here: clearing_fund builds on this module

    return member_shares(fund_size, margins, minimum)
