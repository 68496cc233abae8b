"""Requalification: rescore leads on the cycle and triage those whose band moved.

This lives in ``triage`` rather than ``scoring`` because it calls both:
``scoring`` knows nothing of triage (see STYLE.md, section 2), the same way
``intake.pipeline`` runs score -> triage for an arrival.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from leadqual.core.requalification import (
    NOT_REQUALIFIED_STATUSES,
    requalification_cutoff,
)
from leadqual.core.scoring import ScoreTrigger
from leadqual.leads.models import Lead
from leadqual.leads.queries import lead_ids_after
from leadqual.scoring.services import (
    Rescored,
    active_scoring_model,
    rescore_lead_range,
)
from leadqual.triage.kpi_facts import refresh_score_buckets
from leadqual.triage.services import rescore_and_triage, triage_band_changes

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200


@dataclass(frozen=True, slots=True)
class RequalificationResult:
    """What one requalification run did."""

    checked: int
    changed: int
    triaged: int


def leads_to_requalify(
    *, now: datetime, cycle_days: int, include_all: bool = False
) -> QuerySet[Lead]:
    """Leads due for requalification, as ``core.requalification`` states the rule.

    With ``include_all`` every lead that takes part in requalification,
    whatever the age of its score. Raises ValueError for a cycle outside 30..90.
    """
    cutoff = requalification_cutoff(now, cycle_days=cycle_days)
    leads = Lead.objects.exclude(
        status__in=[status.value for status in NOT_REQUALIFIED_STATUSES]
    ).filter(anonymised_at__isnull=True)  # erased people are not followed up
    if include_all:
        return leads
    return leads.filter(Q(scored_at__isnull=True) | Q(scored_at__lt=cutoff)).filter(
        Q(requalified_at__isnull=True) | Q(requalified_at__lt=cutoff)
    )


def requalify_stale_leads(
    *,
    now: datetime,
    cycle_days: int,
    include_all: bool = False,
    trigger: ScoreTrigger = ScoreTrigger.REQUALIFY,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> RequalificationResult:
    """Rescore every lead whose score is older than the cycle; triage band changes.

    Works in batches of one transaction each. Safe to run twice at once: each
    batch claims its leads again under lock and re-checks that they are still
    due, so a lead that another run has just rescored is skipped and never
    triaged twice. ``on_progress(done, total)`` is called after every batch.
    Returns counts of leads checked, scores changed and leads triaged; raises
    NoActiveScoringModel when no scoring model is active.
    """
    scoring_model = active_scoring_model()
    due = leads_to_requalify(now=now, cycle_days=cycle_days, include_all=include_all)
    ids = list(due.order_by("id").values_list("id", flat=True))
    checked = changed = triaged = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            # Claim the rows first: a second worker may be running this same
            # job. PostgreSQL skips rows another run holds; SQLite ignores the
            # clause, as its IMMEDIATE transactions already run one at a time.
            # Filtering by `due` again drops leads rescored in the meantime.
            claimed = (
                due.filter(id__in=chunk)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("company")
                .order_by("id")
            )
            leads = list(claimed)
            looked_at = [lead.pk for lead in leads]
            rescored, triage = rescore_and_triage(
                leads, now=now, trigger=trigger, scoring_model=scoring_model
            )
            checked += len(leads)
            changed += sum(1 for result in rescored.values() if result.changed)
            triaged += len(triage)
            # A stable score keeps its old scored_at: without this mark the
            # lead would be due again tomorrow, and every day after.
            Lead.objects.filter(id__in=looked_at).update(requalified_at=now)
        if on_progress is not None:
            on_progress(min(start + batch_size, len(ids)), len(ids))
    logger.info(
        "Requalified %s leads: %s scores changed, %s triaged",
        checked,
        changed,
        triaged,
    )
    return RequalificationResult(checked=checked, changed=changed, triaged=triaged)


# Leads per transaction of ``rescore_every_lead``: large enough that the
# column-wise scorer's fixed costs vanish, small enough to keep memory flat
# (about 30 MB per chunk of 10,000 leads with ten events each).
RESCORE_CHUNK_SIZE = 10_000


def rescore_every_lead(
    *,
    now: datetime,
    trigger: ScoreTrigger = ScoreTrigger.RESCORE,
    batch_size: int = RESCORE_CHUNK_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Rescore every lead under the active model and triage the band changes.

    Walks the leads in id order, ``batch_size`` per transaction, locked in
    that order: each chunk's fields and aggregated events are read in one
    query each, scored column-wise and written in bulk
    (``scoring.services.rescore_lead_range``); the leads whose band changed
    are triaged in the same transaction. Memory stays within one chunk.
    Returns (leads scored, scores that changed). ``on_progress(done, total)``
    is called after every chunk. Raises NoActiveScoringModel when no scoring
    model is active.
    """
    scoring_model = active_scoring_model()
    total = Lead.objects.count()
    scored = changed = 0
    after_id = 0
    while True:
        with transaction.atomic():
            claimed = lead_ids_after(after_id, batch_size)
            if not claimed:
                break
            lead_ids = [lead_id for lead_id, _company_id in claimed]
            result = rescore_lead_range(
                lead_ids,
                [company_id for _lead_id, company_id in claimed if company_id],
                now=now,
                trigger=trigger,
                scoring_model=scoring_model,
            )
            _triage(result.band_changes, now=now)
            # A score that moved within its band moves the KPIs' calibration.
            refresh_score_buckets(
                lead_id
                for lead_id in result.changed_lead_ids
                if lead_id not in result.band_changes
            )
        after_id = lead_ids[-1]
        scored += result.scored
        changed += result.changed
        if on_progress is not None:
            on_progress(min(scored, max(total, scored)), max(total, scored))
    return scored, changed


def _triage(band_changes: Mapping[int, Rescored], *, now: datetime) -> None:
    """Triage the leads whose band changed: they are loaded as rows here, the
    others never are."""
    if not band_changes:
        return
    leads = Lead.objects.select_related("company").in_bulk(sorted(band_changes))
    triage_band_changes(
        [(leads[lead_id], band_changes[lead_id]) for lead_id in sorted(band_changes)],
        now=now,
    )
