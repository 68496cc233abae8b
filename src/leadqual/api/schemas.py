"""Request and response bodies of the JSON API v1.

Status codes, the same for every operation:

- 200/201: the answer (201 when something new was stored).
- 401 ``not_authenticated``: no, unknown, revoked or expired bearer token.
- 404 ``lead_not_found`` (or ``not_found``): the id in the path matches nothing.
- 400 ``malformed_json``: the body is not JSON at all.
- 413 ``request_too_large``: the body is larger than LEADQUAL_MAX_REQUEST_BYTES.
- 422: the body or the query is not valid. ``fields`` maps each bad field, as a
  dotted path (``events.3.occurred_at``, ``consent.given``), to its problem.
  A batch of more than 1,000 events is a 422 naming ``events``.

Every 4xx answer has the shape of ``ErrorOut``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator, ConfigDict, WithJsonSchema

from leadqual.core.bands import Band
from leadqual.core.events import EventType
from leadqual.core.lifecycle import Decision, LeadStatus, RejectionReason
from leadqual.core.profile import Urgency
from leadqual.intake.pipeline import MAX_EVENTS_PER_BATCH

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50

# A "+" in a query string arrives as a space: "...T10:00:00 01:00".
_SPACE_FOR_PLUS = re.compile(
    r"^(\S+[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$"
)


def _restore_plus(value: object) -> object:
    if isinstance(value, str):
        return _SPACE_FOR_PLUS.sub(r"\1+\2", value.strip())
    return value


QueryDatetime = Annotated[AwareDatetime, BeforeValidator(_restore_plus)]


class StrictIn(Schema):
    """A request body: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str = Field(
        description="Stable machine-readable code, e.g. lead_not_found.",
        examples=["invalid_request"],
    )
    message: str = Field(
        description="What is wrong, where, and what to do.",
        examples=['employees: "ten" is not a whole number. Use digits, e.g. 25.'],
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="One message per bad field, keyed by dotted path.",
        examples=[{"employees": '"ten" is not a whole number. Use digits, e.g. 25.'}],
    )


class ErrorOut(Schema):
    """The one shape of every 4xx answer."""

    error: ErrorDetail


# --- scores ---------------------------------------------------------------------


class RuleHitOut(Schema):
    rule: str = Field(examples=["demo_request"])
    group: str = Field(description="fit, intent or engagement", examples=["intent"])
    points: int = Field(examples=[25])
    reason: str = Field(examples=["Asked for a demo (2 days ago)"])
    is_adjustment: bool = Field(
        default=False,
        description="True for a cap or floor of a group rather than a rule.",
    )


class ScoreOut(Schema):
    """A score with its explanation; the points of the explanation add up to total."""

    total: int = Field(ge=0, le=100)
    fit: int
    intent: int
    engagement: int
    band: Band
    model_version: int
    computed_at: datetime
    explanation: list[RuleHitOut]


# --- leads ----------------------------------------------------------------------


class ConsentIn(StrictIn):
    given: bool
    text_version: str = Field(
        max_length=50, description="The version of the consent text the lead saw."
    )
    given_at: AwareDatetime | None = Field(
        default=None, description="When consent was given; defaults to now."
    )


class LeadIn(StrictIn):
    """A lead to create or update, found by email.

    On update only the fields present in the body change; ``null`` clears a field.
    """

    email: str = Field(examples=["jan.devries@bakker-ict.nl"])
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    job_title: str | None = Field(default=None, max_length=150)
    phone: str | None = Field(default=None, max_length=40)
    sector: str | None = Field(default=None, max_length=100, examples=["software"])
    employees: int | None = Field(default=None, ge=0, examples=[25])
    budget: int | None = Field(
        default=None, ge=0, description="Budget in whole euros.", examples=[10000]
    )
    urgency: str | None = Field(
        default=None,
        description="When the lead wants to start: "
        + ", ".join(u.value for u in Urgency)
        + ".",
        examples=[Urgency.WITHIN_3_MONTHS.value],
    )
    country: str | None = Field(
        default=None, description="ISO 3166 two-letter code.", examples=["NL"]
    )
    region: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100, examples=["website"])
    consent: ConsentIn | None = None


class ConsentOut(Schema):
    given: bool
    text_version: str
    given_at: datetime | None


class OwnerOut(Schema):
    id: int
    username: str


class LeadOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    company: str | None
    job_title: str
    phone: str
    sector: str
    employees: int | None
    budget: int | None = Field(description="Budget in whole euros.")
    urgency: str
    country: str
    region: str
    source: str
    consent: ConsentOut
    status: LeadStatus
    owner: OwnerOut | None
    created_at: datetime
    updated_at: datetime
    score: ScoreOut | None = Field(description="The latest score; null if unscored.")


class LeadListOut(Schema):
    items: list[LeadOut]
    count: int = Field(description="How many leads match, over all pages.")


# --- events ---------------------------------------------------------------------


class EventIn(Schema):
    """One event, as documented; items are checked one by one (see EventBatchIn)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "crm-8812",
                    "lead_email": "jan.devries@bakker-ict.nl",
                    "type": "page_view",
                    "occurred_at": "2026-11-27T10:15:00+01:00",
                    "properties": {"url": "/prijzen"},
                }
            ]
        },
    )

    id: str | None = Field(
        default=None,
        max_length=200,
        description="Your id of the event; a replayed id is stored once.",
    )
    lead_email: str
    type: str = Field(
        description="What the lead did.",
        json_schema_extra={"enum": [event_type.value for event_type in EventType]},
    )
    occurred_at: AwareDatetime = Field(description="With a time zone offset.")
    properties: dict[str, Any] = Field(
        default_factory=dict, description="At most 8 KiB of JSON."
    )


EVENT_FIELDS = tuple(EventIn.model_fields)

LooseEventItem = Annotated[Any, WithJsonSchema(EventIn.model_json_schema())]


class EventBatchIn(StrictIn):
    """Up to 1,000 events. A bad item is reported by index; the others are stored."""

    events: list[LooseEventItem] = Field(
        max_length=MAX_EVENTS_PER_BATCH,
        description=f"At most {MAX_EVENTS_PER_BATCH:,} events per request.",
    )


class RejectedEventOut(Schema):
    index: int = Field(description="Position of the event in the batch, from 0.")
    field: str | None = Field(
        description="The field at fault; null when the item as a whole is bad."
    )
    error: str


class RescoredLeadOut(Schema):
    id: int
    email: str
    previous_band: Band | None
    score: ScoreOut


class EventBatchOut(Schema):
    accepted: int = Field(description="Events stored now.")
    duplicates: int = Field(description="Events whose id was already stored.")
    rejected: list[RejectedEventOut]
    leads: list[RescoredLeadOut] = Field(
        description="Leads rescored by the accepted events, with their new score."
    )


# --- feedback -------------------------------------------------------------------


class FeedbackIn(StrictIn):
    decision: Decision
    reason: RejectionReason | None = Field(
        default=None, description="Required when rejected; not allowed when accepted."
    )
    note: str = Field(default="", max_length=2000)


class FeedbackOut(Schema):
    id: int
    decision: Decision
    reason: RejectionReason | None
    note: str
    given_at: datetime
    lead_status: LeadStatus
