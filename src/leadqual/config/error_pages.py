"""The pages for 400, 403, 404 and 500, and for a failed CSRF check.

Browsers get a page in the app's style and language that says what happened
and where to go next; JSON clients (``security.wants_json``: the API, the
tracker, webhooks) get the API's error shape. 400, 403 and 404 extend
base.html, so a signed-in user keeps the menu. The 500 page renders without
the request: no context processors, no database, no session, since any of
them may be what failed.

The intake form and its thank-you page may be framed on the business's
website; their error pages may be framed too, so the visitor reads the
message instead of a blocked frame.

With DEBUG on, Django answers a 404 or a 500 with its technical page and
never calls these views; ``make demo`` runs without DEBUG for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _

from leadqual.config.security import request_too_large, wants_json
from leadqual.users.permissions import user_role
from leadqual.users.roles import ROLE_LABELS, Role

# Views whose pages may be shown in an iframe on another site (intake/views.py).
FRAMABLE_VIEWS = frozenset(
    {"intake:form", "intake:thanks", "intake:form-embedded", "intake:thanks-embedded"}
)


@dataclass(frozen=True, slots=True)
class WayOn:
    """The link an error page offers as the next step."""

    url: str
    label: str


def way_on(request: HttpRequest) -> WayOn:
    """Sales go to their queue, other roles to the leads, visitors to the login."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return WayOn(reverse("login"), _("Log in"))
    if user_role(user) is Role.SALES:
        return WayOn(reverse("triage:queue"), _("Go to your queue"))
    return WayOn(reverse("leads:lead-list"), _("Go to the leads"))


def _may_be_framed(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in FRAMABLE_VIEWS


def _json_error(code: str, message: str, *, status: int) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": {}}}
    return JsonResponse(body, status=status)


def _page(
    request: HttpRequest,
    *,
    status: int,
    heading: str,
    message: str,
    code: str,
    json_message: str | None = None,
) -> HttpResponse:
    if wants_json(request):
        return _json_error(code, json_message or message, status=status)
    context = {
        "status": status,
        "heading": heading,
        "message": message,
        "way_on": way_on(request),
    }
    response = render(request, "error.html", context, status=status)
    response.xframe_options_exempt = _may_be_framed(request)
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400; a body over the size limit (seen by the CSRF check) is a 413."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    return _page(
        request,
        status=400,
        code="bad_request",
        heading=_("This request could not be handled"),
        message=_(
            "The address or what your browser sent was not understood. Check the "
            "address, or go back and try again."
        ),
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403: the user's role does not include this page."""
    role = user_role(request.user) if hasattr(request, "user") else None
    if role is None:
        message = _(
            "Your account may not open this page. If you need it, ask an admin "
            "for access."
        )
    else:
        message = _(
            "Your role (%(role)s) does not include this page. If you need it, ask "
            "an admin to change your role."
        ) % {"role": ROLE_LABELS[role]}
    return _page(
        request,
        status=403,
        code="forbidden",
        heading=_("You may not open this page"),
        message=message,
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: no page here, or nothing here this user may see."""
    return _page(
        request,
        status=404,
        code="not_found",
        heading=_("Page not found"),
        message=_(
            "There is nothing at this address for you: the link may be mistyped, "
            "or the lead was merged, erased or belongs to another salesperson."
        ),
        json_message=_("There is nothing at this address."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a form whose security token is missing or stale (CSRF_FAILURE_VIEW)."""
    return _page(
        request,
        status=403,
        code="csrf_failed",
        heading=_("This form has expired"),
        message=_(
            "The page was open for a long time, you signed in or out in between, "
            "or your browser blocks cookies for this site. Go back, reload the "
            "page and send it again."
        ),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500, rendered without the request: the database may be what failed."""
    message = _(
        "The error has been logged. Try again in a minute; if it keeps happening, "
        "tell your admin what you did and when."
    )
    if wants_json(request):
        return _json_error("server_error", message, status=500)
    html = loader.get_template("500.html").render({"message": message})
    response = HttpResponse(html, status=500)
    response.xframe_options_exempt = _may_be_framed(request)
    return response
