"""The double opt-in's mail and housekeeping, done by the worker.

``deliver_confirmation_mail`` sends the link of one pending form submission
(``intake.confirmation`` queues it after the commit); a daily job deletes
submissions long after their link expired. Nothing here queues work, so the
jobs in ``intake.tasks`` can call it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from leadqual.core.errors import LeadqualError
from leadqual.intake.models import PendingFormSubmission
from leadqual.integrations.email import OutgoingEmail, send_email

logger = logging.getLogger(__name__)

# Expired and confirmed submissions are deleted this long after their link
# expired; until then a late click still says "expired" or "already used".
KEEP_AFTER_EXPIRY = timedelta(days=30)
# A mail claim older than this belongs to a worker that died mid-send: the
# longest legitimate send is one SMTP timeout (10 s).
STALE_MAIL_CLAIM_AFTER = timedelta(minutes=15)


class ConfirmationMailFailed(LeadqualError):
    """One try to send a confirmation mail failed; the job raises it so Huey retries."""

    code = "confirmation_mail_failed"


def token_hash(token: str) -> str:
    """SHA-256 of a link token, as stored: the token is 256 random bits."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# --- the mail ----------------------------------------------------------------------


def confirmation_link(token: str) -> str:
    """The absolute address of the confirmation page (LEADQUAL_BASE_URL + path)."""
    path = reverse("intake:confirm", kwargs={"token": token})
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def confirmation_mail(pending: PendingFormSubmission, *, token: str) -> OutgoingEmail:
    """The mail with the confirmation link, in the language of the submission."""
    with translation.override(pending.language or settings.LANGUAGE_CODE):
        context = {
            "link": confirmation_link(token),
            "submitted_at": formats.date_format(
                timezone.localtime(pending.submitted_at), "DATETIME_FORMAT"
            ),
            "expires_at": formats.date_format(
                timezone.localtime(pending.expires_at), "DATETIME_FORMAT"
            ),
        }
        return OutgoingEmail(
            to=[pending.lead.email],
            subject=_("Please confirm your details"),
            text=render_to_string("intake/email/confirm_submission.txt", context),
            html=render_to_string("intake/email/confirm_submission.html", context),
        )


def deliver_confirmation_mail(submission_id: int, *, now: datetime) -> bool:
    """Mail the link for one pending submission, at most once.

    Claims the row and stores the hash of a fresh token before talking to
    the mail server. Returns False when there is nothing to send (already
    sent, confirmed, expired, gone, or another worker has it), True once
    sent. Raises ConfirmationMailFailed when the server refused or could not
    be reached, so the job is retried (with a new token: the failed mail
    never arrived).
    """
    token = secrets.token_urlsafe(32)
    claimed = (
        PendingFormSubmission.objects.filter(
            pk=submission_id,
            mail_sent_at__isnull=True,
            confirmed_at__isnull=True,
            expires_at__gt=now,
        )
        .filter(
            Q(mail_claimed_at__isnull=True)
            | Q(mail_claimed_at__lt=now - STALE_MAIL_CLAIM_AFTER)
        )
        .update(mail_claimed_at=now, token_hash=token_hash(token))
    )
    if claimed != 1:
        return False
    pending = PendingFormSubmission.objects.select_related("lead").get(pk=submission_id)
    try:
        if not settings.EMAIL_URL:
            raise ImproperlyConfigured(
                "LEADQUAL_EMAIL_URL is not set, so confirmation mails cannot be "
                "sent. Set it to the mail server, for example "
                "smtp+tls://user:password@host:587."
            )
        send_email(
            confirmation_mail(pending, token=token),
            url=settings.EMAIL_URL,
            sender=settings.EMAIL_FROM,
        )
    except (smtplib.SMTPException, OSError, ImproperlyConfigured) as error:
        PendingFormSubmission.objects.filter(pk=submission_id).update(
            mail_claimed_at=None, token_hash=""
        )
        # The error class only: SMTP replies may quote the recipient's address.
        logger.warning(
            "Confirmation mail for pending submission %s failed: %s",
            submission_id,
            type(error).__name__,
        )
        raise ConfirmationMailFailed(
            f"The confirmation mail of pending form submission {submission_id} "
            f"could not be sent ({type(error).__name__}); it is tried again."
        ) from None
    PendingFormSubmission.objects.filter(pk=submission_id).update(mail_sent_at=now)
    logger.info("Sent the confirmation mail of pending submission %s", submission_id)
    return True


def purge_expired_submissions(*, now: datetime) -> int:
    """Delete submissions whose link expired more than KEEP_AFTER_EXPIRY ago.

    Returns how many were deleted.
    """
    deleted, _by_model = PendingFormSubmission.objects.filter(
        expires_at__lte=now - KEEP_AFTER_EXPIRY
    ).delete()
    if deleted:
        logger.info("Deleted %s expired pending form submissions", deleted)
    return deleted
