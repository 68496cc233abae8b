"""The today queue: the open tasks in the order a seller should work them.

New hot leads first, then tasks due today, then overdue ones, then the rest
(``triage.queries.today_queue``, read tier by tier by ``QueueByTier``);
filtered by band and owner, 25 to a page.
Sellers see their own tasks and the unassigned ones; marketing and admins
every owner's. From here a seller closes stale tasks in bulk with a reason,
and ``/queue/next/?after=<lead id>`` (``triage:next-lead``) opens the lead
after the one they just handled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST
from django_stubs_ext import StrOrPromise

from leadqual.core.bands import Band
from leadqual.leads.models import BAND_LABELS
from leadqual.paging import CappedPaginator
from leadqual.privacy.audit import AuditAction, audit
from leadqual.scoring.queries import latest_scores, strongest_reasons
from leadqual.triage.models import Task, TaskCloseReason
from leadqual.triage.queries import (
    ALL_OWNERS,
    UNASSIGNED,
    QueueByTier,
    QueueOwner,
    QueueTier,
    next_lead_in_queue,
    sales_users,
    unseen_hot_notices,
)
from leadqual.triage.services import TasksNotClosable, close_tasks, mark_notices_seen
from leadqual.users.permissions import role_required, user_role
from leadqual.users.roles import Role
from leadqual.web.helpers import (
    ACTING_ROLES,
    ALL_ROLES,
    Countdown,
    HtmxHttpRequest,
    ago_text,
    countdown,
    display_name,
    signed_in_user,
)

TASKS_PER_PAGE = 25
MINE = "mine"


def _tier_title(tier: QueueTier) -> str:
    match tier:
        case QueueTier.NEW_HOT:
            return gettext("New hot leads")
        case QueueTier.DUE_TODAY:
            return gettext("Due today")
        case QueueTier.OVERDUE:
            return gettext("Overdue")
        case QueueTier.LATER:
            return gettext("Later")
        case _:
            assert_never(tier)


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
    may_close: bool


@dataclass(frozen=True, slots=True)
class QueueGroup:
    """Consecutive rows of one tier on the page."""

    tier: str
    title: str
    rows: list[QueueRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OwnerChoice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class HotNotice:
    lead_id: int
    lead_name: str
    company: str
    created_at: datetime
    ago: str


def _queue_rows(
    tasks: list[Task], *, now: datetime, may_close: QueueOwner | None
) -> list[QueueRow]:
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
                lead_name=lead.shown_name,
                company=lead.company.name if lead.company else "",
                band=band,
                band_label=lead.get_band_display() if band else "",
                score=lead.score_total,
                reasons=[reason.reason for reason in reasons],
                countdown=countdown(task.due_at, now=now),
                source=lead.source,
                owner=display_name(task.owner),
                kind_label=task.get_kind_display(),
                may_close=may_close == ALL_OWNERS or task.owner_id == may_close,
            )
        )
    return rows


def _groups(tasks: list[Task], rows: list[QueueRow]) -> list[QueueGroup]:
    groups: list[QueueGroup] = []
    for task, row in zip(tasks, rows, strict=True):
        tier = QueueTier(task.tier)  # type: ignore[attr-defined]
        if not groups or groups[-1].tier != tier.name.lower():
            groups.append(QueueGroup(tier=tier.name.lower(), title=_tier_title(tier)))
        groups[-1].rows.append(row)
    return groups


# --- who sees and closes what ---------------------------------------------------------


def _is_sales(user: User) -> bool:
    return user_role(user) is Role.SALES


def _may_close(user: User) -> QueueOwner | None:
    """Whose tasks the user may close: their own (sales), all (admins) or none."""
    role = user_role(user)
    if role not in ACTING_ROLES:
        return None
    return ALL_OWNERS if role is Role.ADMIN else user.pk


def _owner_choices(user: User) -> list[OwnerChoice]:
    """The owner filter's options, the default first.

    A seller's own tasks for sales, everyone's for marketing and admins.
    """
    if _is_sales(user):
        return [
            OwnerChoice(MINE, gettext("My tasks")),
            OwnerChoice(str(UNASSIGNED), gettext("Unassigned")),
        ]
    choices = [
        OwnerChoice(str(ALL_OWNERS), gettext("Everyone")),
        OwnerChoice(str(UNASSIGNED), gettext("Unassigned")),
    ]
    choices.extend(
        OwnerChoice(str(seller.pk), display_name(seller))
        for seller in sales_users().order_by("first_name", "username")
    )
    return choices


def _read_owner(
    request: HttpRequest, user: User, choices: list[OwnerChoice]
) -> tuple[str, QueueOwner]:
    """The owner filter as typed (a choice's value) and as the query takes it."""
    typed = request.GET.get("owner", "")
    if typed not in {choice.value for choice in choices}:
        typed = choices[0].value
    if typed == MINE:
        return typed, user.pk
    if typed in (UNASSIGNED, ALL_OWNERS):
        return typed, UNASSIGNED if typed == UNASSIGNED else ALL_OWNERS
    return typed, int(typed)


def _filter_query(
    owner_value: str, band: Band | None, choices: list[OwnerChoice]
) -> str:
    """The filters that differ from the default, as a query string."""
    kept = {"band": band.value if band else "", "owner": owner_value}
    if owner_value == choices[0].value:
        kept["owner"] = ""
    return urlencode({key: value for key, value in kept.items() if value})


def _read_band(request: HttpRequest) -> Band | None:
    try:
        return Band(request.GET.get("band", ""))
    except ValueError:
        return None


# --- pages ----------------------------------------------------------------------------


def _hot_notices(user: User, *, now: datetime) -> list[HotNotice]:
    """The unseen notices of leads turned hot, marked seen now that they show."""
    notices = list(unseen_hot_notices(user.pk)[:10])
    if notices:
        mark_notices_seen(notices, now=now)
    return [
        HotNotice(
            lead_id=notice.lead_id,
            lead_name=notice.lead.shown_name,
            company=notice.lead.company.name if notice.lead.company else "",
            created_at=notice.created_at,
            ago=ago_text(notice.created_at, now=now),
        )
        for notice in notices
    ]


def _queue_context(
    request: HttpRequest, user: User, *, now: datetime
) -> dict[str, object]:
    choices = _owner_choices(user)
    owner_value, owner = _read_owner(request, user, choices)
    band = _read_band(request)
    may_close = _may_close(user)
    # Tier by tier, each in index order: the same tasks and order as
    # today_queue, without sorting every open task.
    paginator = CappedPaginator(QueueByTier(owner, now=now, band=band), TASKS_PER_PAGE)
    page: Page[Task] = paginator.get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    rows = _queue_rows(tasks, now=now, may_close=may_close)
    return {
        "page": page,
        "groups": _groups(tasks, rows),
        "task_count": paginator.count,
        "count_text": (
            gettext("More than %(count)s open tasks") % {"count": paginator.cap_text}
            if paginator.is_capped
            else ngettext(
                "%(count)s open task", "%(count)s open tasks", paginator.count
            )
            % {"count": paginator.count}
        ),
        "owner_choices": choices,
        "owner_value": owner_value,
        "band_value": band.value if band else "",
        "band_choices": [(band.value, BAND_LABELS[band]) for band in Band],
        "show_owner": owner_value != MINE,
        "can_close": any(row.may_close for row in rows),
        "close_reasons": TaskCloseReason.choices,
        "first_lead_id": rows[0].lead_id if rows else None,
        "filter_query": _filter_query(owner_value, band, choices),
        "is_filtered": band is not None or owner_value != choices[0].value,
    }


@role_required(*ALL_ROLES)
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """The today queue, one page of it; the list alone for htmx paging."""
    user = signed_in_user(request)
    now = timezone.now()
    context = _queue_context(request, user, now=now)
    if request.htmx:
        return render(request, "triage/_queue_list.html", context)
    context["hot_notices"] = _hot_notices(user, now=now)
    return render(request, "triage/queue.html", context)


@role_required(*ALL_ROLES)
def next_lead(request: HttpRequest) -> HttpResponse:
    """Redirect to the lead after ``?after=<lead id>`` in the user's queue order.

    Without ``after`` (or when that lead's task was just closed), the top of
    the queue. The queue's ``owner`` and ``band`` filters apply when given;
    by default a seller's own tasks, everyone's for marketing and admins.
    Back to the queue, with a message, when no lead waits.
    """
    user = signed_in_user(request)
    after = request.GET.get("after", "")
    after_lead_id = int(after) if after.isdigit() else None
    _owner_value, owner = _read_owner(request, user, _owner_choices(user))
    lead_id = next_lead_in_queue(
        owner,
        after_lead_id=after_lead_id,
        band=_read_band(request),
        now=timezone.now(),
    )
    if lead_id is None:
        messages.success(request, gettext("No other lead waits in your queue."))
        return redirect("triage:queue")
    return redirect("leads:lead-detail", lead_id)


def _back_to_queue(request: HttpRequest) -> HttpResponseRedirect:
    query = QueryDict(request.POST.get("return_query", ""))
    url = reverse("triage:queue")
    # Only the queue's own filters go back into the address.
    kept = {key: query[key] for key in ("owner", "band", "page") if query.get(key)}
    return HttpResponseRedirect(f"{url}?{urlencode(kept)}" if kept else url)


@require_POST
@role_required(*ACTING_ROLES)
def close_selected_tasks(request: HttpRequest) -> HttpResponse:
    """Close the ticked tasks with the chosen reason; all or none."""
    user = signed_in_user(request)
    may_close = _may_close(user)
    assert may_close is not None, "ACTING_ROLES may close tasks"
    task_ids = [int(value) for value in request.POST.getlist("task") if value.isdigit()]
    try:
        reason = TaskCloseReason(request.POST.get("reason", ""))
    except ValueError:
        messages.error(
            request,
            gettext("Choose why the tasks are closed; nothing was closed."),
        )
        return _back_to_queue(request)
    if not task_ids:
        messages.error(request, gettext("Tick at least one task to close."))
        return _back_to_queue(request)
    try:
        closed = close_tasks(
            task_ids, reason=reason, by=user, may_close=may_close, now=timezone.now()
        )
    except TasksNotClosable as error:
        messages.error(
            request,
            gettext(
                "Tasks %(ids)s are closed already or not yours to close; "
                "nothing was closed. Choose again."
            )
            % {"ids": error.fields.get("tasks", "")},
        )
        return _back_to_queue(request)
    for task in closed:
        audit(
            user,
            AuditAction.CHANGED,
            task.lead_id,
            detail=f"closed task {task.pk}: {reason.value}",
        )
    messages.success(
        request,
        ngettext(
            "Closed %(count)s task: %(reason)s.",
            "Closed %(count)s tasks: %(reason)s.",
            len(closed),
        )
        % {"count": len(closed), "reason": reason.label},
    )
    return _back_to_queue(request)
