"""SLA clocks count Dutch working days only, across holidays and clock changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.core.sla import (
    DUTCH_TIME,
    is_dutch_working_day,
    sla_due_at,
    working_hours_between,
)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DUTCH_TIME)


def test_hot_lead_on_a_thursday_is_due_the_next_day_at_the_same_time() -> None:
    assert sla_due_at(at(2026, 11, 26, 16), 24) == at(2026, 11, 27, 16)


def test_hot_lead_on_friday_afternoon_is_due_on_monday_afternoon() -> None:
    assert sla_due_at(at(2026, 11, 27, 15), 24) == at(2026, 11, 30, 15)


def test_a_lead_arriving_at_the_weekend_starts_its_clock_on_monday() -> None:
    due = sla_due_at(at(2026, 11, 28, 10), 24)
    assert due.date() == date(2026, 11, 30)


def test_warm_lead_is_due_after_three_working_days() -> None:
    assert sla_due_at(at(2026, 11, 25, 10), 72) == at(2026, 11, 30, 10)


def test_kings_day_is_not_a_working_day() -> None:
    # King's Day 2026 falls on Monday 27 April.
    assert not is_dutch_working_day(date(2026, 4, 27))
    assert sla_due_at(at(2026, 4, 24, 10), 24) == at(2026, 4, 28, 10)


def test_christmas_and_boxing_day_are_skipped() -> None:
    # 24 December 2026 is a Thursday; 25 and 26 are holidays, then the weekend.
    assert sla_due_at(at(2026, 12, 24, 10), 24) == at(2026, 12, 28, 10)


def test_easter_monday_is_a_holiday_and_good_friday_a_working_day() -> None:
    assert not is_dutch_working_day(date(2026, 4, 6))
    assert is_dutch_working_day(date(2026, 4, 3))


def test_the_spring_clock_change_does_not_shift_the_due_time() -> None:
    # Summer time starts on Sunday 29 March 2026: Friday 12:00 CET -> Monday 12:00 CEST.
    due = sla_due_at(at(2026, 3, 27, 12), 24)
    assert (due.hour, due.date(), due.utcoffset()) == (
        12,
        date(2026, 3, 30),
        timedelta(hours=2),
    )


def test_the_autumn_clock_change_does_not_shift_the_due_time() -> None:
    # Winter time starts on Sunday 25 October 2026.
    due = sla_due_at(at(2026, 10, 23, 12), 24)
    assert (due.hour, due.date(), due.utcoffset()) == (
        12,
        date(2026, 10, 26),
        timedelta(hours=1),
    )


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)
    ),
    hours=st.floats(min_value=0.5, max_value=200, allow_nan=False),
)
def test_a_due_time_is_never_in_a_weekend_or_on_a_holiday(
    start: datetime, hours: float
) -> None:
    aware = start.replace(tzinfo=DUTCH_TIME)
    due = sla_due_at(aware, hours)
    assert is_dutch_working_day(due.astimezone(DUTCH_TIME).date())
    assert due > aware
    assert abs(working_hours_between(aware, due) - hours) < 0.001
