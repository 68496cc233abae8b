"""The intake form embedded on the business's website: frameless pages, embed code.

The browser side (an iframe on another origin sized to its content) is
tests/browser/test_embed.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from leadqual.intake.views import EMBED_FALLBACK_HEIGHT
from leadqual.leads.models import Lead
from leadqual.users.roles import Role
from tests.factories import make_user
from tests.intake.test_form import answers, assert_field_error, elements

pytestmark = pytest.mark.django_db

EMBEDDED_FORM_URL = "/form/embed/"
EMBEDDED_THANKS_URL = "/form/embed/thanks/"
EMBED_SCRIPT_URL = "/form/embed.js"
# What only leadqual's own pages show: the top bar with its menu, the
# language switch and (signed in) the log-out button.
LEADQUAL_CHROME = ('class="topbar"', 'class="mainnav"', "language-switch", "/logout/")


class _Snippet(HTMLParser):
    """The elements of the embed code: tag -> attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = dict(attrs)


def embed_code_snippet() -> dict[str, dict[str, str | None]]:
    client = Client()
    client.force_login(make_user("ada", role=Role.ADMIN))
    page = elements(client.get("/form/embed-code/").content.decode())
    parser = _Snippet()
    parser.feed(page.text["embed-snippet"])
    return parser.tags


def assert_frameless(html: str) -> None:
    shown = [mark for mark in LEADQUAL_CHROME if mark in html]
    assert shown == [], f"leadqual's own page parts in the embedded page: {shown}"
    assert "intake/embedded_form" in html  # the script that reports the height


def test_the_embedded_form_shows_no_top_bar_or_menu_even_to_a_signed_in_admin() -> None:
    client = Client()
    client.force_login(make_user("ada", role=Role.ADMIN))

    response = client.get(f"{EMBEDDED_FORM_URL}?source=website")

    assert response.status_code == 200
    html = response.content.decode()
    assert_frameless(html)
    assert elements(html).by_id["lead-form"][0] == "form"


def test_the_form_opened_directly_keeps_leadqual_s_top_bar() -> None:
    html = Client().get("/form/?source=website").content.decode()

    assert 'class="topbar"' in html
    assert "intake/embedded_form" not in html


def test_the_embedded_form_posts_back_to_the_embedded_form_with_its_source() -> None:
    response = Client().get(f"{EMBEDDED_FORM_URL}?source=partner_site")

    _tag, attributes = elements(response.content.decode()).by_id["lead-form"]
    assert attributes["action"] == "/form/embed/?source=partner_site"
    assert attributes["hx-post"] == "/form/embed/?source=partner_site"


def test_field_errors_of_the_embedded_form_show_without_the_top_bar() -> None:
    """Without JavaScript the browser posts the form and gets the whole page back."""
    response = Client().post(EMBEDDED_FORM_URL, answers(email="eva@"))

    assert response.status_code == 422
    html = response.content.decode()
    assert_frameless(html)
    assert assert_field_error(html, "email")
    assert Lead.objects.count() == 0


def test_the_rate_limit_message_of_the_embedded_form_shows_without_the_top_bar(
    settings: Settings,
) -> None:
    settings.FORM_RATE_LIMIT = 1
    client = Client()
    client.post(EMBEDDED_FORM_URL, answers())

    response = client.post(
        EMBEDDED_FORM_URL, answers(email="tweede@logistiek-partners.nl")
    )

    assert response.status_code == 429
    assert_frameless(response.content.decode())


def test_a_lead_sent_from_the_embedded_form_gets_its_source_and_embedded_thanks() -> (
    None
):
    response = Client().post(f"{EMBEDDED_FORM_URL}?source=partner_site", answers())

    assert response.status_code == 302
    assert response["Location"] == EMBEDDED_THANKS_URL
    assert Lead.objects.get().source == "partner_site"


def test_with_htmx_the_embedded_form_redirects_the_frame_to_embedded_thanks() -> None:
    response = Client().post(EMBEDDED_FORM_URL, answers(), HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == EMBEDDED_THANKS_URL
    assert Lead.objects.count() == 1


def test_the_embedded_thank_you_page_shows_no_top_bar() -> None:
    response = Client().get(EMBEDDED_THANKS_URL, HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 200
    html = response.content.decode()
    assert_frameless(html)
    assert "Bedankt" in html


def test_an_oversized_post_to_the_embedded_form_gets_a_frameless_413(
    settings: Settings,
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = Client().post(EMBEDDED_FORM_URL, answers(company="B" * 5000))

    assert response.status_code == 413
    assert_frameless(response.content.decode())
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *;" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", [EMBEDDED_FORM_URL, EMBEDDED_THANKS_URL])
def test_the_embedded_pages_may_be_framed_only_by_the_configured_sites(
    settings: Settings, path: str
) -> None:
    settings.FORM_FRAME_ANCESTORS = ("https://www.example.nl",)

    response = Client().get(path)

    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors https://www.example.nl;" in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy


def test_the_embedded_form_with_errors_may_be_framed() -> None:
    response = Client().post(EMBEDDED_FORM_URL, answers(email="eva@"))

    assert "X-Frame-Options" not in response
    assert "frame-ancestors *;" in response["Content-Security-Policy"]


def test_the_embedded_pages_use_the_same_htmx_settings_as_every_other_page() -> None:
    """Field errors arrive as 422, which htmx swaps in only with these settings."""
    config = re.compile(r"<meta name=\"htmx-config\" content='[^']*'>")
    embedded = config.search(Client().get(EMBEDDED_FORM_URL).content.decode())
    direct = config.search(Client().get("/form/").content.decode())

    assert embedded is not None and direct is not None
    assert embedded.group() == direct.group()


def test_the_embed_script_is_served_for_any_site_to_include() -> None:
    response = Client().get(EMBED_SCRIPT_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert b"data-leadqual-form" in response.content
    again = Client().get(EMBED_SCRIPT_URL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_embed_script_trusts_only_leadqual_s_origin_and_its_own_frame() -> None:
    """The checks docs/form-embed.md promises, as they stand in the script."""
    script = Client().get(EMBED_SCRIPT_URL).content.decode()

    assert "event.origin !== origin" in script
    assert "contentWindow === source" in script
    assert 'typeof height !== "number" || !isFinite(height)' in script
    assert "Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT" in script


def test_the_embed_code_is_an_iframe_of_the_frameless_form_and_the_sizing_script() -> (
    None
):
    snippet = embed_code_snippet()

    frame = snippet["iframe"]
    assert frame["src"] == "http://testserver/form/embed/?source=website"
    assert "data-leadqual-form" in frame
    assert frame["title"] == "Contact form"
    # Without JavaScript the frame keeps this height and scrolls.
    assert frame["height"] == str(EMBED_FALLBACK_HEIGHT)
    assert snippet["script"] == {
        "src": "http://testserver/form/embed.js",
        "async": None,
    }


def test_the_embed_code_s_addresses_work_without_signing_in() -> None:
    snippet = embed_code_snippet()
    visitor = Client()

    frame_src = snippet["iframe"]["src"]
    script_src = snippet["script"]["src"]
    assert frame_src is not None and script_src is not None
    assert visitor.get(frame_src).status_code == 200
    assert visitor.get(script_src).status_code == 200
