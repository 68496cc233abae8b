"""Fixtures of the browser journeys: one Chromium per run, the live test server.

Run them with ``pytest tests/browser`` (or ``-m browser``). Without Chromium
they are skipped with the reason, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, sync_playwright
from pytest_django.live_server_helper import LiveServer

from leadqual.scoring.services import ensure_default_model
from tests.browser.helpers import Site

# Playwright's sync API runs an event loop in the test thread; Django refuses
# database calls from a thread with a running loop unless told it is safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: a Playwright journey in Chromium against the live server"
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, started once per test run."""
    if not CHROMIUM.exists():
        message = (
            f"The browser journeys need Chromium at {CHROMIUM}; install it with "
            "`apt-get install chromium`."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} CI=true, so the run fails.", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(
    transactional_db: None, live_server: LiveServer, browser: Browser
) -> Iterator[Site]:
    """The live server on the committed test database, and pages to open on it.

    After a transactional test the tables are emptied, so the scoring model
    the migrations install is installed again for every journey. At the end,
    no request may have left the live server, and no page may have failed.
    """
    ensure_default_model(now=timezone.now())
    site = Site(url=live_server.url, browser=browser)
    try:
        yield site
    finally:
        site.close()
    site.assert_clean()
