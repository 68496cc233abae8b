"""The KPI tables that need more than one fact row per lead, as people read them.

The cost per qualified lead (campaign costs) and the rules behind "no fit"
rejections (stored explanations): the KPI page, its export and the weekly
report all show them, so they are built here once, in the active language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from leadqual.core.bands import Band
from leadqual.core.kpis import (
    KpiSet,
    LeadFacts,
    RuleCount,
    SourceCost,
    costs_in_period,
    costs_per_source,
    is_rejected_as_no_fit,
    most_common_rules,
    ranked_rules,
)
from leadqual.insights.presentation import (
    NONE_TEXT,
    format_count,
    format_euros,
    format_percent,
)
from leadqual.insights.queries import (
    campaign_costs,
    explanations_at_no_fit_rejection,
    kpi_no_fit_rules,
)
from leadqual.leads.models import BAND_LABELS
from leadqual.triage.kpi_facts import rule_hits


def band_name(band: str) -> str:
    """The band as people read it: "Hot"; "Not scored" for a lead without score."""
    return str(BAND_LABELS[Band(band)]) if band else _("Not scored")


@dataclass(frozen=True, slots=True)
class RuleRow:
    rule: str
    label: str
    leads: str
    share: str


def _rule_label(reason: str) -> str:
    """The rule's label without this lead's detail: "Budget (€8,500)" -> "Budget"."""
    label, bracket, _detail = reason.rpartition(" (")
    return label if bracket and reason.endswith(")") else reason


def no_fit_explanations(facts: Sequence[LeadFacts]) -> list[object]:
    """The stored explanations of the scores sales saw when rejecting as no fit."""
    return no_fit_explanations_of(
        [fact.lead_id for fact in facts if is_rejected_as_no_fit(fact)]
    )


def no_fit_explanations_of(lead_ids: Sequence[int]) -> list[object]:
    """``no_fit_explanations`` of the leads rejected as no fit, by id."""
    return list(explanations_at_no_fit_rejection(lead_ids).values())


def no_fit_rule_rows(
    explanations: Iterable[object], *, limit: int = 10
) -> list[RuleRow]:
    """The rules that most often gave points to leads sales rejected as no fit.

    ``explanations`` are the scores sales saw (``no_fit_explanations``):
    a rule high in this list may give points too easily. Each rule is named
    as the first explanation that holds it names it.
    """
    labels: dict[str, str] = {}
    fired: list[list[str]] = []
    for explanation in explanations:
        hits = rule_hits(explanation)
        for line in hits:
            labels.setdefault(line.rule, _rule_label(line.reason))
        fired.append([line.rule for line in hits])
    return _rule_rows(most_common_rules(fired, limit=limit), labels)


def stored_no_fit_rule_rows(
    start: date, end: date, *, source: str | None, limit: int = 10
) -> list[RuleRow]:
    """``no_fit_rule_rows`` of the leads that arrived from ``start`` to ``end``
    (of ``source``; None: every source), from the stored sums per day.

    Counted from ``KpiNoFitRule`` and ``KpiDay`` (two queries); each rule
    shown is named from the explanation of its lowest lead id, the first
    explanation the per-lead table reads (two queries more).
    """
    counts, explained = kpi_no_fit_rules(start, end, source=source)
    ranked = ranked_rules(
        {rule: leads for rule, leads, _first in counts}, out_of=explained, limit=limit
    )
    first_lead = {rule: first for rule, _leads, first in counts}
    explanations = explanations_at_no_fit_rejection(
        sorted({first_lead[count.rule] for count in ranked})
    )
    labels: dict[str, str] = {}
    for count in ranked:
        for line in rule_hits(explanations.get(first_lead[count.rule])):
            if line.rule == count.rule:
                labels[count.rule] = _rule_label(line.reason)
                break
    return _rule_rows(ranked, labels)


def _rule_rows(ranked: Sequence[RuleCount], labels: Mapping[str, str]) -> list[RuleRow]:
    return [
        RuleRow(
            rule=count.rule,
            # Only when the stored sums are behind the explanations (rebuild).
            label=labels.get(count.rule, count.rule),
            leads=_("%(count)s of %(total)s")
            % {"count": format_count(count.leads), "total": format_count(count.out_of)},
            share=format_percent(count.share, 0),
        )
        for count in ranked
    ]


def period_costs(
    groups: Sequence[tuple[str, KpiSet]], start: date, end: date, *, source: str | None
) -> list[SourceCost]:
    """Cost, sales-accepted leads and cost per qualified lead per source, then the total.

    A month's cost is spread over its days (``core.kpis.costs_in_period``);
    with ``source``, only that source. Empty when no cost was entered for
    the period.
    """
    costs = costs_in_period(campaign_costs(start, end), start, end)
    if source is not None:
        costs = {name: cents for name, cents in costs.items() if name == source}
    return costs_per_source(costs, {name: kpis.accepted for name, kpis in groups})


@dataclass(frozen=True, slots=True)
class CostRow:
    source: str
    cost: str
    qualified: str
    cost_per_qualified: str
    is_total: bool = False


def _whole_euros(cents: float) -> str:
    # A month's cost spread over days leaves cents nobody spent: show whole euros.
    return format_euros(round(cents / 100) * 100)


def cost_rows(costs: Sequence[SourceCost]) -> list[CostRow]:
    """The cost table's rows as texts in whole euros, the total last."""
    return [
        CostRow(
            source=(
                _("Total") if row.source is None else (row.source or _("(no source)"))
            ),
            cost=_whole_euros(row.cost_cents),
            qualified=format_count(row.qualified),
            cost_per_qualified=(
                NONE_TEXT
                if row.cost_per_qualified_cents is None
                else _whole_euros(row.cost_per_qualified_cents)
            ),
            is_total=row.source is None,
        )
        for row in costs
    ]
