"""SLA clocks that count only Dutch working days.

An SLA of N hours runs only on working days (Monday to Friday, except Dutch
public holidays), in the business's local time. A hot lead that arrives on
Friday at 15:00 with a 24-hour SLA is due on Monday at 15:00; one that arrives
on Saturday starts its clock on Monday at 00:00. Weekends hold the daylight-
saving changes, so every working day has 24 hours.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
# Good Friday is a recognised holiday, but most Dutch businesses work on it;
# Easter Monday, King's Day, Ascension, Whit Monday and Christmas are days off.
_WORKED_HOLIDAYS = frozenset({"Good Friday", "Easter Sunday", "Pentecost"})


@lru_cache(maxsize=64)
def _dutch_days_off(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("NL", years=year, language="en_US")
    return frozenset(
        day for day, name in calendar.items() if name not in _WORKED_HOLIDAYS
    )


def is_dutch_working_day(day: date) -> bool:
    """True on Monday to Friday unless it is a Dutch public holiday."""
    return day.weekday() < 5 and day not in _dutch_days_off(day.year)


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def sla_due_at(
    start: datetime,
    hours: float,
    *,
    zone: ZoneInfo = DUTCH_TIME,
    is_working_day: Callable[[date], bool] = is_dutch_working_day,
) -> datetime:
    """The moment an SLA of ``hours`` working-day hours, started at ``start``, runs out.

    Returns an aware datetime in ``zone`` that always falls on a working day
    (an SLA that ends exactly at midnight after a working day ends one
    microsecond before it). Raises ValueError for a naive ``start`` or
    negative hours.
    """
    if start.tzinfo is None:
        raise ValueError("sla_due_at needs a timezone-aware start")
    if hours < 0:
        raise ValueError(f"An SLA cannot have negative hours, got {hours}")
    current = start.astimezone(zone)
    remaining = timedelta(hours=hours)
    day = current.date()
    if not is_working_day(day):
        while not is_working_day(day):
            day += timedelta(days=1)
        current = _start_of(day, zone)
    while True:
        end_of_day = _start_of(day + timedelta(days=1), zone)
        # Subtract timestamps: aware arithmetic within one zone ignores DST shifts.
        available = end_of_day.timestamp() - current.timestamp()
        if remaining.total_seconds() < available:
            return datetime.fromtimestamp(
                current.timestamp() + remaining.total_seconds(), tz=zone
            )
        if remaining.total_seconds() == available:
            return end_of_day - timedelta(microseconds=1)
        remaining -= timedelta(seconds=available)
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
        current = _start_of(day, zone)


def working_hours_between(
    start: datetime,
    end: datetime,
    *,
    zone: ZoneInfo = DUTCH_TIME,
    is_working_day: Callable[[date], bool] = is_dutch_working_day,
) -> float:
    """Hours between two moments that fall on working days (0 if end <= start).

    The inverse of ``sla_due_at``: used for "time to first contact" KPIs and
    SLA countdowns.
    """
    if end <= start:
        return 0.0
    total = 0.0
    current = start.astimezone(zone)
    stop = end.astimezone(zone)
    day = current.date()
    while day <= stop.date():
        day_start = max(current, _start_of(day, zone))
        day_end = min(stop, _start_of(day + timedelta(days=1), zone))
        if is_working_day(day) and day_end > day_start:
            total += day_end.timestamp() - day_start.timestamp()
        day += timedelta(days=1)
    return total / 3600
