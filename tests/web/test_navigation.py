"""Every page a role may use is in its menu, and no menu link refuses it.

The test walks the URLconf (``all_routes`` of the access matrix) and asks, as
each role, for every page that needs no id: a route the role opens with GET
as an HTML page (200) must be linked from the top bar of the page the role
lands on. Detail pages (with an id), API operations, actions (POST, or GET
that only redirects) and the admin's model pages (the admin index links them)
are not menu pages. A new role in ``Role`` is checked as soon as it exists.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leadqual.users.roles import Role
from tests.factories import make_user
from tests.test_access_matrix import all_routes

pytestmark = pytest.mark.django_db

# Pages a signed-in user can open that do not belong in the menu, and why.
NOT_IN_THE_MENU = {
    "login": "the way in: a signed-in user is past it",
    "intake:form": "for the website's visitors; the embed code page opens it",
    "intake:thanks": "follows a sent form",
    "intake:form-embedded": "shown in an iframe on the business's website",
    "intake:thanks-embedded": "follows a form sent in the iframe",
    "intake:confirmed": "follows the confirmation link in a mail",
}
# Pages anyone can open that the menu offers only to the roles they are for.
MENU_ROLES = {
    # API tokens are made by admins; so are the integrations that read the docs.
    "api-v1:openapi-view": frozenset({Role.ADMIN}),
}


# Elements without an end tag: they open nothing inside the top bar.
VOID_ELEMENTS = frozenset({"br", "hr", "img", "input", "link", "meta", "source", "wbr"})


class TopBarLinks(HTMLParser):
    """The ``href`` of every link inside ``<header class="topbar">``."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._depth = 0  # open elements inside the top bar; 0 outside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self._depth:
            if tag not in VOID_ELEMENTS:
                self._depth += 1
            if tag == "a" and attributes.get("href"):
                self.links.append(str(attributes["href"]))
        elif tag == "header" and "topbar" in (attributes.get("class") or "").split():
            self._depth = 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag not in VOID_ELEMENTS:
            self._depth -= 1


def menu_links(html: str) -> list[str]:
    parser = TopBarLinks()
    parser.feed(html)
    return parser.links


def _signed_in(role: Role) -> tuple[Client, User]:
    user = make_user(f"user-{role.value}", role=role)
    client = Client()
    client.force_login(user)
    return client, user


def _landing_menu(client: Client) -> list[str]:
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    return menu_links(response.content.decode())


def _is_menu_candidate(name: str, parameters: tuple[str, ...]) -> bool:
    if parameters:
        return False  # a detail page: it needs an id
    if name.startswith("admin:"):
        return name == "admin:index"
    if name.startswith("api-v1:"):
        return name in MENU_ROLES
    return name not in NOT_IN_THE_MENU


def pages_for(client: Client, role: Role) -> dict[str, str]:
    """URL name -> path of every page ``role`` opens with GET as HTML, without an id."""
    pages = {}
    for route in all_routes():
        if not route.is_named or not _is_menu_candidate(route.name, route.parameters):
            continue
        if role not in MENU_ROLES.get(route.name, frozenset(Role)):
            continue
        url = reverse(route.name)
        response = client.get(url)
        content_type = str(response.get("Content-Type", ""))
        if response.status_code == 200 and content_type.startswith("text/html"):
            pages[route.name] = url
    return pages


@pytest.mark.parametrize("role", list(Role))
def test_every_page_a_role_may_open_is_in_its_menu(role: Role) -> None:
    client, _user = _signed_in(role)
    links = set(_landing_menu(client))

    pages = pages_for(client, role)

    assert pages, f"{role.value} opens no page at all"
    missing = {name: url for name, url in pages.items() if url not in links}
    assert not missing, f"Pages {role.value} may open but finds in no menu: {missing}"


@pytest.mark.parametrize("role", list(Role))
def test_no_menu_link_refuses_the_role_it_is_shown_to(role: Role) -> None:
    client, _user = _signed_in(role)
    links = _landing_menu(client)

    answers = {url: client.get(url).status_code for url in links}

    refused = {url: status for url, status in answers.items() if status >= 400}
    assert not refused, f"Menu links that refuse {role.value}: {refused}"


def test_the_menu_reader_finds_the_links_of_the_top_bar_only() -> None:
    html = (
        '<header class="topbar"><a href="/queue/">Queue</a><nav>'
        '<input type="hidden"><br/><a href="/leads/">Leads</a></nav></header>'
        '<main><a href="/leads/7/">A lead</a></main>'
    )

    assert menu_links(html) == ["/queue/", "/leads/"]
