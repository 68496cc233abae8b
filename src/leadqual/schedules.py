"""Schedules for Huey's periodic jobs that follow the local wall clock.

Huey keeps its clock in UTC (``HUEY["utc"]`` is true) and its crontab has no
time zone, so a crontab hour drifts by an hour with daylight saving time. The
weekly jobs that build on each other on Monday morning (this week's scoring
model proposal, the predictive model's check, the weekly report that links to
both) keep their order only on local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings


@dataclass(frozen=True, slots=True)
class WeeklyAtLocalTime:
    """A Huey schedule: once a week at a local wall-clock time.

    Turns Huey's naive UTC minute into local time (LEADQUAL_TIME_ZONE, read
    when the schedule is checked) and compares. ``weekday`` counts from
    Monday = 0, as ``date.weekday()`` does.
    """

    weekday: int
    hour: int
    minute: int = 0

    def __call__(self, timestamp: datetime) -> bool:
        """True when ``timestamp`` (naive UTC, as Huey passes it) is the time."""
        moment = (
            timestamp.replace(tzinfo=UTC) if timestamp.tzinfo is None else timestamp
        )
        local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
        return (local.weekday(), local.hour, local.minute) == (
            self.weekday,
            self.hour,
            self.minute,
        )
