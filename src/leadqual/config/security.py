"""Security headers, the Content-Security-Policy, and a clear 413 for big requests.

``SecurityHeadersMiddleware`` sits right after Django's SecurityMiddleware
(which sets HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy from
the settings) and adds what Django 5.2 does not: a Permissions-Policy on every
response and a Content-Security-Policy on every HTML page.

The policy allows no inline script, no inline style and no eval: every
script and stylesheet is a file served by leadqual itself. Pages that may be
shown inside an iframe on the business's website (the intake form and its
thank-you page: the views marked ``@xframe_options_exempt``) get the
configured ``frame-ancestors`` (LEADQUAL_FORM_FRAME_ANCESTORS, default any
site) instead of ``'none'``. There are no exceptions by path: Django 5.2's
admin and Ninja's Swagger page (/api/v1/docs) load their scripts and styles
from files and set styles through the DOM, which CSP allows
(tests/browser/test_csp.py visits them). With DEBUG on, error pages carry no
policy: Django's technical 404 and 500 pages are styled and scripted inline.

A request body larger than Django accepts (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
set by LEADQUAL_MAX_REQUEST_BYTES) raises ``RequestDataTooBig``. Django
would answer a bare "Bad Request (400)"; here it becomes a 413 with a
message: a page for browsers, the API's JSON error shape for JSON clients.
The view that reads the body raises it (caught by ``process_exception``);
CSRF checking, which reads the body before the view, makes Django call the
400 handler, ``error_pages.bad_request`` (``handler400`` in config/urls.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Powerful browser features leadqual never uses, switched off for every page
# and for whatever a page might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)

# The policy of every HTML page, directive -> sources, in header order.
BASE_POLICY: Mapping[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
    "base-uri": ("'self'",),
    "object-src": ("'none'",),
}

# A frame-ancestors source: *, 'self', or an origin such as https://www.example.nl,
# https://*.example.nl or www.example.nl:8443 (CSP's host-source).
_FRAME_ANCESTOR = re.compile(
    r"^(\*|'self'|([a-z][a-z0-9+.-]*://)?(\*\.)?[a-z0-9.-]+(:(\d{1,5}|\*))?)$",
    re.IGNORECASE,
)

# Paths whose clients read JSON, whatever their Accept header says.
_JSON_PATH_PREFIXES = ("/api/", "/t/", "/webhooks/")

GetResponse = Callable[[HttpRequest], HttpResponse]


def parse_frame_ancestors(
    values: Sequence[str], *, variable: str = "LEADQUAL_FORM_FRAME_ANCESTORS"
) -> tuple[str, ...]:
    """The sites that may show the form in an iframe, as CSP sources.

    Raises ImproperlyConfigured naming ``variable`` for an empty list or a
    value that is not a CSP host source.
    """
    if not values:
        raise ImproperlyConfigured(
            f"{variable} is empty. Use * (any site) or a comma-separated list of "
            "origins, for example https://www.example.nl,https://example.nl."
        )
    for value in values:
        if not _FRAME_ANCESTOR.match(value):
            raise ImproperlyConfigured(
                f'{variable} holds "{value}", which is not a site. Use * (any site) '
                "or origins such as https://www.example.nl or https://*.example.nl, "
                "separated by commas."
            )
    return tuple(values)


def content_security_policy(*, frame_ancestors: Sequence[str] | None = None) -> str:
    """The Content-Security-Policy header value for an HTML page.

    ``frame_ancestors`` replaces ``'none'`` for pages that may be framed;
    None keeps ``'none'``.
    """
    policy = dict(BASE_POLICY)
    if frame_ancestors is not None:
        policy["frame-ancestors"] = tuple(frame_ancestors)
    return "; ".join(
        f"{directive} {' '.join(sources)}" for directive, sources in policy.items()
    )


def _is_html(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("text/html")


def add_security_headers(response: HttpResponse) -> None:
    """Set Permissions-Policy, and on HTML pages the Content-Security-Policy.

    A page a view marked ``@xframe_options_exempt`` (the form) may be framed
    by LEADQUAL_FORM_FRAME_ANCESTORS. A header a view set itself is kept.
    """
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if not _is_html(response) or "Content-Security-Policy" in response:
        return
    if settings.DEBUG and response.status_code >= 400:
        # Django's technical error pages; with DEBUG on, only developers see them.
        return
    framable = getattr(response, "xframe_options_exempt", False)
    frame_ancestors: Sequence[str] | None = (
        settings.FORM_FRAME_ANCESTORS if framable else None
    )
    response["Content-Security-Policy"] = content_security_policy(
        frame_ancestors=frame_ancestors
    )


def wants_json(request: HttpRequest) -> bool:
    """The client reads JSON: an API, tracker or webhook path, or its headers say so."""
    if request.path_info.startswith(_JSON_PATH_PREFIXES):
        return True
    if request.content_type == "application/json":
        return True
    return not request.accepts("text/html") and request.accepts("application/json")


def request_too_large(request: HttpRequest) -> HttpResponse:
    """A 413 saying how much is accepted: JSON for JSON clients, else a page.

    The form and its thank-you page may be framed, so this page may be too:
    a visitor in the iframe then reads the message instead of a blocked frame,
    for the embedded form (/form/embed/) without leadqual's top bar.
    """
    limit_bytes: int = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    logger.info(
        "Refused %s %s: body larger than %s bytes",
        request.method,
        request.path_info,
        limit_bytes,
    )
    message = _(
        "What you sent is larger than the %(limit)s this server accepts. "
        "Send less, or split it over several requests."
    ) % {"limit": filesizeformat(limit_bytes)}
    if wants_json(request):
        body = {
            "error": {"code": "request_too_large", "message": message, "fields": {}}
        }
        return JsonResponse(body, status=413)
    embedded = request.path == reverse("intake:form-embedded")
    context = {
        "message": message,
        # Inside the iframe on the business's site: without leadqual's top bar.
        "base_template": "intake/embedded_base.html" if embedded else "base.html",
    }
    response = render(request, "413.html", context, status=413)
    response.xframe_options_exempt = embedded or request.path == reverse("intake:form")
    return response


class SecurityHeadersMiddleware:
    """Adds Permissions-Policy and the CSP; turns RequestDataTooBig into a 413."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_security_headers(response)
        return response

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        """A view read a body over the limit: answer 413 instead of Django's 400."""
        if isinstance(exception, RequestDataTooBig):
            return request_too_large(request)
        return None
