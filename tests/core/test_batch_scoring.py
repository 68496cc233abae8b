"""The column-wise scorer gives every lead exactly the score score_lead gives it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.core.batch_scoring import (
    explanation_record,
    score_many,
    window_max_age_us,
)
from leadqual.core.events import Event, EventType, JsonValue
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import LeadProfile
from leadqual.core.scoring import (
    EventCount,
    Group,
    GroupSettings,
    LastEventAge,
    Rule,
    Score,
    ScoringModel,
    score_lead,
)
from leadqual.demo.generator import plan_demo_data
from tests.core.test_scoring_properties import (
    URLS,
    profiles,
    scoring_models,
)
from tests.demo_histories import plan_histories

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EXACTNESS = settings(max_examples=300, deadline=None)

property_values: st.SearchStrategy[JsonValue] = st.one_of(
    st.sampled_from(URLS),
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.just(["/prijzen"]),
    st.just({"path": "/prijzen"}),
)


@st.composite
def events(draw: st.DrawFn) -> Event:
    # Microseconds, so window edges and rounding edges are reached exactly.
    occurred_at = NOW - timedelta(
        microseconds=draw(st.integers(-5 * 86_400_000_000, 200 * 86_400_000_000))
    )
    delay = draw(st.none() | st.integers(0, 10 * 86_400_000_000))
    names = draw(st.lists(st.sampled_from(["url", "kind"]), max_size=2, unique=True))
    return Event(
        type=draw(st.sampled_from(list(EventType))),
        occurred_at=occurred_at,
        properties={name: draw(property_values) for name in names},
        received_at=None
        if delay is None
        else occurred_at + timedelta(microseconds=delay),
    )


@st.composite
def leads(draw: st.DrawFn) -> tuple[LeadProfile, list[Event]]:
    profile = draw(profiles)
    arrived_days = draw(st.none() | st.floats(-2, 400, allow_nan=False))
    if arrived_days is not None:
        profile = LeadProfile(
            **{
                **{name: getattr(profile, name) for name in profile.__slots__},
                "arrived_at": NOW - timedelta(days=arrived_days),
            }
        )
    return profile, draw(st.lists(events(), max_size=15))


def _assert_same_as_score_lead(
    model: ScoringModel,
    lead_list: Sequence[tuple[LeadProfile, Sequence[Event]]],
    now: datetime | Sequence[datetime],
) -> list[Score]:
    batch = score_many(
        [profile for profile, _events in lead_list],
        [lead_events for _profile, lead_events in lead_list],
        model,
        now=now,
    )
    moments = [now] * len(lead_list) if isinstance(now, datetime) else list(now)
    expected = [
        score_lead(profile, lead_events, model, now=moment)
        for (profile, lead_events), moment in zip(lead_list, moments, strict=True)
    ]
    assert batch.scores() == expected
    assert batch.explanation_texts() == [
        json.dumps([explanation_record(hit) for hit in score.explanation])
        for score in expected
    ]
    return expected


@EXACTNESS
@given(model=scoring_models(), lead_list=st.lists(leads(), max_size=8))
def test_random_leads_score_exactly_as_one_by_one(
    model: ScoringModel, lead_list: list[tuple[LeadProfile, list[Event]]]
) -> None:
    _assert_same_as_score_lead(model, lead_list, NOW)


@EXACTNESS
@given(
    model=scoring_models(),
    lead_list=st.lists(leads(), min_size=1, max_size=6),
    data=st.data(),
)
def test_each_lead_can_be_scored_at_its_own_moment(
    model: ScoringModel,
    lead_list: list[tuple[LeadProfile, list[Event]]],
    data: st.DataObject,
) -> None:
    moments = [
        NOW - timedelta(microseconds=data.draw(st.integers(0, 60 * 86_400_000_000)))
        for _lead in lead_list
    ]
    _assert_same_as_score_lead(model, lead_list, moments)


@EXACTNESS
@given(
    half_life=st.sampled_from([0.5, 1.0, 2.0, 3.0, 7.0, 14.0, 30.0]),
    points=st.integers(1, 40),
    age_halves=st.integers(0, 12),
    nudge_us=st.integers(-2, 2),
)
def test_points_on_a_rounding_edge_fade_as_one_by_one(
    half_life: float, points: int, age_halves: int, nudge_us: int
) -> None:
    """Ages of whole half-lives make points * factor land on .5 exactly."""
    model = ScoringModel(
        name="edges",
        groups={
            Group.FIT: GroupSettings(50),
            Group.INTENT: GroupSettings(50, half_life_days=half_life),
            Group.ENGAGEMENT: GroupSettings(0),
        },
        rules=(
            Rule(
                "demo", Group.INTENT, points, EventCount(EventType.DEMO_REQUEST), "Demo"
            ),
        ),
    )
    age = timedelta(days=half_life * age_halves, microseconds=nudge_us)
    event = Event(EventType.DEMO_REQUEST, occurred_at=NOW - abs(age))
    _assert_same_as_score_lead(model, [(LeadProfile(email="a@b.nl"), [event])], NOW)


@pytest.mark.parametrize("within_days", [0.5, 1.0, 7.0, 30.0, 90.0, 1 / 3])
def test_an_event_counts_in_a_window_up_to_the_same_microsecond(
    within_days: float,
) -> None:
    limit = window_max_age_us(within_days)
    assert limit is not None
    model = ScoringModel(
        name="window",
        groups={
            Group.FIT: GroupSettings(50),
            Group.INTENT: GroupSettings(50),
            Group.ENGAGEMENT: GroupSettings(0),
        },
        rules=(
            Rule(
                "download",
                Group.INTENT,
                10,
                EventCount(EventType.DOWNLOAD, within_days=within_days),
                "Download",
            ),
        ),
    )
    lead_list = [
        (
            LeadProfile(email=f"lead{offset}@b.nl"),
            [Event(EventType.DOWNLOAD, NOW - timedelta(microseconds=limit + offset))],
        )
        for offset in (-1, 0, 1)
    ]
    expected = _assert_same_as_score_lead(model, lead_list, NOW)
    assert [score.intent for score in expected] == [10, 10, 0]


def test_silence_is_counted_from_arrival_as_one_by_one() -> None:
    model = ScoringModel(
        name="quiet",
        groups={
            Group.FIT: GroupSettings(50),
            Group.INTENT: GroupSettings(30),
            Group.ENGAGEMENT: GroupSettings(20, half_life_days=14),
        },
        rules=(
            Rule("quiet", Group.ENGAGEMENT, -5, LastEventAge(older_than_days=30), "Q"),
            Rule("recent", Group.ENGAGEMENT, 5, LastEventAge(within_days=7), "R"),
        ),
    )
    lead_list = [
        (LeadProfile(email="new@b.nl", arrived_at=NOW - timedelta(days=3)), []),
        (LeadProfile(email="old@b.nl", arrived_at=NOW - timedelta(days=45)), []),
        (LeadProfile(email="unknown@b.nl"), []),
        (
            LeadProfile(email="active@b.nl", arrived_at=NOW - timedelta(days=45)),
            [Event(EventType.PAGE_VIEW, NOW - timedelta(days=2))],
        ),
    ]
    expected = _assert_same_as_score_lead(model, lead_list, NOW)
    assert [score.engagement for score in expected] == [0, 0, 0, 5]


def test_the_demo_leads_score_exactly_as_one_by_one() -> None:
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    model = parse_scoring_model(source, version=1)
    histories = plan_histories(plan_demo_data(seed=3, now=NOW, leads=400, model=model))
    lead_list = [(history.profile, history.events) for history in histories]
    at_now = _assert_same_as_score_lead(model, lead_list, NOW)
    at_decision = _assert_same_as_score_lead(
        model, lead_list, [history.decided_at for history in histories]
    )
    # The demo covers every band and faded points, or the comparison proves little.
    assert {score.band for score in at_now + at_decision} == {"cold", "warm", "hot"}
    assert any("faded" in hit.reason for score in at_now for hit in score.explanation)


def test_leads_and_event_lists_must_pair_up() -> None:
    model = ScoringModel(
        name="m",
        groups={
            Group.FIT: GroupSettings(100),
            Group.INTENT: GroupSettings(0),
            Group.ENGAGEMENT: GroupSettings(0),
        },
        rules=(),
    )
    with pytest.raises(ValueError, match="2 profiles but 1 event lists"):
        score_many([LeadProfile(email="a@b.nl")] * 2, [[]], model, now=NOW)
