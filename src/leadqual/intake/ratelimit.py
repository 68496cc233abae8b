"""A per-address rate limit for the public intake form.

At most ``settings.FORM_RATE_LIMIT`` accepted submissions per client address
in any rolling hour (a sliding window: each attempt counts for exactly one
hour after it was made).

Why a table and not Django's cache framework: the database cache backend
needs ``createcachetable``, a step ``leadqual migrate`` does not run, and the
local-memory cache is not shared between processes. One small ``FormAttempt``
table, created by an ordinary migration, is shared by every web process and
works on SQLite and PostgreSQL alike. Each row is one attempt: counting rows
in the last hour gives an exact sliding window, and old rows are deleted as
new ones arrive, so the table stays as small as one hour of traffic.

Privacy: only a salted hash of the address is stored (an HMAC keyed with
SECRET_KEY), never the address itself, and it is gone after an hour.

The client address is ``REMOTE_ADDR``. Behind a reverse proxy, that proxy's
address would put every visitor in one bucket: configure the proxy and the
WSGI server so ``REMOTE_ADDR`` is the visitor's address (waitress:
``trusted_proxy`` with ``trusted_proxy_headers="x-forwarded-for"``).
``X-Forwarded-For`` is deliberately not read here: any client can send it,
so trusting it would let a bot choose a fresh address for every request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from leadqual.intake.models import FormAttempt

WINDOW = timedelta(hours=1)
# Changing the salt forgets every stored attempt; harmless, they last an hour.
_HASH_SALT = "leadqual.intake.ratelimit.address"
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True, slots=True)
class RateLimitCheck:
    """Whether one more submission is allowed, and if not, how long to wait."""

    allowed: bool
    attempts: int
    retry_after_seconds: int = 0


def client_address(request: HttpRequest) -> str:
    """The address the request came from, as the WSGI server reports it."""
    address = str(request.META.get("REMOTE_ADDR") or "").strip()
    return address or UNKNOWN_ADDRESS


def address_hash(address: str) -> str:
    """A salted hash of ``address`` keyed with SECRET_KEY: 64 hex digits."""
    return salted_hmac(_HASH_SALT, address, algorithm="sha256").hexdigest()


def check_rate_limit(
    address: str, *, limit: int, now: datetime, window: timedelta = WINDOW
) -> RateLimitCheck:
    """Whether ``address`` may submit once more at ``now``.

    Refused once ``limit`` attempts fall within ``window``; then
    ``retry_after_seconds`` says when the oldest of them leaves the window.
    """
    since = now - window
    attempt_times = list(
        FormAttempt.objects.filter(
            address_hash=address_hash(address), attempted_at__gt=since
        )
        .order_by("attempted_at")
        .values_list("attempted_at", flat=True)
    )
    if len(attempt_times) < limit:
        return RateLimitCheck(allowed=True, attempts=len(attempt_times))
    # The oldest attempt that must leave the window before one more fits.
    freed_at = attempt_times[len(attempt_times) - limit] + window
    wait_seconds = max(1, math.ceil((freed_at - now).total_seconds()))
    return RateLimitCheck(
        allowed=False, attempts=len(attempt_times), retry_after_seconds=wait_seconds
    )


def record_attempt(address: str, *, now: datetime, window: timedelta = WINDOW) -> None:
    """Count one submission from ``address``; forget attempts older than ``window``."""
    with transaction.atomic():
        FormAttempt.objects.filter(attempted_at__lte=now - window).delete()
        FormAttempt.objects.create(address_hash=address_hash(address), attempted_at=now)
