"""Scoring model versions and scores: the only code that stores them.

``rescore_lead`` converts rows to core values, calls the pure core scorer and
stores the result: a new Score row only when the score changed, a BandChange
row when the band changed (triage works through those).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from leadqual.core import scoring as core
from leadqual.core.bands import Band
from leadqual.core.batch_scoring import (
    BANDS,
    BatchScores,
    aggregation_plan,
    explanation_record,
    score_columns,
    score_many,
)
from leadqual.core.errors import (
    DraftAlreadyDecided,
    DraftScoringModel,
    NoActiveScoringModel,
)
from leadqual.core.model_file import (
    parse_scoring_model,
    with_typed_points,
    with_typed_thresholds,
)
from leadqual.core.profile import ACCOUNT_FIELDS
from leadqual.core.scoring import ScoreTrigger, event_window
from leadqual.db import (
    bulk_insert,
    bulk_update,
    insert_rows,
    insert_rows_returning_ids,
    prepared_value,
    update_rows,
)
from leadqual.leads.accounts import rescore_accounts
from leadqual.leads.models import Company, Lead
from leadqual.leads.queries import (
    event_aggregates,
    events_for_scoring,
    lead_columns,
    lead_profile,
)
from leadqual.scoring.models import (
    BandChange,
    DraftDecision,
    Score,
    ScoringModelVersion,
    rule_points_digest,
)
from leadqual.scoring.queries import (
    StoredScore,
    latest_scores,
    newest_scores_in_range,
)

logger = logging.getLogger(__name__)

DEFAULT_MODEL_FILE = "b2b_software.toml"

# Parsed models by (version id, source digest): a version's source never changes
# once used, and parsing on every request would cost more than scoring.
_parsed_models: dict[tuple[int, str], core.ScoringModel] = {}
# The same, by (version id, hash of the source text): Python keeps a string's
# hash, so a batch that asks for every lead costs no SHA-256 each time.
_by_text_hash: dict[tuple[int, int], core.ScoringModel] = {}


def default_model_source() -> str:
    """The TOML text of the scoring model shipped with leadqual."""
    return (
        resources.files("leadqual.scoring.model_files")
        .joinpath(DEFAULT_MODEL_FILE)
        .read_text("utf-8")
    )


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parsed_model(version: ScoringModelVersion) -> core.ScoringModel:
    """The core scoring model of a stored version."""
    quick = (version.pk, hash(version.source))
    model = _by_text_hash.get(quick)
    if model is not None:
        return model
    key = (version.pk, _digest(version.source))
    model = _parsed_models.get(key)
    if model is None:
        model = parse_scoring_model(version.source, version=version.version)
        _parsed_models[key] = model
    _by_text_hash[quick] = model
    return model


def _store_next_version(
    model: core.ScoringModel, source: str, *, now: datetime, **fields: Any
) -> ScoringModelVersion:
    """Store ``source`` as the version after the newest, inside the caller's
    transaction. The newest version's row stays locked until it ends, so two
    writers (a loaded file and a draft alike) never take one number."""
    newest = (
        ScoringModelVersion.objects.select_for_update()
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    number = (newest or 0) + 1
    return ScoringModelVersion.objects.create(
        version=number,
        name=model.name,
        description=model.description,
        source=source,
        created_at=now,
        **fields,
    )


def load_scoring_model(
    source: str, *, activate: bool, now: datetime
) -> tuple[ScoringModelVersion, bool]:
    """Store a scoring model file as the next version (validated first).

    Returns (row, created). A file identical to the newest version is not
    stored again; that version is returned (and activated if asked).
    Raises InvalidScoringModel with the rule and key at fault.
    """
    model = parse_scoring_model(source)
    with transaction.atomic():
        # Drafts wait for approval; loading a file never approves one.
        newest = (
            ScoringModelVersion.objects.select_for_update()
            .filter(is_draft=False)
            .order_by("-version")
            .first()
        )
        if newest is not None and newest.source == source:
            row, created = newest, False
        else:
            row, created = _store_next_version(model, source, now=now), True
        if activate and not row.is_active:
            activate_scoring_model(row, now=now)
    return row, created


def activate_scoring_model(row: ScoringModelVersion, *, now: datetime) -> None:
    """Make this version the one used for new scores.

    Raises DraftScoringModel for a draft: a draft is approved first.
    """
    _refuse_draft(row)
    with transaction.atomic():
        ScoringModelVersion.objects.filter(is_active=True).exclude(pk=row.pk).update(
            is_active=False
        )
        row.is_active = True
        row.activated_at = now
        row.save(update_fields=["is_active", "activated_at"])
    logger.info("Activated scoring model v%s", row.version)


def _refuse_draft(row: ScoringModelVersion) -> None:
    if row.is_draft:
        raise DraftScoringModel(
            f"Scoring model v{row.version} is a draft awaiting review; it cannot score "
            "leads or become active until someone approves it."
        )


def store_draft_scoring_model(
    source: str,
    proposal: dict[str, object],
    *,
    now: datetime,
    week_of: date | None = None,
) -> ScoringModelVersion:
    """Store a model file as the next version, as a draft awaiting review.

    ``proposal`` is the optimiser's evidence, kept beside the source. The
    draft is never active and never scores. ``week_of`` marks the weekly
    optimiser run's draft: the database holds one per week, so when that
    week's draft is stored already (also by another worker at the same
    moment) it is returned and nothing new is stored. Raises
    InvalidScoringModel when the source does not parse.
    """
    model = parse_scoring_model(source)
    try:
        with transaction.atomic():
            row = _store_next_version(
                model,
                source,
                now=now,
                is_draft=True,
                proposal=proposal,
                week_of=week_of,
            )
    except IntegrityError:
        # The week's draft is stored already (one_weekly_proposal_per_week).
        stored = (
            ScoringModelVersion.objects.filter(week_of=week_of).first()
            if week_of is not None
            else None
        )
        if stored is None:
            raise
        return stored
    logger.info("Stored scoring model v%s as a draft for review", row.version)
    return row


def _claim_open_draft(
    version: int,
    decision: DraftDecision,
    *,
    by: User | None,
    reason: str,
    now: datetime,
) -> ScoringModelVersion:
    """Mark the open draft ``version`` as decided, in one conditional update.

    Two people deciding at once: only one update finds the draft still open,
    the other raises DraftAlreadyDecided.
    """
    claimed = ScoringModelVersion.objects.filter(
        version=version, is_draft=True, decision=""
    ).update(
        decision=decision,
        decided_at=now,
        decided_by=by,
        decision_reason=reason,
        is_draft=decision is DraftDecision.REJECTED,
    )
    if claimed != 1:
        raise DraftAlreadyDecided(
            f"Scoring model v{version} is not a draft waiting for a decision: "
            "someone approved or rejected it already, or it never was a draft."
        )
    return ScoringModelVersion.objects.get(version=version)


def approve_draft(
    version: int, *, by: User | None, reason: str = "", now: datetime
) -> ScoringModelVersion:
    """Publish the open draft ``version`` as the active scoring model.

    The version active until now stays stored and readable, and every score
    keeps the version that produced it. The caller rescores the leads
    (``triage.jobs.requalify_all_leads``) once this has committed. Raises
    DraftAlreadyDecided when the version is no open draft, InvalidScoringModel
    when its source does not parse.
    """
    with transaction.atomic():
        row = _claim_open_draft(
            version, DraftDecision.APPROVED, by=by, reason=reason, now=now
        )
        parse_scoring_model(row.source)
        activate_scoring_model(row, now=now)
    logger.info("Scoring model v%s approved by user %s", version, by and by.pk)
    return row


def reject_draft(
    version: int, *, by: User | None, reason: str, now: datetime
) -> ScoringModelVersion:
    """Reject the open draft ``version``: it stays readable and never scores.

    Raises DraftAlreadyDecided when the version is no open draft, ValueError
    for an empty reason (the form asks for one first).
    """
    if not reason.strip():
        raise ValueError("A rejection needs a reason.")
    with transaction.atomic():
        row = _claim_open_draft(
            version, DraftDecision.REJECTED, by=by, reason=reason.strip(), now=now
        )
    logger.info("Scoring model v%s rejected by user %s", version, by and by.pk)
    return row


def change_draft_points(version: int, typed: dict[str, str]) -> ScoringModelVersion:
    """Set points of the open draft ``version`` to what a person typed per rule.

    Every value is written into the model file and read back by the model
    file parser (``core.model_file.with_typed_points``); nothing is stored
    unless all are valid. Raises InvalidScoringModel with a message per rule
    name in ``fields``, DraftAlreadyDecided when the version is no open draft.
    """
    with transaction.atomic():
        row = (
            ScoringModelVersion.objects.select_for_update()
            .filter(version=version)
            .first()
        )
        if row is None or not row.is_open_draft:
            raise DraftAlreadyDecided(
                f"Scoring model v{version} is not a draft waiting for a decision; "
                "only an open draft can be changed."
            )
        source = with_typed_points(row.source, typed)
        if source != row.source:
            row.source = source
            row.save(update_fields=["source"])
    return row


def change_draft_thresholds(version: int, typed: dict[str, str]) -> ScoringModelVersion:
    """Set the warm/hot thresholds of the open draft ``version`` to what a
    person typed (``core.model_file.with_typed_thresholds``).

    Nothing is stored unless both are valid. Raises InvalidScoringModel with a
    message per key (``warm``, ``hot``) in ``fields``, DraftAlreadyDecided
    when the version is no open draft.
    """
    with transaction.atomic():
        row = (
            ScoringModelVersion.objects.select_for_update()
            .filter(version=version)
            .first()
        )
        if row is None or not row.is_open_draft:
            raise DraftAlreadyDecided(
                f"Scoring model v{version} is not a draft waiting for a decision; "
                "only an open draft can be changed."
            )
        source = with_typed_thresholds(row.source, typed)
        if source != row.source:
            row.source = source
            row.save(update_fields=["source"])
    return row


def ensure_default_model(*, now: datetime) -> ScoringModelVersion:
    """The active scoring model; installs and activates the shipped one if none is."""
    active = ScoringModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    row, _created = load_scoring_model(default_model_source(), activate=True, now=now)
    return row


def active_scoring_model() -> ScoringModelVersion:
    """The active version. Raises NoActiveScoringModel when there is none."""
    row = ScoringModelVersion.objects.filter(is_active=True).first()
    if row is None:
        raise NoActiveScoringModel(
            "No scoring model is active. Run `leadqual migrate` (which installs the default "
            "model) or `leadqual load-scoring-model FILE`."
        )
    return row


def explanation_json(score: core.Score) -> list[dict[str, object]]:
    return [explanation_record(hit) for hit in score.explanation]


def _fingerprint(score: Score) -> tuple[object, ...]:
    # Reason texts carry ages ("2 days ago") that change daily; what counts as
    # a changed score is the points per rule, not the wording.
    digest = score.rule_points_digest or rule_points_digest(
        (hit["rule"], hit["points"]) for hit in score.explanation
    )
    return (
        score.model_version,
        score.fit,
        score.intent,
        score.engagement,
        score.ai,
        score.total,
        score.band,
        digest,
    )


def _core_fingerprint(
    score: core.Score, digest: str, model_version: int
) -> tuple[object, ...]:
    """``_fingerprint`` of the Score row this core score would become."""
    return (
        model_version,
        score.fit,
        score.intent,
        score.engagement,
        score.ai,
        score.total,
        score.band.value,
        digest,
    )


@dataclass(frozen=True, slots=True)
class Rescored:
    """The lead's current score row, and what changed."""

    score: Score
    changed: bool
    previous_band: Band | None
    band: Band

    @property
    def band_changed(self) -> bool:
        return self.previous_band != self.band


# From this many leads a batch is scored column-wise (core.batch_scoring),
# which gives the same scores; below it NumPy's fixed cost per rule outweighs
# the gain.
COLUMN_WISE_FROM = 64


def rescore_leads(
    leads: Sequence[Lead],
    *,
    now: datetime,
    trigger: ScoreTrigger,
    scoring_model: ScoringModelVersion | None = None,
) -> dict[int, Rescored]:
    """Score the leads as of ``now`` and store each score that changed, per batch.

    Reads every lead's events and latest score in a few queries whatever the
    batch size, writes new Score and BandChange rows in bulk, and updates the
    given Lead instances' score, band and scored_at. Leads are written in id
    order; callers that lock them lock them in that order too. Must run inside
    a transaction. Returns Rescored by lead id; ``band_changed`` is True for a
    lead's first score too. The caller triages the band changes
    (triage.services.triage_band_changes).
    """
    version = scoring_model or active_scoring_model()
    _refuse_draft(version)
    model = parsed_model(version)
    ordered = sorted(
        {lead.pk: lead for lead in leads}.values(), key=lambda lead: lead.pk
    )
    if not ordered:
        return {}
    ids = [lead.pk for lead in ordered]
    events = events_for_scoring(ids, event_window(model), now=now)
    latest = latest_scores(ids)
    results: dict[int, Rescored] = {}
    new_scores: list[Score] = []
    changed_leads: list[Lead] = []
    profiles = [lead_profile(lead) for lead in ordered]
    event_lists = [events.get(lead.pk, ()) for lead in ordered]
    if len(ordered) >= COLUMN_WISE_FROM:
        scores = score_many(profiles, event_lists, model, now=now).scores()
    else:
        scores = [
            core.score_lead(profile, lead_events, model, now=now)
            for profile, lead_events in zip(profiles, event_lists, strict=True)
        ]
    for lead, score in zip(ordered, scores, strict=True):
        explanation = explanation_json(score)
        digest = rule_points_digest((hit["rule"], hit["points"]) for hit in explanation)
        current = latest.get(lead.pk)
        previous_band = Band(current.band) if current is not None else None
        if current is not None and _fingerprint(current) == _core_fingerprint(
            score, digest, version.version
        ):
            results[lead.pk] = Rescored(
                score=current,
                changed=False,
                previous_band=previous_band,
                band=previous_band or score.band,
            )
            continue
        candidate = Score(
            lead=lead,
            scoring_model=version,
            model_version=version.version,
            fit=score.fit,
            intent=score.intent,
            engagement=score.engagement,
            ai=score.ai,
            total=score.total,
            band=score.band.value,
            explanation=explanation,
            rule_points_digest=digest,
            computed_at=now,
            trigger=trigger.value,
        )
        new_scores.append(candidate)
        lead.score_total, lead.band, lead.scored_at = score.total, score.band.value, now
        changed_leads.append(lead)
        results[lead.pk] = Rescored(
            score=candidate,
            changed=True,
            previous_band=previous_band,
            band=score.band,
        )
    if not new_scores:
        return results
    bulk_insert(new_scores)
    bulk_update(changed_leads, ["score_total", "band", "scored_at"])
    if version.first_used_at is None:
        ScoringModelVersion.objects.filter(
            pk=version.pk, first_used_at__isnull=True
        ).update(first_used_at=now)
        version.first_used_at = now
    band_changes = [
        (
            lead_id,
            rescored.score.pk,
            rescored.previous_band.value if rescored.previous_band else "",
            rescored.band.value,
            now,
        )
        for lead_id, rescored in results.items()
        if rescored.changed and rescored.band_changed
    ]
    insert_rows(
        BandChange,
        ["lead_id", "score_id", "from_band", "to_band", "changed_at"],
        band_changes,
    )
    logger.info(
        "Rescored %s leads (%s): %s scores changed, %s bands changed",
        len(ordered),
        trigger.value,
        len(new_scores),
        len(band_changes),
    )
    return results


def reads_account(model: core.ScoringModel) -> bool:
    """True when a rule of the model tests the lead's account (its company)."""
    return bool(core.fields_read(model) & ACCOUNT_FIELDS)


def _companies_of(leads: Sequence[Lead]) -> list[Company]:
    """The leads' companies, one instance per company shared by its leads.

    The account roll-up updates the instance it is given; every lead of that
    company must then be scored with the new values. Companies not loaded
    with their leads are read in one query.
    """
    missing = {
        lead.company_id
        for lead in leads
        if lead.company_id is not None and not Lead.company.is_cached(lead)
    }
    shared: dict[int, Company] = Company.objects.in_bulk(missing) if missing else {}
    for lead in leads:
        if lead.company_id is None:
            continue
        company = shared.setdefault(lead.company_id, lead.company)  # type: ignore[arg-type]
        lead.company = company
    return [shared[company_id] for company_id in sorted(shared)]


def rescore_with_accounts(
    leads: Sequence[Lead],
    *,
    now: datetime,
    trigger: ScoreTrigger,
    scoring_model: ScoringModelVersion | None = None,
) -> dict[int, Rescored]:
    """``rescore_leads`` with the leads' accounts rolled up around it, per batch.

    Every change of scores calls this, arrival or not, so a company's stored
    account score always follows its contacts' scores: rolled up before
    scoring when a rule reads the account (so the scores see it as it is
    now), and after, once per company, with the contacts' new scores.
    """
    if not leads:
        return {}
    version = scoring_model or active_scoring_model()
    companies = _companies_of(leads)
    if reads_account(parsed_model(version)):
        rescore_accounts(companies, now=now)
    rescored = rescore_leads(leads, now=now, trigger=trigger, scoring_model=version)
    rescore_accounts(companies, now=now)
    return rescored


def rescore_lead(
    lead: Lead,
    *,
    now: datetime,
    trigger: ScoreTrigger,
    scoring_model: ScoringModelVersion | None = None,
) -> Rescored:
    """Score one lead as of ``now``: ``rescore_leads`` with a batch of one."""
    return rescore_leads([lead], now=now, trigger=trigger, scoring_model=scoring_model)[
        lead.pk
    ]


@dataclass(frozen=True, slots=True)
class RangeRescored:
    """What rescoring one range of leads did: how many scores changed, and the
    leads whose band changed (with their new score row) for triage.
    ``changed_lead_ids``: the leads whose score changed, in id order."""

    scored: int
    changed: int
    band_changes: dict[int, Rescored]
    changed_lead_ids: tuple[int, ...] = ()


def _numbers_changed(
    lead_ids: Sequence[int],
    batch: BatchScores,
    stored: Mapping[int, StoredScore],
    model_version: int,
) -> npt.NDArray[np.bool_]:
    """Per lead: True unless its newest stored score has the same model
    version, sub-scores, total and band."""
    subs = [batch.sub_scores[group].tolist() for group in SCORE_GROUPS]
    totals = batch.totals.tolist()
    bands = batch.band_codes.tolist()
    band_codes = {band.value: code for code, band in enumerate(BANDS)}
    changed = np.ones(len(lead_ids), dtype=np.bool_)
    for index, lead_id in enumerate(lead_ids):
        previous = stored.get(lead_id)
        if previous is None:
            continue
        changed[index] = (
            previous.model_version != model_version
            or previous.total != totals[index]
            or band_codes.get(previous.band) != bands[index]
            or [previous.fit, previous.intent, previous.engagement, previous.ai]
            != [values[index] for values in subs]
        )
    return changed


# The groups a Score row keeps a column for, in its column order.
SCORE_GROUPS = (
    core.Group.FIT,
    core.Group.INTENT,
    core.Group.ENGAGEMENT,
    core.Group.AI,
)


def rescore_lead_range(
    lead_ids: Sequence[int],
    company_ids: Iterable[int],
    *,
    now: datetime,
    trigger: ScoreTrigger,
    scoring_model: ScoringModelVersion,
) -> RangeRescored:
    """Score the leads (sorted ids, locked by the caller) column-wise and store
    each score that changed, in a constant number of queries.

    ``rescore_with_accounts`` for a whole range at once: the same scores,
    Score and BandChange rows, lead fields and account roll-ups, without a
    Lead instance per lead. The leads' fields come from one query, their
    events aggregated per lead and type by another (leads.queries), the
    scores from ``core.batch_scoring``. ``company_ids``: the leads'
    companies. Must run inside a transaction. The caller triages the band
    changes.
    """
    _refuse_draft(scoring_model)
    model = parsed_model(scoring_model)
    if not lead_ids:
        return RangeRescored(0, 0, {})
    companies = list(Company.objects.in_bulk(sorted(set(company_ids))).values())
    if companies and reads_account(model):
        rescore_accounts(companies, now=now)
    leads = lead_columns(lead_ids, core.fields_read(model), now=now)
    if leads.count != len(lead_ids):
        raise RuntimeError(
            f"Rescoring leads {lead_ids[0]}-{lead_ids[-1]}: {len(lead_ids)} leads were "
            f"claimed but {leads.count} read; claim them in this transaction first."
        )
    batch = score_columns(
        model, leads, event_aggregates(lead_ids, aggregation_plan(model), now=now)
    )
    stored = newest_scores_in_range(lead_ids[0], lead_ids[-1])
    changed = _numbers_changed(lead_ids, batch, stored, scoring_model.version)
    # Same numbers: the points per rule decide, as in _fingerprint.
    numbers_same = [
        index
        for index, lead_id in enumerate(lead_ids)
        if lead_id in stored and not changed[index]
    ]
    if numbers_same:
        only = np.zeros(len(lead_ids), dtype=np.bool_)
        only[numbers_same] = True
        same_points = batch.rule_points(only)
        for index in numbers_same:
            digest = rule_points_digest(same_points[index])
            if stored[lead_ids[index]].points_digest() != digest:
                changed[index] = True
    rows = np.flatnonzero(changed)
    if rows.size == 0:
        return RangeRescored(len(lead_ids), 0, {})
    texts = batch.explanation_texts(changed)
    rule_points = batch.rule_points(changed)
    computed_at = prepared_value(Score, "computed_at", now)
    subs = {group: values.tolist() for group, values in batch.sub_scores.items()}
    totals = batch.totals.tolist()
    bands = [BANDS[code].value for code in batch.band_codes.tolist()]
    score_rows = [
        (
            lead_ids[index],
            scoring_model.pk,
            scoring_model.version,
            subs[core.Group.FIT][index],
            subs[core.Group.INTENT][index],
            subs[core.Group.ENGAGEMENT][index],
            subs[core.Group.AI][index],
            totals[index],
            bands[index],
            texts[index],
            rule_points_digest(rule_points[index]),
            computed_at,
            trigger.value,
        )
        for index in rows.tolist()
    ]
    score_ids = insert_rows_returning_ids(
        Score,
        [
            "lead_id",
            "scoring_model_id",
            "model_version",
            "fit",
            "intent",
            "engagement",
            "ai",
            "total",
            "band",
            "explanation",
            "rule_points_digest",
            "computed_at",
            "trigger",
        ],
        score_rows,
        json_texts=["explanation"],
        prepared=["computed_at"],
    )
    scored_at = prepared_value(Lead, "scored_at", now)
    update_rows(
        Lead,
        ["score_total", "band", "scored_at"],
        [
            (lead_ids[index], totals[index], bands[index], scored_at)
            for index in rows.tolist()
        ],
        prepared=["scored_at"],
    )
    if scoring_model.first_used_at is None:
        ScoringModelVersion.objects.filter(
            pk=scoring_model.pk, first_used_at__isnull=True
        ).update(first_used_at=now)
        scoring_model.first_used_at = now
    band_changes: dict[int, Rescored] = {}
    for index, score_id, row in zip(rows.tolist(), score_ids, score_rows, strict=True):
        lead_id = lead_ids[index]
        previous = stored.get(lead_id)
        previous_band = Band(previous.band) if previous is not None else None
        band = Band(bands[index])
        if previous_band == band:
            continue
        score = Score(
            pk=score_id,
            lead_id=lead_id,
            scoring_model=scoring_model,
            model_version=scoring_model.version,
            fit=row[3],
            intent=row[4],
            engagement=row[5],
            ai=row[6],
            total=row[7],
            band=band.value,
            explanation=[],  # stored; triage reads the band and the model
            computed_at=now,
            trigger=trigger.value,
        )
        band_changes[lead_id] = Rescored(
            score=score, changed=True, previous_band=previous_band, band=band
        )
    insert_rows(
        BandChange,
        ["lead_id", "score_id", "from_band", "to_band", "changed_at"],
        [
            (
                lead_id,
                rescored.score.pk,
                rescored.previous_band.value if rescored.previous_band else "",
                rescored.band.value,
                computed_at,
            )
            for lead_id, rescored in band_changes.items()
        ],
        prepared=["changed_at"],
    )
    if companies:
        rescore_accounts(companies, now=now)
    logger.info(
        "Rescored leads %s-%s (%s): %s scores changed, %s bands changed",
        lead_ids[0],
        lead_ids[-1],
        trigger.value,
        rows.size,
        len(band_changes),
    )
    return RangeRescored(
        len(lead_ids),
        int(rows.size),
        band_changes,
        tuple(lead_ids[index] for index in rows.tolist()),
    )
