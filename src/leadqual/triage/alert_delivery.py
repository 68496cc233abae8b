"""Sending one alert by email or chat, at most once, and what it says.

The worker calls ``deliver_alert`` for an alert that ``triage.alerts``
created and queued. Nothing here queues work, so ``triage.tasks`` can call it.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import assert_never

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from leadqual.core.bands import Band
from leadqual.core.errors import LeadqualError
from leadqual.core.lifecycle import LeadStatus
from leadqual.integrations.chat import (
    ChatDeliveryFailed,
    ChatMessage,
    post_chat_message,
)
from leadqual.integrations.email import OutgoingEmail, send_email
from leadqual.leads.models import BAND_LABELS
from leadqual.scoring.queries import latest_score, strongest_reasons
from leadqual.triage.models import Alert, AlertChannel, AlertKind, AlertStatus
from leadqual.users.models import OwnerProfile

logger = logging.getLogger(__name__)

# Tries per alert: the first plus Huey's retries (triage/tasks.py).
MAX_ATTEMPTS = 5
# A claim older than this belongs to a worker that died mid-send: the longest
# legitimate send is one SMTP or HTTP timeout (10 s).
STALE_CLAIM_AFTER = timedelta(minutes=15)

# Leads that left triage get no SLA alerts.
OUT_OF_TRIAGE = (
    LeadStatus.REJECTED,
    LeadStatus.OPPORTUNITY,
    LeadStatus.WON,
    LeadStatus.LOST,
)


class AlertDeliveryFailed(LeadqualError):
    """One try to send an alert failed; the job raises it so Huey retries."""

    code = "alert_delivery_failed"


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
