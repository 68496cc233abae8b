"""What an API token may do: its scopes.

A token holds a list of scopes; each API operation needs one of them (see
``leadqual.api.scopes``). ``admin`` includes every other scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from django.utils.translation import gettext as _

from leadqual.core.errors import LeadqualError


class Scope(StrEnum):
    READ = "read"
    WRITE_EVENTS = "write_events"
    WRITE_LEADS = "write_leads"
    ADMIN = "admin"


# What `leadqual create-token` grants when no --scope is given: everything an
# integration needs, but not the admin scope.
DEFAULT_SCOPES: tuple[Scope, ...] = (Scope.READ, Scope.WRITE_EVENTS, Scope.WRITE_LEADS)


class UnknownScope(LeadqualError):
    code = "unknown_scope"


class MissingScope(LeadqualError):
    """The API token lacks the scope an operation needs (HTTP 403)."""

    code = "missing_scope"


def default_scopes() -> list[str]:
    """The default scopes as stored in ``ApiToken.scopes`` (the field's default)."""
    return [scope.value for scope in DEFAULT_SCOPES]


def parse_scopes(values: Iterable[str]) -> list[Scope]:
    """The scopes named in ``values``, deduplicated, in the order of ``Scope``.

    Raises UnknownScope for a name that is not a scope.
    """
    wanted: set[Scope] = set()
    for raw in values:
        name = raw.strip().lower()
        try:
            wanted.add(Scope(name))
        except ValueError:
            raise UnknownScope(
                _('"%(scope)s" is not an API token scope. Use one of: %(known)s.')
                % {"scope": raw, "known": ", ".join(scope.value for scope in Scope)}
            ) from None
    return [scope for scope in Scope if scope in wanted]


def grants(scopes: Iterable[str], needed: Scope) -> bool:
    """Whether a token with ``scopes`` may use an operation that needs ``needed``."""
    held = set(scopes)
    return needed.value in held or Scope.ADMIN.value in held
