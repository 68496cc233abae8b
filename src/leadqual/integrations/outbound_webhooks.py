"""Signing (Standard Webhooks) and sending one HTTP request, guarded against SSRF.

Webhook URLs are typed in by users, so every address a URL resolves to is
checked before leadqual connects: loopback, private, link-local, multicast,
reserved and other non-public addresses are refused unless an admin allowed
private networks for that endpoint. The check runs again at every delivery
and the connection goes to the address that was checked, so a DNS answer
that changes in between (DNS rebinding) cannot slip through. Redirects are
never followed: a 3xx answer counts as a failed attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from leadqual.core.errors import LeadqualError

# Standard Webhooks recommends 15-30 seconds for a receiver to answer.
TIMEOUT_SECONDS = 15.0
# Only this much of an answer is kept for the delivery log.
MAX_RESPONSE_BYTES = 2048
USER_AGENT = "leadqual-webhooks/1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeWebhookUrl(LeadqualError):
    """A webhook URL is malformed or points into a private network."""

    code = "unsafe_webhook_url"


class InvalidWebhookSecret(LeadqualError):
    """A signing secret is not ``whsec_`` followed by base64."""

    code = "invalid_webhook_secret"


# --- signing --------------------------------------------------------------------


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret.

    Raises InvalidWebhookSecret for any other shape.
    """
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise InvalidWebhookSecret(
            f"The signing secret is not base64 after whsec_ (it starts with "
            f'"{secret[:10]}"). Generate a new secret for this endpoint.'
        ) from None
    if not key:
        raise InvalidWebhookSecret(
            "The signing secret is empty. Generate a new secret for this endpoint."
        )
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256>``.

    The signed content is ``{message_id}.{timestamp}.{body}`` as the
    Standard Webhooks specification defines it.
    """
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, message_id: str, body: bytes, *, now: datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt at ``now``."""
    timestamp = int(now.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


# --- SSRF guard -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: where to connect, and what to say in the request."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _refusal(address: IPAddress) -> str | None:
    """Why an address is not public, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return _refusal(address.ipv4_mapped)
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata services live here)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_private:
        return "a private-network address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a public internet address"
    return None


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeWebhookUrl(
            f'The webhook host "{host}" cannot be found ({error.strerror}). '
            "Check the URL's spelling and that its DNS name exists."
        ) from None
    found = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone
        if address not in found:
            found.append(address)
    return found


def check_url(url: str, *, allow_private_network: bool) -> Target:
    """Resolve the URL's host and refuse it when any address is not public.

    Returns the target to connect to (the first address found). Raises
    UnsafeWebhookUrl naming the address and why it is refused.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeWebhookUrl(
            f'The webhook URL "{url}" is not an http(s) address. '
            "Use a URL such as https://crm.example.nl/hooks/leadqual."
        )
    if parts.username or parts.password:
        raise UnsafeWebhookUrl(
            f'The webhook URL for host "{parts.hostname}" contains a user name or '
            "password. Remove them; receivers check the signature instead."
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeWebhookUrl(
            f'The webhook URL "{url}" has an invalid port. Use a number from 1 to 65535.'
        ) from None
    addresses = _addresses(parts.hostname, port)
    if not allow_private_network:
        for text in addresses:
            reason = _refusal(ipaddress.ip_address(text))
            if reason is not None:
                raise UnsafeWebhookUrl(
                    f'The webhook URL "{url}" points to {text}, {reason}. leadqual '
                    "only calls public addresses, so a URL cannot reach services "
                    "inside your network. Use the receiver's public address, or "
                    "have an admin allow private networks for this endpoint."
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        path=path,
        address=addresses[0],
    )


# --- sending ----------------------------------------------------------------------


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with SNI and certificate check for the host name."""

    def __init__(self, target: Target, *, timeout: float) -> None:
        super().__init__(
            target.host,
            target.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            sock, server_hostname=self.host
        )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a checked address."""

    def __init__(self, target: Target, *, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


@dataclass(frozen=True, slots=True)
class Response:
    """What a receiver answered."""

    status: int
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


def send_json(
    target: Target,
    body: bytes | None,
    headers: dict[str, str],
    *,
    timeout_seconds: float = TIMEOUT_SECONDS,
    method: str = "POST",
) -> Response:
    """Send ``body`` (JSON, or nothing) to a checked target; never follows redirects.

    Raises OSError (refused, reset, timed out) and http.client.HTTPException.
    """
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout=timeout_seconds)
    else:
        connection = _PinnedHTTPConnection(target, timeout=timeout_seconds)
    try:
        connection.request(
            method,
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        answer = connection.getresponse()
        return Response(status=answer.status, body=answer.read(MAX_RESPONSE_BYTES))
    finally:
        connection.close()
