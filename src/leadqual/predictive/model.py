"""Train a calibrated, explained model on any table of leads and their outcomes.

The model is a blend of two parts, calibrated on rows they did not see:

- a logistic regression over one-hot categories and standardised, binned
  numbers, with the prior's log-odds as an offset and an L2 penalty, so that
  with little data it stays at the prior (the rules, or the base rate) and with
  more data the features move it; it also explains each prediction;
- gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, with
  native categories), used once there are enough outcomes to learn from.

Cross-fitting (stratified folds, or a time split when times are given) gives
held-out predictions to choose the penalty, the blend weight and the Platt
calibration, and to check the learned model against the calibrated prior
alone: when it is not better there, the model predicts with the prior alone
and its card says so.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import sklearn
from scipy import optimize, sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from leadqual.core.bands import Band, Thresholds, band_for
from leadqual.predictive.card import (
    DroppedColumn,
    FeatureColumn,
    ModelCard,
    certainty_for,
)
from leadqual.predictive.errors import TooFewRows, UnknownColumn, UnusableTarget
from leadqual.predictive.features import Encoder, FloatArray, IntArray, is_informative
from leadqual.predictive.leakage import LeakFlag, find_leaks
from leadqual.predictive.metrics import BoolArray, log_loss, score, sigmoid
from leadqual.predictive.table import ColumnKind, Table, infer_kind

# One thread (OpenMP for the trees, BLAS for L-BFGS): on a machine shared with
# the web server and other workers, more threads spin-wait for each other and
# run several times slower (measured: 76 s against 12 s for one training on
# 2 busy cores).
THREADS: Final = 1
MIN_ROWS: Final = 20
MIN_PER_CLASS: Final = 5
# Trees need this many outcomes of each kind before they can add anything.
TREES_FROM_PER_CLASS: Final = 50
PENALTIES: Final = (1.0, 4.0, 16.0, 64.0, 256.0)
# Weight of the pull of the calibration slope toward 1, in outcomes' log-loss.
_PLATT_PULL: Final = 5.0
BLEND_WEIGHTS: Final = tuple(step / 10 for step in range(11))
REASONS_PER_SIDE: Final = 3
# A reason must move the log-odds at least this much to be shown.
_MIN_EFFECT: Final = 0.02
_USABLE_KINDS: Final = frozenset(
    {ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.TEXT, ColumnKind.DATE}
)
_NOT_USED_WHY: Final = {
    ColumnKind.IDENTIFIER: "an identifier (unique per row), not a property of the lead",
    ColumnKind.CONSTANT: "the same value in (nearly) every row",
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One column's value and how much it moved the prediction (log-odds)."""

    column: str
    value: str
    effect: float

    @property
    def text(self) -> str:
        return f"{self.column}: {self.value}"


@dataclass(frozen=True, slots=True)
class Predictions:
    """Per input row: calibrated probability, score 0-100, band and reasons."""

    probability: FloatArray
    score: IntArray
    band: tuple[Band, ...]
    reasons_for: tuple[tuple[Reason, ...], ...]
    reasons_against: tuple[tuple[Reason, ...], ...]


@dataclass(frozen=True, slots=True)
class Platt:
    """Calibration: probability = sigmoid(slope * logit + intercept)."""

    slope: float
    intercept: float

    def apply(self, logit: FloatArray) -> FloatArray:
        return sigmoid(self.slope * logit + self.intercept)


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """A trained model: encoding, both parts, blend, calibration and its card."""

    encoder: Encoder
    kinds: dict[str, ColumnKind]
    id_column: str | None
    linear_weights: FloatArray
    linear_intercept: float
    penalty: float
    trees: HistGradientBoostingClassifier | None
    linear_share: float
    effect_centre: FloatArray
    calibration: Platt
    prior_calibration: Platt
    base_logit: float
    uses_prior: bool
    fell_back_to_prior: bool
    card: ModelCard

    def predict(
        self,
        table: Table,
        *,
        prior_logit: npt.ArrayLike | None = None,
        thresholds: Thresholds | None = None,
    ) -> Predictions:
        """Predict every row of ``table``.

        A model trained with a ``prior_logit`` needs one per row here too.
        Raises ``UnknownColumn`` when a column the model uses is missing.
        """
        missing = [name for name in self.kinds if name not in table.cells]
        if missing:
            raise UnknownColumn(
                "The data lacks columns the model was trained on: "
                + ", ".join(f'"{name}"' for name in missing)
                + ". Use data with the same columns as the training data."
            )
        prior = _prior_for(self, table.n_rows, prior_logit)
        linear = self.encoder.linear_matrix(table)
        if self.fell_back_to_prior:
            probability = self.prior_calibration.apply(prior)
        else:
            with threadpool_limits(limits=THREADS):
                probability = self.calibration.apply(
                    self._blend_logit(table, linear, prior)
                )
        scores = np.rint(100 * probability).astype(np.int64)
        limits = thresholds or Thresholds()
        reasons_for, reasons_against = self._reasons(table, linear)
        return Predictions(
            probability=probability,
            score=scores,
            band=tuple(band_for(int(value), limits) for value in scores),
            reasons_for=reasons_for,
            reasons_against=reasons_against,
        )

    def _blend_logit(
        self, table: Table, matrix: sparse.csr_matrix, prior: FloatArray
    ) -> FloatArray:
        linear = prior + self.linear_intercept + matrix @ self.linear_weights
        if self.trees is None:
            return np.asarray(linear, dtype=np.float64)
        trees = self.trees.decision_function(
            _tree_matrix(self.encoder, table, prior, uses_prior=self.uses_prior)
        )
        return np.asarray(
            self.linear_share * linear + (1 - self.linear_share) * trees,
            dtype=np.float64,
        )

    def _reasons(
        self, table: Table, matrix: sparse.csr_matrix
    ) -> tuple[tuple[tuple[Reason, ...], ...], tuple[tuple[Reason, ...], ...]]:
        if self.fell_back_to_prior or not self.encoder.columns:
            empty: tuple[tuple[Reason, ...], ...] = tuple(
                () for _ in range(table.n_rows)
            )
            return empty, empty
        # Relative to the average lead of the training data, so a column's
        # usual value is no reason either way.
        effects = (
            _column_effects(self.encoder, matrix, self.linear_weights)
            - self.effect_centre
        )
        order = np.argsort(-effects, axis=1, kind="stable")
        columns = self.encoder.columns
        cells = [table.column(encoding.name) for encoding in columns]

        def reasons(
            row: int, indices: npt.NDArray[np.intp], sign: float
        ) -> tuple[Reason, ...]:
            chosen: list[Reason] = []
            for index in indices:
                effect = float(effects[row, index])
                if sign * effect < _MIN_EFFECT:
                    break
                encoding = columns[index]
                value = self.encoder.describe(encoding, cells[index][row])
                chosen.append(Reason(encoding.name, value, round(effect, 3)))
            return tuple(chosen)

        width = min(REASONS_PER_SIDE, len(columns))
        reasons_for = tuple(
            reasons(row, order[row, :width], 1.0) for row in range(table.n_rows)
        )
        reasons_against = tuple(
            reasons(row, order[row, ::-1][:width], -1.0) for row in range(table.n_rows)
        )
        return reasons_for, reasons_against


def _prior_for(
    model: TrainedModel, rows: int, prior_logit: npt.ArrayLike | None
) -> FloatArray:
    if model.uses_prior and prior_logit is None:
        raise UnusableTarget(
            "This model was trained with a prior (the rules' log-odds per lead); "
            "pass prior_logit with one value per row."
        )
    if not model.uses_prior and prior_logit is not None:
        raise UnusableTarget(
            "This model was trained without a prior; predict without prior_logit."
        )
    if prior_logit is None:
        return np.full(rows, model.base_logit)
    prior = np.asarray(prior_logit, dtype=np.float64)
    if prior.shape != (rows,) or not np.isfinite(prior).all():
        raise UnusableTarget(
            f"prior_logit must hold one finite log-odds per row ({rows}), "
            f"got shape {prior.shape}."
        )
    return prior


def _column_effects(
    encoder: Encoder, matrix: sparse.csr_matrix, weights: FloatArray
) -> FloatArray:
    """Per row and column: the log-odds the column's features add in the linear part."""
    weighted = sparse.csc_matrix(matrix.multiply(weights.reshape(1, -1)))
    effects = np.zeros((matrix.shape[0], len(encoder.blocks)))
    for index, block in enumerate(encoder.blocks):
        effects[:, index] = np.asarray(
            weighted[:, block.start : block.stop].sum(axis=1)
        ).ravel()
    return effects


def _tree_matrix(
    encoder: Encoder, table: Table, prior: FloatArray, *, uses_prior: bool
) -> FloatArray:
    matrix, _ = encoder.tree_matrix(table)
    return np.column_stack([matrix, prior]) if uses_prior else matrix


@dataclass(frozen=True, slots=True)
class Split:
    """Training and held-out row indices for one round of cross-fitting."""

    training: IntArray
    held_out: IntArray


@dataclass(frozen=True, slots=True)
class Columns:
    """Which columns a model uses, and what the guard and type inference left out."""

    kinds: dict[str, ColumnKind]
    id_column: str | None
    dropped: tuple[DroppedColumn, ...]
    flagged: tuple[LeakFlag, ...]
    allowed: tuple[str, ...]


def train(
    table: Table,
    target: Sequence[bool],
    *,
    prior_logit: npt.ArrayLike | None = None,
    time_order: Sequence[datetime | float] | None = None,
    allow: Collection[str] = (),
    exclude: Collection[str] = (),
    seed: int = 0,
    target_name: str = "the outcome",
) -> TrainedModel:
    """Train a calibrated model on ``table`` for the outcomes ``target``.

    ``prior_logit`` (one log-odds per row, for example from the rules) is what
    the model shrinks toward; without it, the base rate. ``time_order`` makes
    validation a time split (train on older, check on newer rows). Columns the
    leakage guard flags are left out unless named in ``allow``; ``exclude``
    leaves out more. Raises ``UnknownColumn``, ``UnusableTarget`` or
    ``TooFewRows`` with what to do.
    """
    outcomes = check_target(table, target)
    with threadpool_limits(limits=THREADS):
        columns = choose_columns(
            table, outcomes, allow=allow, exclude=exclude, seed=seed
        )
    return fit_model(
        table,
        outcomes,
        columns,
        prior_logit=prior_logit,
        time_order=time_order,
        seed=seed,
        target_name=target_name,
    )


def check_target(table: Table, target: Sequence[bool]) -> BoolArray:
    """The outcomes as a boolean array; raises when they cannot be learned from."""
    outcomes = np.asarray(target, dtype=bool)
    if outcomes.shape != (table.n_rows,):
        raise UnusableTarget(
            f"There are {table.n_rows} rows but {outcomes.size} outcomes; give one per row."
        )
    if table.n_rows < MIN_ROWS:
        raise TooFewRows(
            f"Only {table.n_rows} rows with an outcome; at least {MIN_ROWS} are needed."
        )
    positives = int(outcomes.sum())
    if positives in (0, table.n_rows):
        raise UnusableTarget(
            f"Every row has the same outcome ({'positive' if positives else 'negative'}); "
            "a model needs rows of both outcomes."
        )
    rarer = min(positives, table.n_rows - positives)
    if rarer < MIN_PER_CLASS:
        raise TooFewRows(
            f"Only {rarer} rows have the rarer outcome; at least {MIN_PER_CLASS} of each "
            "outcome are needed."
        )
    return outcomes


def fold_numbers(outcomes: BoolArray, *, seed: int, folds: int = 5) -> IntArray:
    """A stratified fold number per row."""
    numbers = np.zeros(outcomes.size, dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (_, held_out) in enumerate(
        splitter.split(np.zeros(outcomes.size), outcomes)
    ):
        numbers[held_out] = number
    return numbers


def choose_columns(
    table: Table,
    outcomes: BoolArray,
    *,
    allow: Collection[str] = (),
    exclude: Collection[str] = (),
    seed: int = 0,
) -> Columns:
    """Infer column kinds, run the leakage guard and decide what the model may use."""
    for name in [*allow, *exclude]:
        table.column(name)
    inferred = {
        name: infer_kind(name, table.column(name))
        for name in table.columns
        if name not in exclude
    }
    id_column = next(
        (name for name, kind in inferred.items() if kind is ColumnKind.IDENTIFIER), None
    )
    dropped = [
        DroppedColumn(name, "excluded by you")
        for name in table.columns
        if name in exclude
    ]
    dropped += [
        DroppedColumn(name, _NOT_USED_WHY[kind])
        for name, kind in inferred.items()
        if kind in _NOT_USED_WHY
    ]
    candidates = {
        name: kind for name, kind in inferred.items() if kind in _USABLE_KINDS
    }
    flags = find_leaks(
        table, outcomes, candidates, folds=fold_numbers(outcomes, seed=seed)
    )
    left_out = {flag.column for flag in flags if flag.column not in allow}
    kinds = {name: kind for name, kind in candidates.items() if name not in left_out}
    return Columns(
        kinds=kinds,
        id_column=id_column,
        dropped=tuple(dropped),
        flagged=tuple(flags),
        allowed=tuple(flag.column for flag in flags if flag.column in allow),
    )


def fit_model(
    table: Table,
    outcomes: BoolArray,
    columns: Columns,
    *,
    prior_logit: npt.ArrayLike | None = None,
    time_order: Sequence[datetime | float] | None = None,
    seed: int = 0,
    target_name: str = "the outcome",
) -> TrainedModel:
    """Fit, cross-fit and calibrate a model on the chosen columns (no guard here)."""
    with threadpool_limits(limits=THREADS):
        return _fit_model(
            table,
            outcomes,
            columns,
            prior_logit=prior_logit,
            time_order=time_order,
            seed=seed,
            target_name=target_name,
        )


def _fit_model(
    table: Table,
    outcomes: BoolArray,
    columns: Columns,
    *,
    prior_logit: npt.ArrayLike | None,
    time_order: Sequence[datetime | float] | None,
    seed: int,
    target_name: str,
) -> TrainedModel:
    encoder = Encoder.fit(table, columns.kinds)
    informative = [encoding for encoding in encoder.columns if is_informative(encoding)]
    dropped = list(columns.dropped) + [
        DroppedColumn(encoding.name, _NOT_USED_WHY[ColumnKind.CONSTANT])
        for encoding in encoder.columns
        if not is_informative(encoding)
    ]
    kinds = {encoding.name: encoding.kind for encoding in informative}
    encoder = Encoder.fit(table, kinds)
    uses_prior = prior_logit is not None
    base_logit = float(np.log(outcomes.mean() / (1 - outcomes.mean())))
    prior = (
        np.full(table.n_rows, base_logit)
        if prior_logit is None
        else _checked_prior(prior_logit, table.n_rows)
    )
    linear = encoder.linear_matrix(table)
    trees_matrix = _tree_matrix(encoder, table, prior, uses_prior=uses_prior)
    categorical = encoder.tree_matrix(table.take([]))[1] + (
        [False] if uses_prior else []
    )
    rarer = int(min(outcomes.sum(), outcomes.size - outcomes.sum()))
    with_trees = rarer >= TREES_FROM_PER_CLASS and bool(kinds)
    splits, validation = _splits(outcomes, time_order, seed=seed)

    held_out = np.concatenate([split.held_out for split in splits])
    linear_logits = {penalty: np.zeros(table.n_rows) for penalty in PENALTIES}
    tree_logits = np.zeros(table.n_rows)
    for split in splits:
        weights: FloatArray | None = None
        intercept = 0.0
        for penalty in PENALTIES:
            weights, intercept = fit_offset_logistic(
                linear[split.training],
                outcomes[split.training],
                prior[split.training],
                penalty=penalty,
                start=(weights, intercept) if weights is not None else None,
            )
            linear_logits[penalty][split.held_out] = (
                prior[split.held_out] + intercept + linear[split.held_out] @ weights
            )
        if with_trees:
            trees = _new_trees(categorical, rows=split.training.size, seed=seed)
            trees.fit(trees_matrix[split.training], outcomes[split.training])
            tree_logits[split.held_out] = trees.decision_function(
                trees_matrix[split.held_out]
            )

    checked = outcomes[held_out]
    penalty = min(
        PENALTIES,
        key=lambda value: log_loss(checked, sigmoid(linear_logits[value][held_out])),
    )
    share, calibration = 1.0, fit_platt(linear_logits[penalty][held_out], checked)
    if with_trees:
        best = math.inf
        for candidate in BLEND_WEIGHTS:
            blended = candidate * linear_logits[penalty] + (1 - candidate) * tree_logits
            platt = fit_platt(blended[held_out], checked)
            loss = log_loss(checked, platt.apply(blended[held_out]))
            if loss < best - 1e-9:
                best, share, calibration = loss, candidate, platt
    blended = share * linear_logits[penalty] + (1 - share) * tree_logits
    model_probability = calibration.apply(blended[held_out])
    prior_calibration = fit_platt(prior[held_out], checked)
    prior_probability = prior_calibration.apply(prior[held_out])
    model_scores = score(checked, model_probability)
    prior_scores = score(checked, prior_probability)
    fell_back = model_scores.log_loss >= prior_scores.log_loss

    weights, intercept = fit_offset_logistic(linear, outcomes, prior, penalty=penalty)
    final_trees = None
    if with_trees and share < 1.0:
        final_trees = _new_trees(categorical, rows=table.n_rows, seed=seed)
        final_trees.fit(trees_matrix, outcomes)
    if fell_back:
        # The prior alone is the model; keep the rest for reasons only.
        prior_calibration = fit_platt(prior, outcomes)
    effect_centre = _column_effects(encoder, linear, weights).mean(axis=0)

    card = ModelCard(
        target=target_name,
        rows_used=table.n_rows,
        positives=int(outcomes.sum()),
        features=tuple(FeatureColumn(name, kind) for name, kind in kinds.items()),
        dropped=tuple(dropped),
        flagged=columns.flagged,
        allowed=columns.allowed,
        validation=validation,
        model_scores=model_scores,
        prior_scores=prior_scores,
        prior="the rules' log-odds per lead" if uses_prior else "the base rate",
        fell_back_to_prior=fell_back,
        certainty=certainty_for(rarer),
        components=_components(penalty, share if with_trees else 1.0),
        scikit_learn_version=sklearn.__version__,
    )
    return TrainedModel(
        encoder=encoder,
        kinds=kinds,
        id_column=columns.id_column,
        linear_weights=weights,
        linear_intercept=intercept,
        penalty=penalty,
        trees=final_trees,
        linear_share=share if final_trees is not None else 1.0,
        effect_centre=effect_centre,
        calibration=calibration,
        prior_calibration=prior_calibration,
        base_logit=base_logit,
        uses_prior=uses_prior,
        fell_back_to_prior=fell_back,
        card=card,
    )


def _components(penalty: float, share: float) -> str:
    linear = f"logistic regression with the prior as offset (L2 penalty {penalty:g})"
    if share >= 1.0:
        return f"{linear}, Platt calibration"
    trees = "gradient-boosted trees (HistGradientBoosting)"
    if share <= 0.0:
        return f"{trees}, Platt calibration; the logistic regression explains"
    return f"{100 * share:.0f}% {linear} + {100 * (1 - share):.0f}% {trees}, Platt calibration"


def _checked_prior(prior_logit: npt.ArrayLike, rows: int) -> FloatArray:
    prior = np.asarray(prior_logit, dtype=np.float64)
    if prior.shape != (rows,) or not np.isfinite(prior).all():
        raise UnusableTarget(
            f"prior_logit must hold one finite log-odds per row ({rows}), "
            f"got shape {prior.shape}."
        )
    return prior


def _splits(
    outcomes: BoolArray, time_order: Sequence[datetime | float] | None, *, seed: int
) -> tuple[list[Split], str]:
    rows = outcomes.size
    if time_order is not None:
        return time_split(outcomes, time_order)
    rarer = int(min(outcomes.sum(), rows - outcomes.sum()))
    if rows > 20_000:
        training, held_out = train_test_split(
            np.arange(rows), test_size=0.2, stratify=outcomes, random_state=seed
        )
        return [Split(np.sort(training), np.sort(held_out))], (
            f"stratified hold-out: {held_out.size:,} of {rows:,} rows held out"
        )
    folds = 5 if rows <= 5_000 else 3
    folds = min(folds, rarer)
    numbers = fold_numbers(outcomes, seed=seed, folds=folds)
    splits = [
        Split(np.flatnonzero(numbers != fold), np.flatnonzero(numbers == fold))
        for fold in range(folds)
    ]
    return splits, f"stratified {folds}-fold cross-fitting on {rows:,} rows"


def time_split(
    outcomes: BoolArray, time_order: Sequence[datetime | float]
) -> tuple[list[Split], str]:
    """Train on the oldest 80% of the rows, check on the newest 20%."""
    rows = outcomes.size
    if len(time_order) != rows:
        raise UnusableTarget(
            f"time_order has {len(time_order)} values for {rows} rows; give one per row."
        )
    moments = [
        value.timestamp() if isinstance(value, datetime) else float(value)
        for value in time_order
    ]
    order = np.argsort(np.array(moments), kind="stable")
    cut = round(0.8 * rows)
    training, held_out = order[:cut], order[cut:]
    for part, label in ((training, "older"), (held_out, "newest")):
        if np.unique(outcomes[part]).size < 2:
            raise TooFewRows(
                f"The {label} rows of the time split ({part.size}) all have the same "
                "outcome; add rows or leave out the time column."
            )
    return [Split(np.sort(training), np.sort(held_out))], (
        f"time split: trained on the oldest {training.size:,} rows, "
        f"checked on the newest {held_out.size:,}"
    )


def _new_trees(
    categorical: list[bool], *, rows: int, seed: int
) -> HistGradientBoostingClassifier:
    large = rows >= 1_000
    return HistGradientBoostingClassifier(
        learning_rate=0.06,
        max_iter=500 if large else 150,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        categorical_features=np.array(categorical, dtype=bool)
        if any(categorical)
        else None,
        early_stopping=large,
        validation_fraction=0.15,
        n_iter_no_change=25,
        random_state=seed,
    )


def fit_offset_logistic(
    matrix: sparse.csr_matrix,
    outcomes: BoolArray,
    offset: FloatArray,
    *,
    penalty: float,
    start: tuple[FloatArray, float] | None = None,
) -> tuple[FloatArray, float]:
    """L2-penalised logistic regression with a fixed per-row offset (log-odds).

    Minimises the summed log-loss plus ``penalty`` times the squared weights;
    the intercept is not penalised. Returns (weights, intercept).
    """
    target = outcomes.astype(np.float64)
    width = matrix.shape[1]
    transposed = matrix.T.tocsr()

    def objective(parameters: FloatArray) -> tuple[float, FloatArray]:
        weights, intercept = parameters[:width], parameters[width]
        logit = offset + intercept + matrix @ weights
        # log(1 + e^z) - y z, computed without overflow.
        loss = float(np.sum(np.logaddexp(0.0, logit) - target * logit))
        residual = sigmoid(logit) - target
        gradient = np.empty(width + 1)
        gradient[:width] = transposed @ residual + 2 * penalty * weights
        gradient[width] = residual.sum()
        return loss + penalty * float(weights @ weights), gradient

    initial = np.zeros(width + 1) if start is None else np.append(start[0], start[1])
    result = optimize.minimize(
        objective, initial, jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    parameters = np.asarray(result.x, dtype=np.float64)
    return parameters[:width], float(parameters[width])


def fit_platt(logit: FloatArray, outcomes: BoolArray) -> Platt:
    """Platt scaling of log-odds to calibrated probabilities.

    The slope is pulled toward 1 (the log-odds as they are) with the weight of
    a few outcomes, so that tens of outcomes adjust the level but cannot turn a
    prior around; thousands of outcomes set the slope freely. The slope never
    goes below zero: a calibration must not turn a ranking upside down (on a
    small held-out set noise can point that way); a model whose log-odds do not
    rank the held-out outcomes then loses to the prior and is not used.
    """
    target = outcomes.astype(np.float64)
    centre = float(logit.mean())
    centred = logit - centre

    def objective(parameters: FloatArray) -> tuple[float, FloatArray]:
        slope, intercept = parameters
        z = slope * centred + intercept
        pull = _PLATT_PULL * (slope - 1.0)
        loss = float(np.sum(np.logaddexp(0.0, z) - target * z)) + pull * (slope - 1.0)
        residual = sigmoid(z) - target
        return loss, np.array([residual @ centred + 2 * pull, residual.sum()])

    result = optimize.minimize(
        objective,
        np.array([1.0, 0.0]),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None), (None, None)],
    )
    slope, intercept = (float(value) for value in result.x)
    return Platt(slope, intercept - slope * centre)
