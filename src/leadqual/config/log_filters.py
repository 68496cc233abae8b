"""Logging filters (config/settings.py LOGGING).

Django logs a 403 from ``PermissionDenied`` with the full traceback of the
check that refused (``django.request``), and a CSRF failure without saying
who (``django.security.csrf``). Both are routine: a user following an old
link, a bot, a form kept open overnight. A 403 is logged as one line: what
Django says, the path, and the user's or token's id, never a name.

Any other 4xx is the client's mistake too: a bad Host header or a form with
too many fields (``django.security.*``, one logger per kind) would print a
traceback of Django's own parsing. The console shows such a record as one
line; only a 5xx keeps its traceback.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import HttpRequest

FORBIDDEN = 403
CLIENT_ERRORS = range(400, 500)


class ForbiddenOnOneLine(logging.Filter):
    """Drops the traceback of a 403 record and adds who was refused."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != FORBIDDEN:
            return True
        # Once per record: a second logging.config run adds the filter again.
        if getattr(record, "forbidden_on_one_line", False):
            return True
        record.forbidden_on_one_line = True
        record.exc_info = None
        record.exc_text = None
        request = getattr(record, "request", None)
        if isinstance(record.args, tuple) and isinstance(request, HttpRequest):
            record.msg = f"{record.msg} (%s)"
            record.args = (*record.args, who(request))
        return True


def who(request: HttpRequest) -> str:
    """``token 3 of user 7``, ``token 3``, ``user 7`` or ``anonymous``: ids only."""
    token = getattr(request, "api_token", None)
    if token is not None:
        owner = getattr(token, "user_id", None)
        return f"token {token.pk} of user {owner}" if owner else f"token {token.pk}"
    user = getattr(request, "user", None)
    try:
        if user is not None and user.is_authenticated:
            return f"user {user.pk}"
    except DatabaseError:
        # The session could not be read; the refusal is still worth its line.
        return "unknown user"
    return "anonymous"


class ClientErrorOnOneLine(logging.Filter):
    """Drops the traceback of any 4xx record; a handler filter, so it sees them all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in CLIENT_ERRORS:
            record.exc_info = None
            record.exc_text = None
        return True
