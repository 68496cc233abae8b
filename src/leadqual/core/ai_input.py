"""The predictive model's probability as one more, visible, scoring input (#14).

The probability never replaces the rules. It reaches the score the way every
other fact does: as a lead field (``ai_probability``, whole percent 0-100)
that ordinary rules in their own group, ``ai``, test with ``min``/``max``.
Their points show in every explanation like any rule's, the group has its own
cap, and a person approves the predictive model before any lead gets a
probability. ``with_ai_group`` writes that group into a scoring model file:
the caps of fit, intent and engagement shrink in proportion so that all caps
still add up to 100.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from leadqual.core.errors import InvalidScoringModel
from leadqual.core.model_file import parse_scoring_model, rule_toml
from leadqual.core.scoring import TOTAL_MAX, FieldRange, Group, Rule, ScoringModel

AI_FIELD = "ai_probability"
DEFAULT_AI_CAP = 15

_GROUP_HEADER = re.compile(r"^\s*\[groups\.(\w+)\]\s*(#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_CAP_LINE = re.compile(r"^(\s*cap\s*=\s*)(\d+)(.*)$")


def ai_rules(cap: int = DEFAULT_AI_CAP) -> tuple[Rule, ...]:
    """The ai group's rules: more points for a higher predicted chance.

    The highest band gives the whole cap; the others a third and two thirds.
    Bands are in percent, as the field is.
    """
    return (
        Rule(
            "ai_very_likely",
            Group.AI,
            cap,
            FieldRange(AI_FIELD, minimum=50.0),
            "The predictive model gives a high chance of conversion (50% or more)",
            label_nl=(
                "Het voorspellende model geeft een hoge kans op conversie (50% of meer)"
            ),
        ),
        Rule(
            "ai_likely",
            Group.AI,
            round(cap * 2 / 3),
            FieldRange(AI_FIELD, minimum=30.0, maximum=49.0),
            "The predictive model gives a fair chance of conversion (30-49%)",
            label_nl=(
                "Het voorspellende model geeft een redelijke kans op conversie (30-49%)"
            ),
        ),
        Rule(
            "ai_possible",
            Group.AI,
            round(cap / 3),
            FieldRange(AI_FIELD, minimum=15.0, maximum=29.0),
            "The predictive model gives some chance of conversion (15-29%)",
            label_nl=("Het voorspellende model geeft enige kans op conversie (15-29%)"),
        ),
    )


def has_ai_input(model: ScoringModel) -> bool:
    """True when the model gives the ai group points: a cap and a rule in it."""
    return model.groups[Group.AI].cap > 0 and any(
        rule.group is Group.AI for rule in model.rules
    )


def shrunk_caps(model: ScoringModel, ai_cap: int) -> dict[Group, int]:
    """The caps of the other groups scaled to leave ``ai_cap`` for the ai group.

    Whole points by the largest remainder, so they add up to exactly
    ``TOTAL_MAX - ai_cap``; the ai group gets ``ai_cap``.
    """
    others: list[Group] = [group for group in Group if group is not Group.AI]
    current = {group: model.groups[group].cap for group in others}
    room = TOTAL_MAX - ai_cap
    total = sum(current.values())
    exact = {group: current[group] * room / total for group in others}
    caps: dict[Group, int] = {group: int(exact[group]) for group in others}
    left = room - sum(caps.values())
    for group in sorted(others, key=lambda g: (caps[g] - exact[g], others.index(g)))[
        :left
    ]:
        caps[group] += 1
    caps[Group.AI] = ai_cap
    return caps


def with_ai_group(
    source: str, *, cap: int = DEFAULT_AI_CAP, rules: Sequence[Rule] | None = None
) -> str:
    """The model file ``source`` with an ai group of ``cap`` points and its rules.

    Only the ``cap`` lines of the other groups change; ``[groups.ai]`` goes
    after the last group and the rules at the end, so the diff reads as the
    change. Raises InvalidScoringModel when the file already has an ai group,
    when ``cap`` is not within 1..99, or when its caps are not written as
    ``[groups.<name>]`` tables with a ``cap = N`` line.
    """
    if not 0 < cap < TOTAL_MAX:
        raise InvalidScoringModel(
            f"The ai group's cap must be between 1 and {TOTAL_MAX - 1}, got {cap}."
        )
    model = parse_scoring_model(source)
    if model.groups[Group.AI].cap > 0 or any(r.group is Group.AI for r in model.rules):
        raise InvalidScoringModel(
            "The scoring model already has an ai group; change its points by hand."
        )
    caps = shrunk_caps(model, cap)
    lines = source.splitlines(keepends=True)
    section = ""
    last_group_line: int | None = None
    edited: set[str] = set()
    for number, line in enumerate(lines):
        header = _GROUP_HEADER.match(line)
        if header:
            section = header.group(1)
            last_group_line = number
            continue
        if _TABLE_HEADER.match(line):
            section = ""
            continue
        if section and section in {group.value for group in caps}:
            # Blank and comment lines may belong to what follows the groups.
            if line.strip() and not line.lstrip().startswith("#"):
                last_group_line = number
            match = _CAP_LINE.match(line.rstrip("\n"))
            if match:
                ending = "\n" if line.endswith("\n") else ""
                new_cap = caps[Group(section)]
                lines[number] = f"{match.group(1)}{new_cap}{match.group(3)}{ending}"
                edited.add(section)
    expected = {group.value for group in caps if group is not Group.AI}
    if edited != expected or last_group_line is None:
        raise InvalidScoringModel(
            "The ai group could not be added to this model file: write the groups as "
            "[groups.fit], [groups.intent] and [groups.engagement] tables with a "
            '"cap = N" line each, as the default model does.'
        )
    group_block = (
        "\n# The predictive model's probability, one more input (docs/predictive.md).\n"
        f"[groups.ai]\ncap = {cap}\n"
    )
    lines.insert(last_group_line + 1, group_block)
    text = "".join(lines).rstrip("\n") + "\n\n"
    text += (
        "# --- ai: the approved predictive model's chance of conversion -----------\n\n"
    )
    text += "\n".join(rule_toml(rule) for rule in (rules or ai_rules(cap)))
    result = parse_scoring_model(text)
    if {group: result.groups[group].cap for group in Group} != caps:
        raise InvalidScoringModel(
            "The ai group could not be added to this model file: its caps did not "
            "come out as planned. Add the [groups.ai] table by hand."
        )
    return text
