"""Campaign costs as people enter them: one month by hand, or many by CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadqual.core.kpis import MonthlyCost
from leadqual.triage.forms import EuroField

# A year of costs for ten sources fits many times over; a bigger file is a mistake.
MAX_CSV_BYTES = 1_000_000
# The CSV's columns, by the names the file may use for them (English or Dutch).
COLUMN_NAMES = {
    "source": ("source", "bron"),
    "month": ("month", "maand"),
    "amount": ("amount", "bedrag"),
}


class CampaignCostForm(forms.Form):
    """One source's cost in one month; entered again, it replaces the old amount."""

    source = forms.CharField(label=gettext_lazy("Source"), max_length=100)
    month = forms.DateField(
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={
            "invalid": gettext_lazy(
                "Enter a month as year and month, for example 2026-11."
            )
        },
    )
    amount = EuroField(label=gettext_lazy("Amount (euros)"))

    def __init__(self, *args: Any, sources: Sequence[str] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        # The known sources are offered, a new one may be typed.
        self.fields["source"].widget.attrs["list"] = "known-sources"
        self.sources = [source for source in sources if source]

    def clean_source(self) -> str:
        source: str = self.cleaned_data["source"].strip()
        if not source:
            raise forms.ValidationError(_("Enter the source the money was spent on."))
        return source

    def clean_month(self) -> date:
        month: date = self.cleaned_data["month"]
        return month.replace(day=1)

    def cleaned_cost(self) -> MonthlyCost:
        return MonthlyCost(
            source=self.cleaned_data["source"],
            month=self.cleaned_data["month"],
            amount_cents=self.cleaned_data["amount"],
        )


class CostFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


@dataclass(frozen=True, slots=True)
class CostFile:
    """A parsed CSV of costs: every row's cost, or every problem (then no costs)."""

    costs: list[MonthlyCost]
    errors: list[str]


def _columns(header: Sequence[str]) -> dict[str, int] | str:
    """Where each column is, or the error that says which are missing."""
    found: dict[str, int] = {}
    names = [name.strip().casefold().lstrip("\ufeff") for name in header]
    for column, aliases in COLUMN_NAMES.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[column] = index
                break
    missing = [column for column in COLUMN_NAMES if column not in found]
    if missing:
        return _(
            "The first row must name the columns source, month and amount "
            "(or bron, maand, bedrag); missing: %(missing)s."
        ) % {"missing": ", ".join(missing)}
    return found


def parse_cost_file(data: bytes) -> CostFile:
    """Every row of a CSV of costs (source, month, amount), checked like the form.

    Takes commas or semicolons and UTF-8 (with or without BOM). A row is
    checked by ``CampaignCostForm``, so it says the same as the form; the
    errors name the row (counting the header as row 1) and the column.
    """
    if len(data) > MAX_CSV_BYTES:
        return CostFile([], [_("The file is larger than 1 MB. Split it up.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return CostFile(
            [], [_("The file is not UTF-8 text. Save it as CSV (UTF-8) and try again.")]
        )
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
    if not rows:
        return CostFile([], [_("The file is empty.")])
    columns = _columns(rows[0])
    if isinstance(columns, str):
        return CostFile([], [columns])
    # Errors name a column as the file's header does, in its language.
    header = {
        column: rows[0][index].strip().lstrip("\ufeff")
        for column, index in columns.items()
    }
    costs: list[MonthlyCost] = []
    errors: list[str] = []
    seen: dict[tuple[str, date], int] = {}
    for number, row in enumerate(rows[1:], start=2):
        values = {
            column: row[index].strip() if index < len(row) else ""
            for column, index in columns.items()
        }
        form = CampaignCostForm(values)
        if not form.is_valid():
            for field, messages in form.errors.items():
                for message in messages:
                    errors.append(
                        _('Row %(row)s, column "%(column)s": %(message)s')
                        % {
                            "row": number,
                            "column": header.get(field, field),
                            "message": message,
                        }
                    )
            continue
        cost = form.cleaned_cost()
        key = (cost.source, cost.month)
        if key in seen:
            errors.append(
                _(
                    "Row %(row)s repeats source %(source)s and month %(month)s of row %(first)s."
                )
                % {
                    "row": number,
                    "source": cost.source,
                    "month": f"{cost.month:%Y-%m}",
                    "first": seen[key],
                }
            )
            continue
        seen[key] = number
        costs.append(cost)
    if not costs and not errors:
        errors.append(_("The file has a header but no rows of costs."))
    return CostFile([] if errors else costs, errors)
