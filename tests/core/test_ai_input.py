"""The predictive model's probability enters the score as its own group."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest

from leadqual.core.ai_input import has_ai_input, shrunk_caps, with_ai_group
from leadqual.core.errors import InvalidScoringModel
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import LeadProfile
from leadqual.core.scoring import Group, score_lead

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _default_source() -> str:
    return (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )


def test_a_model_without_the_ai_group_scores_nothing_in_it() -> None:
    model = parse_scoring_model(_default_source())
    profile = LeadProfile(email="a@bakkerij.nl", ai_probability=90)
    score = score_lead(profile, (), model, now=NOW)
    assert score.ai == 0
    assert not has_ai_input(model)
    assert all(hit.group is not Group.AI for hit in score.explanation)


def test_the_ai_group_takes_its_cap_from_the_others_in_proportion() -> None:
    model = parse_scoring_model(with_ai_group(_default_source(), cap=15))
    caps = {group: settings.cap for group, settings in model.groups.items()}
    assert caps == {
        Group.FIT: 34,
        Group.INTENT: 30,
        Group.ENGAGEMENT: 21,
        Group.AI: 15,
    }
    assert sum(caps.values()) == 100
    assert has_ai_input(model)


def test_the_old_rules_keep_their_points_when_the_ai_group_is_added() -> None:
    before = parse_scoring_model(_default_source())
    after = parse_scoring_model(with_ai_group(_default_source()))
    old = {rule.name: rule.points for rule in before.rules}
    assert {r.name: r.points for r in after.rules if r.name in old} == old


@pytest.mark.parametrize(
    ("probability", "points", "rule"),
    [
        (80, 15, "ai_very_likely"),
        (50, 15, "ai_very_likely"),
        (35, 10, "ai_likely"),
        (20, 5, "ai_possible"),
        (3, 0, None),
        (None, 0, None),
    ],
)
def test_the_probability_gives_points_in_the_ai_group_with_its_reason(
    probability: int | None, points: int, rule: str | None
) -> None:
    model = parse_scoring_model(with_ai_group(_default_source()))
    profile = LeadProfile(email="a@bakkerij.nl", ai_probability=probability)
    score = score_lead(profile, (), model, now=NOW)
    assert score.ai == points
    assert score.sub_score(Group.AI) == points
    hits = [hit for hit in score.explanation if hit.group is Group.AI]
    if rule is None:
        assert hits == []
        return
    (hit,) = hits
    assert hit.rule == rule
    assert f"predicted chance {probability}%" in hit.reason
    assert f"voorspelde kans {probability}%" in hit.reason_nl
    assert score.total == score.fit + score.intent + score.engagement + score.ai


def test_a_file_with_an_ai_group_already_is_refused() -> None:
    once = with_ai_group(_default_source())
    with pytest.raises(InvalidScoringModel, match="already has an ai group"):
        with_ai_group(once)


@pytest.mark.parametrize("cap", [0, 100, -5])
def test_a_cap_outside_1_to_99_is_refused(cap: int) -> None:
    with pytest.raises(InvalidScoringModel, match="between 1 and 99"):
        with_ai_group(_default_source(), cap=cap)


def test_caps_written_inline_cannot_be_edited_and_say_so() -> None:
    source = """
groups = { fit = { cap = 40 }, intent = { cap = 35 }, engagement = { cap = 25 } }
[[rules]]
name = "a"
group = "fit"
points = 5
when = { field = "employees", min = 5 }
"""
    with pytest.raises(InvalidScoringModel, match=r"\[groups.fit\]"):
        with_ai_group(source)


def test_shrunk_caps_always_add_up_to_100() -> None:
    model = parse_scoring_model(_default_source())
    for cap in range(1, 100):
        assert sum(shrunk_caps(model, cap).values()) == 100
