"""Export and erasure of a person's data, and anonymisation after the retention period.

Erasure and retention share one anonymisation (``_anonymise``): personal
fields are emptied everywhere, while the rows the KPIs read (the lead's
arrival and source, band changes, feedback decisions, outcomes with values,
tasks' due and done times, first contact) are kept, so past weeks' numbers do
not change. See docs/privacy.md for what is removed, what is kept and why.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser, User
from django.db import models, transaction

from leadqual.core.errors import LeadNotFound
from leadqual.core.hygiene import normalise_email
from leadqual.intake.models import Visitor, VisitorEvent
from leadqual.integrations.models import WebhookDelivery
from leadqual.leads.models import Event, Lead, LeadMerge
from leadqual.privacy.audit import audit
from leadqual.privacy.models import (
    AuditAction,
    AuditEntry,
    ConsentRecord,
    Suppression,
)
from leadqual.privacy.queries import inactive_leads, months_before
from leadqual.privacy.suppression import suppress
from leadqual.scoring.models import BandChange, Score
from leadqual.triage.models import Alert, Feedback, Outcome, Qualification, Task

logger = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # 1: first version (lead, company, every related table, audit)
ERASED_MARK = "[erased]"
# Placeholders end in the reserved ".invalid" top-level domain (RFC 2606): never
# deliverable, and normalise_email refuses it, so no way in can match it.
PLACEHOLDER_DOMAIN = "invalid"
CSV_COLUMNS = ("table", "id", "data")

Actor = User | AnonymousUser | str | None


def erased_email(lead_id: int) -> str:
    """The non-identifying email an erased lead keeps (Lead.email is unique)."""
    return f"erased-{lead_id}@{PLACEHOLDER_DOMAIN}"


def anonymised_email(lead_id: int) -> str:
    """The non-identifying email a lead anonymised after retention keeps."""
    return f"anonymised-{lead_id}@{PLACEHOLDER_DOMAIN}"


def is_anonymised(lead: Lead) -> bool:
    """True when the lead was erased or anonymised already."""
    return lead.email.endswith("@" + PLACEHOLDER_DOMAIN)


def find_lead_by_email(raw_email: str) -> Lead:
    """The lead with this email (normalised first).

    Raises InvalidEmail for an address that is not valid and LeadNotFound
    when no lead has it.
    """
    email = normalise_email(raw_email)
    lead = Lead.objects.filter(email=email).first()
    if lead is None:
        raise LeadNotFound(
            f'No lead has the email "{email}". Check the spelling; an erased '
            "person can no longer be found by email."
        )
    return lead


# --- export ---------------------------------------------------------------------


def _json_value(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _row(row: models.Model, *, exclude: Sequence[str] = ()) -> dict[str, object]:
    """Every stored column of ``row`` as a JSON-ready dict (foreign keys as ids)."""
    return {
        field.attname: _json_value(getattr(row, field.attname))
        for field in row._meta.concrete_fields
        if field.attname not in exclude
    }


def _rows(
    rows: Iterable[models.Model], *, exclude: Sequence[str] = ()
) -> list[dict[str, object]]:
    return [_row(row, exclude=exclude) for row in rows]


def person_data(lead: Lead, *, now: datetime) -> dict[str, Any]:
    """Everything leadqual stores about the person behind ``lead``, JSON-ready.

    One key per table, each a list of rows (``lead`` and ``company`` are
    single objects; ``company`` is None when the lead has none).
    """
    visitors = list(Visitor.objects.filter(lead=lead).order_by("pk"))
    company = lead.company
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "lead": {
            **_row(lead),
            "company_name": company.name if company is not None else None,
        },
        "company": _row(company) if company is not None else None,
        "consent_records": _rows(
            ConsentRecord.objects.filter(lead=lead).order_by("at", "pk")
        ),
        "events": _rows(Event.objects.filter(lead=lead).order_by("occurred_at", "pk")),
        "scores": _rows(Score.objects.filter(lead=lead).order_by("computed_at", "pk")),
        "band_changes": _rows(
            BandChange.objects.filter(lead=lead).order_by("changed_at", "pk")
        ),
        "feedback": _rows(
            Feedback.objects.filter(lead=lead).order_by("given_at", "pk")
        ),
        "outcomes": _rows(
            Outcome.objects.filter(lead=lead).order_by("occurred_at", "pk")
        ),
        "tasks": _rows(Task.objects.filter(lead=lead).order_by("created_at", "pk")),
        "qualification": _rows(Qualification.objects.filter(lead=lead)),
        "alerts": _rows(
            Alert.objects.filter(lead=lead).order_by("created_at", "pk"),
            exclude=("last_error",),
        ),
        "webhook_deliveries": _rows(
            WebhookDelivery.objects.filter(lead_id=lead.pk).order_by(
                "created_at", "pk"
            ),
            exclude=("last_error", "remote_ids"),
        ),
        "visitors": _rows(visitors),
        "visitor_events": _rows(
            VisitorEvent.objects.filter(visitor__in=visitors).order_by(
                "occurred_at", "pk"
            )
        ),
        "merges": _rows(LeadMerge.objects.filter(survivor=lead).order_by("merged_at")),
        "audit_entries": _rows(
            AuditEntry.objects.filter(lead_id=lead.pk).order_by("at", "pk")
        ),
    }


def export_person(lead: Lead, *, actor: Actor, now: datetime, file_format: str) -> str:
    """The person's data as JSON or CSV text; records an "exported" audit entry.

    ``file_format`` is "json" or "csv"; raises ValueError for anything else.
    The audit entry is written before the export is built, so it is part of it.
    """
    if file_format not in ("json", "csv"):
        raise ValueError(f'Unknown export format "{file_format}". Use json or csv.')
    audit(actor, AuditAction.EXPORTED, lead.pk, detail=f"format {file_format}")
    data = person_data(lead, now=now)
    if file_format == "json":
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return person_data_csv(data)


def person_data_csv(data: Mapping[str, Any]) -> str:
    """The export as CSV: one row per item, columns table, id and data (JSON)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for table, value in data.items():
        if table in ("format", "exported_at") or value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            writer.writerow(
                (table, item.get("id", ""), json.dumps(item, ensure_ascii=False))
            )
    return buffer.getvalue()


# --- erasure and anonymisation -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """What an erasure or anonymisation did, as counts (no personal data)."""

    lead_id: int
    events_cleared: int
    visitors_deleted: int
    notes_cleared: int
    merges_deleted: int
    rows_scrubbed: int

    def summary(self) -> str:
        """The counts as one line for the audit log."""
        return (
            f"{self.events_cleared} events cleared, {self.visitors_deleted} visitors "
            f"deleted, {self.notes_cleared} notes cleared, {self.merges_deleted} merges "
            f"deleted, {self.rows_scrubbed} other rows scrubbed"
        )


def _email_pattern(email: str) -> re.Pattern[str]:
    # Not inside a longer address: "an@x.nl" must not match "jan@x.nl".
    return re.compile(
        r"(?<![\w.+-])" + re.escape(email) + r"(?![\w-]|\.\w)", re.IGNORECASE
    )


def _word_pattern(text: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)", re.IGNORECASE)


def _identifiers(lead: Lead) -> list[tuple[str, re.Pattern[str]]]:
    """The values that identify the person, with the pattern that finds each.

    The first or last name alone is not searched for outside the lead's own
    rows: "Jan" is also every other Jan.
    """
    found: list[tuple[str, re.Pattern[str]]] = [
        (lead.email, _email_pattern(lead.email))
    ]
    if lead.first_name.strip() and lead.last_name.strip():
        full_name = f"{lead.first_name.strip()} {lead.last_name.strip()}"
        found.append((full_name, _word_pattern(full_name)))
    if lead.phone.strip():
        phone = lead.phone.strip()
        found.append((phone, re.compile(r"(?<!\d)" + re.escape(phone) + r"(?!\d)")))
    return found


def _scrub_json(value: object, patterns: Sequence[re.Pattern[str]]) -> object:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(ERASED_MARK, value)
        return value
    if isinstance(value, list):
        return [_scrub_json(item, patterns) for item in value]
    if isinstance(value, dict):
        return {
            str(_scrub_json(key, patterns)): _scrub_json(item, patterns)
            for key, item in value.items()
        }
    return value


_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)
# Never rewritten by the sweep: hashes only, or the lead's own placeholder email.
_NOT_SWEPT = {(Suppression, "email_hash"), (Suppression, "phone_hash"), (Lead, "email")}


def _sweep(identifiers: Sequence[tuple[str, re.Pattern[str]]]) -> int:
    """Replace the identifiers in every text and JSON column of every table.

    The database narrows the rows down (icontains), then the patterns decide,
    so a value that merely contains the text (a longer address) is left alone.
    Returns the number of rows changed.
    """
    patterns = [pattern for _text, pattern in identifiers]
    changed_rows = 0
    for model in apps.get_models():
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, _TEXT_FIELDS)
            and (model, field.name) not in _NOT_SWEPT
            and not field.primary_key
        ]
        if not fields:
            continue
        condition = models.Q()
        for field in fields:
            for text, _pattern in identifiers:
                condition |= models.Q(**{f"{field.name}__icontains": text})
                if isinstance(field, models.JSONField):
                    # JSON text may escape non-ASCII characters as \uXXXX.
                    escaped = json.dumps(text)[1:-1]
                    if escaped != text:
                        condition |= models.Q(**{f"{field.name}__icontains": escaped})
        manager = model._base_manager
        for row in manager.filter(condition).iterator():
            changes: dict[str, object] = {}
            for field in fields:
                value = getattr(row, field.attname)
                if isinstance(field, models.JSONField) or isinstance(value, str):
                    scrubbed = _scrub_json(value, patterns)
                else:
                    continue
                if scrubbed != value:
                    changes[field.attname] = scrubbed
            if changes:
                # update(), not save(): no model's own save rules apply to a scrub.
                manager.filter(pk=row.pk).update(**changes)
                changed_rows += 1
    return changed_rows


def _anonymise(lead: Lead, *, placeholder: str, now: datetime) -> ErasureResult:
    """Empty the lead's personal fields and everything that identifies the person.

    Must run inside a transaction with the lead row locked.
    """
    identifiers = _identifiers(lead)
    events_cleared = Event.objects.filter(lead=lead).update(
        properties={}, external_id=None
    )
    visitors = Visitor.objects.filter(lead=lead)
    VisitorEvent.objects.filter(visitor__in=visitors).delete()
    visitors_deleted = visitors.count()
    visitors.delete()
    notes_cleared = Feedback.objects.filter(lead=lead).exclude(note="").update(note="")
    notes_cleared += Outcome.objects.filter(lead=lead).exclude(note="").update(note="")
    # A merge keeps the duplicate's fields for undo: that is personal data too.
    merges_deleted, _by_model = LeadMerge.objects.filter(survivor=lead).delete()
    company = lead.company
    lead.email = placeholder
    lead.first_name = lead.last_name = lead.job_title = ""
    lead.phone = lead.phone_country = ""
    lead.enriched_fields = {}
    lead.company = None
    lead.updated_at = now
    lead.anonymised_at = now
    lead.save()
    # Nobody should follow up a person who is gone; a task closed before its
    # due time does not count against the SLA, one past it still does.
    Task.objects.filter(lead=lead, done_at__isnull=True).update(
        done_at=now, closed_reason="person erased"
    )
    if company is not None and not Lead.objects.filter(company=company).exists():
        # A company only this person belonged to can name them ("Jansen Advies").
        company.delete()
    rows_scrubbed = _sweep(identifiers)
    return ErasureResult(
        lead_id=lead.pk,
        events_cleared=events_cleared,
        visitors_deleted=visitors_deleted,
        notes_cleared=notes_cleared,
        merges_deleted=merges_deleted,
        rows_scrubbed=rows_scrubbed,
    )


def _locked_lead(lead_id: int) -> Lead:
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None:
        raise LeadNotFound(
            f"Lead {lead_id} does not exist (any more). Reload the page; it may have "
            "been merged or erased."
        )
    return lead


def erase_person(lead: Lead, *, actor: Actor, now: datetime) -> ErasureResult:
    """Erase the person behind ``lead`` on their request, in one transaction.

    Personal fields are emptied everywhere, a suppression keeps the person
    from being stored again, and an "erased" audit entry records the counts.
    Returns the counts. Raises LeadNotFound when the lead no longer exists.
    """
    with transaction.atomic():
        locked = _locked_lead(lead.pk)
        email, phone = locked.email, locked.phone
        already = is_anonymised(locked)
        result = _anonymise(locked, placeholder=erased_email(locked.pk), now=now)
        if not already:
            suppress(email, phone, reason="erased on request", now=now)
        audit(actor, AuditAction.ERASED, locked.pk, detail=result.summary())
    logger.info("Erased lead %s: %s", result.lead_id, result.summary())
    lead.refresh_from_db()
    return result


# --- retention -----------------------------------------------------------------------


def anonymise_lead(lead_id: int, *, now: datetime, reason: str) -> ErasureResult | None:
    """Anonymise one lead (no suppression: they may come back), with an audit entry.

    Returns None when the lead is gone or anonymised already.
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None or is_anonymised(lead):
            return None
        result = _anonymise(lead, placeholder=anonymised_email(lead.pk), now=now)
        audit(
            "retention",
            AuditAction.ANONYMISED,
            lead.pk,
            detail=f"{reason}; {result.summary()}",
        )
    return result


def anonymise_inactive_leads(*, now: datetime, months: int) -> list[int]:
    """Anonymise every lead without activity for ``months`` months.

    Each lead has its own transaction and is checked again under its lock,
    so a lead that became active meanwhile, or a second run, is skipped.
    Returns the ids of the leads anonymised.
    """
    cutoff = months_before(now, months)
    done: list[int] = []
    for lead_id in list(inactive_leads(cutoff).values_list("pk", flat=True)):
        with transaction.atomic():
            still_inactive = (
                inactive_leads(cutoff).select_for_update().filter(pk=lead_id).exists()
            )
            if not still_inactive:
                continue
            result = anonymise_lead(
                lead_id, now=now, reason=f"no activity for {months} months"
            )
        if result is not None:
            done.append(lead_id)
    logger.info("Retention: anonymised %s leads inactive since %s", len(done), cutoff)
    return done
