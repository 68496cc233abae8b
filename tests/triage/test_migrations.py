"""Data migrations of triage: bands of earlier feedback (0009), the KPI sums (0011)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadqual.scoring.services import ensure_default_model
from tests.factories import LeadFactory

BEFORE = [("triage", "0008_feedback_rating")]
AFTER = [("triage", "0009_band_at_feedback_and_outcome")]
# Scores live in scoring, which 0008 does not depend on; migrating back to
# 0008 leaves scoring as it is (with the ai column and the rule points
# digest), so its state must too.
SCORES = [("scoring", "0007_score_rule_points_digest")]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_earlier_feedback_and_outcomes_get_the_band_of_the_score_then() -> None:
    scored = LeadFactory.create(band="cold", score_total=10)
    never_scored = LeadFactory.create(band="warm", score_total=None)
    # A transactional test before this one may have flushed the installed model.
    version = ensure_default_model(now=T0)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE + SCORES).apps
        Score = apps.get_model("scoring", "Score")
        Feedback = apps.get_model("triage", "Feedback")
        Outcome = apps.get_model("triage", "Outcome")
        for band, hours in (("warm", 0), ("hot", 5)):
            Score.objects.create(
                lead_id=scored.pk, scoring_model_id=version.pk, model_version=version.version,
                fit=0, intent=0, engagement=0, total=50, band=band,
                computed_at=T0 + timedelta(hours=hours),
            )  # fmt: skip
        Feedback.objects.create(
            lead_id=scored.pk, decision="accepted", given_at=T0 + timedelta(hours=1)
        )
        Outcome.objects.create(
            lead_id=scored.pk, kind="won", occurred_at=T0 + timedelta(hours=6)
        )
        Feedback.objects.create(
            lead_id=never_scored.pk, decision="accepted", given_at=T0
        )

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        apps = executor.loader.project_state(AFTER).apps
        Feedback = apps.get_model("triage", "Feedback")
        Outcome = apps.get_model("triage", "Outcome")

        assert Feedback.objects.get(lead_id=scored.pk).band == "warm"
        assert Outcome.objects.get(lead_id=scored.pk).band == "hot"
        # No score that old: the band the lead has at the migration.
        assert Feedback.objects.get(lead_id=never_scored.pk).band == "warm"
    finally:
        # Later tests need the schema of today, also when this one failed.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_kpi_sums_migration_counts_the_leads_already_there() -> None:
    """An existing database gets the KPI page's sums on migrating: 0011 adds
    the tables, 0013 (which adds the no-fit rules) fills them all."""
    LeadFactory.create(source="website", created_at=T0)
    LeadFactory.create(source="website", created_at=T0 + timedelta(hours=1))
    LeadFactory.create(source="event", created_at=T0 + timedelta(days=1))
    before = [("triage", "0010_open_task_queue_index")]
    after = [("triage", "0013_kpi_no_fit_rules_and_waiting")]
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(before)

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        KpiDay = apps.get_model("triage", "KpiDay")
        LeadKpiFact = apps.get_model("triage", "LeadKpiFact")

        assert LeadKpiFact.objects.count() == 3
        assert sorted(KpiDay.objects.values_list("day", "source", "leads_in")) == [
            (T0.date(), "website", 2),
            ((T0 + timedelta(days=1)).date(), "event", 1),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
