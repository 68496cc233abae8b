"""What a lead did, and when.

An event keeps two clocks: ``occurred_at`` (when the lead did it) and
``received_at`` (when leadqual learned of it). Scoring "as of" a moment uses
only events received by then, so a backtest never sees the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

JsonScalar = str | int | float | bool | None
JsonValue = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]


class EventType(StrEnum):
    """The documented vocabulary of events (``docs/events.md``)."""

    PAGE_VIEW = "page_view"
    FORM_SUBMIT = "form_submit"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    EMAIL_REPLY = "email_reply"
    DOWNLOAD = "download"
    DEMO_REQUEST = "demo_request"
    MEETING = "meeting"
    WEBINAR = "webinar"
    CHAT = "chat"
    UNSUBSCRIBE = "unsubscribe"
    BOUNCE = "bounce"
    INTENT_SIGNAL = "intent_signal"


EVENT_TYPE_DESCRIPTIONS: Mapping[EventType, str] = {
    EventType.PAGE_VIEW: "A page of the website was viewed (property url, title).",
    EventType.FORM_SUBMIT: "A form was submitted (property form).",
    EventType.EMAIL_OPEN: "A marketing email was opened (property campaign).",
    EventType.EMAIL_CLICK: "A link in an email was clicked (property url, campaign).",
    EventType.EMAIL_REPLY: "The lead replied to an email.",
    EventType.DOWNLOAD: "Content was downloaded (property asset).",
    EventType.DEMO_REQUEST: "The lead asked for a demo.",
    EventType.MEETING: "A meeting took place or was booked.",
    EventType.WEBINAR: "The lead attended a webinar or event.",
    EventType.CHAT: "The lead started a chat conversation.",
    EventType.UNSUBSCRIBE: "The lead unsubscribed from email.",
    EventType.BOUNCE: "Email to the lead bounced (property kind: hard or soft).",
    EventType.INTENT_SIGNAL: "Third-party intent data (property topic, strength).",
}


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a lead did. ``properties`` holds JSON-compatible details."""

    type: EventType
    occurred_at: datetime
    properties: Mapping[str, JsonValue] = field(default_factory=dict)
    received_at: datetime | None = None

    def is_known_at(self, moment: datetime) -> bool:
        """True when the event had happened and been received by ``moment``."""
        if self.occurred_at > moment:
            return False
        return self.received_at is None or self.received_at <= moment
