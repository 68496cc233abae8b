"""Erasing a person everywhere personal data lives, by the registry.

Three passes, all inside the caller's transaction:

1. **The person's own rows**, found through each declaration's lead lookup
   (the lead and every record merged into it): deleted, emptied or scrubbed
   as the declaration says, or handed to the declaration's own eraser
   (stored API answers, the admin's history, sessions).
2. **The sweep**, a second net over every personal text and JSON field of
   every model: any other row that mentions the person's email, full name,
   phone number or one-person company (a colleague's note, another lead's
   event, an import report) gets "[erased]" in their place.
3. **Files**: every app's file erasers (uploaded imports).

The lead row itself and its company are emptied by ``services._anonymise``.
After the commit, ``forget_deleted_bytes`` checkpoints SQLite's WAL, so the
old versions of the rows leave the database files too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import connections, models
from django.db.models import Q, QuerySet
from django.db.models.functions import Cast

from leadqual.core.hygiene import email_domain, is_free_mail
from leadqual.core.personal_data import (
    ErasedPerson,
    Erasure,
    Matcher,
    PersonalFields,
    full_name,
    unique,
)
from leadqual.leads.models import Company, Lead, LeadMerge
from leadqual.privacy.registry import (
    AnyField,
    declarations,
    file_erasers,
    model_of,
    personal_fields,
)

logger = logging.getLogger(__name__)

RowT = TypeVar("RowT", bound=models.Model)

# Placeholders end in the reserved ".invalid" top-level domain (RFC 2606): never
# deliverable, and normalise_email refuses it, so no way in can match it.
PLACEHOLDER_DOMAIN = "invalid"
# How a Change names what was done to the rows.
DONE = {
    Erasure.DELETE: "deleted",
    Erasure.CLEAR: "emptied",
    Erasure.SCRUB: "scrubbed",
    Erasure.LEAD: "emptied",
}
SWEPT = "swept"


@dataclass(frozen=True, slots=True)
class Change:
    """How many rows (or files) of one kind an erasure changed, and how."""

    what: str
    action: str
    count: int

    def __str__(self) -> str:
        return f"{self.what}: {self.count} {self.action}"


@dataclass(frozen=True, slots=True)
class Subject:
    """The person to erase: what the passes search for, and what to suppress."""

    person: ErasedPerson
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    company_ids: tuple[int, ...]


def is_placeholder(email: str) -> bool:
    """True for the email of an erased or anonymised lead."""
    return email.endswith("@" + PLACEHOLDER_DOMAIN)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def subject_of(lead: Lead) -> Subject:
    """Everything that identifies the person behind ``lead``, and their records.

    The records merged into the lead (not undone) are the same person: their
    ids, emails, names and phones count as the person's. A company counts as
    naming the person when no other lead belongs to it.
    """
    merged = [
        merge.snapshot.get("lead")
        for merge in LeadMerge.objects.filter(survivor=lead, undone_at__isnull=True)
    ]
    records: list[dict[str, object]] = [
        {
            "id": lead.pk,
            "email": lead.email,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "phone": lead.phone,
            "job_title": lead.job_title,
            "company_id": lead.company_id,
        },
        *(record for record in merged if isinstance(record, dict)),
    ]
    lead_ids = tuple(
        dict.fromkeys(
            record_id
            for record in records
            if isinstance(record_id := record.get("id"), int)
        )
    )
    emails = unique(
        [
            _text(record.get("email"))
            for record in records
            if not is_placeholder(_text(record.get("email")))
        ]
    )
    phones = unique([_text(record.get("phone")) for record in records])
    company_ids = tuple(
        dict.fromkeys(
            company_id
            for record in records
            if isinstance(company_id := record.get("company_id"), int)
        )
    )
    companies = list(Company.objects.filter(pk__in=company_ids))
    shared = set(
        Lead.objects.filter(company_id__in=company_ids)
        .exclude(pk=lead.pk)
        .values_list("company_id", flat=True)
    )
    names = [
        full_name(_text(record.get("first_name")), _text(record.get("last_name")))
        for record in records
    ]
    domains = [
        email_domain(email) for email in emails if not is_free_mail(email_domain(email))
    ]
    person = ErasedPerson(
        lead_ids=lead_ids,
        identifiers=unique(
            [
                *emails,
                *names,
                *(company.name for company in companies if company.pk not in shared),
            ]
        ),
        phones=phones,
        own_identifiers=unique(
            [
                *(
                    _text(record.get(name))
                    for record in records
                    for name in ("first_name", "last_name", "job_title")
                ),
                *(company.name for company in companies),
                *domains,
            ]
        ),
    )
    return Subject(person=person, emails=emails, phones=phones, company_ids=company_ids)


# --- pass 1: the person's own rows ---------------------------------------------------


def empty_value(field: AnyField) -> object:
    """What an emptied field holds: NULL when allowed, else its empty default."""
    if field.null:
        return None
    if isinstance(field, models.JSONField):
        default = field.get_default()
        return default if default in ({}, []) else {}
    if isinstance(field, models.BinaryField):
        return b""
    return ""


def _scrub_rows(
    rows: QuerySet[models.Model],
    fields: Sequence[AnyField],
    matcher: Matcher,
) -> int:
    """Replace the identifiers in ``fields`` of ``rows``; returns rows changed."""
    changed = 0
    for row in rows.iterator():
        changes: dict[str, object] = {}
        for field in fields:
            value = getattr(row, field.attname)
            if not isinstance(field, models.JSONField) and not isinstance(value, str):
                continue
            scrubbed = matcher.scrub(value)
            if scrubbed != value:
                changes[field.attname] = scrubbed
        if changes:
            # update(), not save(): no model's own save rules apply to a scrub.
            type(row)._base_manager.filter(pk=row.pk).update(**changes)
            changed += 1
    return changed


def erase_own_rows(person: ErasedPerson) -> list[Change]:
    """Delete, empty or scrub the rows tied to the person, as each app declared."""
    own = person.own_matcher()
    changes = []
    for declaration in declarations():
        if declaration.erasure is Erasure.LEAD:
            continue
        if declaration.erase is not None:
            count = declaration.erase(person)
        elif declaration.lead is not None and declaration.personal:
            count = _erase_tied(declaration, person, own)
        else:
            continue
        if count:
            changes.append(Change(declaration.model, DONE[declaration.erasure], count))
    return changes


def _erase_tied(declaration: PersonalFields, person: ErasedPerson, own: Matcher) -> int:
    model = model_of(declaration)
    rows = model._base_manager.filter(
        **{f"{declaration.lead}__in": person.lead_ids}
    ).order_by("pk")
    fields = personal_fields(declaration)
    match declaration.erasure:
        case Erasure.DELETE:
            _total, by_model = rows.delete()
            return by_model.get(model._meta.label, 0)
        case Erasure.CLEAR:
            return rows.update(
                **{field.attname: empty_value(field) for field in fields}
            )
        case Erasure.SCRUB:
            return _scrub_rows(rows, fields, own)
        case Erasure.LEAD:
            return 0


# --- pass 2: the sweep -----------------------------------------------------------------


def mentioning(
    rows: QuerySet[RowT], fields: Sequence[AnyField], matcher: Matcher
) -> QuerySet[RowT]:
    """The rows whose ``fields`` may mention the identifiers (the database's guess).

    A superset: the matcher's patterns decide afterwards.
    """
    condition = Q()
    for field in fields:
        name = field.attname
        if isinstance(field, models.JSONField):
            # JSON is compared as its text, the same on SQLite and PostgreSQL.
            name = f"lq_text_{field.attname}"
            rows = rows.annotate(**{name: Cast(field.attname, models.TextField())})
        for text in matcher.search_texts:
            condition |= Q(**{f"{name}__icontains": text})
        for regex in matcher.search_regexes:
            condition |= Q(**{f"{name}__regex": regex})
    return rows.filter(condition) if condition else rows.none()


def sweep(matcher: Matcher) -> list[Change]:
    """Replace the identifiers in every personal text and JSON field of every model.

    A unique field (an email, an external id) is left alone: the same mark
    cannot stand in two rows, and the person's own rows were emptied already.
    """
    if matcher.is_empty:
        return []
    changes = []
    for declaration in declarations():
        model = model_of(declaration)
        fields = [
            field
            for field in personal_fields(declaration)
            if isinstance(field, (models.CharField, models.TextField, models.JSONField))
            and not field.unique
        ]
        if not fields:
            continue
        rows = mentioning(model._base_manager.all(), fields, matcher).order_by("pk")
        count = _scrub_rows(rows, fields, matcher)
        if count:
            changes.append(Change(declaration.model, SWEPT, count))
    return changes


# --- pass 3: files ---------------------------------------------------------------------


def erase_files(person: ErasedPerson) -> list[Change]:
    """Run every app's file erasers; one Change for all files they deleted."""
    count = sum(eraser(person) for eraser in file_erasers())
    return [Change("files", DONE[Erasure.DELETE], count)] if count else []


# --- after the commit ------------------------------------------------------------------


def forget_deleted_bytes(using: str = "default") -> bool:
    """Checkpoint SQLite's write-ahead log into the database and truncate it.

    With ``secure_delete`` on (config/settings.py) deleted rows are zeroed in
    the pages that held them, but the WAL still holds the pages as they were
    before; this copies the new pages into the database file and empties the
    WAL. Returns False when a reader kept the WAL from being emptied (SQLite
    truncates it at a later checkpoint); True on success and on PostgreSQL.
    Call outside a transaction.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
    busy = bool(row and row[0])
    if busy:
        logger.warning(
            "Could not empty the SQLite write-ahead log after an erasure: another "
            "connection is reading. SQLite empties it at its next checkpoint."
        )
    return not busy
