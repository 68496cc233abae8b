"""Scoring: conditions, decay, caps, explanations and bands, without a database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from leadqual.core.bands import Band, Thresholds
from leadqual.core.events import Event, EventType, JsonValue
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import LeadProfile
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
    RuleHit,
    Score,
    ScoringModel,
    decay_factor,
    score_lead,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
COMPANY_LEAD = LeadProfile(email="jan@bakker-ict.nl")


def _rule(
    condition: Condition,
    *,
    points: int = 10,
    group: Group = Group.FIT,
    name: str = "rule",
    decays: bool = True,
) -> Rule:
    return Rule(name, group, points, condition, name.replace("_", " "), decays)


def _model(
    *rules: Rule,
    caps: tuple[int, int, int] = (40, 35, 25),
    half_life_days: float | None = None,
    thresholds: Thresholds | None = None,
    version: int = 0,
) -> ScoringModel:
    fit, intent, engagement = caps
    return ScoringModel(
        name="Test model",
        groups={
            Group.FIT: GroupSettings(fit, half_life_days),
            Group.INTENT: GroupSettings(intent, half_life_days),
            Group.ENGAGEMENT: GroupSettings(engagement, half_life_days),
        },
        rules=rules,
        thresholds=thresholds or Thresholds(),
        version=version,
    )


def _event(
    event_type: EventType,
    *,
    days_ago: float,
    properties: dict[str, JsonValue] | None = None,
    received_days_ago: float | None = None,
) -> Event:
    return Event(
        type=event_type,
        occurred_at=NOW - timedelta(days=days_ago),
        properties=properties or {},
        received_at=(
            NOW - timedelta(days=received_days_ago)
            if received_days_ago is not None
            else None
        ),
    )


def _fires(
    condition: Condition,
    profile: LeadProfile = COMPANY_LEAD,
    events: Sequence[Event] = (),
) -> bool:
    score = score_lead(profile, events, _model(_rule(condition)), now=NOW)
    return any(hit.rule == "rule" for hit in score.explanation)


def _hit(score: Score, name: str) -> RuleHit:
    (hit,) = [hit for hit in score.explanation if hit.rule == name]
    return hit


def _default_model() -> ScoringModel:
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    return parse_scoring_model(source, version=1)


# --- field conditions -----------------------------------------------------------


def test_equals_fires_when_the_field_has_the_value() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", sector="software")
    assert _fires(FieldEquals("sector", "software"), profile)


def test_equals_compares_text_case_insensitively() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", urgency="IMMEDIATE")
    assert _fires(FieldEquals("urgency", "Immediate"), profile)


def test_equals_does_not_fire_on_another_value() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", sector="retail")
    assert not _fires(FieldEquals("sector", "software"), profile)


def test_equals_does_not_fire_on_an_unknown_field_value() -> None:
    assert not _fires(FieldEquals("sector", "software"), COMPANY_LEAD)


def test_equals_compares_numbers() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", employees=25)
    assert _fires(FieldEquals("employees", 25), profile)
    assert not _fires(FieldEquals("employees", 26), profile)


def test_equals_true_fires_for_a_free_mail_address() -> None:
    assert _fires(
        FieldEquals("email_is_free_mail", value=True),
        LeadProfile(email="jan@gmail.com"),
    )
    assert not _fires(FieldEquals("email_is_free_mail", value=True), COMPANY_LEAD)


def test_equals_false_does_not_match_the_number_zero() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", employees=0)
    assert not _fires(FieldEquals("employees", value=False), profile)


def test_in_fires_when_the_field_is_one_of_the_values() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", country="BE")
    assert _fires(FieldIn("country", ("NL", "BE")), profile)


def test_in_compares_text_case_insensitively() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", country="nl")
    assert _fires(FieldIn("country", ("NL", "BE")), profile)


def test_in_does_not_fire_for_a_value_outside_the_list() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", country="DE")
    assert not _fires(FieldIn("country", ("NL", "BE")), profile)


@pytest.mark.parametrize("employees", [10, 100, 250])
def test_range_includes_both_ends(employees: int) -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", employees=employees)
    assert _fires(FieldRange("employees", 10, 250), profile)


@pytest.mark.parametrize("employees", [9, 251])
def test_range_excludes_values_outside_min_and_max(employees: int) -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", employees=employees)
    assert not _fires(FieldRange("employees", 10, 250), profile)


def test_range_with_only_a_minimum_is_open_upwards() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", budget_euros=5_000_000)
    assert _fires(FieldRange("budget_euros", minimum=10_000), profile)


def test_range_with_only_a_maximum_is_open_downwards() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", employees=0)
    assert _fires(FieldRange("employees", maximum=9), profile)


def test_range_does_not_fire_on_an_unknown_number() -> None:
    assert not _fires(FieldRange("employees", maximum=9), COMPANY_LEAD)


def test_contains_fires_when_a_fragment_is_part_of_the_text() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", job_title="Algemeen Directeur")
    assert _fires(FieldContains("job_title", ("eigenaar", "directeur")), profile)


def test_contains_compares_case_insensitively() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", job_title="ceo")
    assert _fires(FieldContains("job_title", ("CEO",)), profile)


def test_contains_does_not_fire_without_a_fragment() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", job_title="Marketeer")
    assert not _fires(FieldContains("job_title", ("directeur",)), profile)


def test_missing_fires_for_an_unknown_field() -> None:
    assert _fires(FieldMissing("sector"), COMPANY_LEAD)


def test_missing_fires_for_an_empty_text() -> None:
    assert _fires(FieldMissing("sector"), LeadProfile(email="a@b.nl", sector=""))


def test_missing_does_not_fire_for_a_known_field() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", sector="software")
    assert not _fires(FieldMissing("sector"), profile)


def test_missing_does_not_treat_zero_as_unknown() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", employees=0)
    assert not _fires(FieldMissing("employees"), profile)


# --- event conditions -----------------------------------------------------------


def test_event_count_fires_on_one_event_of_the_type() -> None:
    events = [_event(EventType.DEMO_REQUEST, days_ago=2)]
    assert _fires(EventCount(EventType.DEMO_REQUEST), events=events)


def test_event_count_ignores_events_of_other_types() -> None:
    events = [_event(EventType.PAGE_VIEW, days_ago=2)]
    assert not _fires(EventCount(EventType.DEMO_REQUEST), events=events)


def test_event_count_needs_at_least_the_given_number() -> None:
    condition = EventCount(EventType.EMAIL_OPEN, at_least=3)
    two = [_event(EventType.EMAIL_OPEN, days_ago=d) for d in (1, 2)]
    three = [_event(EventType.EMAIL_OPEN, days_ago=d) for d in (1, 2, 3)]
    assert not _fires(condition, events=two)
    assert _fires(condition, events=three)


def test_event_count_only_counts_events_within_the_window() -> None:
    condition = EventCount(EventType.DOWNLOAD, within_days=30)
    assert not _fires(condition, events=[_event(EventType.DOWNLOAD, days_ago=31)])
    assert _fires(condition, events=[_event(EventType.DOWNLOAD, days_ago=29)])


def test_event_count_window_includes_its_last_day() -> None:
    condition = EventCount(EventType.DOWNLOAD, within_days=30)
    assert _fires(condition, events=[_event(EventType.DOWNLOAD, days_ago=30)])


def test_event_count_window_applies_to_at_least() -> None:
    condition = EventCount(EventType.EMAIL_OPEN, at_least=2, within_days=30)
    events = [
        _event(EventType.EMAIL_OPEN, days_ago=5),
        _event(EventType.EMAIL_OPEN, days_ago=45),
    ]
    assert not _fires(condition, events=events)


def test_event_count_matches_a_property_with_a_glob_pattern() -> None:
    condition = EventCount(
        EventType.PAGE_VIEW, property_name="url", property_pattern="*/prijzen*"
    )
    pricing = _event(
        EventType.PAGE_VIEW,
        days_ago=1,
        properties={"url": "https://bakker-ict.nl/prijzen/team"},
    )
    assert _fires(condition, events=[pricing])


def test_event_count_property_pattern_is_case_insensitive() -> None:
    condition = EventCount(
        EventType.PAGE_VIEW, property_name="url", property_pattern="*/prijzen*"
    )
    pricing = _event(
        EventType.PAGE_VIEW, days_ago=1, properties={"url": "https://x.nl/PRIJZEN"}
    )
    assert _fires(condition, events=[pricing])


def test_event_count_skips_events_whose_property_does_not_match() -> None:
    condition = EventCount(
        EventType.PAGE_VIEW, property_name="url", property_pattern="*/prijzen*"
    )
    events = [
        _event(EventType.PAGE_VIEW, days_ago=1, properties={"url": "https://x.nl/"}),
        _event(EventType.PAGE_VIEW, days_ago=1, properties={"title": "/prijzen"}),
        _event(EventType.PAGE_VIEW, days_ago=1, properties={"url": None}),
    ]
    assert not _fires(condition, events=events)


def test_event_count_with_a_property_and_no_pattern_needs_the_property() -> None:
    condition = EventCount(EventType.DOWNLOAD, property_name="asset")
    with_asset = _event(EventType.DOWNLOAD, days_ago=1, properties={"asset": "gids"})
    assert _fires(condition, events=[with_asset])
    assert not _fires(condition, events=[_event(EventType.DOWNLOAD, days_ago=1)])


def test_last_event_within_days_fires_after_recent_activity() -> None:
    condition = LastEventAge(within_days=7)
    assert _fires(condition, events=[_event(EventType.PAGE_VIEW, days_ago=3)])


def test_last_event_within_days_does_not_fire_after_old_activity() -> None:
    condition = LastEventAge(within_days=7)
    assert not _fires(condition, events=[_event(EventType.PAGE_VIEW, days_ago=10)])


def test_last_event_within_days_looks_at_the_most_recent_event() -> None:
    condition = LastEventAge(within_days=7)
    events = [
        _event(EventType.PAGE_VIEW, days_ago=40),
        _event(EventType.EMAIL_OPEN, days_ago=2),
    ]
    assert _fires(condition, events=events)


def test_last_event_within_days_does_not_fire_for_a_lead_without_events() -> None:
    assert not _fires(LastEventAge(within_days=7))


def test_last_event_age_only_looks_at_the_given_event_types() -> None:
    condition = LastEventAge(event_types=(EventType.EMAIL_OPEN,), within_days=7)
    assert not _fires(condition, events=[_event(EventType.PAGE_VIEW, days_ago=1)])


def test_last_event_older_than_days_fires_after_a_long_silence() -> None:
    condition = LastEventAge(older_than_days=90)
    assert _fires(condition, events=[_event(EventType.PAGE_VIEW, days_ago=100)])


def test_last_event_older_than_days_does_not_fire_after_recent_activity() -> None:
    condition = LastEventAge(older_than_days=90)
    events = [
        _event(EventType.PAGE_VIEW, days_ago=100),
        _event(EventType.PAGE_VIEW, days_ago=10),
    ]
    assert not _fires(condition, events=events)


def test_last_event_older_than_days_fires_for_a_lead_without_events() -> None:
    score = score_lead(
        COMPANY_LEAD,
        [],
        _model(_rule(LastEventAge(older_than_days=90), points=-5, name="quiet")),
        now=NOW,
    )
    assert "no activity recorded" in _hit(score, "quiet").reason


def test_a_lead_that_arrived_moments_ago_has_not_gone_quiet() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", arrived_at=NOW)
    assert not _fires(LastEventAge(older_than_days=90), profile)


def test_a_lead_without_events_goes_quiet_counted_from_its_arrival() -> None:
    condition = LastEventAge(older_than_days=90)
    arrived_89 = LeadProfile(email="j@bakker-ict.nl", arrived_at=NOW - timedelta(89))
    arrived_91 = LeadProfile(email="j@bakker-ict.nl", arrived_at=NOW - timedelta(91))
    assert not _fires(condition, arrived_89)
    assert _fires(condition, arrived_91)


def test_silence_counts_from_the_arrival_when_it_is_later_than_the_last_event() -> None:
    # Events from before the lead existed (e.g. tracked visits stitched to it).
    profile = LeadProfile(email="j@bakker-ict.nl", arrived_at=NOW - timedelta(days=5))
    old_visit = [_event(EventType.PAGE_VIEW, days_ago=200)]
    assert not _fires(LastEventAge(older_than_days=90), profile, old_visit)


def test_arrival_is_no_activity_for_last_event_within_days() -> None:
    profile = LeadProfile(email="jan@bakker-ict.nl", arrived_at=NOW)
    assert not _fires(LastEventAge(within_days=7), profile)


# --- no look-ahead --------------------------------------------------------------


def test_an_event_that_happens_after_now_does_not_count() -> None:
    events = [_event(EventType.DEMO_REQUEST, days_ago=-1)]
    assert not _fires(EventCount(EventType.DEMO_REQUEST), events=events)


def test_an_event_received_after_now_does_not_count() -> None:
    events = [_event(EventType.DEMO_REQUEST, days_ago=2, received_days_ago=-1)]
    assert not _fires(EventCount(EventType.DEMO_REQUEST), events=events)


def test_an_event_received_before_now_counts() -> None:
    events = [_event(EventType.DEMO_REQUEST, days_ago=2, received_days_ago=1)]
    assert _fires(EventCount(EventType.DEMO_REQUEST), events=events)


def test_a_future_event_does_not_make_a_lead_recently_active() -> None:
    events = [
        _event(EventType.PAGE_VIEW, days_ago=100),
        _event(EventType.PAGE_VIEW, days_ago=-1),
    ]
    assert not _fires(LastEventAge(within_days=7), events=events)
    assert _fires(LastEventAge(older_than_days=90), events=events)


def test_an_event_received_after_now_does_not_count_towards_recency() -> None:
    events = [_event(EventType.PAGE_VIEW, days_ago=1, received_days_ago=-2)]
    assert not _fires(LastEventAge(within_days=7), events=events)


# --- decay ----------------------------------------------------------------------


def _decayed_points(
    points: int, events: Sequence[Event], *, decays: bool = True
) -> int:
    rule = _rule(
        EventCount(EventType.DOWNLOAD),
        points=points,
        group=Group.INTENT,
        name="download",
        decays=decays,
    )
    model = _model(rule, caps=(0, 100, 0), half_life_days=10)
    return score_lead(COMPANY_LEAD, events, model, now=NOW).intent


def test_positive_points_fade_with_the_groups_half_life() -> None:
    assert _decayed_points(20, [_event(EventType.DOWNLOAD, days_ago=10)]) == 10
    assert _decayed_points(20, [_event(EventType.DOWNLOAD, days_ago=20)]) == 5


def test_points_of_a_fresh_event_do_not_fade() -> None:
    assert _decayed_points(20, [_event(EventType.DOWNLOAD, days_ago=0)]) == 20


def test_faded_points_are_rounded_half_up() -> None:
    assert _decayed_points(5, [_event(EventType.DOWNLOAD, days_ago=10)]) == 3


def test_decay_counts_from_the_most_recent_matching_event() -> None:
    events = [
        _event(EventType.DOWNLOAD, days_ago=30),
        _event(EventType.DOWNLOAD, days_ago=10),
        _event(EventType.PAGE_VIEW, days_ago=0),
    ]
    assert _decayed_points(20, events) == 10


def test_decay_ignores_events_that_are_not_known_yet() -> None:
    events = [
        _event(EventType.DOWNLOAD, days_ago=10),
        _event(EventType.DOWNLOAD, days_ago=1, received_days_ago=-1),
    ]
    assert _decayed_points(20, events) == 10


def test_rules_that_do_not_decay_keep_their_points() -> None:
    events = [_event(EventType.DOWNLOAD, days_ago=20)]
    assert _decayed_points(20, events, decays=False) == 20


def test_the_explanation_says_how_far_points_faded() -> None:
    rule = _rule(EventCount(EventType.DOWNLOAD), points=20, name="download")
    model = _model(rule, half_life_days=10)
    events = [_event(EventType.DOWNLOAD, days_ago=10)]
    hit = _hit(score_lead(COMPANY_LEAD, events, model, now=NOW), "download")
    assert hit.points == 10
    assert "20 points faded to 10" in hit.reason


def test_points_that_fade_to_zero_leave_no_explanation_entry() -> None:
    rule = _rule(EventCount(EventType.DOWNLOAD), points=10, name="download")
    model = _model(rule, half_life_days=10)
    events = [_event(EventType.DOWNLOAD, days_ago=200)]
    score = score_lead(COMPANY_LEAD, events, model, now=NOW)
    assert score.explanation == ()


def test_penalties_never_fade() -> None:
    fit = _rule(FieldMissing("sector"), points=30, name="fit")
    penalty = _rule(EventCount(EventType.UNSUBSCRIBE), points=-20, name="unsubscribed")
    model = _model(fit, penalty, half_life_days=10)
    events = [_event(EventType.UNSUBSCRIBE, days_ago=100)]
    score = score_lead(COMPANY_LEAD, events, model, now=NOW)
    assert _hit(score, "unsubscribed").points == -20
    assert score.fit == 10


def test_field_rules_do_not_fade() -> None:
    rule = _rule(FieldMissing("sector"), points=20, name="no_sector")
    model = _model(rule, half_life_days=1)
    events = [_event(EventType.PAGE_VIEW, days_ago=100)]
    assert score_lead(COMPANY_LEAD, events, model, now=NOW).fit == 20


def test_decay_factor_halves_per_half_life() -> None:
    assert decay_factor(0, 14) == 1.0
    assert decay_factor(14, 14) == 0.5
    assert decay_factor(28, 14) == 0.25


def test_decay_factor_never_exceeds_one() -> None:
    assert decay_factor(-3, 14) == 1.0


# --- caps and explanation -------------------------------------------------------


def test_a_group_is_clamped_to_its_cap_with_an_adjustment_entry() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=30, name="a"),
        _rule(FieldMissing("region"), points=25, name="b"),
        caps=(40, 35, 25),
    )
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert score.fit == 40
    adjustment = _hit(score, "fit_limit")
    assert adjustment.is_adjustment
    assert adjustment.points == -15
    assert adjustment.group is Group.FIT
    assert "capped at 40" in adjustment.reason


def test_a_group_never_goes_below_zero() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=5, name="a"),
        _rule(FieldMissing("region"), points=-25, name="penalty"),
    )
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert score.fit == 0
    adjustment = _hit(score, "fit_limit")
    assert adjustment.is_adjustment
    assert adjustment.points == 20
    assert "below 0" in adjustment.reason


def test_a_group_within_its_cap_has_no_adjustment_entry() -> None:
    model = _model(_rule(FieldMissing("sector"), points=30, name="a"))
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert not any(hit.is_adjustment for hit in score.explanation)


def test_penalties_in_one_group_do_not_lower_another_group() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=20, name="fit", group=Group.FIT),
        _rule(FieldMissing("region"), points=-30, name="pen", group=Group.ENGAGEMENT),
    )
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert (score.fit, score.engagement, score.total) == (20, 0, 20)


def test_the_explanation_of_each_group_adds_up_to_its_sub_score() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=30, name="a"),
        _rule(FieldMissing("region"), points=25, name="b"),
        _rule(FieldMissing("country"), points=-5, name="c"),
        _rule(EventCount(EventType.DOWNLOAD), points=20, group=Group.INTENT, name="d"),
        _rule(LastEventAge(older_than_days=5), points=-8, group=Group.ENGAGEMENT),
        half_life_days=7,
    )
    events = [_event(EventType.DOWNLOAD, days_ago=9)]
    score = score_lead(COMPANY_LEAD, events, model, now=NOW)
    for group in Group:
        entries = [hit.points for hit in score.explanation if hit.group is group]
        assert sum(entries) == score.sub_score(group)
    assert sum(hit.points for hit in score.explanation) == score.total


def test_the_total_is_the_sum_of_the_sub_scores() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=12, name="a"),
        _rule(FieldMissing("region"), points=7, group=Group.INTENT, name="b"),
        _rule(FieldMissing("phone"), points=3, group=Group.ENGAGEMENT, name="c"),
    )
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert (score.fit, score.intent, score.engagement, score.total) == (12, 7, 3, 22)


def test_each_explanation_entry_quotes_the_rule_label_and_detail() -> None:
    rule = Rule(
        "core_sector", Group.FIT, 12, FieldIn("sector", ("software",)), "Core sector"
    )
    profile = LeadProfile(email="jan@bakker-ict.nl", sector="Software")
    score = score_lead(profile, [], _model(rule), now=NOW)
    assert score.explanation == (
        RuleHit(
            "core_sector",
            Group.FIT,
            12,
            "Core sector (sector Software)",
            reason_nl="Core sector (sector software)",
        ),
    )


def test_a_rule_with_a_dutch_label_explains_itself_in_dutch_with_dutch_values() -> None:
    rule = Rule(
        "budget",
        Group.FIT,
        12,
        FieldRange("budget_euros", 2500),
        "Budget of 2,500 euros or more",
        label_nl="Budget van 2.500 euro of meer",
    )
    profile = LeadProfile(email="jan@bakker-ict.nl", budget_euros=8500)
    (hit,) = score_lead(profile, [], _model(rule), now=NOW).explanation
    assert hit.reason == "Budget of 2,500 euros or more (budget \u20ac8,500)"
    assert hit.reason_nl == "Budget van 2.500 euro of meer (budget \u20ac 8.500)"


def test_event_reasons_name_the_event_in_words_in_both_languages() -> None:
    rule = _rule(EventCount(EventType.DEMO_REQUEST, within_days=90), name="demo")
    events = [_event(EventType.DEMO_REQUEST, days_ago=2)]
    (hit,) = score_lead(COMPANY_LEAD, events, _model(rule), now=NOW).explanation
    assert hit.reason == "demo (1 demo request in the last 90 days, last 2 days ago)"
    assert hit.reason_nl == (
        "demo (1 demo-aanvraag in de afgelopen 90 dagen, laatste 2 dagen geleden)"
    )


def test_the_band_follows_the_models_thresholds() -> None:
    rule = _rule(FieldMissing("sector"), points=25)
    profile = COMPANY_LEAD
    low = _model(rule, thresholds=Thresholds(warm=10, hot=20))
    high = _model(rule, thresholds=Thresholds(warm=30, hot=60))
    assert score_lead(profile, [], low, now=NOW).band is Band.HOT
    assert score_lead(profile, [], high, now=NOW).band is Band.COLD


def test_the_score_carries_the_model_version_and_the_moment() -> None:
    model = _model(_rule(FieldMissing("sector")), version=7)
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert score.model_version == 7
    assert score.computed_at == NOW


def test_scoring_is_a_pure_function_of_its_inputs() -> None:
    model = _default_model()
    profile = LeadProfile(email="jan@bakker-ict.nl", sector="software", employees=30)
    events = [
        _event(EventType.DEMO_REQUEST, days_ago=3),
        _event(EventType.PAGE_VIEW, days_ago=1, properties={"url": "/prijzen"}),
    ]
    first = score_lead(profile, events, model, now=NOW)
    second = score_lead(profile, iter(list(events)), model, now=NOW)
    assert first == second


def test_strongest_reasons_lists_the_biggest_positive_hits_first() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=5, name="small"),
        _rule(FieldMissing("region"), points=20, name="big"),
        _rule(FieldMissing("country"), points=-10, name="penalty"),
        _rule(FieldMissing("source"), points=12, name="middle"),
        _rule(FieldMissing("job_title"), points=1, name="tiny"),
    )
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert [hit.rule for hit in score.strongest_reasons()] == ["big", "middle", "small"]


def test_strongest_reasons_leaves_out_penalties_and_adjustments() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=50, name="big"),
        _rule(FieldMissing("country"), points=-10, name="penalty"),
    )
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert [hit.rule for hit in score.strongest_reasons(5)] == ["big"]


def test_strongest_reasons_keeps_model_order_for_equal_points() -> None:
    model = _model(
        _rule(FieldMissing("sector"), points=8, name="first"),
        _rule(FieldMissing("region"), points=8, name="second"),
    )
    score = score_lead(COMPANY_LEAD, [], model, now=NOW)
    assert [hit.rule for hit in score.strongest_reasons(1)] == ["first"]


# --- the shipped default model --------------------------------------------------


def test_the_default_model_scores_a_realistic_buyer_hot() -> None:
    profile = LeadProfile(
        email="m.jansen@vandijk-logistiek.nl",
        sector="Logistiek",
        employees=85,
        budget_euros=25_000,
        urgency="within_3_months",
        job_title="Operationeel Directeur",
        country="NL",
        phone="+31 20 123 4567",
    )
    events = [
        _event(EventType.PAGE_VIEW, days_ago=6, properties={"url": "/producten/crm"}),
        _event(EventType.PAGE_VIEW, days_ago=5, properties={"url": "/prijzen"}),
        _event(EventType.EMAIL_CLICK, days_ago=4, properties={"url": "/webinar"}),
        _event(EventType.DOWNLOAD, days_ago=4, properties={"asset": "prijslijst"}),
        _event(EventType.DEMO_REQUEST, days_ago=1),
    ]
    score = score_lead(profile, events, _default_model(), now=NOW)
    assert score.band is Band.HOT
    assert score.model_version == 1
    assert score.strongest_reasons(1)[0].rule == "demo_request"


def test_the_default_model_scores_a_free_mail_student_cold() -> None:
    profile = LeadProfile(
        email="lisa2004@gmail.com", job_title="Student bedrijfskunde", country="NL"
    )
    events = [
        _event(EventType.PAGE_VIEW, days_ago=2, properties={"url": "/blog/crm-tips"})
    ]
    score = score_lead(profile, events, _default_model(), now=NOW)
    assert score.band is Band.COLD
    assert score.fit == 0
    assert {"free_mail", "student"} <= {hit.rule for hit in score.explanation}
