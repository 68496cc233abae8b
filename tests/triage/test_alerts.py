"""Hot leads alert their owner once; SLA reminders and escalations go out once.

Mail goes to a real local SMTP server (aiosmtpd), chat to a real local HTTP
receiver; time moves with time_machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import transaction
from django.test import override_settings

from leadqual.core.bands import Band
from leadqual.core.scoring import ScoreTrigger
from leadqual.leads.models import Lead
from leadqual.triage.alert_delivery import deliver_alert
from leadqual.triage.alerts import (
    check_sla_deadlines,
    queue_band_alerts,
    reminder_due_at,
)
from leadqual.triage.jobs import check_sla_deadlines_task
from leadqual.triage.models import Alert, AlertKind, AlertStatus, Task
from leadqual.triage.services import record_first_contact, rescore_and_triage
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role
from tests.factories import EventFactory, LeadFactory, make_user
from tests.integrations import (
    ChatReceiver,
    SmtpSink,
    assert_slack_shape,
    assert_teams_shape,
    chat_webhook,
    smtp_server,
)

pytestmark = pytest.mark.django_db

# Friday 27 November 2026, 10:00 in Amsterdam. A hot lead's 24 working hours
# run out on Monday at 10:00; 80% of them (19.2 h) on Monday at 05:12.
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
REMINDER_AT = datetime(2026, 11, 30, 4, 12, tzinfo=UTC)
DUE_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

CaptureCallbacks = Callable[..., AbstractContextManager[object]]


@dataclass
class Peers:
    sink: SmtpSink
    chat: ChatReceiver


@pytest.fixture
def peers() -> Iterator[Peers]:
    """A local SMTP server and chat webhook, with the settings pointing at them."""
    found = Peers(sink=SmtpSink(), chat=ChatReceiver())
    with ExitStack() as stack:
        email_url = stack.enter_context(smtp_server(found.sink))
        chat_url = stack.enter_context(chat_webhook(found.chat))
        stack.enter_context(
            override_settings(
                EMAIL_URL=email_url,
                EMAIL_FROM="leadqual@example.nl",
                CHAT_WEBHOOK_URL=chat_url,
                CHAT_FORMAT="slack",
                BASE_URL="https://leads.example.nl",
            )
        )
        yield found


def owner(
    username: str = "sanne", *, language: str = "", manager: User | None = None
) -> User:
    user = make_user(username)
    OwnerProfile.objects.update_or_create(
        user=user, defaults={"language": language, "manager": manager}
    )
    return user


def make_hot(lead: Lead, when: datetime) -> None:
    """A demo request and a reply at ``when``, then rescore and triage as intake does."""
    for kind in ("demo_request", "email_reply"):
        EventFactory.create(lead=lead, type=kind, occurred_at=when, received_at=when)
    with transaction.atomic():
        rescored, _ = rescore_and_triage([lead], now=when, trigger=ScoreTrigger.EVENT)
    assert rescored[lead.pk].band is Band.HOT


def new_lead() -> Lead:
    return LeadFactory.create(
        budget_euros=50_000, urgency="immediate", job_title="Directeur"
    )


def hot_lead_arrives(capture: CaptureCallbacks) -> Lead:
    lead = new_lead()
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        make_hot(lead, NOW)
    return lead


def test_a_lead_turning_hot_yields_one_mail_and_one_chat_message(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    seller = owner()
    lead = hot_lead_arrives(django_capture_on_commit_callbacks)

    (mail,) = peers.sink.messages
    (payload,) = peers.chat.payloads
    assert mail.rcpt_tos == [seller.email]
    assert mail.message["Subject"].startswith("Hot lead: ")
    assert f"https://leads.example.nl/leads/{lead.pk}/" in mail.part("text/plain")
    assert f'href="https://leads.example.nl/leads/{lead.pk}/"' in mail.part("text/html")
    assert_slack_shape(payload)
    assert lead.email not in str(payload) and lead.last_name not in str(payload)
    statuses = set(Alert.objects.values_list("status", flat=True))
    assert statuses == {AlertStatus.SENT}


def test_the_mail_names_the_strongest_reasons_score_and_due_time(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    owner()
    lead = hot_lead_arrives(django_capture_on_commit_callbacks)
    lead.refresh_from_db()

    text = peers.sink.messages[0].part("text/plain")
    assert f"Score: {lead.score_total}" in text
    assert "Strongest reasons:" in text
    assert text.count("\n- ") >= 2  # the rule hits, strongest first
    assert "Nov. 30, 2026" in text or "30 Nov" in text or "November 30" in text


def test_a_dutch_owner_gets_the_mail_in_dutch(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    owner(language="nl")
    lead = hot_lead_arrives(django_capture_on_commit_callbacks)

    mail = peers.sink.messages[0]
    text = mail.part("text/plain")
    html = mail.part("text/html")
    # Labels with a Dutch translation already; the date in Dutch month names.
    assert "Temperatuur: Heet" in text and "Eigenaar: sanne" in text
    assert "30 november 2026" in text
    assert '<html lang="nl">' in html
    assert f"/leads/{lead.pk}/" in text


def test_a_failed_first_try_is_retried_and_still_sends_once(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """The SMTP server answers 451 and the webhook 503 once; the retry delivers."""
    owner()
    peers.sink.fail_first = 1
    peers.chat.fail_first = 1
    hot_lead_arrives(django_capture_on_commit_callbacks)

    assert peers.sink.messages == [] and peers.chat.payloads == []
    pending = list(Alert.objects.order_by("id"))
    assert [alert.status for alert in pending] == [AlertStatus.PENDING] * 2
    assert all(alert.attempts == 1 and alert.last_error for alert in pending)
    assert "451" in pending[0].last_error

    # Huey's retry runs the same service again (here called directly).
    for alert in pending:
        assert deliver_alert(alert.pk, now=NOW) == AlertStatus.SENT
        assert deliver_alert(alert.pk, now=NOW) is None  # already sent: nothing

    assert len(peers.sink.messages) == 1 and len(peers.chat.payloads) == 1
    assert [a.attempts for a in Alert.objects.order_by("id")] == [2, 2]


def test_a_lead_that_is_triaged_hot_again_alerts_nobody_twice(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    owner()
    lead = hot_lead_arrives(django_capture_on_commit_callbacks)
    task = Task.objects.get(lead=lead)
    later = NOW + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert queue_band_alerts(lead, Band.HOT, task, new_task=False, now=later) == 0

    assert len(peers.sink.messages) == 1 and len(peers.chat.payloads) == 1


def test_teams_gets_an_adaptive_card(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    owner()
    with override_settings(CHAT_FORMAT="teams"):
        lead = hot_lead_arrives(django_capture_on_commit_callbacks)

    card = assert_teams_shape(peers.chat.payloads[0])
    assert card["actions"][0]["url"] == f"https://leads.example.nl/leads/{lead.pk}/"


def test_warm_leads_alert_only_when_configured(peers: Peers) -> None:
    owner()
    lead = hot_lead_arrives(lambda **kwargs: transaction.atomic())
    task = Task.objects.get(lead=lead)
    Alert.objects.all().delete()

    with transaction.atomic():
        assert queue_band_alerts(lead, Band.WARM, task, new_task=True, now=NOW) == 0
        with override_settings(ALERT_ON_WARM=True):
            assert (
                queue_band_alerts(lead, Band.WARM, task, new_task=False, now=NOW) == 0
            )
            assert queue_band_alerts(lead, Band.WARM, task, new_task=True, now=NOW) == 2

    assert set(Alert.objects.values_list("kind", flat=True)) == {AlertKind.BECAME_WARM}


def test_no_channel_configured_means_no_alert_rows(
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    owner()
    with override_settings(EMAIL_URL=None, CHAT_WEBHOOK_URL=None):
        hot_lead_arrives(django_capture_on_commit_callbacks)
    assert not Alert.objects.exists()


# --- SLA reminders and escalations --------------------------------------------------


def run_sla_check(when: datetime, capture: CaptureCallbacks) -> None:
    """The periodic job at ``when``, with its alerts sent after commit."""
    with time_machine.travel(when, tick=False), capture(execute=True):
        check_sla_deadlines_task()


@pytest.fixture
def team(peers: Peers) -> tuple[User, User]:
    """A seller whose manager is Marieke (away, so she gets no leads herself)."""
    manager = make_user("marieke")
    OwnerProfile.objects.create(user=manager, is_away=True)
    seller = owner(manager=manager)
    return seller, manager


def test_the_reminder_is_due_after_80_percent_of_the_sla(
    team: tuple[User, User], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    lead = hot_lead_arrives(django_capture_on_commit_callbacks)
    task = Task.objects.get(lead=lead)
    assert task.due_at == DUE_AT
    assert reminder_due_at(task) == REMINDER_AT


def test_before_80_percent_of_the_sla_nothing_is_sent(
    peers: Peers,
    team: tuple[User, User],
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    hot_lead_arrives(django_capture_on_commit_callbacks)
    peers.sink.messages.clear()

    run_sla_check(
        REMINDER_AT - timedelta(minutes=1), django_capture_on_commit_callbacks
    )

    assert peers.sink.messages == []


def test_after_80_percent_the_owner_gets_one_reminder(
    peers: Peers,
    team: tuple[User, User],
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    seller, _manager = team
    hot_lead_arrives(django_capture_on_commit_callbacks)
    peers.sink.messages.clear()
    peers.chat.payloads.clear()

    run_sla_check(
        REMINDER_AT + timedelta(minutes=5), django_capture_on_commit_callbacks
    )
    run_sla_check(
        REMINDER_AT + timedelta(minutes=20), django_capture_on_commit_callbacks
    )

    (mail,) = peers.sink.messages
    assert mail.rcpt_tos == [seller.email]
    assert mail.message["Subject"].startswith("Reminder: contact ")
    assert peers.chat.payloads == []  # reminders are personal: email only


def test_after_the_due_time_the_manager_gets_one_escalation(
    peers: Peers,
    team: tuple[User, User],
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    _seller, manager = team
    hot_lead_arrives(django_capture_on_commit_callbacks)
    run_sla_check(
        REMINDER_AT + timedelta(minutes=5), django_capture_on_commit_callbacks
    )
    peers.sink.messages.clear()
    peers.chat.payloads.clear()

    run_sla_check(DUE_AT + timedelta(minutes=10), django_capture_on_commit_callbacks)
    run_sla_check(DUE_AT + timedelta(minutes=25), django_capture_on_commit_callbacks)

    (mail,) = peers.sink.messages
    assert mail.rcpt_tos == [manager.email]
    assert mail.message["Subject"].startswith("Overdue: ")
    (payload,) = peers.chat.payloads
    assert_slack_shape(payload)
    kinds = Alert.objects.values_list("kind", "channel")
    assert sorted(kinds) == sorted(
        [
            (AlertKind.BECAME_HOT, "email"),
            (AlertKind.BECAME_HOT, "chat"),
            (AlertKind.SLA_REMINDER, "email"),
            (AlertKind.SLA_ESCALATION, "email"),
            (AlertKind.SLA_ESCALATION, "chat"),
        ]
    )


def test_without_a_manager_every_admin_gets_the_escalation(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    owner()
    first = make_user("admin1", role=Role.ADMIN)
    second = make_user("admin2", role=Role.ADMIN)
    hot_lead_arrives(django_capture_on_commit_callbacks)
    peers.sink.messages.clear()

    run_sla_check(DUE_AT + timedelta(minutes=10), django_capture_on_commit_callbacks)

    recipients = sorted(mail.rcpt_tos[0] for mail in peers.sink.messages)
    assert recipients == sorted([first.email, second.email])


def test_a_first_contact_stops_reminders_and_escalation(
    peers: Peers,
    team: tuple[User, User],
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    seller, _manager = team
    lead = hot_lead_arrives(django_capture_on_commit_callbacks)
    peers.sink.messages.clear()
    record_first_contact(lead, by=seller, now=NOW + timedelta(hours=1))

    run_sla_check(DUE_AT + timedelta(minutes=10), django_capture_on_commit_callbacks)

    assert peers.sink.messages == []


def test_a_reminder_queued_before_the_first_contact_is_cancelled(
    peers: Peers, team: tuple[User, User]
) -> None:
    seller, _manager = team
    lead = new_lead()
    with time_machine.travel(NOW, tick=False):
        make_hot(lead, NOW)  # its callbacks never run: nothing is sent
    check_sla_deadlines(now=REMINDER_AT + timedelta(minutes=5))
    record_first_contact(lead, by=seller, now=REMINDER_AT + timedelta(minutes=6))
    reminder = Alert.objects.get(kind=AlertKind.SLA_REMINDER)

    assert deliver_alert(reminder.pk, now=REMINDER_AT) == AlertStatus.CANCELLED
    subjects = [mail.message["Subject"] for mail in peers.sink.messages]
    assert not any(subject.startswith("Reminder") for subject in subjects)


def test_a_pending_alert_whose_job_was_lost_is_queued_again(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    owner()
    lead = new_lead()
    with time_machine.travel(NOW, tick=False):
        make_hot(lead, NOW)  # the worker "died": the after-commit send never ran
    assert peers.sink.messages == []

    result = check_sla_deadlines(now=NOW + timedelta(hours=1))

    assert result.requeued == 2
    assert len(peers.sink.messages) == 1 and len(peers.chat.payloads) == 1


# --- what leads wrote is shown as text, never as markup ------------------------------

HOSTILE_COMPANY = (
    "<!channel> <https://evil.example|Open lead> [Open](https://evil.example)"
)
ESCAPED_FOR_SLACK = (
    "&lt;!channel&gt; &lt;https://evil.example|Open lead&gt; "
    "[Open](https://evil.example)"
)


def hostile_lead_arrives(capture: CaptureCallbacks) -> Lead:
    lead = new_lead()
    assert lead.company is not None
    lead.company.name = HOSTILE_COMPANY
    lead.company.save(update_fields=["name"])
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        make_hot(lead, NOW)
    return lead


def test_a_company_name_with_slack_markup_pings_nobody_and_links_nowhere(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """Slack reads <!channel> and <url|label> as markup: they arrive escaped."""
    owner()
    hostile_lead_arrives(django_capture_on_commit_callbacks)

    (payload,) = peers.chat.payloads
    assert_slack_shape(payload)
    sent = json.dumps(payload)
    assert "<!channel>" not in sent and "<https://evil.example" not in sent
    section = payload["blocks"][1]["text"]
    assert section == {"type": "mrkdwn", "text": ESCAPED_FOR_SLACK, "verbatim": True}
    assert payload["text"].endswith(f": {ESCAPED_FOR_SLACK}")


def test_a_company_name_with_markdown_is_plain_text_in_teams(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """Teams reads Markdown links in TextBlocks and facts; TextRuns it shows as is."""
    owner()
    with override_settings(CHAT_FORMAT="teams"):
        hostile_lead_arrives(django_capture_on_commit_callbacks)

    card = assert_teams_shape(peers.chat.payloads[0])
    assert all(item["type"] == "RichTextBlock" for item in card["body"])
    runs = [run for item in card["body"] for run in item["inlines"]]
    assert {"type": "TextRun", "text": HOSTILE_COMPANY} in runs
    assert [action["url"] for action in card["actions"]] == [
        f"https://leads.example.nl/leads/{Lead.objects.get().pk}/"
    ]


def test_a_lead_name_with_line_breaks_cannot_add_mail_headers(
    peers: Peers, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """The subject is sent as one line; the HTML part escapes the company."""
    seller = owner()
    lead = new_lead()
    lead.last_name = "Jansen\r\nBcc: victim@example.org"
    lead.save(update_fields=["last_name"])
    assert lead.company is not None
    lead.company.name = "<b>Bakker</b>"
    lead.company.save(update_fields=["name"])
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_hot(lead, NOW)

    (mail,) = peers.sink.messages
    assert mail.rcpt_tos == [seller.email]
    assert mail.message["Bcc"] is None
    assert "Jansen Bcc: victim@example.org" in mail.message["Subject"]
    assert "\n" not in mail.message["Subject"]
    assert "&lt;b&gt;Bakker&lt;/b&gt;" in mail.part("text/html")
    assert "<b>Bakker</b>" not in mail.part("text/html")
    assert Alert.objects.get(channel="email").status == AlertStatus.SENT
