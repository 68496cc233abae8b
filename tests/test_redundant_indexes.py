"""No table of leadqual's keeps an index that another index already holds.

An index on ``(lead_id)`` beside one on ``(lead_id, occurred_at)`` makes every
event written update one index more for nothing: the wider index answers every
look-up by lead. Worse, it gives PostgreSQL's planner two ways to the same rows, and on
small tables it may take the narrow one and filter, the way
``tests/web/test_paging_everywhere.py`` once saw. A foreign key whose column
leads a wider index says ``db_index=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db


@dataclass(frozen=True, slots=True)
class StoredIndex:
    name: str
    columns: tuple[str, ...]
    unique: bool


def _partial_index_names(model: type[models.Model]) -> set[str]:
    """A partial index holds fewer rows than a full one over the same columns:
    it is never redundant by its columns alone."""
    meta = model._meta
    named = [*meta.indexes, *meta.constraints]
    return {
        str(item.name) for item in named if getattr(item, "condition", None) is not None
    }


def _constraints(table: str) -> dict[str, dict[str, Any]]:
    """The table's indexes and constraints by name, as the database has them."""
    with connection.cursor() as cursor:
        found: dict[str, dict[str, Any]] = connection.introspection.get_constraints(
            cursor, table
        )
    return found


def _indexes(model: type[models.Model]) -> list[StoredIndex]:
    partial = _partial_index_names(model)
    found = _constraints(model._meta.db_table)
    return [
        StoredIndex(name, tuple(info["columns"]), bool(info["unique"]))
        for name, info in found.items()
        if (info["index"] or info["unique"])
        and info["columns"]
        and name not in partial
        # PostgreSQL's second index on a text column serves LIKE 'x%'.
        and not name.endswith("_like")
    ]


def _redundant(indexes: list[StoredIndex]) -> list[str]:
    found = []
    for narrow in indexes:
        if narrow.unique:
            continue  # a constraint, not only a way in
        for wide in indexes:
            if wide.name == narrow.name:
                continue
            holds = wide.columns[: len(narrow.columns)] == narrow.columns
            if holds and (len(wide.columns) > len(narrow.columns) or wide.unique):
                found.append(f"{narrow.name} {narrow.columns} is held by {wide.name}")
                break
    return found


def test_no_index_is_held_by_a_wider_one() -> None:
    redundant = [
        f"{model._meta.db_table}: {finding}"
        for model in apps.get_models()
        if model.__module__.startswith("leadqual.")
        for finding in _redundant(_indexes(model))
    ]
    assert not redundant, "\n".join(redundant)


def test_the_check_finds_an_index_held_by_a_wider_one() -> None:
    by_lead = StoredIndex("by_lead", ("lead_id",), unique=False)
    by_lead_and_time = StoredIndex("by_lead_time", ("lead_id", "at"), unique=False)
    by_time = StoredIndex("by_time", ("at",), unique=False)
    same_as_unique = StoredIndex("queue", ("lead_id", "at"), unique=False)
    unique = StoredIndex("once", ("lead_id", "at"), unique=True)

    assert _redundant([by_lead, by_lead_and_time, by_time]) == [
        "by_lead ('lead_id',) is held by by_lead_time"
    ]
    assert _redundant([same_as_unique, unique]) == [
        "queue ('lead_id', 'at') is held by once"
    ]
    assert _redundant([by_lead_and_time, by_time]) == []


def _rebuilt_marker(table: str) -> list[object]:
    """What changes when Django remakes the table (SQLite: its root page) or
    its foreign keys (PostgreSQL: the constraints' ids)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = %s",
                [table],
            )
        else:
            cursor.execute(
                "SELECT oid FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f' ORDER BY oid",
                [table],
            )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_only_the_index_and_going_back_creates_it() -> None:
    """Neither the table rebuilt nor its foreign keys checked again, as
    Django's own AlterField would; unapplied, the index comes back."""
    table = "modelling_monitoringrun"
    own_index = "modelling_monitoringrun_model_version_id_c0c98751"
    executor = MigrationExecutor(connection)
    executor.migrate([("modelling", "0001_predictive_models")])
    assert own_index in _constraints(table)
    before = _rebuilt_marker(table)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    names = _constraints(table)
    assert own_index not in names
    assert "one_monitoring_run_a_week" in names
    assert _rebuilt_marker(table) == before
