"""A draft scoring model as the optimiser proposes it, on leads made with factories.

``history_with_outcomes`` lays twenty weeks of leads with sales' feedback and
outcomes; ``optimiser_draft`` runs the optimiser on them and stores its
proposal (``store_proposal``), as `leadqual optimise` does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.scoring.models import ScoringModelVersion
from leadqual.triage.optimiser import run_optimiser, store_proposal
from leadqual.triage.services import record_feedback, record_outcome
from tests.factories import EventFactory, LeadFactory


def history_with_outcomes(now: datetime, *, weeks: int = 20) -> None:
    """Six leads a week: strong ones (core sector, budget, a demo request)
    mostly accepted and won, weak ones mostly rejected."""
    for week in range(weeks):
        for index in range(6):
            arrived = now - timedelta(weeks=weeks - week, hours=index * 5)
            strong = index % 2 == 0
            lead = LeadFactory.create(
                created_at=arrived,
                sector="software" if strong else "horeca",
                budget_euros=20_000 if strong else 1_000,
                employees=40 if strong else 3,
                urgency="immediate" if strong else "exploring",
            )
            if strong:
                EventFactory.create(
                    lead=lead,
                    type="demo_request",
                    occurred_at=arrived,
                    received_at=arrived,
                    properties={},
                )
            touched = arrived + timedelta(days=2)
            if not (strong or index == 1):
                record_feedback(
                    lead,
                    Decision.REJECTED,
                    reason=RejectionReason.NO_FIT,
                    given_by=None,
                    now=touched,
                )
                continue
            record_feedback(
                lead, Decision.ACCEPTED, reason=None, given_by=None, now=touched
            )
            if strong and index != 4:
                record_outcome(
                    lead,
                    OutcomeKind.OPPORTUNITY,
                    recorded_by=None,
                    now=touched + timedelta(days=1),
                )
                record_outcome(
                    lead,
                    OutcomeKind.WON,
                    recorded_by=None,
                    now=touched + timedelta(days=5),
                )


def optimiser_draft(
    now: datetime, *, capacity_per_week: int | None = 3
) -> ScoringModelVersion:
    """The optimiser's proposal on ``history_with_outcomes``, stored as a draft;
    ``capacity_per_week`` None: the owners' capacities (none in that history)."""
    history_with_outcomes(now)
    run = run_optimiser(now=now, weeks=4, capacity_per_week=capacity_per_week)
    return store_proposal(run, now=now)
