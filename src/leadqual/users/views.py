"""The login page, throttled against password guessing (users.throttling), and
the page where a signed-in user changes their own password."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _

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


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change for every role; then the start page says it worked.

    The session stays signed in (Django updates its hash); other sessions of
    the user end.
    """

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response
