"""Which scope each API operation needs, and the 403 when a token lacks it.

Each operation declares its scope with ``auth=BearerToken(scope=Scope.READ)``
(GET), ``Scope.WRITE_EVENTS`` (POST /events) or ``Scope.WRITE_LEADS`` (POST
/leads and feedback). The API's default, for an operation that declares
nothing, is the admin scope: a forgotten declaration locks out, never opens up.
The check runs with authentication, before the body is read, so a token
without the scope learns nothing from validation errors.
"""

from __future__ import annotations

from collections.abc import Collection

from django.http import HttpRequest
from django.utils.translation import gettext as _

from leadqual.users.models import ApiToken
from leadqual.users.permissions import user_role
from leadqual.users.roles import Role
from leadqual.users.scopes import MissingScope, RoleNotAllowed, Scope, role_allows


def require_scope(
    request: HttpRequest,
    token: ApiToken,
    scope: Scope,
    *,
    roles: Collection[Role] = tuple(Role),
) -> None:
    """Raise unless ``token`` may use an operation that needs ``scope``.

    MissingScope (HTTP 403 ``missing_scope``) when the token lacks the scope;
    RoleNotAllowed (HTTP 403 ``role_not_allowed``) when it has a user whose
    role does not allow the scope or is not one of ``roles``, the roles that
    may do the same in the app. A token without a user is not capped.
    """
    if not token.has_scope(scope):
        _refuse_missing_scope(request, token, scope)
    if token.user is None:
        return
    role = user_role(token.user)
    if role_allows(role, scope) and role in roles:
        return
    allowed = [role for role in Role if role in roles and role_allows(role, scope)]
    raise RoleNotAllowed(
        _(
            "This API token acts for a user with %(role)s, who may not use "
            "%(method)s %(path)s (allowed for: %(allowed)s). A token acts with at "
            "most its user's rights: use a token of a user who may, or ask an "
            "admin for one."
        )
        % {
            "role": _("the role %(role)s") % {"role": role.value}
            if role is not None
            else _("no role"),
            "method": request.method,
            "path": request.path,
            "allowed": ", ".join(role.value for role in allowed),
        }
    )


def _refuse_missing_scope(request: HttpRequest, token: ApiToken, scope: Scope) -> None:
    held = ", ".join(str(name) for name in token.scopes) or _("none")
    raise MissingScope(
        _(
            'This API token lacks the scope "%(scope)s", which %(method)s %(path)s '
            "needs (the token has: %(held)s). Ask an admin for a token with it: "
            "leadqual create-token NAME --scope %(scope)s"
        )
        % {
            "scope": scope.value,
            "method": request.method,
            "path": request.path,
            "held": held,
        }
    )
