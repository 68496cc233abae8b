"""Rows the intake app keeps for itself: form attempts, tracked sites and
anonymous visitors, and import jobs."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadqual.leads.models import EVENT_TYPE_LABELS, Event, Lead


class FormAttempt(models.Model):
    """One accepted submission of the public form, by a hash of the sender's address.

    Only a salted hash is stored, never the address itself; rows older than the
    rate-limit window are deleted as new ones arrive (see intake.ratelimit).
    """

    # HMAC-SHA256 of the client address, keyed with SECRET_KEY: 64 hex digits.
    address_hash = models.CharField(_("address hash"), max_length=64)
    attempted_at = models.DateTimeField(_("attempted at"), db_index=True)

    class Meta:
        verbose_name = _("form attempt")
        verbose_name_plural = _("form attempts")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["address_hash", "attempted_at"],
                name="intake_attempt_address_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.address_hash[:12]}… at {self.attempted_at:%Y-%m-%d %H:%M}"


def new_identify_secret() -> str:
    """A fresh signing secret for a tracked site's identify tokens (256 bits)."""
    return secrets.token_urlsafe(32)


class TrackedSite(models.Model):
    """A website allowed to send tracking data (by its exact origin).

    ``identify_secret`` is shared with the site's backend only: it signs the
    identify tokens that link a visitor to a lead (intake.tracker). It is
    shown to admins on the site's admin page and never logged.
    """

    name = models.CharField(_("name"), max_length=100)
    # Scheme, host and port as browsers send it in Origin: https://www.example.nl
    origin = models.CharField(_("origin"), max_length=255, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    identify_secret = models.CharField(
        _("identify secret"),
        max_length=64,
        default=new_identify_secret,
        help_text=_(
            "Your website's backend signs identify calls with this secret "
            "(see docs/tracking.md). Keep it on the server; never put it in a page."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracked site")
        verbose_name_plural = _("tracked sites")

    def __str__(self) -> str:
        return self.origin


class Visitor(models.Model):
    """An anonymous browser that accepted cookies on a tracked site.

    ``lead`` is set once the visitor identifies (form submit or identify call);
    from then on the visitor's events are stored as the lead's events.
    """

    visitor_id = models.CharField(_("visitor id"), max_length=64, unique=True)
    site = models.ForeignKey(
        TrackedSite, on_delete=models.CASCADE, related_name="visitors"
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="visitors"
    )
    consented_at = models.DateTimeField(_("cookie consent at"))
    first_seen_at = models.DateTimeField(_("first seen at"))
    last_seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")

    def __str__(self) -> str:
        return self.visitor_id


class VisitorEvent(models.Model):
    """What an anonymous visitor did; copied to the lead's events when stitched."""

    # No index of its own: intake_visitor_event_idx leads with it.
    visitor = models.ForeignKey(
        Visitor,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=30, choices=EVENT_TYPE_LABELS)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=200, null=True, blank=True, unique=True
    )
    stitched_event = models.OneToOneField(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visitor_event",
    )

    class Meta:
        verbose_name = _("visitor event")
        verbose_name_plural = _("visitor events")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["visitor", "occurred_at"], name="intake_visitor_event_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M}"


IMPORT_STATUS_LABELS = {
    "running": _("Running"),
    "done": _("Done"),
    "failed": _("Failed"),
}


class ImportJob(models.Model):
    """One import of a file: progress while it runs, the report when done.

    Rows are written in batches, each batch in one transaction, and
    ``rows_done`` moves with each committed batch, so an import that was
    killed can resume after the last committed batch.
    """

    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file digest"), max_length=64, db_index=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=IMPORT_STATUS_LABELS, default="running"
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # The rejections: [{"row": 17, "column": "budget", "message": "..."}].
    report = models.JSONField(_("report"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Why a file was refused after its import started (gone, changed).
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class IdempotentRequest(models.Model):
    """The first answer to an API write sent with an ``Idempotency-Key`` header.

    A retry with the same token and key gets this answer again instead of
    writing twice (see api/idempotency.py). The row is stored in the same
    transaction as the write it answers, so neither exists without the other.
    Rows older than 24 hours are deleted as new keys arrive.
    """

    # No index of its own: intake_idempotency_token_key leads with it.
    token = models.ForeignKey(
        "accounts.ApiToken",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    key = models.CharField(_("idempotency key"), max_length=200)
    # SHA-256 of method, path and body: the same key with another request is an error.
    request_digest = models.CharField(_("request digest"), max_length=64)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=255)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    # The exact bytes sent the first time (UTF-8 JSON), so a replay is identical.
    response_body = models.TextField(_("response body"))
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key"], name="intake_idempotency_token_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.response_status})"


class PendingFormSubmission(models.Model):
    """A form submission for an existing lead, kept until the lead confirms it.

    Anyone can type any email address into the public form, so a submission
    for a known email changes nothing on the lead until the person opens the
    link mailed to that address and confirms (double opt-in, see
    intake.confirmation). Personal data: ``fields`` holds what was typed.
    """

    # No index of its own: intake_pending_lead_mail_idx leads with it.
    lead = models.ForeignKey(
        Lead,
        on_delete=models.CASCADE,
        related_name="pending_form_submissions",
        db_index=False,
    )
    # The answers as lead fields (LeadIntakeForm.lead_fields), filled into the
    # lead's empty fields once confirmed; emptied then.
    fields = models.JSONField(_("submitted fields"), default=dict, blank=True)
    # The form_submit event's properties (LeadIntakeForm.event_properties).
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # The tracking script's visitor id, stitched to the lead once confirmed.
    visitor_id = models.CharField(_("visitor id"), max_length=64, blank=True)
    # The visitor's language: the confirmation mail is written in it.
    language = models.CharField(_("language"), max_length=10)
    submitted_at = models.DateTimeField(_("submitted at"))
    expires_at = models.DateTimeField(_("link expires at"), db_index=True)
    # SHA-256 of the link's random token, set when the mail is sent; the
    # token itself is only ever in the mail.
    token_hash = models.CharField(
        _("token hash"), max_length=64, blank=True, db_index=True
    )
    # Set when a mail was asked for; empty when none may be sent (a mail went
    # to this lead recently, or no mail server is configured).
    mail_requested_at = models.DateTimeField(
        _("mail requested at"), null=True, blank=True
    )
    mail_claimed_at = models.DateTimeField(_("mail claimed at"), null=True, blank=True)
    mail_sent_at = models.DateTimeField(_("mail sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending form submission")
        verbose_name_plural = _("pending form submissions")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["lead", "mail_requested_at"],
                name="intake_pending_lead_mail_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Form of lead {self.lead_id} at {self.submitted_at:%Y-%m-%d %H:%M}"
