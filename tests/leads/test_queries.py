"""Read helpers: the events a scoring model reads give the score of the full history."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings

from leadqual.core.events import Event as CoreEvent
from leadqual.core.events import EventType
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import LeadProfile
from leadqual.core.scoring import (
    EventCount,
    Group,
    GroupSettings,
    Rule,
    ScoringModel,
    event_window,
    score_lead,
)
from leadqual.leads.models import Event
from leadqual.leads.queries import (
    events_for_scoring,
    latest_known_query,
    windowed_events_query,
)
from leadqual.scoring.services import default_model_source
from tests.core.test_scoring_properties import NOW, event_lists, scoring_models
from tests.factories import EventFactory, LeadFactory

pytestmark = pytest.mark.django_db


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(model=scoring_models(), history=event_lists)
def test_the_window_of_events_scores_exactly_like_every_event(
    model: ScoringModel, history: list[CoreEvent]
) -> None:
    """Rescoring reads only the model's window (plus the latest event last-
    activity rules need), and gets the same score, explanation and all."""
    lead = LeadFactory.create()
    stored = [
        dataclasses.replace(event, received_at=event.received_at or event.occurred_at)
        for event in history
    ]
    Event.objects.bulk_create(
        Event(
            lead=lead,
            type=event.type.value,
            occurred_at=event.occurred_at,
            received_at=event.received_at or event.occurred_at,
            properties=dict(event.properties),
        )
        for event in stored
    )
    profile = LeadProfile(email=lead.email)

    windowed = events_for_scoring([lead.pk], event_window(model), now=NOW)

    assert score_lead(profile, windowed.get(lead.pk, []), model, now=NOW) == (
        score_lead(profile, stored, model, now=NOW)
    )


def test_an_event_just_inside_a_rules_window_is_read_and_one_outside_is_not() -> None:
    lead = LeadFactory.create()
    model = ScoringModel(
        name="Pricing",
        groups={
            Group.FIT: GroupSettings(cap=40),
            Group.INTENT: GroupSettings(cap=35),
            Group.ENGAGEMENT: GroupSettings(cap=25),
        },
        rules=(
            Rule(
                name="pricing",
                group=Group.INTENT,
                points=10,
                condition=EventCount(EventType.PAGE_VIEW, within_days=30),
                label="Viewed pricing",
            ),
        ),
    )
    for days_ago in (29.99, 40):
        EventFactory.create(
            lead=lead, type="page_view", occurred_at=NOW - timedelta(days=days_ago)
        )

    (read,) = events_for_scoring([lead.pk], event_window(model), now=NOW)[lead.pk]

    assert read.occurred_at == NOW - timedelta(days=29.99)


def _plan(sql: str, params: list[Any]) -> str:
    """The database's plan for the query, as a big events table would get it."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables are always scanned; say the table is big.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_rescoring_reads_only_the_windows_and_the_latest_events_by_index() -> None:
    """A lead's history outside the model's windows is never read: each type's
    window is one index range and each latest event one index seek, so the
    real-time path costs the same for ten events as for a hundred thousand."""
    leads = LeadFactory.create_batch(3)
    ids = [lead.pk for lead in leads]
    # Enough history of many types for the planner's statistics to tell the
    # indexes apart (PostgreSQL picks by estimated cost).
    kinds = list(EventType)
    Event.objects.bulk_create(
        Event(
            lead=lead,
            type=kinds[index % len(kinds)].value,
            occurred_at=NOW - timedelta(days=index % 400, minutes=index),
            received_at=NOW - timedelta(days=index % 400, minutes=index),
        )
        for lead in leads
        for index in range(600)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_event")
    window = event_window(parse_scoring_model(default_model_source(), version=1))

    windowed = _plan(*windowed_events_query(ids, window, now=NOW))
    latest = _plan(*latest_known_query(ids, sorted(window.latest_of), now=NOW))

    for plan in (windowed, latest):
        assert "event_lead_type_time" in plan, plan
        assert "event_lead_time" not in plan.replace("event_lead_type_time", ""), plan
    if connection.vendor == "sqlite":
        assert "SCAN leads_event" not in windowed + latest
