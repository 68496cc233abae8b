"""The sales queue: each owner's open tasks, soonest due first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django_stubs_ext import StrOrPromise

from leadqual.scoring.queries import latest_scores, strongest_reasons
from leadqual.triage.models import (
    Task,
)
from leadqual.triage.queries import (
    open_tasks_owned_by,
    open_tasks_with_an_owner,
    unassigned_open_tasks,
)
from leadqual.users.permissions import role_required, user_role
from leadqual.users.roles import Role
from leadqual.web.helpers import (
    ALL_ROLES,
    Countdown,
    countdown,
    display_name,
    signed_in_user,
)


@dataclass(frozen=True, slots=True)
class QueueRow:
    task_id: int
    lead_id: int
    lead_name: str
    company: str
    band: str
    band_label: StrOrPromise
    score: int | None
    reasons: list[str]
    countdown: Countdown
    source: str
    owner: str
    kind_label: str


@dataclass(frozen=True, slots=True)
class QueueSection:
    key: str
    title: str
    rows: list[QueueRow] = field(default_factory=list)
    empty_text: str = ""
    show_owner: bool = False


def _queue_rows(tasks: list[Task], *, now: datetime) -> list[QueueRow]:
    scores = latest_scores(task.lead_id for task in tasks)
    rows = []
    for task in tasks:
        lead = task.lead
        score = scores.get(lead.pk)
        reasons = strongest_reasons(score.explanation) if score else []
        band = lead.band or ""
        rows.append(
            QueueRow(
                task_id=task.pk,
                lead_id=lead.pk,
                lead_name=lead.full_name or lead.email,
                company=lead.company.name if lead.company else "",
                band=band,
                band_label=lead.get_band_display() if band else "",
                score=lead.score_total,
                reasons=[reason.reason for reason in reasons],
                countdown=countdown(task.due_at, now=now),
                source=lead.source,
                owner=display_name(task.owner),
                kind_label=task.get_kind_display(),
            )
        )
    return rows


def _sections(user: User, *, now: datetime) -> list[QueueSection]:
    is_sales = user_role(user) is Role.SALES
    first: QuerySet[Task] = (
        open_tasks_owned_by(user) if is_sales else open_tasks_with_an_owner()
    )
    first_tasks = list(first)
    unassigned_tasks = list(unassigned_open_tasks())
    # One score query for both sections.
    rows = _queue_rows(first_tasks + unassigned_tasks, now=now)
    mine, unassigned = rows[: len(first_tasks)], rows[len(first_tasks) :]
    return [
        QueueSection(
            key="mine" if is_sales else "assigned",
            title=gettext("My open tasks") if is_sales else gettext("Assigned tasks"),
            rows=mine,
            empty_text=(
                gettext("You have no open tasks. Well done.")
                if is_sales
                else gettext("No seller has an open task.")
            ),
            show_owner=not is_sales,
        ),
        QueueSection(
            key="unassigned",
            title=gettext("Unassigned tasks"),
            rows=unassigned,
            empty_text=gettext("Every open task has an owner."),
        ),
    ]


@role_required(*ALL_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    """The open tasks, the user's own first, soonest deadline first."""
    user = signed_in_user(request)
    sections = _sections(user, now=timezone.now())
    return render(
        request,
        "triage/queue.html",
        {
            "sections": sections,
            "is_empty": not any(section.rows for section in sections),
        },
    )


# --- the panels on the lead page ------------------------------------------------------
