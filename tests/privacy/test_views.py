"""The privacy pages: admins only, export downloads, erasure, the audit log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from leadqual.leads.models import Lead
from leadqual.privacy.models import AuditEntry
from leadqual.triage.services import reopen_lead
from leadqual.users.roles import Role
from tests.factories import make_user
from tests.privacy.conftest import EMAIL, FIRST_NAME, NOW, Person

pytestmark = pytest.mark.django_db


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.SALES, Role.MARKETING])
def test_only_admins_reach_the_privacy_pages(person: Person, role: Role) -> None:
    client = _client_for(make_user("other", role=role))
    lead_id = person.lead.pk
    for url in (
        f"/privacy/leads/{lead_id}/",
        f"/privacy/leads/{lead_id}/export.json",
        f"/privacy/leads/{lead_id}/export.csv",
        "/privacy/audit/",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/privacy/leads/{lead_id}/erase/", {"confirm": "yes"})
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead_id).email == EMAIL


def test_signed_out_visitors_are_sent_to_the_login(person: Person) -> None:
    response = Client().get(f"/privacy/leads/{person.lead.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_privacy_page_shows_the_person_and_is_audited(person: Person) -> None:
    response = _client_for(person.admin).get(f"/privacy/leads/{person.lead.pk}/")
    assert response.status_code == 200
    assert EMAIL in response.content.decode()
    entry = AuditEntry.objects.get(action="viewed", detail="privacy page")
    assert (entry.actor, entry.lead_id) == ("annet", person.lead.pk)


def test_opening_the_lead_page_is_audited(person: Person) -> None:
    response = _client_for(person.admin).get(f"/leads/{person.lead.pk}/")
    assert response.status_code == 200
    assert AuditEntry.objects.filter(
        action="viewed", lead_id=person.lead.pk, actor="annet"
    ).exists()


def test_an_admin_downloads_the_export_as_json_and_csv(person: Person) -> None:
    client = _client_for(person.admin)
    response = client.get(f"/privacy/leads/{person.lead.pk}/export.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["lead"]["first_name"] == FIRST_NAME
    response = client.get(f"/privacy/leads/{person.lead.pk}/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["table"] for row in rows} >= {"lead", "events", "feedback"}
    assert AuditEntry.objects.filter(action="exported").count() == 2


def test_an_unknown_export_format_is_a_404(person: Person) -> None:
    response = _client_for(person.admin).get(
        f"/privacy/leads/{person.lead.pk}/export.xml"
    )
    assert response.status_code == 404


def test_erasing_needs_the_confirmation(person: Person) -> None:
    response = _client_for(person.admin).post(f"/privacy/leads/{person.lead.pk}/erase/")
    assert response.status_code == 422
    assert "Nothing was erased" in response.content.decode()
    assert Lead.objects.get(pk=person.lead.pk).email == EMAIL


def test_an_erasure_that_cannot_be_recorded_says_so_and_erases_nothing(
    person: Person, data_dir: Path
) -> None:
    # A folder where the record's file should be: it cannot be appended to.
    (data_dir / "erasures.jsonl").mkdir()
    response = _client_for(person.admin).post(
        f"/privacy/leads/{person.lead.pk}/erase/", {"confirm": "yes"}
    )
    assert response.status_code == 422
    assert "cannot write its erasure record" in response.content.decode()
    assert Lead.objects.get(pk=person.lead.pk).email == EMAIL


def test_an_admin_erases_the_person(person: Person) -> None:
    client = _client_for(person.admin)
    response = client.post(
        f"/privacy/leads/{person.lead.pk}/erase/", {"confirm": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert EMAIL not in response.content.decode()
    assert Lead.objects.get(pk=person.lead.pk).email.startswith("erased-")
    assert AuditEntry.objects.filter(action="erased", actor="annet").exists()


def test_the_audit_log_filters_by_lead_who_and_action(person: Person) -> None:
    client = _client_for(person.admin)
    client.get(f"/privacy/leads/{person.lead.pk}/")
    response = client.get(
        "/privacy/audit/",
        {"lead": str(person.lead.pk), "who": "annet", "action": "viewed"},
    )
    assert response.status_code == 200
    entries = list(response.context["entries"])
    assert entries and all(
        (entry.lead_id, entry.actor, entry.action)
        == (person.lead.pk, "annet", "viewed")
        for entry in entries
    )


def test_sales_feedback_is_audited_as_a_change(person: Person) -> None:
    # The person's deal is won: feedback needs the lead reopened first.
    reopen_lead(person.lead, by=person.seller, now=NOW)
    client = _client_for(person.seller)
    response = client.post(
        f"/leads/{person.lead.pk}/feedback/",
        {"decision": "rejected", "reason": "no_need"},
    )
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.filter(
        action="changed", lead_id=person.lead.pk, actor="sanne", detail="feedback"
    ).exists()


def test_a_merge_is_audited(person: Person) -> None:
    entry = AuditEntry.objects.get(action="merged")
    assert entry.lead_id == person.lead.pk and "merged in" in entry.detail


def test_the_form_thanks_an_erased_person_and_stores_nothing(
    person: Person, client: Client
) -> None:
    client.force_login(person.admin)
    client.post(f"/privacy/leads/{person.lead.pk}/erase/", {"confirm": "yes"})
    client.logout()
    response = client.post(
        "/form/",
        {
            "first_name": FIRST_NAME,
            "last_name": "Z",
            "email": EMAIL,
            "company": "Kaaspakhuis B.V.",
            "sector": "logistics",
            "employees": "10-49",
            "budget": "10000-25000",
            "urgency": "within_3_months",
            "consent": "on",
            "website": "",
        },
    )
    assert response.status_code == 302 and "/form/thanks/" in response["Location"]
    assert not Lead.objects.filter(email=EMAIL).exists()


def test_the_api_refuses_an_erased_person_with_422(
    person: Person, api_client: Client
) -> None:
    admin = _client_for(person.admin)
    admin.post(f"/privacy/leads/{person.lead.pk}/erase/", {"confirm": "yes"})
    response = api_client.post(
        "/api/v1/leads",
        {"email": EMAIL, "first_name": FIRST_NAME},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "suppressed_contact"
    assert not Lead.objects.filter(email=EMAIL).exists()
