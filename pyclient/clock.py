"""Time as contracts keep it: whole unix seconds, read back as Tokyo time.

Every deadline and price timestamp on chain is a unix timestamp; every time a person reads is
Tokyo time (the clearing house's clock). A naive `datetime` is refused: its zone would be a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import InputError

TOKYO = ZoneInfo("Asia/Tokyo")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimetableError(InputError):
    """A date or time the timetable cannot use: outside the calendar, naive, or past a cut-off."""


def tokyo_time(moment: datetime) -> datetime:
    """A tz-aware `moment` in Tokyo time; a naive one is refused (its zone would be a guess)."""
    if not isinstance(moment, datetime):
        raise TimetableError(f"{moment!r} is not a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimetableError(f"{moment} has no time zone; pass a tz-aware datetime")
    return moment.astimezone(TOKYO)


def to_unix(moment: datetime) -> int:
    """Whole seconds since the epoch, as contracts store time; a fraction is dropped (earlier)."""
    return (tokyo_time(moment) - _EPOCH) // timedelta(seconds=1)


def from_unix(seconds: int) -> datetime:
    """A unix timestamp read from a contract, as Tokyo time."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TimetableError(f"a unix timestamp is an int, not {seconds!r}")
    return (_EPOCH + timedelta(seconds=seconds)).astimezone(TOKYO)
