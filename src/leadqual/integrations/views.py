"""The delivery log of one webhook endpoint, for admins."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.integrations.outbox import retry_now
from leadqual.paging import capped_count, cursor, keyset_page
from leadqual.users.permissions import role_required
from leadqual.users.roles import Role

LOG_ROWS = 100


def status_counts(
    endpoint: WebhookEndpoint, *, cap: int | None = None
) -> list[tuple[str, str]]:
    """How many deliveries the endpoint has per status, each counted up to ``cap``
    (the lists' count cap unless given): more show as "10,000+".

    An endpoint in use for years has millions of delivered rows; counting all
    of them would cost more than the rest of the page, and "10,000+" says what
    an admin needs. Each count reads the (endpoint, status) index, ``cap`` + 1
    entries at most.
    """
    return [
        (
            str(label),
            str(
                capped_count(
                    WebhookDelivery.objects.filter(endpoint=endpoint, status=value),
                    cap=cap,
                )
            ),
        )
        for value, label in DeliveryStatus.choices
    ]


@role_required(Role.ADMIN)
def endpoint_log(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """The endpoint's deliveries, newest first, with counts per status.

    Paged by keyset (``?before=<delivery id>``), LOG_ROWS a page.
    """
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    page = keyset_page(
        WebhookDelivery.objects.filter(endpoint=endpoint),
        time_field="created_at",
        before=cursor(request.GET.get("before")),
        size=LOG_ROWS,
    )
    return render(
        request,
        "integrations/endpoint_log.html",
        {
            "endpoint": endpoint,
            "deliveries": page.rows,
            "page": page,
            "counts": status_counts(endpoint),
            "retryable": {DeliveryStatus.PENDING, DeliveryStatus.FAILED},
            "row_limit": LOG_ROWS,
        },
    )


@require_POST
@role_required(Role.ADMIN)
def delivery_retry(
    request: HttpRequest, endpoint_id: int, delivery_id: int
) -> HttpResponse:
    """Send one pending or failed delivery again now, then show the log."""
    delivery = get_object_or_404(
        WebhookDelivery, pk=delivery_id, endpoint_id=endpoint_id
    )
    if retry_now([delivery.pk], now=timezone.now()):
        messages.success(
            request,
            _("Delivery %(id)s will be sent again now.") % {"id": delivery.pk},
        )
    return redirect("integrations:endpoint-log", endpoint_id=endpoint_id)
