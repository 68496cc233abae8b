"""Replaying leads at their decision moment: no look-ahead, weeks, missed wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadqual.core.backtest import (
    Conversion,
    LeadHistory,
    decision_moment,
    run_backtest,
)
from leadqual.core.bands import Thresholds
from leadqual.core.events import Event, EventType
from leadqual.core.profile import LeadProfile
from leadqual.core.scoring import (
    EventCount,
    FieldEquals,
    Group,
    GroupSettings,
    Rule,
    ScoringModel,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MODEL = ScoringModel(
    name="test",
    groups={
        Group.FIT: GroupSettings(50),
        Group.INTENT: GroupSettings(50),
        Group.ENGAGEMENT: GroupSettings(0),
    },
    rules=(
        Rule("software", Group.FIT, 40, FieldEquals("sector", "software"), "Software"),
        Rule("demo", Group.INTENT, 40, EventCount(EventType.DEMO_REQUEST), "Demo"),
    ),
    thresholds=Thresholds(warm=30, hot=70),
)


def _history(
    lead_id: int,
    *,
    decided_at: datetime,
    demo_received_at: datetime | None = None,
    won: bool = False,
) -> LeadHistory:
    events: tuple[Event, ...] = ()
    if demo_received_at is not None:
        events = (
            Event(
                EventType.DEMO_REQUEST,
                occurred_at=decided_at - timedelta(hours=1),
                received_at=demo_received_at,
            ),
        )
    return LeadHistory(
        lead_id=lead_id,
        profile=LeadProfile(email=f"lead{lead_id}@bakker-ict.nl", sector="software"),
        events=events,
        decided_at=decided_at,
        conversion=Conversion(reviewed=won, accepted=won, opportunity=won, won=won),
    )


def test_a_lead_is_judged_a_week_after_arrival_without_sales_touching_it() -> None:
    arrived = NOW - timedelta(days=20)
    assert decision_moment(arrived, None) == arrived + timedelta(days=7)


def test_a_lead_is_judged_just_before_sales_first_touch() -> None:
    arrived = NOW - timedelta(days=20)
    touched = arrived + timedelta(hours=3)
    assert decision_moment(arrived, touched) == touched - timedelta(seconds=1)


def test_a_touch_before_arrival_judges_the_lead_at_arrival() -> None:
    arrived = NOW - timedelta(days=20)
    assert decision_moment(arrived, arrived - timedelta(days=1)) == arrived


def test_an_event_received_after_the_decision_moment_does_not_count() -> None:
    decided = NOW - timedelta(days=10)
    on_time = _history(1, decided_at=decided, demo_received_at=decided)
    late = _history(
        2, decided_at=decided, demo_received_at=decided + timedelta(minutes=1)
    )

    backtest = run_backtest([on_time, late], MODEL, ends_at=NOW, weeks=2)

    assert backtest.total.leads == 2
    assert backtest.total.hot == 1


def test_leads_fall_in_the_week_of_their_decision_moment() -> None:
    histories = [
        _history(1, decided_at=NOW - timedelta(days=13)),
        _history(2, decided_at=NOW - timedelta(days=2)),
        _history(3, decided_at=NOW - timedelta(days=3)),
        _history(4, decided_at=NOW - timedelta(days=30)),  # before the replay
    ]

    backtest = run_backtest(histories, MODEL, ends_at=NOW, weeks=2)

    assert [week.leads for week in backtest.weeks] == [1, 2]
    assert [week.starts_at for week in backtest.weeks] == [
        NOW - timedelta(days=14),
        NOW - timedelta(days=7),
    ]


def test_won_leads_outside_the_hot_band_count_as_missed() -> None:
    decided = NOW - timedelta(days=3)
    hot_won = _history(1, decided_at=decided, demo_received_at=decided, won=True)
    cold_won = _history(2, decided_at=decided, won=True)

    week = run_backtest([hot_won, cold_won], MODEL, ends_at=NOW, weeks=1).total

    assert (week.hot, week.won, week.missed_won) == (1, 1, 1)
    assert week.won_rate == 1.0


def test_weeks_over_capacity_are_counted() -> None:
    decided = NOW - timedelta(days=3)
    histories = [
        _history(n, decided_at=decided, demo_received_at=decided) for n in range(3)
    ]

    backtest = run_backtest(histories, MODEL, ends_at=NOW, weeks=1, capacity_per_week=2)

    assert backtest.weeks_over_capacity == 1
