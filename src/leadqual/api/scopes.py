"""Which scope each API operation needs, and the 403 when a token lacks it.

Each operation declares its scope with ``auth=BearerToken(scope=Scope.READ)``
(GET), ``Scope.WRITE_EVENTS`` (POST /events) or ``Scope.WRITE_LEADS`` (POST
/leads and feedback). The API's default, for an operation that declares
nothing, is the admin scope: a forgotten declaration locks out, never opens up.
The check runs with authentication, before the body is read, so a token
without the scope learns nothing from validation errors.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from leadqual.accounts.models import ApiToken
from leadqual.accounts.scopes import MissingScope, Scope


def require_scope(request: HttpRequest, token: ApiToken, scope: Scope) -> None:
    """Raise MissingScope (HTTP 403 ``missing_scope``) unless ``token`` has ``scope``."""
    if token.has_scope(scope):
        return
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
