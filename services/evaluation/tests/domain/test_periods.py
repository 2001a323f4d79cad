"""Periods and their boundaries in Asia/Shanghai local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.domain.periods import Period, PeriodError, month_key

LOCAL_TZ = platform_zone()


def test_a_request_received_on_the_last_second_of_a_month_counts_in_that_month() -> None:
    last_second = datetime(2026, 1, 31, 23, 59, 59, tzinfo=LOCAL_TZ)
    assert month_key(last_second) == "2026-01"
    assert month_key(last_second + timedelta(seconds=1)) == "2026-02"
    # The same instants seen in UTC: 15:59:59 and 16:00:00 on 31 January.
    assert month_key(datetime(2026, 1, 31, 15, 59, 59, tzinfo=UTC)) == "2026-01"
    assert month_key(datetime(2026, 1, 31, 16, 0, 0, tzinfo=UTC)) == "2026-02"
    assert Period.parse("2026-01").contains(last_second)
    assert not Period.parse("2026-01").contains(last_second + timedelta(seconds=1))


def test_year_end_and_quarter_boundaries() -> None:
    new_year_utc = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 00:00 local
    assert Period.parse("2026").contains(new_year_utc)
    assert Period.parse("2026-Q1").contains(new_year_utc)
    assert not Period.parse("2025-Q4").contains(new_year_utc)
    assert Period.parse("2025-Q4").contains(new_year_utc - timedelta(seconds=1))
    assert Period.parse("2026-Q2").months == ("2026-04", "2026-05", "2026-06")
    assert Period.parse("2026-Q4").end == datetime(2027, 1, 1, tzinfo=LOCAL_TZ)
    assert Period.parse("2026-02").end == datetime(2026, 3, 1, tzinfo=LOCAL_TZ)
    assert len(Period.parse("2026").months) == 12


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "26-01", "2026/01", "", "1999"])
def test_malformed_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        month_key(datetime(2026, 1, 1))


@given(
    st.datetimes(
        min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 1), timezones=st.just(UTC)
    )
)
def test_every_instant_lies_in_exactly_its_month_quarter_and_year(moment: datetime) -> None:
    key = month_key(moment)
    year, month = int(key[:4]), int(key[5:])
    month_period = Period.parse(key)
    quarter = Period.parse(f"{year}-Q{(month - 1) // 3 + 1}")
    assert month_period.start <= moment < month_period.end
    assert quarter.start <= moment < quarter.end
    assert Period.parse(str(year)).contains(moment)
    assert str(Period.parse(str(quarter))) == str(quarter)
