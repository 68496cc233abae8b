"""Read helpers of the privacy app: inactive leads, the audit log."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from leadqual.leads.models import Event, Lead
from leadqual.privacy.models import AuditEntry
from leadqual.triage.models import Feedback, Outcome

AUDIT_PAGE_SIZE = 100


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (31 March - 1 month = 28/29 Feb)."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def inactive_leads(cutoff: datetime) -> QuerySet[Lead]:
    """Leads with no activity since ``cutoff``, not anonymised yet.

    Activity is any update of the lead, an event, sales feedback or an
    outcome at or after ``cutoff``.
    """
    since = {"lead": OuterRef("pk")}
    return (
        Lead.objects.filter(updated_at__lt=cutoff, created_at__lt=cutoff)
        .exclude(email__endswith="@invalid")
        .exclude(Exists(Event.objects.filter(**since, occurred_at__gte=cutoff)))
        .exclude(Exists(Event.objects.filter(**since, received_at__gte=cutoff)))
        .exclude(Exists(Feedback.objects.filter(**since, given_at__gte=cutoff)))
        .exclude(Exists(Outcome.objects.filter(**since, occurred_at__gte=cutoff)))
    )


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """What the audit log page is narrowed to; None means any."""

    lead_id: int | None = None
    actor: str | None = None
    action: str | None = None


def audit_entries(filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Audit entries matching ``filters``, newest first.

    Each filter is served by an index on (it, at, id); the actor is matched
    exactly, as the page offers the actors that are in the log.
    """
    entries = AuditEntry.objects.select_related("user").order_by("-at", "-pk")
    if filters.lead_id is not None:
        entries = entries.filter(lead_id=filters.lead_id)
    if filters.actor:
        entries = entries.filter(actor=filters.actor)
    if filters.action:
        entries = entries.filter(action=filters.action)
    return entries


def audit_actors() -> list[str]:
    """Every actor in the audit log, sorted, for the filter.

    One index seek per actor (the next name after the last one found) rather
    than a DISTINCT over every entry: the log grows with every page view, the
    number of people and API tokens in it does not.
    """
    actors: list[str] = []
    while True:
        following = AuditEntry.objects.order_by("actor").values_list("actor", flat=True)
        if actors:
            following = following.filter(actor__gt=actors[-1])
        actor = following.first()
        if actor is None:
            return actors
        actors.append(actor)
