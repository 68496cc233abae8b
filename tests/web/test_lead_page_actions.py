"""The lead page's action bar, reopen and undo, notes, owner and corrections (HTTP)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leadqual.core.lifecycle import Decision, LeadStatus, OutcomeKind
from leadqual.core.sla import DUTCH_TIME
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.privacy.models import AuditEntry
from leadqual.triage.models import Note, SalesAction
from leadqual.triage.services import record_feedback, record_outcome
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "first_name": "Kees",
    "last_name": "Bakker",
    "company": "Bouwbedrijf Bakker B.V.",
    "phone": "+31 6 12345678",
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def clock() -> object:
    with time_machine.travel(THURSDAY + timedelta(days=1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def seller() -> User:
    return make_user("sanne", role=Role.SALES)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _lead(seller: User) -> Lead:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead
    lead.refresh_from_db()
    assert lead.owner_id == seller.pk
    return lead


def _won(lead: Lead, seller: User) -> Lead:
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)
    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=900_000,
        recorded_by=seller,
        now=THURSDAY + timedelta(hours=1),
    )
    lead.refresh_from_db()
    return lead


def _page(client: Client, lead: Lead) -> str:
    response = client.get(reverse("leads:lead-detail", args=[lead.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _bar(html: str) -> str:
    found = re.search(r'<nav class="action-bar".*?</nav>', html, re.S)
    assert found is not None, "the lead page has no action bar"
    return found.group(0)


# --- the action bar follows the status -------------------------------------------------


def test_a_new_lead_offers_call_mail_contact_accept_reject_and_stage(
    seller: User,
) -> None:
    lead = _lead(seller)

    bar = _bar(_page(_client_for(seller), lead))

    assert 'href="tel:+31612345678"' in bar
    assert 'href="mailto:kees@bouwbedrijf.nl"' in bar
    for button in ("bar-contact-made", "bar-accept", "bar-reject", "bar-stage-save"):
        assert f'id="{button}"' in bar
    assert 'id="bar-reopen"' not in bar


def test_a_won_lead_offers_only_reopen(seller: User) -> None:
    lead = _won(_lead(seller), seller)

    html = _page(_client_for(seller), lead)
    bar = _bar(html)

    assert 'id="bar-reopen"' in bar
    for button in ("bar-accept", "bar-reject", "bar-stage-save"):
        assert f'id="{button}"' not in bar
    # The panels below show no buttons that would overwrite the win either.
    assert 'name="reason"' not in html
    assert 'name="kind" value="lost"' not in html


def test_accepting_in_the_panel_with_htmx_moves_the_bar_too(seller: User) -> None:
    lead = _lead(seller)

    response = _client_for(seller).post(
        reverse("triage:lead-feedback", args=[lead.pk]),
        {"decision": "accepted"},
        headers=HX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    bar = _bar(html)
    assert 'hx-swap-oob="true"' in bar
    assert 'id="bar-accept"' not in bar and 'id="bar-reject"' in bar


def test_winning_in_the_panel_with_htmx_takes_the_reject_buttons_away(
    seller: User,
) -> None:
    lead = _lead(seller)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)

    response = _client_for(seller).post(
        reverse("triage:lead-outcome", args=[lead.pk]),
        {"kind": "won", "value": "45.000"},
        headers=HX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    feedback = html[html.index('id="feedback"') :]
    assert feedback.startswith(
        'id="feedback" aria-labelledby="feedback-title" hx-swap-oob'
    )
    assert 'name="reason"' not in html
    assert "reopened first" in feedback


def test_the_bar_links_to_the_next_lead_of_the_queue(seller: User) -> None:
    lead = _lead(seller)

    bar = _bar(_page(_client_for(seller), lead))

    assert f'href="{reverse("triage:next-lead")}?after={lead.pk}"' in bar


def test_marketing_sees_the_bar_without_actions(seller: User) -> None:
    lead = _lead(seller)
    marketer = make_user("mila", role=Role.MARKETING)

    bar = _bar(_page(_client_for(marketer), lead))

    assert 'id="bar-call"' in bar and 'id="bar-accept"' not in bar


# --- a won lead is reopened explicitly, with confirmation and undo --------------------


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_rejecting_a_won_lead_is_refused_with_a_clear_message(
    seller: User, headers: dict[str, str]
) -> None:
    lead = _won(_lead(seller), seller)

    response = _client_for(seller).post(
        reverse("triage:lead-feedback", args=[lead.pk]),
        {"decision": "rejected", "reason": "no_need"},
        headers=headers,
    )

    assert response.status_code == 422
    assert "This lead is won. Reopen it first" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON


def test_a_new_outcome_on_a_won_lead_is_refused(seller: User) -> None:
    lead = _won(_lead(seller), seller)

    response = _client_for(seller).post(
        reverse("triage:lead-outcome", args=[lead.pk]), {"kind": "lost"}
    )

    assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON


def test_reopening_asks_for_confirmation_first(seller: User) -> None:
    lead = _won(_lead(seller), seller)
    client = _client_for(seller)
    url = reverse("triage:lead-reopen", args=[lead.pk])

    page = client.get(url)
    unconfirmed = client.post(url, {})

    assert page.status_code == 200
    assert 'name="confirm"' in page.content.decode()
    assert unconfirmed.status_code == 422
    assert "tick the box" in unconfirmed.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON


def test_a_confirmed_reopen_can_be_undone_from_the_bar(seller: User) -> None:
    lead = _won(_lead(seller), seller)
    client = _client_for(seller)

    response = client.post(
        reverse("triage:lead-reopen", args=[lead.pk]), {"confirm": "on"}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    bar = _bar(_page(client, lead))
    action = SalesAction.objects.get(kind="reopened")
    undo_url = reverse("triage:lead-reopen-undo", args=[lead.pk, action.pk])
    assert f'action="{undo_url}"' in bar
    assert AuditEntry.objects.filter(lead_id=lead.pk, detail="reopened").exists()

    undone = client.post(undo_url)

    assert undone.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    assert 'id="bar-undo-reopen"' not in _bar(_page(client, lead))


def test_an_undo_after_a_later_change_is_refused_with_a_message(
    seller: User,
) -> None:
    lead = _won(_lead(seller), seller)
    client = _client_for(seller)
    client.post(reverse("triage:lead-reopen", args=[lead.pk]), {"confirm": "on"})
    action = SalesAction.objects.get(kind="reopened")
    client.post(reverse("triage:lead-outcome", args=[lead.pk]), {"kind": "lost"})

    response = client.post(
        reverse("triage:lead-reopen-undo", args=[lead.pk, action.pk]), follow=True
    )

    assert "cannot be undone any more" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST


# --- notes and calls, and one timeline ---------------------------------------------------


def test_a_note_and_a_call_land_on_the_timeline_newest_first(seller: User) -> None:
    lead = _lead(seller)
    client = _client_for(seller)
    submit_events(
        [
            RawEvent(
                lead.email,
                "page_view",
                (THURSDAY + timedelta(hours=2)).isoformat(),
                {"url": "https://example.nl/prijzen"},
                "pv-9",
            )
        ],
        now=THURSDAY + timedelta(hours=2),
        source="api",
    )
    with time_machine.travel(THURSDAY + timedelta(hours=1), tick=False):
        client.post(
            reverse("triage:lead-bant", args=[lead.pk]),
            {"question": "budget", "answer": "yes"},
        )
    with time_machine.travel(THURSDAY + timedelta(hours=3), tick=False):
        client.post(
            reverse("triage:lead-note", args=[lead.pk]),
            {"kind": "note", "body": "Wil een demo in januari"},
        )
    with time_machine.travel(THURSDAY + timedelta(hours=4), tick=False):
        client.post(
            reverse("triage:lead-note", args=[lead.pk]),
            {"kind": "call", "call_result": "voicemail", "body": ""},
        )

    html = _page(client, lead)
    timeline = html[html.index('id="timeline"') :]
    labels = re.findall(
        r"<li class=\"timeline-[^\"]*\">\s*<strong>([^<]+)</strong>", timeline
    )

    assert labels[:4] == [
        "Phone call: Voicemail",
        "Note",
        "Page view",
        "Qualification answer",
    ]
    assert "Wil een demo in januari" in timeline
    assert Note.objects.filter(lead=lead).count() == 2


def test_an_empty_note_is_refused_and_nothing_is_stored(seller: User) -> None:
    lead = _lead(seller)

    response = _client_for(seller).post(
        reverse("triage:lead-note", args=[lead.pk]), {"kind": "note", "body": "  "}
    )

    assert response.status_code == 422
    assert "the text is empty" in response.content.decode()
    assert not Note.objects.exists()


def test_a_call_needs_its_result(seller: User) -> None:
    lead = _lead(seller)

    response = _client_for(seller).post(
        reverse("triage:lead-note", args=[lead.pk]), {"kind": "call", "body": "x"}
    )

    assert response.status_code == 422
    assert not Note.objects.exists()


def test_marketing_cannot_write_notes(seller: User) -> None:
    lead = _lead(seller)
    marketer = make_user("mila", role=Role.MARKETING)

    response = _client_for(marketer).post(
        reverse("triage:lead-note", args=[lead.pk]), {"kind": "note", "body": "hi"}
    )

    assert response.status_code == 403
    assert not Note.objects.exists()


# --- reassigning -----------------------------------------------------------------------


def test_a_seller_reassigns_their_own_lead(seller: User) -> None:
    lead = _lead(seller)
    colleague = make_user("pieter", role=Role.SALES)

    response = _client_for(seller).post(
        reverse("triage:lead-reassign", args=[lead.pk]), {"owner": colleague.pk}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner_id == colleague.pk


def test_a_seller_cannot_reassign_a_colleagues_lead(seller: User) -> None:
    lead = _lead(seller)
    colleague = make_user("pieter", role=Role.SALES)
    Lead.objects.filter(pk=lead.pk).update(owner=colleague)

    # Not theirs: the lead is not even visible to them (404), let alone movable.
    response = _client_for(seller).post(
        reverse("triage:lead-reassign", args=[lead.pk]), {"owner": seller.pk}
    )

    assert response.status_code in (403, 404)
    lead.refresh_from_db()
    assert lead.owner_id == colleague.pk


def test_a_seller_cannot_take_an_unassigned_lead_by_reassigning(seller: User) -> None:
    lead = _lead(seller)
    Lead.objects.filter(pk=lead.pk).update(owner=None)

    response = _client_for(seller).post(
        reverse("triage:lead-reassign", args=[lead.pk]), {"owner": seller.pk}
    )

    assert response.status_code == 403


def test_an_admin_reassigns_any_lead_and_the_timeline_says_so(seller: User) -> None:
    lead = _lead(seller)
    colleague = make_user("pieter", role=Role.SALES)
    admin = make_user("annet", role=Role.ADMIN)
    client = _client_for(admin)

    response = client.post(
        reverse("triage:lead-reassign", args=[lead.pk]),
        {"owner": colleague.pk},
        headers=HX,
    )

    assert response.status_code == 200
    assert "The lead now belongs to pieter." in response.content.decode()
    timeline = _page(client, lead).split('id="timeline"')[1]
    assert "Owner changed" in timeline and "pieter" in timeline


def test_reassigning_to_someone_who_is_not_a_seller_is_refused(seller: User) -> None:
    lead = _lead(seller)
    marketer = make_user("mila", role=Role.MARKETING)

    response = _client_for(seller).post(
        reverse("triage:lead-reassign", args=[lead.pk]), {"owner": marketer.pk}
    )

    assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.owner_id == seller.pk


# --- correcting fields -----------------------------------------------------------------


def _form(lead: Lead, **changes: str) -> dict[str, str]:
    fields = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company.name if lead.company else "",
        "job_title": lead.job_title,
        "phone": lead.phone,
        "sector": lead.sector,
        "employees": str(lead.employees or ""),
        "budget_euros": str(lead.budget_euros or ""),
        "urgency": lead.urgency,
        "country": lead.country,
        "region": lead.region,
    }
    return {**fields, **changes}


def test_a_bad_correction_is_shown_with_its_field_and_nothing_is_stored(
    seller: User,
) -> None:
    lead = _lead(seller)

    response = _client_for(seller).post(
        reverse("triage:lead-correct", args=[lead.pk]),
        _form(lead, phone="12", employees="veel", first_name="Kees Jan"),
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="correct-phone-error"' in html
    assert 'id="correct-employees-error"' in html and "veel" in html
    lead.refresh_from_db()
    assert lead.first_name == "Kees" and lead.employees == 25
    assert not SalesAction.objects.filter(kind="corrected").exists()


def test_a_correction_is_cleaned_as_at_intake_audited_and_rescored(
    seller: User,
) -> None:
    lead = _lead(seller)
    before = lead.score_total

    response = _client_for(seller).post(
        reverse("triage:lead-correct", args=[lead.pk]),
        _form(lead, phone="06 87654321", employees="1.200", urgency="exploring"),
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.phone == "+31687654321" and lead.phone_country == "NL"
    assert lead.employees == 1200 and lead.urgency == "exploring"
    assert lead.score_total != before
    entry = AuditEntry.objects.get(lead_id=lead.pk, detail__startswith="corrected")
    # Field names, never values, in the audit log.
    assert entry.detail == "corrected employees, phone, urgency"


def test_the_correction_form_shows_sector_and_budget_as_the_page_language_does(
    seller: User,
) -> None:
    lead = _lead(seller)
    client = _client_for(seller)
    url = reverse("triage:lead-correct", args=[lead.pk])

    html = client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert 'value="15.000"' in html
    assert '<option value="software" selected>Software</option>' in html
    assert ">Groothandel</option>" in html
    # Sent back as shown, nothing changes.
    response = client.post(url, {**_form(lead), "budget_euros": "15.000"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.budget_euros == 15_000
    assert not SalesAction.objects.filter(kind="corrected").exists()


# --- MEDDIC beside BANT ----------------------------------------------------------------


def test_the_setting_shows_meddic_instead_of_bant(
    seller: User, settings: object
) -> None:
    settings.QUALIFICATION = "meddic"  # type: ignore[attr-defined]
    lead = _lead(seller)
    client = _client_for(seller)

    html = _page(client, lead)
    response = client.post(
        reverse("triage:lead-bant", args=[lead.pk]),
        {"question": "champion", "answer": "yes"},
        headers=HX,
    )

    assert "MEDDIC checklist" in html and "Economic buyer" in html
    assert "Budget" not in html.split('id="bant"')[1].split("</section>")[0]
    assert response.status_code == 200
    assert lead.qualification.champion == "yes"
    timeline = _page(client, lead).split('id="timeline"')[1]
    assert "Champion" in timeline


def test_bant_is_the_default(seller: User) -> None:
    html = _page(_client_for(seller), _lead(seller))

    assert "BANT checklist" in html and "MEDDIC checklist" not in html
