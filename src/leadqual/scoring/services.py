"""Scoring model versions and scores: the only code that stores them.

``rescore_lead`` converts rows to core values, calls the pure core scorer and
stores the result: a new Score row only when the score changed, a BandChange
row when the band changed (triage works through those).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from django.db import transaction
from django.db.models import Max

from leadqual.core import scoring as core
from leadqual.core.bands import Band
from leadqual.core.errors import NoActiveScoringModel
from leadqual.core.model_file import parse_scoring_model
from leadqual.leads.models import Lead
from leadqual.leads.queries import lead_events, lead_profile
from leadqual.scoring.models import BandChange, Score, ScoringModel

logger = logging.getLogger(__name__)

DEFAULT_MODEL_FILE = "b2b_software.toml"

# Parsed models by (row id, source digest): a version's source never changes
# once used, and parsing on every request would cost more than scoring.
_parsed_models: dict[tuple[int, str], core.ScoringModel] = {}


def default_model_source() -> str:
    """The TOML text of the scoring model shipped with leadqual."""
    return (
        resources.files("leadqual.scoring.model_files")
        .joinpath(DEFAULT_MODEL_FILE)
        .read_text("utf-8")
    )


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parsed_model(row: ScoringModel) -> core.ScoringModel:
    """The core scoring model of a stored version."""
    key = (row.pk, _digest(row.source))
    model = _parsed_models.get(key)
    if model is None:
        model = parse_scoring_model(row.source, version=row.version)
        _parsed_models[key] = model
    return model


def load_scoring_model(
    source: str, *, activate: bool, now: datetime
) -> tuple[ScoringModel, bool]:
    """Store a scoring model file as the next version (validated first).

    Returns (row, created). A file identical to the newest version is not
    stored again; that version is returned (and activated if asked).
    Raises InvalidScoringModel with the rule and key at fault.
    """
    model = parse_scoring_model(source)
    with transaction.atomic():
        newest = ScoringModel.objects.select_for_update().order_by("-version").first()
        if newest is not None and newest.source == source:
            row, created = newest, False
        else:
            next_version = (
                ScoringModel.objects.aggregate(v=Max("version"))["v"] or 0
            ) + 1
            row = ScoringModel.objects.create(
                version=next_version,
                name=model.name,
                description=model.description,
                source=source,
                created_at=now,
            )
            created = True
        if activate and not row.is_active:
            activate_scoring_model(row, now=now)
    return row, created


def activate_scoring_model(row: ScoringModel, *, now: datetime) -> None:
    """Make this version the one used for new scores."""
    with transaction.atomic():
        ScoringModel.objects.filter(is_active=True).exclude(pk=row.pk).update(
            is_active=False
        )
        row.is_active = True
        row.activated_at = now
        row.save(update_fields=["is_active", "activated_at"])
    logger.info("Activated scoring model v%s", row.version)


def ensure_default_model(*, now: datetime) -> ScoringModel:
    """The active scoring model; installs and activates the shipped one if none is."""
    active = ScoringModel.objects.filter(is_active=True).first()
    if active is not None:
        return active
    row, _created = load_scoring_model(default_model_source(), activate=True, now=now)
    return row


def active_scoring_model() -> ScoringModel:
    """The active version. Raises NoActiveScoringModel when there is none."""
    row = ScoringModel.objects.filter(is_active=True).first()
    if row is None:
        raise NoActiveScoringModel(
            "No scoring model is active. Run `leadqual migrate` (which installs the default "
            "model) or `leadqual load-scoring-model FILE`."
        )
    return row


def explanation_json(score: core.Score) -> list[dict[str, object]]:
    return [
        {
            "rule": hit.rule,
            "group": hit.group.value,
            "points": hit.points,
            "reason": hit.reason,
            "is_adjustment": hit.is_adjustment,
        }
        for hit in score.explanation
    ]


def _fingerprint(score: Score) -> tuple[object, ...]:
    # Reason texts carry ages ("2 days ago") that change daily; what counts as
    # a changed score is the points per rule, not the wording.
    hits = tuple((hit["rule"], hit["points"]) for hit in score.explanation)
    return (
        score.model_version,
        score.fit,
        score.intent,
        score.engagement,
        score.total,
        score.band,
        hits,
    )


@dataclass(frozen=True, slots=True)
class Rescored:
    """The lead's current score row, and what changed."""

    score: Score
    changed: bool
    previous_band: Band | None

    @property
    def band(self) -> Band:
        return Band(self.score.band)

    @property
    def band_changed(self) -> bool:
        return self.previous_band != self.band


def rescore_lead(
    lead: Lead,
    *,
    now: datetime,
    trigger: str,
    model_row: ScoringModel | None = None,
) -> Rescored:
    """Score the lead as of ``now`` and store the result if it changed.

    Must run inside a transaction. Returns Rescored with the current score
    row; ``band_changed`` is True for a lead's first score too.
    """
    row = model_row or active_scoring_model()
    score = core.score_lead(
        lead_profile(lead), lead_events(lead), parsed_model(row), now=now
    )
    latest = Score.objects.filter(lead=lead).order_by("-computed_at", "-id").first()
    candidate = Score(
        lead=lead,
        scoring_model=row,
        model_version=row.version,
        fit=score.fit,
        intent=score.intent,
        engagement=score.engagement,
        total=score.total,
        band=score.band.value,
        explanation=explanation_json(score),
        computed_at=now,
        trigger=trigger,
    )
    previous_band = Band(latest.band) if latest is not None else None
    if latest is not None and _fingerprint(latest) == _fingerprint(candidate):
        return Rescored(score=latest, changed=False, previous_band=previous_band)
    candidate.save()
    if row.first_used_at is None:
        ScoringModel.objects.filter(pk=row.pk, first_used_at__isnull=True).update(
            first_used_at=now
        )
        row.first_used_at = now
    Lead.objects.filter(pk=lead.pk).update(
        score_total=score.total, band=score.band.value, scored_at=now
    )
    lead.score_total, lead.band, lead.scored_at = score.total, score.band.value, now
    if previous_band != score.band:
        BandChange.objects.create(
            lead=lead,
            score=candidate,
            from_band=previous_band.value if previous_band else "",
            to_band=score.band.value,
            changed_at=now,
        )
        logger.info(
            "Lead %s changed band: %s -> %s (%s)",
            lead.pk,
            previous_band or "none",
            score.band,
            score.total,
        )
    return Rescored(score=candidate, changed=True, previous_band=previous_band)


def rescore_all_leads(
    *,
    now: datetime,
    trigger: str = "rescore",
    batch_size: int = 500,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Rescore every lead under the active model, in batches of one transaction each.

    Returns (leads scored, scores that changed). ``on_progress(done, total)``
    is called after every batch.
    """
    row = active_scoring_model()
    ids = list(Lead.objects.order_by("id").values_list("id", flat=True))
    changed = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            leads: Iterable[Lead] = Lead.objects.select_related("company").filter(
                id__in=chunk
            )
            for lead in leads:
                if rescore_lead(lead, now=now, trigger=trigger, model_row=row).changed:
                    changed += 1
        if on_progress is not None:
            on_progress(min(start + batch_size, len(ids)), len(ids))
    return len(ids), changed
