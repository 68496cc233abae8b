"""The KPIs from daily sums equal the KPIs from one fact row per lead, exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.core.kpis import (
    LeadFacts,
    by_band,
    by_band_of_days,
    by_source,
    by_source_of_days,
    calibration,
    calibration_of_days,
    days_of_facts,
    kpi_set,
    mean_hours_to_sales_ready,
    most_common_rules,
    ranked_rules,
    times_of_facts,
    total_of_days,
    weekly,
    weekly_of_days,
)
from leadqual.core.sla import DUTCH_TIME

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)

# Arrivals over four months around two DST changes, to the microsecond.
_arrivals = st.datetimes(
    min_value=datetime(2026, 9, 1),
    max_value=datetime(2026, 12, 31),
    timezones=st.just(UTC),
)
# Later moments: minutes to weeks after, and now and then before, the arrival.
_offsets = st.none() | st.timedeltas(
    min_value=timedelta(hours=-3), max_value=timedelta(days=20)
)


@st.composite
def _lead_facts(draw: st.DrawFn, lead_id: int) -> LeadFacts:
    arrived = draw(_arrivals)

    def later() -> datetime | None:
        offset = draw(_offsets)
        return None if offset is None else arrived + offset

    accepted = draw(st.none() | st.booleans())
    is_open = draw(st.booleans())
    return LeadFacts(
        lead_id=lead_id,
        arrived_at=arrived,
        source=draw(st.sampled_from(["website", "event", "", "referral"])),
        owner_id=draw(st.none() | st.integers(1, 3)),
        is_open_opportunity=is_open,
        open_opportunity_value_cents=(
            draw(st.none() | st.integers(0, 10**9)) if is_open else None
        ),
        became_sales_ready_at=later(),
        accepted=accepted,
        rejected_reason=(
            draw(st.none() | st.sampled_from(["no_fit", "no_budget"]))
            if accepted is False
            else None
        ),
        opportunity_at=later(),
        won_at=later(),
        lost_at=later(),
        won_value_cents=draw(st.none() | st.integers(0, 10**9)),
        first_contact_at=later(),
        first_contact_due_at=later(),
        band=draw(st.sampled_from(["hot", "warm", "cold", ""])),
        score=draw(st.none() | st.integers(0, 100)),
        rating=draw(st.none() | st.integers(1, 5)),
        first_accepted_at=later() if accepted else None,
        outcome_band=draw(st.sampled_from(["hot", "warm", "cold", ""])),
    )


@st.composite
def _leads(draw: st.DrawFn) -> list[LeadFacts]:
    count = draw(st.integers(0, 40))
    return [draw(_lead_facts(lead_id)) for lead_id in range(1, count + 1)]


_periods = st.tuples(
    st.dates(min_value=date(2026, 9, 1), max_value=date(2026, 12, 31)),
    st.integers(0, 120),
)


@settings(max_examples=120, deadline=None)
@given(leads=_leads(), period=_periods)
def test_every_group_of_the_page_is_the_same_from_daily_sums(
    leads: list[LeadFacts], period: tuple[date, int]
) -> None:
    start, length = period
    end = start + timedelta(days=length)
    in_period = [
        fact
        for fact in leads
        if start <= fact.arrived_at.astimezone(DUTCH_TIME).date() <= end
    ]
    days = days_of_facts(leads)
    times = times_of_facts(leads, now=NOW)

    assert total_of_days(days, times, start=start, end=end) == kpi_set(
        in_period, now=NOW
    )
    assert weekly_of_days(days, times, start=start, end=end) == weekly(
        in_period, start, end, DUTCH_TIME, now=NOW
    )
    assert by_source_of_days(days, times, start=start, end=end) == by_source(
        in_period, now=NOW
    )
    assert by_band_of_days(days, times, start=start, end=end) == by_band(
        in_period, now=NOW
    )
    assert calibration_of_days(days, start=start, end=end) == calibration(in_period)


def test_the_mean_time_to_sales_ready_is_the_exact_mean_of_the_microseconds() -> None:
    """Summed per lead or per day, the mean is one division of whole numbers."""
    arrived = datetime(2026, 11, 23, 9, 0, tzinfo=DUTCH_TIME)
    facts = [
        LeadFacts(1, arrived, became_sales_ready_at=arrived + timedelta(hours=1)),
        LeadFacts(2, arrived, became_sales_ready_at=arrived + timedelta(seconds=1)),
        LeadFacts(3, arrived, became_sales_ready_at=arrived - timedelta(hours=5)),
    ]
    # (3,600,000,000 + 1,000,000 + 0) microseconds / 3 leads, in hours.
    assert mean_hours_to_sales_ready(facts) == 3_601_000_000 / (3 * 3_600_000_000)


@settings(max_examples=200)
@given(
    days=st.lists(
        st.lists(st.lists(st.sampled_from("abcdef"), max_size=4), max_size=5),
        max_size=6,
    ),
    limit=st.integers(1, 7),
)
def test_rules_counted_per_day_rank_as_the_rules_of_every_lead(
    days: list[list[list[str]]], limit: int
) -> None:
    """Per-day counts of the leads each rule gave points to, added up, rank the
    rules as counting every lead's rules does: ties by name, the same shares."""
    leads_per_rule: dict[str, int] = {}
    for day in days:
        for rules in day:
            for rule in set(rules):
                leads_per_rule[rule] = leads_per_rule.get(rule, 0) + 1
    every_lead = [rules for day in days for rules in day]

    assert ranked_rules(
        leads_per_rule, out_of=len(every_lead), limit=limit
    ) == most_common_rules(every_lead, limit=limit)
