"""Scoring model files: the shipped model loads, anything unclear is refused.

Every refusal names where the problem is (the rule by name and position, or
the table) and the key at fault, so the person editing the file can fix it.
"""

from __future__ import annotations

from importlib import resources

import pytest

from leadqual.core.bands import Thresholds
from leadqual.core.errors import (
    InvalidScoringModel,
    OverlappingThresholds,
    UnknownRuleField,
)
from leadqual.core.events import EventType
from leadqual.core.model_file import MODEL_FILE_FORMAT, parse_scoring_model
from leadqual.core.profile import LEAD_FIELDS
from leadqual.core.scoring import (
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
)

HEADER = """\
format = 1

[model]
name = "Test model"

[bands]
warm = 40
hot = 70

[groups.fit]
cap = 40

[groups.intent]
cap = 35
half_life_days = 30

[groups.engagement]
cap = 25
half_life_days = 14
"""

GOOD_RULE = """
[[rules]]
name = "core_sector"
group = "fit"
points = 12
when = { field = "sector", equals = "software" }
"""


def _model_text(*rules: str, header: str = HEADER) -> str:
    return header + "".join(rules)


def _refusal(text: str) -> str:
    with pytest.raises(InvalidScoringModel) as caught:
        parse_scoring_model(text)
    return caught.value.message


def _second_rule(body: str) -> str:
    """A file whose second rule (rules[1]) is named "broken" and has ``body``."""
    return _model_text(GOOD_RULE, f'\n[[rules]]\nname = "broken"\n{body}\n')


# --- files that load ------------------------------------------------------------


def test_the_shipped_default_model_parses() -> None:
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    model = parse_scoring_model(source, version=3)
    assert model.name == "B2B software supplier"
    assert model.version == 3
    assert model.thresholds == Thresholds(warm=40, hot=70)
    assert sum(settings.cap for settings in model.groups.values()) == 100
    assert {rule.group for rule in model.rules} == set(Group) - {Group.AI}
    # No predictive model feeds the default: the ai group gives nothing.
    assert model.groups[Group.AI].cap == 0
    assert len(model.rules) > 20


def test_a_minimal_file_parses_into_groups_thresholds_and_rules() -> None:
    model = parse_scoring_model(_model_text(GOOD_RULE))
    assert model.groups[Group.INTENT] == GroupSettings(35, 30.0)
    assert model.groups[Group.FIT] == GroupSettings(40, None)
    assert model.rules == (
        Rule(
            "core_sector",
            Group.FIT,
            12,
            FieldEquals("sector", "software"),
            "core_sector",
        ),
    )


def test_every_condition_kind_parses() -> None:
    rules = [
        '{ field = "country", in = ["NL", "BE"] }',
        '{ field = "employees", min = 10, max = 250 }',
        '{ field = "job_title", contains = ["ceo", "directeur"] }',
        '{ field = "job_title", contains = "ceo" }',
        '{ field = "sector", missing = true }',
        '{ field = "email_is_free_mail", equals = true }',
        '{ event = "page_view", property = "url", matches = "*/prijzen*", '
        "at_least = 3, within_days = 30 }",
        '{ last_event_within_days = 7, event_types = ["email_open"] }',
        "{ last_event_older_than_days = 90 }",
    ]
    text = _model_text(
        *(
            f'\n[[rules]]\nname = "r{i}"\ngroup = "fit"\npoints = 1\nwhen = {when}\n'
            for i, when in enumerate(rules)
        )
    )
    conditions = [rule.condition for rule in parse_scoring_model(text).rules]
    assert conditions == [
        FieldIn("country", ("NL", "BE")),
        FieldRange("employees", 10.0, 250.0),
        FieldContains("job_title", ("ceo", "directeur")),
        FieldContains("job_title", ("ceo",)),
        FieldMissing("sector"),
        FieldEquals("email_is_free_mail", value=True),
        EventCount(EventType.PAGE_VIEW, 3, 30.0, "url", "*/prijzen*"),
        LastEventAge((EventType.EMAIL_OPEN,), 7.0, None),
        LastEventAge((), None, 90.0),
    ]


def test_label_and_decays_are_read_from_the_rule() -> None:
    text = _second_rule(
        'group = "intent"\npoints = 5\nlabel = "Downloaded"\ndecays = false\n'
        'when = { event = "download" }'
    )
    rule = parse_scoring_model(text).rules[1]
    assert (rule.label, rule.decays) == ("Downloaded", False)


def test_a_dutch_label_is_read_and_is_optional() -> None:
    text = _second_rule(
        'group = "intent"\npoints = 5\nlabel = "Downloaded"\n'
        'label_nl = "Downloadde iets"\nwhen = { event = "download" }'
    )
    first, second = parse_scoring_model(text).rules
    assert second.label_nl == "Downloadde iets"
    assert first.label_nl == ""  # Dutch pages fall back to the English label


def test_every_rule_of_the_shipped_model_has_a_dutch_label() -> None:
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    rules = parse_scoring_model(source).rules
    assert [rule.name for rule in rules if not rule.label_nl] == []


def test_an_empty_dutch_label_is_refused_naming_the_rule() -> None:
    message = _refusal(
        _second_rule(
            'group = "fit"\npoints = 5\nlabel_nl = " "\n'
            'when = { field = "sector", equals = "bouw" }'
        )
    )
    assert message.startswith(
        'Rule "broken" (rules[1]), label_nl: expected a non-empty'
    )


# --- files that are refused -----------------------------------------------------


def test_a_toml_syntax_error_is_refused_with_its_line() -> None:
    message = _refusal(_model_text(GOOD_RULE) + "\n[[rules]\nname = 'x'\n")
    assert "not valid TOML" in message
    assert "line" in message


def test_an_unknown_top_level_key_is_refused() -> None:
    message = _refusal("threshold = 50\n" + _model_text(GOOD_RULE))
    assert 'unknown key "threshold"' in message
    assert "bands" in message


def test_a_misspelt_rule_key_is_refused_naming_rule_and_key() -> None:
    message = _refusal(
        _second_rule(
            'group = "fit"\npionts = 5\nwhen = { field = "sector", missing = true }'
        )
    )
    assert 'Rule "broken" (rules[1])' in message
    assert 'unknown key "pionts"' in message
    assert "points" in message


def test_a_rule_without_points_is_refused() -> None:
    message = _refusal(
        _second_rule('group = "fit"\nwhen = { field = "sector", missing = true }')
    )
    assert 'Rule "broken" (rules[1])' in message
    assert 'the key "points" is missing' in message


def test_a_rule_without_a_name_is_named_by_its_position() -> None:
    text = _model_text(
        GOOD_RULE,
        '\n[[rules]]\ngroup = "fit"\npoints = 1\n'
        'when = { field = "sector", missing = true }\n',
    )
    message = _refusal(text)
    assert "rules[1]" in message
    assert 'the key "name" is missing' in message


@pytest.mark.parametrize("points", ['"ten"', "2.5", "true"])
def test_points_that_are_not_a_whole_number_are_refused(points: str) -> None:
    message = _refusal(
        _second_rule(
            f'group = "fit"\npoints = {points}\n'
            'when = { field = "sector", missing = true }'
        )
    )
    assert 'Rule "broken" (rules[1]), points' in message
    assert "whole number" in message


def test_an_unknown_group_is_refused_listing_the_groups() -> None:
    message = _refusal(
        _second_rule(
            'group = "fitness"\npoints = 5\nwhen = { field = "sector", missing = true }'
        )
    )
    assert 'Rule "broken" (rules[1]), group' in message
    assert '"fitness" is not a group' in message
    assert "fit, intent, engagement" in message


def test_an_unknown_lead_field_is_refused_listing_the_known_fields() -> None:
    with pytest.raises(UnknownRuleField) as caught:
        parse_scoring_model(
            _second_rule(
                'group = "fit"\npoints = 5\n'
                'when = { field = "industry", equals = "ict" }'
            )
        )
    message = caught.value.message
    assert 'Rule "broken" (rules[1]), when.field' in message
    assert '"industry" is not a lead field' in message
    for field in LEAD_FIELDS:
        assert field in message


def test_an_unknown_event_type_is_refused_listing_the_types() -> None:
    message = _refusal(
        _second_rule('group = "intent"\npoints = 5\nwhen = { event = "pageview" }')
    )
    assert 'Rule "broken" (rules[1]), when.event' in message
    assert '"pageview" is not an event type' in message
    assert "page_view" in message


def test_an_unknown_event_type_in_a_recency_rule_is_refused() -> None:
    message = _refusal(
        _second_rule(
            'group = "engagement"\npoints = 5\n'
            'when = { last_event_within_days = 7, event_types = ["mail_open"] }'
        )
    )
    assert 'Rule "broken" (rules[1]), when.event_types' in message
    assert '"mail_open"' in message


def test_a_range_with_min_above_max_is_refused() -> None:
    message = _refusal(
        _second_rule(
            'group = "fit"\npoints = 5\n'
            'when = { field = "employees", min = 250, max = 10 }'
        )
    )
    assert 'Rule "broken" (rules[1])' in message
    assert "min 250 is above max 10" in message


def test_a_range_on_a_text_field_is_refused() -> None:
    message = _refusal(
        _second_rule('group = "fit"\npoints = 5\nwhen = { field = "sector", min = 10 }')
    )
    assert 'Rule "broken" (rules[1]), when.min' in message
    assert '"sector" is not a number' in message


def test_contains_on_a_number_field_is_refused() -> None:
    message = _refusal(
        _second_rule(
            'group = "fit"\npoints = 5\nwhen = { field = "employees", contains = "1" }'
        )
    )
    assert 'Rule "broken" (rules[1]), when.contains' in message
    assert '"employees" is not text' in message


def test_two_tests_in_one_rule_are_refused() -> None:
    message = _refusal(
        _second_rule(
            'group = "fit"\npoints = 5\n'
            'when = { field = "sector", equals = "ict", in = ["ict", "software"] }'
        )
    )
    assert 'Rule "broken" (rules[1]), when' in message
    assert "one test per rule" in message
    assert "equals and in" in message


def test_matches_without_property_is_refused() -> None:
    message = _refusal(
        _second_rule(
            'group = "intent"\npoints = 5\n'
            'when = { event = "page_view", matches = "*/prijzen*" }'
        )
    )
    assert 'Rule "broken" (rules[1]), when.matches' in message
    assert 'property = "url"' in message


def test_an_unknown_key_in_an_event_condition_is_refused() -> None:
    message = _refusal(
        _second_rule(
            'group = "intent"\npoints = 5\nwhen = { event = "download", within = 30 }'
        )
    )
    assert 'Rule "broken" (rules[1]), when' in message
    assert 'unknown key "within"' in message


def test_a_condition_that_tests_nothing_is_refused() -> None:
    message = _refusal(_second_rule('group = "fit"\npoints = 5\nwhen = { value = 3 }'))
    assert 'Rule "broken" (rules[1]), when' in message
    assert "say what the rule tests" in message


def test_duplicate_rule_names_are_refused_naming_both_positions() -> None:
    message = _refusal(_model_text(GOOD_RULE, GOOD_RULE))
    assert '"core_sector"' in message
    assert "rules[0]" in message
    assert "rules[1]" in message


def test_caps_that_do_not_add_up_to_100_are_refused() -> None:
    header = HEADER.replace("cap = 40", "cap = 50")
    message = _refusal(_model_text(GOOD_RULE, header=header))
    assert "add up to 100" in message
    assert "fit 50, intent 35, engagement 25" in message
    assert "110" in message


@pytest.mark.parametrize(("warm", "hot"), [(70, 70), (80, 60)])
def test_warm_at_or_above_hot_is_refused(warm: int, hot: int) -> None:
    header = HEADER.replace("warm = 40", f"warm = {warm}").replace(
        "hot = 70", f"hot = {hot}"
    )
    with pytest.raises(OverlappingThresholds) as caught:
        parse_scoring_model(_model_text(GOOD_RULE, header=header))
    assert "[bands]" in caught.value.message
    assert f"warm={warm} and hot={hot}" in caught.value.message


def test_a_file_without_groups_is_refused() -> None:
    header = HEADER.split("[groups.fit]")[0]
    message = _refusal(_model_text(GOOD_RULE, header=header))
    assert "no [groups]" in message


def test_a_group_without_a_cap_is_refused() -> None:
    header = HEADER.replace("[groups.intent]\ncap = 35\n", "[groups.intent]\n")
    message = _refusal(_model_text(GOOD_RULE, header=header))
    assert "[groups.intent]" in message
    assert '"cap" is missing' in message


def test_a_missing_group_is_refused() -> None:
    header = HEADER.split("[groups.engagement]")[0]
    message = _refusal(_model_text(GOOD_RULE, header=header))
    assert "[groups.engagement] is missing" in message


def test_a_file_without_rules_is_refused() -> None:
    message = _refusal(HEADER)
    assert "no rules" in message
    assert "[[rules]]" in message


def test_an_unsupported_format_version_is_refused() -> None:
    message = _refusal(_model_text(GOOD_RULE).replace("format = 1", "format = 2"))
    assert "format = 2 is not supported" in message
    assert f"format {MODEL_FILE_FORMAT}" in message


def test_a_half_life_of_zero_is_refused() -> None:
    header = HEADER.replace("half_life_days = 30", "half_life_days = 0")
    message = _refusal(_model_text(GOOD_RULE, header=header))
    assert "[groups.intent] half_life_days" in message
    assert "above 0" in message


def test_a_boolean_format_is_not_taken_for_format_1() -> None:
    message = _refusal(_model_text(GOOD_RULE).replace("format = 1", "format = true"))
    assert "format = True is not supported" in message
