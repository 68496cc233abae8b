"""The 400, 403, 404 and 500 pages: styled, in the user's language, with a way on.

This module is also the URLconf of the 500 tests (``ROOT_URLCONF`` points
here): the app's own routes and handlers, plus a view that fails.
"""

from __future__ import annotations

import logging

import pytest
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, path, resolve, reverse

from leadqual.config import error_pages
from leadqual.config import urls as app_urls
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MISSING_LEAD = "/leads/999999/"


def _fail(request: HttpRequest) -> HttpResponse:
    raise DatabaseError("the database went away")


urlpatterns: list[URLPattern | URLResolver] = [
    path("fail/", _fail, name="fail"),
    *app_urls.urlpatterns,
]
handler400 = app_urls.handler400
handler403 = app_urls.handler403
handler404 = app_urls.handler404
handler500 = app_urls.handler500

failing_urls = pytest.mark.urls(__name__)


def _client(role: Role | None = Role.SALES, *, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    if role is not None:
        client.force_login(make_user(f"user-{role.value}", role=role))
    return client


# --- 404 -----------------------------------------------------------------------------


def test_a_missing_lead_is_a_page_with_the_menu_and_the_way_to_the_queue() -> None:
    response = _client().get(MISSING_LEAD)

    assert response.status_code == 404
    assert response.templates[0].name == "error.html"
    html = response.content.decode()
    assert 'id="nav-queue"' in html
    assert "<h1>Page not found</h1>" in html
    assert "the lead was merged, erased or belongs to another salesperson" in html
    assert f'href="{reverse("triage:queue")}" id="way-on">Go to your queue</a>' in html


def test_a_missing_page_is_dutch_for_a_dutch_user() -> None:
    response = _client(Role.MARKETING, language="nl").get("/nergens/")

    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "<h1>Pagina niet gevonden</h1>" in html
    assert "Fout 404" in html
    assert "de lead is samengevoegd, gewist of hoort bij een andere verkoper" in html
    assert f'href="{reverse("leads:lead-list")}" id="way-on">Naar de leads</a>' in html


def test_a_missing_page_sends_a_visitor_to_the_login() -> None:
    response = _client(None).get("/nowhere/")

    assert response.status_code == 404
    assert f'href="{reverse("login")}" id="way-on">Log in</a>' in (
        response.content.decode()
    )


def test_the_404_page_keeps_the_strict_content_security_policy() -> None:
    response = _client().get(MISSING_LEAD)

    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_json_client_gets_a_404_in_the_api_error_shape() -> None:
    response = _client(None).get("/api/v1/no-such-operation")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "There is nothing at this address.",
            "fields": {},
        }
    }


# --- 403 -----------------------------------------------------------------------------


def test_a_page_outside_the_role_is_a_403_page_naming_the_role() -> None:
    response = _client().get(reverse("imports:upload"))

    assert response.status_code == 403
    html = response.content.decode()
    assert 'id="nav-queue"' in html
    assert "<h1>You may not open this page</h1>" in html
    assert "Your role (Sales) does not include this page." in html
    assert 'id="way-on">Go to your queue</a>' in html


def test_the_403_page_is_dutch_for_a_dutch_user() -> None:
    response = _client(language="nl").get(reverse("imports:upload"))

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Je mag deze pagina niet openen</h1>" in html
    assert "Je rol (Sales) geeft geen toegang tot deze pagina." in html
    assert 'id="way-on">Naar je wachtrij</a>' in html


def test_an_expired_form_is_a_403_page_that_says_to_reload() -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user("sanne", role=Role.SALES))

    response = client.post(reverse("triage:queue-close"), {"reason": "stale"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>This form has expired</h1>" in html
    assert "Go back, reload the page and send it again." in html
    assert 'id="nav-queue"' in html


def test_a_json_client_gets_a_403_in_the_api_error_shape() -> None:
    response = _client().get(reverse("imports:upload"), HTTP_ACCEPT="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# --- 400 -----------------------------------------------------------------------------


def test_too_many_form_fields_is_a_400_page_that_the_framed_form_may_show() -> None:
    """A bad request to the intake form is shown inside the customer's iframe."""
    fields = {f"field{number}": "x" for number in range(1_100)}

    response = _client(None).post(reverse("intake:form"), fields)

    assert response.status_code == 400
    assert "<h1>This request could not be handled</h1>" in response.content.decode()
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]


# --- 500 -----------------------------------------------------------------------------


@failing_urls
def test_a_failure_is_a_500_page_rendered_without_the_database() -> None:
    client = _client()

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/fail/")

    assert response.status_code == 500
    assert response.templates[0].name == "500.html"
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert 'id="way-on">Go to the start page</a>' in html
    assert "/static/leadqual/app.css" in html
    # No session, no user, no menu badge: the page asked the database nothing.
    assert [query["sql"] for query in queries.captured_queries] == []


@failing_urls
def test_the_500_page_is_dutch_for_a_dutch_visitor() -> None:
    response = _client(None, language="nl").get("/fail/")

    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "<h1>Er ging iets mis</h1>" in html
    assert 'id="way-on">Naar de startpagina</a>' in html


@failing_urls
def test_a_json_client_gets_a_500_in_the_api_error_shape() -> None:
    response = _client(None).get("/fail/", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_the_500_page_of_the_framed_form_may_be_framed() -> None:
    request = RequestFactory().get(reverse("intake:form"))
    request.resolver_match = resolve(reverse("intake:form"))

    response = error_pages.server_error(request)

    assert response.status_code == 500
    assert response.xframe_options_exempt is True


# --- the log ---------------------------------------------------------------------------


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


def test_a_404_is_one_log_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = _client()

    with caplog.at_level(logging.WARNING):
        client.get(MISSING_LEAD)

    (record,) = _request_records(caplog)
    assert record.getMessage() == f"Not Found: {MISSING_LEAD}"
    assert record.exc_info is None


def test_a_403_is_one_log_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = _client()

    with caplog.at_level(logging.WARNING):
        client.get(reverse("imports:upload"))

    (record,) = _request_records(caplog)
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@failing_urls
def test_a_500_logs_its_traceback_once(caplog: pytest.LogCaptureFixture) -> None:
    client = _client()

    with caplog.at_level(logging.WARNING):
        client.get("/fail/")

    (record,) = _request_records(caplog)
    assert record.levelname == "ERROR"
    assert record.getMessage() == "Internal Server Error: /fail/"
    assert record.exc_info is not None
    assert caplog.text.count("Traceback") == 1
    assert "DatabaseError: the database went away" in caplog.text


def test_django_records_reach_the_console_once() -> None:
    """Django's own DEBUG console handler would print every request error twice."""
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate
