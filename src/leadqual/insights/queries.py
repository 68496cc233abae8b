"""Read helpers for the KPIs: one ``LeadFacts`` row per lead, in a few queries.

Each helper runs one aggregate query over all leads of the period at once
(never one per lead), so the page costs the same handful of queries for 50
leads as for 5,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import F, Min, OuterRef, Q, QuerySet, Subquery

from leadqual.core.bands import Band
from leadqual.core.kpis import LeadFacts, MonthlyCost, local_day_start
from leadqual.core.lifecycle import (
    Decision,
    LeadStatus,
    OutcomeKind,
    RejectionReason,
    TaskKind,
)
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import CampaignCost
from leadqual.leads.models import Lead
from leadqual.scoring.models import BandChange, Score
from leadqual.triage.models import Feedback, Outcome, Qualification, Task
from leadqual.triage.services import CLOSED_BY_FIRST_CONTACT


@dataclass(frozen=True, slots=True)
class _Outcomes:
    opportunity_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None
    won_value_cents: int | None = None
    opportunity_value_cents: int | None = None
    # The band stored on the latest outcome that counts ("" before bands were).
    band: str = ""


def arrived_leads(
    start: date, end: date, *, source: str | None = None, zone: ZoneInfo = DUTCH_TIME
) -> QuerySet[Lead]:
    """Leads that arrived from ``start`` to ``end`` (both whole local days).

    With ``source``, only the leads from that source; None means every source.
    """
    leads = Lead.objects.filter(
        created_at__gte=local_day_start(start, zone=zone),
        created_at__lt=local_day_start(end + timedelta(days=1), zone=zone),
    )
    if source is not None:
        leads = leads.filter(source=source)
    return leads


def lead_sources() -> list[str]:
    """Every source that any lead came from, sorted; "" for leads without one."""
    return sorted(Lead.objects.order_by().values_list("source", flat=True).distinct())


def _first_hot_at(leads: QuerySet[Lead]) -> dict[int, datetime]:
    rows = (
        BandChange.objects.filter(lead__in=leads.values("pk"), to_band=Band.HOT.value)
        .order_by()
        .values("lead_id")
        .annotate(first_at=Min("changed_at"))
        .values_list("lead_id", "first_at")
    )
    return dict(rows)


@dataclass(frozen=True, slots=True)
class _Feedback:
    accepted: bool
    rejected_reason: str | None
    rating: int | None
    first_accepted_at: datetime | None
    band: str


def _latest_feedback(leads: QuerySet[Lead]) -> dict[int, _Feedback]:
    """Each lead's latest feedback, with the moment of its first acceptance."""
    rows = (
        Feedback.objects.filter(lead__in=leads.values("pk"))
        .order_by("lead_id", "given_at", "pk")
        .values_list("lead_id", "decision", "reason", "rating", "given_at", "band")
    )
    latest: dict[int, _Feedback] = {}
    # Ordered oldest first, so the last row of each lead wins and the first
    # acceptance is carried along.
    for lead_id, decision, reason, rating, given_at, band in rows:
        accepted = decision == Decision.ACCEPTED.value
        before = latest.get(lead_id)
        first_accepted_at = before.first_accepted_at if before is not None else None
        if accepted and first_accepted_at is None:
            first_accepted_at = given_at
        latest[lead_id] = _Feedback(
            accepted=accepted,
            rejected_reason=None if accepted else (reason or None),
            rating=rating,
            first_accepted_at=first_accepted_at,
            band=band,
        )
    return latest


def _outcomes(leads: QuerySet[Lead]) -> dict[int, _Outcomes]:
    """The first moment of each kind of outcome per lead, with the deal values.

    A won deal recorded without a value is worth its opportunity's value:
    the seller gave the value once, when the deal entered the pipeline.
    """
    rows = (
        # A reopened deal is open again: its won or lost outcome no longer counts.
        Outcome.objects.filter(lead__in=leads.values("pk"), reopened_at__isnull=True)
        .order_by("lead_id", "occurred_at", "pk")
        .values_list("lead_id", "kind", "occurred_at", "value_cents", "band")
    )
    first_at: dict[int, dict[str, datetime]] = {}
    latest_band: dict[int, str] = {}
    won_value: dict[int, int] = {}
    opportunity_value: dict[int, int] = {}
    # Ordered oldest first: the first moment of a kind stays, the latest
    # opportunity value wins (a seller may record the opportunity again).
    for lead_id, kind, occurred_at, value_cents, band in rows:
        first_at.setdefault(lead_id, {}).setdefault(kind, occurred_at)
        latest_band[lead_id] = band
        if value_cents is None:
            continue
        if kind == OutcomeKind.WON.value:
            won_value[lead_id] = won_value.get(lead_id, 0) + value_cents
        elif kind == OutcomeKind.OPPORTUNITY.value:
            opportunity_value[lead_id] = value_cents
    outcomes: dict[int, _Outcomes] = {}
    for lead_id, kinds in first_at.items():
        won_at = kinds.get(OutcomeKind.WON.value)
        outcomes[lead_id] = _Outcomes(
            opportunity_at=kinds.get(OutcomeKind.OPPORTUNITY.value),
            won_at=won_at,
            lost_at=kinds.get(OutcomeKind.LOST.value),
            won_value_cents=(
                won_value.get(lead_id, opportunity_value.get(lead_id))
                if won_at is not None
                else None
            ),
            opportunity_value_cents=opportunity_value.get(lead_id),
            band=latest_band.get(lead_id, ""),
        )
    return outcomes


def _first_contacts(leads: QuerySet[Lead]) -> dict[int, datetime]:
    rows = Qualification.objects.filter(
        lead__in=leads.values("pk"), first_contact_at__isnull=False
    ).values_list("lead_id", "first_contact_at")
    return {lead_id: moment for lead_id, moment in rows if moment is not None}


def _first_contact_due(leads: QuerySet[Lead]) -> dict[int, datetime]:
    """The due time of each lead's first first-contact task.

    A task closed before its due time without a contact (the lead cooled
    down, was rejected or became a deal) had no SLA left to miss: it does not
    count.
    """
    closed_early = Q(done_at__isnull=False, done_at__lt=F("due_at"))
    closed_early_without_contact = closed_early & ~Q(
        closed_reason=CLOSED_BY_FIRST_CONTACT
    )
    rows = (
        Task.objects.filter(
            lead__in=leads.values("pk"), kind=TaskKind.FIRST_CONTACT.value
        )
        .exclude(closed_early_without_contact)
        .order_by("lead_id", "created_at", "pk")
        .values_list("lead_id", "due_at")
    )
    due: dict[int, datetime] = {}
    for lead_id, due_at in rows:
        due.setdefault(lead_id, due_at)
    return due


def lead_facts(leads: QuerySet[Lead]) -> list[LeadFacts]:
    """One fact row per lead in ``leads``, ordered by arrival.

    Runs six queries whatever the number of leads: the leads themselves, and
    one aggregate each for band changes, feedback, outcomes, qualifications
    and first-contact tasks.
    """
    rows: Sequence[tuple[int, datetime, str, int | None, str, str, int | None]] = list(
        leads.order_by("created_at", "pk").values_list(
            "pk", "created_at", "source", "owner_id", "status", "band", "score_total"
        )
    )
    if not rows:
        return []
    first_hot = _first_hot_at(leads)
    feedback = _latest_feedback(leads)
    outcomes = _outcomes(leads)
    contacts = _first_contacts(leads)
    due = _first_contact_due(leads)
    no_outcome = _Outcomes()
    facts: list[LeadFacts] = []
    for lead_id, arrived_at, source, owner_id, status, band, score in rows:
        latest = feedback.get(lead_id)
        outcome = outcomes.get(lead_id, no_outcome)
        # The status says whether the deal is open now: an opportunity that
        # sales rejected afterwards keeps its outcome row but left the pipeline.
        is_open_opportunity = status == LeadStatus.OPPORTUNITY.value
        facts.append(
            LeadFacts(
                lead_id=lead_id,
                arrived_at=arrived_at,
                source=source,
                owner_id=owner_id,
                is_open_opportunity=is_open_opportunity,
                open_opportunity_value_cents=(
                    outcome.opportunity_value_cents if is_open_opportunity else None
                ),
                became_sales_ready_at=first_hot.get(lead_id),
                accepted=latest.accepted if latest is not None else None,
                rejected_reason=latest.rejected_reason if latest else None,
                opportunity_at=outcome.opportunity_at,
                won_at=outcome.won_at,
                lost_at=outcome.lost_at,
                won_value_cents=outcome.won_value_cents,
                first_contact_at=contacts.get(lead_id),
                first_contact_due_at=due.get(lead_id),
                band=band,
                score=score,
                rating=latest.rating if latest is not None else None,
                first_accepted_at=latest.first_accepted_at if latest else None,
                outcome_band=outcome.band or (latest.band if latest else ""),
            )
        )
    return facts


def facts_for_period(
    start: date, end: date, *, source: str | None = None, zone: ZoneInfo = DUTCH_TIME
) -> list[LeadFacts]:
    """Fact rows of the leads that arrived from ``start`` to ``end`` (local days)."""
    return lead_facts(arrived_leads(start, end, source=source, zone=zone))


def owner_names(owner_ids: Sequence[int]) -> dict[int, str]:
    """The name people know each owner by: full name, else the username."""
    users = User.objects.filter(pk__in=owner_ids).values_list(
        "pk", "first_name", "last_name", "username"
    )
    return {
        pk: f"{first_name} {last_name}".strip() or username
        for pk, first_name, last_name, username in users
    }


def explanations_at_no_fit_rejection(lead_ids: Sequence[int]) -> dict[int, object]:
    """The explanation JSON of each lead's score when sales rejected it as no fit.

    Per lead, the latest score computed at or before its latest "no fit"
    rejection: the score sales saw when deciding. A lead scored only after
    its rejection is left out. Two queries whatever the number of leads.
    """
    score_then = (
        Score.objects.filter(
            lead=OuterRef("lead"), computed_at__lte=OuterRef("given_at")
        )
        .order_by("-computed_at", "-pk")
        .values("pk")[:1]
    )
    rows = (
        Feedback.objects.filter(
            lead_id__in=lead_ids,
            decision=Decision.REJECTED.value,
            reason=RejectionReason.NO_FIT.value,
        )
        .annotate(score_id=Subquery(score_then))
        .order_by("lead_id", "given_at", "pk")
        .values_list("lead_id", "score_id")
    )
    score_of_lead: dict[int, int | None] = {}
    # Oldest first: the latest rejection of each lead wins.
    for lead_id, score_id in rows:
        score_of_lead[lead_id] = score_id
    score_ids = [score_id for score_id in score_of_lead.values() if score_id]
    if not score_ids:
        return {}
    explanations = dict(
        Score.objects.filter(pk__in=score_ids).values_list("pk", "explanation")
    )
    return {
        lead_id: explanations[score_id]
        for lead_id, score_id in score_of_lead.items()
        if score_id is not None
    }


def campaign_costs(start: date, end: date) -> list[MonthlyCost]:
    """The costs of every month that overlaps ``start`` to ``end``, in one query."""
    rows = CampaignCost.objects.filter(
        month__gte=start.replace(day=1), month__lte=end
    ).values_list("source", "month", "amount_cents")
    return [
        MonthlyCost(source=source, month=month, amount_cents=amount)
        for source, month, amount in rows
    ]


def recent_campaign_costs(*, limit: int = 120) -> list[CampaignCost]:
    """The latest costs entered, newest month first, then by source."""
    return list(
        CampaignCost.objects.select_related("entered_by").order_by("-month", "source")[
            :limit
        ]
    )
