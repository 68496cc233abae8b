"""Read helpers: leads and their events as the core sees them."""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, Q, QuerySet

from leadqual.core import batch_scoring as batch
from leadqual.core import events as core_events
from leadqual.core.bands import Band
from leadqual.core.hygiene import email_domain, is_disposable, is_free_mail
from leadqual.core.profile import FieldValue, LeadProfile
from leadqual.core.scoring import EventWindow
from leadqual.leads.models import Company, Event, Lead
from leadqual.paging import PagedRows, count_up_to
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
        for lead_id, kind, latest_at in _latest_known(ids, window.latest_of, now=now):
            events = by_lead.setdefault(lead_id, [])
            if any(e.type is kind and e.occurred_at == latest_at for e in events):
                continue
            # Only its type and moment matter: "last activity" rules read
            # nothing else, and it lies outside every count rule's window.
            events.append(core_events.Event(type=kind, occurred_at=latest_at))
        for events in by_lead.values():
            events.sort(key=lambda event: event.occurred_at)
    return by_lead


def windowed_events_query(
    ids: Sequence[int], window: EventWindow, *, now: datetime
) -> tuple[str, list[Any]]:
    """SQL and parameters: the leads' events inside ``window``, per lead oldest first.

    One range per type (index event_lead_type_time), not one OR over every
    type: a lead's history outside the windows is never read.
    """
    adapt = connection.ops.adapt_datetimefield_value
    types = list(window.days_by_type.items())
    table = connection.ops.quote_name(Event._meta.db_table)
    branches: list[str] = []
    params: list[Any] = list(ids)
    for event_type, days in types:
        branch = (
            f"SELECT id, lead_id, type, occurred_at, received_at, properties "
            f"FROM {table} WHERE lead_id IN (SELECT lead_ref FROM wanted) "
            "AND type = %s"
        )
        params.append(event_type.value)
        if days is not None:
            branch += " AND occurred_at >= %s"
            params.append(adapt(now - timedelta(days=days) - _WINDOW_MARGIN))
        branches.append(branch)
    sql = (
        f"WITH wanted(lead_ref) AS (VALUES {', '.join(['(%s)'] * len(ids))}) "
        f"{' UNION ALL '.join(branches)} ORDER BY lead_id, occurred_at, id"
    )
    return sql, params


def _windowed_events(
    ids: Sequence[int], window: EventWindow, *, now: datetime
) -> Iterator[tuple[int, core_events.Event]]:
    """(lead id, event) inside the window, per lead oldest first, in one query.

    Plain SQL rather than the ORM: rescoring reads tens of thousands of events
    per batch, and the ORM's conversion of every date and JSON value costs
    more than the query. Dates are converted here, properties decoded only
    when a rule reads them.
    """
    types = list(window.days_by_type.items())
    to_moment = _moment_reader()
    wanted = window.with_properties
    types_by_name = {event_type.value: event_type for event_type, _days in types}
    with connection.cursor() as cursor:
        cursor.execute(*windowed_events_query(ids, window, now=now))
        for _id, lead_id, type_name, occurred_at, received_at, properties in cursor:
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


def latest_known_query(
    ids: Sequence[int], kinds: Sequence[core_events.EventType], *, now: datetime
) -> tuple[str, list[Any]]:
    """SQL and parameters: each lead's most recent event per type known at ``now``.

    One index seek per lead and type (index event_lead_type_time, newest
    first, stopping at the first event known at ``now``), not a MAX over the
    lead's whole history: rescoring then costs the same for a lead with ten
    events as for one with a hundred thousand.
    """
    table = connection.ops.quote_name(Event._meta.db_table)
    moment = connection.ops.adapt_datetimefield_value(now)
    sql = (
        "SELECT leads.column1, kinds.column1, ("
        f"SELECT occurred_at FROM {table} "
        "WHERE lead_id = leads.column1 AND type = kinds.column1 "
        "AND occurred_at <= %s AND received_at <= %s "
        "ORDER BY occurred_at DESC LIMIT 1) "
        f"FROM (VALUES {', '.join(['(%s)'] * len(ids))}) AS leads "
        f"CROSS JOIN (VALUES {', '.join(['(%s)'] * len(kinds))}) AS kinds"
    )
    return sql, [moment, moment, *ids, *(kind.value for kind in kinds)]


def _latest_known(
    ids: Sequence[int], types: Iterable[core_events.EventType], *, now: datetime
) -> Iterator[tuple[int, core_events.EventType, datetime]]:
    """(lead id, type, moment) of each lead's most recent event per type known at ``now``."""
    kinds = sorted(types, key=lambda kind: kind.value)
    by_name = {kind.value: kind for kind in kinds}
    to_moment = _moment_reader()
    with connection.cursor() as cursor:
        cursor.execute(*latest_known_query(ids, kinds, now=now))
        for lead_id, type_name, latest_at in cursor:
            if latest_at is not None:
                yield lead_id, by_name[type_name], to_moment(latest_at)


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
    owners = visible_owners(user)
    if owners is None:
        return base
    if not owners:
        return base.none()
    return base.filter(Q(owner=user) | Q(owner__isnull=True))


# Whose leads a user sees: every lead (None), or the leads of these owners
# (a user id, or None for the unassigned ones).
VisibleOwners = tuple[int | None, ...] | None


def visible_owners(user: User) -> VisibleOwners:
    """Whose leads ``visible_leads`` lets the user see, as owner ids.

    None: every lead. Otherwise a tuple of owner ids, ``None`` standing for
    the unassigned leads; empty when the user sees no lead. Lists read each
    owner's leads from an index (owner first) and merge them, where one query
    with ``owner = me OR owner IS NULL`` would read and sort them all.
    """
    role = user_role(user)
    if role in (Role.ADMIN, Role.MARKETING):
        return None
    if role is Role.SALES and settings.SALES_SEE_ALL_LEADS:
        return None
    if role is Role.SALES:
        return (user.pk, None)
    return ()


def _score_order_key(row: tuple[int, int | None]) -> tuple[bool, int, int]:
    """Highest score first, unscored last, then the highest id: ``BY_SCORE``."""
    lead_id, score = row
    return (score is None, -(score or 0), -lead_id)


BY_SCORE = (F("score_total").desc(nulls_last=True), "-id")


class LeadsByScorePerOwner(PagedRows[Lead]):
    """``leads`` in score order (``BY_SCORE``), read per owner and merged.

    A sequence a Paginator pages like a query set: ``count()`` and slices.
    Each owner's leads come in index order (``lead_list_by_owner``): a page
    reads its offset plus its length of (id, score) per owner, merges them
    and loads the page's leads by id, in the same order and with the same
    rows as ``leads.filter(owner in owners).order_by(*BY_SCORE)``. The owners'
    sets must not overlap (distinct ids, at most one None).
    """

    def __init__(self, leads: QuerySet[Lead], owners: Sequence[int | None]) -> None:
        self._leads = leads
        self._parts = [
            leads.filter(owner__isnull=True)
            if owner is None
            else leads.filter(owner_id=owner)
            for owner in dict.fromkeys(owners)
        ]

    def count(self) -> int:
        return sum(part.count() for part in self._parts)

    def count_up_to(self, limit: int) -> int:
        # Each owner's count stops at the limit, so their sum reaches it
        # exactly when all the leads do.
        return min(limit, sum(count_up_to(part, limit) for part in self._parts))

    def reads(self, stop: int) -> list[QuerySet[Lead, tuple[int, int | None]]]:
        """Per owner, the (id, score) of their first ``stop`` leads in order."""
        return [
            # By owner first, though one owner: PostgreSQL does not take
            # "owner_id IS NULL" as one value of the index's first column.
            part.order_by("owner_id", *BY_SCORE).values_list("id", "score_total")[:stop]
            for part in self._parts
        ]

    def rows(self, start: int, stop: int) -> list[Lead]:
        rows = heapq.merge(*self.reads(stop), key=_score_order_key)
        ids = [lead_id for lead_id, _score in itertools.islice(rows, start, stop)]
        by_id = self._leads.in_bulk(ids)
        return [by_id[lead_id] for lead_id in ids if lead_id in by_id]


# A condition of ``distinct_values_in_order``: SQL over the rows (``item``),
# its parameters, and the columns it fixes to one value, in index order.
Condition = tuple[str, Sequence[Any], Sequence[str]]


def distinct_values_in_order(
    table: str, column: str, conditions: Sequence[Condition]
) -> list[str]:
    """The non-empty values of ``column`` among the rows of ``table`` (aliased
    ``item``) that pass any of ``conditions``, sorted as the database sorts.

    One query, in steps of one index lookup per value and condition (a
    "loose index scan"): each step asks for the smallest value after the
    last one found. With an index on a condition's fixed columns, then
    ``column``, it costs the number of distinct values, not the number of
    rows: ``SELECT DISTINCT`` reads them all.
    """
    if not conditions:
        return []
    sql, params = distinct_values_query(table, column, conditions)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [value for (value,) in cursor.fetchall()]


def distinct_values_query(
    table: str, column: str, conditions: Sequence[Condition]
) -> tuple[str, list[Any]]:
    """The SQL and parameters of ``distinct_values_in_order`` (at least one
    condition), for running it or asking the database for its plan."""
    quote = connection.ops.quote_name
    name = f"item.{quote(column)}"
    # PostgreSQL wants one type for both terms of the recursion (varchar(n)
    # is not varchar): text, which keeps the column's collation.
    text = f"CAST({name} AS TEXT)"

    def smallest_after(after: str) -> str:
        firsts = [
            # Ordered by the fixed columns too: PostgreSQL does not take
            # "owner_id IS NULL" as one value of the index's first column,
            # and would sort the rows instead of reading them in order.
            f"(SELECT {text} FROM {quote(table)} AS item "
            f"WHERE {name} > {after} AND ({condition}) "
            f"ORDER BY {', '.join([*fixed, name])} LIMIT 1)"
            for condition, _params, fixed in conditions
        ]
        if len(firsts) == 1:
            return firsts[0]
        candidates = " UNION ALL ".join(f"SELECT {first} AS value" for first in firsts)
        return f"(SELECT MIN(value) FROM ({candidates}) AS candidates)"

    sql = (
        "WITH RECURSIVE found(value) AS ("
        f"SELECT {smallest_after('%s')} "
        f"UNION ALL SELECT {smallest_after('found.value')} "
        "FROM found WHERE found.value IS NOT NULL"
        ") SELECT value FROM found WHERE value IS NOT NULL"
    )
    params: list[Any] = []
    for _condition, condition_params, _fixed in conditions:
        params.extend(["", *condition_params])
    for _condition, condition_params, _fixed in conditions:
        params.extend(condition_params)
    return sql, params


def owner_conditions(
    owners: VisibleOwners, *, column: str = "item.owner_id"
) -> list[Condition]:
    """Conditions for ``distinct_values_in_order``: one per visible owner,
    or one that lets every row pass."""
    if owners is None:
        return [("1 = 1", [], [])]
    return [
        (f"{column} IS NULL", [], [column])
        if owner is None
        else (f"{column} = %s", [owner], [column])
        for owner in owners
    ]


def lead_sources(owners: VisibleOwners) -> list[str]:
    """The sources of the leads of ``owners`` (``visible_owners``), sorted.

    For the lead list's source filter: a lookup per source and owner in
    ``lead_list_by_source`` or ``lead_sources_by_owner``.
    """
    return distinct_values_in_order(
        Lead._meta.db_table, "source", owner_conditions(owners)
    )


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


# --- leads and events in columns, for rescoring in bulk ----------------------------


def _micros_sql(expression: str) -> str:
    """SQL for a stored date and time as whole microseconds since 1970 (UTC).

    SQLite keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC: whole seconds from
    the first 19 characters, microseconds from the six after the dot.
    """
    if connection.vendor == "sqlite":
        return (
            f"(CAST(strftime('%%s', substr({expression}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({expression}, 21, 6) AS INTEGER))"
        )
    return f"(EXTRACT(EPOCH FROM {expression}) * 1000000)::bigint"


def _property_sql(name: str) -> tuple[str, str]:
    """SQL for an event property as JSON text (NULL: no such property), and its
    parameter."""
    if connection.vendor == "sqlite":
        return "properties -> %s", '$."' + name.replace('"', '\\"') + '"'
    return "(properties -> %s)::text", name


def _decoded(column: batch.Column[str | None]) -> batch.Column[core_events.JsonValue]:
    """JSON texts decoded; rows without the property keep code -1."""
    values: list[core_events.JsonValue] = [
        None if text is None else json.loads(text) for text in column.values
    ]
    missing = np.array([text is None for text in column.values] + [True])
    codes = np.where(missing[column.codes], -1, column.codes).astype(np.int64)
    return batch.Column(tuple(values), codes)


def lead_ids_after(after_id: int, limit: int) -> list[tuple[int, int | None]]:
    """(id, company id) of up to ``limit`` leads after ``after_id``, in id order,
    locked for update (a page of a keyset walk over every lead)."""
    return list(
        Lead.objects.select_for_update(of=("self",))
        .filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", "company_id")[:limit]
    )


def lead_columns(
    lead_ids: Sequence[int], fields: Iterable[str], *, now: datetime
) -> batch.LeadColumns:
    """The leads (sorted ids) as scoring columns, for ``fields`` of
    ``profile.LEAD_FIELDS``: the values ``lead_profile`` gives, in one query."""
    wanted = set(fields)
    count = len(lead_ids)
    if not count:
        return batch.LeadColumns(0, {}, np.zeros(0, dtype=np.int64), now)
    lead_table = connection.ops.quote_name(Lead._meta.db_table)
    company_table = connection.ops.quote_name(Company._meta.db_table)
    sql = (
        "SELECT l.id, l.email, l.sector, l.employees, l.budget_euros, l.urgency, "
        "l.job_title, l.country, l.region, l.source, "
        "CASE WHEN l.phone IS NULL OR l.phone = '' THEN 0 ELSE 1 END, "
        f"{_micros_sql('l.created_at')}, c.id, c.name, c.account_score, "
        f"c.engaged_contacts, l.ai_probability FROM {lead_table} l "
        f"LEFT JOIN {company_table} c ON c.id = l.company_id "
        "WHERE l.id >= %s AND l.id <= %s ORDER BY l.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [lead_ids[0], lead_ids[-1]])
        rows = cursor.fetchall()
    if len(rows) != count:
        # Leads inside the id range but not asked for are left out.
        asked = set(lead_ids)
        rows = [row for row in rows if row[0] in asked]
    (
        _ids,
        emails,
        sectors,
        employees,
        budgets,
        urgencies,
        job_titles,
        countries,
        regions,
        sources,
        has_phone,
        arrived,
        company_ids,
        company_names,
        account_scores,
        engaged,
        ai_probabilities,
    ) = zip(*rows, strict=True)
    texts = {
        "sector": sectors,
        "urgency": urgencies,
        "job_title": job_titles,
        "country": countries,
        "region": regions,
        "source": sources,
    }
    columns: dict[str, batch.Column[FieldValue]] = {}
    for name, raw in texts.items():
        if name in wanted:
            columns[name] = batch.mapped(batch.column_of(raw), _text_or_none)
    numbers = {
        "employees": employees,
        "budget_euros": budgets,
        "account_score": account_scores,
        "account_engaged_contacts": engaged,
        "ai_probability": ai_probabilities,
    }
    for name, raw in numbers.items():
        if name in wanted:
            columns[name] = batch.column_of(raw)
    if "company_name" in wanted:
        # A company with an empty name is "", not None: as lead_profile reads it.
        columns["company_name"] = batch.column_of(
            name if company_id is not None else None
            for company_id, name in zip(company_ids, company_names, strict=True)
        )
    if "has_phone" in wanted:
        columns["has_phone"] = batch.mapped(batch.column_of(has_phone), bool)
    if wanted & {"email_domain", "email_is_free_mail", "email_is_disposable"}:
        domains = batch.column_of(email_domain(email) for email in emails)
        columns["email_domain"] = domains
        columns["email_is_free_mail"] = batch.mapped(domains, is_free_mail)
        columns["email_is_disposable"] = batch.mapped(domains, is_disposable)
    return batch.LeadColumns(
        count=len(rows),
        fields={name: column for name, column in columns.items() if name in wanted},
        arrived_us=np.array(arrived, dtype=np.int64),
        now=now,
    )


def _text_or_none(value: FieldValue) -> FieldValue:
    return value or None


def event_aggregates(
    lead_ids: Sequence[int], plan: batch.AggregationPlan, *, now: datetime
) -> batch.EventRows:
    """The leads' (sorted ids) events known at ``now`` as the plan aggregates
    them, in one query: a row per lead, type and tested property values,
    with per window how many events lie in it and the latest moment."""
    empty = np.zeros(0, dtype=np.int64)
    if not lead_ids or not plan.event_types:
        return batch.EventRows(
            empty,
            empty,
            empty,
            {days: empty for days in plan.windows},
            {name: batch.Column((), empty) for name in plan.property_names},
        )
    adapt = connection.ops.adapt_datetimefield_value
    now_us = batch.micros(now)
    select: list[str] = ["lead_id", "type"]
    select_params: list[Any] = []
    for name in plan.property_names:
        testing = [
            kind.value
            for kind, names in plan.properties_by_type.items()
            if name in names
        ]
        expression, parameter = _property_sql(name)
        select.append(
            f"CASE WHEN type IN ({', '.join(['%s'] * len(testing))}) "
            f"THEN {expression} END"
        )
        select_params.extend([*testing, parameter])
    grouped = len(select)
    select.append(_micros_sql("MAX(occurred_at)"))
    for days in plan.windows:
        limit = plan.max_age_us[days]
        if limit is None:
            select.append("COUNT(*)")
        elif limit < 0:
            select.append("0")
        else:
            # Inside the window: age at most ``limit``, i.e. from this moment on.
            select.append("SUM(CASE WHEN occurred_at >= %s THEN 1 ELSE 0 END)")
            select_params.append(adapt(batch.moment_of(now_us - limit)))
    table = connection.ops.quote_name(Event._meta.db_table)
    types = [kind.value for kind in plan.event_types]
    sql = (
        f"SELECT {', '.join(select)} FROM {table} "
        "WHERE lead_id >= %s AND lead_id <= %s "
        f"AND type IN ({', '.join(['%s'] * len(types))}) "
        "AND occurred_at <= %s AND received_at <= %s "
        f"GROUP BY {', '.join(str(position) for position in range(1, grouped + 1))} "
        # One run per type, leads ascending: the scorer reads them as they come.
        "ORDER BY 2, 1"
    )
    params = [
        *select_params,
        lead_ids[0],
        lead_ids[-1],
        *types,
        adapt(now),
        adapt(now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = np.array(lead_ids, dtype=np.int64)
    if not rows:
        return event_aggregates([], plan, now=now)
    columns = list(zip(*rows, strict=True))
    row_leads = np.array(columns[0], dtype=np.int64)
    position = np.minimum(np.searchsorted(ids, row_leads), len(ids) - 1)
    # Leads inside the id range but not asked for are left out.
    keep = ids[position] == row_leads
    type_codes = {kind.value: code for code, kind in enumerate(batch.EVENT_TYPES)}
    properties = {
        name: _decoded(batch.column_of(columns[2 + offset]))
        for offset, name in enumerate(plan.property_names)
    }
    return batch.EventRows(
        lead_index=position[keep].astype(np.int64),
        type_code=np.array([type_codes[kind] for kind in columns[1]], dtype=np.int64)[
            keep
        ],
        latest_us=np.array(columns[grouped], dtype=np.int64)[keep],
        counts={
            days: np.array(columns[grouped + 1 + offset], dtype=np.int64)[keep]
            for offset, days in enumerate(plan.windows)
        },
        properties={
            name: batch.Column(column.values, column.codes[keep])
            for name, column in properties.items()
        },
    )
