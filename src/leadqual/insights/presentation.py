"""The KPIs as people read them: titles, explanations and number formats.

One home for what the KPI page and the weekly report both show, so the two
always name and format a KPI the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template.defaultfilters import floatformat
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from leadqual.core.kpis import KpiSet
from leadqual.core.money import euro_texts

NONE_TEXT = "\N{EN DASH}"


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    title: StrOrPromise
    value: Callable[[KpiSet], float | int | None]
    kind: str  # "share", "hours", "rating" (1-5) or "count"
    detail: Callable[[KpiSet], str]


def format_decimal(value: float, places: int = 1) -> str:
    """A number in the active language's format: 1,234.5 or 1.234,5."""
    return str(floatformat(value, f"{places}g"))


def format_percent(share: float | None, places: int = 1) -> str:
    if share is None:
        return NONE_TEXT
    return _("%(percent)s%%") % {"percent": format_decimal(share * 100, places)}


def format_euros(value_cents: int) -> str:
    """An amount in the active language: €12,500 (English) or € 12.500 (Dutch)."""
    texts = euro_texts(value_cents)
    return texts.nl if (get_language() or "").startswith("nl") else texts.en


def format_hours(hours: float | None) -> str:
    """Hours with one decimal, "3.5 h"; a dash for None."""
    if hours is None:
        return NONE_TEXT
    return _("%(hours)s h") % {"hours": format_decimal(hours)}


def format_rating(rating: float | None) -> str:
    """A 1-5 rating with one decimal, "4.5 of 5"; a dash for None."""
    if rating is None:
        return NONE_TEXT
    return _("%(rating)s of 5") % {"rating": format_decimal(rating)}


def format_count(count: float | None) -> str:
    """A whole number in the active language's format: 1,250 or 1.250."""
    return NONE_TEXT if count is None else format_decimal(count, 0)


def _of(numerator: int, denominator: int, noun: str) -> str:
    return _("%(count)s of %(total)s %(noun)s") % {
        "count": format_count(numerator),
        "total": format_count(denominator),
        "noun": noun,
    }


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "leads-in",
        gettext_lazy("Leads in"),
        lambda kpis: kpis.leads_in,
        "count",
        lambda kpis: _("leads that arrived in the period"),
    ),
    Kpi(
        "sales-ready",
        gettext_lazy("Sales-ready"),
        lambda kpis: kpis.share_sales_ready,
        "share",
        lambda kpis: _of(kpis.sales_ready, kpis.leads_in, _("leads reached hot")),
    ),
    Kpi(
        "sales-accepted",
        gettext_lazy("Sales-accepted"),
        lambda kpis: kpis.share_sales_accepted,
        "share",
        lambda kpis: _of(kpis.accepted, kpis.with_feedback, _("leads with feedback")),
    ),
    Kpi(
        "lead-to-opportunity",
        gettext_lazy("Lead to opportunity"),
        lambda kpis: kpis.lead_to_opportunity,
        "share",
        lambda kpis: _of(kpis.opportunities, kpis.leads_in, _("leads")),
    ),
    Kpi(
        "qualified-to-won",
        gettext_lazy("Qualified to won"),
        lambda kpis: kpis.qualified_to_won,
        "share",
        lambda kpis: _of(kpis.won_accepted, kpis.accepted, _("accepted leads won")),
    ),
    Kpi(
        "time-to-first-contact",
        gettext_lazy("Time to first contact"),
        lambda kpis: kpis.median_hours_to_first_contact,
        "hours",
        lambda kpis: (
            _("median of %(count)s contacted leads")
            % {"count": format_count(kpis.contacted)}
        ),
    ),
    Kpi(
        "working-hours-to-first-contact",
        gettext_lazy("Time to first contact (working hours)"),
        lambda kpis: kpis.median_working_hours_to_first_contact,
        "hours",
        lambda kpis: _("median, weekends and holidays not counted"),
    ),
    Kpi(
        "sla-compliance",
        gettext_lazy("SLA compliance"),
        lambda kpis: kpis.sla_compliance,
        "share",
        lambda kpis: _of(kpis.sla_met, kpis.sla_counted, _("first contacts on time")),
    ),
    Kpi(
        "error-rate",
        gettext_lazy("Error rate (no fit)"),
        lambda kpis: kpis.error_rate,
        "share",
        lambda kpis: _of(
            kpis.rejected_no_fit, kpis.with_feedback, _("rejected as no fit")
        ),
    ),
    Kpi(
        "time-to-sales-ready",
        gettext_lazy("Time to sales-ready"),
        lambda kpis: kpis.mean_hours_to_sales_ready,
        "hours",
        lambda kpis: (
            _("mean of %(count)s leads that became hot or were accepted")
            % {"count": format_count(kpis.reached_sales_ready)}
        ),
    ),
    Kpi(
        "quality-rating",
        gettext_lazy("Lead quality (sales' rating)"),
        lambda kpis: kpis.average_rating,
        "rating",
        lambda kpis: (
            _("mean of %(count)s ratings from 1 to 5")
            % {"count": format_count(kpis.rated)}
        ),
    ),
)


def format_kpi(kpi: Kpi, value: float | int | None) -> str:
    if kpi.kind == "share":
        return format_percent(value)
    if kpi.kind == "hours":
        return format_hours(value)
    if kpi.kind == "rating":
        return format_rating(value)
    return format_count(value)
