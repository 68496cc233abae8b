from __future__ import annotations

from django.contrib import admin

from leadqual.accounts.admin import CheckedLookupsAdmin
from leadqual.intake.models import ImportJob, TrackedSite, Visitor


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
