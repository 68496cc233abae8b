"""Keyset paging for logs that only grow: newest first, "older" by cursor.

A page number makes the database count every matching row and skip all the
rows of the pages before it: both grow with the log. A keyset page starts
below the last row shown instead (``?before=<id>``), so each page is one index
seek and a short read, at any size (#15). The order is (time, id), both
descending; the id breaks ties between rows of the same moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

from django.db import models
from django.db.models import QuerySet

M = TypeVar("M", bound=models.Model)


class PagedRows(Generic[M]):
    """Rows that Django's Paginator pages like a query set, read a page at a time.

    For lists that are read in several index-ordered parts rather than one
    query: a subclass gives ``count()`` and ``rows(start, stop)``; this gives
    the sequence the Paginator slices (whole slices from the first row on).
    """

    ordered = True  # for Paginator's check of unordered lists

    def count(self) -> int:
        raise NotImplementedError

    def rows(self, start: int, stop: int) -> list[M]:
        """The rows at positions start..stop-1 (start < stop)."""
        raise NotImplementedError

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[M]:
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> list[M]: ...

    def __getitem__(self, index: int | slice) -> M | list[M]:
        if isinstance(index, int):
            if index < 0:
                raise IndexError("Rows are read from the first on: no negative index.")
            found = self[index : index + 1]
            if not found:
                raise IndexError(f"There is no row at position {index}.")
            return found[0]
        if index.step not in (None, 1):
            raise TypeError("Pages are read by slices without a step.")
        start = index.start or 0
        stop = index.stop
        if start < 0 or stop is None or stop < 0:
            raise TypeError("Pages need a slice with a start and a stop >= 0.")
        if stop <= start:
            return []
        return self.rows(start, stop)


@dataclass(frozen=True, slots=True)
class KeysetPage(Generic[M]):
    """One page of rows, newest first, and where the next (older) page starts."""

    rows: list[M]
    # The id to pass as ``before`` for the next page; None on the last page.
    older_before: int | None
    # Whether this page starts below the newest row (a "newest" link is useful).
    is_first: bool


def cursor(value: str | None) -> int | None:
    """The row id in a ``before`` parameter, or None for the first page.

    Anything that is not a positive whole number starts at the newest row,
    as a page number out of range does on the paginated lists.
    """
    if value is None or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number < 2**63 else None


def keyset_page(
    rows: QuerySet[M], *, time_field: str, before: int | None, size: int
) -> KeysetPage[M]:
    """The ``size`` rows that come after the row ``before`` in newest-first order.

    ``rows`` is filtered but not ordered; this orders it by (time_field, id),
    descending. A ``before`` that is not among ``rows`` (deleted, or filtered
    out) starts at the newest row.
    """
    ordered = rows.order_by(f"-{time_field}", "-pk")
    anchor = (
        rows.filter(pk=before).values_list(time_field, flat=True).first()
        if before is not None
        else None
    )
    if anchor is not None:
        # (time, id) < (anchor, before), written so that an index on
        # (time, id) seeks to the anchor on SQLite and PostgreSQL alike.
        ordered = ordered.filter(**{f"{time_field}__lte": anchor}).exclude(
            **{time_field: anchor, "pk__gte": before}
        )
    page = list(ordered[: size + 1])
    shown = page[:size]
    return KeysetPage(
        rows=shown,
        older_before=shown[-1].pk if len(page) > size else None,
        is_first=anchor is None,
    )
