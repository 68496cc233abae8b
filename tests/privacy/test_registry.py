"""The registry of personal data: every field of every model is decided."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.apps import apps
from django.db.models import Model

from leadqual.core.personal_data import Erasure, PersonalFields
from leadqual.leads.models import Event, Lead
from leadqual.privacy.registry import declarations, problems, text_fields


def test_every_text_json_and_binary_field_of_every_model_is_declared() -> None:
    """A new field fails here until its app says whether it is personal."""
    assert problems() == []


def test_every_model_with_text_fields_has_a_declaration() -> None:
    declared = {declaration.model for declaration in declarations()}
    with_text = {
        model._meta.label
        for model in apps.get_models()
        if any(
            field.get_internal_type() in ("CharField", "TextField", "JSONField")
            for field in model._meta.concrete_fields
        )
    }
    assert with_text <= declared


def complete(model: type[Model]) -> PersonalFields:
    """A declaration of ``model`` that decides every field (all not personal)."""
    return PersonalFields(
        model._meta.label,
        not_personal=tuple(field.name for field in text_fields(model)),
    )


EVENT = complete(Event)


def test_a_complete_declaration_has_no_problems() -> None:
    assert problems([EVENT], all_models=[Event]) == []


def test_a_field_in_neither_list_is_reported() -> None:
    forgotten, *rest = EVENT.not_personal
    found = problems([replace(EVENT, not_personal=tuple(rest))], all_models=[Event])
    assert found == [
        f"leads.Event.{forgotten} is neither personal nor not personal: decide, and "
        "add it to one list in its app's personal_data.py."
    ]


def test_a_model_without_a_declaration_is_reported() -> None:
    assert problems([], all_models=[Lead]) == [
        "leads.Lead is not declared: add it to PERSONAL_DATA in its app's "
        "personal_data.py."
    ]


@pytest.mark.parametrize(
    ("declaration", "problem"),
    [
        (
            replace(EVENT, personal=("colour",)),
            "leads.Event has no field 'colour'.",
        ),
        (
            replace(EVENT, personal=(EVENT.not_personal[0],)),
            f"leads.Event.{EVENT.not_personal[0]} is declared personal and not "
            "personal.",
        ),
        (
            replace(EVENT, lead="owner", erasure=Erasure.CLEAR),
            "leads.Event: the lead lookup 'owner' does not work.",
        ),
        (
            replace(EVENT, erasure=Erasure.DELETE),
            "leads.Event: delete needs a lead lookup or an erase function to know "
            "whose rows to change.",
        ),
    ],
)
def test_a_declaration_that_does_not_fit_its_model_is_reported(
    declaration: PersonalFields, problem: str
) -> None:
    assert problems([declaration], all_models=[Event]) == [problem]


def test_a_model_declared_twice_is_reported() -> None:
    assert problems([EVENT, EVENT], all_models=[Event]) == [
        "leads.Event is declared twice."
    ]
