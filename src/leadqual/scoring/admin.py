from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from leadqual.core.scoring import ScoreTrigger
from leadqual.scoring.models import BandChange, Score, ScoringModelVersion
from leadqual.users.admin import CheckedLookupsAdmin


class ListedValueFilter(admin.SimpleListFilter):
    """A filter on the column ``parameter_name`` by one of its ``lookups``.

    Django's filter on a plain column lists its values with SELECT DISTINCT
    over the whole table: 1 to 4 s over a million scores. A subclass lists
    them from a small table or from the code instead. A value not listed
    matches nothing (a number past the column's range would fail).
    """

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Score]
    ) -> QuerySet[Score]:
        value = self.value()
        if value is None:
            return queryset
        if value not in {choice for choice, _label in self.lookup_choices}:
            return queryset.none()
        return queryset.filter(**{str(self.parameter_name): value})


class ModelVersionFilter(ListedValueFilter):
    title = _("model version")
    parameter_name = "model_version"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Score]
    ) -> list[tuple[str, str]]:
        return [
            (str(version), str(version))
            for version in ScoringModelVersion.objects.order_by("-version").values_list(
                "version", flat=True
            )
        ]


class TriggerFilter(ListedValueFilter):
    title = _("trigger")
    parameter_name = "trigger"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Score]
    ) -> list[tuple[str, str]]:
        return [(trigger.value, trigger.value) for trigger in ScoreTrigger]


@admin.register(ScoringModelVersion)
class ScoringModelAdmin(CheckedLookupsAdmin[ScoringModelVersion]):
    list_display = (
        "version",
        "name",
        "is_active",
        "created_at",
        "activated_at",
        "first_used_at",
    )
    readonly_fields = ("version", "is_active", "activated_at", "first_used_at")


@admin.register(Score)
class ScoreAdmin(CheckedLookupsAdmin[Score]):
    list_display = (
        "lead",
        "total",
        "fit",
        "intent",
        "engagement",
        "band",
        "model_version",
        "computed_at",
    )
    list_filter = ("band", ModelVersionFilter, TriggerFilter)
    search_fields = ("lead__email",)
    list_select_related = ("lead",)
    # A filtered page counts its own rows only, not the whole table again.
    show_full_result_count = False

    def has_change_permission(self, request: object, obj: Score | None = None) -> bool:
        # Scores are history: they are never edited, only superseded.
        return False


@admin.register(BandChange)
class BandChangeAdmin(CheckedLookupsAdmin[BandChange]):
    list_display = ("lead", "from_band", "to_band", "changed_at", "handled_at")
    list_filter = ("to_band",)
    list_select_related = ("lead",)
