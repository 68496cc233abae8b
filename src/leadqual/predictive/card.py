"""The model card: what a trained model learned from, left out, and how good it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from leadqual.predictive.leakage import LeakFlag, LeakReason
from leadqual.predictive.metrics import Scores
from leadqual.predictive.table import ColumnKind


class Certainty(StrEnum):
    """How sure the model can be, from the number of outcomes of the rarer kind."""

    VERY_LITTLE_DATA = "very_little_data"
    LITTLE_DATA = "little_data"
    MODERATE_DATA = "moderate_data"
    AMPLE_DATA = "ample_data"


_CERTAINTY_TEXT = {
    Certainty.VERY_LITTLE_DATA: "very little data: predictions stay close to the prior",
    Certainty.LITTLE_DATA: "little data: only strong patterns move the prior",
    Certainty.MODERATE_DATA: "a moderate amount of data: main patterns are reliable",
    Certainty.AMPLE_DATA: "ample data: detailed patterns are reliable",
}


def certainty_for(rarer_outcomes: int) -> Certainty:
    """Certainty from the count of the rarer outcome (won or not won)."""
    if rarer_outcomes < 50:
        return Certainty.VERY_LITTLE_DATA
    if rarer_outcomes < 200:
        return Certainty.LITTLE_DATA
    if rarer_outcomes < 1000:
        return Certainty.MODERATE_DATA
    return Certainty.AMPLE_DATA


@dataclass(frozen=True, slots=True)
class FeatureColumn:
    column: str
    kind: ColumnKind


@dataclass(frozen=True, slots=True)
class DroppedColumn:
    column: str
    why: str


@dataclass(frozen=True, slots=True)
class ModelCard:
    """Everything a person needs to judge a trained model, as data and as text."""

    target: str
    rows_used: int
    positives: int
    features: tuple[FeatureColumn, ...]
    dropped: tuple[DroppedColumn, ...]
    flagged: tuple[LeakFlag, ...]
    allowed: tuple[str, ...]
    validation: str
    model_scores: Scores
    prior_scores: Scores
    prior: str
    fell_back_to_prior: bool
    certainty: Certainty
    components: str
    scikit_learn_version: str

    @property
    def certainty_text(self) -> str:
        return _CERTAINTY_TEXT[self.certainty]

    def as_text(self) -> str:
        """The card as plain text lines, for the command line and logs."""
        rate = self.positives / self.rows_used if self.rows_used else 0.0
        lines = [
            f"Model card: predicts {self.target}",
            f"Rows used: {self.rows_used:,} ({self.positives:,} positive, {100 * rate:.1f}%)",
            f"How sure: {self.certainty_text}",
            f"Features ({len(self.features)}): "
            + ", ".join(f"{item.column} ({item.kind})" for item in self.features),
        ]
        if self.flagged:
            lines.append("Left out by the leakage guard:")
            lines += [
                f"  - {flag.column}: {flag.explanation}"
                for flag in self.flagged
                if flag.column not in self.allowed
            ]
        if self.allowed:
            lines.append(
                "Flagged but used because you allowed them: " + ", ".join(self.allowed)
            )
        if self.dropped:
            lines.append("Not used:")
            lines += [f"  - {item.column}: {item.why}" for item in self.dropped]
        lines += [
            f"Model: {self.components}",
            f"Prior: {self.prior}",
            f"Validation: {self.validation}",
            "Held-out scores      ROC-AUC  PR-AUC  Brier   log loss",
            _scores_line("  model", self.model_scores),
            _scores_line("  prior alone", self.prior_scores),
        ]
        if self.fell_back_to_prior:
            lines.append(
                "The learned model was not better than the calibrated prior on held-out "
                "data, so predictions use the calibrated prior alone."
            )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The card as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        """Read a card written by ``as_dict``."""
        return cls(
            target=str(data["target"]),
            rows_used=int(data["rows_used"]),
            positives=int(data["positives"]),
            features=tuple(
                FeatureColumn(item["column"], ColumnKind(item["kind"]))
                for item in data["features"]
            ),
            dropped=tuple(
                DroppedColumn(item["column"], item["why"]) for item in data["dropped"]
            ),
            flagged=tuple(
                LeakFlag(
                    item["column"],
                    tuple(LeakReason(reason) for reason in item["reasons"]),
                    item["explanation"],
                )
                for item in data["flagged"]
            ),
            allowed=tuple(data["allowed"]),
            validation=str(data["validation"]),
            model_scores=Scores(**data["model_scores"]),
            prior_scores=Scores(**data["prior_scores"]),
            prior=str(data["prior"]),
            fell_back_to_prior=bool(data["fell_back_to_prior"]),
            certainty=Certainty(data["certainty"]),
            components=str(data["components"]),
            scikit_learn_version=str(data["scikit_learn_version"]),
        )


def _number(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3f}"


def _scores_line(label: str, scores: Scores) -> str:
    return (
        f"{label:<20}{_number(scores.roc_auc, 8)}{_number(scores.pr_auc, 8)}"
        f"{_number(scores.brier, 7)}{_number(scores.log_loss, 10)}"
    )
