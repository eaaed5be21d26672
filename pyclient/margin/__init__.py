"""The CCP's margin engine: how much each member owes, and by when.

`risk` turns positions and prices into initial margin and clearing-fund shares; `calendar`
knows Tokyo business days and when each kind of margin call falls due. Both are pure Python;
`engine.MarginEngine` (imported from `pyclient.margin.engine`, as it needs the chain) posts the
requirements and issues and follows the calls on chain.
"""

from .calendar import (
    EMERGENCY_COMPUTED,
    EMERGENCY_DUE,
    INTRADAY_COMPUTED,
    INTRADAY_DUE,
    REGULAR_DUE,
    TOKYO,
    CallType,
    TimetableError,
    add_business_days,
    call_deadline,
    from_unix,
    is_business_day,
    next_business_day,
    to_unix,
)
from .risk import (
    ADD_ON_CAPITAL_THRESHOLD,
    CLEARING_FUND_MINIMUM,
    InsufficientHistory,
    InvalidMarginAmount,
    InvalidRiskParameter,
    MarginInputError,
    MarginResult,
    Position,
    UnknownInstrument,
    add_on,
    clearing_fund_shares,
    expected_shortfall,
    initial_margin,
    mark_to_market_loss,
)

__all__ = [
    "ADD_ON_CAPITAL_THRESHOLD",
    "CLEARING_FUND_MINIMUM",
    "EMERGENCY_COMPUTED",
    "EMERGENCY_DUE",
    "INTRADAY_COMPUTED",
    "INTRADAY_DUE",
    "REGULAR_DUE",
    "TOKYO",
    "CallType",
    "InsufficientHistory",
    "InvalidMarginAmount",
    "InvalidRiskParameter",
    "MarginInputError",
    "MarginResult",
    "Position",
    "TimetableError",
    "UnknownInstrument",
    "add_business_days",
    "add_on",
    "call_deadline",
    "clearing_fund_shares",
    "expected_shortfall",
    "from_unix",
    "initial_margin",
    "is_business_day",
    "mark_to_market_loss",
    "next_business_day",
    "to_unix",
]
