"""`leadqual serve` behind a reverse proxy: rate limits count visitors, not the proxy."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from leadqual.config.management.commands.serve import proxy_options
from tests.live_server import LiveServer

FORM_LIMIT = (
    5  # LEADQUAL_FORM_RATE_LIMIT's default: accepted posts per address per hour
)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def post_form(base_url: str, number: int, *, forwarded_for: str) -> int:
    """Post a valid intake form as if through the proxy; returns the status."""
    body = urllib.parse.urlencode(
        {
            "first_name": "Eva",
            "last_name": "de Boer",
            "email": f"eva{number}@logistiek-partners.nl",
            "sector": "logistics",
            "employees": "10-49",
            "budget": "10000-25000",
            "urgency": "within_3_months",
            "consent": "on",
            "website": "",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/form/", data=body, headers={"X-Forwarded-For": forwarded_for}
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=15) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@contextmanager
def serving(data_dir: Path, *, trusted_proxy: str) -> Iterator[str]:
    """`leadqual serve` with LEADQUAL_TRUSTED_PROXY set; yields its base URL."""
    server = LiveServer(data_dir, extra_env={"LEADQUAL_TRUSTED_PROXY": trusted_proxy})
    server.prepare()
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def test_behind_a_trusted_proxy_each_visitor_has_its_own_form_limit(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, trusted_proxy="127.0.0.1") as base_url:
        first = [
            post_form(base_url, n, forwarded_for="203.0.113.7")
            for n in range(FORM_LIMIT + 1)
        ]
        other_visitor = post_form(base_url, 99, forwarded_for="198.51.100.9")

    assert first == [302] * FORM_LIMIT + [429]
    assert other_visitor == 302


def test_without_a_trusted_proxy_a_client_cannot_choose_its_address(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, trusted_proxy="") as base_url:
        statuses = [
            post_form(base_url, n, forwarded_for=f"203.0.113.{n}")
            for n in range(FORM_LIMIT + 1)
        ]

    assert statuses == [302] * FORM_LIMIT + [429]


def test_no_proxy_means_no_forwarding_options() -> None:
    assert proxy_options(None) == {} and proxy_options("") == {}
    assert proxy_options("127.0.0.1")["trusted_proxy_count"] == 1
