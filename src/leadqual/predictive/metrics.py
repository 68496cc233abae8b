"""How good a set of probabilities is: ranking, precision, lift, calibration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, roc_auc_score

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class Scores:
    """Held-out quality of probabilities; ranking metrics are None with one class."""

    rows: int
    roc_auc: float | None
    pr_auc: float | None
    top_decile_lift: float | None
    brier: float
    log_loss: float


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    """One tenth of the rows by predicted probability: predicted against observed."""

    rows: int
    mean_probability: float
    observed_rate: float


def sigmoid(logit: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logit, -35, 35))), dtype=np.float64)


def log_loss(target: BoolArray, probability: FloatArray) -> float:
    clipped = np.clip(probability, _EPSILON, 1 - _EPSILON)
    return float(-np.mean(np.where(target, np.log(clipped), np.log(1 - clipped))))


def score(target: BoolArray, probability: FloatArray) -> Scores:
    """All held-out scores of ``probability`` for the outcomes ``target``."""
    both_classes = 0 < int(target.sum()) < target.size
    return Scores(
        rows=int(target.size),
        roc_auc=float(roc_auc_score(target, probability)) if both_classes else None,
        pr_auc=float(average_precision_score(target, probability))
        if both_classes
        else None,
        top_decile_lift=top_decile_lift(target, probability),
        brier=float(np.mean((probability - target) ** 2)),
        log_loss=log_loss(target, probability),
    )


def top_decile_lift(target: BoolArray, probability: FloatArray) -> float | None:
    """Outcome rate among the 10% highest probabilities, divided by the overall rate."""
    base = float(target.mean())
    if base == 0:
        return None
    top = max(1, round(0.1 * target.size))
    order = np.argsort(-probability, kind="stable")[:top]
    return float(target[order].mean()) / base


def calibration_table(
    target: BoolArray, probability: FloatArray, *, bins: int = 10
) -> list[CalibrationBin]:
    """Rows split into ``bins`` equal groups by probability, lowest first."""
    order = np.argsort(probability, kind="stable")
    return [
        CalibrationBin(
            rows=int(part.size),
            mean_probability=float(probability[part].mean()),
            observed_rate=float(target[part].mean()),
        )
        for part in np.array_split(order, bins)
        if part.size
    ]
