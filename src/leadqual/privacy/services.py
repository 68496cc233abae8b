"""Export and erasure of a person's data, and anonymisation after the retention period.

Erasure and retention share one anonymisation (``_anonymise``), driven by
the registry of personal data (privacy/registry.py, privacy/erasure.py):
personal data is removed everywhere, while the rows the KPIs read (the
lead's arrival and source, band changes, feedback decisions, outcomes with
values, tasks' due and done times, first contact) are kept, so past weeks'
numbers do not change. Only an erasure writes a suppression and a line in
the erasure record, which ``reapply_recorded_erasures`` replays after a
restore. See docs/privacy.md for what is removed, what is kept and why.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models, transaction

from leadqual.core.errors import LeadNotFound
from leadqual.core.hygiene import normalise_email
from leadqual.core.personal_data import Erasure
from leadqual.integrations.models import WebhookDelivery
from leadqual.leads.models import Company, Event, Lead, LeadMerge
from leadqual.privacy.audit import audit
from leadqual.privacy.erasure import (
    DONE,
    PLACEHOLDER_DOMAIN,
    Change,
    Subject,
    empty_value,
    erase_files,
    erase_own_rows,
    forget_deleted_bytes,
    is_placeholder,
    subject_of,
    sweep,
)
from leadqual.privacy.models import (
    AuditAction,
    AuditEntry,
    ConsentRecord,
    Suppression,
)
from leadqual.privacy.queries import inactive_leads, months_before
from leadqual.privacy.records import read_record, record_erasure
from leadqual.privacy.registry import declaration_of, personal_fields, rows_of_lead
from leadqual.privacy.suppression import contact_hash, suppress
from leadqual.scoring.models import BandChange, Score
from leadqual.triage.kpi_facts import refresh_kpi_facts
from leadqual.triage.models import (
    Alert,
    Feedback,
    Note,
    Outcome,
    Qualification,
    SalesAction,
    Task,
)

logger = logging.getLogger(__name__)

# 2: notes (and logged calls) and sales actions
# 1: first version (lead, company, every related table, audit)
EXPORT_FORMAT = 2
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
    return is_placeholder(lead.email)


def find_lead_by_email(raw_email: str) -> Lead:
    """The lead with this email (normalised first), or the one it was merged into.

    A record merged into another lead is the same person, so its email finds
    the lead it lives on in. Raises InvalidEmail for an address that is not
    valid and LeadNotFound when no lead has it.
    """
    email = normalise_email(raw_email)
    lead = Lead.objects.filter(email=email).first()
    if lead is None:
        merge = (
            LeadMerge.objects.filter(merged_email=email, undone_at__isnull=True)
            .select_related("survivor")
            .order_by("-merged_at")
            .first()
        )
        lead = merge.survivor if merge is not None else None
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


def _person_tables(
    lead: Lead,
) -> dict[str, tuple[models.QuerySet[Any], tuple[str, ...]]]:
    """Per table of the export: the person's rows and the columns left out."""
    return {
        "consent_records": (
            ConsentRecord.objects.filter(lead=lead).order_by("at", "pk"),
            (),
        ),
        "events": (Event.objects.filter(lead=lead).order_by("occurred_at", "pk"), ()),
        "scores": (Score.objects.filter(lead=lead).order_by("computed_at", "pk"), ()),
        "band_changes": (
            BandChange.objects.filter(lead=lead).order_by("changed_at", "pk"),
            (),
        ),
        "feedback": (Feedback.objects.filter(lead=lead).order_by("given_at", "pk"), ()),
        "outcomes": (
            Outcome.objects.filter(lead=lead).order_by("occurred_at", "pk"),
            (),
        ),
        "tasks": (Task.objects.filter(lead=lead).order_by("created_at", "pk"), ()),
        "qualification": (Qualification.objects.filter(lead=lead), ()),
        "notes": (Note.objects.filter(lead=lead).order_by("written_at", "pk"), ()),
        "sales_actions": (
            SalesAction.objects.filter(lead=lead).order_by("done_at", "pk"),
            (),
        ),
        "alerts": (
            Alert.objects.filter(lead=lead).order_by("created_at", "pk"),
            ("last_error",),
        ),
        "webhook_deliveries": (
            WebhookDelivery.objects.filter(lead_id=lead.pk).order_by(
                "created_at", "pk"
            ),
            ("last_error", "remote_ids"),
        ),
        "visitors": (rows_of_lead("intake.Visitor", lead), ()),
        "visitor_events": (rows_of_lead("intake.VisitorEvent", lead), ()),
        "pending_form_submissions": (
            rows_of_lead("intake.PendingFormSubmission", lead),
            ("token_hash",),
        ),
        "merges": (LeadMerge.objects.filter(survivor=lead).order_by("merged_at"), ()),
        "audit_entries": (
            AuditEntry.objects.filter(lead_id=lead.pk).order_by("at", "pk"),
            (),
        ),
    }


def person_data(lead: Lead, *, now: datetime) -> dict[str, Any]:
    """Everything leadqual stores about the person behind ``lead``, JSON-ready.

    One key per table, each a list of rows (``lead`` and ``company`` are
    single objects; ``company`` is None when the lead has none).
    """
    company = lead.company
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "lead": {
            **_row(lead),
            "company_name": company.name if company is not None else None,
        },
        "company": _row(company) if company is not None else None,
        **{
            table: _rows(rows, exclude=exclude)
            for table, (rows, exclude) in _person_tables(lead).items()
        },
    }


def person_counts(lead: Lead) -> dict[str, int]:
    """How many rows of each table of the export belong to the person.

    Counted by the database, for the privacy page: a busy lead has many
    thousands of events and scores, which the export reads and the page
    does not need.
    """
    return {
        table: rows.order_by().count()
        for table, (rows, _exclude) in _person_tables(lead).items()
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
    records_merged_in: int
    changes: tuple[Change, ...]

    def count(self, what: str, action: str) -> int:
        """How many rows (or files) of ``what`` ("leads.Event") got ``action``."""
        return sum(
            change.count
            for change in self.changes
            if (change.what, change.action) == (what, action)
        )

    @property
    def events_cleared(self) -> int:
        return self.count("leads.Event", DONE[Erasure.CLEAR])

    @property
    def visitors_deleted(self) -> int:
        return self.count("intake.Visitor", DONE[Erasure.DELETE])

    def summary(self) -> str:
        """The counts as one line for the audit log and the command line."""
        parts = [str(change) for change in self.changes]
        if self.records_merged_in:
            parts.insert(0, f"{self.records_merged_in} merged-in records erased too")
        return "; ".join(parts) or "nothing else held their data"


def _empty_lead(lead: Lead, *, placeholder: str, now: datetime) -> None:
    """Empty the lead's personal fields (as leads declares them) and save it."""
    for field in personal_fields(declaration_of("leads.Lead")):
        if field.name != "email":
            setattr(lead, field.attname, empty_value(field))
    lead.email = placeholder
    lead.company = None
    lead.updated_at = now
    lead.anonymised_at = now
    lead.save()


def _anonymise(
    lead: Lead, subject: Subject, *, placeholder: str, now: datetime
) -> ErasureResult:
    """Erase the person behind ``lead`` everywhere, keeping what the KPIs read.

    ``subject`` is ``subject_of(lead)``. The lead row stays with a placeholder
    email; see privacy/erasure.py for the passes. Returns the counts. Must
    run inside a transaction with the lead row locked.
    """
    changes = erase_own_rows(subject.person)
    _empty_lead(lead, placeholder=placeholder, now=now)
    # Nobody should follow up a person who is gone; a task closed before its
    # due time does not count against the SLA, one past it still does.
    Task.objects.filter(lead=lead, done_at__isnull=True).update(
        done_at=now, closed_reason="person erased"
    )
    # A company only this person belonged to can name them ("Jansen Advies").
    orphans = Company.objects.filter(pk__in=subject.company_ids).exclude(
        pk__in=Lead.objects.filter(company_id__in=subject.company_ids).values(
            "company_id"
        )
    )
    companies_deleted, _by_model = orphans.delete()
    if companies_deleted:
        changes.append(Change("leads.Company", DONE[Erasure.DELETE], companies_deleted))
    changes += sweep(subject.person.matcher())
    changes += erase_files(subject.person)
    # The lead stays in the KPIs; its closed tasks and anything erased follow.
    refresh_kpi_facts([lead.pk, *subject.person.lead_ids])
    return ErasureResult(
        lead_id=lead.pk,
        records_merged_in=len(subject.person.lead_ids) - 1,
        changes=tuple(changes),
    )


def _locked_lead(lead_id: int) -> Lead:
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None:
        raise LeadNotFound(
            f"Lead {lead_id} does not exist (any more). Reload the page; it may have "
            "been merged or erased."
        )
    return lead


def _suppress(subject: Subject, *, reason: str, now: datetime) -> None:
    """Suppress every email of the person, each with a phone while there are any."""
    for index, email in enumerate(subject.emails):
        phone = subject.phones[index] if index < len(subject.phones) else ""
        suppress(email, phone, reason=reason, now=now)


def erase_person(lead: Lead, *, actor: Actor, now: datetime) -> ErasureResult:
    """Erase the person behind ``lead`` on their request, in one transaction.

    Personal data is removed everywhere (privacy/erasure.py), also of the
    records merged into the lead; a suppression keeps the person from being
    stored again; the erasure record (privacy/records.py) lets a restore
    erase them again; an "erased" audit entry records the counts. After the
    commit SQLite's write-ahead log is emptied. Returns the counts. Raises
    LeadNotFound when the lead no longer exists, ErasureRecordError (nothing
    erased) when the record cannot be written.
    """
    with transaction.atomic():
        locked = _locked_lead(lead.pk)
        subject = subject_of(locked)
        # First: when the record cannot be written, nothing is erased.
        if subject.emails:
            record_erasure(locked.pk, subject.emails, subject.phones, now=now)
        result = _anonymise(
            locked, subject, placeholder=erased_email(locked.pk), now=now
        )
        _suppress(subject, reason="erased on request", now=now)
        audit(actor, AuditAction.ERASED, locked.pk, detail=result.summary())
        transaction.on_commit(forget_deleted_bytes)
    logger.info("Erased lead %s: %s", result.lead_id, result.summary())
    lead.refresh_from_db()
    return result


# --- re-applying recorded erasures after a restore -------------------------------------


@dataclass(frozen=True, slots=True)
class ReapplyResult:
    """What re-applying the erasure record did (no personal data)."""

    recorded: int
    erased_lead_ids: tuple[int, ...]
    suppressions_created: int
    under_another_key: int

    def summary(self) -> str:
        """What was re-applied, in one or two sentences."""
        if not self.recorded:
            return "No erasures are recorded, so there was nothing to re-apply."
        leads = (
            "erased again: lead " + ", ".join(map(str, self.erased_lead_ids))
            if self.erased_lead_ids
            else "no lead held their data any more"
        )
        text = (
            f"Re-applied {self.recorded} recorded erasures: {leads}; "
            f"{self.suppressions_created} suppressions re-created."
        )
        if self.under_another_key:
            text += (
                f" {self.under_another_key} erasures were recorded under another "
                "secret key and cannot be matched: set LEADQUAL_SECRET_KEY to the "
                "key of that time and run `leadqual privacy reapply`."
            )
        return text


def _leads_with_recorded_emails(email_hashes: set[str]) -> list[int]:
    """Leads whose email, or an email merged into them, has a recorded hash."""
    found = {
        lead_id
        for lead_id, email in Lead.objects.values_list("pk", "email")
        if not is_placeholder(email) and contact_hash(email) in email_hashes
    }
    found.update(
        survivor_id
        for survivor_id, email in LeadMerge.objects.filter(
            undone_at__isnull=True
        ).values_list("survivor_id", "merged_email")
        if contact_hash(email) in email_hashes
    )
    return sorted(found)


def reapply_recorded_erasures(*, now: datetime) -> ReapplyResult:
    """Erase again everyone in the erasure record, and re-create their suppressions.

    For after a restore: a backup made before an erasure brings the person
    back. Leads are matched by the keyed hash of their email (or of an email
    merged into them), so only the same secret key matches. Safe to run
    twice. Raises ErasureRecordError when the record cannot be read.
    """
    records = read_record()
    usable = [record for record in records if record.has_this_key]
    created = 0
    with transaction.atomic():
        for record in usable:
            for index, email_hash in enumerate(record.email_hashes):
                phones = record.phone_hashes
                _row, made = Suppression.objects.get_or_create(
                    email_hash=email_hash,
                    defaults={
                        "phone_hash": phones[index] if index < len(phones) else "",
                        "reason": "erased on request (re-applied after a restore)",
                        "created_at": record.erased_at,
                    },
                )
                created += made
    erased: list[int] = []
    email_hashes = {digest for record in usable for digest in record.email_hashes}
    for lead_id in _leads_with_recorded_emails(email_hashes):
        with transaction.atomic():
            lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
            if lead is None or is_anonymised(lead):
                continue
            result = _anonymise(
                lead, subject_of(lead), placeholder=erased_email(lead.pk), now=now
            )
            audit(
                "restore",
                AuditAction.ERASED,
                lead.pk,
                detail=f"recorded erasure re-applied; {result.summary()}",
            )
        erased.append(lead_id)
    transaction.on_commit(forget_deleted_bytes)
    logger.info("Re-applied recorded erasures: leads %s erased again", erased)
    return ReapplyResult(
        recorded=len(records),
        erased_lead_ids=tuple(erased),
        suppressions_created=created,
        under_another_key=len(records) - len(usable),
    )


# --- retention -----------------------------------------------------------------------


def anonymise_lead(lead_id: int, *, now: datetime, reason: str) -> ErasureResult | None:
    """Anonymise one lead (no suppression, no erasure record: they may come back).

    The same removal as an erasure, with an "anonymised" audit entry.
    Returns None when the lead is gone or anonymised already.
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None or is_anonymised(lead):
            return None
        result = _anonymise(
            lead, subject_of(lead), placeholder=anonymised_email(lead.pk), now=now
        )
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
    SQLite's write-ahead log is emptied once at the end. Returns the ids of
    the leads anonymised.
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
    if done:
        transaction.on_commit(forget_deleted_bytes)
    logger.info("Retention: anonymised %s leads inactive since %s", len(done), cutoff)
    return done
