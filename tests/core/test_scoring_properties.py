"""Properties every score has, under any scoring model and any lead."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.core.events import Event, EventType
from leadqual.core.profile import LEAD_FIELDS, FieldKind, LeadProfile
from leadqual.core.scoring import (
    Condition,
    EventCount,
    FieldContains,
    FieldEquals,
    FieldIn,
    FieldMissing,
    FieldRange,
    Group,
    GroupSettings,
    LastEventAge,
    Rule,
    ScoringModel,
    score_lead,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)

TEXT_FIELDS = sorted(f for f, kind in LEAD_FIELDS.items() if kind is FieldKind.TEXT)
NUMBER_FIELDS = sorted(f for f, kind in LEAD_FIELDS.items() if kind is FieldKind.NUMBER)
BOOLEAN_FIELDS = sorted(
    f for f, kind in LEAD_FIELDS.items() if kind is FieldKind.BOOLEAN
)
WORDS = [
    "software",
    "ICT",
    "retail",
    "zorg",
    "immediate",
    "exploring",
    "Directeur",
    "ceo",
    "student",
    "NL",
    "be",
    "noord-holland",
    "webform",
    "gmail.com",
]
DOMAINS = ["bakker-ict.nl", "gmail.com", "hotmail.nl", "mailinator.com", "rivaal.nl"]
URLS = ["/", "/prijzen", "/pricing/team", "/producten/crm", "/blog/tips", "/PRIJZEN"]
PATTERNS = ["*/prijzen*", "*/pricing*", "*/product*", "/", "*"]

words = st.sampled_from(WORDS)
numbers = st.integers(min_value=0, max_value=100_000)
days = st.floats(min_value=0.5, max_value=150, allow_nan=False)
event_types = st.sampled_from(list(EventType))


@st.composite
def field_ranges(draw: st.DrawFn) -> FieldRange:
    low = draw(st.none() | numbers)
    high = draw(st.none() | numbers)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return FieldRange(draw(st.sampled_from(NUMBER_FIELDS)), low, high)


@st.composite
def event_counts(draw: st.DrawFn) -> EventCount:
    with_property = draw(st.booleans())
    return EventCount(
        event_type=draw(event_types),
        at_least=draw(st.integers(min_value=1, max_value=4)),
        within_days=draw(st.none() | days),
        property_name="url" if with_property else None,
        property_pattern=draw(st.none() | st.sampled_from(PATTERNS))
        if with_property
        else None,
    )


@st.composite
def last_event_ages(draw: st.DrawFn) -> LastEventAge:
    within = draw(st.none() | days)
    older = draw(days) if within is None else draw(st.none() | days)
    types = draw(st.lists(event_types, max_size=3, unique=True))
    return LastEventAge(tuple(types), within, older)


conditions: st.SearchStrategy[Condition] = st.one_of(
    st.builds(FieldEquals, st.sampled_from(TEXT_FIELDS), words),
    st.builds(FieldEquals, st.sampled_from(NUMBER_FIELDS), numbers),
    st.builds(FieldEquals, st.sampled_from(BOOLEAN_FIELDS), st.booleans()),
    st.builds(
        FieldIn,
        st.sampled_from(TEXT_FIELDS),
        st.lists(words, min_size=1, max_size=4).map(tuple),
    ),
    field_ranges(),
    st.builds(
        FieldContains,
        st.sampled_from(TEXT_FIELDS),
        st.lists(words, min_size=1, max_size=3).map(tuple),
    ),
    st.builds(FieldMissing, st.sampled_from(sorted(LEAD_FIELDS))),
    event_counts(),
    last_event_ages(),
)


@st.composite
def scoring_models(draw: st.DrawFn) -> ScoringModel:
    cut_a, cut_b, cut_c = sorted(draw(st.integers(0, 100)) for _ in range(3))
    caps = {
        Group.FIT: cut_a,
        Group.INTENT: cut_b - cut_a,
        Group.ENGAGEMENT: cut_c - cut_b,
        Group.AI: 100 - cut_c,
    }
    groups = {
        group: GroupSettings(
            cap, draw(st.none() | st.floats(min_value=0.5, max_value=90))
        )
        for group, cap in caps.items()
    }
    count = draw(st.integers(min_value=1, max_value=15))
    rules = tuple(
        Rule(
            name=f"rule_{index}",
            group=draw(st.sampled_from(list(Group))),
            points=draw(st.integers(min_value=-40, max_value=40)),
            condition=draw(conditions),
            label=f"Rule {index}",
            decays=draw(st.booleans()),
        )
        for index in range(count)
    )
    return ScoringModel(name="Generated", groups=groups, rules=rules, version=5)


profiles = st.builds(
    LeadProfile,
    email=st.sampled_from(DOMAINS).map(lambda domain: f"lead@{domain}"),
    sector=st.none() | words,
    employees=st.none() | numbers,
    budget_euros=st.none() | numbers,
    urgency=st.none() | words,
    job_title=st.none() | words,
    country=st.none() | words,
    region=st.none() | words,
    source=st.none() | words,
    company_name=st.none() | words,
    phone=st.none() | st.just("+31 20 123 4567"),
    ai_probability=st.none() | st.integers(min_value=0, max_value=100),
)


@st.composite
def events(draw: st.DrawFn) -> Event:
    # Minutes before now; negative values lie in the future and must not count.
    occurred_minutes = draw(st.integers(min_value=-5 * 1440, max_value=150 * 1440))
    occurred_at = NOW - timedelta(minutes=occurred_minutes)
    delay = draw(st.none() | st.integers(min_value=0, max_value=10 * 1440))
    return Event(
        type=draw(event_types),
        occurred_at=occurred_at,
        properties={"url": draw(st.sampled_from(URLS))} if draw(st.booleans()) else {},
        received_at=None if delay is None else occurred_at + timedelta(minutes=delay),
    )


event_lists = st.lists(events(), max_size=25)


def _without_decay(model: ScoringModel) -> ScoringModel:
    groups = {
        group: dataclasses.replace(group_settings, half_life_days=None)
        for group, group_settings in model.groups.items()
    }
    return dataclasses.replace(model, groups=groups)


@PROPERTY_SETTINGS
@given(model=scoring_models(), profile=profiles, lead_events=event_lists)
def test_every_sub_score_stays_within_zero_and_its_cap(
    model: ScoringModel, profile: LeadProfile, lead_events: list[Event]
) -> None:
    score = score_lead(profile, lead_events, model, now=NOW)
    for group in Group:
        assert 0 <= score.sub_score(group) <= model.groups[group].cap


@PROPERTY_SETTINGS
@given(model=scoring_models(), profile=profiles, lead_events=event_lists)
def test_the_total_is_the_sum_of_sub_scores_within_zero_and_hundred(
    model: ScoringModel, profile: LeadProfile, lead_events: list[Event]
) -> None:
    score = score_lead(profile, lead_events, model, now=NOW)
    assert score.total == sum(score.sub_score(group) for group in Group)
    assert 0 <= score.total <= 100


@PROPERTY_SETTINGS
@given(model=scoring_models(), profile=profiles, lead_events=event_lists)
def test_the_explanation_adds_up_per_group_and_in_total(
    model: ScoringModel, profile: LeadProfile, lead_events: list[Event]
) -> None:
    score = score_lead(profile, lead_events, model, now=NOW)
    assert sum(hit.points for hit in score.explanation) == score.total
    for group in Group:
        group_points = [hit.points for hit in score.explanation if hit.group is group]
        assert sum(group_points) == score.sub_score(group)


@PROPERTY_SETTINGS
@given(model=scoring_models(), profile=profiles, lead_events=event_lists)
def test_decay_never_raises_a_score(
    model: ScoringModel, profile: LeadProfile, lead_events: list[Event]
) -> None:
    with_decay = score_lead(profile, lead_events, model, now=NOW)
    without = score_lead(profile, lead_events, _without_decay(model), now=NOW)
    for group in Group:
        assert with_decay.sub_score(group) <= without.sub_score(group)
    assert with_decay.total <= without.total


@PROPERTY_SETTINGS
@given(
    model=scoring_models(),
    profile=profiles,
    lead_events=event_lists,
    data=st.data(),
)
def test_raising_a_rules_positive_points_never_lowers_the_total(
    model: ScoringModel,
    profile: LeadProfile,
    lead_events: list[Event],
    data: st.DataObject,
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(model.rules) - 1))
    rule = model.rules[index]
    points = data.draw(st.integers(min_value=1, max_value=40))
    extra = data.draw(st.integers(min_value=1, max_value=40))
    rules = list(model.rules)
    rules[index] = dataclasses.replace(rule, points=points)
    lower = dataclasses.replace(model, rules=tuple(rules))
    rules[index] = dataclasses.replace(rule, points=points + extra)
    higher = dataclasses.replace(model, rules=tuple(rules))
    before = score_lead(profile, lead_events, lower, now=NOW)
    after = score_lead(profile, lead_events, higher, now=NOW)
    assert after.total >= before.total
    assert after.sub_score(rule.group) >= before.sub_score(rule.group)


@PROPERTY_SETTINGS
@given(model=scoring_models(), profile=profiles, lead_events=event_lists)
def test_scoring_is_deterministic(
    model: ScoringModel, profile: LeadProfile, lead_events: list[Event]
) -> None:
    first = score_lead(profile, lead_events, model, now=NOW)
    second = score_lead(profile, list(reversed(lead_events)), model, now=NOW)
    assert first == second
    assert first.model_version == model.version


@PROPERTY_SETTINGS
@given(model=scoring_models(), profile=profiles, lead_events=event_lists)
def test_events_not_known_at_now_never_change_the_score(
    model: ScoringModel, profile: LeadProfile, lead_events: list[Event]
) -> None:
    known = [event for event in lead_events if event.is_known_at(NOW)]
    assert score_lead(profile, lead_events, model, now=NOW) == score_lead(
        profile, known, model, now=NOW
    )
