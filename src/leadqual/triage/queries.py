"""Read helpers for triage: owners' current state and open tasks."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from leadqual.core.assignment import OwnerState
from leadqual.triage.models import Task
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
