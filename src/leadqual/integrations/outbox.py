"""The transactional outbox: lead events stored with the change that caused them.

``emit`` runs inside the caller's transaction, so an event exists exactly when
its change was committed, and schedules delivery once that commit happens.
This module uses only ``leads`` below it: triage and intake call it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypedDict

from django.db import transaction
from django.db.models import Max

from leadqual.db import bulk_insert
from leadqual.integrations.delivery import MAX_ATTEMPTS
from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.integrations.tasks import deliver_webhooks
from leadqual.leads.models import Lead


class FeedbackLike(Protocol):
    """What ``lead.feedback`` reads from a triage Feedback row."""

    decision: str
    reason: str
    given_at: datetime


class OutcomeLike(Protocol):
    """What ``lead.outcome`` reads from a triage Outcome row."""

    kind: str
    value_cents: int | None
    occurred_at: datetime
    band: str


class OwnerData(TypedDict):
    id: int
    username: str


class LeadData(TypedDict):
    id: int
    email: str
    name: str
    company: str | None
    band: str | None
    score: int | None
    owner: OwnerData | None
    status: str


class EventPayload(TypedDict):
    type: str
    timestamp: str
    data: dict[str, Any]


def lead_data(lead: Lead) -> LeadData:
    """The lead as every event shows it."""
    owner = lead.owner
    return {
        "id": lead.pk,
        "email": lead.email,
        "name": f"{lead.first_name} {lead.last_name}".strip(),
        "company": lead.company.name if lead.company is not None else None,
        "band": lead.band or None,
        "score": lead.score_total,
        "owner": {"id": owner.pk, "username": owner.username} if owner else None,
        "status": lead.status,
    }


def new_message_id() -> str:
    """A unique ``webhook-id``: ``msg_`` and 32 hex digits (no dots, never user input)."""
    return f"msg_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One lead event to queue: its type, the lead, and the data beside the lead."""

    event_type: str
    lead: Lead
    data: Mapping[str, Any] = field(default_factory=dict)


def emit_many(items: Sequence[Outgoing], *, now: datetime) -> list[WebhookDelivery]:
    """Queue each item for every active endpoint subscribed to its type, in order.

    Stores the deliveries in the caller's transaction with three queries
    whatever the batch size: each lead's deliveries to an endpoint are
    numbered after its earlier ones, in the order of ``items``. Sending is
    scheduled for after the commit (nothing is sent if the transaction rolls
    back). Returns the deliveries; an empty list when nobody subscribed.
    """
    if not items:
        return []
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).order_by("pk"))
    wanted = [
        (item, endpoint)
        for item in items
        for endpoint in endpoints
        if endpoint.is_subscribed(item.event_type)
    ]
    if not wanted:
        return []
    lead_ids = {item.lead.pk for item, _endpoint in wanted}
    last: dict[tuple[int, int], int] = {
        (endpoint_id, lead_id): sequence
        for endpoint_id, lead_id, sequence in WebhookDelivery.objects.filter(
            endpoint__in=[endpoint for _item, endpoint in wanted],
            lead_id__in=lead_ids,
        )
        .values("endpoint_id", "lead_id")
        .annotate(last=Max("sequence"))
        .values_list("endpoint_id", "lead_id", "last")
    }
    timestamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    deliveries = []
    for item, endpoint in wanted:
        key = (endpoint.pk, item.lead.pk)
        last[key] = last.get(key, 0) + 1
        payload: EventPayload = {
            "type": item.event_type,
            "timestamp": timestamp,
            "data": {"lead": lead_data(item.lead), **item.data},
        }
        deliveries.append(
            WebhookDelivery(
                endpoint=endpoint,
                event_type=item.event_type,
                payload=payload,
                message_id=new_message_id(),
                lead_id=item.lead.pk,
                sequence=last[key],
                next_attempt_at=now,
                created_at=now,
            )
        )
    with transaction.atomic():
        bulk_insert(deliveries)
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _schedule(ids))
    return deliveries


def emit(
    event_type: str, lead: Lead, data: dict[str, Any], *, now: datetime
) -> list[WebhookDelivery]:
    """Queue one lead event: ``emit_many`` with a batch of one."""
    return emit_many([Outgoing(event_type, lead, data)], now=now)


def _schedule(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliver_webhooks(delivery_id)


def band_changed(
    lead: Lead,
    previous_band: str | None,
    band: str,
    *,
    sla_due_at: datetime | None,
) -> Outgoing:
    """``lead.band_changed`` with the bands and the first-contact deadline."""
    due = (
        sla_due_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if sla_due_at
        else None
    )
    data = {
        "previous_band": str(previous_band) if previous_band else None,
        "band": str(band),
        "sla_due_at": due,
    }
    return Outgoing("lead.band_changed", lead, data)


def feedback_data(feedback: FeedbackLike) -> dict[str, Any]:
    """A triage.Feedback row as ``lead.feedback`` shows it (no free-text note)."""
    return {
        "decision": feedback.decision,
        "reason": feedback.reason or None,
        "given_at": feedback.given_at.astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
    }


def outcome_data(outcome: OutcomeLike, *, rating: int | None) -> dict[str, Any]:
    """A triage.Outcome row as ``lead.outcome`` shows it (no free-text note),
    with sales' 1-5 rating of the lead on its latest feedback (None: not rated)
    and the lead's band when the outcome was recorded (None: unknown)."""
    return {
        "kind": outcome.kind,
        "value_cents": outcome.value_cents,
        "rating": rating,
        "band": outcome.band or None,
        "occurred_at": outcome.occurred_at.astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
    }


def retry_now(delivery_ids: list[int], *, now: datetime) -> int:
    """Make pending or failed deliveries due at once (the admin's "retry now").

    A failed delivery gets one more attempt. Returns how many were reset;
    sending is scheduled after the commit.
    """
    with transaction.atomic():
        count = (
            WebhookDelivery.objects.filter(pk__in=delivery_ids)
            .exclude(status=DeliveryStatus.DELIVERED)
            .update(
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                claimed_until=None,
            )
        )
        # A failed delivery has used all its attempts: allow exactly one more.
        WebhookDelivery.objects.filter(
            pk__in=delivery_ids, attempts__gte=MAX_ATTEMPTS
        ).update(attempts=MAX_ATTEMPTS - 1)

        transaction.on_commit(lambda: _schedule(list(delivery_ids)))
    return count
