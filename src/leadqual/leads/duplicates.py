"""Suspected duplicate leads, stored and kept up to date as leads arrive.

The pairs are what ``core.duplicates.find_duplicates`` finds over all leads,
but computed per batch: the batch's leads are compared only with the leads
that share a blocking key with them (company name, work domain, phone; stored
on Lead and indexed), in one query per batch. Every service that changes a
lead's name, email, company or phone calls ``refresh_duplicate_candidates``
with that lead; ``rebuild_duplicate_candidates`` recomputes everything (after a
bulk import that bypassed the services, or once for an existing database).

One limitation follows from find_duplicates itself: a key shared by more
than MAX_BLOCK_SIZE leads is compared in slices by lead id, and a slice
boundary moves when a lead leaves such a group. Only a rebuild realigns those
pairs; smaller groups are always exact.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from leadqual.core.duplicates import (
    BlockingKeys,
    DuplicatePair,
    LeadIdentity,
    company_key,
    find_duplicates,
    phone_key,
    work_domain,
)
from leadqual.db import bulk_update
from leadqual.leads.models import DuplicateCandidate, Lead

logger = logging.getLogger(__name__)

KEY_FIELDS = ("company_match_key", "domain_match_key", "phone_match_key")
_IDENTITY_FIELDS = ("pk", "first_name", "last_name", "email", "company__name", "phone")
# Leads read per query by a rebuild: bounded memory for the rows in flight.
REBUILD_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class MatchKeys:
    """A lead's blocking keys, "" where it has none."""

    company: str = ""
    domain: str = ""
    phone: str = ""

    def blocking(self) -> BlockingKeys:
        return BlockingKeys.from_parts(
            company=self.company, domain=self.domain, phone=self.phone
        )


def match_keys(identity: LeadIdentity) -> MatchKeys:
    """The keys find_duplicates groups ``identity`` by (core.duplicates)."""
    return MatchKeys(
        company=company_key(identity.company_name) or "",
        domain=work_domain(identity.email) or "",
        phone=phone_key(identity.phone) or "",
    )


def _identity(row: Sequence[Any]) -> LeadIdentity:
    pk, first, last, email, company, phone = row[:6]
    return LeadIdentity(
        lead_id=pk,
        full_name=f"{first} {last}".strip(),
        email=email,
        company_name=company,
        phone=phone or None,
    )


def _lock_keys(keys: Iterable[str]) -> None:
    """On PostgreSQL, serialise batches that share a key until they commit.

    Without it two batches arriving at once, each with one half of a pair,
    would not see each other's uncommitted lead and both miss the pair.
    SQLite runs one writer at a time already. Locks are taken in one stable
    order, so two batches never wait for each other in a circle.
    """
    if connection.vendor != "postgresql":
        return
    numbers = sorted(
        {
            int.from_bytes(
                hashlib.blake2b(key.encode(), digest_size=8).digest(),
                "big",
                signed=True,
            )
            for key in keys
        }
    )
    if not numbers:
        return
    with connection.cursor() as cursor:
        # OFFSET 0 keeps the sorted subquery apart, so locks follow its order.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM "
            "(SELECT k FROM unnest(%s::bigint[]) AS k ORDER BY k OFFSET 0) AS sorted",
            [numbers],
        )


def _wanted_rows(
    pairs: Iterable[DuplicatePair], *, now: datetime
) -> dict[tuple[int, int], DuplicateCandidate]:
    return {
        (pair.first_id, pair.second_id): DuplicateCandidate(
            first_id=pair.first_id,
            second_id=pair.second_id,
            similarity=pair.similarity,
            reasons=[str(reason) for reason in pair.reasons],
            reason_count=len(pair.reasons),
            found_at=now,
        )
        for pair in pairs
    }


def refresh_duplicate_candidates(lead_ids: Iterable[int], *, now: datetime) -> int:
    """Recompute the stored duplicate pairs of these leads, in a few queries.

    Stores each lead's blocking keys, reads the leads sharing one of them
    (one query for the whole batch), and makes the stored pairs that involve
    a lead of the batch equal find_duplicates' pairs: new pairs are added with
    ``found_at=now``, pairs that no longer hold are deleted, others keep their
    ``found_at``. Anonymised leads have no keys and no pairs. Leads that no
    longer exist are skipped. Returns how many pairs the leads have now.
    """
    ids = sorted(set(lead_ids))
    if not ids:
        return 0
    with transaction.atomic():
        rows = Lead.objects.filter(pk__in=ids).values_list(
            *_IDENTITY_FIELDS, "anonymised_at", *KEY_FIELDS
        )
        batch: dict[int, LeadIdentity] = {}
        batch_keys: list[MatchKeys] = []
        blocking: dict[int, BlockingKeys] = {}
        changed: list[Lead] = []
        for row in rows:
            identity = _identity(row)
            anonymised_at, *stored = row[6:]
            keys = MatchKeys() if anonymised_at else match_keys(identity)
            if [keys.company, keys.domain, keys.phone] != stored:
                changed.append(
                    Lead(
                        pk=identity.lead_id,
                        company_match_key=keys.company,
                        domain_match_key=keys.domain,
                        phone_match_key=keys.phone,
                    )
                )
            if not anonymised_at:
                batch[identity.lead_id] = identity
                batch_keys.append(keys)
                blocking[identity.lead_id] = keys.blocking()
        bulk_update(changed, KEY_FIELDS)
        companies = {keys.company for keys in batch_keys} - {""}
        domains = {keys.domain for keys in batch_keys} - {""}
        phones = {keys.phone for keys in batch_keys} - {""}
        _lock_keys(
            [f"name:{k}" for k in companies]
            + [f"domain:{k}" for k in domains]
            + [f"phone:{k}" for k in phones]
        )
        neighbours: list[LeadIdentity] = []
        if companies or domains or phones:
            for row in (
                Lead.objects.filter(
                    Q(company_match_key__in=sorted(companies))
                    | Q(domain_match_key__in=sorted(domains))
                    | Q(phone_match_key__in=sorted(phones))
                )
                .exclude(pk__in=ids)
                .filter(anonymised_at__isnull=True)
                .values_list(*_IDENTITY_FIELDS, *KEY_FIELDS)
            ):
                neighbour = _identity(row)
                neighbours.append(neighbour)
                # Stored by whatever changed the neighbour last: not read again.
                blocking[neighbour.lead_id] = MatchKeys(*row[6:]).blocking()
        # Lead id order, as over all leads: find_duplicates slices big groups
        # by position.
        everyone = sorted(
            [*batch.values(), *neighbours], key=lambda identity: identity.lead_id
        )
        wanted = _wanted_rows(
            find_duplicates(everyone, keys=blocking, involving=set(ids)), now=now
        )
        stored_pairs = {
            (row.first_id, row.second_id): row
            for row in DuplicateCandidate.objects.filter(
                Q(first_id__in=ids) | Q(second_id__in=ids)
            )
        }
        gone = [row.pk for key, row in stored_pairs.items() if key not in wanted]
        DuplicateCandidate.objects.filter(pk__in=gone).delete()
        updated = []
        for key, row in stored_pairs.items():
            new = wanted.get(key)
            if new is not None and (
                row.similarity != new.similarity or row.reasons != new.reasons
            ):
                row.similarity, row.reasons = new.similarity, new.reasons
                row.reason_count = new.reason_count
                updated.append(row)
        bulk_update(updated, ["similarity", "reasons", "reason_count"])
        # Another batch may have stored the same pair a moment ago: keep that.
        DuplicateCandidate.objects.bulk_create(
            [row for key, row in wanted.items() if key not in stored_pairs],
            ignore_conflicts=True,
        )
    return len(wanted)


def forget_duplicate_candidates(lead_ids: Iterable[int]) -> int:
    """Delete every stored pair with one of these leads; returns how many."""
    ids = sorted(set(lead_ids))
    _total, by_model = DuplicateCandidate.objects.filter(
        Q(first_id__in=ids) | Q(second_id__in=ids)
    ).delete()
    return by_model.get(DuplicateCandidate._meta.label, 0)


def rebuild_duplicate_candidates(
    *,
    now: datetime,
    lead_model: Any = Lead,
    candidate_model: Any = DuplicateCandidate,
) -> int:
    """Recompute every lead's keys and every stored pair from scratch.

    For data that arrived without the services (a bulk load) and for a
    database from before the pairs were stored (the migration passes its
    historical models). Pairs still found keep their ``found_at``. Runs in one
    transaction; returns the number of pairs.
    """
    with transaction.atomic():
        identities: list[LeadIdentity] = []
        blocking: dict[int, BlockingKeys] = {}
        changed: list[Any] = []
        last_pk = 0
        while True:
            chunk = list(
                lead_model.objects.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list(*_IDENTITY_FIELDS, "anonymised_at", *KEY_FIELDS)[
                    :REBUILD_CHUNK
                ]
            )
            if not chunk:
                break
            last_pk = chunk[-1][0]
            for row in chunk:
                identity = _identity(row)
                anonymised_at, *stored = row[6:]
                keys = MatchKeys() if anonymised_at else match_keys(identity)
                if [keys.company, keys.domain, keys.phone] != stored:
                    changed.append(
                        lead_model(
                            pk=identity.lead_id,
                            company_match_key=keys.company,
                            domain_match_key=keys.domain,
                            phone_match_key=keys.phone,
                        )
                    )
                if not anonymised_at:
                    identities.append(identity)
                    blocking[identity.lead_id] = keys.blocking()
            bulk_update(changed, KEY_FIELDS)
            changed = []
        found_at = {
            (first, second): at
            for first, second, at in candidate_model.objects.values_list(
                "first_id", "second_id", "found_at"
            )
        }
        pairs = find_duplicates(identities, keys=blocking)
        candidate_model.objects.all().delete()
        candidate_model.objects.bulk_create(
            [
                candidate_model(
                    first_id=pair.first_id,
                    second_id=pair.second_id,
                    similarity=pair.similarity,
                    reasons=[str(reason) for reason in pair.reasons],
                    reason_count=len(pair.reasons),
                    found_at=found_at.get((pair.first_id, pair.second_id), now),
                )
                for pair in pairs
            ],
            batch_size=2_000,
        )
    logger.info(
        "Rebuilt %s duplicate candidates over %s leads", len(pairs), len(identities)
    )
    return len(pairs)
