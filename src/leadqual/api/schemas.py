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
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from leadqual.core.bands import Band
from leadqual.core.events import EventType
from leadqual.core.lifecycle import Decision, LeadStatus, RejectionReason
from leadqual.core.profile import Urgency
from leadqual.intake.pipeline import MAX_EVENTS_PER_BATCH

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
# Larger offsets overflow the database's 64-bit LIMIT/OFFSET (a 500, not a 422).
MAX_OFFSET = 1_000_000_000

# A "+" in a query string arrives as a space: "...T10:00:00 01:00".
_SPACE_FOR_PLUS = re.compile(
    r"^(\S+[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$"
)


def _restore_plus(value: object) -> object:
    if isinstance(value, str):
        return _SPACE_FOR_PLUS.sub(r"\1+\2", value.strip())
    return value


def _in_utc(moment: datetime) -> datetime:
    # PostgreSQL refuses offsets beyond 15:59, and a moment in year 1 or 9999
    # may not exist in UTC at all: either would fail in the database with a 500.
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "moment_out_of_range",
            _("lies outside the years 1 to 9999 in UTC"),
        ) from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
QueryDatetime = Annotated[UtcDatetime, BeforeValidator(_restore_plus)]


def _texts(value: object) -> Iterator[str]:
    """Every text in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def text_problem(value: object) -> str | None:
    """Why a JSON value cannot be stored as text, or None when it can.

    PostgreSQL cannot store NUL in text or JSON, and no UTF-8 text can hold a
    lone surrogate (JSON's ``"\\ud800"`` without its pair): either would be a
    500 in the database, or before it.
    """
    for text in _texts(value):
        if "\x00" in text:
            return nul_message()
        surrogate = next((char for char in text if "\ud800" <= char <= "\udfff"), None)
        if surrogate is not None:
            return surrogate_message(surrogate)
    return None


def nul_message() -> str:
    """What to do about a NUL character in a value."""
    return _("contains a NUL character (\\u0000), which cannot be stored; remove it")


def surrogate_message(surrogate: str) -> str:
    """What to do about a lone surrogate in a value."""
    return _(
        "contains a lone surrogate (%(escape)s), half of a character pair, which "
        "cannot be stored; send the whole character or remove it"
    ) % {"escape": f"\\u{ord(surrogate):04x}"}


class Answer(BaseModel):
    """An answer body. The views build answers field by field, so plain pydantic:
    Ninja's Schema wraps every object to read Django attributes, which cost
    0.2 s for the answer to one 1,000-event batch (measured, 12x slower).
    """


class StrictIn(Schema):
    """A request body: unknown fields are refused, not silently dropped.

    Text that cannot be stored (a NUL, a lone surrogate) is refused too, with
    what to do (see ``text_problem``).
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_unstorable_text(cls, value: object) -> object:
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                raise PydanticCustomError("unstorable_text", problem)
        return value


# --- errors ---------------------------------------------------------------------


class ErrorDetail(Answer):
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


class ErrorOut(Answer):
    """The one shape of every 4xx answer."""

    error: ErrorDetail


# --- scores ---------------------------------------------------------------------


class RuleHitOut(Answer):
    rule: str = Field(examples=["demo_request"])
    group: str = Field(description="fit, intent or engagement", examples=["intent"])
    points: int = Field(examples=[25])
    reason: str = Field(examples=["Asked for a demo (2 days ago)"])
    is_adjustment: bool = Field(
        default=False,
        description="True for a cap or floor of a group rather than a rule.",
    )


class ScoreOut(Answer):
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
    given_at: UtcDatetime | None = Field(
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


class ConsentOut(Answer):
    given: bool
    text_version: str
    given_at: datetime | None


class OwnerOut(Answer):
    id: int
    username: str


class LeadOut(Answer):
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


class LeadListOut(Answer):
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


class RejectedEventOut(Answer):
    index: int = Field(description="Position of the event in the batch, from 0.")
    field: str | None = Field(
        description="The field at fault; null when the item as a whole is bad."
    )
    error: str


class RescoredLeadOut(Answer):
    id: int
    email: str
    previous_band: Band | None
    score: ScoreOut


class EventBatchOut(Answer):
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
    rating: int | None = Field(
        default=None,
        ge=1,
        le=5,
        description="Sales' rating of the lead's quality: 1 (poor) to 5 (excellent).",
    )


class FeedbackOut(Answer):
    id: int
    decision: Decision
    reason: RejectionReason | None
    note: str
    rating: int | None
    given_at: datetime
    lead_status: LeadStatus
