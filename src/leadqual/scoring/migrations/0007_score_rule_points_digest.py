"""Each score keeps a digest of its points per rule, filled in for the stored ones.

The backfill reads the scores in id order, 2,000 at a time, so memory stays
flat however many there are; it decodes each explanation once.
"""

import hashlib
import json

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CHUNK = 2_000


def _digest(explanation: list[dict[str, object]]) -> str:
    # scoring.models.rule_points_digest as of this migration.
    text = json.dumps(
        [[line["rule"], line["points"]] for line in explanation], separators=(",", ":")
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def fill_digests(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    score_model = apps.get_model("scoring", "Score")
    after = 0
    while True:
        chunk = list(
            score_model.objects.filter(id__gt=after, rule_points_digest="")
            .order_by("id")
            .only("id", "explanation")[:CHUNK]
        )
        if not chunk:
            return
        for score in chunk:
            score.rule_points_digest = _digest(score.explanation)
        score_model.objects.bulk_update(chunk, ["rule_points_digest"])
        after = chunk[-1].id


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0006_score_ai_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="score",
            name="rule_points_digest",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=32,
                verbose_name="rule points digest",
            ),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
    ]
