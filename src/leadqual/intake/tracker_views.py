"""The tracking script and its two endpoints, called from other sites' pages.

``/t.js`` is public and cacheable. ``/t/collect`` and ``/t/identify`` are
cross-site by design: they are CSRF exempt (no cookie of leadqual's is
involved) and instead accept only the exact origins of active tracked sites,
answering CORS for that origin only. The origin check keeps other websites'
pages out, not scripts: identify must also carry a token signed by the
site's backend (intake.tracker). Every refusal is a JSON error in the API's
shape, never a 500. docs/openapi/tracker-and-webhooks.yaml describes both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from leadqual.intake.models import TrackedSite
from leadqual.intake.ratelimit import client_address
from leadqual.intake.scripts import script_response
from leadqual.intake.tracker import (
    IdentifyNotSigned,
    TrackerError,
    TrackerRateLimited,
    check_payload_size,
    check_tracker_rate_limit,
    identify_visitor,
    is_bot,
    parse_collect,
    parse_identify,
    record_visit,
    site_for_origin,
)
from leadqual.intake.tracker_tasks import stitch_identified_visitor_task

logger = logging.getLogger(__name__)

SCRIPT_PATH = Path(__file__).resolve().parent / "static" / "intake" / "t.js"
# Browsers may reuse a preflight answer this long (Chromium caps it at 2 hours).
PREFLIGHT_MAX_AGE_SECONDS = 7200


@require_GET
def tracker_script(request: HttpRequest) -> HttpResponse:
    """The tracking script, for any site to include; it sends nothing before consent."""
    return script_response(request, SCRIPT_PATH)


def _error(error: TrackerError) -> JsonResponse:
    body = {
        "error": {"code": error.code, "message": error.message, "fields": error.fields}
    }
    response = JsonResponse(body, status=error.status)
    if isinstance(error, TrackerRateLimited):
        response["Retry-After"] = str(error.retry_after_seconds)
    return response


def _allow(response: HttpResponse, site: TrackedSite) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = site.origin
    response["Vary"] = "Origin"
    return response


def _preflight(site: TrackedSite) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return _allow(response, site)


def _tracker_endpoint(
    request: HttpRequest,
    handle: Callable[[HttpRequest, TrackedSite], HttpResponse],
    *,
    identify: bool = False,
) -> HttpResponse:
    """Origin, preflight, bot, size and rate-limit checks shared by both endpoints."""
    try:
        site = site_for_origin(request.headers.get("Origin"))
    except TrackerError as error:
        logger.info("Tracking request refused: origin not allowed")
        return _error(error)
    if request.method == "OPTIONS":
        return _preflight(site)
    if is_bot(request.headers.get("User-Agent", "")):
        return _allow(HttpResponse(status=204), site)
    try:
        # Before reading the body: a huge body is refused unread.
        check_payload_size(request.headers.get("Content-Length"), None)
        check_payload_size(None, len(request.body))
        check_tracker_rate_limit(
            client_address(request), site, now=timezone.now(), identify=identify
        )
        return _allow(handle(request, site), site)
    except TrackerError as error:
        if error.status in (403, 429) or isinstance(error, IdentifyNotSigned):
            logger.info("Tracking request of site %s refused: %s", site.pk, error.code)
        return _allow(_error(error), site)


def _collect(request: HttpRequest, site: TrackedSite) -> HttpResponse:
    result = record_visit(
        site, parse_collect(request.body, site=site), now=timezone.now()
    )
    return JsonResponse({"stored": result.stored, "duplicates": result.duplicates})


def _schedule_stitch(visitor_id: int, lead_id: int | None) -> None:
    stitch_identified_visitor_task(visitor_id, lead_id)


def _identify(request: HttpRequest, site: TrackedSite) -> HttpResponse:
    now = timezone.now()
    identify_visitor(
        site,
        parse_identify(request.body, site=site, now=now),
        now=now,
        schedule=_schedule_stitch,
    )
    # The same answer, after the same work, whether or not a lead has the
    # email: the endpoint must not tell who is a lead.
    return JsonResponse({"accepted": True}, status=202)


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def collect(request: HttpRequest) -> HttpResponse:
    """Store a visitor's page views, downloads and clicks (after cookie consent)."""
    return _tracker_endpoint(request, _collect)


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def identify(request: HttpRequest) -> HttpResponse:
    """Link the visitor to an existing lead by a signed email; never creates a lead."""
    return _tracker_endpoint(request, _identify, identify=True)
