"""API token scopes: each operation needs one; without it the answer is a 403."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from leadqual.api import api
from leadqual.api.auth import BearerToken
from leadqual.leads.models import Lead
from leadqual.users.models import ApiToken
from leadqual.users.roles import Role
from leadqual.users.scopes import DEFAULT_SCOPES, Scope
from leadqual.users.services import create_token
from tests.api.helpers import EVENTS, LEADS, body_of, event, post_json
from tests.factories import ApiTokenFactory, LeadFactory, make_user

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


def test_every_operation_names_the_roles_whose_tokens_may_use_it() -> None:
    """As in the app: imports for marketing and admin, feedback for sales and admin."""
    declared = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                (auth,) = operation.auth_callbacks
                assert isinstance(auth, BearerToken)
                declared[operation.operation_id] = set(auth.roles)
    everyone = set(Role)
    assert declared == {
        "list_leads": everyone,
        "get_lead": everyone,
        "create_or_update_lead": {Role.MARKETING, Role.ADMIN},
        "give_feedback": {Role.SALES, Role.ADMIN},
        "post_events": everyone,
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
    from leadqual.users.management.commands.create_token import Command

    help_text = Command().create_parser("leadqual", "create-token").format_help()
    assert "Default: read, write_events, write_leads" in " ".join(help_text.split())


# --- a token acts with at most its user's rights ----------------------------------


@pytest.fixture
def team() -> tuple[User, User]:
    """Sanne, the seller whose token is under test, and Piet, another seller."""
    return make_user("sanne", role=Role.SALES), make_user("piet", role=Role.SALES)


def _token_of(user: User, *scopes: Scope) -> Client:
    granted = scopes or DEFAULT_SCOPES
    ApiTokenFactory.create(
        secret=SECRET, user=user, scopes=[scope.value for scope in granted]
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {SECRET}")


def test_a_sellers_token_lists_only_the_leads_the_seller_sees_in_the_app(
    team: tuple[User, User],
) -> None:
    sanne, piet = team
    own = LeadFactory.create(owner=sanne)
    unassigned = LeadFactory.create(owner=None)
    LeadFactory.create(owner=piet)

    answer = body_of(_token_of(sanne).get(LEADS, {"limit": 500}))

    assert {item["id"] for item in answer["items"]} == {own.pk, unassigned.pk}
    assert answer["count"] == 2


def test_another_sellers_lead_is_a_404_as_if_it_did_not_exist(
    team: tuple[User, User],
) -> None:
    sanne, piet = team
    client = _token_of(sanne)
    hidden = LeadFactory.create(owner=piet)

    seen = client.get(f"{LEADS}/{hidden.pk}")
    missing = client.get(f"{LEADS}/{hidden.pk + 1000}")

    assert (seen.status_code, missing.status_code) == (404, 404)
    assert body_of(seen)["error"]["code"] == body_of(missing)["error"]["code"]
    feedback = post_json(
        client, f"{LEADS}/{hidden.pk}/feedback", {"decision": "accepted"}
    )
    assert feedback.status_code == 404
    hidden.refresh_from_db()
    assert hidden.status == "new"


def test_with_sales_see_all_leads_a_sellers_token_sees_every_lead(
    team: tuple[User, User],
) -> None:
    """The app's rule, reused: LEADQUAL_SALES_SEE_ALL_LEADS opens the API too."""
    sanne, piet = team
    other = LeadFactory.create(owner=piet)
    with override_settings(SALES_SEE_ALL_LEADS=True):
        response = _token_of(sanne).get(f"{LEADS}/{other.pk}")
    assert response.status_code == 200


def test_events_for_a_lead_the_seller_may_not_see_are_refused_as_for_no_lead(
    team: tuple[User, User],
) -> None:
    sanne, piet = team
    own = LeadFactory.create(owner=sanne)
    hidden = LeadFactory.create(owner=piet)
    batch = [
        event(own.email),
        event(hidden.email, "demo_request"),
        event("nobody@example.nl", "demo_request"),
    ]

    answer = body_of(post_json(_token_of(sanne), EVENTS, {"events": batch}))

    assert answer["accepted"] == 1, answer
    hidden_error, missing_error = (bad["error"] for bad in answer["rejected"])
    assert hidden_error.replace(hidden.email, "X").replace("Event 1", "Event N") == (
        missing_error.replace("nobody@example.nl", "X").replace("Event 2", "Event N")
    )
    assert not hidden.events.exists()
    assert [lead["id"] for lead in answer["leads"]] == [own.pk]


def test_a_sellers_token_may_not_create_or_update_leads() -> None:
    """Sellers do not import leads in the app; their tokens do not either."""
    response = post_json(
        _token_of(make_user("sanne", role=Role.SALES)),
        LEADS,
        {"email": "kees@bakker-ict.nl"},
    )
    assert response.status_code == 403
    error = body_of(response)["error"]
    assert error["code"] == "role_not_allowed"
    assert "the role sales" in error["message"]
    assert "allowed for: marketing, admin" in error["message"]
    assert not Lead.objects.exists()


def test_a_marketing_token_may_not_give_feedback() -> None:
    lead = LeadFactory.create()
    response = post_json(
        _token_of(make_user("mila", role=Role.MARKETING)),
        f"{LEADS}/{lead.pk}/feedback",
        {"decision": "accepted"},
    )
    assert response.status_code == 403
    assert body_of(response)["error"]["code"] == "role_not_allowed"


def test_an_admin_scope_on_a_sellers_token_gives_no_more_than_the_seller_has(
    team: tuple[User, User],
) -> None:
    """A token issued before the cap, or edited in the admin site."""
    sanne, piet = team
    client = _token_of(sanne, Scope.ADMIN)
    LeadFactory.create(owner=piet)

    answer = body_of(client.get(LEADS))
    refused = post_json(client, LEADS, {"email": "kees@bakker-ict.nl"})

    assert answer["count"] == 0
    assert refused.status_code == 403


def test_a_token_for_a_seller_cannot_be_issued_with_the_admin_scope() -> None:
    make_user("sanne", role=Role.SALES)
    with pytest.raises(CommandError) as raised:
        _create_token("crm", "--user", "sanne", "--scope", "admin")
    assert str(raised.value) == (
        'The user "sanne" has the role sales, which does not allow the scope admin: '
        "a token acts with at most its user's rights. Leave that scope out, or "
        "issue the token for a user who has it."
    )
    assert not ApiToken.objects.exists()


def test_a_token_for_an_admin_may_have_the_admin_scope() -> None:
    make_user("beheer", role=Role.ADMIN)
    _create_token("ops", "--user", "beheer", "--scope", "admin")
    assert ApiToken.objects.get(name="ops").scopes == ["admin"]
