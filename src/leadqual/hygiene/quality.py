"""Read helpers for the data-quality page: gaps, stale leads, duplicates, merges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from leadqual.core.duplicates import DuplicateReason, LeadIdentity
from leadqual.hygiene.merging import is_undoable
from leadqual.leads.models import (
    LACKS_FIELD,
    LACKS_KEY_FIELD,
    DuplicateCandidate,
    Lead,
    LeadMerge,
)
from leadqual.paging import CappedCount, CappedPaginator, capped_count

# Lists on the page show at most this many rows, with their count beside them
# (exact up to the lists' count cap, leadqual.paging).
LIST_LIMIT = 100
RECENT_MERGES = 20

DUPLICATE_REASON_LABELS = {
    DuplicateReason.SAME_PERSON_AT_COMPANY: _("Same name at the same company"),
    DuplicateReason.SAME_PHONE: _("Same phone number"),
}
# The key fields a lead should have, with the filter that finds leads without
# (each served by a partial index on Lead).
MISSING_FIELD_FILTERS: dict[str, tuple[StrOrPromise, Q]] = {
    "company": (_("No company"), LACKS_FIELD["company"]),
    "sector": (_("No sector"), LACKS_FIELD["sector"]),
    "budget": (_("No budget"), LACKS_FIELD["budget"]),
    "phone": (_("No phone"), LACKS_FIELD["phone"]),
}


@dataclass(frozen=True, slots=True)
class LeadSummary:
    lead_id: int
    name: str
    email: str
    company: str
    updated_at: datetime
    missing: tuple[StrOrPromise, ...] = ()


@dataclass(frozen=True, slots=True)
class MissingFieldCount:
    key: str
    label: StrOrPromise
    count: CappedCount


@dataclass(frozen=True, slots=True)
class CappedList:
    """The first LIST_LIMIT rows of a list and how many there are in all."""

    rows: list[LeadSummary]
    total: CappedCount

    @property
    def is_cut(self) -> bool:
        return self.total.value > len(self.rows)


def _summary(lead: Lead, missing: tuple[StrOrPromise, ...] = ()) -> LeadSummary:
    return LeadSummary(
        lead_id=lead.pk,
        name=lead.shown_name,
        email=lead.email,
        company=lead.company.name if lead.company else "",
        updated_at=lead.updated_at,
        missing=missing,
    )


def missing_field_counts() -> list[MissingFieldCount]:
    """How many leads lack each key field (company, sector, budget, phone).

    One count per field: each reads its own partial index, where one
    aggregate with four filters would read every lead; and each only up to
    the count cap (``capped_count``), so not every lead lacking a phone.
    """
    return [
        MissingFieldCount(
            key=key, label=label, count=capped_count(Lead.objects.filter(q))
        )
        for key, (label, q) in MISSING_FIELD_FILTERS.items()
    ]


def leads_missing_key_fields(*, limit: int = LIST_LIMIT) -> CappedList:
    """Leads without at least one key field, newest first, each with what it lacks."""
    leads = Lead.objects.filter(LACKS_KEY_FIELD).select_related("company")
    rows = []
    for lead in leads.order_by("-created_at", "-pk")[:limit]:
        missing = []
        if lead.company_id is None:
            missing.append(MISSING_FIELD_FILTERS["company"][0])
        if not lead.sector:
            missing.append(MISSING_FIELD_FILTERS["sector"][0])
        if lead.budget_euros is None:
            missing.append(MISSING_FIELD_FILTERS["budget"][0])
        if not lead.phone:
            missing.append(MISSING_FIELD_FILTERS["phone"][0])
        rows.append(_summary(lead, tuple(missing)))
    # Counted from ``lead_lacking_key_field`` up to the cap: a lead lacking
    # two fields is one entry of that index, so the total stays exact.
    return CappedList(rows=rows, total=capped_count(leads))


def stale_leads(*, now: datetime, days: int, limit: int = LIST_LIMIT) -> CappedList:
    """Leads not updated for ``days`` days, longest untouched first."""
    leads = Lead.objects.filter(updated_at__lt=now - timedelta(days=days))
    rows = leads.select_related("company").order_by("updated_at", "pk")[:limit]
    return CappedList(rows=[_summary(lead) for lead in rows], total=capped_count(leads))


def lead_identities() -> list[LeadIdentity]:
    """Every lead as duplicate detection reads it, in one query.

    What the stored pairs are checked against: find_duplicates over this list
    gives them all (tests/leads/test_duplicates.py).
    """
    rows = Lead.objects.values_list(
        "pk", "first_name", "last_name", "email", "company__name", "phone"
    ).order_by("pk")
    return [
        LeadIdentity(
            lead_id=pk,
            full_name=f"{first} {last}".strip(),
            email=email,
            company_name=company,
            phone=phone or None,
        )
        for pk, first, last, email, company, phone in rows
    ]


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    """A suspected pair: ``older`` came first and is offered as the survivor."""

    older: LeadSummary
    newer: LeadSummary
    similarity: float
    reasons: tuple[StrOrPromise, ...]


@dataclass(frozen=True, slots=True)
class DuplicateList:
    """One page of suspected pairs; ``page`` pages the stored pairs."""

    rows: list[DuplicateRow]
    page: Page[DuplicateCandidate]

    @property
    def total(self) -> CappedCount:
        paginator = self.page.paginator
        assert isinstance(paginator, CappedPaginator)
        return CappedCount(value=paginator.count, cap=paginator.cap)


def suspected_duplicates(
    *, page: int | str | None = 1, per_page: int = LIST_LIMIT
) -> DuplicateList:
    """One page of the stored suspected pairs, most certain first.

    The pairs are kept up to date as leads arrive (leads.duplicates), so the
    page reads only its own rows: two queries and the leads they name,
    however many leads there are; the pairs are counted up to the count cap.
    An out-of-range page gives the last one (the first past the cap).
    """
    ranked = DuplicateCandidate.objects.order_by(
        "-reason_count", "-similarity", "first", "second"
    )
    shown: Page[DuplicateCandidate] = CappedPaginator(ranked, per_page).get_page(page)
    pairs = list(shown.object_list)
    ids = {pair.first_id for pair in pairs} | {pair.second_id for pair in pairs}
    leads = Lead.objects.select_related("company").in_bulk(ids)
    rows = [
        DuplicateRow(
            older=_summary(leads[pair.first_id]),
            newer=_summary(leads[pair.second_id]),
            similarity=pair.similarity,
            reasons=tuple(
                DUPLICATE_REASON_LABELS[DuplicateReason(reason)]
                for reason in pair.reasons
            ),
        )
        for pair in pairs
        if pair.first_id in leads and pair.second_id in leads
    ]
    return DuplicateList(rows=rows, page=shown)


@dataclass(frozen=True, slots=True)
class MergeRow:
    merge_id: int
    survivor_id: int
    survivor_name: str
    merged_email: str
    merged_at: datetime
    merged_by: str
    undone_at: datetime | None
    can_undo: bool


def recent_merges(*, now: datetime, limit: int = RECENT_MERGES) -> list[MergeRow]:
    """The latest merges, newest first, saying which can still be undone."""
    merges = LeadMerge.objects.select_related("survivor", "merged_by").order_by(
        "-merged_at", "-pk"
    )[:limit]
    return [
        MergeRow(
            merge_id=merge.pk,
            survivor_id=merge.survivor_id,
            survivor_name=merge.survivor.shown_name,
            merged_email=merge.merged_email,
            merged_at=merge.merged_at,
            merged_by=(
                merge.merged_by.get_full_name() or merge.merged_by.username
                if merge.merged_by
                else ""
            ),
            undone_at=merge.undone_at,
            can_undo=is_undoable(merge, now=now),
        )
        for merge in merges
    ]
