"""Tokyo business days and the margin-call timetable.

The margin engine computes requirements, and the CCP issues calls against them with a deadline;
this module says which days count and when each kind of call falls due. Business days are the
Tokyo Stock Exchange's sessions (exchange-calendars' XTKS: weekends, national holidays and the
31 Dec - 3 Jan closure are not business days). Every time is in Asia/Tokyo; a deadline leaves
here as a tz-aware datetime and goes on chain as a unix timestamp (`pyclient.clock.to_unix`).

Timetable (the integer values of `CallType` match the Solidity enum):

* regular: computed at the end of a business day, due at `REGULAR_DUE` on the first business
  day strictly after the computation date (a call computed on a holiday is treated the same way).
* intraday: computed at `INTRADAY_COMPUTED`, due at `INTRADAY_DUE` the same business day.
* emergency: computed at `EMERGENCY_COMPUTED`, due at `EMERGENCY_DUE` the same business day.

An intraday or emergency call computed after its cut-off, or on a day that is not a business
day, would leave the member less time than the rules give, so it is refused (`TimetableError`).
"""

from __future__ import annotations

import bisect
import warnings
from datetime import date, datetime, time
from functools import cache

from ..clock import TOKYO, TimetableError, from_unix, to_unix, tokyo_time
from ..collateral.vault import CallType

__all__ = [
    "EMERGENCY_COMPUTED", "EMERGENCY_DUE", "INTRADAY_COMPUTED", "INTRADAY_DUE", "REGULAR_DUE",
    "TOKYO", "CallType", "TimetableError", "add_business_days", "call_deadline", "from_unix",
    "is_business_day", "last_business_days", "next_business_day", "porting_deadline", "to_unix",
    "tokyo_time",
]  # fmt: skip

REGULAR_DUE = time(11)
INTRADAY_COMPUTED = time(11)
INTRADAY_DUE = time(14)
EMERGENCY_COMPUTED = time(13)
EMERGENCY_DUE = time(16)
PORTING_DUE = time(15)  # on the business day after a default is declared

# The XTKS calendar is built once for a fixed window rather than exchange-calendars' default
# (20 years back to one year ahead of today), so that a date means the same thing whichever day
# the code runs; holidays beyond the window are not known, and dates there are refused.
CALENDAR_FIRST_DAY = date(2000, 1, 1)
CALENDAR_LAST_DAY = date(2045, 12, 31)


@cache
def _sessions() -> tuple[date, ...]:
    # Building XTKS takes about a second; afterwards every question is a bisect on plain dates.
    import exchange_calendars

    with warnings.catch_warnings():
        # exchange-calendars 4.13 trips a pandas 3.1 deprecation of its own; not ours to fix.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        xtks = exchange_calendars.get_calendar(
            "XTKS", start=CALENDAR_FIRST_DAY.isoformat(), end=CALENDAR_LAST_DAY.isoformat()
        )
    return tuple(ts.date() for ts in xtks.sessions)


def _day(day: date) -> date:
    """`day` as a Tokyo calendar date, checked to lie inside the calendar window."""
    if isinstance(day, datetime):
        day = tokyo_time(day).date()
    elif not isinstance(day, date):
        raise TimetableError(f"{day!r} is not a date")
    if not CALENDAR_FIRST_DAY <= day <= CALENDAR_LAST_DAY:
        raise TimetableError(
            f"{day} is outside the business calendar ({CALENDAR_FIRST_DAY} to {CALENDAR_LAST_DAY})"
        )
    return day


def is_business_day(day: date) -> bool:
    """Whether the Tokyo Stock Exchange is open on `day` (a datetime counts by its Tokyo date)."""
    day = _day(day)
    sessions = _sessions()
    i = bisect.bisect_left(sessions, day)
    return i < len(sessions) and sessions[i] == day


def next_business_day(day: date) -> date:
    """The first business day strictly after `day`."""
    return add_business_days(day, 1)


def add_business_days(day: date, n: int) -> date:
    """The `n`-th business day strictly after `day` (T+`n`); for `n` = 0, `day` itself.

    `day` may be a holiday when `n` >= 1 (the count starts on the next business day), but T+0 of
    a holiday is refused: it has no settlement date.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise TimetableError(f"business-day offset must be a non-negative int, not {n!r}")
    day = _day(day)
    if n == 0:
        if not is_business_day(day):
            raise TimetableError(f"{day} is not a business day")
        return day
    sessions = _sessions()
    i = bisect.bisect_right(sessions, day) + n - 1
    if i >= len(sessions):
        raise TimetableError(f"{day} + {n} business days is beyond {CALENDAR_LAST_DAY}")
    return sessions[i]


def last_business_days(day: date, n: int) -> tuple[date, ...]:
    """The last `n` business days on or before `day`, oldest first: the days on which the closes
    of an `n`-day lookback fall, when `day` is the latest close (`day` may be a holiday)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise TimetableError(f"a number of business days must be a positive int, not {n!r}")
    day, sessions = _day(day), _sessions()
    end = bisect.bisect_right(sessions, day)
    if end < n:
        raise TimetableError(f"{day} is fewer than {n} business days after {CALENDAR_FIRST_DAY}")
    return sessions[end - n : end]


def call_deadline(call_type: CallType, computed_at: datetime) -> datetime:
    """When a call of `call_type` computed at `computed_at` falls due, in Tokyo time."""
    try:
        call_type = CallType(call_type)
    except ValueError:
        raise TimetableError(f"unknown call type {call_type!r}") from None
    local = tokyo_time(computed_at)
    day = _day(local.date())
    if call_type is CallType.REGULAR:
        return datetime.combine(next_business_day(day), REGULAR_DUE, TOKYO)
    cut_off, due = {
        CallType.INTRADAY: (INTRADAY_COMPUTED, INTRADAY_DUE),
        CallType.EMERGENCY: (EMERGENCY_COMPUTED, EMERGENCY_DUE),
    }[call_type]
    name = call_type.name.lower()
    if not is_business_day(day):
        raise TimetableError(f"an {name} call cannot be computed on {day}: not a business day")
    if local.time() > cut_off:
        raise TimetableError(
            f"an {name} call computed at {local:%Y-%m-%d %H:%M:%S} Tokyo is past its "
            f"{cut_off:%H:%M} cut-off; it would leave less time than the {due:%H:%M} deadline "
            "allows"
        )
    return datetime.combine(day, due, TOKYO)


def porting_deadline(declared_at: datetime) -> datetime:
    """Until when a defaulter's clients may be ported: 15:00 Tokyo on the XTKS business day after
    the declaration. Kabuto's choice (the sources give no porting period): the initial margin covers
    a two-day holding period, so porting by 15:00 on the next day leaves the rest of it to close
    out the clients not ported (docs/domain.md §8)."""
    day = _day(tokyo_time(declared_at).date())
    return datetime.combine(next_business_day(day), PORTING_DUE, TOKYO)
