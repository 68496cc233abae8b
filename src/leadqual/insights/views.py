"""The KPI pages: the article's KPIs, and the numbers per salesperson.

The KPI page shows the KPIs per week and per source; the team page shows
SLA, pipeline and won deals per salesperson and per source. Each view parses
the filters, asks ``queries`` for the fact rows, has ``core.kpis`` compute the
numbers and prepares every text and chart, so the templates only place them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails
from django_stubs_ext import StrOrPromise

from leadqual.core.kpis import (
    KpiSet,
    ScoreBucket,
    SourceCost,
    by_band,
    by_band_of_days,
    by_owner,
    by_source,
    by_source_of_days,
    calibration,
    calibration_of_days,
    kpi_set,
    kpis_from_counts,
    sla_missed,
    total_of_days,
    weekly,
    weekly_of_days,
)
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights import charts
from leadqual.insights.export import Column, Table, Value, tables_csv, tables_xlsx
from leadqual.insights.forms import CampaignCostForm, CostFileForm, parse_cost_file
from leadqual.insights.presentation import (
    KPIS,
    Kpi,
    format_count,
    format_decimal,
    format_euros,
    format_hours,
    format_kpi,
    format_percent,
    format_rating,
)
from leadqual.insights.quality import (
    RuleRow,
    band_name,
    cost_rows,
    no_fit_explanations,
    no_fit_rule_rows,
    period_costs,
    stored_no_fit_rule_rows,
)
from leadqual.insights.queries import (
    facts_for_period,
    kpi_counts_per_owner,
    kpi_days,
    kpi_lead_times,
    kpi_sources,
    lead_sources,
    owner_names,
    recent_campaign_costs,
)
from leadqual.insights.services import save_campaign_costs
from leadqual.users.permissions import role_required
from leadqual.users.roles import Role

DEFAULT_WEEKS = 13
TEAM_DEFAULT_WEEKS = 4
PERIOD_WEEKS = (4, 13, 26)
# Three years of weekly bars is the most a chart can still show legibly.
MAX_PERIOD_DAYS = 3 * 366


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class PeriodForm(forms.Form):
    """A period: a number of weeks, or dates, which win when given."""

    default_weeks = DEFAULT_WEEKS

    weeks = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            (4, gettext_lazy("Last 4 weeks")),
            (13, gettext_lazy("Last 13 weeks")),
            (26, gettext_lazy("Last 26 weeks")),
        ],
        coerce=int,
        required=False,
        empty_value=None,
    )
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.today = today
        # Unfiltered, the page shows default_weeks: the picker must say so.
        self.fields["weeks"].initial = self.default_weeks

    def default_period(self) -> tuple[date, date]:
        return period_of(
            weeks=self.default_weeks, start=None, end=None, today=self.today
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = period_of(
            weeks=cleaned.get("weeks") or self.default_weeks,
            start=cleaned.get("start"),
            end=cleaned.get("end"),
            today=self.today,
        )
        if start > end:
            raise forms.ValidationError(
                _("The start date must be on or before the end date.")
            )
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(years)s years.") % {"years": 3}
            )
        cleaned["period_start"] = start
        cleaned["period_end"] = end
        return cleaned


class KpiFilterForm(PeriodForm):
    """The period and the source of the KPI page."""

    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False)

    def __init__(self, *args: Any, today: date, sources: Sequence[str], **kwargs: Any):
        super().__init__(*args, today=today, **kwargs)
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.ChoiceField)
        source_field.choices = [("", gettext_lazy("All sources"))] + [
            (source, source) for source in sources if source
        ]


class TeamPeriodForm(PeriodForm):
    """The period of the team page: a manager looks at the last month first."""

    default_weeks = TEAM_DEFAULT_WEEKS


def period_of(
    *, weeks: int, start: date | None, end: date | None, today: date
) -> tuple[date, date]:
    """The first and last day shown: given dates win, else the last ``weeks`` weeks.

    "Last 13 weeks" ends today and starts on the Monday twelve weeks before
    this week's Monday, so it holds 13 calendar weeks, the last one partial.
    """
    last = end or today
    first = start or last - timedelta(days=last.weekday()) - timedelta(weeks=weeks - 1)
    return first, last


@dataclass(frozen=True, slots=True)
class WeekRow:
    week: str
    value: str


@dataclass(frozen=True, slots=True)
class KpiCard:
    key: str
    title: str
    value: str
    detail: str
    chart: SafeString
    rows: list[WeekRow]
    trend: SafeString


@dataclass(frozen=True, slots=True)
class Cell:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class SourceRow:
    source: str
    cells: list[Cell]


def _chart(kpi: Kpi, weeks: Sequence[tuple[date, KpiSet]]) -> SafeString:
    values = [kpi.value(kpis) for _monday, kpis in weeks]
    bars = [
        charts.Bar(
            # Translators: a date format (Django's); Dutch months are lower case: "j b".
            label=date_format(monday, _("j M")),
            value=None if value is None else float(value),
            tooltip=_("Week of %(week)s: %(value)s")
            % {
                "week": date_format(monday, "DATE_FORMAT"),
                "value": format_kpi(kpi, value),
            },
        )
        for (monday, _kpis), value in zip(weeks, values, strict=True)
    ]
    if kpi.kind == "share":
        y_max = 1.0
        ticks = [
            charts.Tick(value, format_percent(value, 0))
            for value in charts.even_ticks(1.0)
        ]
    elif kpi.kind == "rating":
        y_max = 5.0
        ticks = [
            charts.Tick(value, format_decimal(value, 0))
            for value in charts.even_ticks(5.0, count=5)
        ]
    else:
        y_max = charts.nice_ceiling(
            max((v for v in values if v is not None), default=0)
        )
        ticks = [
            charts.Tick(value, format_decimal(value, 0 if value == int(value) else 1))
            for value in charts.even_ticks(y_max)
        ]
    svg = charts.bar_chart(
        chart_id=f"chart-{kpi.key}",
        title=_("%(kpi)s per week") % {"kpi": kpi.title},
        bars=bars,
        y_max=y_max,
        y_ticks=ticks,
        x_axis_label=_("Week starting"),
    )
    return mark_safe(svg)  # bar_chart escapes every text it places


TREND_WEEKS = 12


def _y_max(kpi: Kpi, values: Sequence[float | int | None]) -> float:
    if kpi.kind == "share":
        return 1.0
    if kpi.kind == "rating":
        return 5.0
    return charts.nice_ceiling(max((v for v in values if v is not None), default=0))


def _trend(kpi: Kpi, weeks: Sequence[tuple[date, KpiSet]]) -> SafeString:
    """The KPI's last 12 weeks as a sparkline, its first and last week in words."""
    values = [kpi.value(kpis) for _monday, kpis in weeks]
    title = _(
        "%(kpi)s, %(count)s weeks: %(first)s in the week of %(start)s, "
        "%(last)s in the week of %(end)s"
    ) % {
        "kpi": kpi.title,
        "count": len(weeks),
        "first": format_kpi(kpi, values[0]),
        "start": date_format(weeks[0][0], "DATE_FORMAT"),
        "last": format_kpi(kpi, values[-1]),
        "end": date_format(weeks[-1][0], "DATE_FORMAT"),
    }
    svg = charts.sparkline(
        chart_id=f"trend-{kpi.key}",
        title=title,
        values=[None if value is None else float(value) for value in values],
        y_max=_y_max(kpi, values),
    )
    return mark_safe(svg)  # sparkline escapes its title


def trend_start(end: date) -> date:
    """The Monday of the first of the 12 weeks that end with the week of ``end``."""
    return end - timedelta(days=end.weekday()) - timedelta(weeks=TREND_WEEKS - 1)


@dataclass(frozen=True, slots=True)
class PeriodKpis:
    """Every KPI group the KPI page and its export show for one period."""

    total: KpiSet
    weeks: list[tuple[date, KpiSet]]
    trend: list[tuple[date, KpiSet]]
    per_source: list[tuple[str, KpiSet]]
    per_band: list[tuple[str, KpiSet]]
    buckets: list[ScoreBucket]
    no_fit_rules: list[RuleRow]


def stored_period_kpis(
    start: date, end: date, *, source: str | None, now: datetime
) -> PeriodKpis:
    """The page's KPIs from the stored daily sums (``triage.kpi_facts``).

    Two queries over the days of the period and its 12-week trend, and four
    for the rules behind "no fit" rejections (sums per day and rule, and the
    explanations that name the rules shown): the cost follows the days and
    rules, not the leads.
    """
    first = min(start, trend_start(end))
    days = kpi_days(first, end, source=source)
    times = kpi_lead_times(first, end, source=source, now=now)
    return PeriodKpis(
        total=total_of_days(days, times, start=start, end=end),
        weeks=weekly_of_days(days, times, start=start, end=end),
        trend=weekly_of_days(days, times, start=trend_start(end), end=end),
        per_source=by_source_of_days(days, times, start=start, end=end),
        per_band=by_band_of_days(days, times, start=start, end=end),
        buckets=calibration_of_days(days, start=start, end=end),
        no_fit_rules=stored_no_fit_rule_rows(start, end, source=source),
    )


def period_kpis_from_facts(
    start: date, end: date, *, source: str | None, now: datetime
) -> PeriodKpis:
    """The same as ``stored_period_kpis``, computed from every lead's fact row.

    What the page computed before the daily sums; kept as their reference.
    """
    facts = facts_for_period(start, end, source=source)
    trend_facts = facts_for_period(trend_start(end), end, source=source)
    return PeriodKpis(
        total=kpi_set(facts, now=now),
        weeks=weekly(facts, start, end, DUTCH_TIME, now=now),
        trend=weekly(trend_facts, trend_start(end), end, DUTCH_TIME, now=now),
        per_source=by_source(facts, now=now),
        per_band=by_band(facts, now=now),
        buckets=calibration(facts),
        no_fit_rules=no_fit_rule_rows(no_fit_explanations(facts)),
    )


def _cards(
    total: KpiSet,
    weeks: Sequence[tuple[date, KpiSet]],
    trend: Sequence[tuple[date, KpiSet]],
) -> list[KpiCard]:
    return [
        KpiCard(
            key=kpi.key,
            title=str(kpi.title),
            value=format_kpi(kpi, kpi.value(total)),
            detail=kpi.detail(total),
            chart=_chart(kpi, weeks),
            rows=[
                WeekRow(
                    date_format(monday, "DATE_FORMAT"),
                    format_kpi(kpi, kpi.value(kpis)),
                )
                for monday, kpis in weeks
            ],
            trend=_trend(kpi, trend),
        )
        for kpi in KPIS
    ]


def _source_rows(groups: Sequence[tuple[str, KpiSet]]) -> list[SourceRow]:
    return [
        SourceRow(
            source=source or _("(no source)"),
            cells=[
                Cell(str(kpi.title), format_kpi(kpi, kpi.value(kpis))) for kpi in KPIS
            ],
        )
        for source, kpis in groups
    ]


# --- quality per band and calibration ---------------------------------------------

BAND_COLUMNS: tuple[tuple[StrOrPromise, Callable[[KpiSet], str]], ...] = (
    (gettext_lazy("Leads"), lambda k: format_count(k.leads_in)),
    (gettext_lazy("Sales-accepted"), lambda k: format_percent(k.share_sales_accepted)),
    (
        gettext_lazy("Lead to opportunity"),
        lambda k: format_percent(k.lead_to_opportunity),
    ),
    (gettext_lazy("Lead to won"), lambda k: format_percent(k.lead_to_won)),
    (
        gettext_lazy("Lead quality (sales' rating)"),
        lambda k: format_rating(k.average_rating),
    ),
    (gettext_lazy("Ratings"), lambda k: format_count(k.rated)),
)


def _band_rows(groups: Sequence[tuple[str, KpiSet]]) -> list[SourceRow]:
    return [
        SourceRow(
            source=band_name(band),
            cells=[Cell(str(title), value(kpis)) for title, value in BAND_COLUMNS],
        )
        for band, kpis in groups
    ]


@dataclass(frozen=True, slots=True)
class BucketRow:
    scores: str
    leads: str
    converted: str
    conversion: str


def _bucket_label(bucket: ScoreBucket) -> str:
    return f"{bucket.low}\N{EN DASH}{bucket.high}"


def _calibration_chart(buckets: Sequence[ScoreBucket]) -> SafeString:
    bars = [
        charts.Bar(
            label=_bucket_label(bucket),
            value=bucket.conversion,
            tooltip=_("Score %(scores)s: %(converted)s of %(leads)s leads converted")
            % {
                "scores": _bucket_label(bucket),
                "converted": format_count(bucket.converted),
                "leads": format_count(bucket.leads),
            },
        )
        for bucket in buckets
    ]
    svg = charts.bar_chart(
        chart_id="chart-calibration",
        title=_("Conversion per score"),
        bars=bars,
        y_max=1.0,
        y_ticks=[
            charts.Tick(value, format_percent(value, 0))
            for value in charts.even_ticks(1.0)
        ],
        x_axis_label=_("Score now (0-100)"),
    )
    return mark_safe(svg)  # bar_chart escapes every text it places


def _bucket_rows(buckets: Sequence[ScoreBucket]) -> list[BucketRow]:
    return [
        BucketRow(
            scores=_bucket_label(bucket),
            leads=format_count(bucket.leads),
            converted=format_count(bucket.converted),
            conversion=format_percent(bucket.conversion),
        )
        for bucket in buckets
    ]


def quality_context(kpis: PeriodKpis) -> dict[str, object]:
    """The per-band table and the calibration chart of the KPI page."""
    return {
        "band_columns": [str(title) for title, _value in BAND_COLUMNS],
        "band_rows": _band_rows(kpis.per_band),
        "calibration_chart": _calibration_chart(kpis.buckets),
        "calibration_rows": _bucket_rows(kpis.buckets),
        "has_scores": any(bucket.leads for bucket in kpis.buckets),
    }


def _error_texts(form: PeriodForm) -> list[str]:
    """Every problem with the filters, each named by its field, for the KPI section."""
    if not form.is_bound:
        return []
    texts: list[str] = []
    for name, messages in form.errors.items():
        for message in messages:
            if name == NON_FIELD_ERRORS:
                texts.append(str(message))
            else:
                texts.append(
                    _("%(field)s: %(message)s")
                    % {"field": form.fields[name].label, "message": message}
                )
    return texts


def _kpi_filters(
    request: HttpRequest, *, now: datetime
) -> tuple[KpiFilterForm, bool, date, date, str | None]:
    """The KPI page's filters: the form, whether it is invalid, period and source.

    Invalid or no filters give the default period of all sources.
    """
    today = now.astimezone(DUTCH_TIME).date()
    form = KpiFilterForm(request.GET or None, today=today, sources=kpi_sources())
    invalid = form.is_bound and not form.is_valid()
    if form.is_bound and not invalid:
        return (
            form,
            False,
            form.cleaned_data["period_start"],
            form.cleaned_data["period_end"],
            form.cleaned_data["source"] or None,
        )
    start, end = form.default_period()
    return form, invalid, start, end, None


@role_required(Role.MARKETING, Role.ADMIN)
def kpi_overview(request: HtmxHttpRequest) -> HttpResponse:
    """The KPIs of the chosen period and source; htmx gets only the KPI section.

    Invalid filters are reported in the section, which then shows the last
    13 weeks of all sources, with status 422.
    """
    now: datetime = timezone.now()
    form, invalid, start, end, source = _kpi_filters(request, now=now)
    kpis = stored_period_kpis(start, end, source=source, now=now)
    context = {
        "form": form,
        "errors": _error_texts(form),
        "period_text": _("Leads that arrived from %(start)s to %(end)s")
        % {
            "start": date_format(start, "DATE_FORMAT"),
            "end": date_format(end, "DATE_FORMAT"),
        },
        "source_text": _("Source: %(source)s") % {"source": source}
        if source
        else _("All sources"),
        "cards": _cards(kpis.total, kpis.weeks, kpis.trend),
        "kpi_titles": [str(kpi.title) for kpi in KPIS],
        "source_rows": _source_rows(kpis.per_source),
        **quality_context(kpis),
        "no_fit_rules": kpis.no_fit_rules,
        "cost_rows": cost_rows(
            period_costs(kpis.per_source, start, end, source=source)
        ),
        "export_query": request.GET.urlencode() if not invalid else "",
    }
    template = (
        "insights/_kpi_section.html" if request.htmx else "insights/kpi_overview.html"
    )
    # Bad filters answer 422 with their errors (htmx swaps it, STYLE §6) and
    # the default period's numbers, so the page never goes blank.
    return render(request, template, context, status=422 if invalid else 200)


# --- the team page: the numbers per salesperson and per source -----------------------


@dataclass(frozen=True, slots=True)
class TeamColumn:
    key: str
    title: StrOrPromise
    value: Callable[[KpiSet], str]


TEAM_COLUMNS: tuple[TeamColumn, ...] = (
    TeamColumn("leads", gettext_lazy("Leads"), lambda k: format_count(k.leads_in)),
    TeamColumn("hot", gettext_lazy("Hot"), lambda k: format_count(k.sales_ready)),
    TeamColumn(
        "sla-met",
        gettext_lazy("SLA met"),
        lambda k: format_percent(k.sla_compliance, 0),
    ),
    TeamColumn(
        "sla-missed", gettext_lazy("SLA missed"), lambda k: format_count(sla_missed(k))
    ),
    TeamColumn(
        "first-contact",
        gettext_lazy("Median to first contact"),
        lambda k: format_hours(k.median_working_hours_to_first_contact),
    ),
    TeamColumn(
        "accepted", gettext_lazy("Accepted"), lambda k: format_count(k.accepted)
    ),
    TeamColumn(
        "rejected", gettext_lazy("Rejected"), lambda k: format_count(k.rejected)
    ),
    TeamColumn(
        "pipeline",
        gettext_lazy("Open pipeline"),
        lambda k: format_euros(k.open_pipeline_value_cents),
    ),
    TeamColumn(
        "won-value", gettext_lazy("Won €"), lambda k: format_euros(k.won_value_cents)
    ),
    TeamColumn("won", gettext_lazy("Won"), lambda k: format_count(k.won)),
    TeamColumn("lost", gettext_lazy("Lost"), lambda k: format_count(k.lost)),
    TeamColumn(
        "lead-to-won",
        gettext_lazy("Lead to won"),
        lambda k: format_percent(k.lead_to_won, 0),
    ),
)


@dataclass(frozen=True, slots=True)
class TeamRow:
    name: str
    cells: list[Cell]
    is_unassigned: bool = False


def _team_row(name: str, kpis: KpiSet, *, is_unassigned: bool = False) -> TeamRow:
    return TeamRow(
        name=name,
        cells=[Cell(str(column.title), column.value(kpis)) for column in TEAM_COLUMNS],
        is_unassigned=is_unassigned,
    )


def _owner_rows(
    groups: Mapping[int | None, KpiSet], names: Mapping[int, str]
) -> list[TeamRow]:
    """One row per owner by name, the leads without owner last."""
    owned = sorted(
        (owner_id for owner_id in groups if owner_id is not None),
        key=lambda owner_id: (names.get(owner_id, "").casefold(), owner_id),
    )
    rows = [_team_row(names.get(owner_id, ""), groups[owner_id]) for owner_id in owned]
    if None in groups:
        rows.append(_team_row(_("No owner"), groups[None], is_unassigned=True))
    return rows


@dataclass(frozen=True, slots=True)
class TeamKpis:
    """What the team page shows for one period: per owner, per source, in all."""

    total: KpiSet
    per_owner: dict[int | None, KpiSet]
    per_source: list[tuple[str, KpiSet]]


def stored_team_kpis(start: date, end: date, *, now: datetime) -> TeamKpis:
    """The team page's KPIs from the stored sums: per source and in all from
    the daily sums, per owner from each lead's stored facts (the sums are not
    kept per owner: a lead changes owner)."""
    days = kpi_days(start, end)
    times = kpi_lead_times(start, end, now=now)
    return TeamKpis(
        total=total_of_days(days, times, start=start, end=end),
        per_owner={
            owner: kpis_from_counts(
                counts,
                waiting_for_first_contact=owner_times.waiting_for_first_contact,
                hours_to_first_contact=owner_times.hours_to_first_contact,
                working_hours_to_first_contact=owner_times.working_hours_to_first_contact,
            )
            for owner, (counts, owner_times) in kpi_counts_per_owner(
                start, end, now=now
            ).items()
        },
        per_source=by_source_of_days(days, times, start=start, end=end),
    )


def team_kpis_from_facts(start: date, end: date, *, now: datetime) -> TeamKpis:
    """The same as ``stored_team_kpis``, computed from every lead's fact row:
    what the page computed before, kept as its reference."""
    facts = facts_for_period(start, end)
    return TeamKpis(
        total=kpi_set(facts, now=now),
        per_owner=by_owner(facts, now=now),
        per_source=by_source(facts, now=now),
    )


@role_required(Role.MARKETING, Role.ADMIN)
def team_overview(request: HtmxHttpRequest) -> HttpResponse:
    """Leads, SLA, pipeline and won deals per salesperson and per source.

    Every number is about the leads that arrived in the period, as on the
    KPI page; htmx gets only the section, bad filters answer 422 with the
    default period's numbers.
    """
    now: datetime = timezone.now()
    today = now.astimezone(DUTCH_TIME).date()
    form = TeamPeriodForm(request.GET or None, today=today)
    invalid = form.is_bound and not form.is_valid()
    if form.is_bound and not invalid:
        start: date = form.cleaned_data["period_start"]
        end: date = form.cleaned_data["period_end"]
    else:
        start, end = form.default_period()
    kpis = stored_team_kpis(start, end, now=now)
    names = owner_names(
        [owner_id for owner_id in kpis.per_owner if owner_id is not None]
    )
    context = {
        "form": form,
        "errors": _error_texts(form),
        "period_text": _("Leads that arrived from %(start)s to %(end)s")
        % {
            "start": date_format(start, "DATE_FORMAT"),
            "end": date_format(end, "DATE_FORMAT"),
        },
        "columns": [str(column.title) for column in TEAM_COLUMNS],
        "owner_rows": _owner_rows(kpis.per_owner, names),
        "source_rows": [
            _team_row(source or _("(no source)"), source_kpis)
            for source, source_kpis in kpis.per_source
        ],
        "total": _team_row(_("Total"), kpis.total),
        "has_leads": kpis.total.leads_in > 0,
    }
    template = (
        "insights/_team_section.html" if request.htmx else "insights/team_overview.html"
    )
    return render(request, template, context, status=422 if invalid else 200)


# --- campaign costs: entered per source and month, by hand or by CSV -----------------


def _costs_page(
    request: HttpRequest,
    *,
    form: CampaignCostForm,
    file_errors: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    costs = recent_campaign_costs()
    context = {
        "form": form,
        "file_form": CostFileForm(),
        "file_errors": list(file_errors),
        "sources": form.sources,
        "costs": [
            {
                "source": cost.source,
                # Translators: a month and year, Django's date format ("F Y").
                "month": date_format(cost.month, _("F Y")),
                "amount": format_euros(cost.amount_cents),
            }
            for cost in costs
        ],
    }
    return render(request, "insights/campaign_costs.html", context, status=status)


@role_required(Role.MARKETING, Role.ADMIN)
def campaign_costs_page(request: HttpRequest) -> HttpResponse:
    """The campaign costs entered so far, and a form for one source and month."""
    sources = lead_sources()
    if request.method != "POST":
        return _costs_page(request, form=CampaignCostForm(sources=sources))
    form = CampaignCostForm(request.POST, sources=sources)
    if not form.is_valid():
        return _costs_page(request, form=form, status=422)
    cost = form.cleaned_cost()
    save_campaign_costs([cost], entered_by=_user(request), now=timezone.now())
    flash.success(
        request,
        _("Saved: %(amount)s for %(source)s in %(month)s.")
        % {
            "amount": format_euros(cost.amount_cents),
            "source": cost.source,
            "month": date_format(cost.month, _("F Y")),
        },
    )
    return redirect("insights:costs")


@require_POST
@role_required(Role.MARKETING, Role.ADMIN)
def import_campaign_costs(request: HttpRequest) -> HttpResponse:
    """Store every row of a CSV of costs, or none when any row is wrong."""
    sources = lead_sources()
    upload = request.FILES.get("file")
    parsed = parse_cost_file(upload.read()) if upload is not None else None
    if parsed is None or parsed.errors:
        return _costs_page(
            request,
            form=CampaignCostForm(sources=sources),
            file_errors=(
                parsed.errors
                if parsed is not None
                else [_("Choose a CSV file to import.")]
            ),
            status=422,
        )
    saved = save_campaign_costs(
        parsed.costs, entered_by=_user(request), now=timezone.now()
    )
    flash.success(
        request,
        ngettext(
            "Imported %(count)s campaign cost.",
            "Imported %(count)s campaign costs.",
            saved,
        )
        % {"count": saved},
    )
    return redirect("insights:costs")


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


# --- export: the KPI tables as CSV and XLSX -------------------------------------------

_EXPORT_KINDS = {
    "share": "share",
    "hours": "hours",
    "rating": "rating",
    "count": "count",
}


def _kpi_columns() -> tuple[Column, ...]:
    return tuple(Column(str(kpi.title), _EXPORT_KINDS[kpi.kind]) for kpi in KPIS)


def _rounded(value: float | int | None) -> Value:
    return round(value, 4) if isinstance(value, float) else value


def _kpi_values(kpis: KpiSet) -> tuple[Value, ...]:
    return tuple(_rounded(kpi.value(kpis)) for kpi in KPIS)


def _cost_values(row: SourceCost) -> tuple[Value, ...]:
    """Source, cost in euros, qualified leads and euros per qualified lead."""
    per_lead = row.cost_per_qualified_cents
    return (
        _("Total") if row.source is None else (row.source or _("(no source)")),
        round(row.cost_cents / 100, 2),
        row.qualified,
        None if per_lead is None else round(per_lead / 100, 2),
    )


def export_tables(
    kpis: PeriodKpis, start: date, end: date, *, source: str | None
) -> list[Table]:
    """The KPI page's tables with plain numbers: period, weeks, sources, bands, costs."""
    return [
        Table(
            _("KPIs"),
            (Column(_("KPI")), Column(_("Value"))),
            tuple((str(kpi.title), _rounded(kpi.value(kpis.total))) for kpi in KPIS),
        ),
        Table(
            _("Per week"),
            (Column(_("Week starting")), *_kpi_columns()),
            tuple(
                (monday.isoformat(), *_kpi_values(week)) for monday, week in kpis.weeks
            ),
        ),
        Table(
            _("Per source"),
            (Column(_("Source")), *_kpi_columns()),
            tuple(
                (name or _("(no source)"), *_kpi_values(group))
                for name, group in kpis.per_source
            ),
        ),
        Table(
            _("Per band"),
            (Column(_("Band")), *_kpi_columns()),
            tuple(
                (band_name(band), *_kpi_values(group)) for band, group in kpis.per_band
            ),
        ),
        Table(
            _("Cost per qualified lead"),
            (
                Column(_("Source")),
                Column(_("Costs"), "euros"),
                Column(_("Qualified leads"), "count"),
                Column(_("Cost per qualified lead"), "euros"),
            ),
            tuple(
                _cost_values(row)
                for row in period_costs(kpis.per_source, start, end, source=source)
            ),
        ),
    ]


@role_required(Role.MARKETING, Role.ADMIN)
def kpi_export_csv(request: HttpRequest) -> HttpResponse:
    """The KPI tables of the chosen period and source as one CSV file."""
    return _kpi_export(request, "csv")


@role_required(Role.MARKETING, Role.ADMIN)
def kpi_export_xlsx(request: HttpRequest) -> HttpResponse:
    """The KPI tables of the chosen period and source as a workbook, a sheet each."""
    return _kpi_export(request, "xlsx")


def _kpi_export(
    request: HttpRequest, file_format: Literal["csv", "xlsx"]
) -> HttpResponse:
    """The download; bad filters answer 422 with what is wrong, as text."""
    now: datetime = timezone.now()
    form, invalid, start, end, source = _kpi_filters(request, now=now)
    if invalid:
        return HttpResponse(
            "\n".join(_error_texts(form)),
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    kpis = stored_period_kpis(start, end, source=source, now=now)
    tables = export_tables(kpis, start, end, source=source)
    name = f"kpis-{start.isoformat()}-{end.isoformat()}"
    if file_format == "csv":
        dutch = (get_language() or "").startswith("nl")
        # A BOM tells Excel the file is UTF-8, so "€" and "é" survive.
        response = HttpResponse(
            "\ufeff" + tables_csv(tables, decimal_comma=dutch),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = HttpResponse(
            tables_xlsx(tables),
            content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response
