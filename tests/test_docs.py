"""The documentation keeps up with the code (in the style of Datasette's test_docs.py)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from leadqual.core import model_file
from leadqual.core.events import EventType
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import LEAD_FIELDS
from leadqual.core.scoring import Group

DOCS = Path(__file__).resolve().parent.parent / "docs"
EVENTS_DOC = (DOCS / "events.md").read_text(encoding="utf-8")
SCORING_DOC = (DOCS / "scoring-model.md").read_text(encoding="utf-8")

COMPLETE_MODEL_MARK = "<!-- complete model -->"
# A fenced TOML block, and whether the line before it marks it as a complete model.
TOML_BLOCK = re.compile(
    r"(?:^(?P<mark>[^\n]*)\n)?^```toml\n(?P<body>.*?)^```$", re.M | re.S
)


def toml_blocks() -> list[tuple[bool, str]]:
    """(is a complete model, text) for every ```toml block of scoring-model.md."""
    return [
        (match.group("mark") == COMPLETE_MODEL_MARK, match.group("body"))
        for match in TOML_BLOCK.finditer(SCORING_DOC)
    ]


def complete_models() -> list[str]:
    return [body for complete, body in toml_blocks() if complete]


@pytest.mark.parametrize("event_type", list(EventType), ids=str)
def test_every_event_type_is_documented(event_type: EventType) -> None:
    assert f"| `{event_type.value}` |" in EVENTS_DOC


def test_the_events_doc_states_the_batch_limit() -> None:
    assert "1,000 events" in EVENTS_DOC


@pytest.mark.parametrize("name", list(LEAD_FIELDS))
def test_every_lead_field_is_documented(name: str) -> None:
    assert (
        f"| `{name}` | {LEAD_FIELDS[name].value.replace('boolean', 'true/false')} |"
        in (SCORING_DOC)
    )


@pytest.mark.parametrize(
    "key",
    sorted(
        model_file._RULE_KEYS
        | model_file._FIELD_OPERATORS
        | model_file._EVENT_KEYS
        | model_file._RECENCY_KEYS
        | {"cap", "half_life_days", "warm", "hot", "format"}
    ),
)
def test_every_key_of_the_model_file_is_documented(key: str) -> None:
    assert f"`{key}" in SCORING_DOC


def test_scoring_model_doc_has_a_complete_example() -> None:
    assert complete_models()


@pytest.mark.parametrize("number", range(len(complete_models())))
def test_complete_example_models_parse(number: int) -> None:
    model = parse_scoring_model(complete_models()[number])
    assert sum(model.groups[group].cap for group in Group) == 100


@pytest.mark.parametrize("number", range(len(toml_blocks())))
def test_every_toml_snippet_is_valid_toml(number: int) -> None:
    tomllib.loads(toml_blocks()[number][1])


def test_the_complete_example_uses_every_kind_of_condition() -> None:
    text = "\n".join(complete_models())
    for key in (
        "field",
        "event",
        "last_event_within_days",
        "last_event_older_than_days",
    ):
        assert f"{key} =" in text
    for operator in sorted(model_file._FIELD_OPERATORS):
        assert re.search(rf"\b{operator} =", text), operator
