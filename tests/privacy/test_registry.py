"""The registry of personal data: every field of every model is decided."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.apps import apps

from leadqual.core.personal_data import Erasure, PersonalFields
from leadqual.leads.models import Event, Lead
from leadqual.privacy.registry import declaration_of, declarations, problems


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


def test_a_field_in_neither_list_is_reported() -> None:
    event = declaration_of("leads.Event")
    forgotten = replace(
        event, not_personal=tuple(n for n in event.not_personal if n != "source")
    )
    found = problems([forgotten], all_models=[Event])
    assert found == [
        "leads.Event.source is neither personal nor not personal: decide, and add "
        "it to one list in its app's personal_data.py."
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
            PersonalFields(
                "leads.Event",
                personal=("properties", "external_id", "colour"),
                not_personal=("type", "source"),
            ),
            "leads.Event has no field 'colour'.",
        ),
        (
            PersonalFields(
                "leads.Event",
                personal=("properties", "external_id", "source"),
                not_personal=("type", "source"),
            ),
            "leads.Event.source is declared personal and not personal.",
        ),
        (
            PersonalFields(
                "leads.Event",
                personal=("properties", "external_id"),
                not_personal=("type", "source"),
                lead="owner",
                erasure=Erasure.CLEAR,
            ),
            "leads.Event: the lead lookup 'owner' does not work.",
        ),
        (
            PersonalFields(
                "leads.Event",
                personal=("properties", "external_id"),
                not_personal=("type", "source"),
                erasure=Erasure.DELETE,
            ),
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
    event = declaration_of("leads.Event")
    assert problems([event, event], all_models=[Event]) == [
        "leads.Event is declared twice."
    ]
