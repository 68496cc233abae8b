"""Template context shared by every page: the user's role for the navigation."""

from __future__ import annotations

from django.http import HttpRequest

from leadqual.users.permissions import user_role
from leadqual.users.roles import Role


def navigation(request: HttpRequest) -> dict[str, object]:
    role = user_role(request.user) if hasattr(request, "user") else None
    return {
        "user_role": role.value if role else "",
        "can_see_kpis": role in (Role.MARKETING, Role.ADMIN),
        "is_sales": role is Role.SALES,
        "is_admin": role is Role.ADMIN,
    }
