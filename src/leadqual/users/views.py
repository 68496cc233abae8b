"""The login page, throttled against password guessing (users.throttling)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from leadqual.users.throttling import client_address, login_throttle

TOO_MANY_REQUESTS = 429


class LoginView(auth_views.LoginView):
    """Django's login page; past the failure limit it answers 429 and says why.

    A throttled login is refused before the form is validated, so the
    password is not even checked.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Log in, unless this account or address has failed too often lately."""
        username = str(request.POST.get("username", ""))
        throttle = login_throttle(username, client_address(request), now=timezone.now())
        if throttle is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form_class()(request, initial={"username": username[:150]})
        context = self.get_context_data(form=form, throttled=throttle.message)
        response = self.render_to_response(context, status=TOO_MANY_REQUESTS)
        response["Retry-After"] = str(throttle.retry_after_seconds)
        return response
