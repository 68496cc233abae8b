"""At most FORM_RATE_LIMIT form submissions per client address per hour."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings

from leadqual.intake.models import FormAttempt
from leadqual.intake.ratelimit import check_rate_limit, record_attempt
from leadqual.leads.models import Lead
from tests.intake.test_form import FORM_URL, answers

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ADDRESS = "203.0.113.7"


def send(client: Client, number: int, *, address: str = ADDRESS) -> int:
    """Send a valid form for lead ``number``; returns the status code."""
    response = client.post(
        FORM_URL, answers(email=f"lead{number}@bakker-ict.nl"), REMOTE_ADDR=address
    )
    return response.status_code


def test_the_sixth_submission_in_an_hour_is_refused_until_the_hour_has_passed() -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False) as traveller:
        assert [send(client, number) for number in range(5)] == [302] * 5
        traveller.shift(timedelta(minutes=59))

        refused = client.post(
            FORM_URL, answers(email="lead6@bakker-ict.nl"), REMOTE_ADDR=ADDRESS
        )

        assert refused.status_code == 429
        assert "You have sent this form 5 times in the past hour" in (
            refused.content.decode()
        )
        assert refused["Retry-After"] == "60"
        assert Lead.objects.count() == 5

        traveller.shift(timedelta(minutes=1))
        assert send(client, 6) == 302
        assert Lead.objects.count() == 6


def test_a_refused_visitor_keeps_the_answers_typed() -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        for number in range(5):
            send(client, number)

        refused = client.post(
            FORM_URL,
            answers(company="Bakker ICT", email="lead6@bakker-ict.nl"),
            REMOTE_ADDR=ADDRESS,
        )

    html = refused.content.decode()
    assert 'value="Bakker ICT"' in html
    assert 'role="alert"' in html


def test_with_htmx_a_refused_visitor_gets_the_form_with_status_429() -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        for number in range(5):
            send(client, number)

        refused = client.post(
            FORM_URL, answers(), REMOTE_ADDR=ADDRESS, HTTP_HX_REQUEST="true"
        )

    assert refused.status_code == 429
    assert refused.content.decode().lstrip().startswith('<form id="lead-form"')


def test_each_address_has_its_own_limit() -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        for number in range(5):
            send(client, number)

        assert send(client, 6, address="198.51.100.20") == 302


def test_the_limit_comes_from_the_settings(settings: Settings) -> None:
    settings.FORM_RATE_LIMIT = 2
    client = Client()
    with time_machine.travel(NOW, tick=False):
        assert [send(client, number) for number in range(3)] == [302, 302, 429]


def test_honeypot_submissions_count_towards_the_limit() -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        for _number in range(5):
            client.post(FORM_URL, answers(website="spam"), REMOTE_ADDR=ADDRESS)

        assert send(client, 6) == 429


def test_answers_that_need_fixing_do_not_count_towards_the_limit() -> None:
    """A person who needs several tries to fill the form in is not locked out."""
    client = Client()
    with time_machine.travel(NOW, tick=False):
        for _number in range(6):
            client.post(FORM_URL, answers(budget=""), REMOTE_ADDR=ADDRESS)

        assert send(client, 1) == 302


def test_the_address_is_stored_only_as_a_salted_hash() -> None:
    Client().post(FORM_URL, answers(), REMOTE_ADDR=ADDRESS)

    stored = FormAttempt.objects.get().address_hash
    assert ADDRESS not in stored
    assert stored != hashlib.sha256(ADDRESS.encode()).hexdigest()
    assert len(stored) == 64


def test_attempts_older_than_an_hour_are_deleted_as_new_ones_arrive() -> None:
    record_attempt(ADDRESS, now=NOW)
    record_attempt("198.51.100.20", now=NOW + timedelta(minutes=30))

    record_attempt(ADDRESS, now=NOW + timedelta(minutes=61))

    remaining = FormAttempt.objects.order_by("attempted_at")
    assert list(remaining.values_list("attempted_at", flat=True)) == [
        NOW + timedelta(minutes=30),
        NOW + timedelta(minutes=61),
    ]


def test_the_wait_is_until_the_oldest_counted_attempt_leaves_the_hour() -> None:
    for minutes in (0, 10, 20):
        record_attempt(ADDRESS, now=NOW + timedelta(minutes=minutes))

    check = check_rate_limit(ADDRESS, limit=2, now=NOW + timedelta(minutes=30))

    assert not check.allowed
    assert check.attempts == 3
    # Two attempts must leave the window before a third fits: the one at :10.
    assert check.retry_after_seconds == 40 * 60
