"""Who may see and do what in the web app, by role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from leadqual.users.roles import Role
from leadqual.users.services import role_of


def user_role(user: User | AnonymousUser) -> Role | None:
    """The role of a signed-in user, None for anonymous users or users without one."""
    if not user.is_authenticated or not isinstance(user, User):
        return None
    cached: Role | None = getattr(user, "_leadqual_role", None)
    if cached is None:
        cached = role_of(user)
        user._leadqual_role = cached  # type: ignore[attr-defined]
    return cached


def role_required(
    *roles: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow a view only to signed-in users in one of ``roles`` (403 otherwise)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(
            request: HttpRequest, *args: object, **kwargs: object
        ) -> HttpResponse:
            if user_role(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


def can_reassign(user: User | AnonymousUser, owner_id: int | None) -> bool:
    """Admins reassign any lead; salespeople only the leads they own.

    Marketing reads along and reassigns nothing.
    """
    role = user_role(user)
    if role is Role.ADMIN:
        return True
    return role is Role.SALES and owner_id is not None and owner_id == user.pk
