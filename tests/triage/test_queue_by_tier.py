"""The today queue read tier by tier gives every page as the one sorted query.

``QueueByTier`` reads each tier (new hot, due today, overdue per band, later)
in deadline order from an index, where ``today_queue`` computes every open
task's tier and sorts them all. Same tasks, same order, same pages, same
tiers, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.paginator import Paginator

from leadqual.core.bands import Band
from leadqual.core.sla import DUTCH_TIME
from leadqual.triage.models import Task
from leadqual.triage.queries import (
    ALL_OWNERS,
    QUEUE_READS,
    UNASSIGNED,
    QueueByTier,
    QueueOwner,
    queue_day,
    today_queue,
)
from leadqual.users.roles import Role
from tests.factories import LeadFactory, TaskFactory, make_user

pytestmark = pytest.mark.django_db

# Wednesday 2 December 2026, 10:00 in Utrecht.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=DUTCH_TIME)


@pytest.fixture
def sellers() -> list[User]:
    return [make_user("sanne", role=Role.SALES), make_user("daan", role=Role.SALES)]


@pytest.fixture
def open_tasks(sellers: list[User]) -> list[Task]:
    """90 open tasks in every tier and band, with shared deadlines and scores,
    and a few closed ones that no queue shows."""
    rng = random.Random(12)
    day = queue_day(NOW)
    deadlines = [
        day.starts_at - timedelta(days=90),
        day.starts_at - timedelta(days=3),
        day.starts_at - timedelta(minutes=1),
        day.starts_at,
        NOW + timedelta(hours=2),
        day.ends_at - timedelta(minutes=1),
        day.ends_at,
        NOW + timedelta(days=6),
    ]
    tasks = []
    for number in range(95):
        due_at = rng.choice(deadlines)
        # New (this week) or older, whatever the deadline.
        created_at = NOW - timedelta(days=rng.choice([0, 2, 6, 8, 30]), minutes=1)
        tasks.append(
            TaskFactory.create(
                lead=LeadFactory.create(
                    band=rng.choice([Band.HOT.value, Band.WARM.value, "cold", ""]),
                    score_total=rng.choice([None, 45, 60, 60, 85]),
                ),
                owner=rng.choice([*sellers, None]),
                due_at=due_at,
                created_at=min(created_at, due_at),
                done_at=NOW - timedelta(hours=1) if number >= 90 else None,
            )
        )
    return tasks


def _tier(task: Task) -> int:
    """The tier both queries annotate a task with."""
    tier = getattr(task, "tier")  # noqa: B009 (an annotation, unknown to mypy)
    assert isinstance(tier, int)
    return tier


def _owners(sellers: list[User]) -> list[QueueOwner]:
    return [ALL_OWNERS, UNASSIGNED, sellers[0].pk]


@pytest.mark.parametrize("band", [None, Band.HOT, Band.WARM])
def test_every_slice_holds_the_tasks_of_the_sorted_queue(
    sellers: list[User], open_tasks: list[Task], band: Band | None
) -> None:
    for owner in _owners(sellers):
        expected = [
            (task.pk, _tier(task)) for task in today_queue(owner, now=NOW, band=band)
        ]
        by_tier = QueueByTier(owner, now=NOW, band=band)

        assert by_tier.count() == len(expected)
        for start in range(0, len(expected) + 5, 6):
            for length in (1, 6, 25):
                found = by_tier[start : start + length]
                assert [(task.pk, _tier(task)) for task in found] == (
                    expected[start : start + length]
                ), (owner, start, length)


def test_the_pages_are_those_of_the_sorted_queue(
    sellers: list[User], open_tasks: list[Task]
) -> None:
    sorted_pages = Paginator(today_queue(ALL_OWNERS, now=NOW), 25)
    tier_pages = Paginator(QueueByTier(ALL_OWNERS, now=NOW), 25)

    assert tier_pages.count == sorted_pages.count == 90
    assert tier_pages.num_pages == sorted_pages.num_pages
    for number in sorted_pages.page_range:
        assert [task.pk for task in tier_pages.page(number).object_list] == [
            task.pk for task in sorted_pages.page(number).object_list
        ]


def test_a_tasks_lead_company_and_owner_come_with_it(
    sellers: list[User], open_tasks: list[Task]
) -> None:
    tasks = QueueByTier(ALL_OWNERS, now=NOW)[0:25]

    assert len(tasks) == 25
    assert all(
        "lead" in task._state.fields_cache and "owner" in task._state.fields_cache
        for task in tasks
    )


def test_a_page_reads_at_most_one_query_per_tier() -> None:
    assert len(QueueByTier(ALL_OWNERS, now=NOW).reads()) == QUEUE_READS
