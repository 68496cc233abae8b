"""Read helpers for the KPIs.

The KPI page reads the stored daily sums (``kpi_days``) and the times to
first contact (``kpi_lead_times``), kept up to date by
``triage.kpi_facts.refresh_kpi_facts``: its cost follows the days shown, not
the leads. ``facts_for_period`` computes one ``LeadFacts`` row per lead in a
few aggregate queries (``triage.kpi_facts.lead_facts``), for the team page
and the weekly report, and as the reference the sums are checked against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    CharField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast

from leadqual.core.kpis import (
    KPI_COUNT_FIELDS,
    DayCounts,
    GroupTimes,
    KpiCounts,
    LeadFacts,
    MonthlyCost,
    hours_of_microseconds,
    local_day_start,
)
from leadqual.core.lifecycle import Decision, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import CampaignCost
from leadqual.leads.models import Lead
from leadqual.scoring.models import Score
from leadqual.triage.kpi_facts import lead_facts
from leadqual.triage.models import NO_SCORE_BUCKET, Feedback, KpiDay, LeadKpiFact

__all__ = ["lead_facts"]


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


def kpi_sources() -> list[str]:
    """Every source that any lead came from, sorted, from the KPI sums.

    The same as ``lead_sources`` (every lead counts in a ``KpiDay`` row of its
    source; a row whose last lead left holds zeros), from a table with a row
    per day and group instead of one per lead.
    """
    rows = KpiDay.objects.filter(leads_in__gt=0).order_by()
    return sorted(rows.values_list("source", flat=True).distinct())


def lead_sources() -> list[str]:
    """Every source that any lead came from, sorted; "" for leads without one."""
    return sorted(Lead.objects.order_by().values_list("source", flat=True).distinct())


def kpi_days(start: date, end: date, *, source: str | None = None) -> list[DayCounts]:
    """The stored daily sums of the leads that arrived from ``start`` to ``end``.

    One query over ``KpiDay`` (a row per day, source, band and score bucket),
    whatever the number of leads. With ``source``, only that source.
    """
    rows = KpiDay.objects.filter(day__gte=start, day__lte=end, leads_in__gt=0)
    if source is not None:
        rows = rows.filter(source=source)
    columns = ("day", "source", "band", "score_bucket", *KPI_COUNT_FIELDS)
    return [
        DayCounts(
            day=day,
            source=row_source,
            band=band,
            score_bucket=None if bucket == NO_SCORE_BUCKET else bucket,
            counts=KpiCounts(*sums),
        )
        for day, row_source, band, bucket, *sums in rows.values_list(*columns)
    ]


def kpi_lead_times(
    start: date, end: date, *, source: str | None = None, now: datetime
) -> dict[tuple[date, str, str], GroupTimes]:
    """The times to first contact of the period's contacted leads, and its
    leads whose first-contact task is still waiting at ``now``, per day,
    source and band.

    Read from one covering index (``lead_kpi_fact_times``) that holds only
    the leads with a first contact or an open first-contact task: one narrow
    row per such lead, as a median needs every value.
    """
    rows = LeadKpiFact.objects.filter(
        Q(microseconds_to_first_contact__isnull=False)
        | Q(waiting_due_at__isnull=False),
        arrival_day__gte=start,
        arrival_day__lte=end,
    )
    if source is not None:
        rows = rows.filter(source=source)
    rows = rows.annotate(
        # The day as text: no date object built per row, one per distinct day.
        day_text=Cast("arrival_day", output_field=CharField()),
        waiting=Case(
            When(waiting_due_at__gt=now, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    days: dict[str, date] = {}
    times: dict[tuple[date, str, str], GroupTimes] = {}
    for (
        day_text,
        row_source,
        band,
        microseconds,
        working_hours,
        waiting,
    ) in rows.values_list(
        "day_text",
        "source",
        "band",
        "microseconds_to_first_contact",
        "working_hours_to_first_contact",
        "waiting",
    ).iterator(chunk_size=5_000):
        day = days.get(day_text)
        if day is None:
            day = days[day_text] = date.fromisoformat(day_text[:10])
        group = times.get((day, row_source, band))
        if group is None:
            group = times[(day, row_source, band)] = GroupTimes()
        group.waiting_for_first_contact += waiting
        if microseconds is not None:
            group.hours_to_first_contact.append(hours_of_microseconds(microseconds))
        if working_hours is not None:
            group.working_hours_to_first_contact.append(working_hours)
    return times


def no_fit_lead_ids(start: date, end: date, *, source: str | None = None) -> list[int]:
    """The leads of the period whose latest feedback is a "no fit" rejection."""
    rows = LeadKpiFact.objects.filter(
        arrival_day__gte=start, arrival_day__lte=end, rejected_no_fit=1
    )
    if source is not None:
        rows = rows.filter(source=source)
    return sorted(rows.values_list("lead_id", flat=True))


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
