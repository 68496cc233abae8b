"""Give the lead timeline the sales actions recorded before it existed.

Feedback, outcomes and first contacts become sales actions with their own
moments and people; BANT answers before this migration have no history.
"""

from typing import Any

from django.db import migrations


def backfill(apps: Any, schema_editor: Any) -> None:
    feedback_model = apps.get_model("triage", "Feedback")
    outcome_model = apps.get_model("triage", "Outcome")
    qualification_model = apps.get_model("triage", "Qualification")
    action_model = apps.get_model("triage", "SalesAction")
    actions = [
        action_model(
            lead_id=row.lead_id,
            kind=row.decision,
            detail=row.reason,
            done_by_id=row.given_by_id,
            done_at=row.given_at,
        )
        for row in feedback_model.objects.order_by("pk").iterator()
    ]
    actions += [
        action_model(
            lead_id=row.lead_id,
            kind=row.kind,
            detail=str(row.value_cents) if row.value_cents is not None else "",
            done_by_id=row.recorded_by_id,
            done_at=row.occurred_at,
        )
        for row in outcome_model.objects.order_by("pk").iterator()
    ]
    actions += [
        action_model(
            lead_id=row.lead_id,
            kind="first_contact",
            done_by_id=row.first_contact_by_id,
            done_at=row.first_contact_at,
        )
        for row in qualification_model.objects.filter(
            first_contact_at__isnull=False
        ).order_by("pk")
    ]
    action_model.objects.bulk_create(actions, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("triage", "0004_sales_actions_notes_and_reopened_outcomes")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
