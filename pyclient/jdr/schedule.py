"""Record dates of a JDR trust: when they may fall, and the moment on chain that fixes holders.

A distribution goes to the holders of record on a record date the trust sets (docs/domain.md §10).
The trustee must notify the exchange of a record date at least two weeks before it (ETF-JDR
guidebook §3-2: 基準日をその2週間前までに届け出), and the date is an XTKS business day, the days
on which book-entry holdings move. Holders at the end of the record date, 23:59:59 Tokyo time,
are the holders of record; that second, as a unix timestamp, is what a contract snapshots against.

Pure: dates in, dates and timestamps out, no chain.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..clock import TOKYO, to_unix
from ..errors import RecordDateRefused
from ..margin.calendar import add_business_days, is_business_day

__all__ = [
    "END_OF_RECORD_DATE", "MIN_NOTICE", "check_record_date", "earliest_record_date",
    "record_time",
]  # fmt: skip

MIN_NOTICE = timedelta(days=14)
END_OF_RECORD_DATE = time(23, 59, 59)


def _plain_date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise RecordDateRefused(f"{what} must be a date, not {value!r}")
    return value


def record_time(record_date: date) -> int:
    """The unix second at which holdings are read for `record_date`: 23:59:59 Tokyo that day."""
    day = _plain_date(record_date, "a record date")
    return to_unix(datetime.combine(day, END_OF_RECORD_DATE, TOKYO))


def earliest_record_date(announced_on: date) -> date:
    """The first XTKS business day at least 14 calendar days after `announced_on`."""
    first = _plain_date(announced_on, "an announcement date") + MIN_NOTICE
    return first if is_business_day(first) else add_business_days(first, 1)


def check_record_date(announced_on: date, record_date: date) -> None:
    """Refuse (`RecordDateRefused`) a record date that is not an XTKS business day or that falls
    less than 14 calendar days after `announced_on`; the message names the earliest valid one."""
    announced_on = _plain_date(announced_on, "an announcement date")
    record_date = _plain_date(record_date, "a record date")
    earliest = earliest_record_date(announced_on)
    if record_date - announced_on < MIN_NOTICE:
        raise RecordDateRefused(
            f"record date {record_date} is {(record_date - announced_on).days} days after the "
            f"announcement on {announced_on}; it needs {MIN_NOTICE.days} days' notice: the "
            f"earliest valid record date is {earliest}"
        )
    if not is_business_day(record_date):
        later = add_business_days(record_date, 1)
        raise RecordDateRefused(
            f"record date {record_date} is not an XTKS business day; the earliest valid record "
            f"date is {earliest} (the next business day is {later})"
        )
