"""Admin for webhook endpoints and their delivery log, with "retry now"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadqual.integrations.models import WebhookDelivery, WebhookEndpoint
from leadqual.integrations.outbox import retry_now
from leadqual.users.admin import CheckedLookupsAdmin


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(CheckedLookupsAdmin[WebhookEndpoint]):
    """Endpoints; the URL is checked against private networks when saved."""

    list_display = ("name", "kind", "url", "is_active", "created_at", "delivery_log")
    list_filter = ("kind", "is_active")
    readonly_fields = ("secret", "created_at")

    @admin.display(description=gettext_lazy("delivery log"))
    def delivery_log(self, endpoint: WebhookEndpoint) -> SafeString:
        url = reverse("integrations:endpoint-log", args=[endpoint.pk])
        return format_html('<a href="{}">{}</a>', url, _("Delivery log"))


@admin.action(description=gettext_lazy("Retry now"))
def retry_selected(
    modeladmin: admin.ModelAdmin[WebhookDelivery],
    request: HttpRequest,
    queryset: QuerySet[WebhookDelivery],
) -> None:
    """Make the selected pending or failed deliveries due at once."""
    count = retry_now(list(queryset.values_list("pk", flat=True)), now=timezone.now())
    modeladmin.message_user(
        request,
        _("%(count)s deliveries will be sent again now.") % {"count": count},
        messages.SUCCESS,
    )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(CheckedLookupsAdmin[WebhookDelivery]):
    """The delivery log: filter by endpoint and status; retry from here."""

    list_display = (
        "created_at",
        "endpoint",
        "event_type",
        "lead_id",
        "sequence",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = ("endpoint", "status", "event_type")
    list_select_related = ("endpoint",)
    search_fields = ("message_id", "lead_id")
    actions = (retry_selected,)
    readonly_fields = tuple(
        field.name for field in WebhookDelivery._meta.get_fields() if field.concrete
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
