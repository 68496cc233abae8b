"""Shared scene: one person with data in every table leadqual has."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import models
from pytest_django.fixtures import Settings

from leadqual.core.lifecycle import (
    CallResult,
    Decision,
    NoteKind,
    OutcomeKind,
    TaskKind,
)
from leadqual.core.scoring import ScoreTrigger
from leadqual.hygiene.merging import merge_leads
from leadqual.intake.models import ImportJob, TrackedSite, Visitor, VisitorEvent
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.integrations.models import WebhookDelivery, WebhookEndpoint
from leadqual.integrations.outbox import lead_data
from leadqual.leads.models import Lead
from leadqual.leads.services import ConsentInput
from leadqual.triage.models import Task
from leadqual.triage.services import (
    add_note,
    record_feedback,
    record_first_contact,
    record_outcome,
)
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

# A Monday three weeks before the tests' "now": a past, closed week.
ARRIVED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)

EMAIL = "wilhelmina.zwanenburg@kaaspakhuis.nl"
OTHER_EMAIL = "w.zwanenburg@gmail.com"
FIRST_NAME = "Wilhelmina"
LAST_NAME = "Zwanenburg-Oosterhout"
PHONE_E164 = "+31623456789"


@dataclass(frozen=True, slots=True)
class Person:
    lead: Lead
    admin: User
    seller: User


def build_person() -> Person:
    """A lead with consent, events, visits, feedback, outcomes, a task, a merge,
    a webhook delivery, an admin log entry and an import report about them."""
    admin = make_user("annet", role=Role.ADMIN)
    seller = make_user("sanne", role=Role.SALES)
    arrival = submit_lead(
        EMAIL,
        {
            "first_name": FIRST_NAME,
            "last_name": LAST_NAME,
            "phone": "06 23456789",
            "job_title": "Directeur",
            "company": "Kaaspakhuis B.V.",
            "sector": "retail",
            "employees": "25",
            "budget_euros": "20000",
            "urgency": "immediate",
            "source": "website",
        },
        consent=ConsentInput(given=True, text_version="2026-01", given_at=ARRIVED_AT),
        now=ARRIVED_AT,
        trigger=ScoreTrigger.FORM,
    )
    lead = arrival.lead
    submit_events(
        [
            RawEvent(
                lead_email=EMAIL,
                type="demo_request",
                occurred_at=(ARRIVED_AT + timedelta(hours=1)).isoformat(),
                properties={"url": f"https://kaaspakhuis.nl/demo?name={FIRST_NAME}"},
                external_id="evt-demo-1",
            )
        ],
        now=ARRIVED_AT + timedelta(hours=1),
        source="api",
    )
    duplicate = LeadFactory.create(
        email=OTHER_EMAIL,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        company=None,
        created_at=ARRIVED_AT,
    )
    merge_leads(lead, duplicate, by=admin, now=ARRIVED_AT + timedelta(hours=2))
    site = TrackedSite.objects.create(name="Shop", origin="https://kaaspakhuis.nl")
    visitor = Visitor.objects.create(
        visitor_id="v-0123456789abcdef",
        site=site,
        lead=lead,
        consented_at=ARRIVED_AT,
        first_seen_at=ARRIVED_AT,
        last_seen_at=ARRIVED_AT,
    )
    VisitorEvent.objects.create(
        visitor=visitor,
        type="page_view",
        occurred_at=ARRIVED_AT,
        properties={"url": f"https://kaaspakhuis.nl/?email={EMAIL}"},
    )
    Task.objects.create(
        lead=lead,
        owner=seller,
        kind=TaskKind.FIRST_CONTACT,
        due_at=ARRIVED_AT + timedelta(days=1),
        created_at=ARRIVED_AT,
    )
    record_first_contact(lead, by=seller, now=ARRIVED_AT + timedelta(hours=3))
    record_feedback(
        lead,
        Decision.ACCEPTED,
        reason=None,
        note=f"{FIRST_NAME} wants a call back on {PHONE_E164}",
        given_by=seller,
        now=ARRIVED_AT + timedelta(hours=4),
    )
    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=1_500_000,
        note=f"Signed by {FIRST_NAME} {LAST_NAME}",
        recorded_by=seller,
        now=ARRIVED_AT + timedelta(days=2),
    )
    add_note(
        lead,
        NoteKind.NOTE,
        f"{FIRST_NAME} {LAST_NAME} prefers mail at {EMAIL}",
        by=seller,
        now=ARRIVED_AT + timedelta(days=1),
    )
    add_note(
        lead,
        NoteKind.CALL,
        f"Called {PHONE_E164}, spoke to {FIRST_NAME}",
        call_result=CallResult.REACHED,
        by=seller,
        now=ARRIVED_AT + timedelta(days=1, hours=1),
    )
    endpoint = WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.example.nl/hooks"
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="lead.created",
        payload={"type": "lead.created", "data": {"lead": dict(lead_data(lead))}},
        message_id="msg_0123456789abcdef0123456789abcdef",
        lead_id=lead.pk,
        sequence=1,
    )
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=str(lead.pk),
        object_repr=str(lead),
        action_flag=CHANGE,
        change_message="[]",
    )
    ImportJob.objects.create(
        file_name="crm.csv",
        file_sha256="0" * 64,
        report=[{"row": 3, "column": "phone", "message": f"{EMAIL} is in row 2"}],
    )
    lead.refresh_from_db()
    return Person(lead=lead, admin=admin, seller=seller)


@pytest.fixture
def person(db: None) -> Person:
    """One person with data in every table, arrived three weeks ago."""
    return build_person()


@pytest.fixture(autouse=True)
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    """A data directory of this test's own: uploads, the erasure record."""
    folder = tmp_path / "data"
    folder.mkdir()
    settings.DATA_DIR = folder
    return folder


def every_stored_text() -> list[tuple[str, str, str]]:
    """(model, field, lower-case text) of every text and JSON value in the database."""
    found: list[tuple[str, str, str]] = []
    for model in apps.get_models():
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField, models.JSONField))
        ]
        for row in model._base_manager.all():
            for field in fields:
                value = getattr(row, field.attname)
                text = (
                    json.dumps(value, ensure_ascii=False)
                    if isinstance(field, models.JSONField)
                    else str(value)
                )
                found.append((model._meta.label, field.name, text.lower()))
    return found
