"""Read helpers for scores: the latest score per lead, reasons, history."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils.translation import get_language

from leadqual.leads.models import Lead
from leadqual.scoring.models import Score, ScoringModelVersion, rule_points_digest

REASONS_PER_LEAD = 3
# Scores drawn on the lead page's score history: its newest ones.
SCORE_HISTORY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ExplanationLine:
    """One stored rule hit of a score's explanation, its reason in one language."""

    rule: str
    group: str
    points: int
    reason: str
    is_adjustment: bool


def _reason(item: Mapping[object, object], language: str) -> str:
    """The stored reason in ``language``: Dutch when stored (scores since the
    Dutch reasons), else the English one every score has."""
    if language.startswith("nl"):
        dutch = item.get("reason_nl")
        if isinstance(dutch, str) and dutch:
            return dutch
    return str(item.get("reason", ""))


def explanation_lines(
    explanation: object, language: str | None = None
) -> list[ExplanationLine]:
    """The stored explanation JSON as typed lines (malformed entries skipped).

    Reasons are in ``language`` (default: the active language of the page or
    alert being rendered); the API reads the stored English ``reason`` itself.
    """
    if not isinstance(explanation, list):
        return []
    shown_in = language or get_language() or "en"
    lines = []
    for item in explanation:
        if not isinstance(item, Mapping):
            continue
        points = item.get("points")
        lines.append(
            ExplanationLine(
                rule=str(item.get("rule", "")),
                group=str(item.get("group", "")),
                points=points if isinstance(points, int) else 0,
                reason=_reason(item, shown_in),
                is_adjustment=bool(item.get("is_adjustment", False)),
            )
        )
    return lines


def strongest_reasons(
    explanation: object, count: int = REASONS_PER_LEAD, language: str | None = None
) -> list[ExplanationLine]:
    """The positive rule hits (not cap adjustments) with the most points, first."""
    hits = [
        line
        for line in explanation_lines(explanation, language)
        if not line.is_adjustment and line.points > 0
    ]
    # sorted() is stable: equal points keep the core's order.
    return sorted(hits, key=lambda line: -line.points)[:count]


def latest_scores(lead_ids: Iterable[int]) -> dict[int, Score]:
    """The newest score of each lead, by lead id, in one query.

    Leads without a score are absent from the result.
    """
    ids = list(set(lead_ids))
    if not ids:
        return {}
    newest = (
        Score.objects.filter(lead_id=OuterRef("lead_id"))
        .order_by("-computed_at", "-id")
        .values("id")[:1]
    )
    scores = Score.objects.filter(lead_id__in=ids, id=Subquery(newest))
    return {score.lead_id: score for score in scores}


def latest_score(lead_id: int) -> Score | None:
    """The lead's newest score with its scoring model, or None when unscored."""
    return (
        Score.objects.select_related("scoring_model")
        .filter(lead_id=lead_id)
        .order_by("-computed_at", "-id")
        .first()
    )


def score_history(lead_id: int, *, limit: int = SCORE_HISTORY_LENGTH) -> list[Score]:
    """The lead's newest ``limit`` stored scores, oldest first (a row per change).

    A busy lead is rescored with every event it sends; its page shows the
    recent history, read newest first through the (lead, computed_at) index.
    """
    newest = Score.objects.filter(lead_id=lead_id).order_by("-computed_at", "-id")
    return list(reversed(newest[:limit]))


def newest_open_draft() -> ScoringModelVersion | None:
    """The newest draft scoring model nobody approved or rejected yet, if any."""
    return (
        ScoringModelVersion.objects.filter(is_draft=True, decision="")
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True, slots=True)
class StoredScore:
    """What decides whether a lead's newest score changed (``services._fingerprint``)."""

    model_version: int
    fit: int
    intent: int
    engagement: int
    ai: int
    total: int
    band: str
    stored_digest: str
    # Read only for a row without a stored digest.
    explanation_text: str | None

    def points_digest(self) -> str:
        """rule_points_digest of the stored explanation's (rule, points)."""
        if self.stored_digest:
            return self.stored_digest
        lines = json.loads(self.explanation_text or "[]")
        return rule_points_digest((line["rule"], line["points"]) for line in lines)


def newest_scores_in_range(first_id: int, last_id: int) -> dict[int, StoredScore]:
    """The newest score of each lead with an id in first_id..last_id, in one query.

    The explanation is read only where the row has no digest of its points
    per rule, and stays JSON text. Leads without a score are absent.
    """
    score_table = connection.ops.quote_name(Score._meta.db_table)
    lead_table = connection.ops.quote_name(Lead._meta.db_table)
    explanation = (
        "s.explanation" if connection.vendor == "sqlite" else "s.explanation::text"
    )
    sql = (
        "SELECT s.lead_id, s.model_version, s.fit, s.intent, s.engagement, s.ai, s.total, "
        "s.band, s.rule_points_digest, "
        f"CASE WHEN s.rule_points_digest = '' THEN {explanation} END "
        f"FROM {lead_table} l JOIN {score_table} s ON s.id = ("
        f"SELECT newest.id FROM {score_table} newest WHERE newest.lead_id = l.id "
        "ORDER BY newest.computed_at DESC, newest.id DESC LIMIT 1) "
        "WHERE l.id >= %s AND l.id <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [first_id, last_id])
        return {row[0]: StoredScore(*row[1:]) for row in cursor.fetchall()}
