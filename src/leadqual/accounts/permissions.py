"""Who may see and do what in the web app, by role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from leadqual.accounts.roles import Role
from leadqual.accounts.services import role_of
from leadqual.leads.models import Lead


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


def visible_leads(user: User, leads: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """The leads a user may see: sales their own and unassigned ones, others all.

    With LEADQUAL_SALES_SEE_ALL_LEADS=true sales see every lead too; users
    without a role see none. ``leads`` narrows a query of the caller's (its
    order and annotations kept); without it, all leads. The pages and the
    API (for a token's user) both use this one rule.
    """
    base = Lead.objects.all() if leads is None else leads
    role = user_role(user)
    if role in (Role.ADMIN, Role.MARKETING):
        return base
    if role is Role.SALES and settings.SALES_SEE_ALL_LEADS:
        return base
    if role is Role.SALES:
        return base.filter(Q(owner=user) | Q(owner__isnull=True))
    return base.none()
