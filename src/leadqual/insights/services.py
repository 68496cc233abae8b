"""The only code that stores campaign costs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from leadqual.core.kpis import MonthlyCost
from leadqual.insights.models import CampaignCost


def save_campaign_costs(
    costs: Sequence[MonthlyCost], *, entered_by: User | None, now: datetime
) -> int:
    """Store each source's cost per month, replacing an amount entered before.

    All or nothing, in one statement, rows in a stable order. Returns the
    number of costs stored.
    """
    ordered = sorted(costs, key=lambda cost: (cost.source, cost.month))
    with transaction.atomic():
        CampaignCost.objects.bulk_create(
            [
                CampaignCost(
                    source=cost.source,
                    month=cost.month.replace(day=1),
                    amount_cents=cost.amount_cents,
                    entered_by=entered_by,
                    entered_at=now,
                )
                for cost in ordered
            ],
            update_conflicts=True,
            unique_fields=["source", "month"],
            update_fields=["amount_cents", "entered_by", "entered_at"],
        )
    return len(ordered)
