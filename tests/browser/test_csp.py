"""The pages work under the Content-Security-Policy: the browser refuses nothing.

Chromium logs every blocked inline script, inline style, eval or injected
``<style>`` to the console ("Refused to ...", "... violates the following
Content Security Policy directive ..."), so a page that needs more than the
policy allows fails here.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from leadqual.intake.pipeline import submit_lead
from leadqual.leads.models import Lead
from leadqual.users.roles import Role
from tests.browser.helpers import Site, log_in
from tests.factories import make_user

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
CSP_WORDS = ("content security policy", "refused to")


def _watch_console(page: Page, messages: list[str]) -> None:
    """Add every console message of ``page`` to ``messages``, with the page's URL."""

    def note(message: ConsoleMessage) -> None:
        messages.append(f"{page.url} [{message.type}] {message.text}")

    page.on("console", note)


def _open(page: Page, path: str) -> None:
    """Go to ``path``; the answer is an HTML page with the strict policy."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self';" in policy, f"{path}: {policy!r}"


def test_pages_and_htmx_work_under_the_content_security_policy(site: Site) -> None:
    """Login, queue, a lead (a BANT answer saved by htmx), KPIs, admin, API docs."""
    make_user("sanne", role=Role.SALES, password=PASSWORD)
    admin = make_user("ada", role=Role.ADMIN, password=PASSWORD)
    lead = submit_lead(
        "jan.devries@bakker-software.nl",
        {
            "first_name": "Jan",
            "last_name": "de Vries",
            "company": "Bakker Software B.V.",
            "sector": "software",
            "employees": "25",
            "budget_euros": "40000",
            "urgency": "immediate",
        },
        now=timezone.now(),
    ).lead
    assert Lead.objects.get(pk=lead.pk).owner is not None

    messages: list[str] = []
    seller_page = site.new_page()
    _watch_console(seller_page, messages)
    _open(seller_page, "/login/")
    log_in(seller_page, "sanne", PASSWORD)
    _open(seller_page, "/queue/")
    seller_page.get_by_role("link", name="Jan de Vries").first.click()
    expect(seller_page).to_have_url(f"{site.url}/leads/{lead.pk}/")
    # The URL changes before the deferred scripts ran: a click before htmx is
    # ready posts the plain form (the page without htmx, no "Saved." status).
    seller_page.wait_for_load_state()
    budget = seller_page.locator("#bant").get_by_role(
        "group", name=re.compile(r"^Budget\b")
    )
    yes = budget.get_by_role("button", name="Yes", exact=True)
    yes.click()
    # htmx swapped the saved checklist in: its script ran under the policy.
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(seller_page.locator("#bant").get_by_role("status")).to_have_text("Saved.")

    admin_page = site.signed_in_page(admin)
    _watch_console(admin_page, messages)
    for path in ("/kpis/", "/admin/", "/admin/leads/lead/", "/api/v1/docs"):
        _open(admin_page, path)
    expect(admin_page.locator("#swagger-ui .opblock").first).to_be_visible()

    refused = [
        message
        for message in messages
        if any(word in message.lower() for word in CSP_WORDS)
    ]
    assert refused == []
