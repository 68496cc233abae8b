"""Behind gunicorn, the visitor's address comes from the trusted proxy only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from leadqual.config.forwarded import behind_trusted_proxy

PROXY = "10.0.0.5"


def seen_by_the_app(
    environ: dict[str, Any], *, trusted_proxy: str | None
) -> dict[str, Any]:
    """The environ the wrapped application receives."""
    received: dict[str, Any] = {}

    def application(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        received.update(environ)
        return [b""]

    behind_trusted_proxy(application, trusted_proxy)(environ, lambda *args: None)
    return received


def test_a_request_from_the_proxy_gets_the_visitors_address_from_its_last_hop() -> None:
    environ = seen_by_the_app(
        {
            "REMOTE_ADDR": PROXY,
            "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7",
            "HTTP_X_FORWARDED_PROTO": "https",
        },
        trusted_proxy=PROXY,
    )
    assert environ["REMOTE_ADDR"] == "203.0.113.7"
    assert environ["HTTP_X_FORWARDED_PROTO"] == "https"


def test_another_client_cannot_choose_its_address_or_scheme() -> None:
    environ = seen_by_the_app(
        {
            "REMOTE_ADDR": "198.51.100.9",
            "HTTP_X_FORWARDED_FOR": "203.0.113.7",
            "HTTP_X_FORWARDED_PROTO": "https",
        },
        trusted_proxy=PROXY,
    )
    assert environ["REMOTE_ADDR"] == "198.51.100.9"
    assert "HTTP_X_FORWARDED_FOR" not in environ
    assert "HTTP_X_FORWARDED_PROTO" not in environ


def test_without_a_trusted_proxy_the_request_is_left_as_it_came() -> None:
    sent = {"REMOTE_ADDR": "198.51.100.9", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert seen_by_the_app(dict(sent), trusted_proxy=None) == sent
