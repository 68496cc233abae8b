"""Outbound webhook endpoints and the deliveries queued for them (the outbox)."""

from __future__ import annotations

import base64
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Standard Webhooks: a symmetric secret is 24-64 random bytes, shown base64
# encoded with the "whsec_" prefix.
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32

EVENT_TYPES = (
    "lead.created",
    "lead.band_changed",
    "lead.assigned",
    "lead.feedback",
    "lead.outcome",
    "lead.reopened",
)


def generate_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def all_event_types() -> list[str]:
    """Every event type, the default subscription of a new endpoint."""
    return list(EVENT_TYPES)


class EndpointKind(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook (Standard Webhooks, signed JSON)")
    HUBSPOT = "hubspot", _("HubSpot CRM (contacts and tasks)")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookEndpoint(models.Model):
    """Where lead events go: a customer's URL, or the HubSpot connector."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=EndpointKind.choices,
        default=EndpointKind.WEBHOOK,
    )
    url = models.URLField(
        _("URL"),
        max_length=2000,
        blank=True,
        help_text=_("The receiver's address. Not used for HubSpot."),
    )
    secret = models.CharField(
        _("signing secret"), max_length=200, default=generate_secret
    )
    events = models.JSONField(
        _("events"),
        default=all_event_types,
        help_text=_('Event types sent to this endpoint, e.g. ["lead.created"].'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    allow_private_network = models.BooleanField(
        _("allow private network"),
        default=False,
        help_text=_(
            "Admins only: let this endpoint call loopback, private and link-local "
            "addresses. Leave off unless the receiver runs inside your own network."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse a webhook URL that is missing or points into a private network."""
        from leadqual.integrations.outbound_webhooks import UnsafeWebhookUrl, check_url

        if self.kind != EndpointKind.WEBHOOK:
            return
        if not self.url:
            raise ValidationError({"url": _("Enter the address webhooks are sent to.")})
        try:
            check_url(self.url, allow_private_network=self.allow_private_network)
        except UnsafeWebhookUrl as error:
            raise ValidationError({"url": error.message}) from None
        unknown = [name for name in self.events or [] if name not in EVENT_TYPES]
        if not isinstance(self.events, list) or unknown:
            raise ValidationError(
                {
                    "events": _(
                        "Unknown event types: %(unknown)s. Use some of %(known)s."
                    )
                    % {
                        "unknown": ", ".join(map(str, unknown)),
                        "known": ", ".join(EVENT_TYPES),
                    }
                }
            )

    def is_subscribed(self, event_type: str) -> bool:
        """True when this endpoint receives events of ``event_type``."""
        return isinstance(self.events, list) and event_type in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint: stored with the change, sent after commit.

    Deliveries of one lead to one endpoint go out strictly in ``sequence``
    order. ``message_id`` is the Standard Webhooks ``webhook-id``: the same on
    every retry, so receivers can drop duplicates.
    """

    # No index of its own: every index below leads with the endpoint. A
    # second one let PostgreSQL count a status through it and filter.
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    event_type = models.CharField(_("event type"), max_length=50)
    payload = models.JSONField(_("payload"))
    message_id = models.CharField(_("message id"), max_length=64, unique=True)
    # An id, not a foreign key: the delivery log outlives an erased lead.
    lead_id = models.BigIntegerField(_("lead id"), db_index=True)
    sequence = models.PositiveIntegerField(_("sequence"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, db_index=True
    )
    # A worker's lease on the row while it sends; expires if the worker dies.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    # What a connector created at the peer, so a retry does not create it
    # again: {"contact": "512", "task": "901"} for HubSpot.
    remote_ids = models.JSONField(_("remote ids"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "lead_id", "sequence"],
                name="integrations_delivery_sequence_per_lead",
            )
        ]
        indexes = [
            # The endpoint's delivery log, newest first, paged by keyset, and
            # its counts per status (tests/web/test_paging_everywhere.py).
            models.Index(fields=["endpoint", "created_at", "id"], name="delivery_log"),
            models.Index(fields=["endpoint", "status"], name="delivery_log_counts"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.sequence} for lead {self.lead_id}"
