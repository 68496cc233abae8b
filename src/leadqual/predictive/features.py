"""Turn a table into numbers: what each usable column becomes, learned once.

``fit_columns`` decides per column how it is encoded (kept categories, bins,
means) from the training data; ``Encoder`` then builds the same matrices for
any later table: a sparse design for the linear model (one-hot categories,
standardised numbers with quantile bins and a missing indicator) and a dense
one for the gradient-boosted trees (numbers as they are, categories as codes).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from leadqual.predictive.table import ColumnKind, Table, parse_date, parse_number

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

OTHER: Final = "(other)"
# Trees take at most 255 categories per feature; the rest go to OTHER.
_MAX_LEVELS: Final = 200
_MAX_BINS: Final = 10
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class ColumnEncoding:
    """How one column becomes features; learned from the training rows."""

    name: str
    kind: ColumnKind
    levels: tuple[str, ...] = ()
    mean: float = 0.0
    std: float = 1.0
    bin_edges: tuple[float, ...] = ()
    has_missing: bool = False


def min_category_count(n_rows: int) -> int:
    """A category seen fewer times than this is bucketed as "(other)"."""
    return max(3, math.ceil(0.002 * n_rows))


def numeric_values(values: Sequence[str | None]) -> FloatArray:
    """The cells as floats, NaN where missing or not a number."""
    # Each distinct cell is parsed once: lead data repeats its values.
    parsed: dict[str, float] = {}
    numbers = np.empty(len(values), dtype=np.float64)
    for index, value in enumerate(values):
        if value is None:
            numbers[index] = math.nan
            continue
        number = parsed.get(value)
        if number is None:
            found = parse_number(value)
            number = parsed[value] = math.nan if found is None else found
        numbers[index] = number
    return numbers


def _word_counts(values: Sequence[str | None]) -> FloatArray:
    return np.array(
        [math.nan if value is None else float(len(value.split())) for value in values],
        dtype=np.float64,
    )


def _date_parts(
    values: Sequence[str | None],
) -> tuple[list[str | None], list[str | None]]:
    parts: dict[str, tuple[str | None, str | None]] = {}
    weekdays: list[str | None] = []
    months: list[str | None] = []
    for value in values:
        if value is None:
            weekdays.append(None)
            months.append(None)
            continue
        if value not in parts:
            moment = parse_date(value)
            parts[value] = (
                (None, None)
                if moment is None
                else (_WEEKDAYS[moment.weekday()], f"{moment.month:02d}")
            )
        weekday, month = parts[value]
        weekdays.append(weekday)
        months.append(month)
    return weekdays, months


def fit_column(
    name: str, kind: ColumnKind, values: Sequence[str | None]
) -> ColumnEncoding:
    """Learn the encoding of one usable column (numeric, categorical, text or date)."""
    has_missing = any(value is None for value in values)
    if kind is ColumnKind.CATEGORICAL:
        counts = Counter(value for value in values if value is not None)
        floor = min_category_count(len(values))
        levels = tuple(
            sorted(
                level
                for level, count in counts.most_common(_MAX_LEVELS)
                if count >= floor
            )
        )
        return ColumnEncoding(name, kind, levels=levels, has_missing=has_missing)
    if kind is ColumnKind.DATE:
        return ColumnEncoding(name, kind, has_missing=has_missing)
    numbers = (
        numeric_values(values) if kind is ColumnKind.NUMERIC else _word_counts(values)
    )
    if kind is ColumnKind.TEXT:
        numbers = np.log1p(numbers)
    filled = numbers[~np.isnan(numbers)]
    if filled.size == 0:
        return ColumnEncoding(name, kind, has_missing=True)
    quantiles = np.quantile(filled, np.linspace(0, 1, _MAX_BINS + 1)[1:-1])
    edges = tuple(float(edge) for edge in np.unique(quantiles))
    std = float(filled.std())
    return ColumnEncoding(
        name,
        kind,
        mean=float(filled.mean()),
        std=std if std > 0 else 1.0,
        bin_edges=edges,
        has_missing=bool(np.isnan(numbers).any()),
    )


def is_informative(encoding: ColumnEncoding) -> bool:
    """False when, after bucketing rare values, a column can take only one value."""
    if encoding.kind is ColumnKind.CATEGORICAL:
        return len(encoding.levels) + int(encoding.has_missing) >= 2 or (
            len(encoding.levels) == 1 and encoding.has_missing
        )
    return True


@dataclass(frozen=True, slots=True)
class FeatureBlock:
    """The linear-model features one column contributes (for explanations)."""

    column: str
    start: int
    stop: int


@dataclass(frozen=True, slots=True)
class Encoder:
    """Builds the model matrices for the columns it was fitted on."""

    columns: tuple[ColumnEncoding, ...]
    blocks: tuple[FeatureBlock, ...] = field(default=())
    n_linear: int = 0

    @classmethod
    def fit(cls, table: Table, kinds: Mapping[str, ColumnKind]) -> Encoder:
        """Fit the encoding of every column in ``kinds`` on ``table``."""
        return cls.of(
            [fit_column(name, kind, table.column(name)) for name, kind in kinds.items()]
        )

    @classmethod
    def of(cls, encodings: Sequence[ColumnEncoding]) -> Encoder:
        """An encoder for column encodings learned before (for example, read from a file)."""
        blocks: list[FeatureBlock] = []
        start = 0
        for encoding in encodings:
            width = _linear_width(encoding)
            blocks.append(FeatureBlock(encoding.name, start, start + width))
            start += width
        return cls(tuple(encodings), tuple(blocks), start)

    def linear_matrix(
        self, table: Table, *, with_bins: bool = True
    ) -> sparse.csr_matrix:
        """Sparse design for the linear model: one block of features per column."""
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        data: list[FloatArray] = []
        index = np.arange(table.n_rows, dtype=np.int64)
        for encoding, block in zip(self.columns, self.blocks, strict=True):
            for offset, values in _linear_parts(
                encoding, table.column(encoding.name), with_bins=with_bins
            ):
                keep = values != 0
                rows.append(index[keep])
                cols.append(offset[keep] + block.start)
                data.append(values[keep])
        matrix = sparse.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
            shape=(table.n_rows, self.n_linear),
        )
        return matrix

    def tree_matrix(self, table: Table) -> tuple[FloatArray, list[bool]]:
        """Dense matrix for the trees (NaN = missing) and which features are categories."""
        features: list[FloatArray] = []
        categorical: list[bool] = []
        for encoding in self.columns:
            values = table.column(encoding.name)
            match encoding.kind:
                case ColumnKind.CATEGORICAL:
                    features.append(
                        _category_codes(encoding.levels, values).astype(np.float64)
                    )
                    categorical.append(True)
                case ColumnKind.DATE:
                    weekdays, months = _date_parts(values)
                    features.append(
                        _category_codes(_WEEKDAYS, weekdays).astype(np.float64)
                    )
                    features.append(numeric_values(months))
                    categorical.extend([True, False])
                case ColumnKind.TEXT:
                    features.append(_word_counts(values))
                    categorical.append(False)
                case _:
                    features.append(numeric_values(values))
                    categorical.append(False)
        return np.column_stack(features) if features else np.zeros(
            (table.n_rows, 0)
        ), categorical

    def describe(self, encoding: ColumnEncoding, value: str | None) -> str:
        """The value as a reason shows it."""
        if value is None:
            return "(empty)"
        if encoding.kind is ColumnKind.CATEGORICAL and value not in encoding.levels:
            return f"{value} (rare)"
        return value


def _category_codes(levels: Sequence[str], values: Sequence[str | None]) -> FloatArray:
    """Codes 0..len(levels)-1, len(levels) for a rare value, NaN for missing."""
    lookup = {level: code for code, level in enumerate(levels)}
    other = float(len(levels))
    return np.array(
        [math.nan if value is None else lookup.get(value, other) for value in values],
        dtype=np.float64,
    )


def _linear_width(encoding: ColumnEncoding) -> int:
    match encoding.kind:
        case ColumnKind.CATEGORICAL:
            return len(encoding.levels) + 2  # levels, OTHER, missing
        case ColumnKind.DATE:
            return len(_WEEKDAYS) + 12 + 1
        case _:
            return 2 + len(encoding.bin_edges) + 1  # value, missing, bins


def _linear_parts(
    encoding: ColumnEncoding, values: Sequence[str | None], *, with_bins: bool
) -> list[tuple[IntArray, FloatArray]]:
    """(feature offset within the block, value) per row, one pair of arrays per part."""
    n = len(values)
    ones = np.ones(n)
    match encoding.kind:
        case ColumnKind.CATEGORICAL:
            codes = _category_codes(encoding.levels, values)
            codes = np.where(np.isnan(codes), len(encoding.levels) + 1, codes)
            return [(codes.astype(np.int64), ones)]
        case ColumnKind.DATE:
            weekdays, months = _date_parts(values)
            day = _category_codes(_WEEKDAYS, weekdays)
            month = numeric_values(months)
            missing = np.isnan(day)
            day_offset = np.where(missing, len(_WEEKDAYS) + 12, day).astype(np.int64)
            month_offset = np.where(
                missing,
                len(_WEEKDAYS) + 12,
                len(_WEEKDAYS) - 1 + np.nan_to_num(month, nan=1.0),
            ).astype(np.int64)
            return [(day_offset, ones), (month_offset, np.where(missing, 0.0, 1.0))]
    raw = (
        numeric_values(values)
        if encoding.kind is ColumnKind.NUMERIC
        else np.log1p(_word_counts(values))
    )
    missing = np.isnan(raw)
    standardised = np.clip(
        (np.where(missing, encoding.mean, raw) - encoding.mean) / encoding.std, -5, 5
    )
    parts: list[tuple[IntArray, FloatArray]] = [
        (np.zeros(n, dtype=np.int64), standardised),
        (np.ones(n, dtype=np.int64), missing.astype(np.float64)),
    ]
    if with_bins:
        bins = np.searchsorted(
            np.array(encoding.bin_edges), np.nan_to_num(raw), side="right"
        )
        parts.append(((2 + bins).astype(np.int64), np.where(missing, 0.0, 1.0)))
    return parts
