"""Is the model in use still looking at the leads it was trained on, and fair?

Pure functions over plain columns (no Django, no numpy needed):

- **Drift.** ``drift_reference`` remembers, per feature of the training data,
  the share of rows per bin: numbers binned on the training quantiles,
  categories per value (rare ones and later unseen ones as "other"), missing
  values always in a bin of their own. ``feature_drift`` compares new rows
  with that reference by the population stability index (PSI); the score
  distribution is one more numeric column (``score_drift``).
- **Bias.** ``bias_by_segment`` splits leads by a segment (sector, size band,
  region, source): per value the share predicted hot against the actual
  conversion, and the calibration (mean predicted probability against the
  observed rate, with its 95% Wilson interval and the counts behind it).

Limits, the usual PSI reading: below 0.10 stable, 0.10 to 0.25 watch, above
0.25 alert. A segment is biased when it has at least ``min_outcomes``
outcomes, its calibration gap exceeds ``gap_limit`` and the mean prediction
lies outside the interval of the observed rate (so chance alone in a small
segment raises no alarm).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict

from leadqual.core.optimiser import wilson_interval

MONITORING_FORMAT = 1  # 1: numeric and categorical bins with a missing bin
PSI_WATCH = 0.10
PSI_ALERT = 0.25
DEFAULT_BINS = 10
# Categories below this share of the training rows share the "other" bin, so
# a category seen twice in training cannot blow up the index.
MIN_CATEGORY_SHARE = 0.01
MAX_CATEGORIES = 30
# An empty bin would make the index infinite; shares are floored at this.
SHARE_FLOOR = 1e-4
# Fewer new rows than this say too little about a distribution of ten bins.
MIN_ROWS = 30
GAP_LIMIT = 0.15
MIN_OUTCOMES = 30
MISSING = "(missing)"
OTHER = "(other)"

Value = float | int | str | bool | None


class Level(StrEnum):
    """How worried to be about one feature, the score or a segment."""

    STABLE = "stable"
    WATCH = "watch"
    ALERT = "alert"
    TOO_FEW_ROWS = "too_few_rows"


def level_of(psi: float) -> Level:
    """The level of a population stability index under the set limits."""
    if psi > PSI_ALERT:
        return Level.ALERT
    if psi >= PSI_WATCH:
        return Level.WATCH
    return Level.STABLE


# --- the reference --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeatureReference:
    """One training column's bins and the share of training rows in each.

    Numeric: ``edges`` are the cut points (a value v lies in the first bin
    whose edge is >= v, else in the last), ``categories`` is empty.
    Categorical: ``categories`` name the bins, plus OTHER; ``edges`` is
    empty. ``shares`` follow the bins, then the missing bin last.
    """

    name: str
    is_numeric: bool
    edges: tuple[float, ...]
    categories: tuple[str, ...]
    shares: tuple[float, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """A readable name per bin, in the order of ``shares``."""
        if self.is_numeric:
            if not self.edges:
                return ("all", MISSING)
            names = [f"<= {_number(self.edges[0])}"]
            names += [
                f"{_number(low)} - {_number(high)}"
                for low, high in zip(self.edges, self.edges[1:], strict=False)
            ]
            names.append(f"> {_number(self.edges[-1])}")
            return (*names, MISSING)
        return (*self.categories, OTHER, MISSING)


@dataclass(frozen=True, slots=True)
class DriftReference:
    """The training data's distribution per feature, to compare new rows with."""

    rows: int
    features: tuple[FeatureReference, ...]


class FeatureReferenceJson(TypedDict):
    name: str
    is_numeric: bool
    edges: list[float]
    categories: list[str]
    shares: list[float]


class DriftReferenceJson(TypedDict):
    format: int
    rows: int
    features: list[FeatureReferenceJson]


def _number(value: float) -> str:
    return f"{value:.4g}"


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_missing(value: Value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _quantile(ordered: Sequence[float], fraction: float) -> float:
    """The quantile of sorted values by linear interpolation (numpy's default)."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _numeric_reference(
    name: str, values: Sequence[Value], bins: int
) -> FeatureReference:
    present = sorted(float(v) for v in values if not _is_missing(v))  # type: ignore[arg-type]
    edges: list[float] = []
    if present:
        for index in range(1, bins):
            edge = _quantile(present, index / bins)
            # Ties (many leads with the same value) give one bin, not empty ones.
            if not edges or edge > edges[-1]:
                edges.append(edge)
        if edges and edges[-1] >= present[-1]:
            edges.pop()
    shares = _shares(_numeric_counts(tuple(edges), values), len(values))
    return FeatureReference(
        name, is_numeric=True, edges=tuple(edges), categories=(), shares=shares
    )


def _categorical_reference(name: str, values: Sequence[Value]) -> FeatureReference:
    counts = Counter(_category(v) for v in values if not _is_missing(v))
    floor = MIN_CATEGORY_SHARE * len(values)
    kept = sorted(
        (value for value, count in counts.items() if count >= floor),
        key=lambda value: (-counts[value], value),
    )[:MAX_CATEGORIES]
    categories = tuple(sorted(kept))
    shares = _shares(_categorical_counts(categories, values), len(values))
    return FeatureReference(
        name, is_numeric=False, edges=(), categories=categories, shares=shares
    )


def _category(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold()


def _numeric_counts(edges: tuple[float, ...], values: Sequence[Value]) -> list[int]:
    counts = [0] * (len(edges) + 2)
    for value in values:
        if _is_missing(value):
            counts[-1] += 1
            continue
        number = float(value)  # type: ignore[arg-type]
        index = len(edges)
        for position, edge in enumerate(edges):
            if number <= edge:
                index = position
                break
        counts[index] += 1
    return counts


def _categorical_counts(
    categories: tuple[str, ...], values: Sequence[Value]
) -> list[int]:
    where = {category: index for index, category in enumerate(categories)}
    counts = [0] * (len(categories) + 2)
    for value in values:
        if _is_missing(value):
            counts[-1] += 1
        else:
            counts[where.get(_category(value), len(categories))] += 1
    return counts


def _shares(counts: Sequence[int], rows: int) -> tuple[float, ...]:
    return tuple(count / rows if rows else 0.0 for count in counts)


def _is_numeric_column(values: Sequence[Value]) -> bool:
    present = [value for value in values if not _is_missing(value)]
    return bool(present) and all(_is_number(value) for value in present)


def drift_reference(
    columns: Mapping[str, Sequence[Value]], *, bins: int = DEFAULT_BINS
) -> DriftReference:
    """The reference of the training columns (all of one length), per column.

    A column whose values are all numbers (bools are categories) is binned on
    its quantiles, any other per value. Raises ValueError when the columns
    differ in length.
    """
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"The columns differ in length: {lengths}.")
    rows = next(iter(lengths.values()), 0)
    features = tuple(
        _numeric_reference(name, values, bins)
        if _is_numeric_column(values)
        else _categorical_reference(name, values)
        for name, values in columns.items()
    )
    return DriftReference(rows, features)


def reference_json(reference: DriftReference) -> DriftReferenceJson:
    """The reference as JSON, to store beside the model."""
    return {
        "format": MONITORING_FORMAT,
        "rows": reference.rows,
        "features": [
            {
                "name": feature.name,
                "is_numeric": feature.is_numeric,
                "edges": list(feature.edges),
                "categories": list(feature.categories),
                "shares": list(feature.shares),
            }
            for feature in reference.features
        ],
    }


def reference_from_json(data: DriftReferenceJson) -> DriftReference:
    """A reference stored by ``reference_json``. Raises ValueError for another format."""
    if data.get("format") != MONITORING_FORMAT:
        raise ValueError(
            f"The drift reference has format {data.get('format')!r}; this leadqual "
            f"reads format {MONITORING_FORMAT}. Train the model again."
        )
    return DriftReference(
        rows=data["rows"],
        features=tuple(
            FeatureReference(
                name=item["name"],
                is_numeric=item["is_numeric"],
                edges=tuple(item["edges"]),
                categories=tuple(item["categories"]),
                shares=tuple(item["shares"]),
            )
            for item in data["features"]
        ),
    )


# --- drift ---------------------------------------------------------------------------


def population_stability(expected: Sequence[float], actual: Sequence[float]) -> float:
    """The PSI of two distributions over the same bins: sum (a - e) ln(a / e).

    Shares are floored at SHARE_FLOOR so an empty bin counts as rare, not
    impossible. 0 for identical distributions, never negative.
    """
    if len(expected) != len(actual):
        raise ValueError(
            f"Both distributions need the same bins: {len(expected)} against "
            f"{len(actual)}."
        )
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, SHARE_FLOOR), max(a, SHARE_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


@dataclass(frozen=True, slots=True)
class BinShift:
    label: str
    expected: float
    actual: float


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """A feature's (or the score's) PSI against the reference, and why."""

    name: str
    psi: float
    level: Level
    rows: int
    bins: tuple[BinShift, ...]

    @property
    def largest_shift(self) -> BinShift | None:
        """The bin whose share moved most."""
        if not self.bins:
            return None
        return max(self.bins, key=lambda shift: abs(shift.actual - shift.expected))


def _drift_of(
    feature: FeatureReference, values: Sequence[Value], min_rows: int
) -> FeatureDrift:
    counts = (
        _numeric_counts(feature.edges, values)
        if feature.is_numeric
        else _categorical_counts(feature.categories, values)
    )
    actual = _shares(counts, len(values))
    psi = population_stability(feature.shares, actual)
    level = Level.TOO_FEW_ROWS if len(values) < min_rows else level_of(psi)
    bins = tuple(
        BinShift(label, expected, share)
        for label, expected, share in zip(
            feature.labels, feature.shares, actual, strict=True
        )
    )
    return FeatureDrift(feature.name, psi, level, len(values), bins)


def feature_drift(
    reference: DriftReference,
    columns: Mapping[str, Sequence[Value]],
    *,
    min_rows: int = MIN_ROWS,
) -> list[FeatureDrift]:
    """The PSI of every reference feature in ``columns``, worst first.

    A feature missing from ``columns`` counts as missing on every row (a
    field nobody fills in any more is drift too). Fewer than ``min_rows``
    rows give the level TOO_FEW_ROWS whatever the index.
    """
    rows = len(next(iter(columns.values()), ()))
    result = [
        _drift_of(feature, columns.get(feature.name, [None] * rows), min_rows)
        for feature in reference.features
    ]
    return sorted(result, key=lambda drift: (-drift.psi, drift.name))


def score_reference(
    scores: Sequence[float], *, bins: int = DEFAULT_BINS
) -> FeatureReference:
    """The reference of the training rows' scores (0-100), binned on quantiles."""
    return _numeric_reference("score", scores, bins)


def score_drift(
    reference: FeatureReference, scores: Sequence[float], *, min_rows: int = MIN_ROWS
) -> FeatureDrift:
    """The PSI of new scores against the training scores' reference."""
    return _drift_of(reference, scores, min_rows)


# --- bias ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentStats:
    """One value of a segment: how the model treats it and how it fared.

    ``hot_share``: share of its leads predicted hot; ``conversion``: share of
    its leads with an outcome that converted. ``mean_predicted`` and
    ``observed`` are over the leads with an outcome; ``gap`` is their
    difference (positive: the model is too hopeful), ``observed_low``/
    ``observed_high`` the 95% Wilson interval of the observed rate.
    """

    value: str
    leads: int
    hot_share: float
    outcomes: int
    converted: int
    mean_predicted: float | None
    observed: float | None
    observed_low: float
    observed_high: float
    gap: float | None
    is_biased: bool


@dataclass(frozen=True, slots=True)
class SegmentBias:
    """Every value of one segment (e.g. sector), in order of leads."""

    segment: str
    values: tuple[SegmentStats, ...]

    @property
    def biased(self) -> list[SegmentStats]:
        return [stats for stats in self.values if stats.is_biased]


def bias_by_segment(
    segment: str,
    values: Sequence[Value],
    probabilities: Sequence[float],
    outcomes: Sequence[bool | None],
    *,
    hot: Sequence[bool],
    gap_limit: float = GAP_LIMIT,
    min_outcomes: int = MIN_OUTCOMES,
) -> SegmentBias:
    """Per value of ``segment``: hot share against conversion, and calibration.

    ``probabilities`` are the model's (0-1), ``hot`` whether each lead was
    predicted hot, ``outcomes`` True/False when known and None when not (yet).
    Raises ValueError when the sequences differ in length.
    """
    lengths = {len(values), len(probabilities), len(outcomes), len(hot)}
    if len(lengths) != 1:
        raise ValueError(
            f"Segment {segment!r}: values, probabilities, outcomes and hot flags "
            "must have one entry per lead."
        )
    groups: dict[str, list[int]] = {}
    for index, value in enumerate(values):
        key = MISSING if _is_missing(value) else _category(value)
        groups.setdefault(key, []).append(index)
    result = []
    for key, indices in groups.items():
        known = [i for i in indices if outcomes[i] is not None]
        converted = sum(1 for i in known if outcomes[i])
        low, high = wilson_interval(converted, len(known))
        mean = sum(probabilities[i] for i in known) / len(known) if known else None
        observed = converted / len(known) if known else None
        gap = mean - observed if mean is not None and observed is not None else None
        is_biased = (
            gap is not None
            and mean is not None
            and len(known) >= min_outcomes
            and abs(gap) > gap_limit
            and not low <= mean <= high
        )
        result.append(
            SegmentStats(
                value=key,
                leads=len(indices),
                hot_share=sum(1 for i in indices if hot[i]) / len(indices),
                outcomes=len(known),
                converted=converted,
                mean_predicted=mean,
                observed=observed,
                observed_low=low,
                observed_high=high,
                gap=gap,
                is_biased=is_biased,
            )
        )
    result.sort(key=lambda stats: (-stats.leads, stats.value))
    return SegmentBias(segment, tuple(result))


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonitoringReport:
    """Drift of every feature and the score, and bias per segment."""

    features: tuple[FeatureDrift, ...]
    score: FeatureDrift
    segments: tuple[SegmentBias, ...]

    @property
    def drifted(self) -> list[FeatureDrift]:
        """The features and score at ALERT level."""
        every = [*self.features, self.score]
        return [drift for drift in every if drift.level is Level.ALERT]

    @property
    def watched(self) -> list[FeatureDrift]:
        every = [*self.features, self.score]
        return [drift for drift in every if drift.level is Level.WATCH]

    @property
    def biased(self) -> list[tuple[str, SegmentStats]]:
        return [
            (segment.segment, stats)
            for segment in self.segments
            for stats in segment.biased
        ]

    @property
    def needs_attention(self) -> bool:
        """True when a feature or the score drifted past the alert limit or a
        segment is biased: the admins are told."""
        return bool(self.drifted or self.biased)


def report_json(report: MonitoringReport) -> dict[str, object]:
    """The report as JSON, to store and show."""

    def drift(item: FeatureDrift) -> dict[str, object]:
        return {
            "name": item.name,
            "psi": round(item.psi, 4),
            "level": item.level.value,
            "rows": item.rows,
            "bins": [
                {
                    "label": shift.label,
                    "expected": round(shift.expected, 4),
                    "actual": round(shift.actual, 4),
                }
                for shift in item.bins
            ],
        }

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {
        "format": MONITORING_FORMAT,
        "needs_attention": report.needs_attention,
        "features": [drift(item) for item in report.features],
        "score": drift(report.score),
        "segments": [
            {
                "segment": segment.segment,
                "values": [
                    {
                        "value": stats.value,
                        "leads": stats.leads,
                        "hot_share": rounded(stats.hot_share),
                        "outcomes": stats.outcomes,
                        "converted": stats.converted,
                        "mean_predicted": rounded(stats.mean_predicted),
                        "observed": rounded(stats.observed),
                        "observed_low": rounded(stats.observed_low),
                        "observed_high": rounded(stats.observed_high),
                        "gap": rounded(stats.gap),
                        "is_biased": stats.is_biased,
                    }
                    for stats in segment.values
                ],
            }
            for segment in report.segments
        ],
    }
