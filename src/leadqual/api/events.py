"""/api/v1/events: batches of events, each checked on its own, scored at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from leadqual.api.auth import BearerToken, leads_of, token_of, user_of
from leadqual.api.errors import quote
from leadqual.api.idempotency import idempotent
from leadqual.api.leads import score_out
from leadqual.api.schemas import (
    EVENT_FIELDS,
    ErrorOut,
    EventBatchIn,
    EventBatchOut,
    RejectedEventOut,
    RescoredLeadOut,
    text_problem,
)
from leadqual.core.events import EventType
from leadqual.intake.pipeline import RawEvent, submit_events
from leadqual.users.scopes import Scope

router = Router(tags=["events"])


def _rejection(index: int, field: str | None, problem: str) -> RejectedEventOut:
    where = (
        _("Event %(index)s, %(field)s") % {"index": index, "field": field}
        if field
        else _("Event %(index)s") % {"index": index}
    )
    return RejectedEventOut(index=index, field=field, error=f"{where}: {problem}")


def _raw_event(index: int, item: Any) -> RawEvent | RejectedEventOut:
    """A RawEvent for the pipeline, or the reason the item cannot be one."""
    if not isinstance(item, Mapping):
        return _rejection(
            index,
            None,
            _(
                'must be a JSON object like {"lead_email": ..., "type": ..., '
                '"occurred_at": ...}, got %(value)s.'
            )
            % {"value": quote(item)},
        )
    for name in item:
        if name not in EVENT_FIELDS:
            return _rejection(
                index,
                str(name),
                _("is not an event field; remove it. Known fields: %(known)s.")
                % {"known": ", ".join(EVENT_FIELDS)},
            )
    for name, value in item.items():
        problem = text_problem(value)
        if problem is not None:
            return _rejection(index, str(name), problem + ".")
    if item.get("type") is None:
        # The pipeline would quote the missing type as "None".
        return _rejection(
            index,
            "type",
            _("is required: what the lead did, one of %(types)s.")
            % {"types": ", ".join(event_type.value for event_type in EventType)},
        )
    return RawEvent(
        lead_email=item.get("lead_email"),
        type=item.get("type"),
        occurred_at=item.get("occurred_at"),
        properties=item.get("properties"),
        external_id=item.get("id"),
    )


@router.post(
    "",
    auth=BearerToken(scope=Scope.WRITE_EVENTS),
    response={
        200: EventBatchOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
    },
    operation_id="post_events",
    summary="Store a batch of events and rescore their leads",
)
@idempotent
def post_events(request: HttpRequest, payload: EventBatchIn) -> EventBatchOut:
    """Store up to 1,000 events; a bad one is rejected by index, the rest are kept.

    A replayed event id counts as a duplicate and is stored once. The answer
    lists every lead the accepted events rescored, with its new score.
    """
    raws: list[RawEvent] = []
    positions: list[int] = []
    rejected: list[RejectedEventOut] = []
    for index, item in enumerate(payload.events):
        checked = _raw_event(index, item)
        if isinstance(checked, RawEvent):
            raws.append(checked)
            positions.append(index)
        else:
            rejected.append(checked)
    # Each token numbers its own events: two integrations may both send id 1001.
    sender = f"token:{token_of(request).pk}"
    # A user's token writes only to leads its user sees; the others are
    # refused as unknown emails, so the answer reveals no more than that.
    visible = leads_of(request) if user_of(request) is not None else None
    result = submit_events(
        raws, now=timezone.now(), source="api", sender=sender, visible=visible
    )
    rejected.extend(
        _rejection(positions[bad.index], bad.field, bad.message)
        for bad in result.rejected
    )
    rejected.sort(key=lambda bad: bad.index)
    return EventBatchOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=rejected,
        leads=[
            RescoredLeadOut(
                id=lead.pk,
                email=lead.email,
                previous_band=rescored.previous_band,
                score=score_out(rescored.score),
            )
            for lead, rescored in result.rescored
        ],
    )
