"""Double opt-in on the public form: a known email changes nothing until confirmed.

Anyone can type any email address into the form. For an address that is not a
lead yet, the form creates the lead at once, with the consent just ticked and
the submission as its first ``form_submit`` event. For an address that is
already a lead, nothing on the lead changes: the submission waits as a
``PendingFormSubmission`` and a mail with a link goes to the lead's address.
Opening the link shows what was sent; only the page's POST button confirms.
Then the consent is recorded (source "form (confirmed)"), the lead's empty
fields are filled, the submission becomes a ``form_submit`` event (occurred at
the moment it was sent) and the lead is rescored and triaged like any arrival.

The visitor is thanked the same way in both cases, so the form never tells
whether an address is known. A flood of submissions for one lead sends at most
one mail per ``MAIL_INTERVAL``; without a mail server the submission stays
pending (the admin sees it) and expires.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction

from leadqual.core.errors import LeadqualError
from leadqual.core.events import EventType, JsonValue
from leadqual.core.hygiene import normalise_email
from leadqual.core.scoring import ScoreTrigger
from leadqual.intake.cleaning import FieldInput
from leadqual.intake.confirmation_mail import token_hash
from leadqual.intake.models import PendingFormSubmission
from leadqual.intake.pipeline import (
    EventInput,
    InvalidLeadData,
    LeadArrival,
    check_lead_input,
    run_with_retry,
    submit_lead,
)
from leadqual.intake.tasks import send_confirmation_mail_task
from leadqual.intake.tracker import form_visitor_id, stitch_form_visitor
from leadqual.leads.models import Lead
from leadqual.leads.services import ConsentInput, LeadInput, UpdatePolicy, upsert_leads
from leadqual.privacy.consent import record_consent
from leadqual.privacy.suppression import SuppressedContact

logger = logging.getLogger(__name__)

# The source of every form_submit event the public form stores.
FORM_EVENT_SOURCE = "form"
# The consent record's source once a person confirmed by the mailed link.
CONFIRMED_CONSENT_SOURCE = "form (confirmed)"
# At most one confirmation mail per lead in this time: a flood of submissions
# with someone's address sends them one mail a day, not hundreds. A person who
# lost the mail can send the form again the next day.
MAIL_INTERVAL = timedelta(hours=24)
# Submissions kept per lead while unconfirmed: a flood cannot fill the table.
MAX_UNCONFIRMED_PER_LEAD = 10
# secrets.token_urlsafe(32) gives 43 characters; anything unlike it is not ours.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


class ConfirmationLinkError(LeadqualError):
    """A confirmation link that cannot confirm anything."""


class UnknownConfirmationLink(ConfirmationLinkError):
    code = "unknown_confirmation_link"


class ConfirmationLinkUsed(ConfirmationLinkError):
    code = "confirmation_link_used"


class ConfirmationLinkExpired(ConfirmationLinkError):
    code = "confirmation_link_expired"


@dataclass(frozen=True, slots=True)
class FormSubmission:
    """One valid post of the public form, before anything is stored."""

    email: str
    # Lead fields for intake.pipeline.submit_lead (LeadIntakeForm.lead_fields).
    fields: Mapping[str, FieldInput]
    # The form_submit event's properties (LeadIntakeForm.event_properties).
    answers: Mapping[str, JsonValue]
    source: str
    consent: ConsentInput
    language: str
    raw_visitor_id: object = None


@dataclass(frozen=True, slots=True)
class FormReceipt:
    """What a submission did: a new lead, or a submission waiting for confirmation."""

    lead: Lead
    arrival: LeadArrival | None = None
    pending: PendingFormSubmission | None = None


def _normalised(email: str) -> str | None:
    try:
        return normalise_email(email)
    except LeadqualError:
        return None


def receive_form_submission(
    submission: FormSubmission, *, now: datetime
) -> FormReceipt:
    """Create the lead for a new email; keep the submission pending for a known one.

    A new lead gets the submission as its first form_submit event and the
    visitor is stitched at once. For a known email nothing on the lead
    changes; a confirmation mail is queued (sent after commit) unless one went
    to the lead within MAIL_INTERVAL or no mail server is configured. Raises
    InvalidLeadData and SuppressedContact exactly as submit_lead does, for
    new and known emails alike.
    """
    email = _normalised(submission.email)
    existing = Lead.objects.filter(email=email).first() if email else None
    if existing is None:
        arrival = run_with_retry(
            partial(_create_from_form, submission, email, now=now),
            what="A form submission",
        )
        return FormReceipt(lead=arrival.lead, arrival=arrival)
    # The same checks as for a new lead, so errors never tell who is a lead.
    check_lead_input(submission.email, submission.fields)
    return FormReceipt(
        lead=existing, pending=_keep_pending(existing, submission, now=now)
    )


def _create_from_form(
    submission: FormSubmission, email: str | None, *, now: datetime
) -> LeadArrival:
    """The new lead, its form_submit event and its stitched visitor, in one go.

    One transaction (run again as a whole on a lock conflict): the lead never
    exists without the visitor's earlier visits, and the form submission is
    stored once, as the form's own event.
    """
    with transaction.atomic():
        # A bad email gets no event: submit_lead refuses it. Two posts with one
        # new email at the same moment: the second finds the first one's lead
        # and, under FILL_EMPTY, changes neither its fields nor its consent.
        arrival = submit_lead(
            submission.email,
            submission.fields,
            consent=submission.consent,
            now=now,
            source=FORM_EVENT_SOURCE,
            trigger=ScoreTrigger.FORM,
            policy=UpdatePolicy.FILL_EMPTY,
            events=[_form_event(email, submission.answers, occurred_at=now)]
            if email
            else (),
        )
        stitched = stitch_form_visitor(submission.raw_visitor_id, arrival.lead, now=now)
    if stitched is not None and stitched.rescored is not None:
        # The visits changed the score: report the lead's score after them.
        arrival = LeadArrival(
            lead=arrival.lead,
            created=arrival.created,
            rescored=stitched.rescored,
            triage=arrival.triage,
        )
    return arrival


def _form_event(
    email: str,
    answers: Mapping[str, JsonValue],
    *,
    occurred_at: datetime,
    external_id: str | None = None,
) -> EventInput:
    return EventInput(
        email=email,
        type=EventType.FORM_SUBMIT,
        occurred_at=occurred_at,
        properties=answers,
        external_id=external_id,
    )


def _keep_pending(
    lead: Lead, submission: FormSubmission, *, now: datetime
) -> PendingFormSubmission | None:
    """Store the submission for confirmation; None when the lead has enough waiting."""
    with transaction.atomic():
        # Lock the lead: two posts at once must not both decide to send a mail.
        Lead.objects.select_for_update().filter(pk=lead.pk).first()
        unconfirmed = PendingFormSubmission.objects.filter(
            lead=lead, confirmed_at__isnull=True, expires_at__gt=now
        )
        if unconfirmed.count() >= MAX_UNCONFIRMED_PER_LEAD:
            logger.info(
                "Form for lead %s not kept: %s submissions await confirmation",
                lead.pk,
                MAX_UNCONFIRMED_PER_LEAD,
            )
            return None
        mailed_recently = PendingFormSubmission.objects.filter(
            lead=lead, mail_requested_at__gt=now - MAIL_INTERVAL
        ).exists()
        may_mail = bool(settings.EMAIL_URL) and not mailed_recently
        pending = PendingFormSubmission.objects.create(
            lead=lead,
            fields=dict(submission.fields),
            answers=dict(submission.answers),
            visitor_id=form_visitor_id(submission.raw_visitor_id),
            language=submission.language[:10],
            submitted_at=now,
            expires_at=now + timedelta(days=settings.FORM_CONFIRMATION_DAYS),
            mail_requested_at=now if may_mail else None,
        )
        if may_mail:
            transaction.on_commit(partial(_enqueue_mail, pending.pk), robust=True)
    logger.info(
        "Form for known lead %s kept as pending submission %s (mail %s)",
        lead.pk,
        pending.pk,
        "queued" if may_mail else "not sent",
    )
    return pending


def _enqueue_mail(submission_id: int) -> None:
    send_confirmation_mail_task(submission_id)


# --- the link ----------------------------------------------------------------------


def pending_for_token(token: str, *, now: datetime) -> PendingFormSubmission:
    """The submission a link confirms, checked; changes nothing.

    Raises UnknownConfirmationLink (no such token: mistyped, forged, or the
    mail was sent again with a new one), ConfirmationLinkUsed or
    ConfirmationLinkExpired.
    """
    pending = (
        PendingFormSubmission.objects.select_related("lead")
        .filter(token_hash=token_hash(token))
        .first()
        if _TOKEN.fullmatch(token)
        else None
    )
    if pending is None or pending.lead.anonymised_at is not None:
        raise UnknownConfirmationLink("No pending form submission has this link.")
    if pending.confirmed_at is not None:
        raise ConfirmationLinkUsed(
            f"Pending form submission {pending.pk} was confirmed already."
        )
    if pending.expires_at <= now:
        raise ConfirmationLinkExpired(
            f"The link of pending form submission {pending.pk} expired."
        )
    return pending


def confirm_form_submission(
    token: str, *, consent_text_version: str, now: datetime
) -> LeadArrival:
    """Apply a pending submission: consent, empty fields, event, score, triage.

    ``consent_text_version`` is the version of the consent text the
    confirmation page showed. Raises what pending_for_token raises, also
    when the person was erased meanwhile (UnknownConfirmationLink). The
    visitor of the submission is stitched to the lead in the same transaction.
    """
    with transaction.atomic():
        pending = pending_for_token(token, now=now)
        # Lock, then check again: a double click must confirm once.
        pending = PendingFormSubmission.objects.select_for_update().get(pk=pending.pk)
        if pending.confirmed_at is not None:
            raise ConfirmationLinkUsed(
                f"Pending form submission {pending.pk} was confirmed already."
            )
        lead = Lead.objects.select_for_update().get(pk=pending.lead_id)
        consent = ConsentInput(
            given=True, text_version=consent_text_version, given_at=now
        )
        # The person's own answer: it replaces the lead's consent, also a
        # withdrawn one, while the fields below only fill what is empty.
        upsert_leads(
            [LeadInput(lead.email, {}, consent=consent)],
            existing={lead.email: lead},
            policy=UpdatePolicy.OVERWRITE,
            now=now,
        )
        record_consent(lead, consent, source=CONFIRMED_CONSENT_SOURCE, now=now)
        try:
            arrival = submit_lead(
                lead.email,
                pending.fields,
                now=now,
                source=FORM_EVENT_SOURCE,
                trigger=ScoreTrigger.FORM,
                policy=UpdatePolicy.FILL_EMPTY,
                events=[
                    _form_event(
                        lead.email,
                        pending.answers,
                        occurred_at=pending.submitted_at,
                        external_id=f"form-submission-{pending.pk}",
                    )
                ],
            )
        except (InvalidLeadData, SuppressedContact):
            # The lead's email changed to one that is refused (or erased) since.
            raise UnknownConfirmationLink(
                f"Pending form submission {pending.pk} can no longer be applied."
            ) from None
        # The person confirmed: now the form's visitor may join the lead,
        # in the same transaction as the submission it came with.
        stitch_form_visitor(pending.visitor_id, arrival.lead, now=now)
        # What was typed now lives on the lead and its event: keep no copy.
        pending.confirmed_at = now
        pending.fields = pending.answers = {}
        pending.visitor_id = ""
        pending.save(update_fields=["confirmed_at", "fields", "answers", "visitor_id"])
    logger.info("Pending form submission %s confirmed", pending.pk)
    return arrival
