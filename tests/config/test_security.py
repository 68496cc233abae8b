"""Security headers, the Content-Security-Policy, and 413 for too-large requests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from pytest_django.fixtures import Settings

from leadqual.config.security import PERMISSIONS_POLICY, parse_frame_ancestors
from leadqual.leads.models import Lead
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[2] / "src" / "leadqual"
STRICT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'"
)
# What CSP without 'unsafe-inline' blocks in a template: an inline <script>
# (one without src=), an event handler attribute, a style attribute or
# element, htmx's hx-on (run through eval) and javascript: links.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
    r"|\son[a-z]+\s*="
    r"|\sstyle\s*="
    r"|<style"
    r"|\shx-on"
    r"|javascript:",
    re.IGNORECASE,
)
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}")


def test_pages_get_the_strict_policy_and_may_not_be_framed(client: Client) -> None:
    response = client.get("/login/")
    assert response["Content-Security-Policy"] == STRICT_POLICY
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/form/", "/form/thanks/"])
def test_the_form_pages_may_be_framed_by_any_site_by_default(
    client: Client, path: str
) -> None:
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *;" in policy
    assert "script-src 'self';" in policy
    assert "X-Frame-Options" not in response


def test_the_form_may_be_framed_only_by_the_configured_sites(
    client: Client, settings: Settings
) -> None:
    settings.FORM_FRAME_ANCESTORS = ("https://www.example.nl", "https://example.nl")
    response = client.get("/form/")
    assert (
        "frame-ancestors https://www.example.nl https://example.nl;"
        in response["Content-Security-Policy"]
    )
    assert "frame-ancestors 'none'" in client.get("/login/")["Content-Security-Policy"]


def test_every_response_gets_the_always_on_headers(client: Client) -> None:
    for response in (client.get("/login/"), client.get("/api/v1/openapi.json")):
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_json_answers_carry_no_content_security_policy(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_the_session_cookie_is_http_only(client: Client) -> None:
    make_user("sanne", role=Role.SALES, password="correct horse battery")
    response = client.post(
        "/login/", {"username": "sanne", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"] is True


def test_templates_hold_no_code_the_policy_would_block() -> None:
    """Scripts and styles are files; email templates are no web pages."""
    offenders = []
    for template in sorted(SOURCE.glob("**/templates/**/*.html")):
        if "email" in template.parts:
            continue
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            if INLINE_CODE.search(TEMPLATE_COMMENT.sub("", line)):
                offenders.append(f"{template.relative_to(SOURCE)}:{number}: {line}")
    assert offenders == []


def test_htmx_is_configured_to_need_no_eval_and_no_inline_style(
    client: Client,
) -> None:
    page = client.get("/login/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert config is not None
    settings = json.loads(config.group(1))
    assert settings["includeIndicatorStyles"] is False
    assert settings["allowEval"] is False
    assert "style" not in settings["attributesToSettle"]


@pytest.mark.parametrize(
    "values",
    [
        ["*"],
        ["'self'"],
        ["https://www.example.nl", "https://*.example.nl:8443", "example.nl"],
    ],
)
def test_frame_ancestors_accept_sites(values: list[str]) -> None:
    assert parse_frame_ancestors(values) == tuple(values)


@pytest.mark.parametrize(
    "value",
    ["'unsafe-inline'", "https://a.nl; script-src *", "https://a.nl/form", ""],
)
def test_frame_ancestors_refuse_what_is_not_a_site(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="LEADQUAL_FORM_FRAME_ANCESTORS"):
        parse_frame_ancestors([value] if value else [])


# --- request bodies over the limit -------------------------------------------------

LIMIT_BYTES = 2048


@pytest.fixture
def small_limit(settings: Settings) -> int:
    """Requests may carry at most 2 KiB, so a test needs no megabytes."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT_BYTES
    return LIMIT_BYTES


def _answers(**extra: str) -> dict[str, str]:
    return {
        "first_name": "Eva",
        "last_name": "de Boer",
        "email": "eva@logistiek-partners.nl",
        "company": "Logistiek Partners B.V.",
        "sector": "logistics",
        "employees": "10-49",
        "budget": "10000-25000",
        "urgency": "within_3_months",
        "consent": "on",
        **extra,
    }


def test_an_oversized_form_post_gets_a_413_page_and_stores_nothing(
    client: Client, small_limit: int
) -> None:
    response = client.post("/form/", _answers(company="B" * (2 * small_limit)))

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "larger than the 2.0\xa0KB this server accepts" in response.content.decode()
    # Shown inside the iframe on the business's site, like the form itself.
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *;" in response["Content-Security-Policy"]
    assert Lead.objects.count() == 0


def test_an_oversized_form_post_is_a_413_also_with_debug_on(
    client: Client, small_limit: int, settings: Settings
) -> None:
    settings.DEBUG = True
    response = client.post("/form/", _answers(company="B" * (2 * small_limit)))
    assert response.status_code == 413
    assert "this server accepts" in response.content.decode()


def test_a_body_too_large_for_the_csrf_check_gets_a_413_not_a_400(
    small_limit: int,
) -> None:
    """CSRF checking reads the body before the view: Django's 400 handler answers."""
    user = make_user("ada", role=Role.ADMIN)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    # With a CSRF cookie, the check goes on to read the token from the body.
    client.cookies["csrftoken"] = "a" * 32
    response = client.post("/leads/1/bant/", {"note": "x" * (2 * small_limit)})
    assert response.status_code == 413
    assert "this server accepts" in response.content.decode()


def test_a_json_client_gets_the_413_in_the_api_error_shape(
    client: Client, small_limit: int
) -> None:
    response = client.post(
        "/login/",
        "username=" + "x" * (2 * small_limit),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert "this server accepts" in error["message"]


def test_an_oversized_api_request_gets_the_api_error_shape(
    api_client: Client, small_limit: int
) -> None:
    body = json.dumps({"events": [{"note": "x" * (2 * small_limit)}]})
    response = api_client.post("/api/v1/events", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
