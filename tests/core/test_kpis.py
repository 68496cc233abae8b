"""The KPIs from hand-built fact rows: exact numbers, empty groups, week edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadqual.core.kpis import (
    KpiSet,
    LeadFacts,
    by_owner,
    by_source,
    error_rate,
    kpi_set,
    lead_to_opportunity,
    leads_in,
    median_hours_to_first_contact,
    median_working_hours_to_first_contact,
    qualified_to_won,
    share_sales_accepted,
    share_sales_ready,
    sla_compliance,
    sla_missed,
    week_start,
    weekly,
)
from leadqual.core.sla import DUTCH_TIME

# Monday 23 November 2026, 09:00 in Utrecht.
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DUTCH_TIME)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)


def _fact(lead_id: int, **fields: object) -> LeadFacts:
    values: dict[str, object] = {"arrived_at": MONDAY, "source": "website"}
    values.update(fields)
    return LeadFacts(lead_id=lead_id, **values)  # type: ignore[arg-type]


def _hours(count: float) -> timedelta:
    return timedelta(hours=count)


FOUR_LEADS = [
    # Hot, contacted after 2 hours within its SLA, accepted, opportunity, won.
    _fact(
        1,
        became_sales_ready_at=MONDAY,
        first_contact_at=MONDAY + _hours(2),
        first_contact_due_at=MONDAY + _hours(24),
        accepted=True,
        opportunity_at=MONDAY + _hours(30),
        won_at=MONDAY + _hours(50),
        won_value_cents=1_250_000,
    ),
    # Hot, contacted after 30 hours, too late; rejected as no fit.
    _fact(
        2,
        became_sales_ready_at=MONDAY,
        first_contact_at=MONDAY + _hours(30),
        first_contact_due_at=MONDAY + _hours(24),
        accepted=False,
        rejected_reason="no_fit",
    ),
    # Warm, its task overdue without contact; accepted, opportunity only.
    _fact(
        3,
        first_contact_due_at=MONDAY + _hours(72),
        accepted=True,
        opportunity_at=MONDAY + _hours(5),
    ),
    # Cold, no task, no feedback; rejected reasons other than no fit do not count.
    _fact(4, source="event"),
]


def test_no_leads_gives_zero_counts_and_no_ratios() -> None:
    kpis = kpi_set([], now=NOW)
    assert kpis.leads_in == 0
    assert kpis.share_sales_ready is None
    assert kpis.share_sales_accepted is None
    assert kpis.lead_to_opportunity is None
    assert kpis.qualified_to_won is None
    assert kpis.median_hours_to_first_contact is None
    assert kpis.median_working_hours_to_first_contact is None
    assert kpis.sla_compliance is None
    assert kpis.error_rate is None


def test_leads_without_feedback_or_tasks_have_no_feedback_ratios() -> None:
    facts = [_fact(1), _fact(2)]
    kpis = kpi_set(facts, now=NOW)
    assert (kpis.leads_in, kpis.share_sales_ready, kpis.lead_to_opportunity) == (
        2,
        0.0,
        0.0,
    )
    assert kpis.share_sales_accepted is None
    assert kpis.error_rate is None
    assert kpis.qualified_to_won is None
    assert kpis.sla_compliance is None


def test_the_kpis_of_four_hand_built_leads() -> None:
    assert leads_in(FOUR_LEADS) == 4
    assert share_sales_ready(FOUR_LEADS) == 0.5
    assert share_sales_accepted(FOUR_LEADS) == 2 / 3
    assert lead_to_opportunity(FOUR_LEADS) == 0.5
    assert qualified_to_won(FOUR_LEADS) == 0.5
    assert error_rate(FOUR_LEADS) == 1 / 3
    assert median_hours_to_first_contact(FOUR_LEADS) == 16.0


def test_the_kpi_set_carries_the_counts_behind_the_ratios() -> None:
    kpis = kpi_set(FOUR_LEADS, now=NOW)
    assert kpis == KpiSet(
        leads_in=4,
        sales_ready=2,
        with_feedback=3,
        accepted=2,
        rejected=1,
        opportunities=2,
        open_opportunities=0,
        open_pipeline_value_cents=0,
        won=1,
        won_accepted=1,
        won_value_cents=1_250_000,
        lost=0,
        rejected_no_fit=1,
        contacted=2,
        sla_met=1,
        sla_counted=3,
        share_sales_ready=0.5,
        share_sales_accepted=2 / 3,
        lead_to_opportunity=0.5,
        qualified_to_won=0.5,
        lead_to_won=0.25,
        median_hours_to_first_contact=16.0,
        median_working_hours_to_first_contact=16.0,
        sla_compliance=1 / 3,
        error_rate=1 / 3,
        rated=0,
        rating_total=0,
        average_rating=None,
        reached_sales_ready=2,
        mean_hours_to_sales_ready=0.0,
    )


def test_a_rejection_for_another_reason_is_not_an_error() -> None:
    facts = [
        _fact(1, accepted=False, rejected_reason="no_budget"),
        _fact(2, accepted=False, rejected_reason="no_fit"),
    ]
    assert error_rate(facts) == 0.5
    assert share_sales_accepted(facts) == 0.0
    assert qualified_to_won(facts) is None


def test_a_win_without_feedback_is_an_opportunity_but_not_qualified() -> None:
    facts = [_fact(1, won_at=MONDAY), _fact(2, accepted=True)]
    assert lead_to_opportunity(facts) == 0.5
    assert qualified_to_won(facts) == 0.0


def test_an_open_task_that_is_not_yet_due_does_not_count_for_the_sla() -> None:
    facts = [
        _fact(1, first_contact_due_at=NOW + _hours(1)),
        _fact(2, first_contact_due_at=NOW - _hours(1)),
        _fact(3, first_contact_due_at=NOW + _hours(5), first_contact_at=NOW),
    ]
    assert sla_compliance(facts, now=NOW) == 0.5


def test_a_contact_exactly_at_the_due_time_is_within_the_sla() -> None:
    facts = [_fact(1, first_contact_due_at=MONDAY, first_contact_at=MONDAY)]
    assert sla_compliance(facts, now=NOW) == 1.0


def test_no_counted_tasks_means_no_sla_compliance() -> None:
    facts = [_fact(1, first_contact_due_at=NOW + _hours(1))]
    assert sla_compliance(facts, now=NOW) is None


def test_working_hours_to_first_contact_skip_the_weekend() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=DUTCH_TIME)
    monday = datetime(2026, 11, 30, 11, 0, tzinfo=DUTCH_TIME)
    facts = [_fact(1, arrived_at=friday, first_contact_at=monday)]
    assert median_hours_to_first_contact(facts) == 68.0
    assert median_working_hours_to_first_contact(facts) == 20.0


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    facts = [
        _fact(number, first_contact_at=MONDAY + _hours(hours))
        for number, hours in enumerate([1, 3, 5, 100])
    ]
    assert median_hours_to_first_contact(facts) == 4.0


def test_a_first_contact_before_arrival_counts_as_zero_hours() -> None:
    facts = [_fact(1, first_contact_at=MONDAY - _hours(3))]
    assert median_hours_to_first_contact(facts) == 0.0


def test_a_week_starts_on_monday_at_midnight_in_amsterdam() -> None:
    sunday_late = datetime(2026, 11, 29, 23, 59, 59, tzinfo=DUTCH_TIME)
    monday_midnight = datetime(2026, 11, 30, 0, 0, tzinfo=DUTCH_TIME)
    assert week_start(sunday_late) == date(2026, 11, 23)
    assert week_start(monday_midnight) == date(2026, 11, 30)
    # 23:30 UTC on Sunday is already Monday 00:30 in Amsterdam (winter time).
    assert week_start(datetime(2026, 11, 29, 23, 30, tzinfo=UTC)) == date(2026, 11, 30)


def test_weekly_groups_by_local_week_of_arrival_and_keeps_empty_weeks() -> None:
    facts = [
        _fact(1, arrived_at=datetime(2026, 11, 29, 23, 59, tzinfo=DUTCH_TIME)),
        _fact(2, arrived_at=datetime(2026, 11, 30, 0, 0, tzinfo=DUTCH_TIME)),
        _fact(3, arrived_at=datetime(2026, 11, 29, 23, 30, tzinfo=UTC)),
        _fact(4, arrived_at=datetime(2026, 12, 14, 8, 0, tzinfo=DUTCH_TIME)),
    ]
    weeks = weekly(facts, date(2026, 11, 25), date(2026, 12, 16), DUTCH_TIME, now=NOW)
    assert [(monday, kpis.leads_in) for monday, kpis in weeks] == [
        (date(2026, 11, 23), 1),
        (date(2026, 11, 30), 2),
        (date(2026, 12, 7), 0),
        (date(2026, 12, 14), 1),
    ]
    assert weeks[2][1].share_sales_ready is None


def test_weekly_leaves_out_leads_outside_the_weeks() -> None:
    facts = [
        _fact(1, arrived_at=datetime(2026, 11, 22, 23, 59, tzinfo=DUTCH_TIME)),
        _fact(2, arrived_at=datetime(2026, 12, 7, 0, 0, tzinfo=DUTCH_TIME)),
    ]
    weeks = weekly(facts, date(2026, 11, 23), date(2026, 12, 6), DUTCH_TIME, now=NOW)
    assert [kpis.leads_in for _monday, kpis in weeks] == [0, 0]


def test_weekly_over_the_summer_time_change_keeps_seven_day_weeks() -> None:
    # Summer time ends on Sunday 25 October 2026 at 03:00.
    facts = [_fact(1, arrived_at=datetime(2026, 10, 26, 0, 0, tzinfo=DUTCH_TIME))]
    weeks = weekly(facts, date(2026, 10, 19), date(2026, 10, 26), DUTCH_TIME, now=NOW)
    assert [(monday, kpis.leads_in) for monday, kpis in weeks] == [
        (date(2026, 10, 19), 0),
        (date(2026, 10, 26), 1),
    ]


def test_weekly_with_end_before_start_is_empty() -> None:
    assert weekly([], date(2026, 12, 1), date(2026, 11, 1), now=NOW) == []


def test_by_source_groups_and_sorts_the_sources() -> None:
    groups = by_source(FOUR_LEADS, now=NOW)
    assert [(source, kpis.leads_in) for source, kpis in groups] == [
        ("event", 1),
        ("website", 3),
    ]
    assert groups[1][1].error_rate == 1 / 3


_moments = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.just(UTC),
)
_facts = st.builds(
    LeadFacts,
    lead_id=st.integers(min_value=1),
    arrived_at=_moments,
    source=st.sampled_from(["website", "event", ""]),
    became_sales_ready_at=st.none() | _moments,
    accepted=st.none() | st.booleans(),
    rejected_reason=st.none() | st.sampled_from(["no_fit", "no_budget", "spam"]),
    opportunity_at=st.none() | _moments,
    won_at=st.none() | _moments,
    lost_at=st.none() | _moments,
    won_value_cents=st.none() | st.integers(min_value=0, max_value=10**9),
    first_contact_at=st.none() | _moments,
    first_contact_due_at=st.none() | _moments,
)


@given(facts=st.lists(_facts, max_size=30), now=_moments)
def test_every_share_lies_between_zero_and_one(
    facts: list[LeadFacts], now: datetime
) -> None:
    kpis = kpi_set(facts, now=now)
    shares = [
        kpis.share_sales_ready,
        kpis.share_sales_accepted,
        kpis.lead_to_opportunity,
        kpis.qualified_to_won,
        kpis.sla_compliance,
        kpis.error_rate,
    ]
    for share in shares:
        assert share is None or 0.0 <= share <= 1.0
    for hours in (
        kpis.median_hours_to_first_contact,
        kpis.median_working_hours_to_first_contact,
    ):
        assert hours is None or hours >= 0.0


def test_the_open_pipeline_adds_only_the_deals_still_open() -> None:
    facts = [
        LeadFacts(1, NOW, is_open_opportunity=True, open_opportunity_value_cents=500),
        LeadFacts(2, NOW, is_open_opportunity=True),
        LeadFacts(3, NOW, won_at=NOW, won_value_cents=900),
        LeadFacts(4, NOW, lost_at=NOW),
    ]
    kpis = kpi_set(facts, now=NOW)
    assert (kpis.open_opportunities, kpis.open_pipeline_value_cents) == (2, 500)
    assert (kpis.won, kpis.won_value_cents, kpis.lost, kpis.lead_to_won) == (
        1,
        900,
        1,
        0.25,
    )


def test_the_kpis_per_owner_keep_the_leads_without_owner_apart() -> None:
    facts = [
        LeadFacts(1, NOW, owner_id=7, won_at=NOW),
        LeadFacts(2, NOW, owner_id=7),
        LeadFacts(3, NOW),
    ]
    groups = by_owner(facts, now=NOW)
    assert {owner: kpis.leads_in for owner, kpis in groups.items()} == {7: 2, None: 1}
    assert groups[7].lead_to_won == 0.5


def test_sla_missed_counts_late_and_overdue_first_contacts() -> None:
    due = NOW - timedelta(hours=10)
    facts = [
        LeadFacts(1, NOW, first_contact_due_at=due, first_contact_at=due),
        LeadFacts(2, NOW, first_contact_due_at=due, first_contact_at=NOW),
        LeadFacts(3, NOW, first_contact_due_at=due),
        LeadFacts(4, NOW, first_contact_due_at=NOW + timedelta(hours=1)),
    ]
    assert sla_missed(kpi_set(facts, now=NOW)) == 2
