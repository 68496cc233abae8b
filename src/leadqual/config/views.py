"""Project-wide pages: the start page sends each role where its work is."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from leadqual.users.permissions import user_role
from leadqual.users.roles import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Sales start at their queue, marketing and admins at the lead list."""
    if user_role(request.user) is Role.SALES:
        return redirect("triage:queue")
    return redirect("leads:lead-list")
