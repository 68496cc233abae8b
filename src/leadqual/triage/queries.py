"""Read helpers for triage: owners' current state and open tasks."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet

from leadqual.accounts.models import OwnerProfile
from leadqual.accounts.roles import Role
from leadqual.core.assignment import OwnerState
from leadqual.triage.models import Task


def sales_users() -> QuerySet[User]:
    """Active users in the sales role."""
    return User.objects.filter(is_active=True, groups__name=Role.SALES.value).distinct()


def owner_states() -> list[OwnerState]:
    """Every active salesperson as assignment sees them now."""
    users = sales_users().annotate(
        open_task_count=Count("tasks", filter=Q(tasks__done_at__isnull=True), distinct=True)
    )
    profiles = {profile.user_id: profile for profile in OwnerProfile.objects.filter(user__in=users)}
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
