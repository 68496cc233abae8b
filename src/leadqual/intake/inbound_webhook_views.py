"""HTTP endpoints for the mail tools' webhooks (docs/webhooks.md).

Each view reads the raw body, checks its size and the tool's secret, parses
with ``intake.inbound_webhooks`` and stores through ``submit_webhook_events``. Errors
use the API's JSON error shape ``{"error": {"code", "message", "fields"}}``,
built here because intake sits below the api package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from leadqual.core.errors import LeadqualError
from leadqual.intake.inbound_webhooks import (
    MAX_WEBHOOK_BODY_BYTES,
    MalformedWebhook,
    ParsedWebhook,
    WebhookUnauthorized,
    parse_brevo,
    parse_generic,
    parse_mailchimp,
    parse_mandrill,
    parse_mautic,
    submit_webhook_events,
    verify_brevo,
    verify_generic,
    verify_mailchimp_key,
    verify_mandrill,
    verify_mautic,
)

logger = logging.getLogger(__name__)

# Reads the body and either returns the parsed events or raises.
Handler = Callable[[HttpRequest, bytes, str, datetime], ParsedWebhook]


def _error(
    status: int, code: str, message: str, fields: Mapping[str, str] | None = None
) -> JsonResponse:
    """The API's error shape, so clients handle one format."""
    body = {"error": {"code": code, "message": message, "fields": dict(fields or {})}}
    return JsonResponse(body, status=status)


def _disabled(tool: str, variable: str) -> JsonResponse:
    return _error(
        404,
        "webhook_disabled",
        f"The {tool} webhook is not enabled on this server. Set {variable} to enable it.",
    )


def _read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than MAX_WEBHOOK_BODY_BYTES."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BODY_BYTES:
        return None
    body = request.body
    return None if len(body) > MAX_WEBHOOK_BODY_BYTES else body


def _receive(
    request: HttpRequest,
    *,
    tool: str,
    secret: str | None,
    variable: str,
    handler: Handler,
) -> HttpResponse:
    """Verify, parse and store one webhook request; answer with counts as JSON."""
    if not secret:
        return _disabled(tool, variable)
    if request.method in ("GET", "HEAD"):
        # Mailchimp (GET) and Mandrill (HEAD) check that the URL answers when it is
        # registered; nothing is read or stored.
        return JsonResponse({"status": "ok", "webhook": tool})
    body = _read_body(request)
    if body is None:
        return _error(
            413,
            "request_too_large",
            f"The {tool} webhook body is larger than {MAX_WEBHOOK_BODY_BYTES:,} bytes. "
            "Send fewer events per request.",
        )
    now = timezone.now()
    try:
        parsed = handler(request, body, secret, now)
        outcome = submit_webhook_events(parsed, source=tool, now=now)
    except WebhookUnauthorized as error:
        logger.warning("Refused %s webhook: %s", tool, error.code)
        return _error(401, error.code, error.message)
    except MalformedWebhook as error:
        return _error(400, error.code, error.message, error.fields)
    except LeadqualError as error:
        return _error(400, error.code, error.message, error.fields)
    logger.info(
        "%s webhook: %s stored, %s duplicates, %s unknown emails",
        tool,
        outcome.accepted,
        outcome.duplicates,
        outcome.unknown_email,
    )
    return JsonResponse(
        {
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "ignored": {
                "unknown_email": outcome.unknown_email,
                "not_tracked": outcome.not_tracked,
            },
            "contactability": {
                "unsubscribed": outcome.unsubscribed,
                "hard_bounced": outcome.hard_bounced,
            },
            "rejected": [
                {"index": item.index, "field": item.field, "message": item.message}
                for item in outcome.rejected
            ],
        }
    )


def _headers(request: HttpRequest) -> Mapping[str, str]:
    return dict(request.headers.items())


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def mailchimp(request: HttpRequest, key: str = "") -> HttpResponse:
    """Mailchimp audience webhooks, authenticated by the key in the URL."""

    def handle(
        request: HttpRequest, body: bytes, secret: str, now: datetime
    ) -> ParsedWebhook:
        return parse_mailchimp(body)

    secret: str | None = settings.WEBHOOK_MAILCHIMP_KEY
    if secret:
        given = key or request.GET.get("key", "")
        try:
            verify_mailchimp_key(given, secret)
        except WebhookUnauthorized as error:
            return _error(401, error.code, error.message)
    return _receive(
        request,
        tool="mailchimp",
        secret=secret,
        variable="LEADQUAL_WEBHOOK_MAILCHIMP_KEY",
        handler=handle,
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def mandrill(request: HttpRequest) -> HttpResponse:
    """Mailchimp Transactional (Mandrill) webhooks, signed with X-Mandrill-Signature."""

    def handle(
        request: HttpRequest, body: bytes, secret: str, now: datetime
    ) -> ParsedWebhook:
        # Mandrill signs the URL as registered; behind a proxy, Django needs
        # USE_X_FORWARDED_HOST and SECURE_PROXY_SSL_HEADER to rebuild it.
        url = request.build_absolute_uri()
        verify_mandrill(_headers(request), body, secret, url=url)
        return parse_mandrill(body)

    return _receive(
        request,
        tool="mandrill",
        secret=settings.WEBHOOK_MANDRILL_KEY,
        variable="LEADQUAL_WEBHOOK_MANDRILL_KEY",
        handler=handle,
    )


@csrf_exempt
@require_http_methods(["POST"])
def brevo(request: HttpRequest) -> HttpResponse:
    """Brevo webhooks, authenticated by a bearer token or basic auth."""

    def handle(
        request: HttpRequest, body: bytes, secret: str, now: datetime
    ) -> ParsedWebhook:
        verify_brevo(_headers(request), secret)
        return parse_brevo(body)

    return _receive(
        request,
        tool="brevo",
        secret=settings.WEBHOOK_BREVO_TOKEN,
        variable="LEADQUAL_WEBHOOK_BREVO_TOKEN",
        handler=handle,
    )


@csrf_exempt
@require_http_methods(["POST"])
def mautic(request: HttpRequest) -> HttpResponse:
    """Mautic webhooks, signed with Webhook-Signature."""

    def handle(
        request: HttpRequest, body: bytes, secret: str, now: datetime
    ) -> ParsedWebhook:
        verify_mautic(_headers(request), body, secret)
        return parse_mautic(body)

    return _receive(
        request,
        tool="mautic",
        secret=settings.WEBHOOK_MAUTIC_SECRET,
        variable="LEADQUAL_WEBHOOK_MAUTIC_SECRET",
        handler=handle,
    )


@csrf_exempt
@require_http_methods(["POST"])
def generic(request: HttpRequest) -> HttpResponse:
    """The generic leadqual format, signed with X-Leadqual-Signature."""

    def handle(
        request: HttpRequest, body: bytes, secret: str, now: datetime
    ) -> ParsedWebhook:
        verify_generic(_headers(request), body, secret, now=now)
        return parse_generic(body)

    return _receive(
        request,
        tool="generic",
        secret=settings.WEBHOOK_GENERIC_SECRET,
        variable="LEADQUAL_WEBHOOK_GENERIC_SECRET",
        handler=handle,
    )
