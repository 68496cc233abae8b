"""Delivering queued lead events: in order per lead, at least once, with retries.

A worker claims one delivery at a time (a short lease on the row), sends it
outside any transaction, and records the answer. A lead's deliveries to one
endpoint go out strictly by ``sequence``: #2 waits until #1 is delivered, also
while #1 waits for a retry or has failed for good.
"""

from __future__ import annotations

import http.client
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from leadqual.core.errors import LeadqualError
from leadqual.integrations.models import (
    DeliveryStatus,
    EndpointKind,
    WebhookDelivery,
)
from leadqual.integrations.outbound_webhooks import (
    Response,
    check_url,
    send_json,
    signed_headers,
)

logger = logging.getLogger(__name__)

# Exponential backoff after each failed attempt: ten attempts over about three
# days (70 h 42 min), so a receiver that is down over a weekend still gets
# everything.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a worker may hold a delivery before another may take it over.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class Attempt:
    """The result of one try: a status code (None without an answer) and why it failed."""

    status_code: int | None
    error: str = ""

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay_after(attempts: int) -> timedelta | None:
    """The wait after ``attempts`` failed tries; None when there is no next try."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempts - 1]


def _earlier_undelivered(delivery: WebhookDelivery) -> bool:
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            lead_id=delivery.lead_id,
            sequence__lt=delivery.sequence,
        )
        .exclude(status=DeliveryStatus.DELIVERED)
        .exists()
    )


def claim(delivery: WebhookDelivery, *, now: datetime) -> bool:
    """Take the delivery for this worker, if it is due and first in its lead's line.

    Returns False when it is not due, waits behind an earlier delivery, or
    another worker holds it. Earlier deliveries only ever become delivered,
    so checking them before the claim cannot let one overtake another.
    """
    if _earlier_undelivered(delivery):
        return False
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_LEASE)
    )
    return claimed == 1


def _send(delivery: WebhookDelivery, *, now: datetime) -> Attempt:
    endpoint = delivery.endpoint
    try:
        response: Response
        if endpoint.kind == EndpointKind.HUBSPOT:
            from leadqual.integrations.hubspot import sync_delivery

            response = sync_delivery(delivery, now=now)
        else:
            # Checked again at every attempt: DNS may answer differently now.
            target = check_url(
                endpoint.url, allow_private_network=endpoint.allow_private_network
            )
            body = json.dumps(
                delivery.payload, separators=(",", ":"), ensure_ascii=False
            ).encode()
            headers = signed_headers(
                endpoint.secret, delivery.message_id, body, now=now
            )
            response = send_json(target, body, headers)
    except LeadqualError as error:
        return Attempt(
            status_code=getattr(error, "status_code", None), error=error.message
        )
    except (OSError, http.client.HTTPException) as error:
        return Attempt(
            status_code=None,
            error=f"No answer from the receiver: {error.__class__.__name__}: {error}",
        )
    if response.is_success:
        return Attempt(status_code=response.status)
    answer = response.body.decode("utf-8", errors="replace")
    hint = (
        " Redirects are not followed: update the URL."
        if 300 <= response.status < 400
        else ""
    )
    return Attempt(
        status_code=response.status,
        error=f"The receiver answered HTTP {response.status}.{hint} {answer}".strip(),
    )


def _record(delivery: WebhookDelivery, attempt: Attempt, *, now: datetime) -> str:
    attempts = delivery.attempts + 1
    changes: dict[str, object] = {
        "attempts": attempts,
        "claimed_until": None,
        "last_status_code": attempt.status_code,
        "last_error": attempt.error[:MAX_ERROR_CHARS],
        "remote_ids": delivery.remote_ids,
    }
    if attempt.is_success:
        status = DeliveryStatus.DELIVERED
        changes.update(delivered_at=now, next_attempt_at=None)
    else:
        delay = retry_delay_after(attempts)
        status = DeliveryStatus.FAILED if delay is None else DeliveryStatus.PENDING
        changes["next_attempt_at"] = None if delay is None else now + delay
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, **changes)
    # Ids only: the payload and the receiver's answer may hold personal data.
    logger.info(
        "Webhook delivery %s (%s #%s, lead %s, endpoint %s), attempt %s: %s %s",
        delivery.pk,
        delivery.event_type,
        delivery.sequence,
        delivery.lead_id,
        delivery.endpoint_id,
        attempts,
        status,
        attempt.status_code or "no answer",
    )
    return status


def deliver_queue(endpoint_id: int, lead_id: int, *, now: datetime) -> int:
    """Send the lead's due deliveries to one endpoint, in sequence order.

    Stops at the first delivery that is not due, is held by another worker,
    or fails (it will be retried later, and the ones behind it wait).
    Returns how many were delivered.
    """
    delivered = 0
    while True:
        head = (
            WebhookDelivery.objects.select_related("endpoint")
            .filter(endpoint_id=endpoint_id, lead_id=lead_id)
            .exclude(status=DeliveryStatus.DELIVERED)
            .order_by("sequence")
            .first()
        )
        if head is None or not claim(head, now=now):
            return delivered
        if _record(head, _send(head, now=now), now=now) != DeliveryStatus.DELIVERED:
            return delivered
        delivered += 1


def deliver(delivery_id: int, *, now: datetime) -> int:
    """Send this delivery's lead queue (the delivery itself and what is due before it).

    Safe to run twice: the claim lets one worker send each delivery.
    Returns how many were delivered; 0 when the delivery no longer exists.
    """
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return 0
    return deliver_queue(delivery.endpoint_id, delivery.lead_id, now=now)


def deliver_due(*, now: datetime) -> int:
    """Send every due delivery (retries and anything missed), per lead in order.

    Returns how many were delivered.
    """
    queues = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .values_list("endpoint_id", "lead_id")
        .distinct()
        .order_by()
    )
    return sum(
        deliver_queue(endpoint_id, lead_id, now=now)
        for endpoint_id, lead_id in list(queues)
    )
