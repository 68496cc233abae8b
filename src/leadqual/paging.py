"""Paging that costs the same at any size (#15).

Numbered pages (``CappedPaginator``) count their rows only up to a cap: past
it a list says "more than 10,000" and offers a next page while there is one,
so the count never reads more than the cap's worth of an index.

Keyset paging for logs that only grow: newest first, "older" by cursor.
A page number makes the database skip all the rows of the pages before it,
which grows with the log. A keyset page starts below the last row shown
instead (``?before=<id>``), so each page is one index seek and a short read,
at any size. The order is (time, id), both descending; the id breaks ties
between rows of the same moment.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.functional import cached_property

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

# The highest page number a list past its cap accepts: its OFFSET stays a
# 32-bit number on every database.
MAX_PAGE = 2**31 // 1000


def list_count_cap() -> int:
    """How far lists count their rows (``settings.LIST_COUNT_CAP``, 10,000)."""
    return int(settings.LIST_COUNT_CAP)


def count_up_to(rows: QuerySet[Any], limit: int) -> int:
    """How many rows there are, but at most ``limit``: the count of a LIMIT subquery.

    The database stops after ``limit`` rows of the index it reads, where
    ``rows.count()`` reads every matching row. Only the ids are selected: an
    annotation (a subquery per row) not filtered on is left out.
    """
    if limit <= 0:
        return 0
    return rows.order_by().values("pk")[:limit].count()


class CountUpTo(models.Func):
    """``count_up_to`` inside a query: per outer row, how many rows a correlated
    queryset holds, read no further than ``limit``.

    ``COUNT`` over a join reads every row it counts: the number of scores per
    scoring model took 46 s at a million leads.
    """

    template = "(SELECT COUNT(*) FROM %(expressions)s AS counted_rows)"
    output_field = models.IntegerField()

    def __init__(self, rows: QuerySet[Any], limit: int) -> None:
        super().__init__(models.Subquery(rows.order_by().values("pk")[:limit]))


def shown_number(number: int) -> str:
    """``number`` with the language's thousands separator (10,000 or 10.000)."""
    return number_format(number, force_grouping=True)


@dataclass(frozen=True, slots=True)
class CappedCount:
    """A count read up to ``cap`` + 1 rows: exact up to ``cap``, else "more".

    ``value`` is the count when it is at most ``cap``, and ``cap`` + 1 otherwise.
    As text: the number with the language's separators, or "10,000+".
    """

    value: int
    cap: int

    @property
    def is_capped(self) -> bool:
        return self.value > self.cap

    @property
    def cap_text(self) -> str:
        return shown_number(self.cap)

    def __str__(self) -> str:
        if self.is_capped:
            return f"{self.cap_text}+"
        return shown_number(self.value)


def capped_count(rows: QuerySet[Any], *, cap: int | None = None) -> CappedCount:
    """How many rows, exact up to ``cap`` (``list_count_cap()`` unless given);
    reads at most ``cap`` + 1 of them."""
    limit = list_count_cap() if cap is None else cap
    return CappedCount(value=count_up_to(rows, limit + 1), cap=limit)


class CappedPage(Page[T]):
    """A page of a list counted past its cap: the next page is there if a row is."""

    def __init__(
        self,
        object_list: Sequence[T],
        number: int,
        paginator: Paginator[T],
        *,
        has_more: bool,
    ) -> None:
        super().__init__(object_list, number, paginator)
        self._has_more = has_more

    def has_next(self) -> bool:
        return self._has_more


class CappedPaginator(Paginator[M]):
    """A Paginator that counts its rows only up to ``cap`` (+ 1).

    Up to the cap it is Django's Paginator. Past it, ``count`` is ``cap`` + 1,
    ``is_capped`` is true, a page reads one row more than it shows to know
    whether a next page exists, and any page number from 1 on is accepted
    (a page past the last row is empty); there is no last page to link to.
    The list is a query set or a ``PagedRows`` (whose ``count_up_to`` is used).
    """

    def __init__(
        self,
        object_list: QuerySet[M] | PagedRows[M],
        per_page: int,
        *,
        cap: int | None = None,
    ) -> None:
        super().__init__(object_list, per_page)
        self.cap = list_count_cap() if cap is None else cap

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, PagedRows):
            return rows.count_up_to(self.cap + 1)
        assert isinstance(rows, QuerySet)
        return count_up_to(rows, self.cap + 1)

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap

    @property
    def cap_text(self) -> str:
        return shown_number(self.cap)

    def validate_number(self, number: int | float | str) -> int:
        if not self.is_capped:
            return super().validate_number(number)
        # Past the cap the number of pages is unknown: any page from 1 on (up
        # to what an OFFSET takes).
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            whole = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if whole < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if whole > MAX_PAGE:
            raise EmptyPage(self.error_messages["no_results"])
        return whole

    def get_page(self, number: int | float | str | None) -> Page[M]:
        if not self.is_capped:
            return super().get_page(number)
        # No last page to fall back on: a page number out of range gives the first.
        try:
            whole = self.validate_number(number if number is not None else "")
        except (PageNotAnInteger, EmptyPage):
            whole = 1
        return self.page(whole)

    def page(self, number: int | str) -> Page[M]:
        if not self.is_capped:
            return super().page(number)
        whole = self.validate_number(number)
        bottom = (whole - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return CappedPage(
            rows[: self.per_page],
            whole,
            self,
            has_more=len(rows) > self.per_page,
        )


class PagedRows(ABC, Generic[M]):
    """Rows that Django's Paginator pages like a query set, read a page at a time.

    For lists that are read in several index-ordered parts rather than one
    query: a subclass gives ``count()``, ``count_up_to`` and ``rows(start,
    stop)``; this gives
    the sequence the Paginator slices (whole slices from the first row on).
    A ``CappedPaginator`` counts them with ``count_up_to``.
    """

    ordered = True  # for Paginator's check of unordered lists

    @abstractmethod
    def count(self) -> int:
        """How many rows there are."""

    @abstractmethod
    def count_up_to(self, limit: int) -> int:
        """How many rows there are, but at most ``limit`` (reading no more)."""

    @abstractmethod
    def rows(self, start: int, stop: int) -> list[M]:
        """The rows at positions start..stop-1 (start < stop)."""

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
