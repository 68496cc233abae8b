"""The sales actions on a lead page: BANT answers, feedback and outcomes."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadqual.core.lifecycle import (
    BantAnswer,
    BantQuestion,
    CallResult,
    Decision,
    MeddicQuestion,
    NoteKind,
    OutcomeKind,
    QualificationQuestion,
    RejectionReason,
)
from leadqual.triage.models import (
    BANT_ANSWER_LABELS,
    CALL_RESULT_LABELS,
    DECISION_LABELS,
    NOTE_KIND_LABELS,
    OUTCOME_LABELS,
    REJECTION_REASON_LABELS,
)

BANT_QUESTION_LABELS = {
    BantQuestion.BUDGET: _("Budget"),
    BantQuestion.AUTHORITY: _("Authority"),
    BantQuestion.NEED: _("Need"),
    BantQuestion.TIMING: _("Timing"),
}
MEDDIC_QUESTION_LABELS = {
    MeddicQuestion.METRICS: _("Metrics"),
    MeddicQuestion.ECONOMIC_BUYER: _("Economic buyer"),
    MeddicQuestion.DECISION_CRITERIA: _("Decision criteria"),
    MeddicQuestion.DECISION_PROCESS: _("Decision process"),
    MeddicQuestion.IDENTIFY_PAIN: _("Identified pain"),
    MeddicQuestion.CHAMPION: _("Champion"),
}
MEDDIC_QUESTION_HELP = {
    MeddicQuestion.METRICS: _("Do we know the gain they expect, in numbers?"),
    MeddicQuestion.ECONOMIC_BUYER: _("Have we met the person who signs?"),
    MeddicQuestion.DECISION_CRITERIA: _("Do we know what they will judge us on?"),
    MeddicQuestion.DECISION_PROCESS: _("Do we know the steps and dates to a yes?"),
    MeddicQuestion.IDENTIFY_PAIN: _("Is there a problem they must solve?"),
    MeddicQuestion.CHAMPION: _("Is someone inside selling for us?"),
}
BANT_QUESTION_HELP = {
    BantQuestion.BUDGET: _("Is there a budget for this?"),
    BantQuestion.AUTHORITY: _("Are we talking to the person who decides?"),
    BantQuestion.NEED: _("Do they need what we offer?"),
    BantQuestion.TIMING: _("Do they want to start soon enough?"),
}

# The largest deal value the form takes: 100 million euros.
MAX_VALUE_CENTS = 100_000_000 * 100

# "12.500" and "1.250.000" (Dutch) or "12,500" (English): groups of three digits.
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d{1,2})?$")
_COMMA_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$")
_PLAIN = re.compile(r"^\d+([.,]\d{1,2})?$")
# "45.000,-" is Dutch for "45.000 euros, no cents" (the importer takes it too).
_NO_CENTS = re.compile(r"[.,]-{1,2}$")


def parse_euros(text: str) -> int:
    """Cents from an amount in euros as people type it.

    Takes "12500", "12.500", "12.500,50", "12,500.50", "12500,5", "€ 12.500" and
    "€ 12.500,-".
    Raises ValueError for anything else, including negative amounts.
    """
    cleaned = text.strip().replace("€", "").replace("EUR", "").replace(" ", "")
    cleaned = _NO_CENTS.sub("", cleaned.replace("\u00a0", ""))
    if _DOT_THOUSANDS.match(cleaned):
        normalised = cleaned.replace(".", "").replace(",", ".")
    elif _COMMA_THOUSANDS.match(cleaned):
        normalised = cleaned.replace(",", "")
    elif _PLAIN.match(cleaned):
        normalised = cleaned.replace(",", ".")
    else:
        raise ValueError(text)
    try:
        euros = Decimal(normalised)
    except InvalidOperation:
        raise ValueError(text) from None
    return int(euros * 100)


class BantForm(forms.Form):
    question = forms.ChoiceField(
        label=_("Question"),
        choices=[*BANT_QUESTION_LABELS.items(), *MEDDIC_QUESTION_LABELS.items()],
    )
    answer = forms.ChoiceField(
        label=_("Answer"), choices=list(BANT_ANSWER_LABELS.items())
    )

    def cleaned_question(self) -> QualificationQuestion:
        value = self.cleaned_data["question"]
        if value in BantQuestion.__members__.values():
            return BantQuestion(value)
        return MeddicQuestion(value)

    def cleaned_answer(self) -> BantAnswer:
        return BantAnswer(self.cleaned_data["answer"])


class FeedbackForm(forms.Form):
    """Accepted, or rejected with one of the reasons (and an optional note)."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=list(DECISION_LABELS.items())
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", ""), *REJECTION_REASON_LABELS.items()],
        required=False,
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        decision = self.cleaned_data.get("decision")
        reason = self.cleaned_data.get("reason") or ""
        if decision == Decision.REJECTED and not reason:
            self.add_error(
                "reason",
                gettext("Choose why you reject this lead: one of the reason buttons."),
            )
        if decision == Decision.ACCEPTED:
            # The accept button sends no reason; a stray one is not a rejection.
            self.cleaned_data["reason"] = ""
        return cleaned

    def cleaned_decision(self) -> Decision:
        return Decision(self.cleaned_data["decision"])

    def cleaned_reason(self) -> RejectionReason | None:
        reason = self.cleaned_data.get("reason") or ""
        return RejectionReason(reason) if reason else None


class EuroField(forms.CharField):
    """An amount in euros, cleaned to whole cents (None when empty)."""

    def to_python(self, value: object) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            cents = parse_euros(text)
        except ValueError:
            raise ValidationError(
                gettext(
                    '"%(value)s" is not an amount in euros. '
                    "Use digits, for example 12500 or 12.500,00."
                )
                % {"value": text},
                code="invalid",
            ) from None
        if cents > MAX_VALUE_CENTS:
            raise ValidationError(
                gettext(
                    '"%(value)s" is more than 100 million euros. '
                    "Check the number of digits."
                )
                % {"value": text},
                code="max_value",
            )
        return cents


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Outcome"), choices=list(OUTCOME_LABELS.items()))
    value = EuroField(label=_("Value (euros, optional)"), required=False)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)

    def cleaned_kind(self) -> OutcomeKind:
        return OutcomeKind(self.cleaned_data["kind"])

    def cleaned_value_cents(self) -> int | None:
        value: int | None = self.cleaned_data.get("value")
        return value


class NoteForm(forms.Form):
    """A note (text required) or a logged call (a result required, text optional)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=list(NOTE_KIND_LABELS.items()))
    body = forms.CharField(
        label=_("Note or call summary"), required=False, max_length=5000
    )
    call_result = forms.ChoiceField(
        label=_("Call result"),
        choices=[("", ""), *CALL_RESULT_LABELS.items()],
        required=False,
    )

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        kind = self.cleaned_data.get("kind")
        body = str(self.cleaned_data.get("body") or "").strip()
        if kind == NoteKind.NOTE and not body:
            self.add_error("body", gettext("Write the note first: the text is empty."))
        if kind == NoteKind.CALL and not self.cleaned_data.get("call_result"):
            self.add_error(
                "call_result",
                gettext("Say how the call went: reached, no answer or voicemail."),
            )
        if kind == NoteKind.NOTE:
            self.cleaned_data["call_result"] = ""
        return cleaned

    def cleaned_kind(self) -> NoteKind:
        return NoteKind(self.cleaned_data["kind"])

    def cleaned_call_result(self) -> CallResult | None:
        result = self.cleaned_data.get("call_result") or ""
        return CallResult(result) if result else None


class ReopenForm(forms.Form):
    """Reopening a won or lost lead takes an explicit yes."""

    confirm = forms.BooleanField(
        label=_("Yes, reopen this lead"),
        error_messages={
            "required": _(
                "Confirm that you want to reopen this lead: tick the box, "
                "then press Reopen."
            )
        },
    )
