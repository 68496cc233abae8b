"""Train and check the predictive model on leads as the replay sees them.

No database here: ``services`` gathers the leads (``triage.optimiser
.lead_histories``, the optimiser's own replay) and stores what this returns,
and tests run it straight on a demo plan.

- **Examples** are the leads sales reviewed (accepted or rejected), each as
  known at its decision moment (``core.backtest.decision_moment``), with the
  rules' score as the prior and whether it became an opportunity, as the
  optimiser learns.
- **Time split**: the model learns from the older examples and is checked on
  the newest ``VALIDATION_SHARE`` against the rules on the same leads; it is
  kept only when it ranks them better in 90% of their resamples, since on
  tens of leads a higher AUC alone is often luck.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from leadqual.core.backtest import LeadHistory, Target
from leadqual.core.lead_features import (
    FeatureValue,
    LeadFeatures,
    lead_features,
    size_band,
)
from leadqual.core.scoring import ScoringModel
from leadqual.predictive.errors import TooFewRows, UnusableTarget
from leadqual.predictive.model import TrainedModel, train
from leadqual.predictive.monitoring import (
    DriftReference,
    FeatureReference,
    drift_reference,
    score_reference,
)
from leadqual.predictive.table import Table

TARGET = Target.OPPORTUNITY
VALIDATION_SHARE = 0.25
# Below this many reviewed leads there is nothing to learn or check.
MIN_EXAMPLES = 30
SEED = 0


@dataclass(frozen=True, slots=True)
class Examples:
    """Reviewed leads in time order: their rows, outcomes and rules' scores."""

    lead_ids: tuple[int, ...]
    decided_at: tuple[datetime, ...]
    rows: tuple[LeadFeatures, ...]
    outcomes: tuple[bool, ...]
    segments: Mapping[str, tuple[FeatureValue, ...]]

    def __len__(self) -> int:
        return len(self.lead_ids)

    @property
    def conversions(self) -> int:
        return sum(self.outcomes)

    def part(self, start: int, stop: int | None = None) -> Examples:
        """The examples from ``start`` to ``stop`` (in time order)."""
        window = slice(start, stop)
        return Examples(
            self.lead_ids[window],
            self.decided_at[window],
            self.rows[window],
            self.outcomes[window],
            {name: values[window] for name, values in self.segments.items()},
        )

    def table(self) -> Table:
        return feature_table(self.rows)

    def prior_logits(self) -> np.ndarray:
        return np.array([row.prior_logit for row in self.rows], dtype=np.float64)


def segments_of(history: LeadHistory) -> dict[str, FeatureValue]:
    """The segments bias is monitored on, for one lead."""
    profile = history.profile
    return {
        "sector": profile.sector,
        "size_band": size_band(profile.employees),
        "region": profile.region,
        "source": profile.source,
    }


PROGRESS_EVERY = 500


def build_examples(
    histories: Sequence[LeadHistory],
    model: ScoringModel,
    *,
    target: Target = TARGET,
    progress: Callable[[int, int], None] | None = None,
) -> Examples:
    """The reviewed leads among ``histories`` as examples, oldest decision first.

    ``progress(done, total)`` is called every PROGRESS_EVERY leads.
    """
    reviewed = sorted(
        (history for history in histories if history.conversion.reviewed),
        key=lambda history: (history.decided_at, history.lead_id),
    )
    segments: dict[str, list[FeatureValue]] = {}
    for history in reviewed:
        for name, value in segments_of(history).items():
            segments.setdefault(name, []).append(value)
    rows = []
    for index, history in enumerate(reviewed):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, len(reviewed))
        rows.append(
            lead_features(history.profile, history.events, model, at=history.decided_at)
        )
    if progress is not None:
        progress(len(reviewed), len(reviewed))
    return Examples(
        lead_ids=tuple(history.lead_id for history in reviewed),
        decided_at=tuple(history.decided_at for history in reviewed),
        rows=tuple(rows),
        outcomes=tuple(history.conversion.reached(target) for history in reviewed),
        segments={name: tuple(values) for name, values in segments.items()},
    )


def feature_columns(rows: Sequence[LeadFeatures]) -> dict[str, list[FeatureValue]]:
    """The rows as columns, every feature any row has (missing: None)."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.values))
    return {name: [row.values.get(name) for row in rows] for name in names}


def feature_table(rows: Sequence[LeadFeatures]) -> Table:
    return Table.from_columns(feature_columns(rows))


def time_split(
    examples: Examples, *, validation_share: float = VALIDATION_SHARE
) -> tuple[Examples, Examples]:
    """(older, newer): the newest ``validation_share`` of examples to check on."""
    newer = max(1, math.floor(len(examples) * validation_share))
    return examples.part(0, len(examples) - newer), examples.part(len(examples) - newer)


def fit(examples: Examples, *, seed: int = SEED) -> TrainedModel:
    """Train on ``examples`` with the rules' score as prior and time-ordered folds.

    Every feature is known at the decision moment by construction
    (``core.lead_features``), so the leakage guard's flags are allowed: a
    strong signal known in time (a demo request) is what the model is for.
    Raises predictive's TooFewRows or UnusableTarget when the examples
    cannot be learned from.
    """
    table = examples.table()
    return train(
        table,
        list(examples.outcomes),
        prior_logit=examples.prior_logits(),
        # Validation on newer leads is done outside (time_split, validate); inside,
        # stratified cross-fitting gives every outcome a held-out prediction,
        # which keeps the calibration steady on tens of outcomes.
        time_order=None,
        allow=table.columns,
        seed=seed,
        target_name="became an opportunity",
    )


def probabilities(model: TrainedModel, rows: Sequence[LeadFeatures]) -> np.ndarray:
    """The model's calibrated probability (0-1) of each row."""
    if not rows:
        return np.zeros(0, dtype=np.float64)
    prior = np.array([row.prior_logit for row in rows], dtype=np.float64)
    return np.asarray(
        model.predict(feature_table(rows), prior_logit=prior).probability,
        dtype=np.float64,
    )


def _auc(outcomes: Sequence[bool], scores: Sequence[float]) -> float | None:
    if 0 < sum(outcomes) < len(outcomes):
        return float(roc_auc_score(list(outcomes), list(scores)))
    return None


@dataclass(frozen=True, slots=True)
class Validation:
    """The model against the rules on the newest examples it never saw."""

    rows: int
    conversions: int
    starts_at: datetime
    ends_at: datetime
    model_auc: float | None
    rules_auc: float | None
    model_brier: float
    # The rules' score read as a probability (score / 100): how a person
    # reading "70 out of 100" might take it.
    rules_brier: float
    # How much better the model ranks than the rules at the least, in
    # CONFIDENCE of resamples of the newer leads (auc_gain_low; None: no
    # resample had both outcomes).
    auc_gain_low: float | None = None

    @property
    def beats_rules(self) -> bool:
        """True when the model ranks the newer leads better than the rules in
        CONFIDENCE of their resamples. On tens of newer leads a higher AUC
        alone is often luck, and a model let through on luck can rank the
        leads after them worse than the rules."""
        return self.auc_gain_low is not None and self.auc_gain_low > 0


# The share of resamples of the newer leads in which the model must rank
# better than the rules for it to be kept, and how many resamples are drawn.
CONFIDENCE = 0.9
RESAMPLES = 400


def auc_gain_low(
    outcomes: Sequence[bool],
    model_scores: npt.ArrayLike,
    rules_scores: npt.ArrayLike,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> float | None:
    """The ROC-AUC gain of the model over the rules that holds in
    ``confidence`` of bootstrap resamples of the leads (paired: both scored
    on each resample). None when no resample has both outcomes."""
    truth = np.asarray(outcomes, dtype=bool)
    model = np.asarray(model_scores, dtype=np.float64)
    rules = np.asarray(rules_scores, dtype=np.float64)
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(resamples):
        pick = rng.integers(0, len(truth), len(truth))
        sample = truth[pick]
        if sample.all() or not sample.any():
            continue
        gains.append(
            roc_auc_score(sample, model[pick]) - roc_auc_score(sample, rules[pick])
        )
    if not gains:
        return None
    return float(np.quantile(gains, 1 - confidence))


def validate(model: TrainedModel, newer: Examples) -> Validation:
    """Score ``newer`` with the model and with the rules, and compare."""
    predicted = probabilities(model, newer.rows)
    outcomes = np.array(newer.outcomes, dtype=np.float64)
    rules = np.array([row.rules_score for row in newer.rows], dtype=np.float64)
    return Validation(
        rows=len(newer),
        conversions=newer.conversions,
        starts_at=newer.decided_at[0],
        ends_at=newer.decided_at[-1],
        model_auc=_auc(newer.outcomes, list(predicted)),
        rules_auc=_auc(newer.outcomes, list(rules)),
        model_brier=float(np.mean((predicted - outcomes) ** 2)),
        rules_brier=float(np.mean((rules / 100 - outcomes) ** 2)),
        auc_gain_low=auc_gain_low(newer.outcomes, predicted, rules),
    )


def prior_only(model: TrainedModel) -> TrainedModel:
    """The model reduced to its calibrated prior: the rules' score as a chance.

    What the app keeps when the learned part did not rank the newer leads at
    least as well as the rules (or could not be shown to, for lack of newer
    outcomes of both kinds): never worse than the rules on held-out data.
    The card says so, as it does when the library itself falls back.
    """
    return replace(
        model,
        fell_back_to_prior=True,
        card=replace(model.card, fell_back_to_prior=True),
    )


@dataclass(frozen=True, slots=True)
class Trained:
    """The model to store, how it was checked, and the training data's
    distributions for drift monitoring.

    ``validation`` is the check on the newer leads of a model trained the same
    way on the older ones only; the stored ``model`` is then trained on all
    examples, or reduced to its calibrated prior when the check failed or
    could not be made (``checked`` False: too few older outcomes of a kind).
    """

    model: TrainedModel
    examples: Examples
    older: Examples
    newer: Examples
    validation: Validation
    checked: bool

    @property
    def kept_the_rules(self) -> bool:
        return self.model.fell_back_to_prior


def train_and_validate(examples: Examples, *, seed: int = SEED) -> Trained:
    """Check on a time split, then train on every example.

    The model trained on the older examples is checked against the rules on
    the newer ones. When it ranks them better in CONFIDENCE of their
    resamples (``Validation.beats_rules``), the model trained the same way on
    all examples is kept; otherwise (or when the older part
    is too small to train on) the kept model is the calibrated prior alone.
    Raises predictive's TooFewRows or UnusableTarget when even all examples
    cannot be learned from (fewer than MIN_EXAMPLES, or one outcome only).
    """
    if len(examples) < MIN_EXAMPLES:
        raise TooFewRows(
            f"Only {len(examples)} leads have been reviewed by sales; the predictive "
            f"model needs at least {MIN_EXAMPLES}. Record accepted and rejected leads "
            "and train again later."
        )
    model = fit(examples, seed=seed)
    older, newer = time_split(examples)
    try:
        validation = validate(fit(older, seed=seed), newer)
        checked = True
    except (TooFewRows, UnusableTarget):
        validation = validate(prior_only(model), newer)
        checked = False
    if not model.fell_back_to_prior and not (checked and validation.beats_rules):
        model = prior_only(model)
    return Trained(model, examples, older, newer, validation, checked)


def drift_references(
    trained: Trained,
) -> tuple[DriftReference, FeatureReference]:
    """The training rows' feature and predicted-chance distributions."""
    rows = trained.examples.rows
    chances = probabilities(trained.model, rows)
    return (
        drift_reference(feature_columns(rows)),
        score_reference([100 * float(chance) for chance in chances]),
    )
