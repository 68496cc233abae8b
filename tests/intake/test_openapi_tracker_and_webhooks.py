"""Schemathesis fuzzes the tracking endpoints and the mail webhooks on a live server.

They are plain Django views, so their OpenAPI description is a file of its
own (docs/openapi/tracker-and-webhooks.yaml). Every generated request, valid
or not, goes over real HTTP to Django's live server and must get an answer
that is not a 5xx, has a documented status code and content type, and whose
body matches the documented schema. Bodies are signed with the secrets set
here half of the time, so that generated data also reaches the parsers
behind the signature checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadqual.intake.models import FormAttempt, TrackedSite
from tests.factories import LeadFactory

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

SCHEMA_FILE = (
    Path(__file__).resolve().parents[2]
    / "docs"
    / "openapi"
    / "tracker-and-webhooks.yaml"
)
schema = schemathesis.openapi.from_path(SCHEMA_FILE)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ORIGIN = "https://www.bakker-software.nl"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
KNOWN_EMAIL = "jan@bakker-software.nl"
SECRETS = {
    "WEBHOOK_MAILCHIMP_KEY": "mailchimp-key-0123456789",
    "WEBHOOK_MANDRILL_KEY": "mandrill-key-0123456789",
    "WEBHOOK_BREVO_TOKEN": "brevo-token-0123456789",
    "WEBHOOK_MAUTIC_SECRET": "mautic-secret-0123456789",
    "WEBHOOK_GENERIC_SECRET": "generic-secret-0123456789",
}


@pytest.fixture
def server(
    live_server: LiveServer, settings: Settings, transactional_db: None
) -> LiveServer:
    """The live server with every webhook enabled and a tracked site."""
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    # Fuzzing is many requests from one address: let them reach the parsers.
    settings.TRACKER_ADDRESS_RATE_LIMIT = 100_000
    settings.TRACKER_SITE_RATE_LIMIT = 100_000
    return live_server


@pytest.fixture
def tracked_site(transactional_db: None) -> TrackedSite:
    site, _created = TrackedSite.objects.get_or_create(
        origin=ORIGIN, defaults={"name": "Bakker Software"}
    )
    LeadFactory.create(email=KNOWN_EMAIL)
    return site


def _sign(case: OpenApiCase, body: bytes) -> dict[str, str]:
    """The headers that make the body signed, for the operations that check it."""
    now = str(int(time.time()))
    match case.path:
        case "/webhooks/generic/":
            secret = SECRETS["WEBHOOK_GENERIC_SECRET"].encode()
            signed = now.encode() + b"." + body
            hexdigest = hmac.new(secret, signed, hashlib.sha256).hexdigest()
            return {
                "X-Leadqual-Timestamp": now,
                "X-Leadqual-Signature": f"sha256={hexdigest}",
            }
        case "/webhooks/mautic/":
            secret = SECRETS["WEBHOOK_MAUTIC_SECRET"].encode()
            digest = hmac.new(secret, body, hashlib.sha256).digest()
            return {"Webhook-Signature": base64.b64encode(digest).decode()}
        case "/webhooks/brevo/":
            return {"Authorization": f"Bearer {SECRETS['WEBHOOK_BREVO_TOKEN']}"}
    return {}


def _signed_identify(data: Any, site: TrackedSite) -> Any:
    """The identify body with a valid token for its visitor id and email."""
    if not isinstance(data, dict):
        return data
    visitor_id, email = data.get("visitor_id"), data.get("email")
    if not isinstance(visitor_id, str) or not isinstance(email, str):
        return data
    if len(email) % 2 == 0:
        email = KNOWN_EMAIL  # Half of them name a lead, and stitch.
    expires = int(time.time()) + 600
    # "surrogatepass": a generated lone surrogate is for the server to refuse.
    message = f"{visitor_id}|{email}|{expires}".encode("utf-8", "surrogatepass")
    digest = hmac.new(site.identify_secret.encode(), message, hashlib.sha256)
    return data | {"email": email, "token": f"{expires}.{digest.hexdigest()}"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_answer_is_documented_and_never_a_server_error(
    case: OpenApiCase, server: LiveServer, tracked_site: TrackedSite
) -> None:
    signed = len(repr(case.body)) % 2 == 0
    # Identify allows 20 calls per address per hour; every request here comes
    # from 127.0.0.1. Forget the count, so generated data reaches the parser.
    FormAttempt.objects.all().delete()
    if case.path == "/webhooks/mailchimp/{key}/" and signed:
        case.path_parameters = {"key": SECRETS["WEBHOOK_MAILCHIMP_KEY"]}
    if case.path == "/t/identify" and case.method == "POST" and signed:
        case.body = _signed_identify(case.body, tracked_site)
    headers = {"Origin": ORIGIN, "User-Agent": BROWSER}
    kwargs = case.as_transport_kwargs(base_url=server.url, headers=headers)
    if "json" in kwargs:
        # Sign exactly the bytes that are sent.
        body = json.dumps(kwargs.pop("json")).encode()
        kwargs["data"] = body
        kwargs["headers"]["Content-Type"] = case.media_type or "application/json"
        if signed:
            kwargs["headers"].update(_sign(case, body))
    response = requests.request(**kwargs, timeout=30)
    case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
