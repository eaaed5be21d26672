"""Tokyo business days and the margin-call timetable.

The margin engine computes requirements, and the CCP issues calls against them with a deadline;
this module says which days count and when each kind of call falls due. Business days are the
Tokyo Stock Exchange's sessions (exchange-calendars' XTKS: weekends, national holidays and the
31 Dec - 3 Jan closure are not business days). Every time is in Asia/Tokyo; a deadline leaves
here as a tz-aware datetime and goes on chain as a unix timestamp (`to_unix`).

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
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from functools import cache
from zoneinfo import ZoneInfo

from ..errors import InputError

TOKYO = ZoneInfo("Asia/Tokyo")

REGULAR_DUE = time(11)
INTRADAY_COMPUTED = time(11)
INTRADAY_DUE = time(14)
EMERGENCY_COMPUTED = time(13)
EMERGENCY_DUE = time(16)

# The XTKS calendar is built once for a fixed window rather than exchange-calendars' default
# (20 years back to one year ahead of today), so that a date means the same thing whichever day
# the code runs; holidays beyond the window are not known, and dates there are refused.
CALENDAR_FIRST_DAY = date(2000, 1, 1)
CALENDAR_LAST_DAY = date(2045, 12, 31)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CallType(IntEnum):
    """Kind of margin call; the values are those of the Solidity enum."""

    REGULAR = 0
    INTRADAY = 1
    EMERGENCY = 2


class TimetableError(InputError):
    """A date or time the timetable cannot use: outside the calendar, naive, or past a cut-off."""


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


def tokyo_time(moment: datetime) -> datetime:
    """A tz-aware `moment` in Tokyo time; a naive one is refused (its zone would be a guess)."""
    if not isinstance(moment, datetime):
        raise TimetableError(f"{moment!r} is not a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimetableError(f"{moment} has no time zone; pass a tz-aware datetime")
    return moment.astimezone(TOKYO)


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


def to_unix(moment: datetime) -> int:
    """Whole seconds since the epoch, as contracts store time; a fraction is dropped (earlier)."""
    return (tokyo_time(moment) - _EPOCH) // timedelta(seconds=1)


def from_unix(seconds: int) -> datetime:
    """A unix timestamp read from a contract, as Tokyo time."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TimetableError(f"a unix timestamp is an int, not {seconds!r}")
    return (_EPOCH + timedelta(seconds=seconds)).astimezone(TOKYO)
