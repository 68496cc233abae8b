"""Predictive model versions: train, decide, predict for open leads, monitor.

The only code that writes ``PredictiveModelVersion``, ``MonitoringRun`` and a
lead's ``ai_probability``. Training reads the leads as the optimiser's replay
does (``triage.optimiser.lead_histories``) and leaves the statistics to
``modelling.training`` and ``leadqual.predictive``.

A version is trained as a draft. A person approves it (then it predicts for
every open lead, and the active scoring model gets an ``ai`` group if it has
none, as a new scoring model version) or rejects it with a reason. Approving
another version retires the one in use.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from leadqual.core.ai_input import has_ai_input, with_ai_group
from leadqual.core.lead_features import lead_features
from leadqual.core.requalification import NOT_REQUALIFIED_STATUSES
from leadqual.core.scoring import ScoreTrigger, ScoringModel
from leadqual.leads.models import Lead
from leadqual.leads.queries import every_event, lead_profile
from leadqual.modelling.models import ModelStatus, MonitoringRun, PredictiveModelVersion
from leadqual.modelling.training import (
    TARGET,
    Examples,
    Trained,
    build_examples,
    drift_references,
    probabilities,
    segments_of,
    train_and_validate,
)
from leadqual.predictive.errors import PredictiveError
from leadqual.predictive.model import TrainedModel
from leadqual.predictive.monitoring import (
    DriftReference,
    DriftReferenceJson,
    MonitoringReport,
    bias_by_segment,
    feature_drift,
    reference_from_json,
    reference_json,
    report_json,
    score_drift,
)
from leadqual.predictive.storage import load_model, save_model
from leadqual.scoring.models import ScoringModelVersion
from leadqual.scoring.services import (
    active_scoring_model,
    load_scoring_model,
    parsed_model,
)
from leadqual.triage.optimiser import lead_histories
from leadqual.triage.services import rescore_and_triage

logger = logging.getLogger(__name__)

# How far back training reads outcomes: two years of reviewed leads.
TRAINING_DAYS = 730
# Drift compares the leads judged in the last four weeks with the training
# data; bias needs outcomes, which take longer: the last thirteen weeks.
DRIFT_DAYS = 28
BIAS_DAYS = 91
# A lead counts as predicted hot from this chance on: where the ai group
# gives its full points (core.ai_input.ai_rules).
HOT_PROBABILITY = 0.5
PREDICTION_BATCH = 200
STALE_TRAINING = timedelta(hours=2)

# Loaded models by version id: a version's file never changes.
_loaded: dict[int, TrainedModel] = {}


class DecisionNotPossible(PredictiveError):
    """The version is not a draft waiting for a decision."""

    code = "predictive_model_decided"


# --- versions --------------------------------------------------------------------


def approved_model() -> PredictiveModelVersion | None:
    """The approved version, or None when no predictive model is in use."""
    return (
        PredictiveModelVersion.objects.defer("artefact")
        .filter(status=ModelStatus.APPROVED)
        .first()
    )


def start_training(*, by: User | None, now: datetime) -> PredictiveModelVersion:
    """A new version in status TRAINING for the training task to fill.

    A version still training (started less than two hours ago) is returned
    instead of a second one: two clicks start one training.
    """
    with transaction.atomic():
        list(
            PredictiveModelVersion.objects.select_for_update()
            .order_by("-version")
            .values_list("pk", flat=True)[:1]
        )
        running = (
            PredictiveModelVersion.objects.defer("artefact")
            .filter(status=ModelStatus.TRAINING, created_at__gte=now - STALE_TRAINING)
            .first()
        )
        if running is not None:
            return running
        number = (
            PredictiveModelVersion.objects.aggregate(v=Max("version"))["v"] or 0
        ) + 1
        return PredictiveModelVersion.objects.create(
            version=number,
            created_at=now,
            created_by=by,
            progress_step="queued",
        )


def _progress(row_id: int, step: str, done: int = 0, total: int = 0) -> None:
    # Outside any transaction, so the page sees it while the task runs.
    PredictiveModelVersion.objects.filter(pk=row_id).update(
        progress_step=step, progress_done=done, progress_total=total
    )


def _examples_with_progress(
    row_id: int, *, now: datetime, scoring: ScoringModel
) -> Examples:
    # The model learns from reviewed leads only (build_examples).
    histories = lead_histories(
        since=now - timedelta(days=TRAINING_DAYS), now=now, unreviewed_since=now
    )
    return build_examples(
        histories,
        scoring,
        progress=lambda done, total: _progress(row_id, "features", done, total),
    )


def _artefact_bytes(model: TrainedModel) -> bytes:
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR) as folder:
        path = Path(folder) / "model.leadqual"
        save_model(model, path)
        return path.read_bytes()


def _card_json(
    examples: Examples, trained_scoring: ScoringModelVersion, trained: Trained
) -> dict[str, object]:
    validation = trained.validation
    return {
        "target": TARGET.value,
        "scoring_model_version": trained_scoring.version,
        "examples": len(examples),
        "conversions": examples.conversions,
        "trained_on": {
            "rows": len(trained.examples),
            "conversions": trained.examples.conversions,
            "from": trained.examples.decided_at[0].isoformat(),
            "until": trained.examples.decided_at[-1].isoformat(),
        },
        "checked_with": {
            "rows": len(trained.older),
            "from": trained.older.decided_at[0].isoformat(),
            "until": trained.older.decided_at[-1].isoformat(),
        },
        "kept_the_rules": trained.kept_the_rules,
        "validation": {
            "checked": trained.checked,
            "rows": validation.rows,
            "conversions": validation.conversions,
            "from": validation.starts_at.isoformat(),
            "until": validation.ends_at.isoformat(),
            "model_auc": validation.model_auc,
            "rules_auc": validation.rules_auc,
            "model_brier": validation.model_brier,
            "rules_brier": validation.rules_brier,
            "auc_gain_low": validation.auc_gain_low,
            "beats_rules": validation.beats_rules,
        },
        "library": trained.model.card.as_dict(),
    }


def train_version(version_id: int, *, now: datetime) -> PredictiveModelVersion:
    """Train the version ``version_id`` started by ``start_training``.

    Safe to run twice: a version no longer TRAINING is returned as it is.
    Data that cannot be learned from (too few reviewed leads, one outcome
    only) ends in status FAILED with the reason; the version never predicts.
    """
    row = PredictiveModelVersion.objects.get(pk=version_id)
    if row.status != ModelStatus.TRAINING:
        return row
    scoring_row = active_scoring_model()
    scoring = parsed_model(scoring_row)
    try:
        _progress(row.pk, "reading")
        examples = _examples_with_progress(row.pk, now=now, scoring=scoring)
        _progress(row.pk, "training", 0, len(examples))
        trained = train_and_validate(examples)
        artefact = _artefact_bytes(trained.model)
    except PredictiveError as error:
        PredictiveModelVersion.objects.filter(
            pk=row.pk, status=ModelStatus.TRAINING
        ).update(status=ModelStatus.FAILED, error=error.message, progress_step="")
        logger.info("Predictive model v%s could not be trained", row.version)
        row.refresh_from_db()
        return row
    features, scores = drift_references(trained)
    reference = {
        "features": reference_json(features),
        "score": reference_json(DriftReference(len(examples), (scores,))),
    }
    PredictiveModelVersion.objects.filter(
        pk=row.pk, status=ModelStatus.TRAINING
    ).update(
        status=ModelStatus.DRAFT,
        trained_at=now,
        artefact=artefact,
        card=_card_json(examples, scoring_row, trained),
        reference=reference,
        progress_step="",
    )
    logger.info(
        "Trained predictive model v%s on %s reviewed leads", row.version, len(examples)
    )
    row.refresh_from_db()
    return row


def trained_model(row: PredictiveModelVersion) -> TrainedModel:
    """The version's model, read once per process from its stored file.

    Raises predictive's NotALeadqualModel or IncompatibleModel when the file
    cannot be used (another scikit-learn release, for example).
    """
    model = _loaded.get(row.pk)
    if model is not None:
        return model
    artefact = (
        PredictiveModelVersion.objects.filter(pk=row.pk)
        .values_list("artefact", flat=True)
        .get()
    )
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR) as folder:
        path = Path(folder) / "model.leadqual"
        path.write_bytes(bytes(artefact or b""))
        model = load_model(path)
    _loaded[row.pk] = model
    return model


def training_scoring_model(row: PredictiveModelVersion) -> ScoringModel:
    """The scoring model whose rules the version learned from: its features
    and prior are computed with it, whatever is active now."""
    number = row.card.get("scoring_model_version")
    version = ScoringModelVersion.objects.get(version=number)
    return parsed_model(version)


def _claim_draft(
    version: int, status: ModelStatus, *, by: User | None, reason: str, now: datetime
) -> None:
    claimed = PredictiveModelVersion.objects.filter(
        version=version, status=ModelStatus.DRAFT
    ).update(status=status, decided_at=now, decided_by=by, decision_reason=reason)
    if claimed != 1:
        raise DecisionNotPossible(
            f"Predictive model v{version} is no draft waiting for a decision; "
            "nothing changed."
        )


@dataclass(frozen=True, slots=True)
class Approval:
    """What approving changed: the version, and the scoring model version
    that added the ai group (None when the active one had it already)."""

    version: int
    retired: int | None
    scoring_model: ScoringModelVersion | None


def approve_model(version: int, *, by: User | None, now: datetime) -> Approval:
    """Put the draft ``version`` in use; the previous one is retired.

    When the active scoring model has no ai group, its file with the group
    added (core.ai_input.with_ai_group) is stored and activated as the next
    scoring model version. Predictions for open leads follow in the
    background (``refresh_predictions``). Raises DecisionNotPossible when
    the version is not an open draft.
    """
    with transaction.atomic():
        previous = list(
            PredictiveModelVersion.objects.select_for_update()
            .filter(status=ModelStatus.APPROVED)
            .values_list("version", flat=True)
        )
        PredictiveModelVersion.objects.filter(status=ModelStatus.APPROVED).update(
            status=ModelStatus.RETIRED, retired_at=now
        )
        _claim_draft(version, ModelStatus.APPROVED, by=by, reason="", now=now)
        active = active_scoring_model()
        added = None
        if not has_ai_input(parsed_model(active)):
            added, created = load_scoring_model(
                with_ai_group(active.source), activate=True, now=now
            )
            if created:
                # For its page: what it was made from, and why.
                added.proposal = {
                    "based_on_version": active.version,
                    "ai_group_for_predictive_model": version,
                }
                added.save(update_fields=["proposal"])
    logger.info("Approved predictive model v%s", version)
    return Approval(version, previous[0] if previous else None, added)


def reject_model(version: int, *, by: User | None, reason: str, now: datetime) -> None:
    """Reject the draft ``version`` with the reason; it stays readable.

    Raises DecisionNotPossible when it is not an open draft.
    """
    _claim_draft(version, ModelStatus.REJECTED, by=by, reason=reason, now=now)
    logger.info("Rejected predictive model v%s", version)


# --- predictions for open leads ---------------------------------------------------


def _open_leads() -> list[int]:
    return list(
        Lead.objects.exclude(
            status__in=[status.value for status in NOT_REQUALIFIED_STATUSES]
        )
        .filter(anonymised_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def predicted_percentages(
    leads: Sequence[Lead], row: PredictiveModelVersion, *, now: datetime
) -> dict[int, int]:
    """The version's chance for each lead as known at ``now``, in whole percent."""
    if not leads:
        return {}
    scoring = training_scoring_model(row)
    events = every_event(lead.pk for lead in leads)
    rows = [
        lead_features(lead_profile(lead), events.get(lead.pk, ()), scoring, at=now)
        for lead in leads
    ]
    chances = probabilities(trained_model(row), rows)
    return {
        lead.pk: round(100 * float(chance))
        for lead, chance in zip(leads, chances, strict=True)
    }


def predict_arrivals(
    leads: Sequence[Lead], *, scoring_model: ScoringModelVersion, now: datetime
) -> None:
    """Set the arriving leads' ``ai_probability`` before they are scored.

    Does nothing (and asks the database nothing) when ``scoring_model`` has no
    ai group. Must run inside the arrival's transaction, on locked leads.
    """
    if not leads or not has_ai_input(parsed_model(scoring_model)):
        return
    row = approved_model()
    if row is None:
        return
    chances = predicted_percentages(leads, row, now=now)
    changed = [lead for lead in leads if lead.ai_probability != chances[lead.pk]]
    for lead in changed:
        lead.ai_probability = chances[lead.pk]
    if changed:
        Lead.objects.bulk_update(changed, ["ai_probability"])


def refresh_predictions(*, now: datetime, lead_ids: Sequence[int] | None = None) -> int:
    """Predict every open lead (or ``lead_ids``) with the approved model and
    rescore those whose chance changed; band changes are triaged.

    Without an approved model, chances are cleared instead. Works in batches
    of PREDICTION_BATCH leads, each in its own transaction with its leads
    locked in id order. Returns how many leads' chance changed.
    """
    row = approved_model()
    ids = sorted(lead_ids) if lead_ids is not None else _open_leads()
    if row is None:
        ids = sorted(
            Lead.objects.filter(pk__in=ids, ai_probability__isnull=False).values_list(
                "pk", flat=True
            )
        )
    changed_total = 0
    for start in range(0, len(ids), PREDICTION_BATCH):
        batch = ids[start : start + PREDICTION_BATCH]
        with transaction.atomic():
            leads = list(
                Lead.objects.select_for_update(of=("self",))
                .select_related("company")
                .filter(pk__in=batch)
                .order_by("pk")
            )
            chances = (
                predicted_percentages(leads, row, now=now)
                if row is not None
                else dict.fromkeys((lead.pk for lead in leads), None)
            )
            changed = [
                lead for lead in leads if lead.ai_probability != chances[lead.pk]
            ]
            for lead in changed:
                lead.ai_probability = chances[lead.pk]
            if changed:
                Lead.objects.bulk_update(changed, ["ai_probability"])
                rescore_and_triage(changed, now=now, trigger=ScoreTrigger.PREDICTION)
        changed_total += len(changed)
    logger.info(
        "Refreshed predictions of %s leads: %s changed", len(ids), changed_total
    )
    return changed_total


# --- monitoring --------------------------------------------------------------------


def monday_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def monitor_model(*, now: datetime) -> MonitoringRun | None:
    """This week's drift and bias check of the approved model, stored.

    Drift: the leads judged in the last DRIFT_DAYS days against the training
    data, per feature and for the predicted chance. Bias: the reviewed leads
    of the last BIAS_DAYS days per sector, size band, region and source.
    Returns the run (one per model and week: a rerun replaces the report),
    or None when no model is approved.
    """
    row = approved_model()
    if row is None:
        return None
    scoring = training_scoring_model(row)
    model = trained_model(row)
    histories = lead_histories(since=now - timedelta(days=BIAS_DAYS), now=now)
    rows = [
        lead_features(h.profile, h.events, scoring, at=h.decided_at) for h in histories
    ]
    chances = [float(c) for c in probabilities(model, rows)]
    recent = [
        index
        for index, history in enumerate(histories)
        if history.decided_at >= now - timedelta(days=DRIFT_DAYS)
    ]
    stored: dict[str, DriftReferenceJson] = row.reference
    features_reference = reference_from_json(stored["features"])
    (score_reference,) = reference_from_json(stored["score"]).features
    columns = {
        feature.name: [rows[i].values.get(feature.name) for i in recent]
        for feature in features_reference.features
    }
    segment_values = [segments_of(history) for history in histories]
    outcomes: list[bool | None] = [
        history.conversion.reached(TARGET) if history.conversion.reviewed else None
        for history in histories
    ]
    report = MonitoringReport(
        features=tuple(feature_drift(features_reference, columns)),
        score=score_drift(score_reference, [100 * chances[i] for i in recent]),
        segments=tuple(
            bias_by_segment(
                name,
                [values[name] for values in segment_values],
                chances,
                outcomes,
                hot=[chance >= HOT_PROBABILITY for chance in chances],
            )
            for name in ("sector", "size_band", "region", "source")
        ),
    )
    run, _created = MonitoringRun.objects.update_or_create(
        model_version=row,
        week=monday_of(now),
        defaults={
            "computed_at": now,
            "rows": len(recent),
            "report": report_json(report),
            "needs_attention": report.needs_attention,
        },
    )
    logger.info(
        "Monitored predictive model v%s: %s leads, attention needed: %s",
        row.version,
        len(recent),
        report.needs_attention,
    )
    return run


def claim_alert(run_id: int, *, now: datetime) -> bool:
    """Mark the run's alert as being sent; False when it was sent already or
    the run needs no attention (so a rerun tells the admins once)."""
    return (
        MonitoringRun.objects.filter(
            pk=run_id, needs_attention=True, alerted_at__isnull=True
        ).update(alerted_at=now)
        == 1
    )


def release_alert(run_id: int) -> None:
    """Undo ``claim_alert`` after a failed send, so a retry sends it."""
    MonitoringRun.objects.filter(pk=run_id).update(alerted_at=None)
