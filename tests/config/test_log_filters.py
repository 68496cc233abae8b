"""A 403 is logged as one line: what, the path and who, with no traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from leadqual.users.roles import Role
from leadqual.users.scopes import Scope
from tests.factories import ApiTokenFactory, make_user

pytestmark = pytest.mark.django_db


def forbidden_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if getattr(record, "status_code", None) == 403
    ]


def test_a_permission_denied_is_one_line_with_the_user_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seller = make_user("sanne", role=Role.SALES)
    client = Client()
    client.force_login(seller)

    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("imports:upload"))

    assert response.status_code == 403
    (record,) = forbidden_records(caplog)
    assert record.exc_info is None
    assert record.getMessage() == (
        f"Forbidden (Permission denied): {reverse('imports:upload')} (user {seller.pk})"
    )
    assert "Traceback" not in caplog.text
    assert seller.username not in caplog.text and seller.email not in caplog.text


def test_a_csrf_failure_is_one_line_saying_who(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(enforce_csrf_checks=True)

    with caplog.at_level(logging.WARNING):
        response = client.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    (record,) = forbidden_records(caplog)
    assert record.getMessage() == (
        f"Forbidden (CSRF cookie not set.): {reverse('login')} (anonymous)"
    )


def test_an_api_token_without_the_scope_is_logged_by_its_token_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "lq_log-test-token-abcdefghijklmnop"
    token = ApiTokenFactory.create(secret=secret, scopes=[Scope.WRITE_EVENTS.value])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    with caplog.at_level(logging.WARNING):
        response = client.get("/api/v1/leads")

    assert response.status_code == 403
    (record,) = forbidden_records(caplog)
    assert record.getMessage() == f"Forbidden: /api/v1/leads (token {token.pk})"
