"""Every 4xx answer of the API has one shape (STYLE §6).

``{"error": {"code": str, "message": str, "fields": {path: message}}}``
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from leadqual.users.roles import Role
from tests.api.helpers import EVENTS, LEADS, body_of, event, post_json
from tests.factories import ApiTokenFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db


def assert_error_shape(
    response: Any, status: int, code: str, fields: set[str] | None = None
) -> dict[str, Any]:
    """Assert the exact error shape and return the error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = body_of(response)
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"].endswith(".")
    assert isinstance(error["fields"], dict)
    assert all(
        isinstance(k, str) and isinstance(v, str) for k, v in error["fields"].items()
    )
    assert set(error["fields"]) == (fields or set())
    for path, message in error["fields"].items():
        assert message, path
    return error


def test_a_missing_token(api_client: Client) -> None:
    assert_error_shape(Client().get(LEADS), 401, "not_authenticated")


def test_a_bad_token(api_client: Client) -> None:
    client = Client(HTTP_AUTHORIZATION="Bearer lq_wrong")
    assert_error_shape(client.get(LEADS), 401, "not_authenticated")


def test_an_unknown_lead_id(api_client: Client) -> None:
    error = assert_error_shape(api_client.get(f"{LEADS}/424242"), 404, "lead_not_found")
    assert "424242" in error["message"]


def test_a_lead_id_that_is_not_a_number(api_client: Client) -> None:
    error = assert_error_shape(
        api_client.get(f"{LEADS}/abc"), 422, "invalid_request", {"lead_id"}
    )
    assert '"abc"' in error["fields"]["lead_id"]


def test_an_invalid_body(api_client: Client) -> None:
    body = {"email": "kees@bakker-ict.nl", "employees": "ten", "colour": "blue"}
    error = assert_error_shape(
        post_json(api_client, LEADS, body),
        422,
        "invalid_request",
        {"employees", "colour"},
    )
    assert error["fields"]["employees"].startswith('"ten" is not a whole number')
    assert "employees" in error["message"] and "colour" in error["message"]


def test_a_missing_email(api_client: Client) -> None:
    error = assert_error_shape(
        post_json(api_client, LEADS, {"first_name": "Kees"}),
        422,
        "invalid_request",
        {"email"},
    )
    assert error["fields"]["email"] == "is required."


def test_a_nested_consent_error_names_its_path(api_client: Client) -> None:
    body = {"email": "kees@bakker-ict.nl", "consent": {"given": "maybe"}}
    assert_error_shape(
        post_json(api_client, LEADS, body),
        422,
        "invalid_request",
        {"consent.given", "consent.text_version"},
    )


def test_an_invalid_email(api_client: Client) -> None:
    error = assert_error_shape(
        post_json(api_client, LEADS, {"email": "kees.bakker-ict.nl"}),
        422,
        "invalid_lead",
        {"email"},
    )
    assert '"kees.bakker-ict.nl"' in error["fields"]["email"]


def test_a_rejection_without_reason(api_client: Client) -> None:
    lead = LeadFactory.create()
    assert_error_shape(
        post_json(api_client, f"{LEADS}/{lead.pk}/feedback", {"decision": "rejected"}),
        422,
        "invalid_feedback",
        {"reason"},
    )


def test_an_unknown_decision(api_client: Client) -> None:
    lead = LeadFactory.create()
    error = assert_error_shape(
        post_json(api_client, f"{LEADS}/{lead.pk}/feedback", {"decision": "maybe"}),
        422,
        "invalid_request",
        {"decision"},
    )
    assert '"maybe" is not allowed' in error["fields"]["decision"]


def test_an_oversize_batch(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = [event(lead.email)] * 1001
    error = assert_error_shape(
        post_json(api_client, EVENTS, {"events": batch}),
        422,
        "invalid_request",
        {"events"},
    )
    assert "events" in error["message"]


def test_events_that_are_not_a_list(api_client: Client) -> None:
    assert_error_shape(
        post_json(api_client, EVENTS, {"events": {"type": "page_view"}}),
        422,
        "invalid_request",
        {"events"},
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_larger_than_allowed(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = [event(lead.email, url="/product/" + "x" * 100) for _ in range(20)]
    assert_error_shape(
        post_json(api_client, EVENTS, {"events": batch}), 413, "request_too_large"
    )


def test_malformed_json(api_client: Client) -> None:
    response = api_client.post(
        LEADS, data='{"email": "kees@bakker-ict.nl",', content_type="application/json"
    )
    error = assert_error_shape(response, 400, "malformed_json")
    assert "line 1" in error["message"]


def test_a_body_that_is_not_an_object(api_client: Client) -> None:
    assert_error_shape(
        post_json(api_client, LEADS, ["kees@bakker-ict.nl"]),
        422,
        "invalid_request",
        {"body"},
    )


def test_a_token_whose_users_role_may_not_do_it() -> None:
    ApiTokenFactory.create(
        secret="lq_shape-test-token-abcdefghijklmnop",
        user=make_user("sanne", role=Role.SALES),
    )
    client = Client(HTTP_AUTHORIZATION="Bearer lq_shape-test-token-abcdefghijklmnop")
    assert_error_shape(
        post_json(client, LEADS, {"email": "kees@bakker-ict.nl"}),
        403,
        "role_not_allowed",
    )
