"""Export, erasure, suppression, consent records and retention of a person's data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from leadqual.core.kpis import weekly
from leadqual.insights.queries import lead_facts
from leadqual.intake.imports import import_leads_file
from leadqual.intake.models import PendingFormSubmission
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Event, Lead
from leadqual.leads.services import ConsentInput
from leadqual.privacy.models import AuditEntry, ConsentRecord, Suppression
from leadqual.privacy.services import (
    erase_person,
    erased_email,
    export_person,
    person_data,
)
from leadqual.privacy.suppression import SuppressedContact, contact_hash
from leadqual.privacy.tasks import anonymise_inactive_leads_task
from tests.factories import EventFactory, LeadFactory
from tests.privacy.conftest import (
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    NOW,
    OTHER_EMAIL,
    PHONE_E164,
    Person,
    every_stored_text,
)

pytestmark = pytest.mark.django_db

EXPORTED_TABLES = (
    "consent_records",
    "events",
    "scores",
    "band_changes",
    "feedback",
    "outcomes",
    "tasks",
    "qualification",
    "notes",
    "sales_actions",
    "webhook_deliveries",
    "visitors",
    "visitor_events",
    "merges",
    "audit_entries",
)


def test_the_export_holds_every_table_about_the_person(person: Person) -> None:
    data = json.loads(
        export_person(person.lead, actor=person.admin, now=NOW, file_format="json")
    )
    assert data["lead"]["email"] == EMAIL
    assert data["lead"]["company_name"] == "Kaaspakhuis B.V."
    assert data["company"]["name"] == "Kaaspakhuis B.V."
    for table in EXPORTED_TABLES:
        assert data[table], f"{table} is empty in the export"
    assert {row["source"] for row in data["consent_records"]} == {"website"}
    assert data["visitor_events"][0]["properties"]["url"].endswith(EMAIL)
    assert [note["call_result"] for note in data["notes"]] == ["", "reached"]
    assert EMAIL in data["notes"][0]["body"]


def test_the_export_holds_a_form_submission_waiting_for_confirmation(
    person: Person,
) -> None:
    """Every table the personal-data registry ties to the lead is exported."""
    PendingFormSubmission.objects.create(
        lead=person.lead,
        fields={"first_name": "Wil", "phone": "06 99999999"},
        answers={"budget": "25k+"},
        language="nl",
        submitted_at=NOW,
        expires_at=NOW + timedelta(days=7),
        token_hash="a" * 64,
    )
    data = json.loads(
        export_person(person.lead, actor=person.admin, now=NOW, file_format="json")
    )
    (pending,) = data["pending_form_submissions"]
    assert pending["fields"]["phone"] == "06 99999999"
    assert "token_hash" not in pending


def test_the_csv_export_has_a_row_per_item(person: Person) -> None:
    text = export_person(person.lead, actor=person.admin, now=NOW, file_format="csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    data = person_data(person.lead, now=NOW)
    expected = 2 + sum(len(data[table]) for table in EXPORTED_TABLES)
    assert len(rows) == expected
    lead_row = next(row for row in rows if row["table"] == "lead")
    assert json.loads(lead_row["data"])["email"] == EMAIL


def test_an_export_is_audited(person: Person) -> None:
    export_person(person.lead, actor=person.admin, now=NOW, file_format="csv")
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.actor, entry.lead_id, entry.user) == (
        "annet",
        person.lead.pk,
        person.admin,
    )


def test_an_erased_person_leaves_no_trace_in_any_table(person: Person) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)
    needles = [
        EMAIL,
        OTHER_EMAIL,
        FIRST_NAME,
        LAST_NAME,
        PHONE_E164,
        "623456789",
        "Kaaspakhuis B.V.",
    ]
    leaks = [
        (table, column, needle)
        for table, column, text in every_stored_text()
        for needle in needles
        if needle.lower() in text
    ]
    assert leaks == []


def test_erasure_keeps_the_anonymous_history(person: Person) -> None:
    lead = person.lead
    erase_person(lead, actor=person.admin, now=NOW)
    lead.refresh_from_db()
    assert lead.email == erased_email(lead.pk)
    assert (lead.first_name, lead.last_name, lead.phone, lead.job_title) == (
        "",
        "",
        "",
        "",
    )
    assert lead.source == "website" and lead.score_total is not None
    assert Event.objects.filter(lead=lead, properties={}).count() == 1
    assert lead.feedback.get().decision == "accepted"
    assert lead.outcomes.get().value_cents == 1_500_000
    # Notes and logged calls are what sales wrote about the person: they go.
    assert not lead.notes.exists()
    assert sorted(lead.sales_actions.values_list("kind", flat=True)) == [
        "accepted",
        "first_contact",
        "won",
    ]


def test_kpis_of_past_weeks_do_not_change_after_an_erasure(person: Person) -> None:
    LeadFactory.create(created_at=person.lead.created_at)

    def kpis() -> object:
        facts = lead_facts(Lead.objects.all())
        start = (NOW - timedelta(weeks=6)).date()
        return facts, weekly(facts, start, NOW.date(), now=NOW)

    before = kpis()
    erase_person(person.lead, actor=person.admin, now=NOW)
    assert kpis() == before


def test_an_erasure_suppresses_every_email_of_the_person_and_is_audited(
    person: Person,
) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)
    suppressions = list(Suppression.objects.order_by("pk"))
    assert [row.email_hash for row in suppressions] == [
        contact_hash(EMAIL),
        contact_hash(OTHER_EMAIL),
    ]
    assert suppressions[0].phone_hash == contact_hash(PHONE_E164)
    entry = AuditEntry.objects.get(action="erased")
    assert entry.lead_id == person.lead.pk and "leads.Event: 1 emptied" in entry.detail


def test_an_erased_person_cannot_be_submitted_again(person: Person) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)
    with pytest.raises(SuppressedContact) as caught:
        submit_lead(f" {EMAIL.upper()} ", {"first_name": FIRST_NAME}, now=NOW)
    assert "erased" in caught.value.message
    assert not Lead.objects.filter(email=EMAIL).exists()


def test_an_erased_phone_number_is_refused_with_another_email(person: Person) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)
    with pytest.raises(SuppressedContact):
        submit_lead("nieuw@kaaspakhuis.nl", {"phone": "+31 6 23456789"}, now=NOW)


def test_a_reimport_of_an_erased_person_is_rejected_with_a_reason(
    person: Person, tmp_path: Path
) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)
    path = tmp_path / "crm.csv"
    path.write_text(
        f"email,first_name\n{EMAIL},{FIRST_NAME}\nandere@example.nl,Piet\n",
        encoding="utf-8",
    )
    report = import_leads_file(path, now=NOW)
    assert (report.created, len(report.rejected)) == (1, 1)
    assert "erased" in report.rejected[0].problems[0].message
    assert not Lead.objects.filter(email=EMAIL).exists()


def test_events_of_an_erased_person_are_ignored(person: Person) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)
    result = submit_events(
        [RawEvent(lead_email=EMAIL, type="page_view", occurred_at=NOW.isoformat())],
        now=NOW,
        source="api",
    )
    assert (result.accepted, result.rejected) == (0, [])


def test_consent_changes_are_kept_as_history(db: None) -> None:
    moments = [NOW - timedelta(days=3), NOW - timedelta(days=2), NOW]
    answers = [True, True, False]
    for moment, given in zip(moments, answers, strict=True):
        submit_lead(
            "eva@logistiek-partners.nl",
            {"source": "website"},
            consent=ConsentInput(given=given, text_version="v1", given_at=moment),
            now=moment,
        )
    records = list(ConsentRecord.objects.order_by("at"))
    assert [(record.given, record.lawful_basis) for record in records] == [
        (True, "consent"),
        (False, "consent"),
    ]


T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)


def test_retention_anonymises_an_inactive_lead_and_leaves_an_active_one(
    db: None,
) -> None:
    with time_machine.travel(T0, tick=False):
        inactive = LeadFactory.create(created_at=T0, updated_at=T0)
        active = LeadFactory.create(created_at=T0, updated_at=T0)
    EventFactory.create(
        lead=active,
        occurred_at=T0 + timedelta(days=600),
        received_at=T0 + timedelta(days=600),
    )
    with time_machine.travel(T0 + timedelta(days=24 * 31), tick=False):
        anonymise_inactive_leads_task()
    inactive.refresh_from_db()
    active.refresh_from_db()
    assert inactive.email == f"anonymised-{inactive.pk}@invalid"
    assert inactive.first_name == "" and inactive.company is None
    assert active.first_name == "Jan" and "@invalid" not in active.email
    entry = AuditEntry.objects.get(action="anonymised")
    assert entry.lead_id == inactive.pk and entry.actor == "retention"
    # Anonymised for inactivity, not erased on request: they may come back.
    assert not Suppression.objects.exists()


def test_retention_keeps_a_lead_younger_than_the_period(db: None) -> None:
    with time_machine.travel(T0, tick=False):
        lead = LeadFactory.create(created_at=T0, updated_at=T0)
    with time_machine.travel(T0 + timedelta(days=23 * 30), tick=False):
        anonymise_inactive_leads_task()
    lead.refresh_from_db()
    assert lead.first_name == "Jan"


def test_an_erased_person_is_not_followed_up_again() -> None:
    """Erasure closes the open task; requalification and triage skip the row."""
    from datetime import timedelta

    from django.utils import timezone

    from leadqual.intake.pipeline import submit_lead
    from leadqual.privacy.services import erase_person
    from leadqual.triage.models import Task
    from leadqual.triage.requalification import leads_to_requalify
    from tests.factories import make_user

    make_user("sanne")
    now = timezone.now()
    arrival = submit_lead(
        "kees@bouwbedrijf.nl",
        {
            "sector": "software",
            "employees": "25",
            "budget_euros": "15000",
            "urgency": "nu",
        },
        now=now,
    )
    assert Task.objects.filter(lead=arrival.lead, done_at__isnull=True).exists()
    erase_person(arrival.lead, actor="admin", now=now)
    assert not Task.objects.filter(lead=arrival.lead, done_at__isnull=True).exists()
    later = now + timedelta(days=60)
    due = leads_to_requalify(now=later, cycle_days=30, include_all=True)
    assert not due.filter(pk=arrival.lead.pk).exists()
