from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from leadqual.intake.models import (
    ImportJob,
    PendingFormSubmission,
    TrackedSite,
    Visitor,
)
from leadqual.users.admin import CheckedLookupsAdmin


@admin.register(TrackedSite)
class TrackedSiteAdmin(CheckedLookupsAdmin[TrackedSite]):
    """The websites whose tracking script may send data (exact origins)."""

    list_display = ("name", "origin", "is_active", "created_at")
    list_editable = ("is_active",)


@admin.register(Visitor)
class VisitorAdmin(CheckedLookupsAdmin[Visitor]):
    list_display = ("visitor_id", "site", "lead", "consented_at", "last_seen_at")
    list_select_related = ("site", "lead")
    readonly_fields = (
        "visitor_id",
        "site",
        "lead",
        "consented_at",
        "first_seen_at",
        "last_seen_at",
    )


@admin.register(ImportJob)
class ImportJobAdmin(CheckedLookupsAdmin[ImportJob]):
    list_display = (
        "file_name",
        "status",
        "rows_done",
        "total_rows",
        "created",
        "updated",
        "rejected",
        "started_at",
    )
    list_filter = ("status",)
    readonly_fields = ("file_sha256", "report", "mapping")


@admin.register(PendingFormSubmission)
class PendingFormSubmissionAdmin(CheckedLookupsAdmin[PendingFormSubmission]):
    """Form submissions for known emails, waiting for the person to confirm.

    Read-only: only the person, by the mailed link, may apply one. Without a
    mail server (LEADQUAL_EMAIL_URL) they wait here until they expire.
    """

    list_display = (
        "lead",
        "submitted_at",
        "mail_requested_at",
        "mail_sent_at",
        "confirmed_at",
        "expires_at",
    )
    list_select_related = ("lead",)
    exclude = ("token_hash", "mail_claimed_at")
    readonly_fields = (
        "lead",
        "fields",
        "answers",
        "visitor_id",
        "language",
        "submitted_at",
        "expires_at",
        "mail_requested_at",
        "mail_sent_at",
        "confirmed_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PendingFormSubmission | None = None
    ) -> bool:
        return False
