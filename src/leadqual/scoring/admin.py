from __future__ import annotations

from django.contrib import admin

from leadqual.scoring.models import BandChange, Score, ScoringModelVersion
from leadqual.users.admin import CheckedLookupsAdmin


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
    list_filter = ("band", "model_version", "trigger")
    search_fields = ("lead__email",)
    list_select_related = ("lead",)

    def has_change_permission(self, request: object, obj: Score | None = None) -> bool:
        # Scores are history: they are never edited, only superseded.
        return False


@admin.register(BandChange)
class BandChangeAdmin(CheckedLookupsAdmin[BandChange]):
    list_display = ("lead", "from_band", "to_band", "changed_at", "handled_at")
    list_filter = ("to_band",)
    list_select_related = ("lead",)
