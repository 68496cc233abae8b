"""Every operation needs a usable bearer token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leadqual.users.models import ApiToken
from tests.api.helpers import EVENTS, LEADS, body_of, post_json
from tests.factories import ApiTokenFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db

SECRET = "lq_auth-test-token-abcdefghijklmnop"


def _client(header: str | None) -> Client:
    return Client(HTTP_AUTHORIZATION=header) if header is not None else Client()


def _assert_401(client: Client) -> str:
    lead = LeadFactory.create()
    calls = [
        client.get(LEADS),
        client.get(f"{LEADS}/{lead.pk}"),
        post_json(client, LEADS, {"email": "kees@bakker-ict.nl"}),
        post_json(client, f"{LEADS}/{lead.pk}/feedback", {"decision": "accepted"}),
        post_json(client, EVENTS, {"events": []}),
    ]
    messages = set()
    for response in calls:
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        error = body_of(response)["error"]
        assert error["code"] == "not_authenticated"
        messages.add(error["message"])
    (message,) = messages
    assert isinstance(message, str)
    return message


def test_a_request_without_token_is_401_on_every_operation() -> None:
    message = _assert_401(_client(None))
    assert "no Authorization header" in message


def test_a_wrong_token_is_401() -> None:
    ApiTokenFactory.create(secret=SECRET)
    message = _assert_401(_client("Bearer lq_not-the-right-one"))
    assert "unknown, revoked or expired" in message
    assert "lq_not-the-right-one" not in message


def test_a_token_in_another_scheme_is_401() -> None:
    ApiTokenFactory.create(secret=SECRET)
    message = _assert_401(_client(f"Token {SECRET}"))
    assert '"Token"' in message and "Bearer" in message


def test_a_revoked_token_is_401() -> None:
    ApiTokenFactory.create(
        secret=SECRET, revoked_at=timezone.now() - timedelta(minutes=1)
    )
    _assert_401(_client(f"Bearer {SECRET}"))


def test_an_expired_token_is_401() -> None:
    ApiTokenFactory.create(
        secret=SECRET, expires_at=timezone.now() - timedelta(seconds=1)
    )
    _assert_401(_client(f"Bearer {SECRET}"))


def test_a_valid_token_is_accepted_and_its_use_recorded() -> None:
    ApiTokenFactory.create(secret=SECRET)
    response = _client(f"Bearer {SECRET}").get(LEADS)
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_nothing_is_stored_without_a_token() -> None:
    lead = LeadFactory.create()
    post_json(_client(None), EVENTS, {"events": [{"lead_email": lead.email}]})
    assert not lead.events.exists()


def test_the_token_of_a_deactivated_user_is_401_saying_why() -> None:
    """A token acts for its user, and dies with them."""
    seller = make_user("sanne")
    ApiTokenFactory.create(secret=SECRET, user=seller)
    seller.is_active = False
    seller.save(update_fields=["is_active"])

    message = _assert_401(_client(f"Bearer {SECRET}"))

    assert "belongs to a user who has been deactivated" in message
    assert "sanne" not in message


def test_a_machine_token_works_without_a_user() -> None:
    ApiTokenFactory.create(secret=SECRET, user=None)
    response = _client(f"Bearer {SECRET}").get(LEADS)
    assert response.status_code == 200
