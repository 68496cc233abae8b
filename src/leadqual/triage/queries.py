"""Read helpers for triage: owners' current state and open tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import IntEnum
from typing import Literal

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadqual.core.assignment import OwnerState
from leadqual.core.bands import Band
from leadqual.leads.models import Lead
from leadqual.paging import PagedRows, count_up_to
from leadqual.triage.models import AlertKind, Notice, Task
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role


def sales_users() -> QuerySet[User]:
    """Active users in the sales role."""
    return User.objects.filter(is_active=True, groups__name=Role.SALES.value).distinct()


def owner_states() -> list[OwnerState]:
    """Every active salesperson as assignment sees them now."""
    # A counted subquery per user reads the (owner, done_at) index; a join
    # with Count would walk every task the team ever had.
    open_tasks = (
        Task.objects.filter(owner_id=OuterRef("pk"), done_at__isnull=True)
        .order_by()
        .values("owner_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    users = sales_users().annotate(open_task_count=Coalesce(Subquery(open_tasks), 0))
    profiles = {
        profile.user_id: profile
        for profile in OwnerProfile.objects.filter(user__in=users)
    }
    states = []
    for user in users:
        profile = profiles.get(user.pk)
        states.append(
            OwnerState(
                owner_id=user.pk,
                open_tasks=user.open_task_count,
                capacity=profile.capacity if profile else None,
                is_away=profile.is_away if profile else False,
                regions=frozenset(profile.regions) if profile else frozenset(),
                sectors=frozenset(profile.sectors) if profile else frozenset(),
                last_assigned_at=profile.last_assigned_at if profile else None,
            )
        )
    return states


def open_tasks_of(lead_id: int) -> QuerySet[Task]:
    return Task.objects.filter(lead_id=lead_id, done_at__isnull=True)


# --- the sales queue (triage/views.py) -------------------------------------------


def _queue_order(tasks: QuerySet[Task]) -> QuerySet[Task]:
    # Soonest deadline first; at the same deadline the higher score first.
    return tasks.select_related("lead", "lead__company", "owner").order_by(
        "due_at", F("lead__score_total").desc(nulls_last=True), "id"
    )


def open_tasks_owned_by(user: User) -> QuerySet[Task]:
    """The user's open tasks, soonest due first, then by lead score."""
    return _queue_order(Task.objects.filter(owner=user, done_at__isnull=True))


def open_tasks_with_an_owner() -> QuerySet[Task]:
    """Every owner's open tasks, soonest due first, then by lead score."""
    return _queue_order(Task.objects.filter(owner__isnull=False, done_at__isnull=True))


def unassigned_open_tasks() -> QuerySet[Task]:
    """Open tasks without an owner (no seller was available), soonest due first."""
    return _queue_order(Task.objects.filter(owner__isnull=True, done_at__isnull=True))


# --- the today queue (web/queue.py) -----------------------------------------------

# A hot lead whose task is younger than this is "new": it tops the queue.
NEW_HOT_WITHIN = timedelta(days=7)

# Whose open tasks a queue shows: one owner (a user id), those without an
# owner, or every open task.
QueueOwner = int | Literal["unassigned", "all"]
UNASSIGNED: QueueOwner = "unassigned"
ALL_OWNERS: QueueOwner = "all"


class QueueTier(IntEnum):
    """The queue's groups, most urgent first."""

    NEW_HOT = 0
    DUE_TODAY = 1
    OVERDUE = 2
    LATER = 3


@dataclass(frozen=True, slots=True)
class QueueDay:
    """The moments that split the queue into its tiers, in the site's time zone."""

    now: datetime
    starts_at: datetime
    ends_at: datetime

    @property
    def new_hot_since(self) -> datetime:
        return self.now - NEW_HOT_WITHIN


def queue_day(now: datetime) -> QueueDay:
    """Today (midnight to midnight in the site's time zone) as seen at ``now``."""
    local = timezone.localtime(now)
    starts_at = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
    ends_at = datetime.combine(
        local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo
    )
    return QueueDay(now=now, starts_at=starts_at, ends_at=ends_at)


def _is_new_hot(day: QueueDay) -> Q:
    return Q(lead__band=Band.HOT.value, created_at__gte=day.new_hot_since)


def _open_tasks_of(owner: QueueOwner) -> QuerySet[Task]:
    tasks = Task.objects.filter(done_at__isnull=True)
    if isinstance(owner, int):
        return tasks.filter(owner_id=owner)
    if owner == UNASSIGNED:
        return tasks.filter(owner__isnull=True)
    return tasks


def today_queue(
    owner: QueueOwner, *, now: datetime, band: Band | None = None
) -> QuerySet[Task]:
    """Open tasks in the order a seller should work them, annotated with ``tier``.

    New hot leads first (a hot lead whose task is younger than NEW_HOT_WITHIN),
    soonest deadline first; then tasks due today; then overdue tasks, hot
    before warm and the most recently overdue first (a task months overdue
    sinks to the bottom, where it waits for a bulk close); then the rest,
    soonest deadline first. Ties go to the higher score. One query, with the
    lead, its company and the owner joined; page it with a Paginator.
    """
    day = queue_day(now)
    tasks = _open_tasks_of(owner)
    if band is not None:
        tasks = tasks.filter(lead__band=band.value)
    overdue = Q(due_at__lt=day.starts_at)
    return (
        tasks.select_related("lead", "lead__company", "owner")
        .annotate(
            tier=Case(
                When(_is_new_hot(day), then=Value(int(QueueTier.NEW_HOT))),
                When(
                    due_at__lt=day.ends_at,
                    due_at__gte=day.starts_at,
                    then=Value(int(QueueTier.DUE_TODAY)),
                ),
                When(overdue, then=Value(int(QueueTier.OVERDUE))),
                default=Value(int(QueueTier.LATER)),
                output_field=IntegerField(),
            ),
            band_rank=Case(
                When(lead__band=Band.HOT.value, then=Value(0)),
                When(lead__band=Band.WARM.value, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .annotate(
            # Overdue: hot first, latest deadline first; others: soonest first.
            overdue_band_rank=Case(
                When(tier=QueueTier.OVERDUE, then=F("band_rank")),
                default=Value(0),
                output_field=IntegerField(),
            ),
            due_soonest=Case(
                When(~Q(tier=QueueTier.OVERDUE), then=F("due_at")),
                default=None,
                output_field=DateTimeField(),
            ),
            due_latest=Case(
                When(tier=QueueTier.OVERDUE, then=F("due_at")),
                default=None,
                output_field=DateTimeField(),
            ),
        )
        .order_by(
            "tier",
            "overdue_band_rank",
            F("due_soonest").asc(nulls_last=True),
            F("due_latest").desc(nulls_last=True),
            F("lead__score_total").desc(nulls_last=True),
            "id",
        )
    )


def _tier_reads(
    day: QueueDay, *, one_owner: bool
) -> list[tuple[QueueTier, Q, tuple[str | OrderBy, ...]]]:
    """The queue's tiers as (tier, condition, order), in the queue's order.

    The overdue tier is read per band (hot, warm, the rest), each latest
    deadline first: ``today_queue`` sorts it by its band rank first. With
    ``one_owner`` (a seller's or the unassigned tasks: ``task_owner_queue``)
    the order starts with the owner and done_at, the same for every task:
    PostgreSQL does not take "IS NULL" as one value of an index column, and
    would sort the tier instead of reading it in deadline order.
    """
    # On the annotated ``lead_band`` (QueueByTier), not the joined lead: a
    # condition on the lead lets the database start from every lead of the
    # band and sort their tasks, instead of reading tasks in deadline order.
    hot = Q(lead_band=Band.HOT.value)
    warm = Q(lead_band=Band.WARM.value)
    new_hot = hot & Q(created_at__gte=day.new_hot_since)
    overdue = ~new_hot & Q(due_at__lt=day.starts_at)
    # The overdue hot tasks are those of the hot leads, found from the band's
    # index (hot leads are few: a lead stays hot only while it engages) and
    # sorted. In deadline order the read walked past every overdue task of
    # a later deadline that was not hot: 540 ms at a million leads (#15).
    overdue_hot = (
        Q(lead_id__in=Lead.objects.filter(band=Band.HOT.value).values("pk"))
        & ~Q(created_at__gte=day.new_hot_since)
        & Q(due_at__lt=day.starts_at)
    )
    by_score: tuple[str | OrderBy, ...] = (
        F("lead__score_total").desc(nulls_last=True),
        "id",
    )
    owner_first = ("owner_id", "done_at") if one_owner else ()
    soonest: tuple[str | OrderBy, ...] = (
        *(F(name).asc() for name in owner_first),
        F("due_at").asc(),
        *by_score,
    )
    latest: tuple[str | OrderBy, ...] = (
        *(F(name).desc() for name in owner_first),
        F("due_at").desc(),
        *by_score,
    )
    return [
        (QueueTier.NEW_HOT, new_hot, soonest),
        (
            QueueTier.DUE_TODAY,
            ~new_hot & Q(due_at__gte=day.starts_at, due_at__lt=day.ends_at),
            soonest,
        ),
        (QueueTier.OVERDUE, overdue_hot, latest),
        (QueueTier.OVERDUE, overdue & warm, latest),
        (QueueTier.OVERDUE, overdue & ~hot & ~warm, latest),
        (QueueTier.LATER, ~new_hot & Q(due_at__gte=day.ends_at), soonest),
    ]


# The queries a page of the queue reads at most (one per tier and band of
# _tier_reads), besides the counts of the tiers before it.
QUEUE_READS = 6


class QueueByTier(PagedRows[Task]):
    """``today_queue`` read tier by tier, each in the order an index has.

    A sequence a Paginator pages like a query set: ``count()`` and slices.
    ``today_queue`` computes every open task's tier and sorts them all; here
    each tier is its own query in deadline order (``task_open_queue``,
    ``task_owner_queue``), read with an offset and a limit, and a tier is
    counted only when a page starts after it. The same tasks in the same
    order, annotated with ``tier``.
    """

    def __init__(
        self, owner: QueueOwner, *, now: datetime, band: Band | None = None
    ) -> None:
        tasks = _open_tasks_of(owner).annotate(
            lead_band=Subquery(
                Lead.objects.filter(pk=OuterRef("lead_id")).values("band")[:1]
            )
        )
        if band is not None:
            tasks = tasks.filter(lead_band=band.value)
        self._tasks = tasks
        self._tiers = [
            (tier, tasks.filter(condition), order)
            for tier, condition, order in _tier_reads(
                queue_day(now), one_owner=owner != ALL_OWNERS
            )
        ]

    def count(self) -> int:
        return self._tasks.count()

    def count_up_to(self, limit: int) -> int:
        return count_up_to(self._tasks, limit)

    def reads(self) -> list[QuerySet[Task]]:
        """Each tier's tasks in their order (for the tests of their plans)."""
        return [
            tasks.select_related("lead", "lead__company", "owner")
            .annotate(tier=Value(int(tier), output_field=IntegerField()))
            .order_by(*order)
            for tier, tasks, order in self._tiers
        ]

    def rows(self, start: int, stop: int) -> list[Task]:
        page: list[Task] = []
        skip = start
        wanted = stop - start
        for tasks, (_tier, counted, _order) in zip(
            self.reads(), self._tiers, strict=True
        ):
            if wanted <= 0:
                break
            if skip:
                # Only a tier wholly before the page is counted, and only up
                # to the page's start: a tier of exactly ``skip`` tasks is
                # read as an empty slice, and the page goes on after it.
                size = count_up_to(counted, skip)
                if skip > size:
                    skip -= size
                    continue
            rows = list(tasks[skip : skip + wanted])
            skip = 0
            page.extend(rows)
            wanted -= len(rows)
        return page


# The menu badge counts up to this many and shows "99+" past it: a count that
# stops there reads at most 100 index entries, however many tasks wait.
BADGE_MAX_SHOWN = 99


def badge_text(count: int) -> str:
    """A badge's number: the count, or "99+" past BADGE_MAX_SHOWN."""
    return f"{BADGE_MAX_SHOWN}+" if count > BADGE_MAX_SHOWN else str(count)


@dataclass(frozen=True, slots=True)
class QueueBadge:
    """What the menu shows beside "Queue".

    Each count is exact up to BADGE_MAX_SHOWN and BADGE_MAX_SHOWN + 1 past it.
    """

    tasks: int  # open tasks needing the user today: new hot, due today, overdue
    hot_notices: int  # leads of theirs that turned hot, not seen yet

    @property
    def tasks_text(self) -> str:
        return badge_text(self.tasks)

    @property
    def hot_notices_text(self) -> str:
        return badge_text(self.hot_notices)


class _CountOfFirst(Subquery):
    """How many rows a sliced query set has: ``COUNT(*)`` over its LIMIT.

    Counts at most the slice's length, where a ``COUNT(*)`` subquery reads
    every matching row.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted_rows)"
    output_field = IntegerField()


def _count_of_first(rows: QuerySet[Task] | QuerySet[Notice], limit: int) -> Coalesce:
    return Coalesce(_CountOfFirst(rows.order_by().values("pk")[:limit]), 0)


def queue_badge_counts(
    user_id: int, *, now: datetime
) -> QuerySet[User, tuple[int, int, int]]:
    """The user's (tasks due by tonight, new hot tasks due later, unseen hot
    notices), each counted up to BADGE_MAX_SHOWN + 1: ``queue_badge``'s query."""
    day = queue_day(now)
    limit = BADGE_MAX_SHOWN + 1
    tasks = _open_tasks_of(user_id)
    # Two parts that do not overlap, each read from an index range and
    # stopped at the limit: the tasks due by tonight (``task_owner_queue``)
    # and the new hot ones due later (this week's: ``task_owner_open_created``).
    # Their ``OR`` in one count would walk every open task of the user.
    due = tasks.filter(due_at__lt=day.ends_at)
    new_hot_later = tasks.filter(_is_new_hot(day), due_at__gte=day.ends_at)
    return (
        User.objects.filter(pk=user_id)
        .annotate(
            due_count=_count_of_first(due, limit),
            new_hot_count=_count_of_first(new_hot_later, limit),
            hot_notice_count=_count_of_first(unseen_hot_notices(user_id), limit),
        )
        .values_list("due_count", "new_hot_count", "hot_notice_count")
    )


def queue_badge(user_id: int, *, now: datetime) -> QueueBadge:
    """The user's badge counts, each up to BADGE_MAX_SHOWN + 1, in one query."""
    counts = queue_badge_counts(user_id, now=now).first()
    if counts is None:
        return QueueBadge(tasks=0, hot_notices=0)
    due_count, new_hot_count, hot_notice_count = counts
    return QueueBadge(
        tasks=min(BADGE_MAX_SHOWN + 1, due_count + new_hot_count),
        hot_notices=hot_notice_count,
    )


def next_lead_in_queue(
    owner: QueueOwner,
    *,
    after_lead_id: int | None,
    now: datetime,
    band: Band | None = None,
) -> int | None:
    """The lead after ``after_lead_id`` in the queue's order (one query).

    When that lead has left the queue (its task was just closed) or is not
    given, the queue's first lead other than it. None when no other lead waits.
    """
    # A lead with two open tasks counts once, at its first.
    lead_ids = list(
        dict.fromkeys(
            today_queue(owner, now=now, band=band).values_list("lead_id", flat=True)
        )
    )
    if after_lead_id in lead_ids:
        position = lead_ids.index(after_lead_id)
        following = lead_ids[position + 1 :]
        return following[0] if following else None
    others = [lead_id for lead_id in lead_ids if lead_id != after_lead_id]
    return others[0] if others else None


def closable_tasks(task_ids: Sequence[int], *, owner: QueueOwner) -> QuerySet[Task]:
    """The given tasks that are open and (unless ``owner`` is "all") the owner's."""
    return _open_tasks_of(owner).filter(pk__in=task_ids)


def unseen_hot_notices(user_id: int) -> QuerySet[Notice]:
    """The user's notices of leads turned hot they have not seen, newest first."""
    return (
        Notice.objects.filter(
            recipient_id=user_id, seen_at__isnull=True, kind=AlertKind.BECAME_HOT
        )
        .select_related("lead", "lead__company")
        .order_by("-created_at", "-id")
    )
