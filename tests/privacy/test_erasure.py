"""Erasure reaches every place personal data lives.

Stored API answers, webhook payloads (pending and delivered), the records
merged into the lead, uploaded import files, and SQLite's free pages; the
retention job goes the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from leadqual.hygiene.merging import merge_leads
from leadqual.intake.models import IdempotentRequest
from leadqual.intake.pipeline import submit_lead
from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.leads.models import Lead
from leadqual.privacy.models import Suppression
from leadqual.privacy.records import record_path
from leadqual.privacy.services import erase_person
from leadqual.privacy.suppression import SuppressedContact, is_suppressed
from leadqual.privacy.tasks import anonymise_inactive_leads_task
from leadqual.users.roles import Role
from tests.api.helpers import EVENTS, LEADS, WARM_DECISION_MAKER, body_of, event
from tests.factories import LeadFactory, make_user
from tests.integrations.http_receiver import Receiver, running
from tests.privacy.conftest import every_stored_text
from tests.subprocesses import free_port

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., Any]

EMAIL = "wilhelmina.zwanenburg@kaaspakhuis.nl"
FULL_NAME = "Wilhelmina Zwanenburg"
PHONE = "+31623456789"
COMPANY = "Kaaspakhuis Noël B.V."
MERGED_EMAIL = "willemien.zw@gmail.com"
MERGED_NAME = "Willemien Zwanenburg"
MERGED_PHONE = "+31687654321"
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def post_with_key(client: Client, path: str, body: object, key: str) -> TestResponse:
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def arrive(email: str = EMAIL, **fields: str) -> Lead:
    """A lead through the intake pipeline, as every way in stores one."""
    values = {
        "first_name": "Wilhelmina",
        "last_name": "Zwanenburg",
        "phone": "06 23456789",
        "company": COMPANY,
        "job_title": "Directeur",
    }
    return submit_lead(email, values | fields, now=timezone.now()).lead


def texts_of(rows: Any) -> str:
    return json.dumps([row.payload for row in rows], ensure_ascii=False).lower()


# --- stored API answers (Idempotency-Key) --------------------------------------------


def test_a_replayed_lead_creation_after_erasure_answers_that_it_was_erased(
    api_client: Client,
) -> None:
    first = post_with_key(api_client, LEADS, WARM_DECISION_MAKER, "4b1c-0001")
    assert first.status_code == 201
    erase_person(Lead.objects.get(), actor="admin", now=timezone.now())

    retry = post_with_key(api_client, LEADS, WARM_DECISION_MAKER, "4b1c-0001")

    assert retry.status_code == 422
    error = body_of(retry)["error"]
    assert error["code"] == "idempotency_key_erased"
    assert set(error["fields"]) == {"Idempotency-Key"}
    for text in ("anna", "jansen", "bakker ict", "directeur"):
        assert text not in retry.content.decode().lower()
    assert Lead.objects.count() == 1


def test_a_replayed_feedback_after_erasure_does_not_return_the_note(
    api_client: Client,
) -> None:
    lead = arrive()
    path = f"{LEADS}/{lead.pk}/feedback"
    body = {"decision": "rejected", "reason": "no_budget", "note": "Bel in mei."}
    assert post_with_key(api_client, path, body, "feedback-1").status_code == 201
    erase_person(lead, actor="admin", now=timezone.now())

    retry = post_with_key(api_client, path, body, "feedback-1")

    assert retry.status_code == 422
    assert body_of(retry)["error"]["code"] == "idempotency_key_erased"
    assert "Bel in mei" not in retry.content.decode()
    assert lead.feedback.count() == 1


def test_stored_answers_about_other_people_are_still_replayed(
    api_client: Client,
) -> None:
    person, other = arrive(), LeadFactory.create()
    about_person = {"events": [event(person.email, "download")]}
    about_other = {"events": [event(other.email, "download")]}
    first = post_with_key(api_client, EVENTS, about_person, "batch-1")
    kept = post_with_key(api_client, EVENTS, about_other, "batch-2")
    assert (first.status_code, kept.status_code) == (200, 200)
    erase_person(person, actor="admin", now=timezone.now())

    erased = post_with_key(api_client, EVENTS, about_person, "batch-1")
    replayed = post_with_key(api_client, EVENTS, about_other, "batch-2")

    assert body_of(erased)["error"]["code"] == "idempotency_key_erased"
    assert replayed.status_code == 200 and replayed.content == kept.content
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert IdempotentRequest.objects.filter(response_body="").count() == 1


# --- outbound webhook payloads ---------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running() as started:
        yield started


def test_webhook_payloads_about_the_person_are_scrubbed_pending_and_delivered(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """The delivery log keeps what went where; the person's values are gone."""
    WebhookEndpoint.objects.create(
        name="CRM", url=f"{receiver.url}/hooks", allow_private_network=True
    )
    WebhookEndpoint.objects.create(
        name="Down",
        url=f"http://127.0.0.1:{free_port()}/hooks",
        allow_private_network=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead = arrive()
        colleague = arrive("kees@kaaspakhuis.nl", first_name="Kees", last_name="Kaas")
    statuses = set(
        WebhookDelivery.objects.filter(lead_id=lead.pk).values_list("status", flat=True)
    )
    assert statuses == {DeliveryStatus.DELIVERED, DeliveryStatus.PENDING}
    assert COMPANY.lower() in texts_of(WebhookDelivery.objects.filter(lead_id=lead.pk))

    erase_person(lead, actor="admin", now=timezone.now())

    scrubbed = texts_of(WebhookDelivery.objects.filter(lead_id=lead.pk))
    for text in (EMAIL, FULL_NAME, "wilhelmina", COMPANY, "directeur"):
        assert text.lower() not in scrubbed
    assert "[erased]" in scrubbed
    assert statuses == set(
        WebhookDelivery.objects.filter(lead_id=lead.pk).values_list("status", flat=True)
    )
    # The company still has the colleague: their payloads keep its name.
    kept = texts_of(WebhookDelivery.objects.filter(lead_id=colleague.pk))
    assert COMPANY.lower() in kept and "kees@kaaspakhuis.nl" in kept


# --- records merged into the lead ------------------------------------------------------


@pytest.fixture
def merged(db: None) -> tuple[Lead, int]:
    """The person, and the id of their second record merged into them."""
    WebhookEndpoint.objects.create(
        name="Down",
        url=f"http://127.0.0.1:{free_port()}/hooks",
        allow_private_network=True,
    )
    lead = arrive()
    duplicate = arrive(
        MERGED_EMAIL,
        first_name="Willemien",
        last_name="Zwanenburg",
        phone=MERGED_PHONE,
        company="",
    )
    admin = make_user("annet", role=Role.ADMIN)
    merge_leads(lead, duplicate, by=admin, now=timezone.now())
    assert WebhookDelivery.objects.filter(lead_id=duplicate.pk).exists()
    return lead, duplicate.pk


def test_a_record_merged_into_the_lead_is_erased_with_it(
    merged: tuple[Lead, int],
) -> None:
    lead, duplicate_id = merged

    erase_person(lead, actor="admin", now=timezone.now())

    needles = [MERGED_EMAIL, MERGED_NAME, MERGED_PHONE, "687654321"]
    leaks = [
        (model, field, needle)
        for model, field, text in every_stored_text()
        for needle in needles
        if needle.lower() in text
    ]
    assert leaks == []
    assert "[erased]" in texts_of(WebhookDelivery.objects.filter(lead_id=duplicate_id))


def test_the_merged_records_email_and_phone_are_suppressed_too(
    merged: tuple[Lead, int],
) -> None:
    erase_person(merged[0], actor="admin", now=timezone.now())

    assert is_suppressed(MERGED_EMAIL) and is_suppressed(None, MERGED_PHONE)
    with pytest.raises(SuppressedContact):
        submit_lead(MERGED_EMAIL, {"first_name": "Willemien"}, now=timezone.now())


def test_erasing_by_the_email_of_a_merged_record_erases_the_lead_it_is_in(
    merged: tuple[Lead, int],
) -> None:
    lead, _duplicate_id = merged

    call_command("privacy", "erase", MERGED_EMAIL, "--yes")

    lead.refresh_from_db()
    assert lead.email == f"erased-{lead.pk}@invalid" and lead.first_name == ""
    assert Suppression.objects.count() == 2


# --- uploaded import files -------------------------------------------------------------


def _upload(folder: Path, name: str, rows: list[list[str]]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    if name.endswith(".xlsx"):
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        workbook.save(path)
    else:
        path.write_text("\n".join(";".join(row) for row in rows), encoding="utf-8")
    return path


def test_upload_files_that_name_the_person_are_deleted_and_others_stay(
    data_dir: Path,
) -> None:
    lead = arrive()
    uploads = data_dir / "imports"
    header = ["Email", "Voornaam", "Achternaam", "Telefoon"]
    by_email = _upload(uploads, f"{'a' * 64}.xlsx", [header, [EMAIL, "", "", ""]])
    # No email of theirs: the name over two columns and the phone as typed.
    by_name = _upload(
        uploads,
        f"{'b' * 64}.csv",
        [header, ["w.z@elders.nl", "Wilhelmina", "Zwanenburg", "06-2345 6789"]],
    )
    by_phone = _upload(
        uploads, f"{'c' * 64}.csv", [header, ["x@elders.nl", "", "", "0031623456789"]]
    )
    other = _upload(
        uploads, f"{'d' * 64}.csv", [header, ["piet@bakker.nl", "Piet", "Bakker", ""]]
    )

    result = erase_person(lead, actor="admin", now=timezone.now())

    assert [path.exists() for path in (by_email, by_name, by_phone, other)] == [
        False,
        False,
        False,
        True,
    ]
    assert result.count("files", "deleted") == 3


# --- retention goes the same way -------------------------------------------------------

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)


def test_retention_removes_the_person_everywhere_an_erasure_does(
    data_dir: Path, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """But writes no suppression and no erasure record: they may come back."""
    WebhookEndpoint.objects.create(
        name="Down",
        url=f"http://127.0.0.1:{free_port()}/hooks",
        allow_private_network=True,
    )
    with time_machine.travel(T0, tick=False):
        lead = arrive()
    upload = _upload(data_dir / "imports", f"{'e' * 64}.csv", [["Email"], [EMAIL]])

    with time_machine.travel(T0 + timedelta(days=24 * 31), tick=False):
        anonymise_inactive_leads_task()

    payloads = texts_of(WebhookDelivery.objects.filter(lead_id=lead.pk))
    assert COMPANY.lower() not in payloads and EMAIL not in payloads
    assert not upload.exists()
    assert not Suppression.objects.exists()
    assert not record_path().exists()
