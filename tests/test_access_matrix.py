"""Every page and API route gives the wrong role a 403 or 404, never data.

``ROUTES`` says, for every named URL pattern outside the admin site, who may
use it. The tests walk the URL resolver, so a new route fails
``test_every_route_is_classified`` until it is added here: decide who may
use it, then add it to ``ROUTES``. The admin site is checked against Django's
model permissions (``ADMIN_MODEL_ACTIONS``).

Each role requests each route: anonymous visitors must be sent to the login
page, a role that may not use a page gets 403 (404 for a lead it may not
see), and the API answers 401 without a token and 403 ``missing_scope`` to a
token without the operation's scope. A token made for a user answers as
that user would be answered in the app: 403 ``role_not_allowed`` for a role
that may not, 404 for a lead the seller may not see. Lead-specific routes
use a lead owned by another seller, so the seller under test must get 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from leadqual.hygiene.merging import merge_leads
from leadqual.intake.models import ImportJob
from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.modelling.models import ModelStatus, PredictiveModelVersion
from leadqual.scoring.services import default_model_source, store_draft_scoring_model
from leadqual.users.roles import Role
from leadqual.users.scopes import Scope
from tests.factories import ApiTokenFactory, LeadFactory, make_user

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

GET, POST = "GET", "POST"
ALL_ROLES = frozenset(Role)
SALES_AND_ADMIN = frozenset({Role.SALES, Role.ADMIN})
MARKETING_AND_ADMIN = frozenset({Role.MARKETING, Role.ADMIN})
ADMIN_ONLY = frozenset({Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Public:
    """Open to anyone: the form, the tracker, webhooks (their own secrets), login."""

    method: str = GET


@dataclass(frozen=True, slots=True)
class Page:
    """A page for signed-in users in ``roles``; ``lead_specific`` pages are 404
    for a seller who may not see the lead."""

    roles: frozenset[Role]
    method: str = GET
    lead_specific: bool = False


@dataclass(frozen=True, slots=True)
class Api:
    """A JSON API operation: a bearer token with ``scope``. A token made for a
    user also needs the user's role in ``roles``; ``lead_specific`` operations
    are 404 for a seller's token when the seller may not see the lead."""

    scope: Scope
    method: str = GET
    roles: frozenset[Role] = ALL_ROLES
    lead_specific: bool = False


Access = Public | Page | Api

ROUTES: dict[str, Access] = {
    # Public: no personal data comes out of these.
    "login": Public(),
    "logout": Public(POST),
    "set_language": Public(POST),
    "intake:form": Public(),
    "intake:thanks": Public(),
    # The same two pages for an iframe, and the script that sizes that iframe.
    "intake:form-embedded": Public(),
    "intake:thanks-embedded": Public(),
    "intake:embed-script": Public(),
    # The double opt-in link: the page shows what its own token submitted.
    "intake:confirm": Public(),
    "intake:confirmed": Public(),
    "tracker:script": Public(),
    "tracker:collect": Public(POST),
    "tracker:identify": Public(POST),
    "webhooks:mailchimp": Public(POST),
    "webhooks:mailchimp-key": Public(POST),
    "webhooks:mandrill": Public(POST),
    "webhooks:brevo": Public(POST),
    "webhooks:mautic": Public(POST),
    "webhooks:generic": Public(POST),
    "api-v1:openapi-json": Public(),
    "api-v1:openapi-view": Public(),
    "api-v1:api-root": Public(),
    "admin:login": Public(),
    # Pages.
    "home": Page(ALL_ROLES),
    "password-change": Page(ALL_ROLES),
    "triage:queue": Page(ALL_ROLES),
    "triage:next-lead": Page(ALL_ROLES),
    "triage:queue-close": Page(SALES_AND_ADMIN, POST),
    "triage:lead-feedback": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-feedback-rating": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-bant": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-first-contact": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-outcome": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-reopen": Page(SALES_AND_ADMIN, lead_specific=True),
    "triage:lead-reopen-undo": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-note": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-reassign": Page(SALES_AND_ADMIN, POST, lead_specific=True),
    "triage:lead-correct": Page(SALES_AND_ADMIN, lead_specific=True),
    "leads:lead-list": Page(ALL_ROLES),
    "leads:lead-detail": Page(ALL_ROLES, lead_specific=True),
    "leads:data-quality": Page(MARKETING_AND_ADMIN),
    "leads:lead-merge": Page(MARKETING_AND_ADMIN, POST),
    "leads:merge-undo": Page(MARKETING_AND_ADMIN, POST),
    "insights:kpis": Page(MARKETING_AND_ADMIN),
    "insights:team": Page(MARKETING_AND_ADMIN),
    "insights:costs": Page(MARKETING_AND_ADMIN),
    "insights:kpis-export-csv": Page(MARKETING_AND_ADMIN),
    "insights:kpis-export-xlsx": Page(MARKETING_AND_ADMIN),
    "insights:costs-import": Page(MARKETING_AND_ADMIN, POST),
    "scoring_models:version-list": Page(MARKETING_AND_ADMIN),
    "scoring_models:version-detail": Page(MARKETING_AND_ADMIN),
    "scoring_models:version-export": Page(MARKETING_AND_ADMIN),
    "scoring_models:version-import": Page(MARKETING_AND_ADMIN, POST),
    "scoring_models:optimise": Page(MARKETING_AND_ADMIN, POST),
    "scoring_models:version-points": Page(MARKETING_AND_ADMIN, POST),
    "scoring_models:version-thresholds": Page(MARKETING_AND_ADMIN, POST),
    "scoring_models:version-approve": Page(MARKETING_AND_ADMIN, POST),
    "scoring_models:version-reject": Page(MARKETING_AND_ADMIN, POST),
    "modelling:model-list": Page(MARKETING_AND_ADMIN),
    "modelling:model-train": Page(MARKETING_AND_ADMIN, POST),
    "modelling:model-detail": Page(MARKETING_AND_ADMIN),
    "modelling:model-approve": Page(MARKETING_AND_ADMIN, POST),
    "modelling:model-reject": Page(MARKETING_AND_ADMIN, POST),
    "intake:embed-code": Page(ADMIN_ONLY),
    "imports:upload": Page(MARKETING_AND_ADMIN),
    "imports:job": Page(MARKETING_AND_ADMIN),
    "accounts_pages:account-list": Page(ALL_ROLES),
    "accounts_pages:account-detail": Page(ALL_ROLES, lead_specific=True),
    "integrations:endpoint-log": Page(ADMIN_ONLY),
    "integrations:delivery-retry": Page(ADMIN_ONLY, POST),
    "privacy:audit-log": Page(ADMIN_ONLY),
    "privacy:lead-privacy": Page(ADMIN_ONLY),
    "privacy:lead-export": Page(ADMIN_ONLY),
    "privacy:lead-erase": Page(ADMIN_ONLY, POST),
    # The JSON API.
    "api-v1:list_leads": Api(Scope.READ),
    "api-v1:get_lead": Api(Scope.READ, lead_specific=True),
    "api-v1:create_or_update_lead": Api(
        Scope.WRITE_LEADS, POST, roles=MARKETING_AND_ADMIN
    ),
    "api-v1:give_feedback": Api(
        Scope.WRITE_LEADS, POST, roles=SALES_AND_ADMIN, lead_specific=True
    ),
    "api-v1:post_events": Api(Scope.WRITE_EVENTS, POST),
}

# Admin site routes "admin:<app>_<model>_<action>" and the model permissions
# that open them; the others (index, history, ...) need a staff user.
ADMIN_MODEL_ACTIONS: dict[str, tuple[str, ...]] = {
    "changelist": ("view", "change"),
    "add": ("add",),
    "change": ("view", "change"),
    "delete": ("delete",),
}

API_BODIES: dict[str, object] = {
    "api-v1:create_or_update_lead": {"email": "kees@bakker-ict.nl"},
    "api-v1:give_feedback": {"decision": "accepted"},
    "api-v1:post_events": {"events": []},
}


class Visitor(StrEnum):
    ANONYMOUS = "anonymous"
    SALES = "sales"
    MARKETING = "marketing"
    ADMIN = "admin"
    # A valid API token without scopes, sent to pages and API alike.
    TOKEN_WITHOUT_SCOPES = "token"


VISITOR_ROLES = {
    Visitor.SALES: Role.SALES,
    Visitor.MARKETING: Role.MARKETING,
    Visitor.ADMIN: Role.ADMIN,
}


# --- the routes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    name: str  # "namespace:name", or the pattern when it has no name
    pattern: str
    parameters: tuple[str, ...]
    is_named: bool


def _walk(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = (
                    f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                )
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or str(entry.pattern)
            pattern = entry.pattern
            converters = getattr(pattern, "converters", None)
            parameters = (
                tuple(converters)
                if converters
                else tuple(pattern.regex.groupindex)  # admin's app_list
            )
            yield Route(
                name=f"{namespace}:{name}" if namespace else name,
                pattern=prefix + str(pattern),
                parameters=parameters,
                is_named=entry.name is not None,
            )


def all_routes() -> list[Route]:
    return list(_walk(get_resolver()))


# --- the scene --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scene:
    users: dict[Visitor, User]
    values: dict[str, object]  # URL parameter -> value


@pytest.fixture
def scene() -> Scene:
    """Users of every role, and one of each object a route can name.

    The lead belongs to another seller, not to the seller under test.
    """
    users = {
        visitor: make_user(visitor.value, role=role)
        for visitor, role in VISITOR_ROLES.items()
    }
    other_seller = make_user("piet", role=Role.SALES)
    lead = LeadFactory.create(owner=other_seller)
    duplicate = LeadFactory.create(owner=other_seller)
    merge = merge_leads(
        lead, duplicate, by=users[Visitor.ADMIN], now=timezone.now()
    ).merge
    job = ImportJob.objects.create(file_name="crm.csv", file_sha256="0" * 64)
    endpoint = WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.example.nl/hooks"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="lead.created",
        payload={},
        message_id="msg-1",
        lead_id=lead.pk,
        sequence=1,
        status=DeliveryStatus.DELIVERED,
    )
    ApiTokenFactory.create(secret=TOKEN, scopes=[])
    draft = store_draft_scoring_model(default_model_source(), {}, now=timezone.now())
    # A predictive model with the same number, so its pages have one to show.
    PredictiveModelVersion.objects.create(
        version=draft.version, status=ModelStatus.REJECTED
    )
    assert lead.company is not None
    return Scene(
        users=users,
        values={
            "lead_id": lead.pk,
            "company_id": lead.company.pk,
            "merge_id": merge.pk,
            "action_id": 999999,
            "pk": job.pk,
            "endpoint_id": endpoint.pk,
            "delivery_id": delivery.pk,
            "version": draft.version,
            "file_format": "json",
            "key": "not-the-key",
            "token": "not-a-confirmation-token",
            "object_id": "999999",
            "id": 999999,
            "app_label": "leads",
            "content_type_id": 1,
        },
    )


TOKEN = "lq_matrix-test-token-abcdefghijklmnop"


def _client(scene: Scene, visitor: Visitor) -> Client:
    if visitor is Visitor.TOKEN_WITHOUT_SCOPES:
        return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    client = Client()
    if visitor in scene.users:
        client.force_login(scene.users[visitor])
    return client


def _url(route: Route, scene: Scene) -> str:
    return reverse(
        route.name, kwargs={name: scene.values[name] for name in route.parameters}
    )


def _request(
    client: Client, method: str, url: str, body: object = None
) -> TestResponse:
    if method == GET:
        return client.get(url)
    if body is not None:
        return client.post(url, json.dumps(body), content_type="application/json")
    return client.post(url)


def _is_login_redirect(response: TestResponse, login: str = "/login/") -> bool:
    return response.status_code == 302 and response["Location"].startswith(login)


def _is_model(app_label: str, model: str) -> bool:
    try:
        apps.get_model(app_label, model)
    except LookupError:
        return False
    return True


def _route(name: str) -> Route:
    (route,) = [route for route in all_routes() if route.name == name]
    return route


# --- the tests --------------------------------------------------------------------


def test_every_route_is_classified() -> None:
    names = {route.name for route in all_routes()}
    unknown = sorted(
        name for name in names - set(ROUTES) if not name.startswith("admin:")
    )
    assert not unknown, (
        f"These routes are not in ROUTES in tests/test_access_matrix.py: {unknown}. "
        "Add each with who may use it (Public, Page(roles) or Api(scope))."
    )
    stale = sorted(set(ROUTES) - names)
    assert not stale, f"ROUTES lists routes that no longer exist: {stale}. Remove them."


PAGE_CASES = [
    (name, visitor)
    for name, access in ROUTES.items()
    if isinstance(access, Page)
    for visitor in Visitor
]


@pytest.mark.parametrize(("name", "visitor"), PAGE_CASES)
def test_a_page_gives_only_its_roles_data(
    scene: Scene, name: str, visitor: Visitor
) -> None:
    access = ROUTES[name]
    assert isinstance(access, Page)
    route = _route(name)
    response = _request(_client(scene, visitor), access.method, _url(route, scene))
    role = VISITOR_ROLES.get(visitor)
    where = f"{access.method} {route.pattern} as {visitor.value}"
    if role is None:
        assert _is_login_redirect(response), f"{where}: {response.status_code}"
    elif role not in access.roles:
        assert response.status_code == 403, f"{where}: {response.status_code}"
    elif role is Role.SALES and access.lead_specific:
        # The lead belongs to another seller.
        assert response.status_code == 404, f"{where}: {response.status_code}"
    else:
        assert response.status_code not in (401, 403, 404), where
        assert not _is_login_redirect(response), where
        assert response.status_code < 500, where


API_CASES = [
    (name, visitor)
    for name, access in ROUTES.items()
    if isinstance(access, Api)
    for visitor in Visitor
]


@pytest.mark.parametrize(("name", "visitor"), API_CASES)
def test_the_api_needs_a_token_with_the_operations_scope(
    scene: Scene, name: str, visitor: Visitor
) -> None:
    """A session does not open the API; a token without the scope gets 403."""
    access = ROUTES[name]
    assert isinstance(access, Api)
    route = _route(name)
    client = _client(scene, visitor)
    response = _request(client, access.method, _url(route, scene), API_BODIES.get(name))
    error = response.json()["error"]
    if visitor is Visitor.TOKEN_WITHOUT_SCOPES:
        assert response.status_code == 403
        assert error["code"] == "missing_scope"
        assert f'"{access.scope.value}"' in error["message"]
    else:
        assert response.status_code == 401
        assert error["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "name", [name for name, access in ROUTES.items() if isinstance(access, Api)]
)
def test_the_api_answers_a_token_with_exactly_the_operations_scope(
    scene: Scene, name: str
) -> None:
    access = ROUTES[name]
    assert isinstance(access, Api)
    ApiTokenFactory.create(secret=TOKEN + "-scoped", scopes=[access.scope.value])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}-scoped")
    response = _request(
        client, access.method, _url(_route(name), scene), API_BODIES.get(name)
    )
    assert response.status_code in (200, 201), response.content


USER_TOKEN_CASES = [
    (name, role)
    for name, access in ROUTES.items()
    if isinstance(access, Api)
    for role in Role
]


@pytest.mark.parametrize(("name", "role"), USER_TOKEN_CASES)
def test_a_users_token_has_at_most_the_users_rights(
    scene: Scene, name: str, role: Role
) -> None:
    """The operation's scope is not enough: the user's role must allow it too."""
    access = ROUTES[name]
    assert isinstance(access, Api)
    user = scene.users[Visitor(role.value)]
    ApiTokenFactory.create(
        secret=TOKEN + "-user", user=user, scopes=[access.scope.value]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}-user")
    response = _request(
        client, access.method, _url(_route(name), scene), API_BODIES.get(name)
    )
    where = f"{access.method} {name} with a token of {role.value}"
    if role not in access.roles:
        assert response.status_code == 403, where
        assert response.json()["error"]["code"] == "role_not_allowed", where
    elif role is Role.SALES and access.lead_specific:
        # The lead belongs to another seller.
        assert response.status_code == 404, where
    else:
        assert response.status_code in (200, 201), (where, response.content)


@pytest.mark.parametrize(
    "name", [name for name, access in ROUTES.items() if isinstance(access, Public)]
)
def test_a_public_route_answers_anyone_without_an_error(
    scene: Scene, name: str
) -> None:
    access = ROUTES[name]
    assert isinstance(access, Public)
    response = _request(Client(), access.method, _url(_route(name), scene))
    assert response.status_code < 500


@pytest.mark.parametrize(
    "visitor", [Visitor.ANONYMOUS, Visitor.SALES, Visitor.TOKEN_WITHOUT_SCOPES]
)
def test_the_admin_site_sends_non_staff_to_its_login(
    scene: Scene, visitor: Visitor
) -> None:
    client = _client(scene, visitor)
    for route in all_routes():
        # Unnamed admin routes redirect to named ones or to the catch-all 404.
        if not route.name.startswith("admin:") or not route.is_named:
            continue
        if route.name in ROUTES:
            continue
        if route.name == "admin:logout":
            continue  # POST only; signing out reveals nothing
        response = client.get(_url(route, scene))
        assert _is_login_redirect(response, "/admin/login/"), (
            f"GET {route.pattern} as {visitor.value}: {response.status_code}"
        )


@pytest.mark.parametrize("visitor", [Visitor.MARKETING, Visitor.ADMIN])
def test_the_admin_site_opens_a_model_only_with_its_permission(
    scene: Scene, visitor: Visitor
) -> None:
    """Marketing may view leads and scoring models, but not delete leads or see tokens."""
    user = scene.users[visitor]
    client = _client(scene, visitor)
    checked = 0
    for route in all_routes():
        app_model, _sep, action = route.name.removeprefix("admin:").rpartition("_")
        if not route.name.startswith("admin:") or action not in ADMIN_MODEL_ACTIONS:
            continue
        app_label, _sep, model = app_model.partition("_")
        if not _is_model(app_label, model):
            continue  # admin:password_change, admin:auth_user_password_change
        allowed = any(
            user.has_perm(f"{app_label}.{kind}_{model}")
            for kind in ADMIN_MODEL_ACTIONS[action]
        )
        if action == "add":
            # Some models are never added by hand (API tokens: create-token).
            request = RequestFactory().get("/")
            request.user = user
            model_admin = admin.site.get_model_admin(apps.get_model(app_label, model))
            allowed = allowed and model_admin.has_add_permission(request)
        response = client.get(_url(route, scene))
        where = f"GET {route.pattern} as {visitor.value}: {response.status_code}"
        if allowed:
            assert response.status_code in (200, 302), where
            assert not _is_login_redirect(response, "/admin/login/"), where
        else:
            assert response.status_code == 403, where
        checked += 1
    assert checked > 0


def test_marketing_cannot_erase_or_delete_leads(scene: Scene) -> None:
    marketing = scene.users[Visitor.MARKETING]
    assert not marketing.has_perm("leads.delete_lead")
    assert ROUTES["privacy:lead-erase"] == Page(ADMIN_ONLY, POST)


def test_sellers_see_every_lead_when_configured(
    scene: Scene, settings: pytest.FixtureRequest
) -> None:
    settings.SALES_SEE_ALL_LEADS = True  # type: ignore[attr-defined]
    client = _client(scene, Visitor.SALES)
    for name in ("leads:lead-detail", "accounts_pages:account-detail"):
        response = client.get(_url(_route(name), scene))
        assert response.status_code == 200, name
