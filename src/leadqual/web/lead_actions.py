"""The sales queue and the sales actions on a lead: BANT, first contact,
feedback and outcomes.

Every action is a POST with CSRF. With htmx it answers with its re-rendered
panel (``triage/_*.html``); without htmx it redirects back to the lead page
with a message. Invalid input re-renders the panel with the field errors and
status 422, with or without htmx.
"""

from __future__ import annotations

from typing import Literal

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadqual.core.lifecycle import BantAnswer, BantQuestion, OutcomeKind
from leadqual.leads.models import Lead
from leadqual.leads.queries import visible_leads
from leadqual.privacy.audit import AuditAction, audit
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
)
from leadqual.triage.services import (
    answer_bant,
    record_feedback,
    record_first_contact,
    record_outcome,
)
from leadqual.users.permissions import role_required
from leadqual.web.helpers import (
    ACTING_ROLES,
    UNPROCESSABLE,
    HtmxHttpRequest,
    can_act_on_leads,
    display_name,
    euros_text,
    signed_in_user,
)


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
