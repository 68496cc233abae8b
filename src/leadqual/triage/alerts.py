"""Alerts: hot (and warm) leads, SLA reminders and escalations, each sent once.

This module creates the alerts and queues their sending after the commit;
``triage.alert_delivery`` sends them (from the worker).

Every alert is a row first (``Alert``, status pending) created in the same
transaction as the change that causes it, and sent by a background job after
that transaction commits. The row's unique ``dedupe_key`` makes creating the
same alert twice a no-op; sending claims the row (pending -> sending) before
it talks to the mail server or the chat webhook, so two workers, a retry and
the periodic re-queue never send one alert twice. See docs/alerts.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from leadqual.core.bands import Band
from leadqual.core.lifecycle import TaskKind
from leadqual.core.sla import sla_due_at, working_hours_between
from leadqual.leads.models import Lead
from leadqual.triage.alert_delivery import OUT_OF_TRIAGE, STALE_CLAIM_AFTER
from leadqual.triage.models import (
    Alert,
    AlertChannel,
    AlertKind,
    AlertStatus,
    Notice,
    Task,
)
from leadqual.triage.tasks import send_alert_task
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role

logger = logging.getLogger(__name__)

# The owner is reminded once this share of the SLA's working hours has passed.
REMINDER_AT_SLA_FRACTION = 0.8
# A pending alert not tried for this long lost its job (a worker restart
# between commit and enqueue, or an outage longer than the retries).
REQUEUE_PENDING_AFTER = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class SlaCheckResult:
    """What one SLA check created and re-queued, as counts."""

    reminders: int
    escalations: int
    requeued: int


# --- creating alerts --------------------------------------------------------------


def _dedupe_key(
    kind: AlertKind, task: Task, channel: AlertChannel, user: User | None
) -> str:
    # One alert per kind, task, channel and recipient: a lead that goes hot,
    # warm and hot again with the same open task alerts its owner once.
    recipient = f":user-{user.pk}" if user is not None else ""
    return f"{kind.value}:task-{task.pk}:{channel.value}{recipient}"


def _create_alerts(
    task: Task,
    kind: AlertKind,
    *,
    email_to: Iterable[User],
    chat: bool,
    now: datetime,
) -> int:
    """Store pending alerts (skipping existing ones); send them after commit.

    Returns how many were new. Channels that are not configured are skipped.
    """
    rows: list[Alert] = []
    if settings.EMAIL_URL:
        rows.extend(
            Alert(
                lead_id=task.lead_id,
                task=task,
                recipient=user,
                kind=kind.value,
                channel=AlertChannel.EMAIL.value,
                dedupe_key=_dedupe_key(kind, task, AlertChannel.EMAIL, user),
                created_at=now,
            )
            for user in email_to
            if user.email and user.is_active
        )
    if chat and settings.CHAT_WEBHOOK_URL:
        rows.append(
            Alert(
                lead_id=task.lead_id,
                task=task,
                recipient=None,
                kind=kind.value,
                channel=AlertChannel.CHAT.value,
                dedupe_key=_dedupe_key(kind, task, AlertChannel.CHAT, None),
                created_at=now,
            )
        )
    if not rows:
        return 0
    keys = [row.dedupe_key for row in rows]
    existing = set(
        Alert.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    # ignore_conflicts: a concurrent transaction may have created one meanwhile.
    Alert.objects.bulk_create(
        [row for row in rows if row.dedupe_key not in existing], ignore_conflicts=True
    )
    new_ids = list(
        Alert.objects.filter(
            dedupe_key__in=[key for key in keys if key not in existing],
            status=AlertStatus.PENDING,
        ).values_list("id", flat=True)
    )
    for alert_id in new_ids:
        transaction.on_commit(partial(_enqueue, alert_id), robust=True)
    return len(new_ids)


def _enqueue(alert_id: int) -> None:
    send_alert_task(alert_id)


def queue_band_alerts(
    lead: Lead, band: Band, task: Task, *, new_task: bool, now: datetime
) -> int:
    """Create the alerts for a lead that became hot (or warm), sent after commit.

    A hot lead always alerts its owner (email, and an in-app notice on the
    queue, see ``queue_hot_notice``) and the team channel (chat); a warm one
    only with LEADQUAL_ALERT_ON_WARM and only when it got a new task (a hot
    lead cooling to warm is not news). Returns how many email and chat
    alerts are new; 0 for cold, for a repeat, or when no channel is
    configured. Must run inside the transaction that triaged the lead.
    """
    if band is Band.HOT:
        kind = AlertKind.BECAME_HOT
    elif band is Band.WARM and settings.ALERT_ON_WARM and new_task:
        kind = AlertKind.BECAME_WARM
    else:
        return 0
    owners = [task.owner] if task.owner is not None else []
    if kind is AlertKind.BECAME_HOT:
        queue_hot_notice(task, now=now)
    created = _create_alerts(task, kind, email_to=owners, chat=True, now=now)
    if created:
        logger.info("Queued %s %s alerts for lead %s", created, kind.value, lead.pk)
    return created


def queue_hot_notice(task: Task, *, now: datetime) -> bool:
    """Store an in-app notice for the task's owner that the lead turned hot.

    Once per task and owner, like the alerts: a lead that goes hot, warm and
    hot again with the same open task is news once. Needs no channel; the
    queue shows unseen notices and marks them seen. Returns whether a new
    notice was stored; False without an owner or for a repeat.
    """
    if task.owner_id is None:
        return False
    # The unique constraint (recipient, task, kind) makes a repeat a no-op.
    _notice, created = Notice.objects.get_or_create(
        recipient_id=task.owner_id,
        task=task,
        kind=AlertKind.BECAME_HOT.value,
        defaults={"lead_id": task.lead_id, "created_at": now},
    )
    return created


# --- SLA reminders and escalations ------------------------------------------------


def reminder_due_at(task: Task) -> datetime:
    """When the owner is reminded: after 80% of the task's SLA working hours."""
    hours = working_hours_between(task.created_at, task.due_at)
    return sla_due_at(task.created_at, hours * REMINDER_AT_SLA_FRACTION)


def admins() -> list[User]:
    """Active users in the admin role."""
    return list(
        User.objects.filter(is_active=True, groups__name=Role.ADMIN.value).distinct()
    )


def escalation_recipients(owner: User | None) -> list[User]:
    """The owner's manager, or every admin when the owner has none (or no owner)."""
    if owner is not None:
        profile = (
            OwnerProfile.objects.select_related("manager")
            .filter(user_id=owner.pk)
            .first()
        )
        manager = profile.manager if profile is not None else None
        if manager is not None and manager.is_active:
            return [manager]
    return admins()


def open_first_contact_tasks(*, now: datetime) -> list[Task]:
    """Open first-contact tasks of leads still in triage and not yet contacted."""
    return list(
        Task.objects.filter(
            kind=TaskKind.FIRST_CONTACT.value,
            done_at__isnull=True,
            created_at__lte=now,
        )
        .exclude(lead__status__in=[status.value for status in OUT_OF_TRIAGE])
        .exclude(lead__qualification__first_contact_at__isnull=False)
        .select_related("lead", "owner")
        .order_by("due_at", "id")
    )


def check_sla_deadlines(*, now: datetime) -> SlaCheckResult:
    """Remind owners before their SLA runs out; escalate when it has run out.

    For each open first-contact task without a first contact: once 80% of
    its SLA has passed and it is not yet due, one reminder to the owner
    (email); once it is due, one escalation (email to the owner's manager or
    to all admins, and a chat message). Each is created once, so running
    this twice (or at the same time) sends nothing more. Also re-queues
    alerts whose job was lost. Returns the counts of new alerts.
    """
    reminders = escalations = 0
    with transaction.atomic():
        for task in open_first_contact_tasks(now=now):
            if task.due_at <= now:
                escalations += _create_alerts(
                    task,
                    AlertKind.SLA_ESCALATION,
                    email_to=escalation_recipients(task.owner),
                    chat=True,
                    now=now,
                )
            elif task.owner is not None and reminder_due_at(task) <= now:
                reminders += _create_alerts(
                    task,
                    AlertKind.SLA_REMINDER,
                    email_to=[task.owner],
                    chat=False,
                    now=now,
                )
    requeued = requeue_stuck_alerts(now=now)
    if reminders or escalations or requeued:
        logger.info(
            "SLA check: %s reminders, %s escalations, %s alerts re-queued",
            reminders,
            escalations,
            requeued,
        )
    return SlaCheckResult(
        reminders=reminders, escalations=escalations, requeued=requeued
    )


def requeue_stuck_alerts(*, now: datetime) -> int:
    """Queue pending alerts again whose job was lost; free claims of dead workers.

    Returns how many alerts were queued again.
    """
    Alert.objects.filter(
        status=AlertStatus.SENDING, claimed_at__lt=now - STALE_CLAIM_AFTER
    ).update(status=AlertStatus.PENDING, last_error="The sending worker stopped.")
    stuck = list(
        Alert.objects.filter(status=AlertStatus.PENDING)
        .filter(
            Q(claimed_at__isnull=True, created_at__lt=now - REQUEUE_PENDING_AFTER)
            | Q(claimed_at__lt=now - REQUEUE_PENDING_AFTER)
        )
        .values_list("id", flat=True)
    )
    for alert_id in stuck:
        _enqueue(alert_id)
    return len(stuck)
