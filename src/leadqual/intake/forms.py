"""The public intake form: contact details, the article's four questions, consent.

The four questions (sector, number of employees, budget indication, urgency)
are answered by picking a range, so every answer is one the scoring model can
read: each range maps to a representative whole number stored on the lead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from leadqual.core.events import JsonValue
from leadqual.core.profile import Urgency
from leadqual.intake.cleaning import FieldInput
from leadqual.leads.models import URGENCY_LABELS

# The version of CONSENT_TEXT, stored with every lead that ticks the box, so
# we can always show which text a lead agreed to. To change the consent text:
# edit CONSENT_TEXT, set CONSENT_TEXT_VERSION to the new year-month (e.g.
# "2027-03"), add a line to the changelog below, and have the text translated.
# Changelog: 2026-11: first text.
CONSENT_TEXT_VERSION = "2026-11"
CONSENT_TEXT = _(
    "I agree that my details are stored and used to contact me about my request. "
    "I can withdraw this consent at any time by replying to any of our emails."
)

# The source stored with a lead from this form, unless an embedding site
# names its own with ?source=... (a short slug, see source_from_query).
DEFAULT_SOURCE = "website_form"
_SOURCE_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")

# The sectors the default scoring model (scoring/model_files/b2b_software.toml)
# gives points for, stored in its English spelling; "other" scores nothing.
SECTOR_CHOICES: Mapping[str, StrOrPromise] = {
    "software": _("Software"),
    "ict": _("ICT and IT services"),
    "business services": _("Business services"),
    "wholesale": _("Wholesale"),
    "logistics": _("Logistics"),
    "construction": _("Construction"),
    "manufacturing": _("Manufacturing"),
    "retail": _("Retail"),
    "healthcare": _("Healthcare"),
    "other": _("Other"),
}
OTHER_SECTOR = "other"


# Each range: (label, representative number stored in Lead.employees). The
# open range "250 or more" stores 500: above the small-business range, so a
# size rule for 10-250 employees does not fire for a large company.
EMPLOYEE_RANGES: Mapping[str, tuple[StrOrPromise, int]] = {
    "1": (_("1 (just me)"), 1),
    "2-9": (_("2-9"), 5),
    "10-49": (_("10-49"), 25),
    "50-249": (_("50-249"), 100),
    "250+": (_("250 or more"), 500),
}

# Each range: (label, representative euros stored in Lead.budget_euros), a
# value inside the range so budget rules see the right range.
BUDGET_RANGES: Mapping[str, tuple[StrOrPromise, int]] = {
    "lt-2500": (_("Less than € 2,500"), 1_000),
    "2500-10000": (_("€ 2,500 - € 10,000"), 5_000),
    "10000-25000": (_("€ 10,000 - € 25,000"), 15_000),
    "gt-25000": (_("More than € 25,000"), 40_000),
}

URGENCY_CHOICES: Mapping[str, StrOrPromise] = {
    urgency.value: URGENCY_LABELS[urgency] for urgency in Urgency
}

# Form fields whose name differs from the lead field the pipeline reports.
_FORM_FIELD_OF_LEAD_FIELD: Mapping[str, str] = {"budget_euros": "budget"}

HONEYPOT_FIELD = "website"


def source_from_query(raw: str | None) -> str:
    """The lead source named by an embedding site, or DEFAULT_SOURCE.

    Accepts lower-case letters, digits, "-" and "_", at most 50 characters
    ("website", "partner_site"); anything else falls back to DEFAULT_SOURCE.
    """
    text = (raw or "").strip().lower()
    return text if _SOURCE_SLUG.fullmatch(text) else DEFAULT_SOURCE


def _choices(
    prompt: StrOrPromise, options: Mapping[str, StrOrPromise]
) -> list[tuple[str, StrOrPromise]]:
    return [("", prompt), *options.items()]


def _range_choices(
    prompt: StrOrPromise, ranges: Mapping[str, tuple[StrOrPromise, int]]
) -> list[tuple[str, StrOrPromise]]:
    return [("", prompt), *((key, label) for key, (label, _number) in ranges.items())]


class LeadIntakeForm(forms.Form):
    """Contact details, four questions and consent; ``website`` is a honeypot."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("Your work email address, so we can reply to you."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    company = forms.CharField(
        label=_("Company"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("If you prefer a call. For example +31 6 12345678."),
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 ()./-]{5,38}$",
                message=_(
                    "Enter a phone number with digits, for example +31 6 12345678."
                ),
            )
        ],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=_choices(_("Choose your sector"), SECTOR_CHOICES),
        help_text=_("The line of business your company is in."),
    )
    employees = forms.ChoiceField(
        label=_("Number of employees"),
        required=False,
        choices=_range_choices(_("Choose a number"), EMPLOYEE_RANGES),
        help_text=_("Everyone who works at your company, including you."),
    )
    budget = forms.ChoiceField(
        label=_("Budget indication"),
        choices=_range_choices(_("Choose a budget"), BUDGET_RANGES),
        help_text=_(
            "A rough indication is enough: it helps us suggest what fits your plans."
        ),
        error_messages={
            "required": _(
                "Choose a budget indication. A rough range is enough; "
                "you are not committing to anything."
            )
        },
    )
    urgency = forms.ChoiceField(
        label=_("When do you want to start?"),
        required=False,
        choices=_choices(_("Choose a moment"), URGENCY_CHOICES),
    )
    consent = forms.BooleanField(
        label=CONSENT_TEXT,
        error_messages={
            "required": _(
                "Tick the box to agree. Without your consent we cannot store "
                "your details or contact you."
            )
        },
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def lead_fields(self, *, source: str) -> dict[str, FieldInput]:
        """The cleaned answers as lead fields for ``intake.pipeline.submit_lead``.

        Unanswered optional questions are left out, so a second submission
        from the same email never clears what the lead told us before.
        """
        data = self.cleaned_data
        fields: dict[str, FieldInput] = {"source": source}
        for name in ("first_name", "last_name", "company", "phone"):
            if data[name]:
                fields[name] = data[name]
        if data["sector"]:
            fields["sector"] = data["sector"]
        if data["employees"]:
            fields["employees"] = EMPLOYEE_RANGES[data["employees"]][1]
        fields["budget_euros"] = BUDGET_RANGES[data["budget"]][1]
        if data["urgency"]:
            fields["urgency"] = data["urgency"]
        return fields

    def event_properties(self, *, source: str) -> dict[str, JsonValue]:
        """The answers as the properties of the submission's form_submit event.

        Only the picked options (their keys, e.g. ``"budget": "10000-25000"``),
        which form, and the consent tick: no free text, no contact details
        (those are the lead's fields).
        """
        data = self.cleaned_data
        properties: dict[str, JsonValue] = {"form": source}
        for name in ("sector", "employees", "budget", "urgency"):
            if data[name]:
                properties[name] = data[name]
        properties["consent"] = bool(data["consent"])
        return properties

    def add_lead_errors(self, errors: Mapping[str, str]) -> None:
        """Put the pipeline's field errors on the form fields they came from.

        The pipeline's messages are English and meant for API clients; the
        visitor gets a translated message on the matching field instead.
        """
        for lead_field in errors:
            name = _FORM_FIELD_OF_LEAD_FIELD.get(lead_field, lead_field)
            if name == "email":
                self.add_error(
                    "email",
                    _(
                        "This email address cannot be used. Check it for typing "
                        "errors; it should look like name@example.nl."
                    ),
                )
            elif name in self.fields and name != HONEYPOT_FIELD:
                self.add_error(
                    name, _("This answer cannot be stored. Check it and try again.")
                )
            else:
                self.add_error(
                    None,
                    _("Your details could not be stored. Check them and try again."),
                )


def submission_summary(
    fields: Mapping[str, object], answers: Mapping[str, object]
) -> list[tuple[StrOrPromise, str]]:
    """(label, answer) of what a stored submission says, for the visitor to check.

    ``fields`` and ``answers`` are what ``lead_fields`` and
    ``event_properties`` returned; unanswered questions are left out.
    """
    summary: list[tuple[StrOrPromise, str]] = []
    name = " ".join(
        str(fields[part]) for part in ("first_name", "last_name") if fields.get(part)
    )
    if name:
        summary.append((_("Name"), name))
    for key, label in (("company", _("Company")), ("phone", _("Phone"))):
        if fields.get(key):
            summary.append((label, str(fields[key])))
    choices: tuple[tuple[str, StrOrPromise, Mapping[str, StrOrPromise]], ...] = (
        ("sector", _("Sector"), SECTOR_CHOICES),
        ("employees", _("Number of employees"), _labels(EMPLOYEE_RANGES)),
        ("budget", _("Budget indication"), _labels(BUDGET_RANGES)),
        ("urgency", _("When do you want to start?"), URGENCY_CHOICES),
    )
    for key, question, options in choices:
        value = str(answers.get(key) or "")
        if value:
            summary.append((question, str(options.get(value, value))))
    return summary


def _labels(
    ranges: Mapping[str, tuple[StrOrPromise, int]],
) -> Mapping[str, StrOrPromise]:
    return {key: label for key, (label, _number) in ranges.items()}
