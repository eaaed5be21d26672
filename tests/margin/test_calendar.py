"""The Tokyo timetable of margin calls: XTKS business days and the 11:00 / 14:00 / 16:00 deadlines.

None of these tests touches the chain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyclient.errors import InputError
from pyclient.margin import (
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
    last_business_days,
    next_business_day,
    to_unix,
)


def tokyo(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=TOKYO)


# -- calendar and timetable ----------------------------------------------------------------------


def test_call_type_values_match_the_solidity_enum() -> None:
    assert [(t.name, int(t)) for t in CallType] == [
        ("REGULAR", 0),
        ("INTRADAY", 1),
        ("EMERGENCY", 2),
    ]


def test_cut_off_times_are_those_of_the_timetable() -> None:
    assert (time(11), time(11), time(14)) == (REGULAR_DUE, INTRADAY_COMPUTED, INTRADAY_DUE)
    assert (time(13), time(16)) == (EMERGENCY_COMPUTED, EMERGENCY_DUE)


def test_regular_call_computed_on_friday_is_due_monday_at_11_tokyo() -> None:
    assert is_business_day(date(2026, 11, 30))
    due = call_deadline(CallType.REGULAR, tokyo(2026, 11, 27, 18))
    assert due == tokyo(2026, 11, 30, 11)
    assert due.utcoffset() == timedelta(hours=9)


def test_regular_call_computed_before_a_holiday_monday_is_due_tuesday() -> None:
    # 2026-11-23 is Labour Thanksgiving Day, a Monday.
    assert date(2026, 11, 23).weekday() == 0
    assert not is_business_day(date(2026, 11, 23))
    assert call_deadline(CallType.REGULAR, tokyo(2026, 11, 20, 18)) == tokyo(2026, 11, 24, 11)


def test_regular_call_computed_on_a_non_business_day_is_due_on_the_first_business_day_after() -> (
    None
):
    assert call_deadline(CallType.REGULAR, tokyo(2026, 11, 21, 9)) == tokyo(2026, 11, 24, 11)


def test_year_end_closure_from_31_december_to_3_january_has_no_business_days() -> None:
    closed = [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)]
    assert not any(is_business_day(d) for d in closed)
    assert is_business_day(date(2026, 12, 30)) and is_business_day(date(2027, 1, 4))
    assert call_deadline(CallType.REGULAR, tokyo(2026, 12, 30, 18)) == tokyo(2027, 1, 4, 11)
    assert next_business_day(date(2026, 12, 30)) == date(2027, 1, 4)


def test_t_plus_2_counts_only_business_days() -> None:
    assert add_business_days(date(2026, 12, 29), 2) == date(2027, 1, 4)
    assert add_business_days(date(2026, 11, 19), 2) == date(2026, 11, 24)
    assert add_business_days(date(2026, 11, 24), 2) == date(2026, 11, 26)
    assert add_business_days(date(2026, 11, 24), 0) == date(2026, 11, 24)
    # From a holiday, the count starts on the next business day.
    assert add_business_days(date(2026, 11, 23), 1) == date(2026, 11, 24)


def test_t_plus_0_of_a_holiday_and_negative_offsets_are_refused() -> None:
    with pytest.raises(TimetableError):
        add_business_days(date(2026, 11, 23), 0)
    with pytest.raises(TimetableError):
        add_business_days(date(2026, 11, 24), -1)


def test_the_last_business_days_end_on_or_before_the_day_oldest_first() -> None:
    # Across the year-end closure (31 December to 3 January).
    closure = (date(2026, 12, 29), date(2026, 12, 30), date(2027, 1, 4))
    assert last_business_days(date(2027, 1, 4), 3) == closure
    # From a day the exchange is closed, the count starts on the business day before it.
    assert last_business_days(date(2027, 1, 2), 2) == (date(2026, 12, 29), date(2026, 12, 30))
    assert last_business_days(date(2026, 11, 24), 1) == (date(2026, 11, 24),)


def test_lookbacks_starting_before_the_calendar_and_counts_that_are_not_positive_are_refused() -> (
    None
):
    with pytest.raises(TimetableError):
        last_business_days(date(2000, 1, 10), 30)
    for n in (0, -1, True, 2.0):
        with pytest.raises(TimetableError):
            last_business_days(date(2026, 11, 24), n)  # type: ignore[arg-type]


@settings(deadline=None)
@given(st.dates(min_value=date(2002, 1, 1), max_value=date(2044, 12, 31)), st.integers(1, 300))
def test_the_last_business_days_are_consecutive_and_none_is_left_out(day: date, n: int) -> None:
    days = last_business_days(day, n)
    assert len(days) == n and days[-1] <= day and all(is_business_day(d) for d in days)
    assert all(next_business_day(a) == b for a, b in pairwise(days))
    assert next_business_day(days[-1]) > day


def test_intraday_call_computed_by_11_is_due_at_14_the_same_day() -> None:
    assert call_deadline(CallType.INTRADAY, tokyo(2026, 11, 24, 11)) == tokyo(2026, 11, 24, 14)
    assert call_deadline(CallType.INTRADAY, tokyo(2026, 11, 24, 10, 30)) == tokyo(2026, 11, 24, 14)


def test_intraday_call_computed_after_11_is_refused() -> None:
    with pytest.raises(TimetableError, match="cut-off") as info:
        call_deadline(CallType.INTRADAY, tokyo(2026, 11, 24, 11, 0, 1))
    assert isinstance(info.value, InputError)


def test_emergency_call_computed_by_13_is_due_at_16_the_same_day() -> None:
    assert call_deadline(CallType.EMERGENCY, tokyo(2026, 11, 24, 13)) == tokyo(2026, 11, 24, 16)


def test_emergency_call_computed_after_13_is_refused() -> None:
    with pytest.raises(TimetableError, match="cut-off"):
        call_deadline(CallType.EMERGENCY, tokyo(2026, 11, 24, 13, 1))


@pytest.mark.parametrize("call_type", [CallType.INTRADAY, CallType.EMERGENCY])
def test_same_day_calls_on_a_holiday_are_refused(call_type: CallType) -> None:
    with pytest.raises(TimetableError, match="not a business day"):
        call_deadline(call_type, tokyo(2026, 11, 23, 9))


def test_the_tokyo_date_and_time_decide_not_the_callers_zone() -> None:
    # 02:00 UTC is 11:00 in Tokyo: just in time for an intraday call, due 05:00 UTC.
    due = call_deadline(CallType.INTRADAY, datetime(2026, 11, 24, 2, tzinfo=UTC))
    assert due == datetime(2026, 11, 24, 5, tzinfo=UTC)
    # Friday 20:00 UTC is already Saturday in Tokyo.
    assert call_deadline(CallType.REGULAR, datetime(2026, 11, 20, 20, tzinfo=UTC)) == tokyo(
        2026, 11, 24, 11
    )


def test_naive_times_unknown_call_types_and_dates_outside_the_calendar_are_refused() -> None:
    with pytest.raises(TimetableError, match="time zone"):
        call_deadline(CallType.REGULAR, datetime(2026, 11, 24, 11))
    with pytest.raises(TimetableError, match="call type"):
        call_deadline(7, tokyo(2026, 11, 24, 9))  # type: ignore[arg-type]
    with pytest.raises(TimetableError, match="outside"):
        is_business_day(date(1999, 12, 30))
    with pytest.raises(TimetableError, match="outside"):
        next_business_day(date(2050, 1, 4))


def test_deadlines_go_on_chain_as_unix_seconds() -> None:
    due = tokyo(2026, 11, 24, 11)
    assert to_unix(due) == 1_795_485_600  # 2026-11-24 02:00:00 UTC
    assert from_unix(1_795_485_600) == due
    assert from_unix(1_795_485_600).tzinfo == TOKYO
    assert to_unix(due + timedelta(microseconds=999_999)) == 1_795_485_600
    with pytest.raises(TimetableError):
        to_unix(datetime(2026, 11, 24, 11))


@settings(deadline=None)
@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2044, 12, 31)))
def test_next_business_day_is_the_first_open_day_strictly_after(day: date) -> None:
    following = next_business_day(day)
    assert following > day and is_business_day(following)
    assert following.weekday() < 5
    gap = (following - day).days
    assert not any(is_business_day(day + timedelta(days=k)) for k in range(1, gap))
    assert add_business_days(day, 2) == next_business_day(following)
