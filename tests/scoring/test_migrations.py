"""Renaming ScoringModel to ScoringModelVersion keeps who may use it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

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
