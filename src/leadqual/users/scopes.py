"""What an API token may do: its scopes, capped by its user's role.

A token holds a list of scopes; each API operation needs one of them (see
``leadqual.api.scopes``). ``admin`` includes every other scope. A token made
for a user acts with at most that user's rights: ``ROLE_SCOPES`` caps its
scopes when it is issued and on every use (the role may change later).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from django.utils.translation import gettext as _

from leadqual.core.errors import LeadqualError
from leadqual.users.roles import Role


class Scope(StrEnum):
    READ = "read"
    WRITE_EVENTS = "write_events"
    WRITE_LEADS = "write_leads"
    ADMIN = "admin"


# What `leadqual create-token` grants when no --scope is given: everything an
# integration needs, but not the admin scope.
DEFAULT_SCOPES: tuple[Scope, ...] = (Scope.READ, Scope.WRITE_EVENTS, Scope.WRITE_LEADS)


# The most a token of a user in each role may hold: what the role may do in the
# app (docs/access-control.md). Only admins administer. A user without a role
# may do nothing; a token without a user (a machine token) is not capped.
ROLE_SCOPES: Mapping[Role, frozenset[Scope]] = {
    Role.SALES: frozenset({Scope.READ, Scope.WRITE_EVENTS, Scope.WRITE_LEADS}),
    Role.MARKETING: frozenset({Scope.READ, Scope.WRITE_EVENTS, Scope.WRITE_LEADS}),
    Role.ADMIN: frozenset(Scope),
}


def role_allows(role: Role | None, scope: Scope) -> bool:
    """Whether a user in ``role`` (None: without a role) may use ``scope``."""
    return role is not None and scope in ROLE_SCOPES[role]


class UnknownScope(LeadqualError):
    code = "unknown_scope"


class MissingScope(LeadqualError):
    """The API token lacks the scope an operation needs (HTTP 403)."""

    code = "missing_scope"


class ScopeBeyondRole(LeadqualError):
    """A token would get a scope its user's role does not allow."""

    code = "scope_beyond_role"


class RoleNotAllowed(LeadqualError):
    """The token's user is in a role that may not use the operation (HTTP 403)."""

    code = "role_not_allowed"


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
