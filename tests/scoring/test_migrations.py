"""Scoring migrations: the rename keeps who may use it; stored scores get their digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadqual.scoring.models import Score, rule_points_digest
from leadqual.scoring.services import ensure_default_model
from tests.factories import LeadFactory

BEFORE = [("scoring", "0002_install_default_model")]
AFTER = [("scoring", "0003_scoring_model_version")]


@pytest.mark.django_db(transaction=True)
def test_a_group_that_could_add_scoring_models_still_can_after_the_rename() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # Only the scoring app went back; contenttypes and auth are as they are.
    ContentType.objects.clear_cache()
    ContentType.objects.filter(
        app_label="scoring", model="scoringmodelversion"
    ).delete()
    content_type, _created = ContentType.objects.get_or_create(
        app_label="scoring", model="scoringmodel"
    )
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type,
        codename="add_scoringmodel",
        defaults={"name": "Can add scoring model"},
    )
    marketing = Group.objects.create(name="marketing-before-rename")
    marketing.permissions.add(permission)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    group = Group.objects.get(name="marketing-before-rename")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == {"add_scoringmodelversion"}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_stored_scores_get_the_digest_of_their_points_per_rule() -> None:
    """Migration 0007 fills in the digest a rescore compares, for every stored
    score (more than one backfill chunk), from its explanation."""
    moment = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    version = ensure_default_model(now=moment)
    leads = LeadFactory.create_batch(3)
    before = [("scoring", "0006_score_ai_group")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_score = executor.loader.project_state(before).apps.get_model("scoring", "Score")
    explanations = [
        [
            {"rule": "demo", "group": "intent", "points": 20 + index % 7,
             "reason": "Asked for a demo"},
            {"rule": "fit_limit", "group": "fit", "points": -3, "reason": "capped",
             "is_adjustment": True},
        ][: 1 + index % 2]
        for index in range(2_050)
    ]  # fmt: skip
    old_score.objects.bulk_create(
        old_score(
            lead_id=leads[index % 3].pk, scoring_model_id=version.pk,
            model_version=version.version, fit=0, intent=20, engagement=0,
            total=20, band="cold", explanation=explanation,
            computed_at=moment + timedelta(minutes=index),
        )
        for index, explanation in enumerate(explanations)
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    stored = Score.objects.order_by("id").values_list(
        "explanation", "rule_points_digest"
    )
    assert len(stored) == len(explanations)
    for explanation, digest in stored:
        assert digest == rule_points_digest(
            (line["rule"], line["points"]) for line in explanation
        )
    assert len({digest for _explanation, digest in stored}) == 14
