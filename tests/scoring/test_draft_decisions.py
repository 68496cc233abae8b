"""Deciding on a draft scoring model happens once, also when two people try at once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.db import connection

from leadqual.core.errors import DraftAlreadyDecided
from leadqual.scoring.models import DraftDecision, ScoringModelVersion
from leadqual.scoring.services import (
    approve_draft,
    default_model_source,
    ensure_default_model,
    reject_draft,
    store_draft_scoring_model,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _decide_at_once(version: int) -> list[str]:
    """An approval and a rejection of ``version`` started at the same moment,
    each in its own thread and database connection; what each one got."""
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(approve: bool) -> None:  # noqa: FBT001 (the thread's one argument)
        try:
            start.wait()
            if approve:
                approve_draft(version, by=None, now=NOW)
            else:
                reject_draft(version, by=None, reason="Te vroeg", now=NOW)
            outcomes.append("approved" if approve else "rejected")
        except DraftAlreadyDecided:
            outcomes.append("already decided")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(flag,)) for flag in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


# The in-memory SQLite test database shares one cache between threads and
# fails a second writer at once ("database table is locked") instead of
# queueing it; the app's own SQLite (a file, WAL, IMMEDIATE transactions)
# queues it. CI runs these on PostgreSQL, where rows are locked as in use.
two_writers_at_once = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="two writers at once need a database file or server, not shared memory",
)


@two_writers_at_once
@pytest.mark.django_db(transaction=True)
def test_of_two_decisions_at_the_same_moment_only_one_counts() -> None:
    ensure_default_model(now=NOW)
    draft = store_draft_scoring_model(default_model_source(), {}, now=NOW)

    outcomes = _decide_at_once(draft.version)

    assert sorted(outcomes)[0] == "already decided"
    assert len(outcomes) == 2
    draft.refresh_from_db()
    assert draft.decision in (DraftDecision.APPROVED, DraftDecision.REJECTED)
    assert draft.is_active is (draft.decision == DraftDecision.APPROVED)
    assert ScoringModelVersion.objects.filter(is_active=True).count() == 1


@two_writers_at_once
@pytest.mark.django_db(transaction=True)
def test_two_workers_storing_one_weeks_proposal_at_once_store_one_draft() -> None:
    ensure_default_model(now=NOW)
    week = date(2026, 11, 23)
    start = threading.Barrier(2)
    stored: list[int] = []

    def store() -> None:
        try:
            start.wait()
            draft = store_draft_scoring_model(
                default_model_source(), {}, now=NOW, week_of=week
            )
            stored.append(draft.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=store) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(stored) == 2
    assert stored[0] == stored[1]
    assert ScoringModelVersion.objects.filter(week_of=week).count() == 1
    assert ScoringModelVersion.objects.filter(is_draft=True).count() == 1
