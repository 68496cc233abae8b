"""Mail-tool webhooks: real-shaped payloads through real HTTP, per tool."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings

from leadqual.intake.inbound_webhooks import generic_signature, mandrill_signature
from leadqual.leads.models import Event, Lead
from tests.factories import LeadFactory
from tests.intake import inbound_webhook_payloads as payloads

pytestmark = pytest.mark.django_db

EMAIL = "eva@logistiek-partners.nl"
FORM = "application/x-www-form-urlencoded"
MAILCHIMP_KEY = "mc-key-0123456789"
MANDRILL_KEY = "mandrill-key-abcdef"
BREVO_TOKEN = "brevo-token-0123456789"
MAUTIC_SECRET = "mautic-secret-0123456789"
GENERIC_SECRET = "generic-secret-0123456789"

SECRETS = override_settings(
    WEBHOOK_MAILCHIMP_KEY=MAILCHIMP_KEY,
    WEBHOOK_MANDRILL_KEY=MANDRILL_KEY,
    WEBHOOK_BREVO_TOKEN=BREVO_TOKEN,
    WEBHOOK_MAUTIC_SECRET=MAUTIC_SECRET,
    WEBHOOK_GENERIC_SECRET=GENERIC_SECRET,
)


@pytest.fixture
def lead() -> Lead:
    return LeadFactory.create(email=EMAIL)


def assert_error_shape(body: dict[str, Any], code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def events_of(lead: Lead) -> list[tuple[str, dict[str, Any]]]:
    return [
        (row.type, row.properties)
        for row in Event.objects.filter(lead=lead).order_by("occurred_at", "id")
    ]


# --- Mailchimp audience webhooks -----------------------------------------------------


def post_mailchimp(
    client: Client, data: dict[str, str], key: str = MAILCHIMP_KEY
) -> Any:
    return client.post(
        f"/webhooks/mailchimp/{key}/", urlencode(data), content_type=FORM
    )


@SECRETS
def test_mailchimp_unsubscribe_is_stored_and_marks_the_lead(
    client: Client, lead: Lead
) -> None:
    response = post_mailchimp(client, payloads.mailchimp_unsubscribe(EMAIL))
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1
    assert response.json()["contactability"] == {"unsubscribed": 1, "hard_bounced": 0}
    lead.refresh_from_db()
    assert lead.unsubscribed_at is not None
    assert lead.unsubscribed_at.isoformat() == "2009-03-26T21:40:57+00:00"
    [(kind, properties)] = events_of(lead)
    assert kind == "unsubscribe" and properties["campaign_id"] == "cb398d21d2"
    assert Event.objects.get().source == "mailchimp"


@SECRETS
def test_mailchimp_cleaned_is_a_hard_bounce(client: Client, lead: Lead) -> None:
    response = post_mailchimp(client, payloads.mailchimp_cleaned(EMAIL))
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.hard_bounced_at is not None and lead.unsubscribed_at is None
    [(kind, properties)] = events_of(lead)
    assert (kind, properties["kind"]) == ("bounce", "hard")


@SECRETS
def test_mailchimp_with_a_wrong_key_is_refused_and_stores_nothing(
    client: Client, lead: Lead
) -> None:
    response = post_mailchimp(
        client, payloads.mailchimp_unsubscribe(EMAIL), key="guess"
    )
    assert response.status_code == 401
    assert_error_shape(response.json(), "invalid_signature")
    lead.refresh_from_db()
    assert Event.objects.count() == 0 and lead.unsubscribed_at is None


@SECRETS
def test_mailchimp_replay_is_stored_once(client: Client, lead: Lead) -> None:
    post_mailchimp(client, payloads.mailchimp_unsubscribe(EMAIL))
    response = post_mailchimp(client, payloads.mailchimp_unsubscribe(EMAIL))
    assert response.json()["duplicates"] == 1
    assert response.json()["contactability"] == {"unsubscribed": 0, "hard_bounced": 0}
    assert Event.objects.count() == 1


@SECRETS
def test_mailchimp_for_an_unknown_email_is_ignored(client: Client) -> None:
    response = post_mailchimp(
        client, payloads.mailchimp_unsubscribe("nobody@example.nl")
    )
    assert response.status_code == 200
    assert response.json()["ignored"]["unknown_email"] == 1
    assert Event.objects.count() == 0


@SECRETS
def test_mailchimp_validation_get_answers_200(client: Client) -> None:
    assert client.get(f"/webhooks/mailchimp/{MAILCHIMP_KEY}/").status_code == 200


@SECRETS
def test_mailchimp_subscribe_is_counted_but_not_stored(
    client: Client, lead: Lead
) -> None:
    data = {
        "type": "subscribe",
        "fired_at": "2009-03-26 21:35:57",
        "data[email]": EMAIL,
    }
    response = post_mailchimp(client, data)
    assert response.json()["ignored"]["not_tracked"] == 1
    assert Event.objects.count() == 0


# --- Mailchimp Transactional (Mandrill) --------------------------------------------

MANDRILL_URL = "http://testserver/webhooks/mandrill/"


def post_mandrill(client: Client, events: str, *, key: str = MANDRILL_KEY) -> Any:
    params = {"mandrill_events": events}
    signature = mandrill_signature(MANDRILL_URL, params, key)
    return client.post(
        "/webhooks/mandrill/",
        urlencode(params),
        content_type=FORM,
        headers={"X-Mandrill-Signature": signature},
    )


@SECRETS
def test_mandrill_events_are_stored_with_the_bounce(client: Client, lead: Lead) -> None:
    response = post_mandrill(client, payloads.mandrill_events(EMAIL))
    assert response.status_code == 200, response.content
    assert [kind for kind, _ in events_of(lead)] == [
        "email_open",
        "email_click",
        "bounce",
    ]
    assert events_of(lead)[1][1]["url"] == "https://mandrill.com"
    lead.refresh_from_db()
    assert lead.hard_bounced_at is not None


@SECRETS
def test_mandrill_with_a_bad_signature_stores_nothing(
    client: Client, lead: Lead
) -> None:
    response = post_mandrill(client, payloads.mandrill_events(EMAIL), key="wrong")
    assert response.status_code == 401
    assert_error_shape(response.json(), "invalid_signature")
    assert Event.objects.count() == 0


@SECRETS
def test_mandrill_replay_is_stored_once(client: Client, lead: Lead) -> None:
    post_mandrill(client, payloads.mandrill_events(EMAIL))
    response = post_mandrill(client, payloads.mandrill_events(EMAIL))
    assert response.json()["duplicates"] == 3
    assert Event.objects.count() == 3


@SECRETS
def test_mandrill_for_an_unknown_email_is_ignored(client: Client) -> None:
    response = post_mandrill(client, payloads.mandrill_events("nobody@example.nl"))
    assert response.json()["ignored"]["unknown_email"] == 3
    assert Event.objects.count() == 0


# --- Brevo -------------------------------------------------------------------------


def post_brevo(client: Client, payload: object, *, authorization: str) -> Any:
    return client.post(
        "/webhooks/brevo/",
        json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": authorization},
    )


@SECRETS
def test_brevo_click_and_hard_bounce_are_stored(client: Client, lead: Lead) -> None:
    click = payloads.brevo_transactional(
        "click", EMAIL, link="https://example.nl/prijzen"
    )
    bounce = payloads.brevo_transactional(
        "hard_bounce", EMAIL, reason="mailbox unknown"
    )
    for payload in (click, bounce):
        response = post_brevo(client, payload, authorization=f"Bearer {BREVO_TOKEN}")
        assert response.status_code == 200, response.content
    assert events_of(lead)[0] == (
        "email_click",
        {
            "tool": "brevo",
            "url": "https://example.nl/prijzen",
            "subject": "My first Transactional",
        },
    )
    lead.refresh_from_db()
    assert lead.hard_bounced_at is not None


@SECRETS
def test_brevo_marketing_unsubscribe_with_basic_auth_marks_the_lead(
    client: Client, lead: Lead
) -> None:
    credentials = base64.b64encode(f"leadqual:{BREVO_TOKEN}".encode()).decode()
    payload = payloads.brevo_marketing("unsubscribe", EMAIL)
    response = post_brevo(client, payload, authorization=f"Basic {credentials}")
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert lead.unsubscribed_at is not None
    assert events_of(lead)[0][1]["campaign"] == "12"


@SECRETS
def test_brevo_soft_bounce_changes_no_contactability(
    client: Client, lead: Lead
) -> None:
    payload = payloads.brevo_transactional("soft_bounce", EMAIL)
    post_brevo(client, payload, authorization=f"Bearer {BREVO_TOKEN}")
    lead.refresh_from_db()
    assert events_of(lead)[0][1]["kind"] == "soft"
    assert lead.hard_bounced_at is None and lead.unsubscribed_at is None


@SECRETS
def test_brevo_with_a_wrong_token_stores_nothing(client: Client, lead: Lead) -> None:
    payload = payloads.brevo_transactional("unique_opened", EMAIL)
    response = post_brevo(client, payload, authorization="Bearer guess")
    assert response.status_code == 401
    assert_error_shape(response.json(), "invalid_signature")
    assert Event.objects.count() == 0


@SECRETS
def test_brevo_replay_is_stored_once(client: Client, lead: Lead) -> None:
    payload = payloads.brevo_transactional("opened", EMAIL)
    post_brevo(client, payload, authorization=f"Bearer {BREVO_TOKEN}")
    response = post_brevo(client, payload, authorization=f"Bearer {BREVO_TOKEN}")
    assert response.json()["duplicates"] == 1
    assert Event.objects.count() == 1


@SECRETS
def test_brevo_for_an_unknown_email_is_ignored(client: Client) -> None:
    payload = payloads.brevo_transactional("opened", "nobody@example.nl")
    response = post_brevo(client, payload, authorization=f"Bearer {BREVO_TOKEN}")
    assert response.json()["ignored"]["unknown_email"] == 1
    assert Event.objects.count() == 0


# --- Mautic ------------------------------------------------------------------------


def post_mautic(client: Client, payload: object, *, secret: str = MAUTIC_SECRET) -> Any:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return client.post(
        "/webhooks/mautic/",
        body,
        content_type="application/json",
        headers={"Webhook-Signature": base64.b64encode(digest).decode()},
    )


@SECRETS
def test_mautic_open_is_stored(client: Client, lead: Lead) -> None:
    response = post_mautic(client, payloads.mautic_email_on_open(EMAIL))
    assert response.status_code == 200, response.content
    assert events_of(lead) == [
        ("email_open", {"tool": "mautic", "campaign": "Mei nieuwsbrief"})
    ]


@SECRETS
def test_mautic_unsubscribe_marks_the_lead(client: Client, lead: Lead) -> None:
    post_mautic(client, payloads.mautic_unsubscribed(EMAIL))
    lead.refresh_from_db()
    assert lead.unsubscribed_at is not None
    assert events_of(lead)[0][0] == "unsubscribe"


@SECRETS
def test_mautic_with_a_bad_signature_stores_nothing(client: Client, lead: Lead) -> None:
    response = post_mautic(client, payloads.mautic_unsubscribed(EMAIL), secret="wrong")
    assert response.status_code == 401
    assert_error_shape(response.json(), "invalid_signature")
    lead.refresh_from_db()
    assert Event.objects.count() == 0 and lead.unsubscribed_at is None


@SECRETS
def test_mautic_replay_is_stored_once(client: Client, lead: Lead) -> None:
    post_mautic(client, payloads.mautic_email_on_open(EMAIL))
    response = post_mautic(client, payloads.mautic_email_on_open(EMAIL))
    assert response.json()["duplicates"] == 1
    assert Event.objects.count() == 1


@SECRETS
def test_mautic_for_an_unknown_email_is_ignored(client: Client) -> None:
    response = post_mautic(client, payloads.mautic_email_on_open("nobody@example.nl"))
    assert response.json()["ignored"]["unknown_email"] == 1
    assert Event.objects.count() == 0


# --- the generic format ------------------------------------------------------------


def generic_body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def post_generic(
    client: Client,
    body: bytes,
    *,
    secret: str = GENERIC_SECRET,
    timestamp: int | None = None,
) -> Any:
    stamp = int(time.time()) if timestamp is None else timestamp
    return client.post(
        "/webhooks/generic/",
        body,
        content_type="application/json",
        headers={
            "X-Leadqual-Timestamp": str(stamp),
            "X-Leadqual-Signature": generic_signature(body, secret, timestamp=stamp),
        },
    )


REPLY = {
    "id": "crm-771",
    "email": EMAIL,
    "type": "email_reply",
    "occurred_at": "2026-01-05T10:15:00+01:00",
    "properties": {"subject": "Re: offerte"},
}
HARD_BOUNCE = {
    "id": "crm-772",
    "email": EMAIL,
    "type": "bounce",
    "occurred_at": "2026-01-06T10:15:00+01:00",
    "properties": {"kind": "hard"},
}


@SECRETS
def test_generic_events_are_stored_with_contactability(
    client: Client, lead: Lead
) -> None:
    response = post_generic(client, generic_body(REPLY, HARD_BOUNCE))
    assert response.status_code == 200, response.content
    assert [kind for kind, _ in events_of(lead)] == ["email_reply", "bounce"]
    lead.refresh_from_db()
    assert lead.hard_bounced_at is not None


@SECRETS
def test_generic_with_a_bad_signature_stores_nothing(
    client: Client, lead: Lead
) -> None:
    response = post_generic(client, generic_body(REPLY), secret="wrong")
    assert response.status_code == 401
    assert_error_shape(response.json(), "invalid_signature")
    assert Event.objects.count() == 0


@SECRETS
def test_generic_signed_more_than_five_minutes_ago_is_refused(
    client: Client, lead: Lead
) -> None:
    old = int(time.time()) - 6 * 60
    response = post_generic(client, generic_body(REPLY), timestamp=old)
    assert response.status_code == 401
    assert "minutes" in response.json()["error"]["message"]
    assert Event.objects.count() == 0


@SECRETS
@pytest.mark.parametrize(
    "stamp", ["1700000000\u00b9", "\u0661\u0667\u0660\u0660", "9" * 30]
)
def test_generic_with_a_timestamp_not_in_ascii_digits_is_a_401(
    client: Client, lead: Lead, stamp: str
) -> None:
    """A Latin-1 "¹" passes str.isdigit() but not int(): once a 500."""
    response = client.post(
        "/webhooks/generic/",
        generic_body(REPLY),
        content_type="application/json",
        headers={"X-Leadqual-Timestamp": stamp, "X-Leadqual-Signature": "sha256=0"},
    )
    assert response.status_code == 401
    assert_error_shape(response.json(), "invalid_signature")
    assert (
        "X-Leadqual-Timestamp must be the Unix time"
        in response.json()["error"]["message"]
    )
    assert Event.objects.count() == 0


@SECRETS
def test_generic_replay_is_stored_once(client: Client, lead: Lead) -> None:
    post_generic(client, generic_body(REPLY))
    response = post_generic(client, generic_body(REPLY))
    assert response.json()["duplicates"] == 1
    assert Event.objects.count() == 1


@SECRETS
def test_generic_for_an_unknown_email_is_ignored(client: Client) -> None:
    response = post_generic(
        client, generic_body({**REPLY, "email": "nobody@example.nl"})
    )
    assert response.json()["ignored"]["unknown_email"] == 1
    assert Event.objects.count() == 0


@SECRETS
def test_generic_malformed_event_is_a_400_naming_each_field(
    client: Client, lead: Lead
) -> None:
    bad = {"id": "x", "email": EMAIL, "type": "page_view", "occurred_at": "gisteren"}
    response = post_generic(client, generic_body(bad))
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "malformed_webhook")
    assert set(body["error"]["fields"]) == {"events[0].type", "events[0].occurred_at"}
    assert Event.objects.count() == 0


@SECRETS
def test_body_that_is_not_json_is_a_400(client: Client) -> None:
    response = post_generic(client, b"{not json")
    assert response.status_code == 400
    assert_error_shape(response.json(), "malformed_webhook")


@SECRETS
def test_oversized_body_is_a_413(client: Client) -> None:
    body = b"{" + b" " * (1024 * 1024) + b"}"
    response = post_generic(client, body)
    assert response.status_code == 413
    assert_error_shape(response.json(), "request_too_large")


# --- disabled endpoints ------------------------------------------------------------


@override_settings(
    WEBHOOK_MAILCHIMP_KEY=None,
    WEBHOOK_MANDRILL_KEY=None,
    WEBHOOK_BREVO_TOKEN=None,
    WEBHOOK_MAUTIC_SECRET=None,
    WEBHOOK_GENERIC_SECRET=None,
)
@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/mailchimp/anything/",
        "/webhooks/mandrill/",
        "/webhooks/brevo/",
        "/webhooks/mautic/",
        "/webhooks/generic/",
    ],
)
def test_an_endpoint_without_a_secret_is_disabled(
    client: Client, lead: Lead, path: str
) -> None:
    response = client.post(path, b"{}", content_type="application/json")
    assert response.status_code == 404
    assert_error_shape(response.json(), "webhook_disabled")
    assert Event.objects.count() == 0
