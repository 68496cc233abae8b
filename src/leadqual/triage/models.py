"""Sales feedback, outcomes and follow-up tasks."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from leadqual.core.lifecycle import (
    BantAnswer,
    CallResult,
    Decision,
    NoteKind,
    OutcomeKind,
    RejectionReason,
    SalesActionKind,
    TaskKind,
)
from leadqual.leads.models import BAND_LABELS, Lead

DECISION_LABELS = {Decision.ACCEPTED: _("Accepted"), Decision.REJECTED: _("Rejected")}
REJECTION_REASON_LABELS = {
    RejectionReason.NO_FIT: _("No fit"),
    RejectionReason.NO_BUDGET: _("No budget"),
    RejectionReason.NO_NEED: _("No need"),
    RejectionReason.BAD_TIMING: _("Bad timing"),
    RejectionReason.UNREACHABLE: _("Unreachable"),
    RejectionReason.DUPLICATE: _("Duplicate"),
    RejectionReason.SPAM: _("Spam"),
}
OUTCOME_LABELS = {
    OutcomeKind.OPPORTUNITY: _("Opportunity"),
    OutcomeKind.WON: _("Won"),
    OutcomeKind.LOST: _("Lost"),
}
BANT_ANSWER_LABELS = {
    BantAnswer.YES: _("Yes"),
    BantAnswer.NO: _("No"),
    BantAnswer.UNKNOWN: _("Unknown"),
}
SALES_ACTION_LABELS = {
    SalesActionKind.BANT_ANSWERED: _("Qualification answer"),
    SalesActionKind.FIRST_CONTACT: _("First contact made"),
    SalesActionKind.ACCEPTED: _("Accepted"),
    SalesActionKind.REJECTED: _("Rejected"),
    SalesActionKind.OPPORTUNITY: _("Opportunity"),
    SalesActionKind.WON: _("Won"),
    SalesActionKind.LOST: _("Lost"),
    SalesActionKind.REOPENED: _("Reopened"),
    SalesActionKind.REOPEN_UNDONE: _("Reopen undone"),
    SalesActionKind.REASSIGNED: _("Owner changed"),
    SalesActionKind.CORRECTED: _("Fields corrected"),
}
NOTE_KIND_LABELS = {NoteKind.NOTE: _("Note"), NoteKind.CALL: _("Phone call")}
CALL_RESULT_LABELS = {
    CallResult.REACHED: _("Reached"),
    CallResult.NO_ANSWER: _("No answer"),
    CallResult.VOICEMAIL: _("Voicemail"),
}
TASK_KIND_LABELS = {
    TaskKind.FIRST_CONTACT: _("First contact"),
    TaskKind.FOLLOW_UP: _("Follow up"),
}


class TaskCloseReason(models.TextChoices):
    """Why a seller closed open tasks from the queue without contact.

    The value is stored in ``Task.closed_reason`` as it is, beside the
    reasons triage writes itself ("cooled down to cold", "rejected by sales").
    """

    NO_RESPONSE = "no response", _("No response after several attempts")
    HANDLED_ELSEWHERE = "handled elsewhere", _("Handled outside leadqual")
    NO_LONGER_RELEVANT = "no longer relevant", _("No longer relevant")
    DUPLICATE = "duplicate task", _("Duplicate of another task")


# Sales' rating of a lead's quality, as the buttons name it.
RATING_LABELS: dict[int, StrOrPromise] = {
    1: _("1 poor"),
    2: _("2 weak"),
    3: _("3 fair"),
    4: _("4 good"),
    5: _("5 excellent"),
}


class Feedback(models.Model):
    """Sales accepted or rejected a lead; a rejection always has a reason."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="feedback")
    decision = models.CharField(_("decision"), max_length=10, choices=DECISION_LABELS)
    reason = models.CharField(
        _("reason"), max_length=20, choices=REJECTION_REASON_LABELS, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    # Sales' rating of the lead's quality, 1 (poor) to 5 (excellent); None: not rated.
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    # The lead's band when sales gave the feedback: the KPIs per band count a
    # lead where it was when sales judged it, not where it drifted since.
    band = models.CharField(
        _("band when given"), max_length=10, choices=BAND_LABELS, blank=True
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    given_at = models.DateTimeField(_("given at"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=(models.Q(decision=Decision.REJECTED) & ~models.Q(reason=""))
                | (models.Q(decision=Decision.ACCEPTED) & models.Q(reason="")),
                name="feedback_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.reason}".strip()


class Outcome(models.Model):
    """An opportunity was opened, or the deal was won or lost."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(_("kind"), max_length=20, choices=OUTCOME_LABELS)
    value_cents = models.PositiveBigIntegerField(
        _("value (cents)"), null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    # The lead's band when the outcome was recorded (see Feedback.band).
    band = models.CharField(
        _("band when recorded"), max_length=10, choices=BAND_LABELS, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set when the won or lost lead was reopened: the deal is open again and
    # the KPIs no longer count this outcome. An undo of the reopen clears it.
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return self.kind


class Task(models.Model):
    """Follow-up work for an owner, due by its SLA deadline."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tasks")
    # No index of its own: task_owner_queue leads with it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TASK_KIND_LABELS)
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    closed_reason = models.CharField(_("closed because"), max_length=200, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when triage closed the task itself."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(
                fields=["owner", "done_at", "due_at"], name="task_owner_queue"
            ),
            # Everyone's queue (admins): the open tasks only.
            models.Index(
                fields=["due_at"],
                condition=models.Q(done_at__isnull=True),
                name="task_open_queue",
            ),
            # The queue's new hot leads: open tasks created this week.
            models.Index(
                fields=["created_at"],
                condition=models.Q(done_at__isnull=True),
                name="task_open_created",
            ),
            # One seller's new hot leads: their open tasks created this week,
            # not all their open tasks walked in deadline order.
            models.Index(
                fields=["owner", "created_at"],
                condition=models.Q(done_at__isnull=True),
                name="task_owner_open_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M}"


class Qualification(models.Model):
    """The human check beside the number: BANT answers and the first contact."""

    lead = models.OneToOneField(
        Lead, on_delete=models.CASCADE, related_name="qualification"
    )
    budget = models.CharField(
        _("budget"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    authority = models.CharField(
        _("authority"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    need = models.CharField(
        _("need"), max_length=10, choices=BANT_ANSWER_LABELS, default=BantAnswer.UNKNOWN
    )
    timing = models.CharField(
        _("timing"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    # MEDDIC, the alternative checklist (setting LEADQUAL_QUALIFICATION).
    metrics = models.CharField(
        _("metrics"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    economic_buyer = models.CharField(
        _("economic buyer"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    decision_criteria = models.CharField(
        _("decision criteria"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    decision_process = models.CharField(
        _("decision process"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    identify_pain = models.CharField(
        _("identified pain"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    champion = models.CharField(
        _("champion"),
        max_length=10,
        choices=BANT_ANSWER_LABELS,
        default=BantAnswer.UNKNOWN,
    )
    first_contact_at = models.DateTimeField(
        _("first contact at"), null=True, blank=True
    )
    first_contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"BANT {self.budget}/{self.authority}/{self.need}/{self.timing}"


class SalesAction(models.Model):
    """One thing sales did on a lead, for its timeline (and the undo of a reopen).

    ``detail`` never holds personal data: a BANT question and answer
    ("budget=yes"), a rejection reason, a value in cents, field names.
    """

    # No index of its own: sales_action_lead_time leads with it.
    lead = models.ForeignKey(
        Lead,
        on_delete=models.CASCADE,
        related_name="sales_actions",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SALES_ACTION_LABELS)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    # The lead's status before a reopen: what undoing the reopen restores.
    previous_status = models.CharField(_("previous status"), max_length=20, blank=True)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sales action")
        verbose_name_plural = _("sales actions")
        indexes = [
            models.Index(fields=["lead", "done_at"], name="sales_action_lead_time")
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.done_at:%Y-%m-%d %H:%M}"


class Note(models.Model):
    """A salesperson's note on a lead, or a logged call with how it went."""

    # No index of its own: note_lead_time leads with it.
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="notes", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=NOTE_KIND_LABELS)
    body = models.TextField(_("text"), blank=True)
    call_result = models.CharField(
        _("call result"), max_length=20, choices=CALL_RESULT_LABELS, blank=True
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    written_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["lead", "written_at"], name="note_lead_time")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.written_at:%Y-%m-%d %H:%M}"


class AlertKind(models.TextChoices):
    """Why an alert goes out."""

    BECAME_HOT = "became_hot", _("Lead became hot")
    BECAME_WARM = "became_warm", _("Lead became warm")
    SLA_REMINDER = "sla_reminder", _("SLA reminder")
    SLA_ESCALATION = "sla_escalation", _("SLA escalation")


class AlertChannel(models.TextChoices):
    """How an alert goes out."""

    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")


class AlertStatus(models.TextChoices):
    """Where an alert is on its way out; only ``pending`` may be claimed."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Alert(models.Model):
    """One message to one person (email) or to the team channel (chat), sent once.

    ``dedupe_key`` is unique, so creating the same alert twice is a no-op;
    sending claims the row (pending -> sending) before talking to the peer.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="alerts")
    task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
        help_text=_("Empty for chat alerts, which go to the team channel."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=AlertChannel.choices
    )
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AlertStatus.choices,
        default=AlertStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel}: {self.status}"


class Notice(models.Model):
    """An in-app notice for one user: a lead of theirs turned hot.

    Created beside the hot-lead alert (``alerts.queue_band_alerts``), once per
    task and recipient; shown at the top of the queue until seen.
    """

    # No index of its own: notice_once_per_task leads with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notices",
        db_index=False,
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notices")
    task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    seen_at = models.DateTimeField(_("seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "task", "kind"], name="notice_once_per_task"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "seen_at"], name="notice_unseen"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id}"


# --- the KPI page's sums, kept up to date on every write (triage.kpi_facts) -----------

# The score bucket stored for a lead without a score: -1, not NULL, so that
# the unique (day, source, band, bucket) holds on PostgreSQL too.
NO_SCORE_BUCKET = -1


class KpiCountColumns(models.Model):
    """The sums of ``core.kpis.KpiCounts``, one column each (same names)."""

    leads_in = models.IntegerField(default=0)
    sales_ready = models.IntegerField(default=0)
    with_feedback = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    opportunities = models.IntegerField(default=0)
    open_opportunities = models.IntegerField(default=0)
    open_pipeline_value_cents = models.BigIntegerField(default=0)
    won = models.IntegerField(default=0)
    won_accepted = models.IntegerField(default=0)
    won_value_cents = models.BigIntegerField(default=0)
    lost = models.IntegerField(default=0)
    rejected_no_fit = models.IntegerField(default=0)
    contacted = models.IntegerField(default=0)
    sla_met = models.IntegerField(default=0)
    sla_due = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_total = models.IntegerField(default=0)
    reached_sales_ready = models.IntegerField(default=0)
    microseconds_to_sales_ready = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class LeadKpiFact(KpiCountColumns):
    """One lead's share of the KPI sums, as last added to ``KpiDay``.

    Kept so that a change to the lead subtracts exactly what it added before,
    and for what cannot be summed per day: the hours to first contact (the
    medians) and a first-contact task still waiting for its due time (the
    SLA counts it only once due). ``lead_id`` is a plain number, not a
    foreign key: the row outlives a deleted lead until the delete's own
    refresh subtracts it. Internal bookkeeping, shown nowhere.
    """

    lead_id = models.BigIntegerField(primary_key=True)
    arrival_day = models.DateField()
    source = models.CharField(max_length=100, blank=True)
    band = models.CharField(max_length=10, blank=True)
    score_bucket = models.SmallIntegerField()
    microseconds_to_first_contact = models.BigIntegerField(null=True)
    working_hours_to_first_contact = models.FloatField(null=True)
    # The due time of a first-contact task without a contact yet.
    waiting_due_at = models.DateTimeField(null=True)
    # The rules that gave points in the score sales saw when rejecting the
    # lead as no fit (sorted names); None when it is not rejected as no fit
    # or was scored only after its rejection. Counted in ``KpiNoFitRule``.
    no_fit_rules = models.JSONField(null=True, default=None)
    # 1 when ``no_fit_rules`` is not None: the leads the rules are counted of.
    no_fit_explained = models.IntegerField(default=0)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            # The KPI page reads the times of a period's contacted leads from
            # this index alone.
            models.Index(
                fields=[
                    "arrival_day",
                    "source",
                    "band",
                    "microseconds_to_first_contact",
                    "working_hours_to_first_contact",
                ],
                condition=models.Q(microseconds_to_first_contact__isnull=False),
                name="lead_kpi_fact_contact_times",
            ),
            # ... and counts the tasks still waiting from the moment it is
            # read on: the few not yet due, not the many overdue ones.
            models.Index(
                fields=["waiting_due_at", "arrival_day", "source", "band"],
                condition=models.Q(waiting_due_at__isnull=False),
                name="lead_kpi_fact_waiting",
            ),
            models.Index(
                fields=["arrival_day", "source"],
                condition=models.Q(rejected_no_fit=1),
                name="lead_kpi_fact_no_fit",
            ),
        ]

    def __str__(self) -> str:
        return f"KPI facts of lead {self.lead_id}"


class KpiDay(KpiCountColumns):
    """The KPI sums of the leads that arrived on one local day from one source,
    counted in one band, with a score in one ten-point bucket.

    The KPI page adds these up per period, week, source and band instead of
    reading every lead. Internal bookkeeping, shown nowhere.
    """

    day = models.DateField()
    source = models.CharField(max_length=100, blank=True)
    band = models.CharField(max_length=10, blank=True)
    score_bucket = models.SmallIntegerField()
    # The leads rejected as no fit whose score at the rejection is known:
    # what the rules of ``KpiNoFitRule`` are a share of.
    no_fit_explained = models.IntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["day", "source", "band", "score_bucket"],
                name="kpi_day_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"KPIs of {self.day} {self.source} {self.band} {self.score_bucket}"


class KpiNoFitRule(models.Model):
    """How many leads that arrived on one local day from one source, rejected
    as no fit, got points from one rule in the score sales saw (``no_fit_rules``
    of their ``LeadKpiFact``).

    The KPI page's "rules behind no-fit rejections" adds these up per period
    instead of reading every rejected lead's explanation. ``first_lead_id``
    is the lowest id among these leads: the page names the rule as that
    lead's explanation does, as the per-lead table did. Internal
    bookkeeping, shown nowhere.
    """

    day = models.DateField()
    source = models.CharField(max_length=100, blank=True)
    rule = models.CharField(max_length=200)
    leads = models.IntegerField(default=0)
    first_lead_id = models.BigIntegerField(null=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["day", "source", "rule"], name="kpi_no_fit_rule_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"No-fit rule {self.rule} of {self.day} {self.source}"
