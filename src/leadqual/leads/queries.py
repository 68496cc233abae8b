"""Read helpers: leads and their events as the core sees them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, Max, Q, QuerySet

from leadqual.core import events as core_events
from leadqual.core.bands import Band
from leadqual.core.profile import LeadProfile
from leadqual.core.scoring import EventWindow
from leadqual.leads.models import Event, Lead
from leadqual.users.permissions import user_role
from leadqual.users.roles import Role


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
        ai_probability=lead.ai_probability,
        arrived_at=lead.created_at,
    )


# Fetched beyond a window's edge, so that rounding a fractional day never
# leaves out an event the scorer would count; the scorer drops the extra ones.
_WINDOW_MARGIN = timedelta(days=1)


def events_for_scoring(
    lead_ids: Iterable[int], window: EventWindow, *, now: datetime
) -> dict[int, list[core_events.Event]]:
    """The events a scoring model reads, per lead id, oldest first, in two queries.

    Only events inside ``window`` are read, plus for each "latest of" type
    the lead's most recent event known at ``now`` when it lies outside the
    window: scoring these gives the same score as scoring every event.
    Properties are read only for the types whose rules test them. Leads
    without such events are absent from the result.
    """
    ids = sorted(set(lead_ids))
    if not ids:
        return {}
    by_lead: dict[int, list[core_events.Event]] = {}
    if window.days_by_type:
        for lead_id, event in _windowed_events(ids, window, now=now):
            by_lead.setdefault(lead_id, []).append(event)
    if window.latest_of:
        latest = (
            Event.objects.filter(
                lead_id__in=ids,
                type__in=[event_type.value for event_type in window.latest_of],
                occurred_at__lte=now,
                received_at__lte=now,
            )
            .values("lead_id", "type")
            .annotate(latest_at=Max("occurred_at"))
            .values_list("lead_id", "type", "latest_at")
        )
        for lead_id, type_name, latest_at in latest:
            events = by_lead.setdefault(lead_id, [])
            kind = core_events.EventType(type_name)
            if any(e.type is kind and e.occurred_at == latest_at for e in events):
                continue
            # Only its type and moment matter: "last activity" rules read
            # nothing else, and it lies outside every count rule's window.
            events.append(core_events.Event(type=kind, occurred_at=latest_at))
        for events in by_lead.values():
            events.sort(key=lambda event: event.occurred_at)
    return by_lead


def _windowed_events(
    ids: Sequence[int], window: EventWindow, *, now: datetime
) -> Iterator[tuple[int, core_events.Event]]:
    """(lead id, event) inside the window, per lead oldest first, in one query.

    Plain SQL rather than the ORM: rescoring reads tens of thousands of events
    per batch, and the ORM's conversion of every date and JSON value costs
    more than the query. Dates are converted here, properties decoded only
    when a rule reads them.
    """
    adapt = connection.ops.adapt_datetimefield_value
    types = list(window.days_by_type.items())
    conditions: list[str] = []
    params: list[Any] = []
    for event_type, days in types:
        if days is None:
            conditions.append("type = %s")
            params.append(event_type.value)
        else:
            since = now - timedelta(days=days) - _WINDOW_MARGIN
            conditions.append("(type = %s AND occurred_at >= %s)")
            params.extend([event_type.value, adapt(since)])
    table = connection.ops.quote_name(Event._meta.db_table)
    sql = (
        f"SELECT lead_id, type, occurred_at, received_at, properties FROM {table} "
        f"WHERE lead_id IN ({', '.join(['%s'] * len(ids))}) "
        f"AND ({' OR '.join(conditions)}) ORDER BY lead_id, occurred_at, id"
    )
    to_moment = _moment_reader()
    wanted = window.with_properties
    types_by_name = {event_type.value: event_type for event_type, _days in types}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *params])
        for lead_id, type_name, occurred_at, received_at, properties in cursor:
            event_type = types_by_name[type_name]
            yield (
                lead_id,
                core_events.Event(
                    type=event_type,
                    occurred_at=to_moment(occurred_at),
                    properties=_properties(properties) if event_type in wanted else {},
                    received_at=to_moment(received_at),
                ),
            )


def _moment_reader() -> Callable[[Any], datetime]:
    """How to read a stored date and time: SQLite gives it naive in UTC (as a
    datetime through Django's converter, or as text), PostgreSQL aware."""
    if connection.vendor != "sqlite":
        return lambda value: value

    def read(value: Any) -> datetime:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

    return read


def _properties(value: Any) -> dict[str, core_events.JsonValue]:
    if value is None:
        return {}
    if isinstance(value, str):
        decoded = json.loads(value)
        return decoded if isinstance(decoded, dict) else {}
    return value if isinstance(value, dict) else {}


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


def visible_leads(user: User, leads: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """The leads a user may see: sales their own and unassigned ones, others all.

    With LEADQUAL_SALES_SEE_ALL_LEADS=true sales see every lead too; users
    without a role see none. ``leads`` narrows a query of the caller's (its
    order and annotations kept); without it, all leads. The pages and the
    API (for a token's user) both use this one rule.
    """
    base = Lead.objects.all() if leads is None else leads
    role = user_role(user)
    if role in (Role.ADMIN, Role.MARKETING):
        return base
    if role is Role.SALES and settings.SALES_SEE_ALL_LEADS:
        return base
    if role is Role.SALES:
        return base.filter(Q(owner=user) | Q(owner__isnull=True))
    return base.none()


def every_event(lead_ids: Iterable[int]) -> dict[int, list[core_events.Event]]:
    """Every event of the leads with its properties, per lead id oldest first.

    For replays (the optimiser's backtest), which judge each lead at its own
    moment: the caller keeps what was known then. Plain SQL in chunks, as
    ``_windowed_events``: a backtest reads hundreds of thousands of events.
    Leads without events are absent from the result.
    """
    ids = sorted(set(lead_ids))
    by_lead: dict[int, list[core_events.Event]] = {}
    table = connection.ops.quote_name(Event._meta.db_table)
    to_moment = _moment_reader()
    types = {event_type.value: event_type for event_type in core_events.EventType}
    for start in range(0, len(ids), _EVENT_CHUNK):
        chunk = ids[start : start + _EVENT_CHUNK]
        sql = (
            f"SELECT lead_id, type, occurred_at, received_at, properties FROM {table} "
            f"WHERE lead_id IN ({', '.join(['%s'] * len(chunk))}) "
            "ORDER BY lead_id, occurred_at, id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, chunk)
            for lead_id, type_name, occurred_at, received_at, properties in cursor:
                event_type = types.get(type_name)
                if event_type is None:
                    continue
                by_lead.setdefault(lead_id, []).append(
                    core_events.Event(
                        type=event_type,
                        occurred_at=to_moment(occurred_at),
                        properties=_properties(properties),
                        received_at=to_moment(received_at),
                    )
                )
    return by_lead


# SQLite allows 32,766 parameters per query; stay far below it.
_EVENT_CHUNK = 2_000
