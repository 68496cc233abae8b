"""Alerts: hot (and warm) leads, SLA reminders and escalations, each sent once.

Every alert is a row first (``Alert``, status pending) created in the same
transaction as the change that causes it, and sent by a background job after
that transaction commits. The row's unique ``dedupe_key`` makes creating the
same alert twice a no-op; sending claims the row (pending -> sending) before
it talks to the mail server or the chat webhook, so two workers, a retry and
the periodic re-queue never send one alert twice. See docs/alerts.md.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import assert_never

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from leadqual.accounts.models import OwnerProfile
from leadqual.accounts.roles import Role
from leadqual.core.bands import Band
from leadqual.core.errors import LeadqualError
from leadqual.core.lifecycle import LeadStatus, TaskKind
from leadqual.core.sla import sla_due_at, working_hours_between
from leadqual.integrations.chat import (
    ChatDeliveryFailed,
    ChatMessage,
    post_chat_message,
)
from leadqual.integrations.email import OutgoingEmail, send_email
from leadqual.leads.models import BAND_LABELS, Lead
from leadqual.scoring.queries import latest_score, strongest_reasons
from leadqual.triage.models import Alert, AlertChannel, AlertKind, AlertStatus, Task

logger = logging.getLogger(__name__)

# Tries per alert: the first plus Huey's retries (triage/tasks.py).
MAX_ATTEMPTS = 5
# The owner is reminded once this share of the SLA's working hours has passed.
REMINDER_AT_SLA_FRACTION = 0.8
# A claim older than this belongs to a worker that died mid-send: the longest
# legitimate send is one SMTP or HTTP timeout (10 s).
STALE_CLAIM_AFTER = timedelta(minutes=15)
# A pending alert not tried for this long lost its job (a worker restart
# between commit and enqueue, or an outage longer than the retries).
REQUEUE_PENDING_AFTER = timedelta(minutes=30)

# Leads that left triage get no SLA alerts.
_OUT_OF_TRIAGE = (
    LeadStatus.REJECTED,
    LeadStatus.OPPORTUNITY,
    LeadStatus.WON,
    LeadStatus.LOST,
)


class AlertDeliveryFailed(LeadqualError):
    """One try to send an alert failed; the job raises it so Huey retries."""

    code = "alert_delivery_failed"


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
    # Imported here: tasks.py imports this module.
    from leadqual.triage.tasks import send_alert_task

    send_alert_task(alert_id)


def queue_band_alerts(
    lead: Lead, band: Band, task: Task, *, new_task: bool, now: datetime
) -> int:
    """Create the alerts for a lead that became hot (or warm), sent after commit.

    A hot lead always alerts its owner (email) and the team channel (chat);
    a warm one only with LEADQUAL_ALERT_ON_WARM and only when it got a new
    task (a hot lead cooling to warm is not news). Returns how many alerts
    are new; 0 for cold, for a repeat, or when no channel is configured.
    Must run inside the transaction that triaged the lead.
    """
    if band is Band.HOT:
        kind = AlertKind.BECAME_HOT
    elif band is Band.WARM and settings.ALERT_ON_WARM and new_task:
        kind = AlertKind.BECAME_WARM
    else:
        return 0
    owners = [task.owner] if task.owner is not None else []
    created = _create_alerts(task, kind, email_to=owners, chat=True, now=now)
    if created:
        logger.info("Queued %s %s alerts for lead %s", created, kind.value, lead.pk)
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
        .exclude(lead__status__in=[status.value for status in _OUT_OF_TRIAGE])
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


# --- sending ----------------------------------------------------------------------


def deliver_alert(alert_id: int, *, now: datetime) -> AlertStatus | None:
    """Send one pending alert, at most once.

    Claims the row first (pending -> sending); returns None when it was not
    pending (already sent, failed for good, or another worker has it).
    Returns SENT, or CANCELLED for an SLA alert whose task was closed
    meanwhile. On a failed try the alert goes back to pending with its error
    (or to failed after MAX_ATTEMPTS tries) and AlertDeliveryFailed is
    raised, so the job is retried.
    """
    claimed = Alert.objects.filter(id=alert_id, status=AlertStatus.PENDING).update(
        status=AlertStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return None
    alert = Alert.objects.select_related(
        "lead", "lead__company", "task", "task__owner", "recipient"
    ).get(id=alert_id)
    if _is_no_longer_needed(alert):
        Alert.objects.filter(id=alert_id).update(status=AlertStatus.CANCELLED)
        return AlertStatus.CANCELLED
    try:
        _send(alert)
    except (
        smtplib.SMTPException,
        OSError,
        ChatDeliveryFailed,
        ImproperlyConfigured,
    ) as error:
        final = alert.attempts >= MAX_ATTEMPTS
        Alert.objects.filter(id=alert_id).update(
            status=AlertStatus.FAILED if final else AlertStatus.PENDING,
            last_error=_describe(error)[:2000],
        )
        # The error class only: SMTP replies may quote the recipient's address.
        logger.warning(
            "Alert %s (%s by %s) failed on try %s of %s: %s",
            alert_id,
            alert.kind,
            alert.channel,
            alert.attempts,
            MAX_ATTEMPTS,
            type(error).__name__,
        )
        if final:
            return AlertStatus.FAILED
        raise AlertDeliveryFailed(
            f"Alert {alert_id} could not be sent by {alert.channel} "
            f"(try {alert.attempts} of {MAX_ATTEMPTS}); it is tried again."
        ) from None
    Alert.objects.filter(id=alert_id).update(
        status=AlertStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    logger.info("Sent alert %s (%s by %s)", alert_id, alert.kind, alert.channel)
    return AlertStatus.SENT


def _is_no_longer_needed(alert: Alert) -> bool:
    # A reminder or escalation for a task done meanwhile would only confuse.
    is_sla = alert.kind in {AlertKind.SLA_REMINDER, AlertKind.SLA_ESCALATION}
    return is_sla and (alert.task is None or alert.task.done_at is not None)


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error
        text = (
            detail.decode("utf-8", "replace")
            if isinstance(detail, bytes)
            else str(detail)
        )
        return f"SMTP {error.smtp_code}: {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "SMTP: the mail server refused the recipient."
    return f"{type(error).__name__}: {error}"


def _send(alert: Alert) -> None:
    if alert.channel == AlertChannel.EMAIL:
        if not settings.EMAIL_URL or alert.recipient is None:
            raise ImproperlyConfigured(
                "LEADQUAL_EMAIL_URL is not set, so alert emails cannot be sent. "
                "Set it to the mail server, for example smtp+tls://user:password@host:587."
            )
        send_email(
            alert_email(alert),
            url=settings.EMAIL_URL,
            sender=settings.EMAIL_FROM,
        )
    else:
        if not settings.CHAT_WEBHOOK_URL:
            raise ImproperlyConfigured(
                "LEADQUAL_CHAT_WEBHOOK_URL is not set, so chat alerts cannot be "
                "sent. Set it to a Slack or Teams incoming-webhook URL."
            )
        post_chat_message(
            alert_chat_message(alert),
            url=settings.CHAT_WEBHOOK_URL,
            chat_format=settings.CHAT_FORMAT,
        )


# --- what an alert says -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertContent:
    """The facts of an alert, in the language active when it was built."""

    subject: str
    heading: str
    intro: str
    lead_name: str
    company: str
    score: str
    band: str
    due: str
    owner: str
    reasons: Sequence[str]
    link: str


def language_of(user: User | None) -> str:
    """The user's alert language (OwnerProfile.language), else the site's."""
    if user is not None:
        language = (
            OwnerProfile.objects.filter(user_id=user.pk)
            .values_list("language", flat=True)
            .first()
        )
        if language:
            return language
    return str(settings.LANGUAGE_CODE)


def lead_link(lead_id: int) -> str:
    """The absolute address of the lead's page (LEADQUAL_BASE_URL + /leads/<id>/)."""
    return f"{settings.BASE_URL.rstrip('/')}/leads/{lead_id}/"


def _owner_name(user: User | None) -> str:
    if user is None:
        return _("nobody yet")
    return user.get_full_name() or user.get_username()


def alert_content(alert: Alert) -> AlertContent:
    """What the alert says, in the active language."""
    lead = alert.lead
    score = latest_score(lead.pk)
    reasons = (
        [line.reason for line in strongest_reasons(score.explanation)] if score else []
    )
    band = BAND_LABELS.get(Band(lead.band), lead.band) if lead.band else ""
    task = alert.task
    due = (
        formats.date_format(timezone.localtime(task.due_at), "DATETIME_FORMAT")
        if task is not None
        else ""
    )
    owner = _owner_name(task.owner if task is not None else lead.owner)
    name = str(lead)
    company = lead.company.name if lead.company is not None else ""
    values = {
        "lead": name,
        "score": lead.score_total if lead.score_total is not None else "-",
        "due": due,
        "owner": owner,
    }
    kind = AlertKind(alert.kind)
    match kind:
        case AlertKind.BECAME_HOT:
            subject = _("Hot lead: %(lead)s (score %(score)s)") % values
            heading = _("A lead became hot")
            intro = (
                _("%(lead)s is ready for sales. Contact them before %(due)s.") % values
            )
        case AlertKind.BECAME_WARM:
            subject = _("Warm lead: %(lead)s (score %(score)s)") % values
            heading = _("A lead became warm")
            intro = _("%(lead)s is warming up. Contact them before %(due)s.") % values
        case AlertKind.SLA_REMINDER:
            subject = _("Reminder: contact %(lead)s before %(due)s") % values
            heading = _("First contact is due soon")
            intro = (
                _(
                    "%(lead)s has not been contacted yet. The first contact is due "
                    "before %(due)s."
                )
                % values
            )
        case AlertKind.SLA_ESCALATION:
            subject = _("Overdue: %(lead)s was not contacted in time") % values
            heading = _("First contact is overdue")
            intro = (
                _(
                    "%(lead)s was due for a first contact by %(owner)s before %(due)s, "
                    "and no contact has been recorded."
                )
                % values
            )
        case _:
            assert_never(kind)
    return AlertContent(
        subject=subject,
        heading=heading,
        intro=intro,
        lead_name=name,
        company=company,
        score=str(values["score"]),
        band=str(band),
        due=due,
        owner=owner,
        reasons=reasons,
        link=lead_link(lead.pk),
    )


def alert_email(alert: Alert) -> OutgoingEmail:
    """The alert as a plain-text and HTML email in the recipient's language."""
    assert alert.recipient is not None, "email alerts have a recipient"
    with translation.override(language_of(alert.recipient)):
        content = alert_content(alert)
        context = {"alert": content}
        return OutgoingEmail(
            to=[alert.recipient.email],
            subject=content.subject,
            text=render_to_string("triage/email/alert.txt", context),
            html=render_to_string("triage/email/alert.html", context),
        )


def alert_chat_message(alert: Alert) -> ChatMessage:
    """The alert for the team channel, in the site's language.

    The channel is shared, so the message names the company (or the lead's
    number), never the person or their contact details: the link opens them.
    """
    with translation.override(settings.LANGUAGE_CODE):
        content = alert_content(alert)
        subject_of_alert = content.company or _("Lead %(id)s") % {"id": alert.lead_id}
        facts = [
            (_("Score"), content.score),
            (_("Band"), content.band),
            (_("Owner"), content.owner),
            (_("Due"), content.due),
        ]
        return ChatMessage(
            title=content.heading,
            text=subject_of_alert,
            facts=[(str(name), value) for name, value in facts if value],
            link_url=content.link,
            link_label=_("Open lead"),
        )
