"""The sales queue and the sales actions on a lead: BANT, first contact,
feedback and outcomes.

Every action is a POST with CSRF. With htmx it answers with its re-rendered
panel (``triage/_*.html``); without htmx it redirects back to the lead page
with a message. Invalid input re-renders the panel with the field errors and
status 422, with or without htmx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails
from django_stubs_ext import StrOrPromise

from leadqual.accounts.permissions import role_required, user_role, visible_leads
from leadqual.accounts.roles import Role
from leadqual.core.lifecycle import BantAnswer, BantQuestion, OutcomeKind
from leadqual.leads.models import Lead
from leadqual.privacy.audit import AuditAction, audit
from leadqual.scoring.queries import latest_scores, strongest_reasons
from leadqual.triage.forms import (
    BANT_QUESTION_HELP,
    BANT_QUESTION_LABELS,
    BantForm,
    FeedbackForm,
    OutcomeForm,
)
from leadqual.triage.models import (
    BANT_ANSWER_LABELS,
    OUTCOME_LABELS,
    REJECTION_REASON_LABELS,
    Feedback,
    Outcome,
    Qualification,
    Task,
)
from leadqual.triage.queries import (
    open_tasks_owned_by,
    open_tasks_with_an_owner,
    unassigned_open_tasks,
)
from leadqual.triage.services import (
    answer_bant,
    record_feedback,
    record_first_contact,
    record_outcome,
)

# Roles that may change a lead; marketing reads along.
ACTING_ROLES = (Role.SALES, Role.ADMIN)
ALL_ROLES = (Role.SALES, Role.MARKETING, Role.ADMIN)
UNPROCESSABLE = 422


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def signed_in_user(request: HttpRequest) -> User:
    """The request's user; views behind role_required always have one."""
    user = request.user
    assert isinstance(user, User), "role_required lets only signed-in users through"
    return user


def display_name(user: User | AnonymousUser | None) -> str:
    if user is None or not isinstance(user, User):
        return ""
    return user.get_full_name() or user.username


def can_act_on_leads(user: User) -> bool:
    return user_role(user) in ACTING_ROLES


# --- SLA countdown --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Countdown:
    """The time left until a deadline, as the page first shows it."""

    due_at: datetime
    text: str
    is_overdue: bool

    @property
    def due_at_iso(self) -> str:
        return self.due_at.isoformat()


def _duration_text(seconds: float) -> str:
    # The same shape as static/leadqual/app.js, which takes over in the browser.
    minutes = round(abs(seconds) / 60)
    hours = minutes // 60
    days = hours // 24
    if days >= 1:
        return f"{days}d {hours % 24}h"
    return f"{hours}h {minutes % 60}m"


def countdown(due_at: datetime, *, now: datetime) -> Countdown:
    """ "5h 20m" before the deadline, "2h 10m overdue" after it."""
    seconds = (due_at - now).total_seconds()
    text = _duration_text(seconds)
    if seconds < 0:
        return Countdown(
            due_at=due_at,
            text=gettext("%(time)s overdue") % {"time": text},
            is_overdue=True,
        )
    return Countdown(due_at=due_at, text=text, is_overdue=False)


# --- the sales queue ------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class QueueSection:
    key: str
    title: str
    rows: list[QueueRow] = field(default_factory=list)
    empty_text: str = ""
    show_owner: bool = False


def _queue_rows(tasks: list[Task], *, now: datetime) -> list[QueueRow]:
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
                lead_name=lead.full_name or lead.email,
                company=lead.company.name if lead.company else "",
                band=band,
                band_label=lead.get_band_display() if band else "",
                score=lead.score_total,
                reasons=[reason.reason for reason in reasons],
                countdown=countdown(task.due_at, now=now),
                source=lead.source,
                owner=display_name(task.owner),
                kind_label=task.get_kind_display(),
            )
        )
    return rows


def _sections(user: User, *, now: datetime) -> list[QueueSection]:
    is_sales = user_role(user) is Role.SALES
    first: QuerySet[Task] = (
        open_tasks_owned_by(user) if is_sales else open_tasks_with_an_owner()
    )
    first_tasks = list(first)
    unassigned_tasks = list(unassigned_open_tasks())
    # One score query for both sections.
    rows = _queue_rows(first_tasks + unassigned_tasks, now=now)
    mine, unassigned = rows[: len(first_tasks)], rows[len(first_tasks) :]
    return [
        QueueSection(
            key="mine" if is_sales else "assigned",
            title=gettext("My open tasks") if is_sales else gettext("Assigned tasks"),
            rows=mine,
            empty_text=(
                gettext("You have no open tasks. Well done.")
                if is_sales
                else gettext("No seller has an open task.")
            ),
            show_owner=not is_sales,
        ),
        QueueSection(
            key="unassigned",
            title=gettext("Unassigned tasks"),
            rows=unassigned,
            empty_text=gettext("Every open task has an owner."),
        ),
    ]


@role_required(*ALL_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    """The open tasks, the user's own first, soonest deadline first."""
    user = signed_in_user(request)
    sections = _sections(user, now=timezone.now())
    return render(
        request,
        "triage/queue.html",
        {
            "sections": sections,
            "is_empty": not any(section.rows for section in sections),
        },
    )


# --- the panels on the lead page ------------------------------------------------------


def bant_panel(
    lead: Lead,
    qualification: Qualification | None,
    *,
    can_act: bool,
    errors: list[str] | None = None,
    saved: bool = False,
) -> dict[str, object]:
    """The BANT checklist: four questions, each with yes / no / unknown."""
    questions = []
    for question, label in BANT_QUESTION_LABELS.items():
        current = (
            getattr(qualification, question.value)
            if qualification is not None
            else BantAnswer.UNKNOWN.value
        )
        questions.append(
            {
                "key": question.value,
                "label": label,
                "help": BANT_QUESTION_HELP[question],
                "current_label": BANT_ANSWER_LABELS[BantAnswer(current)],
                "answers": [
                    {
                        "value": answer.value,
                        "label": answer_label,
                        "pressed": answer.value == current,
                    }
                    for answer, answer_label in BANT_ANSWER_LABELS.items()
                ],
            }
        )
    return {
        "lead_id": lead.pk,
        "can_act": can_act,
        "questions": questions,
        "errors": errors or [],
        "saved": saved,
    }


def first_contact_panel(
    lead: Lead, qualification: Qualification | None, *, can_act: bool
) -> dict[str, object]:
    made_at = qualification.first_contact_at if qualification else None
    return {
        "lead_id": lead.pk,
        "can_act": can_act,
        "made_at": made_at,
        "made_by": display_name(qualification.first_contact_by)
        if qualification
        else "",
    }


def feedback_panel(
    lead: Lead,
    *,
    can_act: bool,
    form: FeedbackForm | None = None,
    saved: bool = False,
) -> dict[str, object]:
    """Accept in one click, reject with one click per reason; the latest feedback."""
    latest = (
        Feedback.objects.filter(lead=lead)
        .select_related("given_by")
        .order_by("-given_at", "-id")
        .first()
    )
    reason_errors = list(form.errors.get("reason", [])) if form is not None else []
    other_errors = (
        [
            str(message)
            for name, field_errors in form.errors.items()
            if name != "reason"
            for message in field_errors
        ]
        if form is not None
        else []
    )
    note = ""
    if form is not None and form.is_bound:
        note = str(form.data.get("note", ""))
    return {
        "lead_id": lead.pk,
        "can_act": can_act,
        "status_label": lead.get_status_display(),
        "latest": (
            {
                "decision": latest.decision,
                "decision_label": latest.get_decision_display(),
                "reason_label": latest.get_reason_display() if latest.reason else "",
                "note": latest.note,
                "given_by": display_name(latest.given_by),
                "given_at": latest.given_at,
            }
            if latest is not None
            else None
        ),
        "reasons": [
            {"value": reason.value, "label": label}
            for reason, label in REJECTION_REASON_LABELS.items()
        ],
        "reason_errors": reason_errors,
        "errors": other_errors,
        "note": note,
        "saved": saved,
    }


_OUTCOME_BUTTONS = {
    OutcomeKind.OPPORTUNITY: "btn-primary",
    OutcomeKind.WON: "btn-ok",
    OutcomeKind.LOST: "btn-danger",
}


def euros_text(value_cents: int) -> str:
    """ "€ 12,500.00" (English) or "€ 12.500,00" (Dutch)."""
    amount = formats.number_format(
        Decimal(value_cents) / 100, decimal_pos=2, use_l10n=True, force_grouping=True
    )
    return f"€ {amount}"


def outcome_panel(
    lead: Lead,
    *,
    can_act: bool,
    form: OutcomeForm | None = None,
    saved: bool = False,
) -> dict[str, object]:
    """Opportunity, won or lost with a value in euros; the outcomes so far."""
    outcomes = Outcome.objects.filter(lead=lead).order_by("-occurred_at", "-id")
    value = ""
    note = ""
    if form is not None and form.is_bound:
        value = str(form.data.get("value", ""))
        note = str(form.data.get("note", ""))
    return {
        "lead_id": lead.pk,
        "can_act": can_act,
        "outcomes": [
            {
                "kind": outcome.kind,
                "kind_label": outcome.get_kind_display(),
                "value": (
                    euros_text(outcome.value_cents)
                    if outcome.value_cents is not None
                    else ""
                ),
                "note": outcome.note,
                "occurred_at": outcome.occurred_at,
            }
            for outcome in outcomes
        ],
        "kinds": [
            {"value": kind.value, "label": label, "css": _OUTCOME_BUTTONS[kind]}
            for kind, label in OUTCOME_LABELS.items()
        ],
        "value_errors": list(form.errors.get("value", [])) if form else [],
        "errors": [
            str(message)
            for name, field_errors in (form.errors.items() if form else [])
            if name != "value"
            for message in field_errors
        ],
        "value": value,
        "note": note,
        "saved": saved,
    }


def qualification_of(lead: Lead) -> Qualification | None:
    return (
        Qualification.objects.filter(lead=lead)
        .select_related("first_contact_by")
        .first()
    )


def sales_panels(lead: Lead, user: User) -> dict[str, object]:
    """The context of the four sales panels on the lead page."""
    can_act = can_act_on_leads(user)
    qualification = qualification_of(lead)
    return {
        "bant": bant_panel(lead, qualification, can_act=can_act),
        "first_contact": first_contact_panel(lead, qualification, can_act=can_act),
        "feedback": feedback_panel(lead, can_act=can_act),
        "outcome": outcome_panel(lead, can_act=can_act),
    }


# --- the actions ----------------------------------------------------------------------

PanelName = Literal["bant", "first_contact", "feedback", "outcome"]


def _lead_for_action(request: HttpRequest, lead_id: int) -> Lead:
    """The lead if this user may see it (404 otherwise, as for a missing lead)."""
    return get_object_or_404(
        visible_leads(signed_in_user(request)).select_related("company", "owner"),
        pk=lead_id,
    )


def _answer(
    request: HtmxHttpRequest,
    lead: Lead,
    panel: PanelName,
    context: dict[str, object],
    *,
    success_message: str,
    status: int = 200,
) -> HttpResponse:
    """The re-rendered panel (htmx, or any error), else a redirect to the lead."""
    if status == 200:
        audit(request.user, AuditAction.CHANGED, lead.pk, detail=panel)
    template = f"triage/_{panel}.html"
    if request.htmx:
        return render(request, template, {panel: context}, status=status)
    if status != 200:
        # Without htmx the panel comes on a page of its own, with the errors.
        return render(
            request,
            "triage/lead_action.html",
            {
                panel: context,
                "panel_template": template,
                "lead_id": lead.pk,
                "lead_name": lead.full_name or lead.email,
            },
            status=status,
        )
    messages.success(request, success_message)
    return redirect("leads:lead-detail", lead_id=lead.pk)


@require_POST
@role_required(*ACTING_ROLES)
def lead_bant(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Save one BANT answer."""
    lead = _lead_for_action(request, lead_id)
    form = BantForm(request.POST)
    if not form.is_valid():
        errors = [
            str(message) for messages_ in form.errors.values() for message in messages_
        ]
        context = bant_panel(lead, qualification_of(lead), can_act=True, errors=errors)
        return _answer(
            request, lead, "bant", context, success_message="", status=UNPROCESSABLE
        )
    question: BantQuestion = form.cleaned_question()
    qualification = answer_bant(
        lead, question, form.cleaned_answer(), now=timezone.now()
    )
    context = bant_panel(lead, qualification, can_act=True, saved=True)
    return _answer(
        request,
        lead,
        "bant",
        context,
        success_message=gettext("%(question)s: %(answer)s saved.")
        % {
            "question": BANT_QUESTION_LABELS[question],
            "answer": BANT_ANSWER_LABELS[form.cleaned_answer()],
        },
    )


@require_POST
@role_required(*ACTING_ROLES)
def lead_first_contact(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Record that the lead was reached (once; a second click keeps the first time)."""
    lead = _lead_for_action(request, lead_id)
    user = signed_in_user(request)
    qualification = record_first_contact(lead, by=user, now=timezone.now())
    qualification = qualification_of(lead) or qualification
    context = first_contact_panel(lead, qualification, can_act=True)
    return _answer(
        request,
        lead,
        "first_contact",
        context,
        success_message=gettext("First contact recorded."),
    )


@require_POST
@role_required(*ACTING_ROLES)
def lead_feedback(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Accept the lead, or reject it with a reason."""
    lead = _lead_for_action(request, lead_id)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        context = feedback_panel(lead, can_act=True, form=form)
        return _answer(
            request, lead, "feedback", context, success_message="", status=UNPROCESSABLE
        )
    record_feedback(
        lead,
        form.cleaned_decision(),
        reason=form.cleaned_reason(),
        note=form.cleaned_data["note"],
        given_by=signed_in_user(request),
        now=timezone.now(),
    )
    context = feedback_panel(lead, can_act=True, saved=True)
    reason = form.cleaned_reason()
    message = (
        gettext("Lead rejected: %(reason)s.")
        % {"reason": REJECTION_REASON_LABELS[reason]}
        if reason is not None
        else gettext("Lead accepted.")
    )
    return _answer(request, lead, "feedback", context, success_message=message)


@require_POST
@role_required(*ACTING_ROLES)
def lead_outcome(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Record an opportunity, a win or a loss, with its value in euros."""
    lead = _lead_for_action(request, lead_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        context = outcome_panel(lead, can_act=True, form=form)
        return _answer(
            request, lead, "outcome", context, success_message="", status=UNPROCESSABLE
        )
    kind = form.cleaned_kind()
    record_outcome(
        lead,
        kind,
        value_cents=form.cleaned_value_cents(),
        note=form.cleaned_data["note"],
        recorded_by=signed_in_user(request),
        now=timezone.now(),
    )
    context = outcome_panel(lead, can_act=True, saved=True)
    return _answer(
        request,
        lead,
        "outcome",
        context,
        success_message=gettext("Outcome recorded: %(kind)s.")
        % {"kind": OUTCOME_LABELS[kind]},
    )
