"""Login throttling against password guessing.

At most ``MAX_FAILURES`` failed logins per account (username, any case) and
per client address in any rolling hour. Past that, the login is refused
before the password is checked, until the oldest failure leaves the window.

Two places enforce it: ``ThrottledModelBackend`` (every login, the admin
site's too, goes through ``authenticate()``) and ``users.views.LoginView``,
which answers a throttled login with a 429 page that says so.

Each failure is one ``LoginFailure`` row (the same sliding window as
``intake.ratelimit``); rows older than an hour are deleted as new ones arrive.
Only the lower-cased username and a salted hash of the address are stored.
The address is ``REMOTE_ADDR``, never ``X-Forwarded-For`` (see
``intake.ratelimit`` for why and for running behind a proxy).

A guesser can lock an account for an hour with 100 wrong passwords; the
limit is high so a person mistyping never meets it, and an admin can still
set a new password with ``leadqual create-user`` or the admin site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadqual.users.models import LoginFailure

WINDOW = timedelta(hours=1)
MAX_FAILURES = 100
# Changing the salt forgets every stored failure; harmless, they last an hour.
_HASH_SALT = "leadqual.users.throttling.address"
UNKNOWN_ADDRESS = "unknown"


class ThrottledBy(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    """Why logins are refused for now, and for how long."""

    by: ThrottledBy
    failures: int
    retry_after_seconds: int

    @property
    def message(self) -> str:
        """What the login page says: what happened and when to try again."""
        minutes = max(1, math.ceil(self.retry_after_seconds / 60))
        wait = ngettext(
            "Try again in %(minutes)d minute.",
            "Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        if self.by is ThrottledBy.ACCOUNT:
            what = _(
                "This account had %(count)d failed logins in the past hour, so "
                "logging in to it is paused; the password was not checked."
            ) % {"count": self.failures}
            return " ".join((what, wait, _("Forgot it? Ask an admin for a new one.")))
        what = _(
            "Your address had %(count)d failed logins in the past hour, so "
            "logging in from it is paused; the password was not checked."
        ) % {"count": self.failures}
        return f"{what} {wait}"


def client_address(request: HttpRequest | None) -> str:
    """The address the request came from, as the WSGI server reports it."""
    if request is None:
        return UNKNOWN_ADDRESS
    address = str(request.META.get("REMOTE_ADDR") or "").strip()
    return address or UNKNOWN_ADDRESS


def address_hash(address: str) -> str:
    """A salted hash of ``address`` keyed with SECRET_KEY: 64 hex digits."""
    return salted_hmac(_HASH_SALT, address, algorithm="sha256").hexdigest()


def _username_key(username: str) -> str:
    return username.strip().lower()[:150]


def _throttle(
    failures: QuerySet[LoginFailure], by: ThrottledBy, *, now: datetime
) -> LoginThrottle | None:
    times = list(
        failures.filter(at__gt=now - WINDOW).order_by("at").values_list("at", flat=True)
    )
    if len(times) < MAX_FAILURES:
        return None
    # The oldest failure that must leave the window before one more try fits.
    freed_at = times[len(times) - MAX_FAILURES] + WINDOW
    wait_seconds = max(1, math.ceil((freed_at - now).total_seconds()))
    return LoginThrottle(by=by, failures=len(times), retry_after_seconds=wait_seconds)


def login_throttle(
    username: str, address: str, *, now: datetime
) -> LoginThrottle | None:
    """Why a login for ``username`` from ``address`` is refused at ``now``.

    Returns None when the login may go ahead (fewer than MAX_FAILURES failures
    for the account and for the address within the last hour).
    """
    by_account = _throttle(
        LoginFailure.objects.filter(username=_username_key(username)),
        ThrottledBy.ACCOUNT,
        now=now,
    )
    if by_account is not None:
        return by_account
    return _throttle(
        LoginFailure.objects.filter(address_hash=address_hash(address)),
        ThrottledBy.ADDRESS,
        now=now,
    )


def record_login_failure(username: str, address: str, *, now: datetime) -> None:
    """Count one failed login; forget failures older than the window."""
    with transaction.atomic():
        LoginFailure.objects.filter(at__lte=now - WINDOW).delete()
        LoginFailure.objects.create(
            username=_username_key(username),
            address_hash=address_hash(address),
            at=now,
        )


class ThrottledModelBackend(ModelBackend):
    """Django's username-and-password backend, throttled per account and address.

    A throttled login raises PermissionDenied, which makes ``authenticate()``
    stop without checking the password; a wrong password is counted.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        """The user for these credentials, or None (counted as a failure)."""
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = client_address(request)
        now = timezone.now()
        if login_throttle(username, address, now=now) is not None:
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password)
        if user is None:
            record_login_failure(username, address, now=now)
        return user
