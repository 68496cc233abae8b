"""Database helpers that Django's ORM does too slowly for a batch.

``bulk_update`` writes many rows' fields in one ``UPDATE ... FROM (VALUES ...)``
statement per chunk. Django's own ``QuerySet.bulk_update`` builds a
``CASE WHEN id = ... THEN ...`` expression per row and field, which costs more
Python time than the database spends on the batch (measured: 11 of 16 seconds
of a 2,000-row import). Both PostgreSQL and SQLite (3.33 and newer) run
UPDATE ... FROM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, migrations, models, router

M = TypeVar("M", bound=models.Model)

# SQLite learned UPDATE ... FROM in 3.33.0 (2020).
_SQLITE_UPDATE_FROM = (3, 33, 0)


def _supports_update_from(vendor: str, connection: Any) -> bool:
    if vendor == "postgresql":
        return True
    if vendor == "sqlite":
        return bool(connection.Database.sqlite_version_info >= _SQLITE_UPDATE_FROM)
    return False


# PostgreSQL's wire protocol counts parameters in 16 bits; Django leaves its
# max_query_params unset, which would split a 500-row batch into chunks.
_POSTGRES_MAX_PARAMS = 65_535


def _max_params(connection: Any) -> int:
    limit = connection.features.max_query_params
    if limit:
        return int(limit)
    return _POSTGRES_MAX_PARAMS if connection.vendor == "postgresql" else 10_000


def _rows_per_statement(connection: Any, width: int) -> int:
    """Rows of ``width`` parameters in one statement: at most 500, the batch size."""
    return max(1, min(500, _max_params(connection) // width))


def bulk_update(objects: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of every object (all of one model, all saved) in bulk.

    Returns the number of rows written. Falls back to Django's bulk_update on
    a database that cannot UPDATE ... FROM. Must run inside a transaction when
    the rows must change together.
    """
    if not objects:
        return 0
    model = type(objects[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if not _supports_update_from(connection.vendor, connection):
        return model._base_manager.using(alias).bulk_update(objects, fields)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    targets = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    width = len(targets) + 1
    per_statement = max(1, _max_params(connection) // width)
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            chunk = objects[start : start + per_statement]
            params: list[Any] = []
            for obj in chunk:
                params.append(pk.get_db_prep_value(obj.pk, connection))
                for field in targets:
                    value = getattr(obj, field.attname)  # type: ignore[union-attr]
                    params.append(field.get_db_prep_save(value, connection))  # type: ignore[union-attr]
            cursor.execute(
                _statement(connection, table, pk, targets, len(chunk)), params
            )
            written += cursor.rowcount
    return written


def _statement(
    connection: Any,
    table: str,
    pk: Any,
    targets: Sequence[Any],
    rows: int,
) -> str:
    quote = connection.ops.quote_name
    pk_column = quote(pk.column)
    if connection.vendor == "postgresql":
        # Every value cast to its column's type: parameters arrive untyped.
        types = [
            pk.cast_db_type(connection),
            *(f.cast_db_type(connection) for f in targets),
        ]
        row = "(" + ", ".join(f"%s::{kind}" for kind in types) + ")"
        columns = ", ".join([pk_column, *(quote(f.column) for f in targets)])
        assignments = ", ".join(
            f"{quote(f.column)} = v.{quote(f.column)}" for f in targets
        )
        return (
            f"UPDATE {table} SET {assignments} "
            f"FROM (VALUES {', '.join([row] * rows)}) AS v({columns}) "
            f"WHERE {table}.{pk_column} = v.{pk_column}"
        )
    # SQLite names the columns of a VALUES list column1, column2, ...
    row = "(" + ", ".join(["%s"] * (len(targets) + 1)) + ")"
    assignments = ", ".join(
        f"{quote(f.column)} = v.column{index + 2}" for index, f in enumerate(targets)
    )
    return (
        f"UPDATE {table} SET {assignments} "
        f"FROM (VALUES {', '.join([row] * rows)}) AS v "
        f"WHERE {table}.{pk_column} = v.column1"
    )


# Fields whose Python values the database drivers (sqlite3, psycopg) take as
# they are: no conversion call per value is needed. Dates, times and JSON are
# converted by the field, as Django does.
_AS_IS = (
    models.ForeignKey,
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
)


def _converter(field: Any, connection: Any) -> Callable[[Any], Any] | None:
    """What turns a field's Python value into the driver's, or None: as it is."""
    if isinstance(field, _AS_IS):
        return None
    return partial(field.get_db_prep_save, connection=connection)


def bulk_insert(objects: Sequence[M]) -> list[M]:
    """Insert new objects (all of one model) in bulk and set their ids.

    What Django's bulk_create does for new rows, without its per-value
    compilation: one ``INSERT ... VALUES ... RETURNING id`` per chunk. Field
    defaults must already be on the objects (a model's __init__ sets them).
    Returns the objects. Falls back to bulk_create on a database that cannot
    return the new ids.
    """
    if not objects:
        return []
    model = type(objects[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert:
        return list(model._base_manager.using(alias).bulk_create(objects))
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [
        field
        for field in meta.concrete_fields
        if not (
            field.primary_key
            and isinstance(field, models.AutoField | models.BigAutoField)
        )
    ]
    # Only auto_now(_add) fields change their value on save.
    stamped = [
        field
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    for obj in objects:
        for field in stamped:
            field.pre_save(obj, add=True)
    converters = [_converter(field, connection) for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    per_statement = _rows_per_statement(connection, len(fields))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            chunk = objects[start : start + per_statement]
            params: list[Any] = []
            for obj in chunk:
                for field, convert in zip(fields, converters, strict=True):
                    value = getattr(obj, field.attname)
                    if convert is not None and value is not None:
                        value = convert(value)
                    params.append(value)
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "
                f"VALUES {', '.join([row] * len(chunk))} "
                f"RETURNING {quote(pk.column)}",
                params,
            )
            for obj, (new_id,) in zip(chunk, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, new_id)
                obj._state.adding = False
                obj._state.db = alias
    return list(objects)


def insert_rows(
    model: type[models.Model],
    attnames: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    prepared: Sequence[str] = (),
) -> int:
    """Insert plain rows of values for these fields (by attname), in bulk.

    For rows nobody reads back in this request (band changes): no model
    instance is made per row. Values are converted by their fields, except
    for those named in ``prepared`` (see ``update_rows``). Returns how many
    rows were inserted.
    """
    if not rows:
        return 0
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    fields = [
        next(field for field in meta.concrete_fields if field.attname == name)
        for name in attnames
    ]
    converters = [
        None if name in prepared else _converter(field, connection)
        for name, field in zip(attnames, fields, strict=True)
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    per_statement = _rows_per_statement(connection, len(fields))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = [
                value if convert is None or value is None else convert(value)
                for values in chunk
                for value, convert in zip(values, converters, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "
                f"VALUES {', '.join([row] * len(chunk))}",
                params,
            )
    return len(rows)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model`` that no other insert will take.

    For loaders that write rows with their ids (``copy_rows``) and need the
    ids before writing, to point other rows at them. PostgreSQL hands them
    out from the table's sequence, safe under concurrent inserts. SQLite has
    one writer at a time: the next ids after both the highest stored id and
    the highest ever handed out (AUTOINCREMENT's ``sqlite_sequence``), so a
    deleted row's id is not reused; call it inside the transaction that
    writes the rows, so the write lock is held from here on.
    """
    if count <= 0:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                "FROM generate_series(1, %s)",
                [meta.db_table, pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT COALESCE(MAX({quote(pk.column)}), 0) FROM {quote(meta.db_table)}"
        )
        highest = int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table]
            )
            row = cursor.fetchone()
            highest = max(highest, int(row[0]) if row else 0)
    return list(range(highest + 1, highest + 1 + count))


def _copy_converter(field: Any, connection: Any) -> Callable[[Any], Any] | None:
    """What turns a Python value into what COPY or executemany takes, or None."""
    if isinstance(field, models.JSONField):
        return json.JSONEncoder(ensure_ascii=False).encode
    if isinstance(field, models.DateTimeField):
        # psycopg sends aware datetimes as they are.
        if connection.vendor == "postgresql":
            return None
        if connection.vendor == "sqlite" and settings.USE_TZ:
            # What SQLite's adapt_datetimefield_value stores (naive text in the
            # connection's time zone), without its checks per value: a load
            # of millions spends seconds on them.
            zone = connection.timezone

            def as_text(value: Any) -> str:
                return str(value.astimezone(zone).replace(tzinfo=None))

            return as_text
        return connection.ops.adapt_datetimefield_value  # type: ignore[no-any-return]
    if isinstance(field, _AS_IS):
        return None
    return partial(field.get_db_prep_save, connection=connection)


def copy_rows(
    model: type[models.Model],
    attnames: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Insert plain rows of values for these fields (by attname), the fastest way.

    PostgreSQL gets them with ``COPY ... FROM STDIN``, other databases in one
    prepared ``executemany``: no SQL text per chunk and no model instances,
    for loaders of millions of rows. Values are Python values as on a model
    (aware datetimes, dicts for JSON); field defaults are not applied, so
    give every NOT NULL column. Returns how many rows were inserted. Run it
    inside a transaction: a failure part-way leaves rows behind otherwise.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    fields = [
        next(field for field in meta.concrete_fields if field.attname == name)
        for name in attnames
    ]
    converting = [
        (index, convert)
        for index, field in enumerate(fields)
        if (convert := _copy_converter(field, connection)) is not None
    ]

    def converted(values: Sequence[Any]) -> Sequence[Any]:
        if len(values) != len(fields):
            raise ValueError(
                f"A row for {meta.db_table} has {len(values)} values for "
                f"{len(fields)} columns: {values!r}"
            )
        if not converting:
            return values
        row = list(values)
        for index, convert in converting:
            if row[index] is not None:
                row[index] = convert(row[index])
        return row

    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The psycopg cursor under Django's wrapper: COPY is psycopg's own.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(converted(values))
                    written += 1
            return written
        batch = [converted(values) for values in rows]
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", batch
        )
        return len(batch)


def update_rows(
    model: type[models.Model],
    attnames: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    prepared: Sequence[str] = (),
) -> int:
    """Write plain rows of (primary key, value per field of ``attnames``) in bulk.

    ``bulk_update`` without a model instance per row, for batches of many
    thousands. Values are converted by their fields, except for the fields
    named in ``prepared``, whose values are already as the database takes
    them (``prepared_value``: one moment converted once for every row).
    Returns the number of rows written.
    """
    if not rows:
        return 0
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    targets = [
        next(field for field in meta.concrete_fields if field.attname == name)
        for name in attnames
    ]
    if not _supports_update_from(connection.vendor, connection):
        objects = [
            model(pk=row[0], **dict(zip(attnames, row[1:], strict=True)))
            for row in rows
        ]
        return model._base_manager.using(alias).bulk_update(objects, list(attnames))
    converters = [
        None if name in prepared else _converter(field, connection)
        for name, field in zip(attnames, targets, strict=True)
    ]
    table = connection.ops.quote_name(meta.db_table)
    per_statement = _rows_per_statement(connection, len(targets) + 1)
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for row in chunk:
                params.append(row[0])
                for value, convert in zip(row[1:], converters, strict=True):
                    params.append(
                        value if convert is None or value is None else convert(value)
                    )
            cursor.execute(
                _statement(connection, table, pk, targets, len(chunk)), params
            )
            written += cursor.rowcount
    return written


def insert_rows_returning_ids(
    model: type[models.Model],
    attnames: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    json_texts: Sequence[str] = (),
    prepared: Sequence[str] = (),
) -> list[int]:
    """``insert_rows`` that returns the new ids, in the order of ``rows``.

    The fields named in ``json_texts`` take JSON already written as text
    (a batch renders it faster than a JSONField converts each value); those
    in ``prepared`` take values already as the database takes them.
    """
    if not rows:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [
        next(field for field in meta.concrete_fields if field.attname == name)
        for name in attnames
    ]
    converters = [
        None
        if name in json_texts or name in prepared
        else _converter(field, connection)
        for name, field in zip(attnames, fields, strict=True)
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = [
        "%s::jsonb"
        if name in json_texts and connection.vendor == "postgresql"
        else "%s"
        for name in attnames
    ]
    row = "(" + ", ".join(placeholders) + ")"
    per_statement = _rows_per_statement(connection, len(fields))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = [
                value if convert is None or value is None else convert(value)
                for values in chunk
                for value, convert in zip(values, converters, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "
                f"VALUES {', '.join([row] * len(chunk))} "
                f"RETURNING {quote(pk.column)}",
                params,
            )
            ids.extend(new_id for (new_id,) in cursor.fetchall())
    return ids


def prepared_value(model: type[models.Model], attname: str, value: Any) -> Any:
    """``value`` of the field ``attname`` as the database driver takes it."""
    connection = connections[router.db_for_write(model)]
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return field.get_db_prep_save(value, connection)


class NullsLastIndex(models.Index):
    """An index for ``ORDER BY x DESC NULLS LAST``, the order of every "highest
    score first" list (``F("score_total").desc(nulls_last=True)``).

    SQLite keeps NULL below every value, so a descending column puts it last
    already (and SQLite's CREATE INDEX has no NULLS clause). PostgreSQL keeps
    NULL above every value: there the descending columns are declared
    ``DESC NULLS LAST``, or the planner sorts instead of reading the index.
    Only nullable columns: ``ORDER BY id DESC`` means NULLS FIRST to the
    planner even for a column that is never NULL.
    """

    def create_sql(
        self,
        model: type[models.Model],
        schema_editor: Any,
        using: str = "",
        **kwargs: Any,
    ) -> Any:
        statement = super().create_sql(model, schema_editor, using=using, **kwargs)
        if schema_editor.connection.vendor == "postgresql":
            columns: Any = statement.parts["columns"]
            nullable = [
                getattr(model._meta.get_field(name.removeprefix("-")), "null", False)
                for name in self.fields
            ]
            columns.col_suffixes = tuple(
                f"{suffix} NULLS LAST" if suffix == "DESC" and is_null else suffix
                for suffix, is_null in zip(columns.col_suffixes, nullable, strict=True)
            )
        return statement


def drop_foreign_keys_own_index(
    alter: migrations.AlterField, *, table: str, index: str
) -> migrations.SeparateDatabaseAndState:
    """A foreign key's change to ``db_index=False`` that only drops its index.

    Django carries out such an AlterField by rebuilding the whole table on
    SQLite and checking every foreign key again on PostgreSQL: minutes at ten
    million events, for an index nobody reads. ``index`` is the name Django
    gave it (the same on both databases); going back creates it again.
    """
    column = f"{alter.name}_id"
    return migrations.SeparateDatabaseAndState(
        state_operations=[alter],
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
            )
        ],
    )
