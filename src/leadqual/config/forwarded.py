"""The visitor's address behind one trusted reverse proxy, for WSGI servers
that do not set it themselves (gunicorn; waitress does, see `leadqual serve`).

The rate limits and the login throttle count ``REMOTE_ADDR``. Behind a proxy
that is the proxy, for every visitor. This takes the proxy's last hop of
``X-Forwarded-For`` instead, but only for requests that come from the proxy's
own address; every other client's forwarding headers are removed, so nobody
can choose the address a limit counts. The same rules as waitress's
``trusted_proxy`` with ``trusted_proxy_count=1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


def behind_trusted_proxy(
    application: WSGIApplication, trusted_proxy: str | None
) -> WSGIApplication:
    """``application`` with ``REMOTE_ADDR`` taken from ``trusted_proxy``'s header.

    Returns ``application`` itself when no proxy is trusted: then the
    headers are left alone, as waitress leaves them.
    """
    if not trusted_proxy:
        return application

    def from_proxy(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REMOTE_ADDR") == trusted_proxy:
            hops = [
                hop.strip()
                for hop in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")
                if hop.strip()
            ]
            if hops:
                environ["REMOTE_ADDR"] = hops[-1]
        else:
            for header in FORWARDING_HEADERS:
                environ.pop(header, None)
        return application(environ, start_response)

    return from_proxy
