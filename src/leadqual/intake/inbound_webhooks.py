"""Mail-tool webhooks: check each tool's signature, read its payload, store events.

Each tool has a pair of pure functions: ``verify_<tool>`` raises
WebhookUnauthorized unless the request carries the tool's signature or secret
as that tool documents it, and ``parse_<tool>`` turns the raw body into
WebhookEvents (or raises MalformedWebhook). ``submit_webhook_events`` then hands
the events to ``intake.pipeline.submit_events``, so they are stored, rescored
and triaged like every other way in; the pipeline records an unsubscribe or a
hard bounce (a ``bounce`` with ``kind: hard``) on the lead, as it does for the
same event sent to the API. docs/webhooks.md lists the sources followed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from leadqual.core.errors import LeadqualError
from leadqual.core.events import EventType, JsonValue
from leadqual.core.hygiene import normalise_email
from leadqual.intake.pipeline import RawEvent, RejectedEvent, submit_events
from leadqual.leads.models import Lead

# Mandrill sends at most 1,000 events per request; 1 MiB holds them comfortably.
MAX_WEBHOOK_BODY_BYTES = 1024 * 1024
# The generic format refuses signed requests older (or newer) than this.
GENERIC_MAX_AGE = timedelta(minutes=5)
GENERIC_SIGNATURE_HEADER = "X-Leadqual-Signature"
GENERIC_TIMESTAMP_HEADER = "X-Leadqual-Timestamp"
GENERIC_EVENT_TYPES = (
    EventType.EMAIL_OPEN,
    EventType.EMAIL_CLICK,
    EventType.EMAIL_REPLY,
    EventType.UNSUBSCRIBE,
    EventType.BOUNCE,
)
_MAX_GENERIC_ID_LENGTH = 150


class WebhookUnauthorized(LeadqualError):
    """The request does not carry the tool's valid signature or secret."""

    code = "invalid_signature"


class MalformedWebhook(LeadqualError):
    """The body cannot be read as the tool's documented payload."""

    code = "malformed_webhook"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event read from a tool's payload, not yet matched to a lead."""

    email: str
    type: EventType
    occurred_at: datetime
    external_id: str
    properties: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedWebhook:
    """The events of one request, and how many tool events mean nothing here
    (delivered, subscribe, spam report, ...)."""

    events: list[WebhookEvent]
    not_tracked: int = 0


# --- helpers -----------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value by case-insensitive name, or ""."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip()
    return ""


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of two texts."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _digest_id(tool: str, *parts: object) -> str:
    """A stable external id from the event's own facts; no email in clear text."""
    text = "\x1f".join(str(part) for part in (tool, *parts))
    return f"{tool}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:40]}"


def _json_body(body: bytes, tool: str) -> object:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedWebhook(
            f"The {tool} webhook body is not valid JSON ({error}). "
            f"Send the payload exactly as {tool} posts it, with Content-Type: "
            "application/json."
        ) from None


def _form_body(body: bytes, tool: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedWebhook(
            f"The {tool} webhook body is not a form (application/x-www-form-urlencoded): "
            f"{error}."
        ) from None
    return dict(pairs)


def _from_unix(value: object, where: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise MalformedWebhook(
            f"{where} must be a Unix timestamp in seconds, got {value!r}."
        )
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise MalformedWebhook(
            f"{where} must be a Unix timestamp in seconds, got {value!r}."
        ) from None


def _from_iso(value: object, where: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise MalformedWebhook(
        f"{where} must be an ISO 8601 date and time, e.g. 2026-11-27T10:15:00+01:00, "
        f"got {value!r}."
    )


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


# --- Mailchimp audience webhooks ---------------------------------------------------
# https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/
# Form fields as in Mailchimp's webhook reference: type, fired_at ("2009-03-26
# 21:40:57", no zone: read as UTC), data[email], data[reason], data[campaign_id].


def verify_mailchimp_key(given: str, secret: str) -> None:
    """Audience webhooks carry no signature: the URL holds a secret key."""
    if not given or not _same(given, secret):
        raise WebhookUnauthorized(
            "The Mailchimp webhook key in the URL is missing or wrong. Register "
            "/webhooks/mailchimp/<key>/ with the key set in LEADQUAL_WEBHOOK_MAILCHIMP_KEY."
        )


def parse_mailchimp(body: bytes) -> ParsedWebhook:
    """Events of one Mailchimp audience webhook (unsubscribe, cleaned)."""
    form = _form_body(body, "Mailchimp")
    kind = form.get("type", "")
    if not kind:
        raise MalformedWebhook(
            'The Mailchimp webhook has no "type" field. Expected a form like '
            "type=unsubscribe&fired_at=...&data[email]=..."
        )
    if kind not in ("unsubscribe", "cleaned"):
        return ParsedWebhook(events=[], not_tracked=1)
    email = form.get("data[email]", "")
    fired_at = form.get("fired_at", "")
    if not email:
        raise MalformedWebhook(f'The Mailchimp "{kind}" webhook has no data[email].')
    try:
        occurred_at = datetime.strptime(fired_at, "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=UTC
        )
    except ValueError:
        raise MalformedWebhook(
            f'The Mailchimp fired_at "{fired_at}" is not a date like 2009-03-26 21:40:57.'
        ) from None
    properties: dict[str, JsonValue] = {"tool": "mailchimp"}
    for name in ("reason", "campaign_id", "list_id", "action"):
        if form.get(f"data[{name}]"):
            properties[name] = form[f"data[{name}]"]
    if kind == "unsubscribe":
        event = WebhookEvent(
            email=email,
            type=EventType.UNSUBSCRIBE,
            occurred_at=occurred_at,
            external_id=_digest_id("mailchimp", email.lower(), kind, fired_at),
            properties=properties,
        )
    else:
        # "cleaned": Mailchimp stopped sending after a hard bounce (or abuse report).
        event = WebhookEvent(
            email=email,
            type=EventType.BOUNCE,
            occurred_at=occurred_at,
            external_id=_digest_id("mailchimp", email.lower(), kind, fired_at),
            properties={**properties, "kind": "hard"},
        )
    return ParsedWebhook(events=[event])


# --- Mailchimp Transactional (Mandrill) --------------------------------------------
# https://mailchimp.com/developer/transactional/docs/webhooks/ and "How to
# Authenticate Webhook Requests": X-Mandrill-Signature = base64(HMAC-SHA1(key,
# URL + each POST key and value, sorted by key)).


def mandrill_signature(url: str, params: Mapping[str, str], key: str) -> str:
    """The X-Mandrill-Signature Mailchimp Transactional computes for a request."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(key.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def verify_mandrill(
    headers: Mapping[str, str], body: bytes, secret: str, *, url: str
) -> None:
    """Check X-Mandrill-Signature against the exact URL registered in the tool."""
    given = _header(headers, "X-Mandrill-Signature")
    expected = mandrill_signature(url, _form_body(body, "Mandrill"), secret)
    if not given or not _same(given, expected):
        raise WebhookUnauthorized(
            "The X-Mandrill-Signature header is missing or does not match. Set "
            "LEADQUAL_WEBHOOK_MANDRILL_KEY to the webhook's key and register exactly "
            f"{url} in Mailchimp Transactional."
        )


_MANDRILL_TYPES: Mapping[str, tuple[EventType, str | None]] = {
    "open": (EventType.EMAIL_OPEN, None),
    "click": (EventType.EMAIL_CLICK, None),
    "hard_bounce": (EventType.BOUNCE, "hard"),
    "soft_bounce": (EventType.BOUNCE, "soft"),
    "unsub": (EventType.UNSUBSCRIBE, None),
}


def parse_mandrill(body: bytes) -> ParsedWebhook:
    """Events of one Mailchimp Transactional webhook (the mandrill_events array)."""
    form = _form_body(body, "Mandrill")
    if "mandrill_events" not in form:
        raise MalformedWebhook(
            'The Mandrill webhook has no "mandrill_events" field, the JSON array '
            "Mailchimp Transactional posts."
        )
    items = _json_body(form["mandrill_events"].encode("utf-8"), "Mandrill")
    if not isinstance(items, list):
        raise MalformedWebhook("mandrill_events must be a JSON array of events.")
    events: list[WebhookEvent] = []
    not_tracked = 0
    for index, raw in enumerate(items):
        item = _dict(raw)
        mapped = _MANDRILL_TYPES.get(_text(item.get("event")))
        if mapped is None:
            not_tracked += 1
            continue
        event_type, kind = mapped
        message = _dict(item.get("msg"))
        email = _text(message.get("email"))
        if not email:
            raise MalformedWebhook(f"mandrill_events[{index}].msg.email is missing.")
        moment = _from_unix(item.get("ts"), f"mandrill_events[{index}].ts")
        message_id = _text(item.get("_id")) or _text(message.get("_id"))
        properties: dict[str, JsonValue] = {"tool": "mandrill"}
        if kind:
            properties["kind"] = kind
        if event_type is EventType.EMAIL_CLICK and _text(item.get("url")):
            properties["url"] = _text(item.get("url"))
        if _text(message.get("subject")):
            properties["subject"] = _text(message.get("subject"))
        events.append(
            WebhookEvent(
                email=email,
                type=event_type,
                occurred_at=moment,
                external_id=_digest_id(
                    "mandrill",
                    message_id,
                    item.get("event"),
                    item.get("ts"),
                    email.lower(),
                ),
                properties=properties,
            )
        )
    return ParsedWebhook(events=events, not_tracked=not_tracked)


# --- Brevo ---------------------------------------------------------------------------
# https://developers.brevo.com/docs/transactional-webhooks,
# https://developers.brevo.com/docs/marketing-webhooks and "Secure webhook calls"
# (https://developers.brevo.com/docs/username-and-password-authentication): a
# bearer token ("auth": {"type": "bearer", "token": ...}) or user:password in the URL,
# which arrives as HTTP basic authentication.


def verify_brevo(headers: Mapping[str, str], secret: str) -> None:
    """Accept "Authorization: Bearer <token>" or basic auth whose password is the token."""
    authorization = _header(headers, "Authorization")
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials and _same(credentials, secret):
        return
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        _user, _, password = decoded.partition(":")
        # Compare both, always: the time taken says nothing about which matched.
        password_matches = _same(password, secret)
        pair_matches = _same(decoded, secret)
        if decoded and (password_matches or pair_matches):
            return
    raise WebhookUnauthorized(
        "The Brevo webhook has no valid credentials. On the Brevo webhook, set the "
        'bearer token ("auth": {"type": "bearer", "token": ...}) or '
        "https://leadqual:<token>@.../webhooks/brevo/ to LEADQUAL_WEBHOOK_BREVO_TOKEN."
    )


_BREVO_TYPES: Mapping[str, tuple[EventType, str | None]] = {
    "opened": (EventType.EMAIL_OPEN, None),
    "unique_opened": (EventType.EMAIL_OPEN, None),
    "click": (EventType.EMAIL_CLICK, None),
    "hard_bounce": (EventType.BOUNCE, "hard"),
    "soft_bounce": (EventType.BOUNCE, "soft"),
    "unsubscribed": (EventType.UNSUBSCRIBE, None),
    "unsubscribe": (EventType.UNSUBSCRIBE, None),
}


def parse_brevo(body: bytes) -> ParsedWebhook:
    """Events of one Brevo webhook: one JSON object, or a list (batched webhooks)."""
    payload = _json_body(body, "Brevo")
    items = payload if isinstance(payload, list) else [payload]
    events: list[WebhookEvent] = []
    not_tracked = 0
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            raise MalformedWebhook(f"Brevo event {index} is not a JSON object.")
        name = _text(raw.get("event"))
        if not name:
            raise MalformedWebhook(f'Brevo event {index} has no "event" field.')
        mapped = _BREVO_TYPES.get(name)
        if mapped is None:
            not_tracked += 1
            continue
        event_type, kind = mapped
        email = _text(raw.get("email"))
        if not email:
            raise MalformedWebhook(f'Brevo event {index} ("{name}") has no "email".')
        stamp = raw.get("ts_event", raw.get("ts"))
        moment = _from_unix(stamp, f"Brevo event {index} ts_event")
        properties: dict[str, JsonValue] = {"tool": "brevo"}
        if kind:
            properties["kind"] = kind
        url = _text(raw.get("link")) or _text(raw.get("URL")) or _text(raw.get("url"))
        if event_type is EventType.EMAIL_CLICK and url:
            properties["url"] = url
        if raw.get("camp_id") is not None:
            properties["campaign"] = str(raw.get("camp_id"))
        if _text(raw.get("subject")):
            properties["subject"] = _text(raw.get("subject"))
        if _text(raw.get("reason")):
            properties["reason"] = _text(raw.get("reason"))
        message = _text(raw.get("message-id")) or str(raw.get("camp_id", ""))
        events.append(
            WebhookEvent(
                email=email,
                type=event_type,
                occurred_at=moment,
                # Brevo's "id" is the webhook's id, the same on every call.
                external_id=_digest_id(
                    "brevo", message, name, stamp, email.lower(), url
                ),
                properties=properties,
            )
        )
    return ParsedWebhook(events=events, not_tracked=not_tracked)


# --- Mautic --------------------------------------------------------------------------
# https://mautic-developer.readthedocs.io/en/latest/webhooks/getting_started.html
# ("Securing a Webhook": base64 HMAC-SHA256 of the raw body in Webhook-Signature)
# and .../webhooks/events/ (email_on_open, page_on_hit,
# lead_channel_subscription_changed).


def verify_mautic(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Check Webhook-Signature = base64(HMAC-SHA256(raw body, secret))."""
    given = _header(headers, "Webhook-Signature")
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode("ascii")
    if not given or not _same(given, expected):
        raise WebhookUnauthorized(
            "The Webhook-Signature header is missing or does not match the body. Set "
            "LEADQUAL_WEBHOOK_MAUTIC_SECRET to the secret of the Mautic webhook."
        )


def _mautic_contact_email(contact: Mapping[str, object]) -> str:
    fields = _dict(contact.get("fields"))
    core = _dict(fields.get("core"))
    return _text(_dict(core.get("email")).get("value")) or _text(contact.get("email"))


def parse_mautic(body: bytes) -> ParsedWebhook:
    """Events of one Mautic webhook: {"mautic.event_type": [payload, ...], ...}."""
    payload = _json_body(body, "Mautic")
    if not isinstance(payload, dict):
        raise MalformedWebhook(
            'The Mautic webhook body must be an object like {"mautic.email_on_open": [...]}.'
        )
    events: list[WebhookEvent] = []
    not_tracked = 0
    for event_name, items in payload.items():
        if not isinstance(items, list):
            raise MalformedWebhook(f'"{event_name}" must hold a list of events.')
        for index, raw in enumerate(items):
            item = _dict(raw)
            where = f"{event_name}[{index}]"
            parsed = _parse_mautic_item(event_name, item, where)
            if parsed is None:
                not_tracked += 1
            else:
                events.append(parsed)
    return ParsedWebhook(events=events, not_tracked=not_tracked)


def _parse_mautic_item(
    event_name: str, item: Mapping[str, object], where: str
) -> WebhookEvent | None:
    timestamp = item.get("timestamp")
    if event_name == "mautic.email_on_open":
        stat = _dict(item.get("stat"))
        email = _text(stat.get("emailAddress")) or _mautic_contact_email(
            _dict(stat.get("lead"))
        )
        if not email:
            raise MalformedWebhook(f"{where}.stat has no emailAddress.")
        moment = _from_iso(timestamp or stat.get("dateRead"), f"{where}.timestamp")
        properties: dict[str, JsonValue] = {"tool": "mautic"}
        campaign = _text(_dict(stat.get("email")).get("name"))
        if campaign:
            properties["campaign"] = campaign
        return WebhookEvent(
            email=email,
            type=EventType.EMAIL_OPEN,
            occurred_at=moment,
            external_id=_digest_id("mautic", event_name, stat.get("id"), timestamp),
            properties=properties,
        )
    if event_name == "mautic.page_on_hit":
        hit = _dict(item.get("hit"))
        if hit.get("source") != "email":
            return None  # A website visit, not an email click.
        email = _mautic_contact_email(_dict(hit.get("lead")))
        if not email:
            raise MalformedWebhook(f"{where}.hit.lead has no email field.")
        moment = _from_iso(hit.get("dateHit") or timestamp, f"{where}.hit.dateHit")
        url = _text(hit.get("url"))
        return WebhookEvent(
            email=email,
            type=EventType.EMAIL_CLICK,
            occurred_at=moment,
            external_id=_digest_id("mautic", event_name, hit.get("id"), timestamp),
            properties={"tool": "mautic", "url": url} if url else {"tool": "mautic"},
        )
    if event_name == "mautic.lead_channel_subscription_changed":
        if item.get("channel") != "email":
            return None
        status = _text(item.get("new_status"))
        if status not in ("unsubscribed", "manual", "bounced"):
            return None  # Back to "contactable": nothing to record.
        email = _mautic_contact_email(_dict(item.get("contact")))
        if not email:
            raise MalformedWebhook(f"{where}.contact has no email field.")
        moment = _from_iso(timestamp, f"{where}.timestamp")
        external_id = _digest_id("mautic", event_name, email.lower(), status, timestamp)
        if status == "bounced":
            return WebhookEvent(
                email=email,
                type=EventType.BOUNCE,
                occurred_at=moment,
                external_id=external_id,
                properties={"tool": "mautic", "kind": "hard"},
            )
        return WebhookEvent(
            email=email,
            type=EventType.UNSUBSCRIBE,
            occurred_at=moment,
            external_id=external_id,
            properties={"tool": "mautic", "status": status},
        )
    return None


# --- the generic leadqual format ---------------------------------------------------
# docs/webhooks.md: X-Leadqual-Timestamp (Unix seconds) and X-Leadqual-Signature:
# sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>.


def generic_signature(body: bytes, secret: str, *, timestamp: int) -> str:
    """The X-Leadqual-Signature value for a body sent at ``timestamp``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_generic(
    headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime
) -> None:
    """Check the signature, and refuse requests signed more than 5 minutes away."""
    stamp = _header(headers, GENERIC_TIMESTAMP_HEADER)
    given = _header(headers, GENERIC_SIGNATURE_HEADER)
    # ASCII digits only: str.isdigit() also takes "¹" (a Latin-1 header byte),
    # which int() refuses. 11 digits reach the year 5138; datetime stops at 9999.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 11):
        raise WebhookUnauthorized(
            f"{GENERIC_TIMESTAMP_HEADER} must be the Unix time in seconds when the request "
            f'was signed, got "{stamp[:20]}".'
        )
    expected = generic_signature(body, secret, timestamp=int(stamp))
    if not given or not _same(given, expected):
        raise WebhookUnauthorized(
            f"{GENERIC_SIGNATURE_HEADER} is missing or does not match. Send sha256=<hex "
            'HMAC-SHA256 of timestamp + "." + body> with LEADQUAL_WEBHOOK_GENERIC_SECRET; '
            "see docs/webhooks.md."
        )
    signed_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    if abs(now - signed_at) > GENERIC_MAX_AGE:
        raise WebhookUnauthorized(
            f"The request was signed at {signed_at:%Y-%m-%d %H:%M:%S} UTC, more than "
            f"{int(GENERIC_MAX_AGE.total_seconds() // 60)} minutes from now. Sign each "
            "request when you send it (and check the sender's clock)."
        )


def parse_generic(body: bytes) -> ParsedWebhook:
    """Events of the generic format: {"events": [{"id", "email", "type",
    "occurred_at", "properties"}]}; reports every bad field at once."""
    payload = _json_body(body, "leadqual")
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedWebhook(
            'The body must be a JSON object with a list "events", e.g. {"events": [{"id": '
            '"42", "email": "eva@example.nl", "type": "email_open", "occurred_at": '
            '"2026-11-27T10:15:00+01:00"}]}.'
        )
    allowed = ", ".join(kind.value for kind in GENERIC_EVENT_TYPES)
    errors: dict[str, str] = {}
    events: list[WebhookEvent] = []
    for index, raw in enumerate(payload["events"]):
        where = f"events[{index}]"
        if not isinstance(raw, dict):
            errors[where] = "must be an object."
            continue
        event_id = raw.get("id")
        if isinstance(event_id, bool) or not isinstance(event_id, (str, int)):
            errors[f"{where}.id"] = (
                "is required: your own id of the event, text or number."
            )
        elif not str(event_id).strip() or len(str(event_id)) > _MAX_GENERIC_ID_LENGTH:
            errors[f"{where}.id"] = f"must be 1 to {_MAX_GENERIC_ID_LENGTH} characters."
        email = raw.get("email")
        if not isinstance(email, str) or not email.strip():
            errors[f"{where}.email"] = "is required: the email address of the lead."
        kind = raw.get("type")
        if kind not in [value.value for value in GENERIC_EVENT_TYPES]:
            errors[f"{where}.type"] = (
                f"{json.dumps(kind)} is not allowed. Use one of {allowed}."
            )
        try:
            moment = _from_iso(raw.get("occurred_at"), "occurred_at")
        except MalformedWebhook as error:
            errors[f"{where}.occurred_at"] = error.message
        properties = raw.get("properties", {})
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            errors[f"{where}.properties"] = (
                'must be an object, e.g. {"url": "https://..."}.'
            )
            continue
        bounce_kind = properties.get("kind")
        if kind == EventType.BOUNCE and bounce_kind not in ("hard", "soft"):
            errors[f"{where}.properties.kind"] = 'a bounce needs kind "hard" or "soft".'
        if any(key.startswith(f"{where}.") for key in errors):
            continue
        event_type = EventType(str(kind))
        events.append(
            WebhookEvent(
                email=str(email),
                type=event_type,
                occurred_at=moment,
                external_id=f"generic:{str(event_id).strip()}",
                properties=properties,
            )
        )
    if errors:
        summary = " ".join(f"{path}: {message}" for path, message in errors.items())
        raise MalformedWebhook(
            f"No events were stored. Fix these fields and send again: {summary}",
            fields=errors,
        )
    return ParsedWebhook(events=events)


# --- storing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    """What one webhook request did."""

    accepted: int
    duplicates: int
    unknown_email: int
    not_tracked: int
    unsubscribed: int
    hard_bounced: int
    rejected: list[RejectedEvent]


def _lead_email(email: str) -> str | None:
    try:
        return normalise_email(email)
    except LeadqualError:
        return None


def submit_webhook_events(
    parsed: ParsedWebhook, *, source: str, now: datetime
) -> WebhookOutcome:
    """Store the events of known leads once each and rescore them, in one
    transaction; the pipeline records unsubscribes and hard bounces on the lead.

    Events for emails without a lead are counted, not stored. Raises
    InvalidEvent (from the pipeline) only for more than 1,000 events.
    """
    emails = {
        email
        for event in parsed.events
        if (email := _lead_email(event.email)) is not None
    }
    leads = {lead.email: lead for lead in Lead.objects.filter(email__in=emails)}
    known: list[tuple[WebhookEvent, Lead]] = []
    for event in parsed.events:
        lead = leads.get(_lead_email(event.email) or "")
        if lead is not None:
            known.append((event, lead))
    raws: Sequence[RawEvent] = [
        RawEvent(
            lead_email=lead.email,
            type=event.type.value,
            occurred_at=event.occurred_at,
            properties=dict(event.properties),
            external_id=event.external_id,
        )
        for event, lead in known
    ]
    result = submit_events(raws, now=now, source=source)
    return WebhookOutcome(
        accepted=result.accepted,
        duplicates=result.duplicates,
        unknown_email=len(parsed.events) - len(known),
        not_tracked=parsed.not_tracked,
        unsubscribed=result.unsubscribed,
        hard_bounced=result.hard_bounced,
        rejected=list(result.rejected),
    )
