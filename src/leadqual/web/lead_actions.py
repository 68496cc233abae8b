"""The sales actions on a lead: BANT, first contact, feedback, outcomes,
reopening a won or lost lead (and undoing that), notes and calls, the owner
and corrections of the lead's own fields.

Every action is a POST with CSRF. With htmx it answers with its re-rendered
panel (``triage/_*.html``); without htmx it redirects back to the lead page
with a message. Invalid input re-renders the panel with the field errors and
status 422, with or without htmx.
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_stubs_ext import StrOrPromise

from leadqual.core.display import unicode_email
from leadqual.core.errors import LeadIsClosed, NotClosed, NothingToUndo
from leadqual.core.lifecycle import (
    BantAnswer,
    Framework,
    LeadStatus,
    NoteKind,
    OutcomeKind,
    QualificationQuestion,
    SalesActionKind,
    is_closed,
)
from leadqual.intake.cleaning import clean_lead_fields
from leadqual.intake.forms import SECTOR_CHOICES
from leadqual.leads.models import STATUS_LABELS, URGENCY_LABELS, Lead
from leadqual.leads.queries import visible_leads
from leadqual.privacy.audit import AuditAction, audit
from leadqual.triage.forms import (
    BANT_QUESTION_HELP,
    BANT_QUESTION_LABELS,
    MEDDIC_QUESTION_HELP,
    MEDDIC_QUESTION_LABELS,
    BantForm,
    FeedbackForm,
    NoteForm,
    OutcomeForm,
    ReopenForm,
)
from leadqual.triage.models import (
    BANT_ANSWER_LABELS,
    CALL_RESULT_LABELS,
    OUTCOME_LABELS,
    REJECTION_REASON_LABELS,
    Feedback,
    Outcome,
    Qualification,
    SalesAction,
)
from leadqual.triage.queries import sales_users
from leadqual.triage.services import (
    add_note,
    answer_bant,
    correct_lead,
    reassign_owner,
    record_feedback,
    record_first_contact,
    record_outcome,
    reopen_lead,
    undo_reopen,
)
from leadqual.users.permissions import can_reassign, role_required
from leadqual.web.helpers import (
    ACTING_ROLES,
    UNPROCESSABLE,
    HtmxHttpRequest,
    amount_example,
    can_act_on_leads,
    display_name,
    euros_text,
    signed_in_user,
)


def _checklist(
    framework: Framework,
) -> list[tuple[QualificationQuestion, StrOrPromise, StrOrPromise]]:
    """(question, label, help) of the framework's questions, in their order."""
    if framework is Framework.MEDDIC:
        return [
            (question, label, MEDDIC_QUESTION_HELP[question])
            for question, label in MEDDIC_QUESTION_LABELS.items()
        ]
    return [
        (question, label, BANT_QUESTION_HELP[question])
        for question, label in BANT_QUESTION_LABELS.items()
    ]


_CHECKLIST_TITLES = {
    Framework.BANT: _("BANT checklist"),
    Framework.MEDDIC: _("MEDDIC checklist"),
}
# Every question of both checklists by its value, for messages and the timeline.
QUESTION_LABELS: dict[str, StrOrPromise] = {
    **{question.value: label for question, label in BANT_QUESTION_LABELS.items()},
    **{question.value: label for question, label in MEDDIC_QUESTION_LABELS.items()},
}


def bant_panel(
    lead: Lead,
    qualification: Qualification | None,
    *,
    can_act: bool,
    errors: list[str] | None = None,
    saved: bool = False,
) -> dict[str, object]:
    """The qualification checklist, each question with yes / no / unknown.

    BANT (four questions) or MEDDIC (six), by the setting LEADQUAL_QUALIFICATION.
    """
    framework = Framework(settings.QUALIFICATION)
    questions = []
    for question, label, help_text in _checklist(framework):
        current = (
            getattr(qualification, question.value)
            if qualification is not None
            else BantAnswer.UNKNOWN.value
        )
        questions.append(
            {
                "key": question.value,
                "label": label,
                "help": help_text,
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
        "title": _CHECKLIST_TITLES[framework],
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
    closed_errors: list[str] | None = None,
) -> dict[str, object]:
    """Accept in one click, reject with one click per reason; the latest feedback.

    A won or lost lead shows no buttons: it is reopened first (action bar).
    """
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
    status = LeadStatus(lead.status)
    return {
        "lead_id": lead.pk,
        "can_act": can_act,
        "is_closed": is_closed(status),
        "can_accept": status not in (LeadStatus.ACCEPTED, LeadStatus.OPPORTUNITY),
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
        "closed_errors": closed_errors or [],
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
    closed_errors: list[str] | None = None,
) -> dict[str, object]:
    """Opportunity, won or lost with a value in euros; the outcomes so far.

    A won or lost lead shows no buttons: it is reopened first (action bar).
    """
    outcomes = Outcome.objects.filter(lead=lead).order_by("-occurred_at", "-id")
    status = LeadStatus(lead.status)
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
                "reopened_at": outcome.reopened_at,
            }
            for outcome in outcomes
        ],
        "is_closed": is_closed(status),
        "status_label": lead.get_status_display(),
        "closed_errors": closed_errors or [],
        "kinds": [
            {"value": kind.value, "label": label, "css": _OUTCOME_BUTTONS[kind]}
            for kind, label in OUTCOME_LABELS.items()
            if not (
                kind is OutcomeKind.OPPORTUNITY and status is LeadStatus.OPPORTUNITY
            )
        ],
        "value_errors": list(form.errors.get("value", [])) if form else [],
        "errors": [
            str(message)
            for name, field_errors in (form.errors.items() if form else [])
            if name != "value"
            for message in field_errors
        ],
        "value": value,
        "value_example": amount_example(),
        "note": note,
        "saved": saved,
    }


def qualification_of(lead: Lead) -> Qualification | None:
    return (
        Qualification.objects.filter(lead=lead)
        .select_related("first_contact_by")
        .first()
    )


def notes_panel(
    lead: Lead, *, can_act: bool, form: NoteForm | None = None, saved: bool = False
) -> dict[str, object]:
    """Write a note or log a call; the notes themselves are on the timeline."""
    body = str(form.data.get("body", "")) if form is not None and form.is_bound else ""
    return {
        "lead_id": lead.pk,
        "can_act": can_act,
        "call_results": [
            {"value": result.value, "label": label}
            for result, label in CALL_RESULT_LABELS.items()
        ],
        "body": body,
        "errors": [
            str(message)
            for field_errors in (form.errors.values() if form is not None else [])
            for message in field_errors
        ],
        "saved": saved,
    }


def _owner_choices(lead: Lead) -> list[dict[str, object]]:
    owners = list(sales_users().order_by("first_name", "last_name", "username"))
    if lead.owner is not None and lead.owner not in owners:
        owners.insert(0, lead.owner)
    return [
        {
            "value": str(owner.pk),
            "label": display_name(owner),
            "selected": owner.pk == lead.owner_id,
        }
        for owner in owners
    ]


def owner_panel(
    lead: Lead, user: User, *, errors: list[str] | None = None, saved: bool = False
) -> dict[str, object]:
    """The owner, and a choice of salespeople for those who may reassign."""
    may_reassign = can_reassign(user, lead.owner_id)
    return {
        "lead_id": lead.pk,
        "owner": display_name(lead.owner),
        "can_reassign": may_reassign,
        "choices": _owner_choices(lead) if may_reassign else [],
        "errors": errors or [],
        "saved": saved,
    }


def _reopen_to_undo(lead: Lead) -> SalesAction | None:
    """The lead's reopen if it is still its latest sales action (undo is possible)."""
    latest = SalesAction.objects.filter(lead=lead).order_by("-done_at", "-id").first()
    if (
        latest is not None
        and latest.kind == SalesActionKind.REOPENED
        and latest.undone_at is None
    ):
        return latest
    return None


def action_bar(
    lead: Lead, qualification: Qualification | None, *, can_act: bool
) -> dict[str, object]:
    """The sticky bar on top of the lead page: the next things to do, by status."""
    status = LeadStatus(lead.status)
    closed = is_closed(status)
    reopen = _reopen_to_undo(lead) if can_act else None
    return {
        "lead_id": lead.pk,
        "name": lead.shown_name,
        "band": lead.band,
        "band_label": lead.get_band_display() if lead.band else "",
        "can_act": can_act,
        "status": status.value,
        "status_label": lead.get_status_display(),
        "is_closed": closed,
        "phone_href": "tel:" + "".join(lead.phone.split()) if lead.phone else "",
        "mail_href": f"mailto:{lead.email}" if lead.anonymised_at is None else "",
        "contact_made": bool(qualification and qualification.first_contact_at),
        "can_accept": not closed
        and status not in (LeadStatus.ACCEPTED, LeadStatus.OPPORTUNITY),
        "can_reject": not closed and status is not LeadStatus.REJECTED,
        "stages": []
        if closed
        else [
            {"value": kind.value, "label": label}
            for kind, label in OUTCOME_LABELS.items()
            if not (
                kind is OutcomeKind.OPPORTUNITY and status is LeadStatus.OPPORTUNITY
            )
        ],
        "undo_reopen_id": reopen.pk if reopen is not None else None,
        # After acting on this lead, the one after it in the user's queue.
        "next_lead_url": f"{reverse('triage:next-lead')}?after={lead.pk}",
    }


def sales_panels(lead: Lead, user: User) -> dict[str, object]:
    """The context of the action bar and the sales panels on the lead page."""
    can_act = can_act_on_leads(user)
    qualification = qualification_of(lead)
    return {
        "action_bar": action_bar(lead, qualification, can_act=can_act),
        "bant": bant_panel(lead, qualification, can_act=can_act),
        "first_contact": first_contact_panel(lead, qualification, can_act=can_act),
        "feedback": feedback_panel(lead, can_act=can_act),
        "outcome": outcome_panel(lead, can_act=can_act),
        "notes": notes_panel(lead, can_act=can_act),
        "owner": owner_panel(lead, user),
    }


# --- the actions ----------------------------------------------------------------------

PanelName = Literal["bant", "first_contact", "feedback", "outcome", "notes", "owner"]


_PANELS_THAT_MOVE_THE_BAR = frozenset({"feedback", "outcome", "first_contact"})


def closed_lead_message(lead: Lead) -> str:
    """Why a won or lost lead refuses feedback and outcomes, and what to do."""
    return gettext(
        "This lead is %(status)s. Reopen it first (the Reopen button at the top), "
        "then record feedback or a new outcome."
    ) % {"status": lead.get_status_display().lower()}


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
        response = render(request, template, {panel: context}, status=status)
        if status == 200 and panel in _PANELS_THAT_MOVE_THE_BAR:
            # The action bar follows the status: swap it too (out of band).
            bar = action_bar(lead, qualification_of(lead), can_act=True)
            response.content += render_to_string(
                "leads/_action_bar.html",
                {"action_bar": bar, "oob": True},
                request=request,
            ).encode()
            if panel != "feedback":
                # Won or lost (or back): the feedback buttons follow the status.
                response.content += render_to_string(
                    "triage/_feedback.html",
                    {"feedback": feedback_panel(lead, can_act=True), "oob": True},
                    request=request,
                ).encode()
        return response
    if status != 200:
        # Without htmx the panel comes on a page of its own, with the errors.
        return render(
            request,
            "triage/lead_action.html",
            {
                panel: context,
                "panel_template": template,
                "lead_id": lead.pk,
                "lead_name": lead.shown_name,
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
    question = form.cleaned_question()
    qualification = answer_bant(
        lead,
        question,
        form.cleaned_answer(),
        now=timezone.now(),
        by=signed_in_user(request),
    )
    context = bant_panel(lead, qualification, can_act=True, saved=True)
    return _answer(
        request,
        lead,
        "bant",
        context,
        success_message=gettext("%(question)s: %(answer)s saved.")
        % {
            "question": QUESTION_LABELS[question.value],
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
    try:
        record_feedback(
            lead,
            form.cleaned_decision(),
            reason=form.cleaned_reason(),
            note=form.cleaned_data["note"],
            given_by=signed_in_user(request),
            now=timezone.now(),
        )
    except LeadIsClosed:
        context = feedback_panel(
            lead, can_act=True, closed_errors=[closed_lead_message(lead)]
        )
        return _answer(
            request, lead, "feedback", context, success_message="", status=UNPROCESSABLE
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
    try:
        record_outcome(
            lead,
            kind,
            value_cents=form.cleaned_value_cents(),
            note=form.cleaned_data["note"],
            recorded_by=signed_in_user(request),
            now=timezone.now(),
        )
    except LeadIsClosed:
        context = outcome_panel(
            lead, can_act=True, closed_errors=[closed_lead_message(lead)]
        )
        return _answer(
            request, lead, "outcome", context, success_message="", status=UNPROCESSABLE
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


@role_required(*ACTING_ROLES)
def lead_reopen(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Reopen a won or lost lead, after a confirmation page (GET asks, POST does)."""
    lead = _lead_for_action(request, lead_id)
    if not is_closed(LeadStatus(lead.status)):
        messages.info(
            request,
            gettext("This lead is %(status)s: there is nothing to reopen.")
            % {"status": lead.get_status_display().lower()},
        )
        return redirect("leads:lead-detail", lead_id=lead.pk)
    form = ReopenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reopen_lead(lead, by=signed_in_user(request), now=timezone.now())
        except NotClosed:
            return redirect("leads:lead-detail", lead_id=lead.pk)
        audit(request.user, AuditAction.CHANGED, lead.pk, detail="reopened")
        messages.success(
            request,
            gettext(
                "Lead reopened: it is %(status)s again. Changed your mind? "
                "Use Undo at the top."
            )
            % {"status": lead.get_status_display().lower()},
        )
        return redirect("leads:lead-detail", lead_id=lead.pk)
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(
        request,
        "leads/lead_reopen.html",
        {
            "lead_id": lead.pk,
            "lead_name": lead.shown_name,
            "status_label": lead.get_status_display(),
            "form": form,
        },
        status=status,
    )


@require_POST
@role_required(*ACTING_ROLES)
def lead_reopen_undo(
    request: HtmxHttpRequest, lead_id: int, action_id: int
) -> HttpResponse:
    """Undo a reopen while nothing else happened on the lead since."""
    lead = _lead_for_action(request, lead_id)
    try:
        restored = undo_reopen(
            lead, action_id, by=signed_in_user(request), now=timezone.now()
        )
    except NothingToUndo:
        messages.error(
            request,
            gettext(
                "The reopen cannot be undone any more: the lead changed since. "
                "Record the outcome again instead."
            ),
        )
        return redirect("leads:lead-detail", lead_id=lead.pk)
    audit(request.user, AuditAction.CHANGED, lead.pk, detail="reopen undone")
    messages.success(
        request,
        gettext("Reopen undone: the lead is %(status)s again.")
        % {"status": str(STATUS_LABELS[restored]).lower()},
    )
    return redirect("leads:lead-detail", lead_id=lead.pk)


@require_POST
@role_required(*ACTING_ROLES)
def lead_note(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Store a note or a logged call."""
    lead = _lead_for_action(request, lead_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        context = notes_panel(lead, can_act=True, form=form)
        return _answer(
            request, lead, "notes", context, success_message="", status=UNPROCESSABLE
        )
    kind = form.cleaned_kind()
    add_note(
        lead,
        kind,
        form.cleaned_data["body"],
        call_result=form.cleaned_call_result(),
        by=signed_in_user(request),
        now=timezone.now(),
    )
    return _answer(
        request,
        lead,
        "notes",
        notes_panel(lead, can_act=True, saved=True),
        success_message=gettext("Call logged.")
        if kind is NoteKind.CALL
        else gettext("Note saved."),
    )


@require_POST
@role_required(*ACTING_ROLES)
def lead_reassign(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Give the lead to another salesperson (admins any lead, sales their own)."""
    lead = _lead_for_action(request, lead_id)
    user = signed_in_user(request)
    if not can_reassign(user, lead.owner_id):
        raise PermissionDenied
    raw = request.POST.get("owner", "")
    new_owner = sales_users().filter(pk=int(raw)).first() if raw.isdigit() else None
    if new_owner is None:
        context = owner_panel(
            lead,
            user,
            errors=[
                gettext(
                    'Choose the new owner from the list; "%(value)s" is not an '
                    "active salesperson."
                )
                % {"value": raw}
            ],
        )
        return _answer(
            request, lead, "owner", context, success_message="", status=UNPROCESSABLE
        )
    reassign_owner(lead, new_owner, by=user, now=timezone.now())
    lead.owner = new_owner
    context = owner_panel(lead, user, saved=True)
    return _answer(
        request,
        lead,
        "owner",
        context,
        success_message=gettext("The lead now belongs to %(owner)s.")
        % {"owner": display_name(new_owner)},
    )


# The lead's own fields a correction may change, in the order of the form. The
# email stays: it is the lead's identity (duplicates are merged, not renamed).
CORRECTABLE_FIELDS: dict[str, StrOrPromise] = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "company": _("Company"),
    "job_title": _("Job title"),
    "phone": _("Phone"),
    "sector": _("Sector"),
    "employees": _("Employees"),
    "budget_euros": _("Budget (euros)"),
    "urgency": _("Urgency"),
    "country": _("Country (two letters, e.g. NL)"),
    "region": _("Region"),
}


def _current_values(lead: Lead) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in CORRECTABLE_FIELDS:
        if name == "company":
            value: object = lead.company.name if lead.company is not None else ""
        else:
            value = getattr(lead, name)
        if name == "sector" and str(value).casefold() in SECTOR_CHOICES:
            value = str(value).casefold()
        if name == "budget_euros" and isinstance(value, int):
            # As the page's language writes it (10.000 / 10,000); intake reads both.
            value = formats.number_format(value, use_l10n=True, force_grouping=True)
        values[name] = "" if value is None else str(value)
    return values


def _choices_for(name: str, value: str) -> list[dict[str, object]]:
    """The options of a field corrected by choosing; [] for a typed field."""
    none: list[dict[str, object]] = [{"value": "", "label": "\u2013"}]
    if name == "urgency":
        return none + [
            {"value": urgency.value, "label": label}
            for urgency, label in URGENCY_LABELS.items()
        ]
    if name == "sector":
        known: list[dict[str, object]] = [
            {"value": key, "label": label} for key, label in SECTOR_CHOICES.items()
        ]
        # A sector from an import outside the list stays choosable as it is.
        kept: list[dict[str, object]] = (
            []
            if not value or value in SECTOR_CHOICES
            else [{"value": value, "label": value}]
        )
        return none + kept + known
    return []


def _correction_fields(
    values: dict[str, str], errors: dict[str, str]
) -> list[dict[str, object]]:
    return [
        {
            "name": name,
            "label": label,
            "value": values.get(name, ""),
            "error": errors.get(name, ""),
            "choices": _choices_for(name, values.get(name, "")),
        }
        for name, label in CORRECTABLE_FIELDS.items()
    ]


@role_required(*ACTING_ROLES)
def lead_correct(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Correct the lead's own fields: cleaned as at intake, audited, rescored."""
    lead = _lead_for_action(request, lead_id)
    user = signed_in_user(request)
    values = _current_values(lead)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {
            name: str(request.POST.get(name, ""))[:500] for name in CORRECTABLE_FIELDS
        }
        cleaned = clean_lead_fields(lead.email, dict(values))
        errors = {
            name: message
            for name, message in cleaned.errors.items()
            if name in CORRECTABLE_FIELDS
        }
        if not errors:
            changed = correct_lead(lead, cleaned.values, by=user, now=timezone.now())
            if changed:
                audit(
                    user,
                    AuditAction.CHANGED,
                    lead.pk,
                    detail="corrected " + ", ".join(changed),
                )
                messages.success(
                    request,
                    gettext("Saved and rescored: %(fields)s.")
                    % {
                        "fields": ", ".join(
                            str(CORRECTABLE_FIELDS.get(name, name)).lower()
                            for name in changed
                            if name in CORRECTABLE_FIELDS
                        )
                    },
                )
            else:
                messages.info(request, gettext("Nothing changed."))
            return redirect("leads:lead-detail", lead_id=lead.pk)
        status = UNPROCESSABLE
    return render(
        request,
        "leads/lead_correct.html",
        {
            "lead_id": lead.pk,
            "lead_name": lead.shown_name,
            "email": unicode_email(lead.email),
            "fields": _correction_fields(values, errors),
            "has_errors": bool(errors),
        },
        status=status,
    )
