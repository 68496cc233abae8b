from __future__ import annotations

from django.contrib import admin

from leadqual.triage.models import Feedback, Outcome, Task
from leadqual.users.admin import CheckedLookupsAdmin


@admin.register(Feedback)
class FeedbackAdmin(CheckedLookupsAdmin[Feedback]):
    list_display = ("lead", "decision", "reason", "given_by", "given_at")
    list_filter = ("decision", "reason")
    list_select_related = ("lead", "given_by")


@admin.register(Outcome)
class OutcomeAdmin(CheckedLookupsAdmin[Outcome]):
    list_display = ("lead", "kind", "value_cents", "occurred_at")
    list_filter = ("kind",)
    list_select_related = ("lead",)


@admin.register(Task)
class TaskAdmin(CheckedLookupsAdmin[Task]):
    list_display = ("lead", "owner", "kind", "due_at", "done_at")
    list_filter = ("kind", "owner")
    list_select_related = ("lead", "owner")
