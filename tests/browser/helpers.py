"""The live server as a browser sees it, and small steps every journey takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Response,
    Route,
    ViewportSize,
)

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "test-artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# Playwright waits this long (ms) for an element or a navigation.
TIMEOUT_MS = 10_000


@dataclass
class Site:
    """The live server, the pages opened on it, and what went wrong along the way.

    Every request that does not go to the live server is aborted and recorded,
    so a journey proves the app works offline (no CDN). A journey that plays
    a customer's website on another local port lets it in with
    ``allow_origin``.
    """

    url: str
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def new_page(
        self,
        *,
        locale: str = "en-GB",
        viewport: ViewportSize = DESKTOP,
        is_mobile: bool = False,
        javascript: bool = True,
    ) -> Page:
        """A page in a fresh browser context: no cookies, the given language.

        ``javascript=False`` plays a browser with scripts switched off.
        """
        language = locale.split("-")[0]
        context = self.browser.new_context(
            base_url=self.url,
            locale=locale,
            extra_http_headers={"Accept-Language": f"{locale},{language};q=0.9"},
            viewport=viewport,
            is_mobile=is_mobile,
            has_touch=is_mobile,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", self._only_the_live_server)
        context.on("response", self._note_server_error)
        context.on("console", self._note_console_error)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", self._note_script_error)
        return page

    def signed_in_page(
        self,
        user: User,
        *,
        locale: str = "en-GB",
        viewport: ViewportSize = DESKTOP,
        is_mobile: bool = False,
    ) -> Page:
        """A page whose context carries a session of ``user``, without the login form."""
        client = Client()
        client.force_login(user)
        page = self.new_page(locale=locale, viewport=viewport, is_mobile=is_mobile)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": self.url,
                }
            ]
        )
        return page

    def allow_origin(self, origin: str) -> None:
        """Let pages also reach ``origin`` (``http://127.0.0.1:8123``), a test site."""
        self.allowed_origins.append(origin.rstrip("/"))

    def assert_clean(self) -> None:
        """Nothing left the machine, no answer was a 5xx, no script failed."""
        assert self.blocked == [], f"Requests off the live server: {self.blocked}"
        assert self.server_errors == [], f"Server errors: {self.server_errors}"
        assert self.script_errors == [], f"Script errors: {self.script_errors}"

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def _only_the_live_server(self, route: Route) -> None:
        url = route.request.url
        if any(
            url == origin or url.startswith(f"{origin}/")
            for origin in (self.url, *self.allowed_origins)
        ):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _note_server_error(self, response: Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    def _note_console_error(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx answer ("Failed to load resource"); the
        # intake form answers 422 on purpose, so only other errors count.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.script_errors.append(message.text)

    def _note_script_error(self, error: Error) -> None:
        self.script_errors.append(f"{error.name}: {error.message}")


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot as a test artifact: ``<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def log_in(page: Page, username: str, password: str) -> None:
    """Sign in on the login page, as a person does, and wait for the next page."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(lambda url: "/login/" not in url)


def fits_the_width(page: Page) -> bool:
    """The page needs no horizontal scrolling (one pixel of rounding allowed)."""
    fits = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    assert isinstance(fits, bool)
    return fits
