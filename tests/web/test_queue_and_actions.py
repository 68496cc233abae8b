"""The sales queue and the sales actions on a lead page, through HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from leadqual.core.sla import DUTCH_TIME
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.models import Feedback, Outcome, Qualification, Task
from leadqual.triage.queries import QUEUE_READS
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

# Thursday 26 November 2026, 16:00 in Utrecht: warm leads are due on Tuesday
# 1 December 16:00, hot leads on Friday 27 November 16:00.
THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "first_name": "Kees",
    "last_name": "Bakker",
    "company": "Bouwbedrijf Bakker B.V.",
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
HX = {"HX-Request": "true"}


def _warm_lead(email: str, *, now: datetime = THURSDAY, **fields: str) -> Lead:
    return submit_lead(email, {**WARM_FIELDS, **fields}, now=now).lead


def _make_hot(lead: Lead, *, now: datetime = THURSDAY) -> None:
    submit_events(
        [
            RawEvent(lead.email, "demo_request", now.isoformat(), {}, f"{lead.pk}-d"),
            RawEvent(lead.email, "email_reply", now.isoformat(), {}, f"{lead.pk}-r"),
        ],
        now=now,
        source="api",
    )


def _open_email(lead: Lead, *, now: datetime = THURSDAY) -> None:
    """A little engagement: the lead stays warm with a higher score."""
    submit_events(
        [RawEvent(lead.email, "email_open", now.isoformat(), {}, f"{lead.pk}-o")],
        now=now,
        source="api",
    )


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def at_thursday_evening() -> Iterator[None]:
    with time_machine.travel(THURSDAY + timedelta(hours=2), tick=False):
        yield


def _row_order(html: str) -> list[str]:
    """The lead ids of the queue's rows, top to bottom."""
    return re.findall(r'data-lead-id="(\d+)"', html)


# --- the queue ------------------------------------------------------------------------


@pytest.mark.usefixtures("at_thursday_evening")
def test_the_queue_shows_new_hot_leads_then_my_tasks_by_due_time_and_score() -> None:
    seller = make_user("sanne")
    warm = _warm_lead("warm@bouwbedrijf.nl")
    warmer = _warm_lead("warmer@bouwbedrijf.nl")
    _open_email(warmer)
    hot = _warm_lead("hot@bouwbedrijf.nl")
    _make_hot(hot)
    warm.refresh_from_db()
    warmer.refresh_from_db()
    assert warm.score_total is not None and warmer.score_total is not None
    assert warm.score_total < warmer.score_total < 70

    html = _client_for(seller).get(reverse("triage:queue")).content.decode()

    assert _row_order(html) == [str(hot.pk), str(warmer.pk), str(warm.pk)]
    assert html.index('id="queue-new_hot"') < html.index('id="queue-later"')


@pytest.mark.usefixtures("at_thursday_evening")
def test_unassigned_tasks_are_one_filter_away() -> None:
    unassigned = _warm_lead("nobody@bouwbedrijf.nl")  # no seller exists yet
    seller = make_user("sanne")
    mine = _warm_lead("mine@bouwbedrijf.nl")
    client = _client_for(seller)

    html = client.get(reverse("triage:queue")).content.decode()
    other = client.get(reverse("triage:queue"), {"owner": "unassigned"})

    assert _row_order(html) == [str(mine.pk)]
    assert _row_order(other.content.decode()) == [str(unassigned.pk)]
    assert '<option value="unassigned">Unassigned</option>' in html


@pytest.mark.usefixtures("at_thursday_evening")
def test_a_seller_does_not_see_another_sellers_tasks() -> None:
    sanne = make_user("sanne")
    make_user("daan")
    first = _warm_lead("first@bouwbedrijf.nl")
    second = _warm_lead("second@bouwbedrijf.nl")
    first.refresh_from_db()
    second.refresh_from_db()
    mine, theirs = (first, second) if first.owner == sanne else (second, first)

    html = _client_for(sanne).get(reverse("triage:queue")).content.decode()

    assert f'data-lead-id="{mine.pk}"' in html
    assert f'data-lead-id="{theirs.pk}"' not in html


@pytest.mark.usefixtures("at_thursday_evening")
def test_marketing_sees_every_owners_open_tasks() -> None:
    make_user("sanne")
    make_user("daan")
    leads = [_warm_lead(f"lead{number}@bouwbedrijf.nl") for number in range(2)]
    marketer = make_user("mara", role=Role.MARKETING)

    html = _client_for(marketer).get(reverse("triage:queue")).content.decode()

    assert sorted(_row_order(html)) == sorted(str(lead.pk) for lead in leads)


def test_a_task_past_its_deadline_is_shown_overdue() -> None:
    seller = make_user("sanne")
    lead = _warm_lead("late@bouwbedrijf.nl")
    _make_hot(lead)  # due Friday 27 November 16:00
    with time_machine.travel(datetime(2026, 11, 27, 18, 10, tzinfo=DUTCH_TIME)):
        html = _client_for(seller).get(reverse("triage:queue")).content.decode()

    assert 'class="overdue-row"' in html
    assert re.search(r'class="countdown overdue"[^>]*>2h 10m overdue<', html)
    assert 'data-due-at="2026-11-27T15:00:00+00:00"' in html


@pytest.mark.usefixtures("at_thursday_evening")
def test_a_task_before_its_deadline_counts_down() -> None:
    seller = make_user("sanne")
    _make_hot(_warm_lead("soon@bouwbedrijf.nl"))  # due in 22 hours

    html = _client_for(seller).get(reverse("triage:queue")).content.decode()

    assert re.search(r'class="countdown"[^>]*>22h 0m<', html)
    assert "overdue-row" not in html


@pytest.mark.usefixtures("at_thursday_evening")
def test_each_queue_row_says_why_the_lead_is_hot() -> None:
    seller = make_user("sanne")
    _make_hot(_warm_lead("why@bouwbedrijf.nl"))

    html = _client_for(seller).get(reverse("triage:queue")).content.decode()

    reasons = re.findall(r"<li>([^<]+)</li>", html[html.index('class="reasons"') :])
    assert reasons[:3] == [
        "Asked for a demo (1 demo request in the last 90 days, last just now)",
        "Works in a sector we serve best (sector software)",
        "Budget of 10,000 euros or more (budget \u20ac15,000)",
    ]
    assert "capped" not in html  # cap adjustments are no reasons


@pytest.mark.usefixtures("at_thursday_evening")
def test_the_queue_shows_band_score_company_and_source() -> None:
    seller = make_user("sanne")
    lead = _warm_lead("row@bouwbedrijf.nl", source="beurs")

    html = _client_for(seller).get(reverse("triage:queue")).content.decode()

    assert '<span class="band band-warm">Warm</span>' in html
    assert f'<span class="score">{lead.score_total}</span>' in html
    assert "Bouwbedrijf Bakker B.V." in html and "beurs" in html
    assert reverse("leads:lead-detail", args=[lead.pk]) in html


@pytest.mark.usefixtures("at_thursday_evening")
def test_an_empty_queue_says_so() -> None:
    seller = make_user("sanne")

    response = _client_for(seller).get(reverse("triage:queue"))

    assert response.status_code == 200
    assert "No open tasks." in response.content.decode()


@pytest.mark.usefixtures("at_thursday_evening")
def test_the_queue_needs_a_constant_number_of_queries(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    seller = make_user("sanne")
    for number in range(20):
        lead = _warm_lead(f"lead{number}@bouwbedrijf.nl")
        if number % 2:
            _make_hot(lead)
    client = _client_for(seller)
    client.get(reverse("triage:queue"))  # warm up the session and role caches

    # Session, user, role, the page's tasks (a query per tier of the queue,
    # QUEUE_READS) and their count, scores, the unseen notices and the badge.
    with django_assert_max_num_queries(7 + QUEUE_READS):
        response = client.get(reverse("triage:queue"))

    assert response.content.decode().count("data-lead-id=") == 20


def test_the_queue_needs_a_login() -> None:
    response = Client().get(reverse("triage:queue"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- BANT -----------------------------------------------------------------------------


@pytest.fixture
def seller() -> User:
    return make_user("sanne")


@pytest.fixture
def own_lead(seller: User) -> Lead:
    return LeadFactory.create(owner=seller)


def test_a_bant_click_saves_the_answer_and_returns_the_checklist(
    seller: User, own_lead: Lead
) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-bant", args=[own_lead.pk]),
        {"question": "budget", "answer": "yes"},
        headers=HX,
    )

    assert response.status_code == 200
    assert response.templates[0].name == "triage/_bant.html"
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card bant" id="bant"')
    assert re.search(r'value="yes"[^>]*aria-pressed="true"', html)
    assert Qualification.objects.get(lead=own_lead).budget == "yes"


def test_a_bant_click_without_htmx_redirects_to_the_lead(
    seller: User, own_lead: Lead
) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-bant", args=[own_lead.pk]),
        {"question": "need", "answer": "no"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead-detail", args=[own_lead.pk])
    assert Qualification.objects.get(lead=own_lead).need == "no"


def test_an_unknown_bant_question_is_refused_with_422(
    seller: User, own_lead: Lead
) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-bant", args=[own_lead.pk]),
        {"question": "mood", "answer": "yes"},
        headers=HX,
    )

    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    assert not Qualification.objects.filter(lead=own_lead).exists()


def test_actions_need_the_csrf_token(seller: User, own_lead: Lead) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)

    response = client.post(
        reverse("triage:lead-bant", args=[own_lead.pk]),
        {"question": "budget", "answer": "yes"},
        headers=HX,
    )

    assert response.status_code == 403
    assert not Qualification.objects.filter(lead=own_lead).exists()


# --- first contact --------------------------------------------------------------------


@pytest.mark.usefixtures("at_thursday_evening")
def test_first_contact_is_recorded_and_closes_the_task() -> None:
    seller = make_user("sanne")
    lead = _warm_lead("call@bouwbedrijf.nl")

    response = _client_for(seller).post(
        reverse("triage:lead-first-contact", args=[lead.pk]), headers=HX
    )

    assert response.status_code == 200
    assert "First contact made on" in response.content.decode()
    qualification = Qualification.objects.get(lead=lead)
    assert qualification.first_contact_at == THURSDAY + timedelta(hours=2)
    assert qualification.first_contact_by == seller
    assert Task.objects.get(lead=lead).done_at is not None


# --- feedback -------------------------------------------------------------------------


def test_accepting_a_lead_takes_one_click(seller: User, own_lead: Lead) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-feedback", args=[own_lead.pk]),
        {"decision": "accepted"},
        headers=HX,
    )

    assert response.status_code == 200
    assert 'id="feedback"' in response.content.decode()
    feedback = Feedback.objects.get(lead=own_lead)
    assert (feedback.decision, feedback.reason, feedback.given_by) == (
        "accepted",
        "",
        seller,
    )
    own_lead.refresh_from_db()
    assert own_lead.status == "accepted"


def test_rejecting_a_lead_requires_a_reason(seller: User, own_lead: Lead) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-feedback", args=[own_lead.pk]),
        {"decision": "rejected", "note": "te klein"},
        headers=HX,
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose why you reject this lead" in html
    assert 'value="te klein"' in html  # the note is kept
    assert not Feedback.objects.exists()
    own_lead.refresh_from_db()
    assert own_lead.status == "new"


def test_a_rejection_without_a_reason_and_without_htmx_shows_the_error_page(
    seller: User, own_lead: Lead
) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-feedback", args=[own_lead.pk]), {"decision": "rejected"}
    )

    assert response.status_code == 422
    assert "Choose why you reject this lead" in response.content.decode()


def test_rejecting_with_a_reason_stores_feedback_and_status(
    seller: User, own_lead: Lead
) -> None:
    client = _client_for(seller)
    response = client.post(
        reverse("triage:lead-feedback", args=[own_lead.pk]),
        {"decision": "rejected", "reason": "no_budget", "note": "Volgend jaar."},
    )

    assert response.status_code == 302
    feedback = Feedback.objects.get(lead=own_lead)
    assert (feedback.reason, feedback.note) == ("no_budget", "Volgend jaar.")
    own_lead.refresh_from_db()
    assert own_lead.status == "rejected"
    page = client.get(response["Location"]).content.decode()
    assert "Lead rejected: No budget." in page


# --- outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["12.500", "12500", "€ 12.500,00", "12,500", "€ 12.500,-", "12.500,--"]
)
def test_a_won_deal_stores_its_value_in_cents(
    seller: User, own_lead: Lead, typed: str
) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-outcome", args=[own_lead.pk]),
        {"kind": "won", "value": typed},
        headers=HX,
    )

    assert response.status_code == 200
    assert "€12,500" in response.content.decode()
    assert Outcome.objects.get(lead=own_lead).value_cents == 1_250_000
    own_lead.refresh_from_db()
    assert own_lead.status == "won"


def test_an_opportunity_needs_no_value(seller: User, own_lead: Lead) -> None:
    _client_for(seller).post(
        reverse("triage:lead-outcome", args=[own_lead.pk]), {"kind": "opportunity"}
    )

    assert Outcome.objects.get(lead=own_lead).value_cents is None


def test_a_value_that_is_no_amount_is_refused_with_422(
    seller: User, own_lead: Lead
) -> None:
    response = _client_for(seller).post(
        reverse("triage:lead-outcome", args=[own_lead.pk]),
        {"kind": "won", "value": "veel"},
        headers=HX,
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "&quot;veel&quot; is not an amount in euros" in html
    assert 'aria-invalid="true"' in html
    assert not Outcome.objects.exists()


# --- who may act ----------------------------------------------------------------------


def test_a_seller_cannot_act_on_another_sellers_lead(seller: User) -> None:
    other = make_user("daan")
    lead = LeadFactory.create(owner=other)

    response = _client_for(seller).post(
        reverse("triage:lead-feedback", args=[lead.pk]), {"decision": "accepted"}
    )

    assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_marketing_reads_along_but_does_not_give_feedback() -> None:
    lead = LeadFactory.create()
    marketer = make_user("mara", role=Role.MARKETING)

    response = _client_for(marketer).post(
        reverse("triage:lead-feedback", args=[lead.pk]), {"decision": "accepted"}
    )

    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_actions_accept_only_post(seller: User, own_lead: Lead) -> None:
    response = _client_for(seller).get(
        reverse("triage:lead-feedback", args=[own_lead.pk])
    )

    assert response.status_code == 405
