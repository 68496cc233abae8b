"""Website tracking: what the tracking script (``/t.js``) sends, and stitching.

The script sends nothing until the site's cookie banner calls
``window.leadqual.consent()``. From then on it posts small JSON requests to
``/t/collect`` under a random, anonymous visitor id. Each request is checked
here (origin, bot, size, rate limit, every field) before anything is stored.

Trust: anyone can send these requests (an Origin header is easy to forge),
so what the browser reports is a hint, never proof. It may report only
TRACKABLE_TYPES (page views, downloads, clicks); a meeting, a reply or a
form submission is refused. And its events reach a lead only once the
visitor was stitched by a trusted source:

- the leadqual form, for the lead it creates, or for a known lead once the
  person confirmed by the mailed link (intake.confirmation);
- ``identify`` with a token the site's backend signed with the site's
  identify secret (visitor id, email, expiry; HMAC-SHA256).

Stitching copies the visitor's anonymous events to the lead through the
pipeline (``intake.pipeline.receive``), once: the Event's external id is
derived from the VisitorEvent's id. Later events of a stitched visitor go to
the lead straight away, through the pipeline too.

Privacy: URLs and referrers are stored without their query string and
fragment (which may hold an email address or a session token); UTM
parameters are kept separately. Addresses are only stored as salted hashes,
for the rate limit, for one hour (see intake.ratelimit). See docs/tracking.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from leadqual.core.errors import InvalidEmail, LeadqualError
from leadqual.core.events import EventType, JsonValue
from leadqual.core.hygiene import normalise_email
from leadqual.core.scoring import ScoreTrigger
from leadqual.intake.models import FormAttempt, TrackedSite, Visitor, VisitorEvent
from leadqual.intake.pipeline import Arrivals, EventInput, receive, run_with_retry
from leadqual.intake.ratelimit import WINDOW, address_hash
from leadqual.leads.models import Event, Lead
from leadqual.scoring.services import Rescored

logger = logging.getLogger(__name__)

# The Event.source of everything the tracker stores, and the score trigger.
TRACKER_SOURCE = "tracker"
# The largest request body the collect and identify endpoints read, in bytes.
MAX_PAYLOAD_BYTES = 8 * 1024
MAX_EVENTS_PER_REQUEST = 20
MAX_PROPERTIES_BYTES = 4 * 1024
# identify() calls per visitor address per hour: each one may link a lead.
IDENTIFY_RATE_LIMIT = 20
# The script makes 32 hex digits (16 random bytes); other clients may use
# any id of 16-64 letters, digits, "-" or "_".
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")

# What a visitor's browser may report. Anyone can send these (the Origin
# header proves nothing), so they reach a lead only once the visitor was
# stitched by a trusted source: the leadqual form or a signed identify.
TRACKABLE_TYPES: tuple[EventType, ...] = (
    EventType.PAGE_VIEW,
    EventType.DOWNLOAD,
    EventType.DEMO_REQUEST,
    EventType.WEBINAR,
    EventType.CHAT,
)
# Only a trusted source may report these: a meeting or a reply (sales, the
# API with a token, the mail webhooks), a form submission (the leadqual form).
# From the browser they are refused with 400, whatever else the request holds.
TRUSTED_ONLY_TYPES: tuple[EventType, ...] = tuple(
    event_type for event_type in EventType if event_type not in TRACKABLE_TYPES
)
# An identify token may be valid at most this long: the site's backend signs
# it when it renders the page, and a leaked one stops working soon.
IDENTIFY_TOKEN_MAX_LIFETIME = timedelta(hours=24)
# "<expires>.<64 hex digits>": the Unix time in seconds, and the HMAC-SHA256.
_IDENTIFY_TOKEN = re.compile(r"^([0-9]{1,11})\.([0-9a-f]{64})$")
UTM_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Every property an event may carry, with its longest accepted text.
PROPERTY_MAX_LENGTHS: Mapping[str, int] = {
    "url": 2000,
    "title": 300,
    "referrer": 2000,
    "asset": 200,
    "element": 200,
    "form": 100,
    **dict.fromkeys(UTM_PARAMETERS, 200),
}
_URL_PROPERTIES = ("url", "referrer")

# Case-insensitive parts of the User-Agent of crawlers, link previewers and
# scripts; an empty User-Agent counts as a bot too. Headless Chrome is not
# listed: leadqual's own browser tests run in it, and real bots that use it
# mostly hide it anyway.
BOT_USER_AGENT_PATTERNS: tuple[str, ...] = (
    "bot",
    "crawler",
    "spider",
    "slurp",
    "crawling",
    "facebookexternalhit",
    "embedly",
    "preview",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "httpx",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "scrapy",
)


class TrackerError(LeadqualError):
    """A tracking request that is refused; ``status`` is its HTTP status."""

    status: ClassVar[int] = 400


class OriginNotAllowed(TrackerError):
    code = "origin_not_allowed"
    status = 403


class PayloadTooLarge(TrackerError):
    code = "payload_too_large"
    status = 413


class MalformedPayload(TrackerError):
    code = "invalid_json"
    status = 400


class InvalidTrackerData(TrackerError):
    code = "invalid_tracking_data"
    status = 422


class TrustedSourceOnly(TrackerError):
    """An event type the browser may not report (a meeting, a reply, ...)."""

    code = "trusted_source_only"
    status = 400


class IdentifyNotSigned(TrackerError):
    code = "identify_not_signed"
    status = 400


class InvalidIdentifyToken(TrackerError):
    code = "invalid_identify_token"
    status = 403


class IdentifyTokenExpired(TrackerError):
    code = "identify_token_expired"
    status = 403


class TrackerRateLimited(TrackerError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class VisitorAlreadyIdentified(LeadqualError):
    """The visitor is already stitched to another lead; it stays with that one."""

    code = "visitor_already_identified"


# --- the checks every request passes -------------------------------------------------


def site_for_origin(origin: str | None) -> TrackedSite:
    """The active tracked site with exactly this origin.

    Raises OriginNotAllowed (nothing is stored) for a missing or unknown origin.
    """
    if not origin:
        raise OriginNotAllowed(
            "The request has no Origin header. Only the tracking script on a "
            "tracked site may send data; add the site at /admin/intake/trackedsite/."
        )
    site = TrackedSite.objects.filter(origin=origin, is_active=True).first()
    if site is None:
        raise OriginNotAllowed(
            f'The origin "{origin[:255]}" is not an active tracked site. Add it, with '
            "scheme and port exactly as the browser sends it, at "
            "/admin/intake/trackedsite/."
        )
    return site


def is_bot(user_agent: str) -> bool:
    """True when the User-Agent is empty or names a crawler, previewer or script."""
    agent = user_agent.strip().casefold()
    return not agent or any(pattern in agent for pattern in BOT_USER_AGENT_PATTERNS)


def check_payload_size(content_length: str | None, body_length: int | None) -> None:
    """Raises PayloadTooLarge when the body is over MAX_PAYLOAD_BYTES."""
    try:
        declared = int(content_length or 0)
    except ValueError:
        declared = 0
    size = max(declared, body_length or 0)
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"The request body is {size:,} bytes; at most {MAX_PAYLOAD_BYTES:,} are "
            f"accepted. Send at most {MAX_EVENTS_PER_REQUEST} events per request."
        )


def check_tracker_rate_limit(
    address: str, site: TrackedSite, *, now: datetime, identify: bool = False
) -> None:
    """Count one request from ``address`` to ``site``, or refuse it.

    Limits per rolling hour: settings.TRACKER_ADDRESS_RATE_LIMIT per address,
    settings.TRACKER_SITE_RATE_LIMIT per site, and IDENTIFY_RATE_LIMIT
    identify calls per address. Uses the form's attempt table with keys of
    its own, so the form's and the tracker's counts never mix. Raises
    TrackerRateLimited (nothing counted) when a limit is reached.
    """
    limits = [
        (f"tracker:address:{address}", int(settings.TRACKER_ADDRESS_RATE_LIMIT)),
        (f"tracker:site:{site.pk}", int(settings.TRACKER_SITE_RATE_LIMIT)),
    ]
    if identify:
        limits.append((f"tracker:identify:{address}", IDENTIFY_RATE_LIMIT))
    since = now - WINDOW
    hashes = []
    for key, limit in limits:
        hashed = address_hash(key)
        hashes.append(hashed)
        recent = FormAttempt.objects.filter(address_hash=hashed, attempted_at__gt=since)
        count = recent.count()
        if count >= limit:
            oldest_counted = recent.order_by("attempted_at").values_list(
                "attempted_at", flat=True
            )[count - limit]
            wait = max(1, math.ceil((oldest_counted + WINDOW - now).total_seconds()))
            raise TrackerRateLimited(
                f"Too many tracking requests: at most {limit:,} per hour are accepted "
                f"from one {'site' if key.startswith('tracker:site:') else 'address'}"
                f". Try again in {wait} seconds.",
                retry_after_seconds=wait,
            )
    with transaction.atomic():
        FormAttempt.objects.filter(attempted_at__lte=since).delete()
        FormAttempt.objects.bulk_create(
            FormAttempt(address_hash=hashed, attempted_at=now) for hashed in hashes
        )


# --- reading a request ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrackedEventIn:
    """One validated event from the script: its client id, type and properties."""

    event_id: str
    type: EventType
    properties: Mapping[str, JsonValue]


@dataclass(frozen=True, slots=True)
class CollectRequest:
    visitor_id: str
    events: list[TrackedEventIn]


@dataclass(frozen=True, slots=True)
class IdentifyRequest:
    visitor_id: str
    email: str


def _invalid(field: str, message: str) -> InvalidTrackerData:
    return InvalidTrackerData(f'"{field}" {message}', fields={field: message})


def _load_object(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedPayload(
            "The request body is not JSON in UTF-8. Send an object such as "
            '{"visitor_id": "...", "consent": true, "events": [...]}.'
        ) from None
    if not isinstance(data, dict):
        raise MalformedPayload(
            "The request body must be a JSON object, such as "
            '{"visitor_id": "...", "consent": true, "events": [...]}.'
        )
    _check_storable(data, where="")
    return data


def _unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored or signed, or None."""
    # PostgreSQL refuses NUL; no UTF-8 text holds a lone surrogate, such as
    # JSON's "\ud800" without its pair.
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored; remove it."
    if any("\ud800" <= char <= "\udfff" for char in text):
        return (
            "contains a lone surrogate (half of a character pair), which cannot be "
            "stored; send the whole character or remove it."
        )
    return None


def _check_storable(value: object, *, where: str) -> None:
    """Raise InvalidTrackerData naming the first text (or name) that cannot be stored."""
    if isinstance(value, str):
        problem = _unstorable(value)
        if problem is not None:
            raise _invalid(where or "body", problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            problem = _unstorable(str(key))
            if problem is not None:
                raise _invalid(where or "body", f"has a name that {problem}")
            _check_storable(item, where=name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_storable(item, where=f"{where}[{index}]")


def _check_known_keys(
    data: Mapping[str, object], known: Sequence[str], *, where: str
) -> None:
    for key in data:
        if key not in known:
            raise _invalid(
                f"{where}{key}",
                f"is not a field leadqual reads. Use only {', '.join(known)}.",
            )


def _visitor_id(data: Mapping[str, object]) -> str:
    value = data.get("visitor_id")
    if not isinstance(value, str) or not _VISITOR_ID.fullmatch(value):
        raise _invalid(
            "visitor_id",
            "must be 16-64 letters, digits, '-' or '_' (the script makes 32 hex "
            "digits).",
        )
    return value


def _check_consent(data: Mapping[str, object]) -> None:
    if data.get("consent") is not True:
        raise _invalid(
            "consent",
            "must be true: send data only after the visitor accepted cookies "
            "(the site calls window.leadqual.consent()).",
        )


def _url_scheme(url: str) -> str:
    """The URL's scheme, or "" when it is not a URL (e.g. "http://[broken")."""
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _properties(
    value: object, *, where: str, event_type: EventType, site: TrackedSite
) -> dict[str, JsonValue]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _invalid(f"{where}properties", 'must be an object, e.g. {"url": "..."}.')
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > MAX_PROPERTIES_BYTES:
        raise _invalid(
            f"{where}properties",
            f"are {size:,} bytes; at most {MAX_PROPERTIES_BYTES:,} are accepted.",
        )
    known = list(PROPERTY_MAX_LENGTHS)
    _check_known_keys(value, known, where=f"{where}properties.")
    properties: dict[str, JsonValue] = {}
    for key, text in value.items():
        name = f"{where}properties.{key}"
        if not isinstance(text, str):
            raise _invalid(name, "must be a text.")
        limit = PROPERTY_MAX_LENGTHS[key]
        if len(text) > limit:
            raise _invalid(
                name, f"is {len(text):,} characters; at most {limit:,} are accepted."
            )
        if key in _URL_PROPERTIES and text:
            if _url_scheme(text) not in ("http", "https"):
                raise _invalid(name, f'"{text[:100]}" is not an http(s) URL.')
            text = _without_query(text)
        if text:
            properties[key] = text
    if event_type is EventType.PAGE_VIEW:
        url = properties.get("url")
        if not isinstance(url, str):
            raise _invalid(f"{where}properties.url", "is required for a page_view.")
        if url != site.origin and not url.startswith(f"{site.origin}/"):
            raise _invalid(
                f"{where}properties.url",
                f'"{url[:100]}" is not a page of {site.origin}, the site that sent it.',
            )
    return properties


def _event(raw: object, *, index: int, site: TrackedSite) -> TrackedEventIn:
    where = f"events[{index}]."
    if not isinstance(raw, dict):
        raise _invalid(
            f"events[{index}]", "must be an object with id, type, properties."
        )
    _check_known_keys(raw, ("id", "type", "properties"), where=where)
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise _invalid(
            f"{where}id",
            "must be 8-100 letters, digits, '.', ':', '-' or '_', unique per event, "
            "and the same when the event is sent again.",
        )
    allowed = ", ".join(event_type.value for event_type in TRACKABLE_TYPES)
    event_type = raw.get("type")
    if isinstance(event_type, str) and event_type in TRUSTED_ONLY_TYPES:
        message = (
            f'"{event_type}" can only be reported by a trusted source (the API with '
            "a token, the leadqual form, the mail webhooks), not by the tracking "
            f"script. Nothing of this request was stored. Use one of {allowed}."
        )
        raise TrustedSourceOnly(
            f'events[{index}] (id "{str(event_id)[:100]}"): {message}',
            fields={f"{where}type": message},
        )
    if not isinstance(event_type, str) or event_type not in TRACKABLE_TYPES:
        raise _invalid(
            f"{where}type", f'"{event_type}" cannot be tracked. Use one of {allowed}.'
        )
    kind = EventType(event_type)
    properties = _properties(
        raw.get("properties"), where=where, event_type=kind, site=site
    )
    return TrackedEventIn(event_id=event_id, type=kind, properties=properties)


def parse_collect(body: bytes, *, site: TrackedSite) -> CollectRequest:
    """The visitor id and events of a collect request.

    Raises MalformedPayload (not a JSON object) or InvalidTrackerData naming
    the first bad field, e.g. ``events[0].type``.
    """
    data = _load_object(body)
    _check_known_keys(data, ("visitor_id", "consent", "events"), where="")
    _check_consent(data)
    visitor_id = _visitor_id(data)
    raws = data.get("events")
    if not isinstance(raws, list) or not raws:
        raise _invalid("events", "must be a list of 1 or more events.")
    if len(raws) > MAX_EVENTS_PER_REQUEST:
        raise _invalid(
            "events",
            f"holds {len(raws)} events; at most {MAX_EVENTS_PER_REQUEST} per request.",
        )
    events = [_event(raw, index=index, site=site) for index, raw in enumerate(raws)]
    return CollectRequest(visitor_id=visitor_id, events=events)


def identify_signature(
    secret: str, *, visitor_id: str, email: str, expires: int
) -> str:
    """The hex HMAC-SHA256 an identify token carries (docs/tracking.md).

    Signs "visitor_id|email|expires" with the site's identify secret; the
    email exactly as the request sends it.
    """
    message = f"{visitor_id}|{email}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def identify_token(secret: str, *, visitor_id: str, email: str, expires: int) -> str:
    """The token a site's backend hands its page for ``identify``: "expires.hex"."""
    signature = identify_signature(
        secret, visitor_id=visitor_id, email=email, expires=expires
    )
    return f"{expires}.{signature}"


def _check_identify_token(
    token: object,
    site: TrackedSite,
    *,
    visitor_id: str,
    email: str,
    now: datetime,
) -> None:
    if token is None or token == "":
        raise IdentifyNotSigned(
            '"token" is required: identify links a visitor to a lead, so your '
            "site's backend must sign each call with the site's identify secret. "
            "See docs/tracking.md, section identify.",
            fields={"token": "is required"},
        )
    match = _IDENTIFY_TOKEN.fullmatch(token) if isinstance(token, str) else None
    expected = identify_signature(
        site.identify_secret,
        visitor_id=visitor_id,
        email=email,
        expires=int(match.group(1)) if match else 0,
    )
    # Compared in constant time, and computed even for a malformed token.
    if match is None or not hmac.compare_digest(match.group(2), expected):
        raise InvalidIdentifyToken(
            '"token" does not match this visitor id and email. Sign '
            '"visitor_id|email|expires" with HMAC-SHA256 and the identify secret of '
            f'{site.origin} (shown on its admin page), and send "expires.hex".',
            fields={"token": "does not match"},
        )
    expires_at = datetime.fromtimestamp(int(match.group(1)), tz=UTC)
    if expires_at <= now:
        raise IdentifyTokenExpired(
            f'"token" expired at {expires_at:%Y-%m-%d %H:%M:%S} UTC. Sign a new one '
            "when the page is rendered.",
            fields={"token": "expired"},
        )
    if expires_at > now + IDENTIFY_TOKEN_MAX_LIFETIME:
        hours = int(IDENTIFY_TOKEN_MAX_LIFETIME.total_seconds() // 3600)
        raise IdentifyTokenExpired(
            f'"token" is valid until {expires_at:%Y-%m-%d %H:%M:%S} UTC, more than '
            f"{hours} hours from now. Let tokens expire within {hours} hours.",
            fields={"token": f"expires more than {hours} hours from now"},
        )


def parse_identify(body: bytes, *, site: TrackedSite, now: datetime) -> IdentifyRequest:
    """The visitor id and normalised email of a signed identify request.

    Raises MalformedPayload or InvalidTrackerData naming the bad field,
    IdentifyNotSigned without a token, InvalidIdentifyToken for a token not
    signed with the site's identify secret for this visitor and email, and
    IdentifyTokenExpired for one past its expiry (or too far ahead).
    """
    data = _load_object(body)
    _check_known_keys(data, ("visitor_id", "consent", "email", "token"), where="")
    _check_consent(data)
    visitor_id = _visitor_id(data)
    raw_email = data.get("email")
    if not isinstance(raw_email, str):
        raise _invalid("email", "is required: the visitor's email address.")
    _check_identify_token(
        data.get("token"), site, visitor_id=visitor_id, email=raw_email, now=now
    )
    try:
        email = normalise_email(raw_email)
    except InvalidEmail as error:
        raise InvalidTrackerData(
            error.message, fields={"email": error.message}
        ) from None
    return IdentifyRequest(visitor_id=visitor_id, email=email)


# --- storing -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitResult:
    """What a collect request stored: new events, and replays skipped."""

    visitor: Visitor
    stored: int
    duplicates: int
    rescored: Rescored | None = None


@dataclass(frozen=True, slots=True)
class StitchResult:
    """How many of the visitor's events were copied to the lead, and the new score."""

    visitor: Visitor
    lead: Lead
    copied: int
    rescored: Rescored | None


def _visitor_for(site: TrackedSite, visitor_id: str, *, now: datetime) -> Visitor:
    """The visitor, created on first contact and locked for this transaction."""
    visitor = Visitor.objects.select_for_update().filter(visitor_id=visitor_id).first()
    if visitor is None:
        try:
            with transaction.atomic():
                visitor = Visitor.objects.create(
                    visitor_id=visitor_id,
                    site=site,
                    consented_at=now,
                    first_seen_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:
            # A second request of the same visitor created it a moment ago.
            visitor = Visitor.objects.select_for_update().get(visitor_id=visitor_id)
    if visitor.site_id != site.pk:
        raise _invalid(
            "visitor_id",
            "belongs to a visitor of another tracked site. Each site's script makes "
            "its own visitor ids; do not copy them between sites.",
        )
    return visitor


def _event_external_id(visitor_event: VisitorEvent) -> str:
    # Derived from the VisitorEvent, so copying it twice stores one Event.
    return f"tracker-visitor-event-{visitor_event.pk}"


def _copy_to_lead(
    lead: Lead, visitor_events: Sequence[VisitorEvent], *, now: datetime
) -> tuple[int, Rescored | None]:
    """Store the visitor events as the lead's events, through the pipeline.

    ``receive`` validates, stores each external id once, rolls up the
    account, rescores and triages, as for every way in. Links each visitor
    event to its Event row. Returns how many Event rows were new and the
    lead's new score (None when nothing new was stored). Must run inside a
    transaction.
    """
    if not visitor_events:
        return 0, None
    received = receive(
        Arrivals(
            source=TRACKER_SOURCE,
            trigger=ScoreTrigger.TRACKER,
            events=[
                EventInput(
                    email=lead.email,
                    type=EventType(visitor_event.type),
                    occurred_at=visitor_event.occurred_at,
                    properties=visitor_event.properties,
                    external_id=_event_external_id(visitor_event),
                )
                for visitor_event in visitor_events
            ],
        ),
        now=now,
    )
    by_external_id = {row.external_id: row for row in received.stored_events}
    if received.duplicate_events:
        missing = [
            _event_external_id(visitor_events[index])
            for index in received.duplicate_events
        ]
        by_external_id.update(
            {
                row.external_id: row
                for row in Event.objects.filter(
                    lead=lead, source=TRACKER_SOURCE, external_id__in=missing
                )
            }
        )
    for visitor_event in visitor_events:
        visitor_event.stitched_event = by_external_id.get(
            _event_external_id(visitor_event)
        )
    VisitorEvent.objects.bulk_update(visitor_events, ["stitched_event"])
    outcome = received.leads.get(lead.email)
    return len(received.stored_events), outcome.rescored if outcome else None


def record_visit(
    site: TrackedSite, request: CollectRequest, *, now: datetime
) -> VisitResult:
    """Store a collect request's events for its visitor, each client id once.

    For a stitched visitor the events are also stored as the lead's events,
    through the pipeline (rescored, triaged when its band changes). Events
    take the server's clock: the script sends them as they happen, and a
    visitor's clock may be wrong. Raises InvalidTrackerData when the
    visitor id belongs to another site. A lock conflict with a concurrent
    request runs it again (``run_with_retry``): a replay stores nothing twice.
    """
    return run_with_retry(
        partial(_record_visit, site, request, now=now), what="A tracking request"
    )


def _record_visit(
    site: TrackedSite, request: CollectRequest, *, now: datetime
) -> VisitResult:
    with transaction.atomic():
        visitor = _visitor_for(site, request.visitor_id, now=now)
        external_ids = {
            f"{visitor.visitor_id}:{event.event_id}": event for event in request.events
        }
        known = set(
            VisitorEvent.objects.filter(external_id__in=external_ids).values_list(
                "external_id", flat=True
            )
        )
        fresh: list[VisitorEvent] = []
        for external_id, event in external_ids.items():
            if external_id in known:
                continue
            try:
                with transaction.atomic():
                    fresh.append(
                        VisitorEvent.objects.create(
                            visitor=visitor,
                            type=event.type.value,
                            occurred_at=now,
                            received_at=now,
                            properties=dict(event.properties),
                            external_id=external_id,
                        )
                    )
            except IntegrityError:
                continue  # The same event in a concurrent retry.
        visitor.last_seen_at = now
        visitor.save(update_fields=["last_seen_at"])
        rescored = None
        if visitor.lead is not None and fresh:
            _copied, rescored = _copy_to_lead(visitor.lead, fresh, now=now)
    return VisitResult(
        visitor=visitor,
        stored=len(fresh),
        duplicates=len(request.events) - len(fresh),
        rescored=rescored,
    )


def stitch_visitor(visitor: Visitor, lead: Lead, *, now: datetime) -> StitchResult:
    """Make the visitor the lead's and copy its anonymous events to the lead.

    Only for a trusted link: the leadqual form that created (or the lead
    confirmed) the lead, or a signed identify. The events go through the
    pipeline, so the lead is rescored and triaged as for any arrival. Safe
    to call twice: events already copied are not copied again. Raises
    VisitorAlreadyIdentified when the visitor belongs to another lead (a
    shared computer): it stays with the first.
    """
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().get(pk=visitor.pk)
        if visitor.lead_id is not None and visitor.lead_id != lead.pk:
            raise VisitorAlreadyIdentified(
                f"Visitor {visitor.pk} already belongs to lead {visitor.lead_id}; "
                f"it is not linked to lead {lead.pk}."
            )
        if visitor.lead_id is None:
            visitor.lead = lead
            visitor.save(update_fields=["lead"])
        pending = list(
            visitor.events.filter(stitched_event__isnull=True).order_by(
                "occurred_at", "id"
            )
        )
        copied, rescored = _copy_to_lead(lead, pending, now=now)
    logger.info(
        "Stitched visitor %s to lead %s: %s events copied", visitor.pk, lead.pk, copied
    )
    return StitchResult(visitor=visitor, lead=lead, copied=copied, rescored=rescored)


# Stitches an identified visitor after the commit: (visitor pk, lead id or None).
ScheduleStitch = Callable[[int, int | None], None]


def identify_visitor(
    site: TrackedSite,
    request: IdentifyRequest,
    *,
    now: datetime,
    schedule: ScheduleStitch,
) -> Visitor:
    """Note the visitor and schedule its stitching to the lead with this email.

    ``request`` comes from parse_identify, so its token was checked. The
    same work for a known and an unknown email (timing tells nothing): one
    lookup of the lead's id, and ``schedule(visitor pk, lead id or None)``
    after the commit; the stitching itself runs in the background
    (``stitch_identified_visitor``). Never creates a lead. Returns the
    visitor.
    """
    with transaction.atomic():
        visitor = _visitor_for(site, request.visitor_id, now=now)
        lead_id = (
            Lead.objects.filter(email=request.email)
            .values_list("pk", flat=True)
            .first()
        )
        transaction.on_commit(partial(schedule, visitor.pk, lead_id), robust=True)
    return visitor


def stitch_identified_visitor(
    visitor_id: int, lead_id: int | None, *, now: datetime
) -> StitchResult | None:
    """Stitch the visitor (by pk) to the lead a signed identify named.

    Returns None, storing nothing, when no lead had the email (``lead_id``
    None), the visitor or lead is gone since, or the visitor belongs to
    another lead. Safe to run twice.
    """
    visitor = Visitor.objects.filter(pk=visitor_id).first()
    lead = Lead.objects.filter(pk=lead_id).first() if lead_id is not None else None
    if visitor is None or lead is None:
        logger.info("Identify of visitor %s: no lead to stitch to", visitor_id)
        return None
    try:
        # The visitor's own page views may arrive at the same moment.
        return run_with_retry(
            partial(stitch_visitor, visitor, lead, now=now),
            what=f"Stitching visitor {visitor.pk}",
        )
    except VisitorAlreadyIdentified as error:
        logger.info("Identify refused: %s", error.message)
        return None


def form_visitor_id(raw: object) -> str:
    """The visitor id a form request carries (``lq_vid``), or "" when it is not one."""
    return raw if isinstance(raw, str) and _VISITOR_ID.fullmatch(raw) else ""


def stitch_form_visitor(
    raw_visitor_id: object, lead: Lead, *, now: datetime
) -> StitchResult | None:
    """Stitch the form's visitor to the lead the form created or the lead confirmed.

    ``raw_visitor_id`` is the form's ``lq_vid``. The form's own form_submit
    event is the lead's (stored by the form); the visitor's earlier events
    join it. Call it in the form's transaction, and for a known lead only
    after confirmation. Returns None (and stores nothing) when the id is
    missing or not a known visitor (no cookie consent means no visitor), or
    when the visitor belongs to another lead.
    """
    visitor_id = form_visitor_id(raw_visitor_id)
    if not visitor_id:
        return None
    visitor = Visitor.objects.filter(visitor_id=visitor_id).first()
    if visitor is None:
        logger.info("Form sent with an unknown visitor id; nothing stitched")
        return None
    try:
        return stitch_visitor(visitor, lead, now=now)
    except VisitorAlreadyIdentified:
        logger.info(
            "Form of lead %s: visitor %s belongs to another lead; not stitched",
            lead.pk,
            visitor.pk,
        )
        return None
