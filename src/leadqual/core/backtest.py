"""Replay past weeks of leads under a scoring model, without look-ahead.

Every lead is judged once, at its decision moment: ``HORIZON_DAYS`` after it
arrived, or just before sales first touched it (feedback, first contact, an
outcome) when that came earlier. The moment does not depend on any scoring
model, so the current and a proposed model are compared on exactly the same
information, and nothing sales caused (their reply, the meeting they booked)
can leak into the score that was meant to tell them whom to call. Events
count only when they had happened *and been received* by that moment
(``Event.is_known_at``).

A lead's fields are replayed as they are stored now: leadqual keeps no field
history, so a field sales corrected later is read corrected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import assert_never

from leadqual.core.batch_scoring import BatchScores, score_many
from leadqual.core.events import Event
from leadqual.core.profile import LeadProfile
from leadqual.core.scoring import ScoringModel, score_lead

HORIZON_DAYS = 7
# The decision is taken just before sales' first touch, never at it.
_BEFORE_TOUCH = timedelta(seconds=1)


class Target(StrEnum):
    """What counts as a conversion."""

    ACCEPTED = "accepted"
    OPPORTUNITY = "opportunity"
    WON = "won"


@dataclass(frozen=True, slots=True)
class Conversion:
    """What became of a lead. ``reviewed``: sales accepted or rejected it."""

    reviewed: bool = False
    accepted: bool = False
    opportunity: bool = False
    won: bool = False

    def reached(self, target: Target) -> bool:
        """True when the lead got as far as ``target``."""
        match target:
            case Target.ACCEPTED:
                return self.accepted
            case Target.OPPORTUNITY:
                return self.opportunity
            case Target.WON:
                return self.won
            case _:
                assert_never(target)


@dataclass(frozen=True, slots=True)
class LeadHistory:
    """A lead as the replay sees it: fields, every event with its two clocks,
    the moment it is judged, and what became of it."""

    lead_id: int
    profile: LeadProfile
    events: tuple[Event, ...]
    decided_at: datetime
    conversion: Conversion


def decision_moment(
    arrived_at: datetime,
    first_touch_at: datetime | None,
    *,
    horizon_days: float = HORIZON_DAYS,
) -> datetime:
    """The moment a lead is judged: ``horizon_days`` after arrival, or just
    before sales' first touch when that came earlier (never before arrival)."""
    moment = arrived_at + timedelta(days=horizon_days)
    if first_touch_at is not None:
        moment = min(moment, first_touch_at - _BEFORE_TOUCH)
    return max(moment, arrived_at)


def _score_at_decision(
    histories: Sequence[LeadHistory], model: ScoringModel
) -> BatchScores:
    # Column-wise: the optimiser replays thousands of leads per model, and
    # the batch scorer gives each exactly score_lead's score.
    return score_many(
        [history.profile for history in histories],
        [history.events for history in histories],
        model,
        now=[history.decided_at for history in histories],
    )


def score_histories(histories: Sequence[LeadHistory], model: ScoringModel) -> list[int]:
    """The total score of each lead at its decision moment, in the given order."""
    if not histories:
        return []
    return [int(total) for total in _score_at_decision(histories, model).totals]


def fired_rules(history: LeadHistory, model: ScoringModel) -> frozenset[str]:
    """The rules of ``model`` that gave the lead points at its decision moment."""
    score = score_lead(history.profile, history.events, model, now=history.decided_at)
    return frozenset(hit.rule for hit in score.explanation if not hit.is_adjustment)


def fired_rules_of_histories(
    histories: Sequence[LeadHistory], model: ScoringModel
) -> list[frozenset[str]]:
    """``fired_rules`` of each lead, in the given order, scored column-wise."""
    if not histories:
        return []
    return _score_at_decision(histories, model).fired_rules()


# --- the replay -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeekResult:
    """One replayed week of one model: its hot leads and what became of them."""

    starts_at: datetime
    leads: int
    hot: int
    reviewed: int
    accepted: int
    opportunities: int
    won: int
    # Won leads the model did not put in the hot band.
    missed_won: int

    @property
    def accepted_rate(self) -> float | None:
        """Share of the hot leads that sales accepted (None: no hot leads).

        A hot lead sales never reviewed counts as not accepted: the replay
        cannot know what they would have said, and assuming the worst keeps a
        model that picks unreviewed leads from looking better than it is."""
        return self.accepted / self.hot if self.hot else None

    @property
    def opportunity_rate(self) -> float | None:
        return self.opportunities / self.hot if self.hot else None

    @property
    def won_rate(self) -> float | None:
        return self.won / self.hot if self.hot else None


@dataclass(frozen=True, slots=True)
class Backtest:
    """A model replayed over consecutive weeks ending at ``ends_at``."""

    model_version: int
    hot_threshold: int
    capacity_per_week: int | None
    ends_at: datetime
    weeks: tuple[WeekResult, ...]

    @property
    def total(self) -> WeekResult:
        """All weeks added up (``starts_at`` is the first week's)."""
        first = self.weeks[0].starts_at if self.weeks else self.ends_at
        return WeekResult(
            starts_at=first,
            leads=sum(week.leads for week in self.weeks),
            hot=sum(week.hot for week in self.weeks),
            reviewed=sum(week.reviewed for week in self.weeks),
            accepted=sum(week.accepted for week in self.weeks),
            opportunities=sum(week.opportunities for week in self.weeks),
            won=sum(week.won for week in self.weeks),
            missed_won=sum(week.missed_won for week in self.weeks),
        )

    @property
    def weeks_over_capacity(self) -> int:
        if self.capacity_per_week is None:
            return 0
        return sum(1 for week in self.weeks if week.hot > self.capacity_per_week)


def week_starts(*, ends_at: datetime, weeks: int) -> list[datetime]:
    """The starts of ``weeks`` consecutive 7-day weeks that end at ``ends_at``."""
    return [ends_at - timedelta(days=7 * (weeks - index)) for index in range(weeks)]


def in_window(
    histories: Iterable[LeadHistory], *, ends_at: datetime, weeks: int
) -> list[LeadHistory]:
    """The leads judged within the ``weeks`` weeks before ``ends_at``."""
    starts_at = ends_at - timedelta(days=7 * weeks)
    return [h for h in histories if starts_at <= h.decided_at < ends_at]


def run_backtest(
    histories: Sequence[LeadHistory],
    model: ScoringModel,
    *,
    ends_at: datetime,
    weeks: int,
    capacity_per_week: int | None = None,
    totals: Sequence[int] | None = None,
) -> Backtest:
    """Replay the leads judged in the ``weeks`` weeks before ``ends_at`` under ``model``.

    A lead is hot when its score at its decision moment reaches the model's
    hot threshold. ``totals`` may pass the scores already computed for
    ``histories`` (same order), so two backtests of one model score once.
    Returns a Backtest with one WeekResult per week, oldest first.
    """
    scores = list(totals) if totals is not None else score_histories(histories, model)
    starts = week_starts(ends_at=ends_at, weeks=weeks)
    buckets: list[list[tuple[LeadHistory, bool]]] = [[] for _ in starts]
    hot_from = model.thresholds.hot
    for history, total in zip(histories, scores, strict=True):
        offset = history.decided_at - starts[0] if starts else None
        if offset is None or offset.total_seconds() < 0:
            continue
        index = int(offset.total_seconds() // (7 * 86_400))
        if index >= len(starts) or history.decided_at >= ends_at:
            continue
        buckets[index].append((history, total >= hot_from))
    results = []
    for starts_at, bucket in zip(starts, buckets, strict=True):
        hot = [history.conversion for history, is_hot in bucket if is_hot]
        results.append(
            WeekResult(
                starts_at=starts_at,
                leads=len(bucket),
                hot=len(hot),
                reviewed=sum(1 for c in hot if c.reviewed),
                accepted=sum(1 for c in hot if c.accepted),
                opportunities=sum(1 for c in hot if c.opportunity),
                won=sum(1 for c in hot if c.won),
                missed_won=sum(
                    1
                    for history, is_hot in bucket
                    if history.conversion.won and not is_hot
                ),
            )
        )
    return Backtest(
        model_version=model.version,
        hot_threshold=hot_from,
        capacity_per_week=capacity_per_week,
        ends_at=ends_at,
        weeks=tuple(results),
    )
