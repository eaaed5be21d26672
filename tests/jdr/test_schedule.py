"""Record dates of a JDR trust: an XTKS business day notified at least 14 days ahead, fixing the
holders at 23:59:59 Tokyo. None of these tests touches the chain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pyclient.clock import TOKYO, from_unix
from pyclient.errors import InputError, RecordDateRefused
from pyclient.jdr.schedule import (
    MIN_NOTICE,
    check_record_date,
    earliest_record_date,
    record_time,
)


def test_the_notice_is_two_weeks() -> None:
    assert timedelta(days=14) == MIN_NOTICE


def test_holders_of_record_are_those_at_the_last_second_of_the_record_date_in_tokyo() -> None:
    seconds = record_time(date(2026, 3, 31))
    assert seconds == int(datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC).timestamp())
    assert from_unix(seconds) == datetime(2026, 3, 31, 23, 59, 59, tzinfo=TOKYO)
    assert record_time(date(2026, 4, 1)) - seconds == 86_400


def test_the_earliest_record_date_is_14_days_on_when_that_is_a_session() -> None:
    assert earliest_record_date(date(2026, 3, 17)) == date(2026, 3, 31)


def test_the_earliest_record_date_skips_golden_week() -> None:
    # 14 days after 20 April is Monday 4 May; 4, 5 and 6 May are holidays.
    assert earliest_record_date(date(2026, 4, 20)) == date(2026, 5, 7)


def test_the_earliest_record_date_skips_the_new_year_closure() -> None:
    assert earliest_record_date(date(2025, 12, 18)) == date(2026, 1, 5)
    assert earliest_record_date(date(2025, 12, 16)) == date(2025, 12, 30)


def test_a_business_day_exactly_14_days_after_the_announcement_is_accepted() -> None:
    check_record_date(date(2026, 3, 17), date(2026, 3, 31))
    check_record_date(date(2026, 3, 1), date(2026, 3, 31))  # an announcement on a Sunday


def test_a_record_date_13_days_after_the_announcement_is_refused_naming_the_earliest() -> None:
    with pytest.raises(RecordDateRefused) as refused:
        check_record_date(date(2026, 3, 18), date(2026, 3, 31))
    assert isinstance(refused.value, InputError)
    assert "13 days after the announcement on 2026-03-18" in str(refused.value)
    assert "earliest valid record date is 2026-04-01" in str(refused.value)


def test_a_record_date_on_a_holiday_is_refused_naming_the_earliest() -> None:
    with pytest.raises(RecordDateRefused, match="2026-05-06 is not an XTKS business day") as e:
        check_record_date(date(2026, 4, 1), date(2026, 5, 6))
    assert "earliest valid record date is 2026-04-15" in str(e.value)
    assert "next business day is 2026-05-07" in str(e.value)
    with pytest.raises(RecordDateRefused, match="not an XTKS business day"):
        check_record_date(date(2026, 4, 1), date(2026, 5, 9))  # a Saturday


def test_a_datetime_is_refused_where_a_date_is_meant() -> None:
    noon = datetime(2026, 3, 31, 12, tzinfo=TOKYO)
    with pytest.raises(RecordDateRefused, match="must be a date"):
        record_time(noon)
    with pytest.raises(RecordDateRefused, match="must be a date"):
        check_record_date(date(2026, 3, 1), noon)
