"""Demo plans as the replay sees them: LeadHistory per planned lead, no database."""

from __future__ import annotations

from leadqual.core.backtest import Conversion, LeadHistory, decision_moment
from leadqual.core.events import Event
from leadqual.core.lifecycle import Decision, OutcomeKind
from leadqual.demo.generator import DemoPlan, lead_profile


def plan_histories(plan: DemoPlan) -> list[LeadHistory]:
    """Every planned lead as a LeadHistory, judged as ``decision_moment`` says."""
    histories = []
    for planned in plan.leads:
        feedback = planned.feedback
        kinds = {outcome.kind for outcome in planned.outcomes}
        touches = [outcome.at for outcome in planned.outcomes]
        if feedback is not None:
            touches.append(feedback.at)
        events = tuple(
            Event(
                type=event.type,
                occurred_at=event.occurred_at,
                properties=event.properties,
                received_at=batch.received_at,
            )
            for batch in planned.batches
            for event in batch.events
        )
        histories.append(
            LeadHistory(
                lead_id=planned.number,
                profile=lead_profile(
                    planned.email, planned.fields, arrived_at=planned.arrived_at
                ),
                events=events,
                decided_at=decision_moment(
                    planned.arrived_at, min(touches) if touches else None
                ),
                conversion=Conversion(
                    reviewed=feedback is not None,
                    accepted=feedback is not None
                    and feedback.decision is Decision.ACCEPTED,
                    opportunity=OutcomeKind.OPPORTUNITY in kinds,
                    won=OutcomeKind.WON in kinds,
                ),
            )
        )
    return histories
