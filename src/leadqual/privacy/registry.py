"""The registry of personal data: every app's ``personal_data`` declarations.

Each installed app may have a ``personal_data`` module with ``PERSONAL_DATA``
(a tuple of ``core.personal_data.PersonalFields``, one per model) and
``ERASE_FILES`` (functions that erase a person from files). They are found
the way Django finds ``admin`` modules, so privacy imports no app above it,
and every app declares its own models. ``problems()`` lists every text, JSON
or binary field that is declared neither personal nor not personal, and every
declaration that does not fit its model; a test keeps that list empty.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import models
from django.utils.module_loading import module_has_submodule

from leadqual.core.personal_data import Eraser, Erasure, PersonalFields

MODULE_NAME = "personal_data"
AnyField = models.Field[Any, Any]
# Fields that can hold text a person typed or that names them.
TEXT_FIELDS: tuple[type[AnyField], ...] = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.BinaryField,
    models.FileField,
    models.GenericIPAddressField,
)


@functools.cache
def _modules() -> tuple[ModuleType, ...]:
    """The ``personal_data`` module of every installed app that has one."""
    found = []
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, MODULE_NAME):
            found.append(import_module(f"{app_config.name}.{MODULE_NAME}"))
    return tuple(found)


def declarations() -> tuple[PersonalFields, ...]:
    """Every app's declarations, in the order of INSTALLED_APPS."""
    return tuple(
        declaration
        for module in _modules()
        for declaration in getattr(module, "PERSONAL_DATA", ())
    )


def file_erasers() -> tuple[Eraser, ...]:
    """Every app's functions that erase a person from its files."""
    return tuple(
        eraser for module in _modules() for eraser in getattr(module, "ERASE_FILES", ())
    )


def declaration_of(label: str) -> PersonalFields:
    """The declaration of the model with this label; raises LookupError if none."""
    for declaration in declarations():
        if declaration.model == label:
            return declaration
    raise LookupError(f"{label} has no personal-data declaration.")


def model_of(declaration: PersonalFields) -> type[models.Model]:
    """The model a declaration is about; raises LookupError for an unknown label."""
    return apps.get_model(declaration.model)


def text_fields(model: type[models.Model]) -> list[AnyField]:
    """The concrete text, JSON and binary fields of ``model`` (no primary keys)."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, TEXT_FIELDS) and not field.primary_key
    ]


def personal_fields(
    declaration: PersonalFields,
) -> list[AnyField]:
    """The model fields a declaration names personal."""
    model = model_of(declaration)
    return [model._meta.get_field(name) for name in declaration.personal]  # type: ignore[misc]


def problems(
    found: Sequence[PersonalFields] | None = None,
    *,
    all_models: Iterable[type[models.Model]] | None = None,
) -> list[str]:
    """What is wrong with the declarations, one sentence each; [] when nothing.

    Checks every model (Django's own included): each is declared exactly
    once, each of its text, JSON and binary fields is either personal or not
    personal, every named field exists, and the lead lookup works.
    """
    found = declarations() if found is None else found
    by_label: dict[str, PersonalFields] = {}
    messages: list[str] = []
    for declaration in found:
        if declaration.model in by_label:
            messages.append(f"{declaration.model} is declared twice.")
        by_label[declaration.model] = declaration
    for model in apps.get_models() if all_models is None else all_models:
        label = model._meta.label
        if label not in by_label:
            if text_fields(model):
                messages.append(
                    f"{label} is not declared: add it to PERSONAL_DATA in its app's "
                    f"{MODULE_NAME}.py."
                )
            continue
        messages.extend(_model_problems(model, by_label.pop(label)))
    messages.extend(
        f"{label} is declared but is not an installed model." for label in by_label
    )
    return messages


def _model_problems(
    model: type[models.Model], declaration: PersonalFields
) -> list[str]:
    label = model._meta.label
    messages: list[str] = []
    names = {field.name for field in model._meta.concrete_fields}
    for name in (*declaration.personal, *declaration.not_personal):
        if name not in names:
            messages.append(f"{label} has no field {name!r}.")
    for name in set(declaration.personal) & set(declaration.not_personal):
        messages.append(f"{label}.{name} is declared personal and not personal.")
    declared = {*declaration.personal, *declaration.not_personal}
    for field in text_fields(model):
        if field.name not in declared:
            messages.append(
                f"{label}.{field.name} is neither personal nor not personal: decide, "
                f"and add it to one list in its app's {MODULE_NAME}.py."
            )
    if declaration.lead is not None:
        try:
            str(model._base_manager.filter(**{f"{declaration.lead}__in": [0]}).query)
        except FieldError:
            messages.append(
                f"{label}: the lead lookup {declaration.lead!r} does not work."
            )
    needs_rows = declaration.erasure in (Erasure.DELETE, Erasure.CLEAR)
    if needs_rows and declaration.lead is None and declaration.erase is None:
        messages.append(
            f"{label}: {declaration.erasure} needs a lead lookup or an erase "
            "function to know whose rows to change."
        )
    return messages


def rows_of_lead(label: str, lead: models.Model) -> models.QuerySet[models.Model]:
    """The rows of the declared model ``label`` that belong to ``lead``, oldest first.

    Raises LookupError when the model is not declared or its rows are not
    tied to a lead.
    """
    declaration = declaration_of(label)
    if declaration.lead is None:
        raise LookupError(f"Rows of {label} are not tied to a lead.")
    return (
        model_of(declaration)
        ._base_manager.filter(**{declaration.lead: lead.pk})
        .order_by("pk")
    )
