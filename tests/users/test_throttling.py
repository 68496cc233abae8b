"""Login throttling: at most 100 failed logins per account and per address an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.test import Client

from leadqual.users.models import LoginFailure
from leadqual.users.roles import Role
from leadqual.users.throttling import (
    MAX_FAILURES,
    address_hash,
    record_login_failure,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
ADDRESS = "203.0.113.7"


def _fail(times: int, *, username: str = "sanne", address: str = ADDRESS) -> None:
    for _ in range(times):
        record_login_failure(username, address, now=START)


def _login(
    password: str = PASSWORD, *, username: str = "sanne", address: str = ADDRESS
) -> int:
    response = Client(REMOTE_ADDR=address).post(
        "/login/", {"username": username, "password": password}
    )
    return response.status_code


def test_a_wrong_password_is_counted_as_a_failure() -> None:
    make_user("sanne", password=PASSWORD)
    with time_machine.travel(START, tick=False):
        assert _login("wrong") == 200
    failure = LoginFailure.objects.get()
    assert failure.username == "sanne"
    assert failure.address_hash == address_hash(ADDRESS)
    assert ADDRESS not in failure.address_hash


def test_the_right_password_logs_in_below_the_limit() -> None:
    make_user("sanne", password=PASSWORD)
    _fail(MAX_FAILURES - 1)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert _login() == 302


def test_after_100_failures_the_account_is_paused_even_with_the_right_password() -> (
    None
):
    make_user("sanne", password=PASSWORD)
    _fail(MAX_FAILURES, address="198.51.100.1")
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        response = Client(REMOTE_ADDR=ADDRESS).post(
            "/login/", {"username": "Sanne", "password": PASSWORD}
        )
    assert response.status_code == 429
    assert response["Retry-After"] == str(50 * 60)
    text = response.content.decode()
    assert "This account had 100 failed logins in the past hour" in text
    assert "Try again in 50 minutes." in text
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_throttled_login_does_not_check_the_password() -> None:
    """A throttled attempt is not counted either: nothing was tried."""
    user = make_user("sanne", password=PASSWORD)
    _fail(MAX_FAILURES)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert _login("wrong") == 429
    assert LoginFailure.objects.count() == MAX_FAILURES
    user.refresh_from_db()
    assert check_password(PASSWORD, user.password)


def test_after_100_failures_from_one_address_every_account_is_paused_there() -> None:
    make_user("sanne", password=PASSWORD)
    for number in range(MAX_FAILURES):
        record_login_failure(f"guess{number}", ADDRESS, now=START)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        response = Client(REMOTE_ADDR=ADDRESS).post(
            "/login/", {"username": "sanne", "password": PASSWORD}
        )
        assert response.status_code == 429
        assert "Your address had 100 failed logins" in response.content.decode()
        assert _login(address="198.51.100.1") == 302


def test_the_pause_ends_when_the_oldest_failure_is_an_hour_old() -> None:
    make_user("sanne", password=PASSWORD)
    _fail(MAX_FAILURES)
    with time_machine.travel(START + timedelta(minutes=59), tick=False):
        assert _login() == 429
    with time_machine.travel(START + timedelta(hours=1, seconds=1), tick=False):
        assert _login() == 302


def test_old_failures_are_pruned_when_a_new_one_is_recorded() -> None:
    _fail(3)
    record_login_failure("sanne", ADDRESS, now=START + timedelta(hours=2))
    assert LoginFailure.objects.count() == 1


def test_the_admin_login_is_throttled_too() -> None:
    make_user("beheer", role=Role.ADMIN, password=PASSWORD)
    _fail(MAX_FAILURES, username="beheer")
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        response = Client(REMOTE_ADDR=ADDRESS).post(
            "/admin/login/",
            {"username": "beheer", "password": PASSWORD, "next": "/admin/"},
        )
    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session
    assert LoginFailure.objects.count() == MAX_FAILURES
