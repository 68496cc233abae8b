"""Read helpers: leads and their events as the core sees them."""

from __future__ import annotations

from django.db.models import F, QuerySet

from leadqual.core.bands import Band
from leadqual.core.events import Event, EventType
from leadqual.core.profile import LeadProfile
from leadqual.leads.models import Event as EventRow
from leadqual.leads.models import Lead


def lead_profile(lead: Lead) -> LeadProfile:
    """The lead's fields as the scoring core reads them."""
    company = lead.company if lead.company_id else None
    return LeadProfile(
        email=lead.email,
        sector=lead.sector or None,
        employees=lead.employees,
        budget_euros=lead.budget_euros,
        urgency=lead.urgency or None,
        job_title=lead.job_title or None,
        country=lead.country or None,
        region=lead.region or None,
        source=lead.source or None,
        company_name=company.name if company else None,
        phone=lead.phone or None,
        account_score=company.account_score if company else None,
        account_engaged_contacts=company.engaged_contacts if company else None,
    )


def to_core_event(row: EventRow) -> Event:
    return Event(
        type=EventType(row.type),
        occurred_at=row.occurred_at,
        properties=row.properties or {},
        received_at=row.received_at,
    )


def lead_events(lead: Lead) -> list[Event]:
    """Every event of the lead, oldest first, as core events."""
    rows = EventRow.objects.filter(lead=lead).order_by("occurred_at", "id")
    return [to_core_event(row) for row in rows]


def leads_by_score(band: Band | None = None) -> QuerySet[Lead]:
    """Leads with the highest score first (unscored last), optionally in one band."""
    leads = Lead.objects.select_related("company", "owner")
    if band is not None:
        leads = leads.filter(band=band.value)
    # PostgreSQL sorts NULL first in descending order, SQLite last: say it.
    return leads.order_by(F("score_total").desc(nulls_last=True), "-id")


def find_lead_by_email(email: str) -> Lead | None:
    """The lead with this normalised email, or None."""
    return Lead.objects.filter(email=email).first()
