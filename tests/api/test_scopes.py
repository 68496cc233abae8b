"""API token scopes: each operation needs one; without it the answer is a 403."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from leadqual.accounts.models import ApiToken
from leadqual.accounts.scopes import DEFAULT_SCOPES, Scope
from leadqual.accounts.services import create_token
from leadqual.api import api
from leadqual.api.auth import BearerToken
from tests.api.helpers import EVENTS, LEADS, body_of, post_json
from tests.factories import ApiTokenFactory, LeadFactory

pytestmark = pytest.mark.django_db

SECRET = "lq_scope-test-token-abcdefghijklmnop"

# (method, path with {lead_id}, body, scope): every operation of the API.
OPERATIONS: list[tuple[str, str, object, Scope]] = [
    ("GET", LEADS, None, Scope.READ),
    ("GET", LEADS + "/{lead_id}", None, Scope.READ),
    ("POST", LEADS, {"email": "kees@bakker-ict.nl"}, Scope.WRITE_LEADS),
    (
        "POST",
        LEADS + "/{lead_id}/feedback",
        {"decision": "accepted"},
        Scope.WRITE_LEADS,
    ),
    ("POST", EVENTS, {"events": []}, Scope.WRITE_EVENTS),
]


def _client(*scopes: Scope) -> Client:
    ApiTokenFactory.create(secret=SECRET, scopes=[scope.value for scope in scopes])
    return Client(HTTP_AUTHORIZATION=f"Bearer {SECRET}")


def _call(
    client: Client, method: str, path: str, body: object
) -> tuple[int, dict[str, Any]]:
    lead = LeadFactory.create()
    url = path.format(lead_id=lead.pk)
    response = client.get(url) if method == "GET" else post_json(client, url, body)
    return response.status_code, body_of(response)


@pytest.mark.parametrize(("method", "path", "body", "scope"), OPERATIONS)
def test_a_token_without_the_operations_scope_gets_403_naming_it(
    method: str, path: str, body: object, scope: Scope
) -> None:
    others = [other for other in Scope if other not in (scope, Scope.ADMIN)]
    status, answer = _call(_client(*others), method, path, body)
    assert status == 403
    error = answer["error"]
    assert error["code"] == "missing_scope"
    assert f'lacks the scope "{scope.value}"' in error["message"]
    assert f"--scope {scope.value}" in error["message"]
    assert error["fields"] == {}


@pytest.mark.parametrize(("method", "path", "body", "scope"), OPERATIONS)
def test_a_token_with_the_operations_scope_gets_through(
    method: str, path: str, body: object, scope: Scope
) -> None:
    status, _answer = _call(_client(scope), method, path, body)
    assert status in (200, 201)


@pytest.mark.parametrize(("method", "path", "body", "scope"), OPERATIONS)
def test_the_admin_scope_includes_every_other(
    method: str, path: str, body: object, scope: Scope
) -> None:
    status, _answer = _call(_client(Scope.ADMIN), method, path, body)
    assert status in (200, 201)


def test_the_scope_is_checked_before_the_body() -> None:
    """A token that may not write learns nothing from validation errors."""
    response = post_json(_client(Scope.READ), LEADS, {"email": 42, "extra": True})
    assert response.status_code == 403
    assert body_of(response)["error"]["code"] == "missing_scope"


def test_a_token_without_scopes_is_refused_everywhere() -> None:
    client = _client()
    for method, path, body, _scope in OPERATIONS:
        status, answer = _call(client, method, path, body)
        assert status == 403
        assert "(the token has: none)" in answer["error"]["message"]


def test_every_operation_declares_its_scope() -> None:
    declared = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                (auth,) = operation.auth_callbacks
                assert isinstance(auth, BearerToken)
                declared[operation.operation_id] = auth.scope
    assert declared == {
        "list_leads": Scope.READ,
        "get_lead": Scope.READ,
        "create_or_update_lead": Scope.WRITE_LEADS,
        "give_feedback": Scope.WRITE_LEADS,
        "post_events": Scope.WRITE_EVENTS,
    }


def test_an_operation_that_declares_no_scope_needs_admin() -> None:
    assert isinstance(api.auth, list | tuple)
    (default,) = api.auth
    assert isinstance(default, BearerToken)
    assert default.scope is Scope.ADMIN


def test_the_schema_documents_the_403() -> None:
    schema = api.get_openapi_schema()
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            assert 403 in operation["responses"], operation["operationId"]


def test_a_new_token_gets_the_default_scopes() -> None:
    issued = create_token("website")
    assert issued.token.scopes == ["read", "write_events", "write_leads"]
    assert list(DEFAULT_SCOPES) == [Scope.READ, Scope.WRITE_EVENTS, Scope.WRITE_LEADS]


def _create_token(*args: str) -> str:
    err = StringIO()
    call_command("create_token", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_create_token_stores_the_scopes_given() -> None:
    said = _create_token("tracker", "--scope", "write_events", "--scope", "READ")
    assert ApiToken.objects.get(name="tracker").scopes == ["read", "write_events"]
    assert "with the scopes read, write_events" in said


def test_create_token_without_scope_grants_the_defaults() -> None:
    said = _create_token("crm")
    assert ApiToken.objects.get(name="crm").scopes == [
        "read",
        "write_events",
        "write_leads",
    ]
    assert "with the scopes read, write_events, write_leads" in said


def test_create_token_refuses_an_unknown_scope() -> None:
    with pytest.raises(CommandError) as raised:
        _create_token("crm", "--scope", "delete")
    message = str(raised.value)
    assert '"delete" is not an API token scope' in message
    assert "read, write_events, write_leads, admin" in message
    assert not ApiToken.objects.exists()


def test_create_token_help_names_the_default_scopes() -> None:
    from leadqual.accounts.management.commands.create_token import Command

    help_text = Command().create_parser("leadqual", "create-token").format_help()
    assert "Default: read, write_events, write_leads" in " ".join(help_text.split())
