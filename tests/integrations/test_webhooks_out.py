"""Outbound webhooks: signed as Standard Webhooks, at least once, in order per lead."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from leadqual.core.lifecycle import Decision, OutcomeKind
from leadqual.integrations.delivery import MAX_ATTEMPTS, RETRY_DELAYS
from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.integrations.outbox import emit
from leadqual.integrations.tasks import deliver_due_webhooks
from leadqual.leads.models import Lead
from leadqual.triage.services import (
    record_feedback,
    record_outcome,
    reopen_lead,
    undo_reopen,
)
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user
from tests.integrations.http_receiver import Received, Receiver, running

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CaptureCallbacks = Callable[..., Any]


def verify_standard_webhook(
    secret: str, headers: dict[str, str], body: bytes, *, now: datetime
) -> bool:
    """An independent receiver-side check, written from the specification."""
    key = base64.b64decode(secret.split("_", 1)[1])
    message_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(now.timestamp() - int(timestamp)) > 5 * 60:
        return False
    content = message_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())
    for signature in headers["webhook-signature"].split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return True
    return False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running() as started:
        yield started


def endpoint_for(receiver: Receiver, **fields: Any) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="CRM", url=f"{receiver.url}/hooks", allow_private_network=True, **fields
    )


def emit_after_commit(
    capture: CaptureCallbacks, event_type: str, lead: Lead, data: dict[str, Any]
) -> None:
    with capture(execute=True):
        emit(event_type, lead, data, now=datetime.now(UTC))


def bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in receiver.received]


def test_a_webhook_carries_a_signature_the_specification_verifies(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    endpoint = endpoint_for(receiver)
    lead = LeadFactory.create(first_name="Eva", last_name="Smit")
    with time_machine.travel(T0, tick=False):
        emit_after_commit(django_capture_on_commit_callbacks, "lead.created", lead, {})

    (request,) = receiver.received
    assert request.method == "POST" and request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert verify_standard_webhook(
        endpoint.secret, request.headers, request.body, now=T0
    )
    assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    body = json.loads(request.body)
    assert body["type"] == "lead.created"
    assert body["timestamp"] == "2026-11-27T09:00:00Z"
    assert body["data"]["lead"]["id"] == lead.pk
    assert body["data"]["lead"]["name"] == "Eva Smit"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert request.headers["webhook-id"] == delivery.message_id


def test_a_tampered_body_does_not_verify(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    endpoint = endpoint_for(receiver)
    with time_machine.travel(T0, tick=False):
        emit_after_commit(
            django_capture_on_commit_callbacks, "lead.created", LeadFactory.create(), {}
        )
    (request,) = receiver.received
    tampered = request.body.replace(b'"lead.created"', b'"lead.outcome"')
    assert not verify_standard_webhook(
        endpoint.secret, request.headers, tampered, now=T0
    )
    assert not verify_standard_webhook(
        endpoint.secret, request.headers, request.body, now=T0 + timedelta(minutes=6)
    )


def test_nothing_is_queued_or_sent_when_the_transaction_rolls_back(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """The outbox row is written in the caller's transaction, or not at all."""
    from django.db import transaction

    endpoint_for(receiver)
    lead = LeadFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                emit("lead.created", lead, {}, now=T0)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert WebhookDelivery.objects.count() == 0
    assert receiver.received == []


def test_only_subscribed_active_endpoints_get_an_event(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    endpoint_for(receiver, events=["lead.outcome"])
    endpoint_for(receiver, is_active=False)
    emit_after_commit(
        django_capture_on_commit_callbacks, "lead.created", LeadFactory.create(), {}
    )
    assert WebhookDelivery.objects.count() == 0
    assert receiver.received == []


def test_feedback_from_sales_is_sent_as_lead_feedback(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    endpoint_for(receiver)
    lead = LeadFactory.create()
    with (
        time_machine.travel(T0, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=None, now=T0)
    (body,) = bodies(receiver)
    assert body["type"] == "lead.feedback"
    assert body["data"]["feedback"]["decision"] == "accepted"
    assert body["data"]["lead"]["status"] == "accepted"


def test_a_receiver_that_was_down_gets_every_webhook_once_in_order_per_lead(
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    receiver = Receiver()
    receiver.start()
    endpoint_for(receiver)
    receiver.stop()  # down: connections are refused
    anna, bram = LeadFactory.create(), LeadFactory.create()
    try:
        with time_machine.travel(T0, tick=False):
            for step in range(3):
                for lead in (anna, bram):
                    emit_after_commit(
                        django_capture_on_commit_callbacks,
                        "lead.band_changed",
                        lead,
                        {"step": step},
                    )
        first = WebhookDelivery.objects.order_by("id").first()
        assert (
            first is not None and first.attempts == 1 and first.last_status_code is None
        )
        assert "ConnectionRefused" in first.last_error
        # Later deliveries wait behind the lead's first: they were never tried.
        assert WebhookDelivery.objects.filter(attempts=0).count() == 4

        moment = T0
        for delay in RETRY_DELAYS[:3]:  # still down for the next retries
            moment += delay
            with time_machine.travel(moment, tick=False):
                deliver_due_webhooks()
        assert (
            WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 0
        )

        receiver.start()  # back, on the same port
        with time_machine.travel(moment + RETRY_DELAYS[3], tick=False):
            deliver_due_webhooks()
    finally:
        receiver.stop()

    assert WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).count() == 0
    ids = [request.headers["webhook-id"] for request in receiver.received]
    assert len(ids) == len(set(ids)) == 6
    for lead in (anna, bram):
        steps = [
            body["data"]["step"]
            for body in bodies(receiver)
            if body["data"]["lead"]["id"] == lead.pk
        ]
        assert steps == [0, 1, 2]


def test_a_failing_first_webhook_holds_back_only_its_own_lead(
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    answers = iter([503])

    def flaky(request: Received) -> tuple[int, bytes]:
        return next(answers, 200), b"{}"

    anna, bram = LeadFactory.create(), LeadFactory.create()
    with running(flaky) as receiver:
        endpoint_for(receiver)
        with time_machine.travel(T0, tick=False):
            emit_after_commit(
                django_capture_on_commit_callbacks, "lead.created", anna, {}
            )
            emit_after_commit(
                django_capture_on_commit_callbacks, "lead.assigned", anna, {}
            )
            emit_after_commit(
                django_capture_on_commit_callbacks, "lead.created", bram, {}
            )
        assert [
            (body["type"], body["data"]["lead"]["id"]) for body in bodies(receiver)
        ] == [
            ("lead.created", anna.pk),
            ("lead.created", bram.pk),
        ]
        failed = WebhookDelivery.objects.get(lead_id=anna.pk, sequence=1)
        assert failed.last_status_code == 503
        assert failed.next_attempt_at == T0 + RETRY_DELAYS[0]
        assert "HTTP 503" in failed.last_error

        with time_machine.travel(T0 + RETRY_DELAYS[0], tick=False):
            deliver_due_webhooks()
    assert [body["type"] for body in bodies(receiver)][2:] == [
        "lead.created",
        "lead.assigned",
    ]


def test_a_retried_webhook_keeps_its_webhook_id_so_receivers_can_drop_it(
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """The receiver stored the first try but answered 500; the retry is the same message."""
    answers = iter([500])

    def processed_but_failed(request: Received) -> tuple[int, bytes]:
        return next(answers, 204), b""

    with running(processed_but_failed) as receiver:
        endpoint = endpoint_for(receiver)
        with time_machine.travel(T0, tick=False):
            emit_after_commit(
                django_capture_on_commit_callbacks,
                "lead.created",
                LeadFactory.create(),
                {},
            )
        with time_machine.travel(T0 + RETRY_DELAYS[0], tick=False):
            deliver_due_webhooks()
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    later = T0 + RETRY_DELAYS[0]
    assert verify_standard_webhook(
        endpoint.secret, second.headers, second.body, now=later
    )
    assert WebhookDelivery.objects.get().attempts == 2


def test_a_delivery_fails_for_good_after_its_last_attempt_and_retry_now_revives_it(
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    from leadqual.integrations.outbox import retry_now

    with running(lambda request: (500, b"{}")) as receiver:
        endpoint_for(receiver)
        with time_machine.travel(T0, tick=False):
            emit_after_commit(
                django_capture_on_commit_callbacks,
                "lead.created",
                LeadFactory.create(),
                {},
            )
        moment = T0
        for delay in RETRY_DELAYS:
            moment += delay
            with time_machine.travel(moment, tick=False):
                deliver_due_webhooks()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (
            DeliveryStatus.FAILED,
            MAX_ATTEMPTS,
        )
        assert moment - T0 > timedelta(days=2, hours=20)
        assert len(receiver.received) == MAX_ATTEMPTS

        receiver.responder = lambda request: (200, b"{}")
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert retry_now([delivery.pk], now=moment) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == MAX_ATTEMPTS + 1


def test_admins_see_the_delivery_log_of_an_endpoint_and_can_retry(
    client: Client, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    client.force_login(make_user("admin", role=Role.ADMIN))
    with running(lambda request: (500, b"{}")) as receiver:
        endpoint = endpoint_for(receiver)
        with time_machine.travel(T0, tick=False):
            emit_after_commit(
                django_capture_on_commit_callbacks,
                "lead.created",
                LeadFactory.create(),
                {},
            )
        page = client.get(f"/integrations/webhooks/{endpoint.pk}/")
        assert page.status_code == 200
        assert "lead.created" in page.content.decode()
        assert "HTTP 500" in page.content.decode()

        receiver.responder = lambda request: (200, b"{}")
        delivery = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
                f"/integrations/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/"
            )
    assert answer.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_sales_users_cannot_see_the_delivery_log(client: Client) -> None:
    endpoint = WebhookEndpoint.objects.create(name="CRM", url="https://example.nl/hook")
    client.force_login(make_user("sanne", role=Role.SALES))
    assert client.get(f"/integrations/webhooks/{endpoint.pk}/").status_code == 403


def test_a_reopened_win_is_sent_and_its_undo_sends_the_win_again(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    """A CRM that took the win hears the deal is open again, and won again."""
    endpoint_for(receiver)
    lead = LeadFactory.create(status="opportunity")
    for minute in range(3):
        with (
            time_machine.travel(T0 + timedelta(minutes=minute), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            now = T0 + timedelta(minutes=minute)
            if minute == 0:
                record_outcome(
                    lead,
                    OutcomeKind.WON,
                    value_cents=4_500_000,
                    recorded_by=None,
                    now=now,
                )
            elif minute == 1:
                action = reopen_lead(lead, by=None, now=now)
            else:
                undo_reopen(lead, action.pk, by=None, now=now)

    won, reopened, won_again = bodies(receiver)
    assert won["type"] == "lead.outcome"
    assert reopened["type"] == "lead.reopened"
    assert reopened["data"]["previous_status"] == "won"
    # No opportunity was recorded before the win: back to accepted.
    assert reopened["data"]["lead"]["status"] == "accepted"
    assert won_again["type"] == "lead.outcome"
    assert won_again["data"]["outcome"] == won["data"]["outcome"]
    assert won_again["data"]["lead"]["status"] == "won"


def test_an_outcome_carries_sales_rating_and_the_band_when_it_was_recorded(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    endpoint_for(receiver)
    lead = LeadFactory.create(band="hot", score_total=81)
    with (
        time_machine.travel(T0, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        record_feedback(
            lead, Decision.ACCEPTED, reason=None, rating=4, given_by=None, now=T0
        )
        record_outcome(lead, OutcomeKind.OPPORTUNITY, recorded_by=None, now=T0)

    outcome = bodies(receiver)[-1]["data"]["outcome"]
    assert outcome["rating"] == 4
    assert outcome["band"] == "hot"


def test_an_outcome_of_an_unrated_lead_says_so(
    receiver: Receiver, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    endpoint_for(receiver)
    lead = LeadFactory.create(status="accepted")
    with (
        time_machine.travel(T0, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        record_outcome(lead, OutcomeKind.LOST, recorded_by=None, now=T0)

    assert bodies(receiver)[-1]["data"]["outcome"]["rating"] is None
