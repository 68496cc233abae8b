"""The article's KPIs, computed from one fact row per lead.

Every KPI is a plain function over a sequence of ``LeadFacts``, so the same
numbers come out for a week, a source or the whole period. A ratio whose
denominator is 0 is ``None`` (shown as a dash), never a ZeroDivisionError.

Definitions (numerator / denominator):

- leads in: leads that arrived;
- share sales-ready: leads that ever reached the hot band / leads in;
- share sales-accepted: leads whose latest feedback is "accepted" / leads
  with feedback;
- lead-to-opportunity: leads with an opportunity or a win / leads in;
- qualified-to-won: sales-accepted leads that were won / sales-accepted
  leads (a win without feedback is not counted, so the ratio stays 0-1);
- lead-to-won: leads that were won / leads in;
- open pipeline: the deal value of the leads that are an open opportunity
  now (neither won nor lost); won value: the value of the won deals;
- time to first contact: median hours from arrival to the first contact,
  in clock hours and in Dutch working hours (``core.sla``);
- SLA compliance: first contacts made by their task's due time / first-
  contact tasks that are done or due (an open task that is not yet due
  does not count);
- error rate: leads rejected as "no fit" / leads with feedback;
- quality rating: the mean of sales' 1-5 ratings on the leads' latest
  feedback / leads whose latest feedback carries a rating;
- time to sales-ready: mean clock hours from arrival to the moment the lead
  became sales-ready, which is the earlier of its first hot band and its
  first acceptance by sales (a lead sales accepts while warm is ready for
  sales as much as a hot one); leads that never got there do not count;
- conversion (calibration): leads with an opportunity or a win / leads,
  per band and per ten points of the lead's score now.
"""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from leadqual.core.sla import DUTCH_TIME, working_hours_between

NO_FIT = "no_fit"
K = TypeVar("K")
_MICROSECOND = timedelta(microseconds=1)
MICROSECONDS_PER_HOUR = 3_600_000_000


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What happened to one lead, as far as the KPIs need it.

    ``accepted`` is None while sales gave no feedback; ``rejected_reason`` is
    set only when the latest feedback is a rejection. ``first_contact_due_at``
    is the due time of the lead's first-contact task, None if it has none.
    ``owner_id`` is the lead's owner now, None while nobody owns it.
    ``open_opportunity_value_cents`` is the deal value of an opportunity
    that is still open (None when the lead is no open opportunity, or its
    deal has no value yet). ``band`` and ``score`` are the lead's band and
    0-100 score now ("" and None while unscored); ``rating`` is sales' 1-5
    rating on the latest feedback (None: not rated); ``first_accepted_at``
    the moment of the lead's first acceptance, None if sales never accepted it.
    """

    lead_id: int
    arrived_at: datetime
    source: str = ""
    owner_id: int | None = None
    is_open_opportunity: bool = False
    open_opportunity_value_cents: int | None = None
    became_sales_ready_at: datetime | None = None
    accepted: bool | None = None
    rejected_reason: str | None = None
    opportunity_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None
    won_value_cents: int | None = None
    first_contact_at: datetime | None = None
    first_contact_due_at: datetime | None = None
    band: str = ""
    score: int | None = None
    rating: int | None = None
    first_accepted_at: datetime | None = None
    # The band when sales recorded the lead's latest outcome (opportunity,
    # won, lost) or, without one, its latest feedback; "" when neither.
    outcome_band: str = ""


@dataclass(frozen=True, slots=True)
class KpiSet:
    """The KPIs of one group of leads, with the counts behind every ratio.

    Shares are 0-1 and None when their denominator is 0; hours are None
    when no lead in the group has had a first contact.
    """

    leads_in: int
    sales_ready: int
    with_feedback: int
    accepted: int
    rejected: int
    opportunities: int
    open_opportunities: int
    open_pipeline_value_cents: int
    won: int
    won_accepted: int
    won_value_cents: int
    lost: int
    rejected_no_fit: int
    contacted: int
    sla_met: int
    sla_counted: int
    share_sales_ready: float | None
    share_sales_accepted: float | None
    lead_to_opportunity: float | None
    qualified_to_won: float | None
    lead_to_won: float | None
    median_hours_to_first_contact: float | None
    median_working_hours_to_first_contact: float | None
    sla_compliance: float | None
    error_rate: float | None
    rated: int
    rating_total: int
    average_rating: float | None
    reached_sales_ready: int
    mean_hours_to_sales_ready: float | None


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or None when the denominator is 0."""
    if denominator == 0:
        return None
    return numerator / denominator


def leads_in(facts: Sequence[LeadFacts]) -> int:
    """The number of leads that arrived."""
    return len(facts)


def is_sales_ready(fact: LeadFacts) -> bool:
    """True when the lead reached the hot band at least once."""
    return fact.became_sales_ready_at is not None


def has_feedback(fact: LeadFacts) -> bool:
    """True when sales accepted or rejected the lead."""
    return fact.accepted is not None


def is_sales_accepted(fact: LeadFacts) -> bool:
    """True when the lead's latest feedback is an acceptance."""
    return fact.accepted is True


def is_rejected_as_no_fit(fact: LeadFacts) -> bool:
    """True when the lead's latest feedback is a rejection for "no fit"."""
    return fact.accepted is False and fact.rejected_reason == NO_FIT


def has_opportunity(fact: LeadFacts) -> bool:
    """True when the lead became an opportunity or was won (a win implies one)."""
    return fact.opportunity_at is not None or fact.won_at is not None


def is_won(fact: LeadFacts) -> bool:
    """True when the lead was won."""
    return fact.won_at is not None


def is_lost(fact: LeadFacts) -> bool:
    """True when the lead was lost."""
    return fact.lost_at is not None


def share_sales_ready(facts: Sequence[LeadFacts]) -> float | None:
    """Leads that reached hot / leads in; None without leads."""
    return ratio(sum(map(is_sales_ready, facts)), len(facts))


def share_sales_accepted(facts: Sequence[LeadFacts]) -> float | None:
    """Accepted leads / leads with feedback; None without feedback."""
    return ratio(sum(map(is_sales_accepted, facts)), sum(map(has_feedback, facts)))


def lead_to_opportunity(facts: Sequence[LeadFacts]) -> float | None:
    """Leads with an opportunity or a win / leads in; None without leads."""
    return ratio(sum(map(has_opportunity, facts)), len(facts))


def qualified_to_won(facts: Sequence[LeadFacts]) -> float | None:
    """Accepted leads that were won / accepted leads; None without acceptances."""
    accepted = [fact for fact in facts if is_sales_accepted(fact)]
    return ratio(sum(map(is_won, accepted)), len(accepted))


def error_rate(facts: Sequence[LeadFacts]) -> float | None:
    """Leads rejected as "no fit" / leads with feedback; None without feedback."""
    return ratio(sum(map(is_rejected_as_no_fit, facts)), sum(map(has_feedback, facts)))


def microseconds_between(start: datetime, end: datetime) -> int:
    """Whole microseconds from ``start`` to ``end`` (negative when end is earlier)."""
    return (end - start) // _MICROSECOND


def hours_of_microseconds(microseconds: int) -> float:
    """Clock hours of a duration in microseconds, 0.0 for a negative one.

    The same float as ``max(0.0, timedelta.total_seconds() / 3600)``:
    ``total_seconds`` divides the whole microseconds by 10**6, as here.
    """
    # A first contact logged before the arrival (an imported CRM history)
    # counts as immediate rather than as negative time.
    return max(0.0, microseconds / 1_000_000 / 3600)


def _hours(start: datetime, end: datetime) -> float:
    return hours_of_microseconds(microseconds_between(start, end))


def _median_of(
    facts: Sequence[LeadFacts], hours: Callable[[datetime, datetime], float]
) -> float | None:
    values = [
        hours(fact.arrived_at, fact.first_contact_at)
        for fact in facts
        if fact.first_contact_at is not None
    ]
    return statistics.median(values) if values else None


def sales_ready_at(fact: LeadFacts) -> datetime | None:
    """When the lead became sales-ready: its first hot band or first acceptance.

    The earlier of the two; None when it was never hot nor accepted.
    """
    moments = [
        moment
        for moment in (fact.became_sales_ready_at, fact.first_accepted_at)
        if moment is not None
    ]
    return min(moments) if moments else None


def mean_hours_to_sales_ready(facts: Sequence[LeadFacts]) -> float | None:
    """Mean clock hours from arrival to sales-ready; None if no lead got there."""
    values = [
        max(0, microseconds_between(fact.arrived_at, moment))
        for fact in facts
        if (moment := sales_ready_at(fact)) is not None
    ]
    return mean_hours(sum(values), len(values))


def mean_hours(microseconds_total: int, count: int) -> float | None:
    """The mean of ``count`` durations summing to ``microseconds_total``, in hours.

    One division of whole numbers, so the result is the exact mean rounded
    once, whatever order or grouping the durations were summed in (a sum of
    per-day sums gives the same float as a sum per lead). None when count is 0.
    """
    if count == 0:
        return None
    return microseconds_total / (count * MICROSECONDS_PER_HOUR)


def average_rating(facts: Sequence[LeadFacts]) -> float | None:
    """Mean of sales' 1-5 quality ratings; None when no lead was rated."""
    ratings = [fact.rating for fact in facts if fact.rating is not None]
    return statistics.fmean(ratings) if ratings else None


def median_hours_to_first_contact(facts: Sequence[LeadFacts]) -> float | None:
    """Median clock hours from arrival to first contact; None if nobody had one."""
    return _median_of(facts, _hours)


# One page computes a lead's working hours for the period, its week and its
# source; walking the calendar day by day is the costly part, so keep it.
@lru_cache(maxsize=16_384)
def _working_hours(start: datetime, end: datetime, zone: ZoneInfo) -> float:
    return working_hours_between(start, end, zone=zone)


def working_hours_to_first_contact(
    arrived_at: datetime, first_contact_at: datetime, *, zone: ZoneInfo = DUTCH_TIME
) -> float:
    """Dutch working hours from arrival to first contact, as the medians use them.

    ``core.sla.working_hours_between``, remembered per pair of moments: the
    same lead is counted again on every refresh of its KPI facts.
    """
    return _working_hours(arrived_at, first_contact_at, zone)


def median_working_hours_to_first_contact(
    facts: Sequence[LeadFacts], *, zone: ZoneInfo = DUTCH_TIME
) -> float | None:
    """Median Dutch working hours from arrival to first contact; None if nobody was.

    Weekends and public holidays do not count (``core.sla.working_hours_between``).
    """
    return _median_of(facts, lambda start, end: _working_hours(start, end, zone))


def _sla_counts(facts: Sequence[LeadFacts], *, now: datetime) -> tuple[int, int]:
    """(first contacts made by their due time, tasks that are done or due)."""
    met = counted = 0
    for fact in facts:
        due = fact.first_contact_due_at
        if due is None:
            continue
        contact = fact.first_contact_at
        if contact is None and due > now:
            continue  # Still open and not yet due: neither met nor missed.
        counted += 1
        if contact is not None and contact <= due:
            met += 1
    return met, counted


def sla_compliance(facts: Sequence[LeadFacts], *, now: datetime) -> float | None:
    """First contacts made by their due time / first-contact tasks done or due.

    A task still open whose due time is after ``now`` does not count yet.
    None when no task counts.
    """
    met, counted = _sla_counts(facts, now=now)
    return ratio(met, counted)


def sla_missed(kpis: KpiSet) -> int:
    """First-contact tasks that were late or are overdue without a contact."""
    return kpis.sla_counted - kpis.sla_met


@dataclass(frozen=True, slots=True)
class KpiCounts:
    """The sums behind a ``KpiSet``: each adds up over leads, days and groups.

    ``sla_due`` counts the leads with a first-contact task whatever its due
    time; the tasks still open and not yet due are subtracted when the KPIs
    are computed at a moment (``kpis_from_counts``). ``rating_total`` is the
    sum of the ratings, ``microseconds_to_sales_ready`` the sum of the whole
    microseconds from arrival to sales-ready (0 for a lead that got there
    before it arrived).
    """

    leads_in: int = 0
    sales_ready: int = 0
    with_feedback: int = 0
    accepted: int = 0
    opportunities: int = 0
    open_opportunities: int = 0
    open_pipeline_value_cents: int = 0
    won: int = 0
    won_accepted: int = 0
    won_value_cents: int = 0
    lost: int = 0
    rejected_no_fit: int = 0
    contacted: int = 0
    sla_met: int = 0
    sla_due: int = 0
    rated: int = 0
    rating_total: int = 0
    reached_sales_ready: int = 0
    microseconds_to_sales_ready: int = 0


KPI_COUNT_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(KpiCounts))


def lead_counts(fact: LeadFacts) -> KpiCounts:
    """One lead's share of every sum: what adding the lead to a group adds."""
    accepted = is_sales_accepted(fact)
    won = is_won(fact)
    contact = fact.first_contact_at
    due = fact.first_contact_due_at
    ready = sales_ready_at(fact)
    return KpiCounts(
        leads_in=1,
        sales_ready=int(is_sales_ready(fact)),
        with_feedback=int(has_feedback(fact)),
        accepted=int(accepted),
        opportunities=int(has_opportunity(fact)),
        open_opportunities=int(fact.is_open_opportunity),
        open_pipeline_value_cents=(
            (fact.open_opportunity_value_cents or 0) if fact.is_open_opportunity else 0
        ),
        won=int(won),
        won_accepted=int(won and accepted),
        won_value_cents=fact.won_value_cents or 0,
        lost=int(is_lost(fact)),
        rejected_no_fit=int(is_rejected_as_no_fit(fact)),
        contacted=int(contact is not None),
        sla_met=int(due is not None and contact is not None and contact <= due),
        sla_due=int(due is not None),
        rated=int(fact.rating is not None),
        rating_total=fact.rating or 0,
        reached_sales_ready=int(ready is not None),
        microseconds_to_sales_ready=(
            max(0, microseconds_between(fact.arrived_at, ready))
            if ready is not None
            else 0
        ),
    )


def sum_counts(counts: Iterable[KpiCounts]) -> KpiCounts:
    """The field-by-field sum of ``counts``; all zeros for none."""
    totals = [0] * len(KPI_COUNT_FIELDS)
    for item in counts:
        for index, name in enumerate(KPI_COUNT_FIELDS):
            totals[index] += getattr(item, name)
    return KpiCounts(*totals)


def is_waiting_for_first_contact(fact: LeadFacts, *, now: datetime) -> bool:
    """True when the lead's first-contact task is open and not yet due at ``now``.

    Such a task is neither met nor missed: it does not count for the SLA.
    """
    due = fact.first_contact_due_at
    return due is not None and fact.first_contact_at is None and due > now


def kpis_from_counts(
    counts: KpiCounts,
    *,
    waiting_for_first_contact: int,
    hours_to_first_contact: Sequence[float],
    working_hours_to_first_contact: Sequence[float],
) -> KpiSet:
    """The KPIs of a group of leads from its sums and its times to first contact.

    ``waiting_for_first_contact``: the group's leads whose first-contact task
    is open and not yet due (``is_waiting_for_first_contact``); the two
    sequences hold the hours of every contacted lead, in any order (medians
    cannot be summed).
    """
    sla_counted = counts.sla_due - waiting_for_first_contact
    return KpiSet(
        leads_in=counts.leads_in,
        sales_ready=counts.sales_ready,
        with_feedback=counts.with_feedback,
        accepted=counts.accepted,
        rejected=counts.with_feedback - counts.accepted,
        opportunities=counts.opportunities,
        open_opportunities=counts.open_opportunities,
        open_pipeline_value_cents=counts.open_pipeline_value_cents,
        won=counts.won,
        won_accepted=counts.won_accepted,
        won_value_cents=counts.won_value_cents,
        lost=counts.lost,
        rejected_no_fit=counts.rejected_no_fit,
        contacted=counts.contacted,
        sla_met=counts.sla_met,
        sla_counted=sla_counted,
        share_sales_ready=ratio(counts.sales_ready, counts.leads_in),
        share_sales_accepted=ratio(counts.accepted, counts.with_feedback),
        lead_to_opportunity=ratio(counts.opportunities, counts.leads_in),
        qualified_to_won=ratio(counts.won_accepted, counts.accepted),
        lead_to_won=ratio(counts.won, counts.leads_in),
        median_hours_to_first_contact=(
            statistics.median(hours_to_first_contact)
            if hours_to_first_contact
            else None
        ),
        median_working_hours_to_first_contact=(
            statistics.median(working_hours_to_first_contact)
            if working_hours_to_first_contact
            else None
        ),
        sla_compliance=ratio(counts.sla_met, sla_counted),
        error_rate=ratio(counts.rejected_no_fit, counts.with_feedback),
        rated=counts.rated,
        rating_total=counts.rating_total,
        average_rating=ratio(counts.rating_total, counts.rated),
        reached_sales_ready=counts.reached_sales_ready,
        mean_hours_to_sales_ready=mean_hours(
            counts.microseconds_to_sales_ready, counts.reached_sales_ready
        ),
    )


def kpi_set(
    facts: Sequence[LeadFacts], *, now: datetime, zone: ZoneInfo = DUTCH_TIME
) -> KpiSet:
    """Every KPI of a group of leads, with the counts behind the ratios."""
    contacted = [fact for fact in facts if fact.first_contact_at is not None]
    return kpis_from_counts(
        sum_counts(map(lead_counts, facts)),
        waiting_for_first_contact=sum(
            is_waiting_for_first_contact(fact, now=now) for fact in facts
        ),
        hours_to_first_contact=[
            _hours(fact.arrived_at, fact.first_contact_at)
            for fact in contacted
            if fact.first_contact_at is not None
        ],
        working_hours_to_first_contact=[
            _working_hours(fact.arrived_at, fact.first_contact_at, zone)
            for fact in contacted
            if fact.first_contact_at is not None
        ],
    )


def week_start(moment: datetime, *, zone: ZoneInfo = DUTCH_TIME) -> date:
    """The Monday of the ISO week that holds ``moment`` in local time."""
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def local_day_start(day: date, *, zone: ZoneInfo = DUTCH_TIME) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=zone)


def weekly(
    facts: Sequence[LeadFacts],
    start: date,
    end: date,
    zone: ZoneInfo = DUTCH_TIME,
    *,
    now: datetime,
) -> list[tuple[date, KpiSet]]:
    """The KPIs per ISO week of arrival, from the week of ``start`` to that of ``end``.

    Weeks start on Monday at midnight in ``zone``. Returns one (Monday,
    KpiSet) pair per week in order, including weeks without leads; leads
    that arrived outside those weeks are left out. Returns an empty list
    when ``end`` is before ``start``.
    """
    if end < start:
        return []
    first = start - timedelta(days=start.weekday())
    last = end - timedelta(days=end.weekday())
    groups: dict[date, list[LeadFacts]] = {}
    monday = first
    while monday <= last:
        groups[monday] = []
        monday += timedelta(weeks=1)
    for fact in facts:
        group = groups.get(week_start(fact.arrived_at, zone=zone))
        if group is not None:
            group.append(fact)
    return [
        (monday, kpi_set(group, now=now, zone=zone)) for monday, group in groups.items()
    ]


def by_source(
    facts: Sequence[LeadFacts], *, now: datetime, zone: ZoneInfo = DUTCH_TIME
) -> list[tuple[str, KpiSet]]:
    """The KPIs per source, sorted by source ("" for leads without one)."""
    groups: dict[str, list[LeadFacts]] = {}
    for fact in facts:
        groups.setdefault(fact.source, []).append(fact)
    return [
        (source, kpi_set(groups[source], now=now, zone=zone))
        for source in sorted(groups)
    ]


def by_owner(
    facts: Sequence[LeadFacts], *, now: datetime, zone: ZoneInfo = DUTCH_TIME
) -> dict[int | None, KpiSet]:
    """The KPIs per owner id (None for the leads nobody owns), in no set order.

    The caller orders the owners, by the names it knows.
    """
    groups: dict[int | None, list[LeadFacts]] = {}
    for fact in facts:
        groups.setdefault(fact.owner_id, []).append(fact)
    return {
        owner_id: kpi_set(group, now=now, zone=zone)
        for owner_id, group in groups.items()
    }


# The bands in the order people read them, hottest first; "" holds unscored leads.
BAND_ORDER = ("hot", "warm", "cold", "")


def by_band(
    facts: Sequence[LeadFacts], *, now: datetime, zone: ZoneInfo = DUTCH_TIME
) -> list[tuple[str, KpiSet]]:
    """The KPIs per band, hot first and unscored ("") last; bands without leads
    left out. A lead counts in the band it had when sales recorded its latest
    outcome or feedback (``outcome_band``), a lead sales never judged in its
    band now: a won lead whose score faded since still counts as the hot
    lead it was when it was won."""
    groups: dict[str, list[LeadFacts]] = {}
    for fact in facts:
        groups.setdefault(fact.outcome_band or fact.band, []).append(fact)
    order = {band: index for index, band in enumerate(BAND_ORDER)}
    return [
        (band, kpi_set(groups[band], now=now, zone=zone))
        for band in sorted(groups, key=lambda band: (order.get(band, len(order)), band))
    ]


@dataclass(frozen=True, slots=True)
class ScoreBucket:
    """Leads whose score now is ``low``-``high`` (inclusive) and how many converted.

    ``conversion`` is converted / leads, None for a bucket without leads.
    """

    low: int
    high: int
    leads: int
    converted: int
    conversion: float | None


def calibration(facts: Sequence[LeadFacts], *, width: int = 10) -> list[ScoreBucket]:
    """Conversion (opportunity or won) per ``width`` points of score, 0 upwards.

    Ten buckets of ten points by default, 0-9 to 90-100: the top bucket also
    holds the perfect 100. Unscored leads are left out. A well calibrated
    model converts more in every higher bucket. Raises ValueError unless
    ``width`` divides 100.
    """
    if width <= 0 or 100 % width:
        raise ValueError(f"The bucket width must divide 100, got {width}.")
    count = 100 // width
    leads = [0] * count
    converted = [0] * count
    for fact in facts:
        if fact.score is None:
            continue
        index = min(fact.score // width, count - 1)
        leads[index] += 1
        converted[index] += has_opportunity(fact)
    return [
        ScoreBucket(
            low=index * width,
            high=100 if index == count - 1 else (index + 1) * width - 1,
            leads=leads[index],
            converted=converted[index],
            conversion=ratio(converted[index], leads[index]),
        )
        for index in range(count)
    ]


@dataclass(frozen=True, slots=True)
class RuleCount:
    """A rule and the number of leads it gave points to, of ``out_of`` leads."""

    rule: str
    leads: int
    out_of: int
    share: float


def most_common_rules(
    rules_per_lead: Sequence[Sequence[str]], *, limit: int = 10
) -> list[RuleCount]:
    """The rules that fired for the most leads, most first, at most ``limit``.

    ``rules_per_lead`` holds, per lead, the names of the rules that gave it
    points; a rule counts once per lead. Ties go by rule name. Empty when no
    lead is given.
    """
    counts: dict[str, int] = {}
    for rules in rules_per_lead:
        for rule in set(rules):
            counts[rule] = counts.get(rule, 0) + 1
    return ranked_rules(counts, out_of=len(rules_per_lead), limit=limit)


def ranked_rules(
    leads_per_rule: Mapping[str, int], *, out_of: int, limit: int = 10
) -> list[RuleCount]:
    """``most_common_rules`` from counts already made: the number of leads
    each rule gave points to, of ``out_of`` leads (rules with 0 leads left out)."""
    ranked = sorted(
        ((rule, count) for rule, count in leads_per_rule.items() if count > 0),
        key=lambda item: (-item[1], item[0]),
    )[:limit]
    return [
        RuleCount(rule=rule, leads=count, out_of=out_of, share=count / out_of)
        for rule, count in ranked
    ]


@dataclass(frozen=True, slots=True)
class MonthlyCost:
    """What was spent on one source in the month that starts on ``month``."""

    source: str
    month: date
    amount_cents: int


def costs_in_period(
    costs: Sequence[MonthlyCost], start: date, end: date
) -> dict[str, float]:
    """The cost per source of the days ``start`` to ``end`` (both included), in cents.

    A month's amount is spread evenly over its days, so a period holding
    10 of November's 30 days carries a third of November's cost. Sources
    without a cost in the period are left out.
    """
    totals: dict[str, float] = {}
    for cost in costs:
        first = cost.month.replace(day=1)
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        last = first.replace(day=days_in_month)
        overlap = (min(end, last) - max(start, first)).days + 1
        if overlap <= 0:
            continue
        share = cost.amount_cents * overlap / days_in_month
        totals[cost.source] = totals.get(cost.source, 0.0) + share
    return totals


def cost_per_qualified_lead(cost_cents: float, qualified: int) -> float | None:
    """Cost / sales-accepted leads, in cents; None without accepted leads."""
    return None if qualified == 0 else cost_cents / qualified


@dataclass(frozen=True, slots=True)
class SourceCost:
    """A source's cost in a period, its sales-accepted leads and their ratio (cents).

    ``source`` is None for the total of all sources.
    """

    source: str | None
    cost_cents: float
    qualified: int
    cost_per_qualified_cents: float | None


def costs_per_source(
    costs: Mapping[str, float], qualified: Mapping[str, int]
) -> list[SourceCost]:
    """Cost per qualified lead per source, sorted, then the total of all sources.

    Covers every source with a cost or with qualified leads. Empty when no
    cost was entered: then no cost per lead is known, not even a zero.
    """
    if not costs:
        return []
    rows = [
        SourceCost(
            source=source,
            cost_cents=costs.get(source, 0.0),
            qualified=qualified.get(source, 0),
            cost_per_qualified_cents=cost_per_qualified_lead(
                costs.get(source, 0.0), qualified.get(source, 0)
            ),
        )
        for source in sorted(costs.keys() | qualified.keys())
    ]
    total_cost = sum(costs.values())
    total_qualified = sum(qualified.values())
    rows.append(
        SourceCost(
            source=None,
            cost_cents=total_cost,
            qualified=total_qualified,
            cost_per_qualified_cents=cost_per_qualified_lead(
                total_cost, total_qualified
            ),
        )
    )
    return rows


# --- the same KPIs from daily sums ---------------------------------------------------
#
# The KPI page reads one row of sums per arrival day, source, band and score
# bucket instead of one fact row per lead, so its cost follows the number of
# days shown, not the number of leads. The functions below give the very
# KpiSets that kpi_set, weekly, by_source, by_band and calibration give over
# the same leads' fact rows.


def kpi_band(fact: LeadFacts) -> str:
    """The band a lead counts in per band (``by_band``): when judged, else now."""
    return fact.outcome_band or fact.band


def score_bucket(score: int | None, *, width: int = 10) -> int | None:
    """The calibration bucket of a score: 0 for 0-9 ... 9 for 90-100; None unscored."""
    if score is None:
        return None
    return min(score // width, 100 // width - 1)


def arrival_day(fact: LeadFacts, *, zone: ZoneInfo = DUTCH_TIME) -> date:
    """The local day on which the lead arrived."""
    return fact.arrived_at.astimezone(zone).date()


@dataclass(frozen=True, slots=True)
class DayCounts:
    """The sums of the leads that arrived on ``day`` from ``source``, counted in
    ``band`` (``kpi_band``) with a score in ``score_bucket`` (None: unscored)."""

    day: date
    source: str
    band: str
    score_bucket: int | None
    counts: KpiCounts


@dataclass(slots=True)
class GroupTimes:
    """What cannot be summed, of the leads of one day, source and band: their
    hours to first contact (every contacted lead's, in any order) and how
    many first-contact tasks are still waiting for their due time."""

    waiting_for_first_contact: int = 0
    hours_to_first_contact: list[float] = field(default_factory=list)
    working_hours_to_first_contact: list[float] = field(default_factory=list)


# The times per (arrival day, source, band).
LeadTimes = Mapping[tuple[date, str, str], GroupTimes]


EMPTY_KPIS = kpis_from_counts(
    KpiCounts(),
    waiting_for_first_contact=0,
    hours_to_first_contact=(),
    working_hours_to_first_contact=(),
)


def kpis_by(
    days: Iterable[DayCounts],
    times: LeadTimes,
    key: Callable[[date, str, str], K],
    *,
    start: date,
    end: date,
) -> dict[K, KpiSet]:
    """The KPIs per group of the leads that arrived from ``start`` to ``end``.

    ``key(day, source, band)`` names a lead's group. Only groups with leads
    are returned.
    """
    sums: dict[K, list[int]] = {}
    size = len(KPI_COUNT_FIELDS)
    for row in days:
        if not start <= row.day <= end or row.counts.leads_in == 0:
            continue
        totals = sums.setdefault(key(row.day, row.source, row.band), [0] * size)
        for index, name in enumerate(KPI_COUNT_FIELDS):
            totals[index] += getattr(row.counts, name)
    waiting: dict[K, int] = {}
    hours: dict[K, list[float]] = {}
    working: dict[K, list[float]] = {}
    for (day, source, band), lead_times in times.items():
        if not start <= day <= end:
            continue
        group = key(day, source, band)
        waiting[group] = waiting.get(group, 0) + lead_times.waiting_for_first_contact
        hours.setdefault(group, []).extend(lead_times.hours_to_first_contact)
        working.setdefault(group, []).extend(lead_times.working_hours_to_first_contact)
    return {
        group: kpis_from_counts(
            KpiCounts(*totals),
            waiting_for_first_contact=waiting.get(group, 0),
            hours_to_first_contact=hours.get(group, ()),
            working_hours_to_first_contact=working.get(group, ()),
        )
        for group, totals in sums.items()
    }


def total_of_days(
    days: Sequence[DayCounts], times: LeadTimes, *, start: date, end: date
) -> KpiSet:
    """``kpi_set`` of the leads that arrived from ``start`` to ``end``."""
    groups = kpis_by(days, times, lambda _day, _source, _band: 0, start=start, end=end)
    return groups.get(0, EMPTY_KPIS)


def weekly_of_days(
    days: Sequence[DayCounts], times: LeadTimes, *, start: date, end: date
) -> list[tuple[date, KpiSet]]:
    """``weekly`` of the leads that arrived from ``start`` to ``end``."""
    if end < start:
        return []
    groups = kpis_by(
        days,
        times,
        lambda day, _source, _band: day - timedelta(days=day.weekday()),
        start=start,
        end=end,
    )
    weeks: list[tuple[date, KpiSet]] = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        weeks.append((monday, groups.get(monday, EMPTY_KPIS)))
        monday += timedelta(weeks=1)
    return weeks


def by_source_of_days(
    days: Sequence[DayCounts], times: LeadTimes, *, start: date, end: date
) -> list[tuple[str, KpiSet]]:
    """``by_source`` of the leads that arrived from ``start`` to ``end``."""
    groups = kpis_by(
        days, times, lambda _day, source, _band: source, start=start, end=end
    )
    return [(source, groups[source]) for source in sorted(groups)]


def by_band_of_days(
    days: Sequence[DayCounts], times: LeadTimes, *, start: date, end: date
) -> list[tuple[str, KpiSet]]:
    """``by_band`` of the leads that arrived from ``start`` to ``end``."""
    groups = kpis_by(
        days, times, lambda _day, _source, band: band, start=start, end=end
    )
    order = {band: index for index, band in enumerate(BAND_ORDER)}
    return [
        (band, groups[band])
        for band in sorted(groups, key=lambda band: (order.get(band, len(order)), band))
    ]


def calibration_of_days(
    days: Sequence[DayCounts], *, start: date, end: date
) -> list[ScoreBucket]:
    """``calibration`` (ten buckets of ten points) of the leads that arrived
    from ``start`` to ``end``."""
    count = 10
    leads = [0] * count
    converted = [0] * count
    for row in days:
        if row.score_bucket is None or not start <= row.day <= end:
            continue
        leads[row.score_bucket] += row.counts.leads_in
        converted[row.score_bucket] += row.counts.opportunities
    return [
        ScoreBucket(
            low=index * 10,
            high=100 if index == count - 1 else (index + 1) * 10 - 1,
            leads=leads[index],
            converted=converted[index],
            conversion=ratio(converted[index], leads[index]),
        )
        for index in range(count)
    ]


def days_of_facts(
    facts: Iterable[LeadFacts], *, zone: ZoneInfo = DUTCH_TIME
) -> list[DayCounts]:
    """The daily sums of these leads: one row per day, source, band and bucket."""
    sums: dict[tuple[date, str, str, int | None], list[KpiCounts]] = {}
    for fact in facts:
        key = (
            arrival_day(fact, zone=zone),
            fact.source,
            kpi_band(fact),
            score_bucket(fact.score),
        )
        sums.setdefault(key, []).append(lead_counts(fact))
    return [
        DayCounts(day, source, band, bucket, sum_counts(counts))
        for (day, source, band, bucket), counts in sums.items()
    ]


def times_of_facts(
    facts: Iterable[LeadFacts], *, now: datetime, zone: ZoneInfo = DUTCH_TIME
) -> dict[tuple[date, str, str], GroupTimes]:
    """The times to first contact and the waiting first contacts of these leads."""
    times: dict[tuple[date, str, str], GroupTimes] = {}
    for fact in facts:
        group = times.setdefault(
            (arrival_day(fact, zone=zone), fact.source, kpi_band(fact)), GroupTimes()
        )
        group.waiting_for_first_contact += is_waiting_for_first_contact(fact, now=now)
        if fact.first_contact_at is not None:
            group.hours_to_first_contact.append(
                _hours(fact.arrived_at, fact.first_contact_at)
            )
            group.working_hours_to_first_contact.append(
                _working_hours(fact.arrived_at, fact.first_contact_at, zone)
            )
    return times
