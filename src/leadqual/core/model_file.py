"""Read a scoring model from its TOML file, refusing anything unclear.

The file format (``MODEL_FILE_FORMAT``) is documented in
``docs/scoring-model.md``; the default model is
``leadqual/scoring/model_files/b2b_software.toml``. Every error names the rule (by
name and position) and the key that is wrong, and quotes the bad value.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Final

from leadqual.core.bands import Thresholds
from leadqual.core.errors import (
    InvalidScoringModel,
    OverlappingThresholds,
    UnknownRuleField,
)
from leadqual.core.events import EventType
from leadqual.core.profile import LEAD_FIELDS, FieldKind
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
    SlaSettings,
)

MODEL_FILE_FORMAT: Final = 1  # 1: first format (groups, rules, bands)

_TOP_KEYS = {"format", "model", "bands", "groups", "rules", "sla"}
_RULE_KEYS = {"name", "group", "points", "label", "label_nl", "when", "decays"}
_FIELD_OPERATORS = {"equals", "in", "min", "max", "contains", "missing"}
_EVENT_KEYS = {"event", "at_least", "within_days", "property", "matches"}
_RECENCY_KEYS = {"last_event_within_days", "last_event_older_than_days", "event_types"}

TomlTable = Mapping[str, object]


def _quote(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _check_keys(table: TomlTable, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InvalidScoringModel(
            f'{where}: unknown key "{unknown[0]}". Known keys: {", ".join(sorted(allowed))}.'
        )


def _table(value: object, where: str) -> TomlTable:
    if not isinstance(value, dict):
        raise InvalidScoringModel(f"{where}: expected a table, got {_quote(value)}.")
    return value


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidScoringModel(
            f"{where}: expected a whole number, got {_quote(value)}."
        )
    return value


def _number(value: object, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidScoringModel(f"{where}: expected a number, got {_quote(value)}.")
    if positive and value <= 0:
        raise InvalidScoringModel(
            f"{where}: expected a number above 0, got {_quote(value)}."
        )
    return float(value)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidScoringModel(
            f"{where}: expected a non-empty text, got {_quote(value)}."
        )
    return value.strip()


def _event_type(value: object, where: str) -> EventType:
    try:
        return EventType(_text(value, where))
    except ValueError:
        known = ", ".join(event_type.value for event_type in EventType)
        raise InvalidScoringModel(
            f"{where}: {_quote(value)} is not an event type. Known types: {known}."
        ) from None


def _parse_field_condition(when: TomlTable, where: str) -> Condition:
    field = _text(when["field"], f"{where}.field")
    if field not in LEAD_FIELDS:
        raise UnknownRuleField(
            f'{where}.field: "{field}" is not a lead field. '
            f"Known fields: {', '.join(LEAD_FIELDS)}."
        )
    kind = LEAD_FIELDS[field]
    _check_keys(when, {"field"} | _FIELD_OPERATORS, where)
    operators = sorted(set(when) & _FIELD_OPERATORS)
    if not operators:
        raise InvalidScoringModel(
            f'{where}: a condition on field "{field}" needs one of '
            f"{', '.join(sorted(_FIELD_OPERATORS))}."
        )
    if operators != ["max", "min"] and len(operators) > 1:
        raise InvalidScoringModel(
            f"{where}: use one test per rule, but found {' and '.join(operators)}. "
            "Split it into two rules."
        )
    operator = operators[0]
    if operator in ("min", "max"):
        if kind is not FieldKind.NUMBER:
            raise InvalidScoringModel(
                f'{where}.{operator}: field "{field}" is not a number.'
            )
        minimum = _number(when["min"], f"{where}.min") if "min" in when else None
        maximum = _number(when["max"], f"{where}.max") if "max" in when else None
        if minimum is not None and maximum is not None and minimum > maximum:
            raise InvalidScoringModel(
                f"{where}: min {minimum:g} is above max {maximum:g}."
            )
        return FieldRange(field, minimum, maximum)
    if operator == "missing":
        if when["missing"] is not True:
            raise InvalidScoringModel(
                f"{where}.missing: the only accepted value is true."
            )
        return FieldMissing(field)
    if operator == "contains":
        raw = when["contains"]
        fragments = raw if isinstance(raw, list) else [raw]
        if kind is not FieldKind.TEXT:
            raise InvalidScoringModel(f'{where}.contains: field "{field}" is not text.')
        return FieldContains(
            field, tuple(_text(f, f"{where}.contains") for f in fragments)
        )
    if operator == "in":
        raw = when["in"]
        if not isinstance(raw, list) or not raw:
            raise InvalidScoringModel(
                f"{where}.in: expected a non-empty list of values, got {_quote(raw)}."
            )
        return FieldIn(
            field, tuple(_field_value(v, kind, field, f"{where}.in") for v in raw)
        )
    value = _field_value(when["equals"], kind, field, f"{where}.equals")
    return FieldEquals(field, value)


def _field_value(value: object, kind: FieldKind, field: str, where: str) -> str | int:
    if kind is FieldKind.BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidScoringModel(
                f'{where}: field "{field}" is true or false, got {_quote(value)}.'
            )
        return value
    if kind is FieldKind.NUMBER:
        return _integer(value, where)
    return _text(value, where)


def _parse_event_condition(when: TomlTable, where: str) -> Condition:
    _check_keys(when, _EVENT_KEYS, where)
    event_type = _event_type(when["event"], f"{where}.event")
    at_least = _integer(when.get("at_least", 1), f"{where}.at_least")
    if at_least < 1:
        raise InvalidScoringModel(
            f"{where}.at_least: expected 1 or more, got {at_least}."
        )
    within = (
        _number(when["within_days"], f"{where}.within_days", positive=True)
        if "within_days" in when
        else None
    )
    property_name = (
        _text(when["property"], f"{where}.property") if "property" in when else None
    )
    pattern = _text(when["matches"], f"{where}.matches") if "matches" in when else None
    if pattern is not None and property_name is None:
        raise InvalidScoringModel(
            f'{where}.matches: say which property to match, e.g. property = "url".'
        )
    return EventCount(event_type, at_least, within, property_name, pattern)


def _parse_recency_condition(when: TomlTable, where: str) -> Condition:
    _check_keys(when, _RECENCY_KEYS, where)
    raw_types = when.get("event_types", [])
    if not isinstance(raw_types, list):
        raise InvalidScoringModel(
            f"{where}.event_types: expected a list, got {_quote(raw_types)}."
        )
    types = tuple(_event_type(value, f"{where}.event_types") for value in raw_types)
    within = (
        _number(
            when["last_event_within_days"],
            f"{where}.last_event_within_days",
            positive=True,
        )
        if "last_event_within_days" in when
        else None
    )
    older = (
        _number(
            when["last_event_older_than_days"],
            f"{where}.last_event_older_than_days",
            positive=True,
        )
        if "last_event_older_than_days" in when
        else None
    )
    if within is None and older is None:
        raise InvalidScoringModel(
            f"{where}: give last_event_within_days or last_event_older_than_days."
        )
    return LastEventAge(types, within, older)


def _parse_condition(value: object, where: str) -> Condition:
    when = _table(value, where)
    if "field" in when:
        return _parse_field_condition(when, where)
    if "event" in when:
        return _parse_event_condition(when, where)
    if set(when) & {"last_event_within_days", "last_event_older_than_days"}:
        return _parse_recency_condition(when, where)
    raise InvalidScoringModel(
        f'{where}: say what the rule tests: a lead "field", an "event", or '
        '"last_event_within_days" / "last_event_older_than_days".'
    )


def _parse_rule(value: object, index: int) -> Rule:
    position = f"rules[{index}]"
    table = _table(value, position)
    name = table.get("name")
    where = (
        f'Rule "{name}" ({position})' if isinstance(name, str) and name else position
    )
    _check_keys(table, _RULE_KEYS, where)
    for required in ("name", "group", "points", "when"):
        if required not in table:
            raise InvalidScoringModel(f'{where}: the key "{required}" is missing.')
    rule_name = _text(table["name"], f"{where}, name")
    try:
        group = Group(_text(table["group"], f"{where}, group"))
    except ValueError:
        raise InvalidScoringModel(
            f"{where}, group: {_quote(table['group'])} is not a group. "
            f"Use one of {', '.join(g.value for g in Group)}."
        ) from None
    points = _integer(table["points"], f"{where}, points")
    condition = _parse_condition(table["when"], f"{where}, when")
    label = _text(table.get("label", rule_name), f"{where}, label")
    # Optional: a model without Dutch labels shows the English one in Dutch.
    label_nl = (
        _text(table["label_nl"], f"{where}, label_nl") if "label_nl" in table else ""
    )
    decays = table.get("decays", True)
    if not isinstance(decays, bool):
        raise InvalidScoringModel(
            f"{where}, decays: expected true or false, got {_quote(decays)}."
        )
    return Rule(rule_name, group, points, condition, label, decays, label_nl)


def _parse_groups(value: object) -> dict[Group, GroupSettings]:
    table = _table(value, "[groups]")
    _check_keys(table, {g.value for g in Group}, "[groups]")
    groups: dict[Group, GroupSettings] = {}
    for group in Group:
        if group is Group.AI and group.value not in table:
            # Optional: only a model that takes the predictive model's
            # probability in has it (core.ai_input.with_ai_group).
            continue
        if group.value not in table:
            raise InvalidScoringModel(
                f"[groups.{group}] is missing: every group needs a cap."
            )
        settings = _table(table[group.value], f"[groups.{group}]")
        _check_keys(settings, {"cap", "half_life_days"}, f"[groups.{group}]")
        if "cap" not in settings:
            raise InvalidScoringModel(f'[groups.{group}]: the key "cap" is missing.')
        cap = _integer(settings["cap"], f"[groups.{group}] cap")
        if cap < 0:
            raise InvalidScoringModel(
                f"[groups.{group}] cap: expected 0 or more, got {cap}."
            )
        half_life = (
            _number(
                settings["half_life_days"],
                f"[groups.{group}] half_life_days",
                positive=True,
            )
            if "half_life_days" in settings
            else None
        )
        groups[group] = GroupSettings(cap, half_life)
    return groups


def _parse_thresholds(value: object) -> Thresholds:
    table = _table(value, "[bands]")
    _check_keys(table, {"warm", "hot"}, "[bands]")
    warm = _integer(table.get("warm", 40), "[bands] warm")
    hot = _integer(table.get("hot", 70), "[bands] hot")
    try:
        return Thresholds(warm=warm, hot=hot)
    except OverlappingThresholds as error:
        raise OverlappingThresholds(f"[bands]: {error.message}") from None


def _parse_sla(value: object) -> SlaSettings:
    table = _table(value, "[sla]")
    _check_keys(table, {"hot_hours", "warm_hours"}, "[sla]")
    defaults = SlaSettings()
    hot = _number(
        table.get("hot_hours", defaults.hot_hours), "[sla] hot_hours", positive=True
    )
    warm = _number(
        table.get("warm_hours", defaults.warm_hours), "[sla] warm_hours", positive=True
    )
    return SlaSettings(hot_hours=hot, warm_hours=warm)


def parse_scoring_model(text: str, *, version: int = 0) -> ScoringModel:
    """Parse and validate a scoring model file.

    Returns a ScoringModel carrying ``version``. Raises InvalidScoringModel
    (or its subclasses UnknownRuleField, OverlappingThresholds) naming the
    rule and key at fault.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidScoringModel(
            f"The scoring model file is not valid TOML: {error}."
        ) from None
    _check_keys(document, _TOP_KEYS, "The scoring model file")
    file_format = document.get("format", MODEL_FILE_FORMAT)
    # bool is an int in Python: "format = true" must not pass as format 1.
    if isinstance(file_format, bool) or file_format != MODEL_FILE_FORMAT:
        raise InvalidScoringModel(
            f"format = {_quote(file_format)} is not supported; "
            f"this leadqual reads format {MODEL_FILE_FORMAT}."
        )
    model_table = _table(document.get("model", {}), "[model]")
    _check_keys(model_table, {"name", "description"}, "[model]")
    name = _text(model_table.get("name", "Unnamed model"), "[model] name")
    description = str(model_table.get("description", ""))
    if "groups" not in document:
        raise InvalidScoringModel(
            "The scoring model file has no [groups] with caps for fit, intent and engagement."
        )
    groups = _parse_groups(document["groups"])
    thresholds = _parse_thresholds(document.get("bands", {}))
    sla = _parse_sla(document.get("sla", {}))
    raw_rules = document.get("rules", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        raise InvalidScoringModel(
            "The scoring model file has no rules: add at least one [[rules]] table."
        )
    rules = tuple(_parse_rule(raw, index) for index, raw in enumerate(raw_rules))
    first_position: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if rule.name in first_position:
            first = first_position[rule.name]
            raise InvalidScoringModel(
                f'Rule "{rule.name}" (rules[{index}]), name: rules[{first}] has the '
                "same name. Give every rule its own name."
            )
        first_position[rule.name] = index
    return ScoringModel(
        name=name,
        groups=groups,
        rules=rules,
        thresholds=thresholds,
        version=version,
        description=description,
        sla=sla,
    )


# --- writing a changed model back ---------------------------------------------------

_RULES_HEADER = re.compile(r"^\s*\[\[rules\]\]\s*(#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_KEY_LINE = re.compile(r"^(\s*)(name|points|warm|hot)(\s*=\s*)([^#\n]*?)(\s*(#.*)?)$")


def _toml_value(value: str | int | float | bool) -> str:  # noqa: FBT001 (a value, not a flag)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _bound_toml(bound: float) -> str:
    return _toml_value(int(bound) if float(bound).is_integer() else bound)


def _condition_toml(condition: Condition) -> str:
    parts: list[tuple[str, str]]
    match condition:
        case FieldEquals(field=name, value=value):
            parts = [("field", _toml_value(name)), ("equals", _toml_value(value))]
        case FieldIn(field=name, values=values):
            listed = ", ".join(_toml_value(value) for value in values)
            parts = [("field", _toml_value(name)), ("in", f"[{listed}]")]
        case FieldRange(field=name, minimum=low, maximum=high):
            parts = [("field", _toml_value(name))]
            # An int bound (the optimiser's candidate ranges) has no is_integer().
            if low is not None:
                parts.append(("min", _bound_toml(low)))
            if high is not None:
                parts.append(("max", _bound_toml(high)))
        case EventCount():
            parts = [("event", _toml_value(condition.event_type.value))]
            if condition.at_least != 1:
                parts.append(("at_least", str(condition.at_least)))
            if condition.within_days is not None:
                parts.append(("within_days", _toml_value(condition.within_days)))
            if condition.property_name is not None:
                parts.append(("property", _toml_value(condition.property_name)))
            if condition.property_pattern is not None:
                parts.append(("matches", _toml_value(condition.property_pattern)))
        case _:
            raise InvalidScoringModel(
                f"A rule with the condition {condition!r} cannot be written back to a "
                "model file; add it by hand."
            )
    return "{ " + ", ".join(f"{key} = {value}" for key, value in parts) + " }"


def rule_toml(rule: Rule) -> str:
    """One ``[[rules]]`` table for ``rule`` (conditions of the kinds the
    optimiser proposes: equals, in, min/max and event counts)."""
    lines = [
        "[[rules]]",
        f"name = {_toml_value(rule.name)}",
        f"group = {_toml_value(rule.group.value)}",
        f"points = {rule.points}",
        f"label = {_toml_value(rule.label)}",
    ]
    if rule.label_nl:
        lines.append(f"label_nl = {_toml_value(rule.label_nl)}")
    if not rule.decays:
        lines.append("decays = false")
    lines.append(f"when = {_condition_toml(rule.condition)}")
    return "\n".join(lines) + "\n"


def with_changes(
    source: str,
    model: ScoringModel,
    *,
    new_rules_comment: str = "",
) -> str:
    """The model file ``source`` rewritten to ``model``'s points and thresholds.

    Only the ``points`` line of each rule and the ``[bands]`` values change, so
    comments and layout stay and the diff shows exactly what changed; rules of
    ``model`` that ``source`` lacks are appended. Raises InvalidScoringModel
    when the result does not parse to the same points and thresholds (a rule
    written in a layout this cannot edit, such as an inline array of tables).
    """
    points = {rule.name: rule.points for rule in model.rules}
    lines = source.splitlines(keepends=True)
    section = ""
    block: list[int] = []
    blocks: list[list[int]] = []
    for number, line in enumerate(lines):
        if _RULES_HEADER.match(line):
            section = "rules"
            block = []
            blocks.append(block)
            continue
        if _TABLE_HEADER.match(line):
            section = line.strip()
            continue
        if section == "rules":
            block.append(number)
        elif section.startswith("[bands]"):
            match = _KEY_LINE.match(line.rstrip("\n"))
            if match and match.group(2) in ("warm", "hot"):
                value = getattr(model.thresholds, match.group(2))
                lines[number] = _replace_value(line, match, str(value))
    seen: set[str] = set()
    for block in blocks:
        name: str | None = None
        points_line: int | None = None
        for number in block:
            match = _KEY_LINE.match(lines[number].rstrip("\n"))
            if match is None:
                continue
            if match.group(2) == "name":
                name = tomllib.loads(f"v = {match.group(4)}")["v"]
            elif match.group(2) == "points":
                points_line = number
        if name is None or points_line is None or name not in points:
            continue
        seen.add(name)
        match = _KEY_LINE.match(lines[points_line].rstrip("\n"))
        assert match is not None
        lines[points_line] = _replace_value(
            lines[points_line], match, str(points[name])
        )
    text = "".join(lines)
    unedited = {rule.name for rule in parse_scoring_model(source).rules} - seen
    if unedited:
        raise InvalidScoringModel(
            f'The points of rule "{sorted(unedited)[0]}" could not be written into the '
            "model file: write its rules as [[rules]] tables with one key per line, as "
            "the default model does."
        )
    added = [rule for rule in model.rules if rule.name not in seen]
    if added:
        text = text.rstrip("\n") + "\n\n"
        if new_rules_comment:
            text += f"# {new_rules_comment}\n\n"
        text += "\n".join(rule_toml(rule) for rule in added)
    result = parse_scoring_model(text)
    if {r.name: r.points for r in result.rules} != points or (
        result.thresholds != model.thresholds
    ):
        raise InvalidScoringModel(
            "The changed points could not be written into the model file: write its "
            "rules as [[rules]] tables with one key per line, as the default model does."
        )
    return text


def _replace_value(line: str, match: re.Match[str], value: str) -> str:
    ending = "\n" if line.endswith("\n") else ""
    indent, key, equals, _old, trailer = match.group(1, 2, 3, 4, 5)
    return f"{indent}{key}{equals}{value}{trailer}{ending}"


# --- points typed by a person -------------------------------------------------------


def _points_lines(lines: Sequence[str]) -> dict[str, int]:
    """The line number of each rule's ``points`` key, by rule name."""
    found: dict[str, int] = {}
    name: str | None = None
    points_line: int | None = None
    in_rule = False

    def close() -> None:
        if in_rule and name is not None and points_line is not None:
            found.setdefault(name, points_line)

    for number, line in enumerate(lines):
        if _RULES_HEADER.match(line):
            close()
            in_rule, name, points_line = True, None, None
            continue
        if _TABLE_HEADER.match(line):
            close()
            in_rule, name, points_line = False, None, None
            continue
        if not in_rule:
            continue
        match = _KEY_LINE.match(line.rstrip("\n"))
        if match is None:
            continue
        if match.group(2) == "name":
            try:
                value = tomllib.loads(f"v = {match.group(4)}")["v"]
            except tomllib.TOMLDecodeError:
                continue
            name = value if isinstance(value, str) else None
        elif match.group(2) == "points":
            points_line = number
    close()
    return found


def _with_points_text(lines: list[str], number: int, text: str) -> list[str]:
    match = _KEY_LINE.match(lines[number].rstrip("\n"))
    assert match is not None
    changed = list(lines)
    changed[number] = _replace_value(lines[number], match, text)
    return changed


def with_typed_points(source: str, typed: Mapping[str, str]) -> str:
    """The model file with the ``points`` of the named rules set to the values
    a person typed, each written into the file as typed and the result read
    with ``parse_scoring_model``, exactly as a model file is.

    Raises InvalidScoringModel whose ``fields`` hold a message per rule name
    at fault (every rule is checked on its own, so all errors show at once),
    or a message without fields when the whole file fails (thresholds).
    """
    lines = source.splitlines(keepends=True)
    where = _points_lines(lines)
    errors: dict[str, str] = {}
    for name, raw in typed.items():
        text = raw.strip()
        if name not in where:
            errors[name] = f'Rule "{name}": there is no such rule in this model file.'
            continue
        # One value on one line: a typed newline or comment would add keys.
        if not text or any(mark in text for mark in ("\n", "\r", "#", "=")):
            errors[name] = (
                f'Rule "{name}", points: expected a whole number, got {_quote(raw)}.'
            )
            continue
        try:
            parse_scoring_model("".join(_with_points_text(lines, where[name], text)))
        except InvalidScoringModel as error:
            if error.message.startswith("The scoring model file is not valid TOML"):
                errors[name] = (
                    f'Rule "{name}", points: expected a whole number, got {_quote(raw)}.'
                )
            else:
                errors[name] = error.message
    if errors:
        raise InvalidScoringModel(
            "Some points cannot be used: see the rules marked.", fields=errors
        )
    for name, raw in typed.items():
        lines = _with_points_text(lines, where[name], raw.strip())
    text = "".join(lines)
    parse_scoring_model(text)
    return text


# --- thresholds typed by a person ---------------------------------------------------

BAND_KEYS: Final = ("warm", "hot")


def _bands_lines(lines: Sequence[str]) -> tuple[int | None, dict[str, int]]:
    """The line number of the ``[bands]`` header and of its ``warm``/``hot`` keys."""
    header: int | None = None
    found: dict[str, int] = {}
    in_bands = False
    for number, line in enumerate(lines):
        if _TABLE_HEADER.match(line):
            in_bands = line.split("#", 1)[0].strip() == "[bands]"
            if in_bands:
                header = number
            continue
        if in_bands:
            match = _KEY_LINE.match(line.rstrip("\n"))
            if match and match.group(2) in BAND_KEYS:
                found.setdefault(match.group(2), number)
    return header, found


def typed_whole_number(raw: str) -> int | None:
    """The whole number a person typed, read as the model file reads it; None
    for anything else (a fraction, text, a second key on a new line)."""
    text = raw.strip()
    # One value on one line: a typed newline or comment would add keys.
    if not text or any(mark in text for mark in ("\n", "\r", "#", "=")):
        return None
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def with_typed_thresholds(source: str, typed: Mapping[str, str]) -> str:
    """The model file with the ``[bands]`` thresholds a person typed
    (``warm``, ``hot``; a key left out keeps its value), read back with
    ``parse_scoring_model`` exactly as a model file is.

    A key the file lacks is added to its ``[bands]`` table (and the table to
    the file). Raises InvalidScoringModel whose ``fields`` hold a message per
    key at fault: not a whole number, or the pair breaking 0 < warm < hot <= 100
    (the message names the bound; a crossed pair marks both keys).
    """
    current = parse_scoring_model(source).thresholds
    errors: dict[str, str] = {}
    values = {"warm": current.warm, "hot": current.hot}
    for key, raw in typed.items():
        if key not in BAND_KEYS:
            errors[key] = f'[bands]: unknown key "{key}". Known keys: hot, warm.'
            continue
        number = typed_whole_number(raw)
        if number is None:
            errors[key] = f"[bands] {key}: expected a whole number, got {_quote(raw)}."
            continue
        values[key] = number
    if not errors:
        warm, hot = values["warm"], values["hot"]
        if warm <= 0:
            errors["warm"] = f"[bands] warm: must be above 0, got {warm}."
        if hot > 100:
            errors["hot"] = f"[bands] hot: must be at most 100, got {hot}."
        if warm >= hot:
            for key in BAND_KEYS:
                errors.setdefault(
                    key,
                    f"[bands]: warm must be below hot, got warm = {warm} and "
                    f"hot = {hot}.",
                )
    if errors:
        raise OverlappingThresholds(
            "Some thresholds cannot be used: see the fields marked.", fields=errors
        )
    lines = source.splitlines(keepends=True)
    header, where = _bands_lines(lines)
    if header is None:
        text = "".join(lines).rstrip("\n") + "\n\n[bands]\n"
        text += "".join(f"{key} = {values[key]}\n" for key in BAND_KEYS)
    else:
        missing = [key for key in BAND_KEYS if key not in where]
        for key, number in where.items():
            match = _KEY_LINE.match(lines[number].rstrip("\n"))
            assert match is not None
            lines[number] = _replace_value(lines[number], match, str(values[key]))
        added = [f"{key} = {values[key]}\n" for key in missing]
        lines[header + 1 : header + 1] = added
        text = "".join(lines)
    result = parse_scoring_model(text)
    if (result.thresholds.warm, result.thresholds.hot) != (
        values["warm"],
        values["hot"],
    ):
        raise InvalidScoringModel(
            "The thresholds could not be written into the model file: write them in "
            "a [bands] table with one key per line, as the default model does."
        )
    return text
