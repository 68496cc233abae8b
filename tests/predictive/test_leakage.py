"""The leakage guard flags columns that give the outcome away, and only those."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from leadqual.predictive import LeakReason, Table, read_table, train
from leadqual.predictive.model import choose_columns
from leadqual.predictive.table import outcomes_from_column
from tests.predictive.synthetic import synthetic_leads
from tests.predictive.xeducation import POST_CONTACT, xeducation_file


def _with(columns: dict[str, list[object]], **extra: Sequence[object]) -> Table:
    return Table.from_columns({**columns, **extra})


def _flags(table: Table, outcomes: list[bool]) -> dict[str, tuple[LeakReason, ...]]:
    chosen = choose_columns(table, np.array(outcomes))
    return {flag.column: flag.reasons for flag in chosen.flagged}


def test_a_column_that_alone_predicts_the_outcome_is_flagged_and_a_clean_one_is_not() -> (
    None
):
    leads = synthetic_leads(600, seed=1)
    rng = np.random.default_rng(1)
    # Agrees with the outcome for 97% of the leads, under a name that says nothing.
    echo = [
        ("B" if won else "A") if rng.random() < 0.97 else ("A" if won else "B")
        for won in leads.outcomes
    ]
    flags = _flags(_with(leads.columns, Segment=echo), leads.outcomes)

    assert flags == {"Segment": (LeakReason.PREDICTS_ALONE,)}


def test_values_that_read_like_call_outcomes_are_flagged() -> None:
    leads = synthetic_leads(400, seed=2)
    rng = np.random.default_rng(2)
    notes = [
        "Gebeld, offerte verstuurd",
        "Will revert after the call",
        "webinar",
        "Busy",
    ]
    flags = _flags(
        _with(leads.columns, Memo=[str(rng.choice(notes)) for _ in leads.outcomes]),
        leads.outcomes,
    )

    assert flags == {"Memo": (LeakReason.OUTCOME_WORDS,)}


@pytest.mark.parametrize(
    "name", ["Lead Rating", "Status", "LastContactType", "Toegewezen aan"]
)
def test_a_name_that_says_staff_fill_it_in_is_flagged(name: str) -> None:
    leads = synthetic_leads(300, seed=3)
    rng = np.random.default_rng(3)
    values = [str(rng.choice(["a", "b", "c"])) for _ in leads.outcomes]
    flags = _flags(_with(leads.columns, **{name: values}), leads.outcomes)

    assert flags == {name: (LeakReason.STAFF_FIELD,)}


def test_a_field_filled_in_mostly_for_converted_leads_is_flagged_for_its_missingness() -> (
    None
):
    leads = synthetic_leads(600, seed=4)
    rng = np.random.default_rng(4)
    filled = [
        str(rng.choice(["x", "y", "z"])) if (won and rng.random() < 0.9) else None
        for won in leads.outcomes
    ]
    flags = _flags(_with(leads.columns, Extra=filled), leads.outcomes)

    assert LeakReason.MISSINGNESS in flags["Extra"]


def test_a_flagged_column_is_used_when_allowed_and_the_card_says_so() -> None:
    leads = synthetic_leads(300, seed=5)
    rng = np.random.default_rng(5)
    ratings = [str(rng.choice(["a", "b"])) for _ in leads.outcomes]
    table = _with(leads.columns, Rating=ratings)

    left_out = train(table, leads.outcomes)
    allowed = train(table, leads.outcomes, allow=["Rating"])

    assert "Rating" not in [item.column for item in left_out.card.features]
    assert "Rating" in [item.column for item in allowed.card.features]
    assert allowed.card.allowed == ("Rating",)
    assert "because you allowed them: Rating" in allowed.card.as_text()


def test_the_guard_flags_exactly_the_post_contact_columns_of_the_xeducation_data() -> (
    None
):
    """The data card lists the columns sales or staff fill in after contact."""
    table = read_table(xeducation_file())
    outcomes = outcomes_from_column(table, "Converted")

    chosen = choose_columns(table.without(["Converted"]), np.array(outcomes.outcomes))

    assert {flag.column for flag in chosen.flagged} == POST_CONTACT


def test_no_column_name_or_value_of_the_xeducation_data_is_in_the_code() -> None:
    """Generic rules only: the guard and the model must work on data they never saw."""
    header = xeducation_file().read_text(encoding="utf-8").splitlines()[0].split(",")
    telling = [
        *header,
        "Horizzon",
        "Will revert",
        "Olark",
        "Asymmetrique",
        "X Education",
    ]
    source = Path(__file__).resolve().parents[2] / "src" / "leadqual" / "predictive"
    code = "\n".join(path.read_text(encoding="utf-8") for path in source.rglob("*.py"))

    assert [name for name in telling if name.strip('"') in code] == []
