"""The leakage guard: columns that give the outcome away are left out of training.

A model scores a lead when it arrives, so it may only learn from what is known
then. A column leaks when it (1) alone predicts the outcome almost perfectly,
(2) holds values that read like call outcomes or sales notes, or (3) is filled
in by staff or after first contact: its name says staff judgement or a status
("quality", "status", "last ..."), or whether it is empty alone predicts the
outcome strongly. The rules are generic: no column of any particular data set
is named here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from leadqual.predictive.features import numeric_values
from leadqual.predictive.table import ColumnKind, Table, name_words

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

# A column that alone ranks leads this well (out-of-fold ROC-AUC) is an outcome.
SINGLE_COLUMN_AUC_LIMIT: Final = 0.9
# Whether a cell is empty should not by itself predict the outcome this well.
MISSINGNESS_AUC_LIMIT: Final = 0.8
# Share of the filled cells that read like a call outcome or a sales note.
OUTCOME_WORDS_SHARE: Final = 0.2

# Words of sales follow-up and outcomes, English and Dutch, matched as whole words.
_OUTCOME_PHRASES: Final = (
    "call",
    "called",
    "calling",
    "callback",
    "call back",
    "phone conversation",
    "phoned",
    "ringing",
    "busy",
    "voicemail",
    "no answer",
    "not reachable",
    "switched off",
    "wrong number",
    "sms sent",
    "email sent",
    "mail sent",
    "revert",
    "reverted",
    "follow up",
    "followed up",
    "closed",
    "won",
    "lost",
    "lost to",
    "converted",
    "interested",
    "not interested",
    "junk",
    "unqualified",
    "disqualified",
    "qualified",
    "deal",
    "quote sent",
    "proposal sent",
    "bel",
    "bellen",
    "gebeld",
    "teruggebeld",
    "terugbellen",
    "geen gehoor",
    "in gesprek",
    "voicemail ingesproken",
    "offerte",
    "offerte verstuurd",
    "gewonnen",
    "verloren",
    "geïnteresseerd",
    "niet geïnteresseerd",
    "afspraak",
    "afgesproken",
    "afgewezen",
    "klant geworden",
    "gemaild",
)
_OUTCOME_PATTERN: Final = re.compile(
    r"\b(" + "|".join(re.escape(phrase) for phrase in _OUTCOME_PHRASES) + r")\b",
    re.IGNORECASE,
)
# Name words of fields staff fill in or that describe a state after contact.
_STAFF_NAME_WORDS: Final = frozenset(
    {
        "quality",
        "rating",
        "rated",
        "profile",
        "tag",
        "tags",
        "status",
        "stage",
        "score",
        "scored",
        "scoring",
        "index",
        "last",
        "latest",
        "owner",
        "assigned",
        "assignee",
        "notes",
        "note",
        "comment",
        "comments",
        "remarks",
        "outcome",
        "result",
        "disposition",
        "reason",
        "kwaliteit",
        "beoordeling",
        "profiel",
        "fase",
        "laatste",
        "eigenaar",
        "toegewezen",
        "notitie",
        "notities",
        "opmerking",
        "opmerkingen",
        "uitkomst",
        "resultaat",
        "reden",
    }
)


class LeakReason(StrEnum):
    PREDICTS_ALONE = "predicts_alone"
    OUTCOME_WORDS = "outcome_words"
    STAFF_FIELD = "staff_field"
    MISSINGNESS = "missingness"


@dataclass(frozen=True, slots=True)
class LeakFlag:
    """A column the guard leaves out, with every reason and a sentence saying why."""

    column: str
    reasons: tuple[LeakReason, ...]
    explanation: str


def find_leaks(
    table: Table,
    target: BoolArray,
    kinds: Mapping[str, ColumnKind],
    *,
    folds: IntArray,
) -> list[LeakFlag]:
    """Flag the columns among ``kinds`` that leak the outcome, in table order.

    ``folds`` gives each row's fold number, so that single-column ROC-AUCs are
    measured on rows the column's encoding did not see.
    """
    flags: list[LeakFlag] = []
    for name, kind in kinds.items():
        values = table.column(name)
        reasons: list[LeakReason] = []
        sentences: list[str] = []
        auc = single_column_auc(values, kind, target, folds)
        if auc > SINGLE_COLUMN_AUC_LIMIT:
            reasons.append(LeakReason.PREDICTS_ALONE)
            sentences.append(
                f"alone it predicts the outcome almost perfectly (ROC-AUC {auc:.2f}, "
                f"limit {SINGLE_COLUMN_AUC_LIMIT})"
            )
        share = outcome_words_share(values) if kind is not ColumnKind.NUMERIC else 0.0
        if share >= OUTCOME_WORDS_SHARE:
            reasons.append(LeakReason.OUTCOME_WORDS)
            sentences.append(
                f"{100 * share:.0f}% of its values read like call outcomes or sales notes"
            )
        staff_words = sorted(_STAFF_NAME_WORDS & set(name_words(name)))
        if staff_words:
            reasons.append(LeakReason.STAFF_FIELD)
            sentences.append(
                "its name ("
                + ", ".join(f'"{word}"' for word in staff_words)
                + ") says staff fill it in or it describes a later state"
            )
        missing_auc = missingness_auc(values, target)
        if missing_auc > MISSINGNESS_AUC_LIMIT:
            reasons.append(LeakReason.MISSINGNESS)
            sentences.append(
                "whether it is empty alone predicts the outcome "
                f"(ROC-AUC {missing_auc:.2f}), as for a field filled in after contact"
            )
        if reasons:
            flags.append(LeakFlag(name, tuple(reasons), "; ".join(sentences) + "."))
    return flags


def outcome_words_share(values: Sequence[str | None]) -> float:
    """Share of filled cells containing a call-outcome or sales-note phrase."""
    counts: dict[str, int] = {}
    for value in values:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    filled = sum(counts.values())
    if filled == 0:
        return 0.0
    matching = sum(
        count for value, count in counts.items() if _OUTCOME_PATTERN.search(value)
    )
    return matching / filled


def missingness_auc(values: Sequence[str | None], target: BoolArray) -> float:
    """ROC-AUC of "the cell is empty" for the outcome, either direction (0.5 = none)."""
    missing = np.array([value is None for value in values])
    if missing.all() or not missing.any():
        return 0.5
    auc = float(roc_auc_score(target, missing))
    return max(auc, 1 - auc)


def single_column_auc(
    values: Sequence[str | None], kind: ColumnKind, target: BoolArray, folds: IntArray
) -> float:
    """Out-of-fold ROC-AUC of the outcome rate per value (numbers in deciles)."""
    keys, _ = value_keys(values, kind)
    _, codes = np.unique(keys.astype(str), return_inverse=True)
    outcome = target.astype(np.float64)
    predictions = np.zeros(codes.size)
    base = float(outcome.mean())
    for fold in np.unique(folds):
        training = folds != fold
        sums = np.bincount(
            codes[training], weights=outcome[training], minlength=codes.max() + 1
        )
        counts = np.bincount(codes[training], minlength=codes.max() + 1)
        # Smoothed towards the base rate so a value seen once does not look certain.
        rates = (sums + 5 * base) / (counts + 5)
        predictions[~training] = rates[codes[~training]]
    if np.unique(predictions).size < 2:
        return 0.5
    return float(roc_auc_score(target, predictions))


def value_keys(
    values: Sequence[str | None], kind: ColumnKind, new: Sequence[str | None] = ()
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Comparable keys per cell: the value itself, or for numbers the decile of ``values``.

    Returns the keys of ``values`` and of ``new`` (numbers binned by the deciles of
    ``values``); a missing cell has its own key.
    """
    if kind is not ColumnKind.NUMERIC:
        return _text_keys(values), _text_keys(new)
    numbers = numeric_values(values)
    filled = numbers[~np.isnan(numbers)]
    edges = (
        np.unique(np.quantile(filled, np.linspace(0, 1, 11)[1:-1]))
        if filled.size
        else np.array([])
    )
    return _bin_keys(numbers, edges), _bin_keys(numeric_values(new), edges)


def _text_keys(values: Sequence[str | None]) -> npt.NDArray[np.object_]:
    return np.array(["" if value is None else value for value in values], dtype=object)


def _bin_keys(
    numbers: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    bins = np.searchsorted(edges, np.nan_to_num(numbers), side="right")
    return np.array(
        [
            -1 if np.isnan(number) else int(code)
            for number, code in zip(numbers, bins, strict=True)
        ],
        dtype=object,
    )
