"""The audit log pages in Chromium: Older, then Newest, at desktop and phone size (#15).

Screenshots: test-artifacts/screenshots/paged-audit-log-<size>-<language>.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import ViewportSize, expect

from leadqual.privacy.models import AuditAction, AuditEntry
from leadqual.privacy.queries import AUDIT_PAGE_SIZE
from leadqual.users.roles import Role
from tests.browser.helpers import DESKTOP, PHONE, Site, screenshot
from tests.factories import make_user

pytestmark = pytest.mark.browser

SIZES: dict[str, ViewportSize] = {"desktop": DESKTOP, "phone": PHONE}
LOCALES = {"en": "en-GB", "nl": "nl-NL"}
LINKS = {"en": ("Older", "Newest"), "nl": ("Ouder", "Nieuwste")}


@pytest.mark.parametrize(
    ("size", "language"),
    [
        pytest.param(size, language, id=f"{size}-{language}")
        for size in SIZES
        for language in LOCALES
    ],
)
def test_the_audit_log_pages_to_older_entries_and_back(
    site: Site, size: str, language: str
) -> None:
    admin = make_user("annet", role=Role.ADMIN)
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor="API token CRM",
                action=AuditAction.VIEWED,
                lead_id=n + 1,
                detail="API: lead read",
                at=start + timedelta(minutes=n),
            )
            for n in range(AUDIT_PAGE_SIZE + 1)
        ]
    )
    older, newest = LINKS[language]
    page = site.signed_in_page(
        admin,
        locale=LOCALES[language],
        viewport=SIZES[size],
        is_mobile=size == "phone",
    )

    page.goto("/privacy/audit/?who=API+token+CRM")
    rows = page.locator("#audit-entries tbody tr")
    expect(rows).to_have_count(AUDIT_PAGE_SIZE)
    expect(page.get_by_role("link", name=newest, exact=True)).to_have_count(0)
    link = page.get_by_role("link", name=older, exact=True)
    box = link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= SIZES[size]["width"]
    link.click()

    page.wait_for_url("**before=**")
    assert "who=API+token+CRM" in page.url
    expect(rows).to_have_count(1)
    # The oldest entry, about lead 1, is the one left for the second page.
    expect(rows.first.locator("td").nth(3)).to_have_text("1")
    expect(page.get_by_role("link", name=older, exact=True)).to_have_count(0)
    page.get_by_role("link", name=newest, exact=True).scroll_into_view_if_needed()
    screenshot(page, f"paged-audit-log-{size}-{language}")
    page.get_by_role("link", name=newest, exact=True).click()
    expect(rows).to_have_count(AUDIT_PAGE_SIZE)
    assert "who=API+token+CRM" in page.url and "before=" not in page.url
