"""Writing a proposal's points back into its model file, comments kept."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

import pytest

from leadqual.core.bands import Thresholds
from leadqual.core.errors import InvalidScoringModel
from leadqual.core.events import EventType
from leadqual.core.model_file import (
    parse_scoring_model,
    with_changes,
    with_typed_thresholds,
)
from leadqual.core.scoring import EventCount, FieldEquals, FieldRange, Group, Rule

SOURCE = (
    resources.files("leadqual.scoring.model_files")
    .joinpath("b2b_software.toml")
    .read_text("utf-8")
)


def test_changed_points_and_threshold_are_written_in_place() -> None:
    model = parse_scoring_model(SOURCE)
    rules = tuple(
        replace(rule, points=17) if rule.name == "sector_core" else rule
        for rule in model.rules
    )
    changed = replace(model, rules=rules, thresholds=Thresholds(warm=40, hot=62))

    text = with_changes(SOURCE, changed)

    changed_lines = [
        (before, after)
        for before, after in zip(SOURCE.splitlines(), text.splitlines(), strict=True)
        if before != after
    ]
    assert changed_lines == [
        (
            "hot = 70    # from here: sales calls within 24 hours",
            "hot = 62    # from here: sales calls within 24 hours",
        ),
        ("points = 12", "points = 17"),
    ]
    reread = parse_scoring_model(text)
    assert {r.name: r.points for r in reread.rules}["sector_core"] == 17
    assert {r.name: r.points for r in reread.rules}["budget_serious"] == 12


def test_new_rules_are_appended_as_tables() -> None:
    model = parse_scoring_model(SOURCE)
    new = (
        Rule("candidate_country_be", Group.FIT, -6, FieldEquals("country", "be"),
             'country is "be"', decays=False),
        Rule("candidate_chat_recent", Group.INTENT, 4,
             EventCount(EventType.CHAT, within_days=30.0), "chat", decays=False),
    )  # fmt: skip
    changed = replace(model, rules=model.rules + new)

    text = with_changes(SOURCE, changed, new_rules_comment="Proposed by the optimiser")

    reread = parse_scoring_model(text)
    assert reread.rules[-2:] == new
    assert "# Proposed by the optimiser" in text


def test_a_range_rule_with_whole_number_bounds_is_written_back() -> None:
    # The optimiser's candidate ranges come from lead fields, as ints.
    model = parse_scoring_model(SOURCE)
    new = (
        Rule("candidate_employees_10_49", Group.FIT, 5,
             FieldRange("employees", 10, 49), "employees 10-49", decays=False),
        Rule("candidate_employees_50_up", Group.FIT, 3,
             FieldRange("employees", 50, None), "employees 50+", decays=False),
    )  # fmt: skip

    text = with_changes(SOURCE, replace(model, rules=model.rules + new))

    reread = parse_scoring_model(text)
    assert reread.rules[-2:] == new
    assert 'when = { field = "employees", min = 10, max = 49 }' in text


def test_a_model_written_as_an_inline_array_is_refused_with_advice() -> None:
    inline = (
        "format = 1\n"
        'rules = [{ name = "a", group = "fit", points = 5, when = { field = "sector", '
        'equals = "software" } }]\n'
        "[groups.fit]\ncap = 40\n[groups.intent]\ncap = 35\n"
        "[groups.engagement]\ncap = 25\n"
    )
    model = parse_scoring_model(inline)
    changed = replace(model, rules=(replace(model.rules[0], points=9),))

    with pytest.raises(InvalidScoringModel, match=r"\[\[rules\]\] tables"):
        with_changes(inline, changed)


def test_typed_thresholds_are_written_into_the_bands_table() -> None:
    text = with_typed_thresholds(SOURCE, {"warm": " 45 ", "hot": "72"})

    assert parse_scoring_model(text).thresholds == Thresholds(warm=45, hot=72)
    assert "warm = 45   # from here: marketing nurture" in text
    assert len(text.splitlines()) == len(SOURCE.splitlines())


def test_a_threshold_the_file_lacks_is_added_to_its_bands() -> None:
    source = SOURCE.replace(
        "[bands]\nwarm = 40   # from here: marketing nurture\n"
        "hot = 70    # from here: sales calls within 24 hours\n",
        "",
    )
    assert "[bands]" not in source

    text = with_typed_thresholds(source, {"hot": "65"})

    assert parse_scoring_model(text).thresholds == Thresholds(warm=40, hot=65)


@pytest.mark.parametrize(
    ("typed", "fields"),
    [
        ({"warm": "4O", "hot": "70"}, {"warm"}),
        ({"warm": "40", "hot": "70.5"}, {"hot"}),
        ({"warm": "40", "hot": "70\nwarm = 1"}, {"hot"}),
        ({"warm": "true", "hot": "70"}, {"warm"}),
        ({"warm": "0", "hot": "70"}, {"warm"}),
        ({"warm": "40", "hot": "101"}, {"hot"}),
        ({"warm": "70", "hot": "70"}, {"warm", "hot"}),
        ({"cold": "10"}, {"cold"}),
    ],
)
def test_bad_thresholds_are_refused_per_field(
    typed: dict[str, str], fields: set[str]
) -> None:
    with pytest.raises(InvalidScoringModel) as caught:
        with_typed_thresholds(SOURCE, typed)

    assert set(caught.value.fields) == fields
