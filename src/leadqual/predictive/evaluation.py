"""Evaluate leadqual's model beside simple baselines on the same held-out rows.

The baselines are what a CRM ships or a data analyst writes first: a naive
Bayes over field-value frequencies (as Odoo's predictive lead scoring), and a
logistic regression over one-hot categories and standardised numbers. With a
prior (the rules), the calibrated prior alone is a baseline too.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from leadqual.predictive.features import Encoder, FloatArray
from leadqual.predictive.leakage import LeakFlag, value_keys
from leadqual.predictive.metrics import (
    BoolArray,
    CalibrationBin,
    Scores,
    calibration_table,
    score,
    sigmoid,
)
from leadqual.predictive.model import (
    THREADS,
    Columns,
    Split,
    check_target,
    choose_columns,
    fit_model,
    fit_platt,
    fold_numbers,
    time_split,
)
from leadqual.predictive.table import Table

MODEL_NAME = "leadqual model"
NAIVE_BAYES_NAME = "naive Bayes (field-value frequencies)"
LOGISTIC_NAME = "logistic regression (one-hot)"
PRIOR_NAME = "prior alone (calibrated)"


@dataclass(frozen=True, slots=True)
class EvaluatedModel:
    name: str
    scores: Scores
    calibration: tuple[CalibrationBin, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Held-out scores of the model and the baselines, side by side."""

    target: str
    rows: int
    positives: int
    validation: str
    columns: Columns
    models: tuple[EvaluatedModel, ...]

    def scores_of(self, name: str) -> Scores:
        return next(model.scores for model in self.models if model.name == name)

    def as_text(self) -> str:
        """One table of scores and one calibration table, model and baselines side by side."""
        width = max(len(model.name) for model in self.models) + 2
        lines = [
            f"Evaluation: predicting {self.target} from {self.rows:,} rows "
            f"({self.positives:,} positive)",
            f"Validation: {self.validation}",
            "Features: " + ", ".join(self.columns.kinds),
        ]
        if self.columns.flagged:
            lines.append("Left out by the leakage guard:")
            lines += [
                f"  - {flag.column}: {flag.explanation}"
                for flag in self.columns.flagged
                if flag.column not in self.columns.allowed
            ]
        lines += [
            "",
            f"{'model':<{width}}{'ROC-AUC':>8}{'PR-AUC':>8}{'lift@10%':>9}"
            f"{'Brier':>8}{'log loss':>10}",
        ]
        for model in self.models:
            scores = model.scores
            lines.append(
                f"{model.name:<{width}}{_format(scores.roc_auc, 8)}{_format(scores.pr_auc, 8)}"
                f"{_format(scores.top_decile_lift, 9, 2)}{_format(scores.brier, 8)}"
                f"{_format(scores.log_loss, 10)}"
            )
        lines += ["", "Calibration: predicted / observed rate per tenth of the rows"]
        column = max(len(_short(model.name)) for model in self.models) + 3
        lines.append(
            f"{'tenth':<6}"
            + "".join(f"{_short(model.name):>{column}}" for model in self.models)
        )
        for tenth in range(max(len(model.calibration) for model in self.models)):
            cells = []
            for model in self.models:
                if tenth < len(model.calibration):
                    part = model.calibration[tenth]
                    cells.append(
                        f"{part.mean_probability:.2f} / {part.observed_rate:.2f}"
                    )
                else:
                    cells.append("")
            lines.append(
                f"{tenth + 1:<6}" + "".join(f"{cell:>{column}}" for cell in cells)
            )
        return "\n".join(lines)


def _format(value: float | None, width: int, digits: int = 3) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def _short(name: str) -> str:
    return name.split(" (")[0]


def evaluate(
    table: Table,
    target: Sequence[bool],
    *,
    prior_logit: npt.ArrayLike | None = None,
    time_order: Sequence[datetime | float] | None = None,
    allow: Collection[str] = (),
    exclude: Collection[str] = (),
    seed: int = 0,
    folds: int = 5,
    target_name: str = "the outcome",
) -> Evaluation:
    """Stratified k-fold cross-validation (or a time split) of model and baselines.

    The leakage guard runs once on all rows; every model then sees the same
    columns and the same held-out rows.
    """
    outcomes = check_target(table, target)
    with threadpool_limits(limits=THREADS):
        columns = choose_columns(
            table, outcomes, allow=allow, exclude=exclude, seed=seed
        )
    prior = None if prior_logit is None else np.asarray(prior_logit, dtype=np.float64)
    if time_order is not None:
        splits, validation = time_split(outcomes, time_order)
    else:
        count = min(folds, int(min(outcomes.sum(), outcomes.size - outcomes.sum())))
        numbers = fold_numbers(outcomes, seed=seed, folds=count)
        splits = [
            Split(np.flatnonzero(numbers != fold), np.flatnonzero(numbers == fold))
            for fold in range(count)
        ]
        validation = (
            f"stratified {count}-fold cross-validation on {outcomes.size:,} rows"
        )
    names = [MODEL_NAME, NAIVE_BAYES_NAME, LOGISTIC_NAME] + (
        [PRIOR_NAME] if prior is not None else []
    )
    predictions = {name: np.full(outcomes.size, math.nan) for name in names}
    for split in splits:
        training = table.take(split.training.tolist())
        held_out = table.take(split.held_out.tolist())
        model = fit_model(
            training,
            outcomes[split.training],
            columns,
            prior_logit=None if prior is None else prior[split.training],
            seed=seed,
        )
        predictions[MODEL_NAME][split.held_out] = model.predict(
            held_out, prior_logit=None if prior is None else prior[split.held_out]
        ).probability
        predictions[NAIVE_BAYES_NAME][split.held_out] = naive_bayes(
            training, outcomes[split.training], held_out, columns
        )
        with threadpool_limits(limits=THREADS):
            predictions[LOGISTIC_NAME][split.held_out] = one_hot_logistic(
                training, outcomes[split.training], held_out, columns, seed=seed
            )
        if prior is not None:
            platt = fit_platt(prior[split.training], outcomes[split.training])
            predictions[PRIOR_NAME][split.held_out] = platt.apply(prior[split.held_out])
    checked = np.concatenate([split.held_out for split in splits])
    return Evaluation(
        target=target_name,
        rows=int(outcomes.size),
        positives=int(outcomes.sum()),
        validation=validation,
        columns=columns,
        models=tuple(
            EvaluatedModel(
                name,
                score(outcomes[checked], predictions[name][checked]),
                tuple(calibration_table(outcomes[checked], predictions[name][checked])),
            )
            for name in names
        ),
    )


def naive_bayes(
    training: Table, outcomes: BoolArray, new: Table, columns: Columns
) -> FloatArray:
    """Odoo-style naive Bayes: per column, value frequencies among won and lost (Laplace)."""
    positives = float(outcomes.sum())
    negatives = float(outcomes.size - positives)
    logit = np.full(new.n_rows, math.log(positives / negatives))
    for name, kind in columns.kinds.items():
        keys, new_keys = value_keys(training.column(name), kind, new.column(name))
        won: dict[object, int] = {}
        lost: dict[object, int] = {}
        for key, outcome in zip(keys, outcomes, strict=True):
            counts = won if outcome else lost
            counts[key] = counts.get(key, 0) + 1
        values = len(set(won) | set(lost)) + 1
        logit += np.array(
            [
                math.log((won.get(key, 0) + 1) / (positives + values))
                - math.log((lost.get(key, 0) + 1) / (negatives + values))
                for key in new_keys
            ]
        )
    return sigmoid(logit)


def one_hot_logistic(
    training: Table, outcomes: BoolArray, new: Table, columns: Columns, *, seed: int
) -> FloatArray:
    """Logistic regression (C=1) over one-hot categories and standardised numbers."""
    encoder = Encoder.fit(training, columns.kinds)
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    model.fit(encoder.linear_matrix(training, with_bins=False), outcomes)
    return np.asarray(
        model.predict_proba(encoder.linear_matrix(new, with_bins=False))[:, 1],
        dtype=np.float64,
    )


__all__ = ["EvaluatedModel", "Evaluation", "LeakFlag", "evaluate"]
