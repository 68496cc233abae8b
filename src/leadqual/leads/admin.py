from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from leadqual.leads.models import Company, Event, Lead, LeadMerge
from leadqual.users.admin import CheckedLookupsAdmin


@admin.register(Company)
class CompanyAdmin(CheckedLookupsAdmin[Company]):
    list_display = ("name", "domain", "created_at")
    search_fields = ("name", "domain")
    readonly_fields = ("normalised_name",)


class EventInline(admin.TabularInline[Event, Lead]):
    model = Event
    extra = 0
    fields = ("type", "occurred_at", "received_at", "source", "properties")
    readonly_fields = fields
    ordering = ("-occurred_at",)
    show_change_link = True

    def has_add_permission(self, request: object, obj: Lead | None = None) -> bool:
        return False


@admin.register(Lead)
class LeadAdmin(CheckedLookupsAdmin[Lead]):
    list_display = (
        "email",
        "full_name",
        "company",
        "band",
        "score_total",
        "status",
        "owner",
        "source",
    )
    list_filter = ("band", "status", "source", "owner")
    search_fields = ("email", "first_name", "last_name", "company__name")
    ordering = ("-score_total",)
    list_select_related = ("company", "owner")
    readonly_fields = ("score_total", "band", "scored_at", "created_at", "updated_at")
    inlines = (EventInline,)

    @admin.display(description=_("name"))
    def full_name(self, lead: Lead) -> str:
        return lead.full_name


@admin.register(Event)
class EventAdmin(CheckedLookupsAdmin[Event]):
    list_display = ("lead", "type", "occurred_at", "received_at", "source")
    # Not by source: Django lists a free-text column's values with SELECT
    # DISTINCT over every event (4 s over ten million).
    list_filter = ("type",)
    # A filtered page counts its own rows only, not the whole table again.
    show_full_result_count = False
    search_fields = ("lead__email", "external_id")
    list_select_related = ("lead",)
    readonly_fields = ("received_at",)


@admin.register(LeadMerge)
class LeadMergeAdmin(CheckedLookupsAdmin[LeadMerge]):
    list_display = (
        "merged_email",
        "survivor",
        "reason",
        "merged_at",
        "merged_by",
        "undone_at",
    )
    list_select_related = ("survivor", "merged_by")
    readonly_fields = ("snapshot", "moved_rows")
