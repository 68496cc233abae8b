from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from leadqual.intake.models import (
    ImportJob,
    PendingFormSubmission,
    TrackedSite,
    Visitor,
    new_identify_secret,
)
from leadqual.users.admin import CheckedLookupsAdmin


@admin.register(TrackedSite)
class TrackedSiteAdmin(CheckedLookupsAdmin[TrackedSite]):
    """The websites whose tracking script may send data (exact origins)."""

    list_display = ("name", "origin", "is_active", "created_at")
    list_editable = ("is_active",)
    # Shown to admins (the site's backend needs it), never edited by hand:
    # a new one comes from the action, so it is always long and random.
    readonly_fields = ("identify_secret",)
    actions = ("renew_identify_secret",)

    @admin.action(description=_("Generate a new identify secret"))
    def renew_identify_secret(
        self, request: HttpRequest, queryset: QuerySet[TrackedSite]
    ) -> None:
        sites = list(queryset)
        for site in sites:
            site.identify_secret = new_identify_secret()
            site.save(update_fields=["identify_secret"])
        self.message_user(
            request,
            ngettext(
                "%(count)d site has a new identify secret; tokens signed with the "
                "old one are refused from now on.",
                "%(count)d sites have a new identify secret; tokens signed with the "
                "old one are refused from now on.",
                len(sites),
            )
            % {"count": len(sites)},
            messages.SUCCESS,
        )


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
