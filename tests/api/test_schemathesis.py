"""Schemathesis fuzzes every operation of the served OpenAPI schema.

The schema is fetched from the running app (``/api/v1/openapi.json`` through
the WSGI application), so what is tested is what clients read. Every generated
request, valid or not, must get an answer that is not a 5xx, has a documented
status code and content type, and whose body matches the documented schema.

All four phases run (examples, coverage, fuzzing; positive and negative data):
an invalid request must be a documented 4xx in the error shape. The checks are
named so that a check added to Schemathesis later does not change the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadqual.config.wsgi import application
from leadqual.leads.models import Lead
from leadqual.users.scopes import Scope
from tests.factories import ApiTokenFactory, LeadFactory

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """Stop Django closing the database connection at the end of each request.

    The test runs inside one transaction; Django's own test client disconnects
    the same handler around each request, for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db: None) -> str:
    """The bearer secret of a token with every scope: no operation is a 403."""
    secret = "lq_schemathesis-0123456789abcdefghijklmnop"
    ApiTokenFactory.create(secret=secret, scopes=[scope.value for scope in Scope])
    return secret


@pytest.fixture
def known_lead(db: None) -> Lead:
    """A stored lead, so that some generated requests find it."""
    return LeadFactory.create()


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    # The examples of one operation share the test's transaction (and so the
    # token and the known lead); what they write stays until the test ends.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_answer_is_documented_and_never_a_server_error(
    case: OpenApiCase,
    admin_token: str,
    known_lead: Lead,
    wsgi_keeps_the_test_connection: None,
) -> None:
    lead_id = (case.path_parameters or {}).get("lead_id")
    if isinstance(lead_id, int) and lead_id % 2 == 0:
        # Random ids almost never exist; half of them point at a real lead.
        case.path_parameters = {
            **(case.path_parameters or {}),
            "lead_id": known_lead.pk,
        }
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS
    )
