"""Bearer-token authentication for every API operation."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from leadqual.api.errors import not_authenticated_message
from leadqual.api.scopes import require_scope
from leadqual.leads.models import Lead
from leadqual.leads.queries import visible_leads
from leadqual.users.models import ApiToken
from leadqual.users.roles import Role
from leadqual.users.scopes import Scope
from leadqual.users.services import (
    authenticate_token,
    is_token_of_deactivated_user,
)


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``, checked against the stored API tokens.

    On success Ninja sets ``request.auth`` to the ApiToken; ``request.api_token``
    and ``request.api_user`` are set too. Every failure is a 401 that says why.
    With a ``scope``, a usable token without that scope is a 403, and so is a
    token whose user's role is not in ``roles`` (api/scopes.py).
    """

    def __init__(
        self, *, scope: Scope | None = None, roles: Collection[Role] = tuple(Role)
    ) -> None:
        super().__init__()
        self.scope = scope
        self.roles = tuple(roles)

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        """The token of the request; raises AuthenticationError with a reason."""
        header = request.headers.get(self.header, "")
        if not header.strip():
            raise AuthenticationError(
                message=_("The request has no Authorization header. %(hint)s")
                % {"hint": not_authenticated_message()}
            )
        scheme, _space, secret = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not secret.strip():
            raise AuthenticationError(
                message=_(
                    'The Authorization header must be "Bearer <token>", got a '
                    '"%(scheme)s" header. %(hint)s'
                )
                % {"scheme": scheme[:20], "hint": not_authenticated_message()}
            )
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        """The usable ApiToken with this secret; raises AuthenticationError if none."""
        api_token = authenticate_token(token, now=timezone.now())
        if api_token is None and is_token_of_deactivated_user(token):
            raise AuthenticationError(
                message=_(
                    "The API token belongs to a user who has been deactivated, so it "
                    "no longer works. Ask an admin for a token of an active user."
                )
            )
        if api_token is None:
            # Never echo the secret: it may be a real token of another system.
            raise AuthenticationError(
                message=_("The API token is unknown, revoked or expired. %(hint)s")
                % {"hint": not_authenticated_message()}
            )
        # Set before the scope check, so a refused request is logged by its token.
        request.api_token = api_token  # type: ignore[attr-defined]
        request.api_user = api_token.user  # type: ignore[attr-defined]
        if self.scope is not None:
            require_scope(request, api_token, self.scope, roles=self.roles)
        return api_token


def token_of(request: HttpRequest) -> ApiToken:
    """The ApiToken that authenticated this request (set by BearerToken)."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        raise AuthenticationError(message=not_authenticated_message())
    return token


def user_of(request: HttpRequest) -> User | None:
    """The user the request's token belongs to, or None for a machine token."""
    return token_of(request).user


def leads_of(
    request: HttpRequest, leads: QuerySet[Lead] | None = None
) -> QuerySet[Lead]:
    """``leads`` (default: all) narrowed to those the token's user may see in the app.

    A machine token (no user) sees every lead.
    """
    user = user_of(request)
    base = Lead.objects.all() if leads is None else leads
    return base if user is None else visible_leads(user, base)
