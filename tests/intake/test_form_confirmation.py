"""Double opt-in on the public form: a known email changes nothing until confirmed.

The confirmation mail goes to a real local SMTP server (aiosmtpd); the link is
followed through the real views; time moves with time_machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings

from leadqual.intake.confirmation import (
    CONFIRMED_CONSENT_SOURCE,
    MAIL_INTERVAL,
    MAX_UNCONFIRMED_PER_LEAD,
)
from leadqual.intake.confirmation_mail import deliver_confirmation_mail
from leadqual.intake.forms import CONSENT_TEXT_VERSION
from leadqual.intake.models import PendingFormSubmission, TrackedSite, Visitor
from leadqual.intake.tasks import purge_expired_submissions_task
from leadqual.leads.models import Event, Lead
from leadqual.privacy.models import ConsentRecord
from leadqual.scoring.models import Score
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user
from tests.intake.test_form import FORM_URL, THANKS_URL, answers
from tests.integrations import ReceivedMail, SmtpSink, smtp_server

pytestmark = pytest.mark.django_db

# Friday 27 November 2026, 10:00 in Amsterdam.
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
KNOWN_EMAIL = "jan@bakker-ict.nl"
BASE_URL = "https://leads.example.nl"
_LINK = re.compile(re.escape(BASE_URL) + r"(/form/confirm/[A-Za-z0-9_-]+/)")

CaptureCallbacks = Callable[..., AbstractContextManager[object]]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A local SMTP server, with the settings pointing at it."""
    found = SmtpSink()
    with (
        smtp_server(found) as email_url,
        override_settings(
            EMAIL_URL=email_url, EMAIL_FROM="leadqual@example.nl", BASE_URL=BASE_URL
        ),
    ):
        yield found


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def withdrawn_lead() -> Lead:
    """The issue's lead: consent withdrawn, the scoring questions unanswered."""
    lead = LeadFactory.create(
        email=KNOWN_EMAIL,
        first_name="Jan",
        consent_given=False,
        sector="",
        employees=None,
        budget_euros=None,
        urgency="",
    )
    ConsentRecord.objects.create(
        lead=lead, source="website", lawful_basis="consent", given=False, at=NOW
    )
    return lead


def send_form(capture: CaptureCallbacks, *, language: str = "en") -> None:
    """An anonymous visitor sends the form, consent ticked; mail goes after commit."""
    with capture(execute=True):
        response = Client().post(
            FORM_URL,
            answers(email=KNOWN_EMAIL, first_name="Indringer"),
            headers={"Accept-Language": language},
        )
    assert response.status_code == 302


def link_path(mail: ReceivedMail) -> str:
    found = _LINK.search(mail.part("text/plain"))
    assert found is not None, mail.part("text/plain")
    return found.group(1)


def confirm(path: str) -> Client:
    """Open the link, then press the page's button, CSRF checks on."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post(path, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/form/confirm/done/"
    return client


def test_a_post_with_the_email_of_a_lead_who_withdrew_consent_changes_nothing(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """Issue #10: consent stays withdrawn, fields stay empty, one mail asks to confirm."""
    lead = withdrawn_lead()
    consent_records = ConsentRecord.objects.count()

    send_form(django_capture_on_commit_callbacks)

    lead.refresh_from_db()
    assert lead.consent_given is False and lead.consent_at is None
    assert (lead.first_name, lead.sector, lead.employees) == ("Jan", "", None)
    assert (lead.budget_euros, lead.urgency) == (None, "")
    assert ConsentRecord.objects.count() == consent_records
    assert not Event.objects.filter(lead=lead).exists()
    pending = PendingFormSubmission.objects.get()
    assert (pending.lead, pending.confirmed_at) == (lead, None)
    (mail,) = sink.messages
    assert mail.rcpt_tos == [KNOWN_EMAIL]
    assert mail.message["Subject"] == "Please confirm your details"
    assert f'href="{BASE_URL}{link_path(mail)}"' in mail.part("text/html")


def test_confirming_by_the_link_records_consent_and_fills_only_empty_fields(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    lead = withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)
    clock.shift(timedelta(hours=2))
    scores_before = Score.objects.filter(lead=lead).count()

    with django_capture_on_commit_callbacks(execute=True):
        confirm(link_path(sink.messages[0]))

    lead.refresh_from_db()
    assert lead.consent_given is True
    assert lead.consent_text_version == CONSENT_TEXT_VERSION
    assert lead.consent_at == NOW + timedelta(hours=2)
    record = ConsentRecord.objects.filter(lead=lead).latest("at", "id")
    assert (record.source, record.given) == (CONFIRMED_CONSENT_SOURCE, True)
    # Empty fields filled from the submission, known ones kept.
    assert lead.first_name == "Jan"
    assert (lead.sector, lead.employees, lead.budget_euros) == ("logistics", 25, 15_000)
    assert lead.urgency == "within_3_months"
    assert Score.objects.filter(lead=lead).count() == scores_before + 1
    assert lead.score_total == Score.objects.filter(lead=lead).latest("id").total
    event = Event.objects.get(lead=lead)
    assert (event.type, event.source, event.occurred_at) == ("form_submit", "form", NOW)
    assert event.properties["budget"] == "10000-25000"
    pending = PendingFormSubmission.objects.get()
    assert pending.confirmed_at == NOW + timedelta(hours=2)
    assert (pending.fields, pending.answers) == ({}, {})


def test_the_confirmation_page_shows_the_submission_and_changes_nothing(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """Mail scanners open links: a GET only shows what was sent."""
    lead = withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)
    path = link_path(sink.messages[0])

    first, second = Client().get(path), Client().get(path)

    assert first.status_code == second.status_code == 200
    html = first.content.decode()
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert "Indringer de Boer" in html and "€ 10,000 - € 25,000" in html
    lead.refresh_from_db()
    assert lead.consent_given is False and lead.sector == ""
    assert PendingFormSubmission.objects.get().confirmed_at is None


def test_confirming_without_the_csrf_token_is_refused(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    lead = withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)

    response = Client(enforce_csrf_checks=True).post(link_path(sink.messages[0]))

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.consent_given is False


def test_a_second_use_of_the_link_changes_nothing(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """Consent withdrawn again after confirming stays withdrawn."""
    lead = withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)
    path = link_path(sink.messages[0])
    confirm(path)
    Lead.objects.filter(pk=lead.pk).update(consent_given=False)
    records = ConsentRecord.objects.count()

    page = Client().get(path)
    again = Client().post(path)

    assert page.status_code == again.status_code == 410
    assert "This link was used already" in again.content.decode()
    lead.refresh_from_db()
    assert lead.consent_given is False
    assert ConsentRecord.objects.count() == records
    assert Event.objects.filter(lead=lead).count() == 1


def test_an_expired_link_changes_nothing_and_says_so_in_dutch(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    lead = withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)
    path = link_path(sink.messages[0])
    clock.shift(timedelta(days=7, minutes=1))

    response = Client().post(path, HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 410
    assert "Deze link is verlopen" in response.content.decode()
    lead.refresh_from_db()
    assert lead.consent_given is False and lead.sector == ""


def test_a_link_works_until_it_expires(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    lead = withdrawn_lead()
    with override_settings(FORM_CONFIRMATION_DAYS=2):
        send_form(django_capture_on_commit_callbacks)
    clock.shift(timedelta(days=2, minutes=-1))

    confirm(link_path(sink.messages[0]))

    lead.refresh_from_db()
    assert lead.consent_given is True


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path: path[:-3] + ("A" if path[-2] != "A" else "B") + "/",
        lambda path: "/form/confirm/x/",
        lambda path: "/form/confirm/" + "a" * 500 + "/",
    ],
    ids=["one-character-changed", "too-short", "too-long"],
)
def test_a_tampered_link_changes_nothing(
    tamper: Callable[[str], str],
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    lead = withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)
    path = tamper(link_path(sink.messages[0]))

    page, post = Client().get(path), Client().post(path)

    assert page.status_code == post.status_code == 404
    assert "This link does not work" in post.content.decode()
    lead.refresh_from_db()
    assert lead.consent_given is False
    assert PendingFormSubmission.objects.get().confirmed_at is None


def test_the_mail_is_in_the_language_of_the_submission(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    withdrawn_lead()

    send_form(django_capture_on_commit_callbacks, language="nl")

    (mail,) = sink.messages
    assert mail.message["Subject"] == "Bevestig je gegevens"
    assert "27 november 2026" in mail.part("text/plain")
    assert "Bevestig mijn gegevens" in mail.part("text/html")


def test_the_thanks_page_is_the_same_for_a_new_and_a_known_email(
    sink: SmtpSink, clock: time_machine.Traveller
) -> None:
    withdrawn_lead()

    known = Client().post(FORM_URL, answers(email=KNOWN_EMAIL))
    new = Client().post(FORM_URL, answers(email="nieuw@logistiek-partners.nl"))
    known_htmx = Client().post(
        FORM_URL, answers(email=KNOWN_EMAIL), HTTP_HX_REQUEST="true"
    )
    new_htmx = Client().post(
        FORM_URL, answers(email="ander@logistiek-partners.nl"), HTTP_HX_REQUEST="true"
    )

    assert (known.status_code, known["Location"], known.content) == (
        new.status_code,
        new["Location"],
        new.content,
    )
    assert known_htmx["HX-Redirect"] == new_htmx["HX-Redirect"] == THANKS_URL
    thanks = Client().get(THANKS_URL).content.decode()
    assert "check your mailbox" in thanks


def test_a_flood_for_one_known_email_sends_one_mail(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """Thirty posts from thirty addresses: one mail, a bounded number of rows."""
    withdrawn_lead()

    for number in range(30):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                FORM_URL,
                answers(email=KNOWN_EMAIL),
                REMOTE_ADDR=f"198.51.100.{number + 1}",
            )
        assert response.status_code == 302

    assert len(sink.messages) == 1
    assert PendingFormSubmission.objects.count() == MAX_UNCONFIRMED_PER_LEAD


def test_the_next_mail_goes_once_the_mail_interval_has_passed(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)
    clock.shift(MAIL_INTERVAL - timedelta(minutes=1))
    send_form(django_capture_on_commit_callbacks)
    assert len(sink.messages) == 1

    clock.shift(timedelta(minutes=2))
    send_form(django_capture_on_commit_callbacks)

    assert len(sink.messages) == 2


def test_a_failed_mail_is_sent_once_by_the_retry_with_a_working_link(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """The SMTP server answers 451 once; the retry sends the only mail."""
    lead = withdrawn_lead()
    sink.fail_first = 1
    send_form(django_capture_on_commit_callbacks)
    pending = PendingFormSubmission.objects.get()
    assert sink.messages == [] and pending.mail_sent_at is None

    # Huey's retry runs the same service again (here called directly).
    assert deliver_confirmation_mail(pending.pk, now=NOW) is True
    assert deliver_confirmation_mail(pending.pk, now=NOW) is False

    (mail,) = sink.messages
    confirm(link_path(mail))
    lead.refresh_from_db()
    assert lead.consent_given is True


def test_without_a_mail_server_the_submission_waits_where_the_admin_sees_it(
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    lead = withdrawn_lead()
    with override_settings(EMAIL_URL=None):
        send_form(django_capture_on_commit_callbacks)

    pending = PendingFormSubmission.objects.get()
    assert (pending.mail_requested_at, pending.token_hash) == (None, "")
    lead.refresh_from_db()
    assert lead.consent_given is False
    admin = Client()
    admin.force_login(make_user("ada", role=Role.ADMIN))
    listing = admin.get("/admin/intake/pendingformsubmission/")
    assert listing.status_code == 200
    assert f"/admin/intake/pendingformsubmission/{pending.pk}/" in (
        listing.content.decode()
    )


def test_the_visitor_of_a_known_lead_is_stitched_only_after_confirmation(
    sink: SmtpSink,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    lead = withdrawn_lead()
    site = TrackedSite.objects.create(name="Site", origin="https://www.example.nl")
    visitor = Visitor.objects.create(
        visitor_id="v" * 32,
        site=site,
        consented_at=NOW,
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"{FORM_URL}?lq_vid={'v' * 32}", answers(email=KNOWN_EMAIL))
    visitor.refresh_from_db()
    assert visitor.lead is None

    confirm(link_path(sink.messages[0]))

    visitor.refresh_from_db()
    assert visitor.lead == lead


def test_expired_submissions_are_deleted_thirty_days_after_their_link_expired(
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    withdrawn_lead()
    send_form(django_capture_on_commit_callbacks)

    clock.shift(timedelta(days=7 + 29))
    purge_expired_submissions_task()
    assert PendingFormSubmission.objects.count() == 1

    clock.shift(timedelta(days=2))
    purge_expired_submissions_task()
    assert not PendingFormSubmission.objects.exists()
