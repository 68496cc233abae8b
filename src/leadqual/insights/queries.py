"""Read helpers for the KPIs.

The KPI page reads the stored daily sums (``kpi_days``), the times to
first contact (``kpi_lead_times``) and the rules behind "no fit" rejections
(``kpi_no_fit_rules``), kept up to date by
``triage.kpi_facts.refresh_kpi_facts``: its cost follows the days shown, not
the leads; the team page adds the stored facts per owner
(``kpi_counts_per_owner``). ``facts_for_period`` computes one ``LeadFacts`` row
per lead in a few aggregate queries (``triage.kpi_facts.lead_facts``), for the
weekly report, and as the reference the sums are checked against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import CharField, Count, Min, OuterRef, QuerySet, Subquery, Sum
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
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import CampaignCost
from leadqual.leads.models import Lead
from leadqual.triage.kpi_facts import explanations_at_no_fit_rejection, lead_facts
from leadqual.triage.models import NO_SCORE_BUCKET, KpiDay, KpiNoFitRule, LeadKpiFact

__all__ = ["explanations_at_no_fit_rejection", "lead_facts"]


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


def contacted_leads(
    start: date, end: date, *, source: str | None = None
) -> QuerySet[LeadKpiFact]:
    """The KPI facts of the period's leads with a first contact."""
    rows = LeadKpiFact.objects.filter(
        microseconds_to_first_contact__isnull=False,
        arrival_day__gte=start,
        arrival_day__lte=end,
    )
    return rows if source is None else rows.filter(source=source)


def waiting_first_contacts(
    start: date, end: date, *, source: str | None = None, now: datetime
) -> QuerySet[LeadKpiFact]:
    """The KPI facts of the period's leads whose first-contact task, without a
    contact yet, is due after ``now`` (the SLA does not count them yet)."""
    rows = LeadKpiFact.objects.filter(
        waiting_due_at__gt=now, arrival_day__gte=start, arrival_day__lte=end
    )
    return rows if source is None else rows.filter(source=source)


def kpi_lead_times(
    start: date, end: date, *, source: str | None = None, now: datetime
) -> dict[tuple[date, str, str], GroupTimes]:
    """The times to first contact of the period's contacted leads, and its
    leads whose first-contact task is still waiting at ``now``, per day,
    source and band.

    The times come from one covering index (``lead_kpi_fact_contact_times``) of the
    contacted leads only: one narrow row per such lead, as a median needs
    every value. The waiting tasks are counted from ``lead_kpi_fact_waiting``
    (the due times of the tasks without a contact), read from ``now`` on:
    only the tasks not yet due, whatever the number of overdue ones.
    """
    rows = contacted_leads(start, end, source=source)
    # The day as text: no date object built per row, one per distinct day.
    rows = rows.annotate(day_text=Cast("arrival_day", output_field=CharField()))
    days: dict[str, date] = {}
    times: dict[tuple[date, str, str], GroupTimes] = {}
    for (
        day_text,
        row_source,
        band,
        microseconds,
        working_hours,
    ) in rows.values_list(
        "day_text",
        "source",
        "band",
        "microseconds_to_first_contact",
        "working_hours_to_first_contact",
    ).iterator(chunk_size=5_000):
        day = days.get(day_text)
        if day is None:
            day = days[day_text] = date.fromisoformat(day_text[:10])
        group = times.get((day, row_source, band))
        if group is None:
            group = times[(day, row_source, band)] = GroupTimes()
        # Both are stored for every contacted lead.
        if microseconds is not None:
            group.hours_to_first_contact.append(hours_of_microseconds(microseconds))
        if working_hours is not None:
            group.working_hours_to_first_contact.append(working_hours)
    counts = (
        waiting_first_contacts(start, end, source=source, now=now)
        .order_by()
        .values("arrival_day", "source", "band")
        .annotate(leads=Count("pk"))
        .values_list("arrival_day", "source", "band", "leads")
    )
    for day, row_source, band, leads in counts:
        group = times.setdefault((day, row_source, band), GroupTimes())
        group.waiting_for_first_contact += leads
    return times


def _lead_owner() -> Subquery:
    """A fact row's lead's owner now, one index lookup per row: the sums are
    kept per day, source and band, not per owner."""
    return Subquery(Lead.objects.filter(pk=OuterRef("lead_id")).values("owner_id"))


def kpi_counts_per_owner(
    start: date, end: date, *, now: datetime
) -> dict[int | None, tuple[KpiCounts, GroupTimes]]:
    """The sums and times to first contact of the period's leads per owner
    (None: nobody), from their stored KPI facts.

    Three queries; the sums read one fact row per lead of the period (about
    0.8 s for 500,000 leads on SQLite), not the leads' history as
    ``facts_for_period`` does.
    """
    facts = LeadKpiFact.objects.filter(arrival_day__gte=start, arrival_day__lte=end)
    sums = (
        facts.annotate(lead_owner=_lead_owner())
        .order_by()
        .values("lead_owner")
        .annotate(**{f"sum_{name}": Sum(name) for name in KPI_COUNT_FIELDS})
        .values_list("lead_owner", *(f"sum_{name}" for name in KPI_COUNT_FIELDS))
    )
    groups: dict[int | None, tuple[KpiCounts, GroupTimes]] = {
        owner: (KpiCounts(*totals), GroupTimes()) for owner, *totals in sums
    }
    contacted = (
        contacted_leads(start, end)
        .annotate(lead_owner=_lead_owner())
        .values_list(
            "lead_owner",
            "microseconds_to_first_contact",
            "working_hours_to_first_contact",
        )
    )
    for owner, microseconds, working_hours in contacted.iterator(chunk_size=5_000):
        times = groups[owner][1]
        if microseconds is not None:
            times.hours_to_first_contact.append(hours_of_microseconds(microseconds))
        if working_hours is not None:
            times.working_hours_to_first_contact.append(working_hours)
    waiting = (
        waiting_first_contacts(start, end, now=now)
        .annotate(lead_owner=_lead_owner())
        .order_by()
        .values("lead_owner")
        .annotate(leads=Count("pk"))
        .values_list("lead_owner", "leads")
    )
    for owner, leads in waiting:
        groups[owner][1].waiting_for_first_contact += leads
    return groups


def kpi_no_fit_rules(
    start: date, end: date, *, source: str | None = None
) -> tuple[list[tuple[str, int, int]], int]:
    """The rules behind the period's "no fit" rejections, from the stored sums.

    Per rule: its name, how many of the period's leads rejected as no fit it
    gave points to in the score sales saw, and the lowest id among those
    leads; then how many such leads had a score then (what the counts are a
    share of). Two queries over rows per day, source and rule (``KpiNoFitRule``)
    and per day and group (``KpiDay``), whatever the number of leads.
    """
    rules = KpiNoFitRule.objects.filter(day__gte=start, day__lte=end, leads__gt=0)
    days = KpiDay.objects.filter(day__gte=start, day__lte=end, leads_in__gt=0)
    if source is not None:
        rules = rules.filter(source=source)
        days = days.filter(source=source)
    counts = (
        rules.order_by()
        .values("rule")
        .annotate(leads=Sum("leads"), first_lead_id=Min("first_lead_id"))
        .values_list("rule", "leads", "first_lead_id")
    )
    explained = days.aggregate(total=Sum("no_fit_explained"))["total"] or 0
    return [
        (rule, int(leads), int(first))
        for rule, leads, first in counts
        if leads and first is not None
    ], int(explained)


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
