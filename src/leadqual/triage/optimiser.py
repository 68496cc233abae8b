"""The optimiser on stored data: replay leads, propose points, backtest, store a draft.

The statistics live in ``core.optimiser`` and ``core.backtest``; this module
reads what they need in a few batch queries (leads, every event with its
``received_at``, sales' feedback and outcomes, the team's capacity) and
stores a proposal as a draft scoring model version for a person to review.
It lives in triage because outcomes and owners do.

The proposal learns only from leads judged before the backtest's weeks, so
the backtest replays leads whose outcomes it has never seen.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from leadqual.core.backtest import (
    HORIZON_DAYS,
    Backtest,
    Conversion,
    LeadHistory,
    WeekResult,
    decision_moment,
)
from leadqual.core.kpis import week_start
from leadqual.core.lifecycle import Decision, OutcomeKind
from leadqual.core.model_file import with_changes
from leadqual.core.optimiser import (
    OPTIMISER_VERSION,
    Optimisation,
    OptimiserSettings,
    Proposal,
    optimise,
)
from leadqual.leads.models import Lead
from leadqual.leads.queries import every_event, lead_profile
from leadqual.scoring.models import ScoringModelVersion
from leadqual.scoring.services import (
    active_scoring_model,
    parsed_model,
    store_draft_scoring_model,
)
from leadqual.triage.models import Feedback, Outcome, Qualification
from leadqual.triage.queries import sales_users
from leadqual.users.models import OwnerProfile

logger = logging.getLogger(__name__)

DEFAULT_WEEKS = 8
# How far back the optimiser learns: a year of outcomes.
TRAINING_DAYS = 365


def team_capacity_per_week() -> int | None:
    """How many leads sales can contact per week: the capacities of the
    salespeople who are not away, added up.

    A capacity is the most open follow-up tasks an owner holds at once; with
    first contact due within the hot SLA (a working day), an owner works
    through about that many new leads a week. None when nobody is in sales
    or an available owner has no limit (the caller then needs a number).
    """
    users = list(sales_users().values_list("pk", flat=True))
    if not users:
        return None
    profiles = {
        profile.user_id: profile
        for profile in OwnerProfile.objects.filter(user_id__in=users)
    }
    total = 0
    for user_id in users:
        profile = profiles.get(user_id)
        if profile is not None and profile.is_away:
            continue
        if profile is None or profile.capacity is None:
            return None
        total += profile.capacity
    return total


def lead_histories(
    *,
    since: datetime,
    now: datetime,
    unreviewed_since: datetime | None = None,
    horizon_days: float = HORIZON_DAYS,
) -> list[LeadHistory]:
    """The leads that arrived from ``since`` and were judged by ``now``, as
    the replay sees them (``core.backtest``), oldest first.

    Each keeps only the events known at its decision moment. Sales' first
    touch is the earliest of feedback, first contact and an outcome.
    Anonymised leads are left out: their fields are gone.

    Leads sales never reviewed are read only when they arrived from
    ``unreviewed_since`` (None: from ``since``, like the others). Learning
    needs reviewed leads alone; only the recent weeks need every lead (their
    volume per week, the backtest, drift), so a year of leads is not read
    whole for them.
    """
    arrived = Lead.objects.filter(
        created_at__gte=since, created_at__lte=now, anonymised_at__isnull=True
    )
    if unreviewed_since is not None and unreviewed_since > since:
        reviewed = Feedback.objects.filter(given_at__lte=now).values("lead_id")
        arrived = arrived.filter(
            Q(created_at__gte=unreviewed_since) | Q(pk__in=reviewed)
        )
    leads = list(arrived.select_related("company").order_by("created_at", "pk"))
    in_range = Q(lead__created_at__gte=since, lead__created_at__lte=now)
    touches: dict[int, datetime] = {}

    def touch(lead_id: int, at: datetime) -> None:
        known = touches.get(lead_id)
        touches[lead_id] = at if known is None or at < known else known

    latest_decision: dict[int, str] = {}
    for lead_id, decision, given_at in (
        Feedback.objects.filter(in_range, given_at__lte=now)
        .order_by("given_at", "pk")
        .values_list("lead_id", "decision", "given_at")
    ):
        touch(lead_id, given_at)
        latest_decision[lead_id] = decision
    reached: dict[int, set[str]] = {}
    for lead_id, kind, occurred_at, reopened_at in Outcome.objects.filter(
        in_range, occurred_at__lte=now
    ).values_list("lead_id", "kind", "occurred_at", "reopened_at"):
        touch(lead_id, occurred_at)
        if reopened_at is None or kind == OutcomeKind.OPPORTUNITY:
            reached.setdefault(lead_id, set()).add(kind)
    for lead_id, first_contact_at in Qualification.objects.filter(
        in_range, first_contact_at__isnull=False, first_contact_at__lte=now
    ).values_list("lead_id", "first_contact_at"):
        if first_contact_at is not None:
            touch(lead_id, first_contact_at)
    events = every_event(lead.pk for lead in leads)
    histories = []
    for lead in leads:
        decided_at = decision_moment(
            lead.created_at, touches.get(lead.pk), horizon_days=horizon_days
        )
        if decided_at > now:
            continue
        kinds = reached.get(lead.pk, set())
        known = tuple(e for e in events.get(lead.pk, ()) if e.is_known_at(decided_at))
        histories.append(
            LeadHistory(
                lead_id=lead.pk,
                profile=lead_profile(lead),
                events=known,
                decided_at=decided_at,
                conversion=Conversion(
                    reviewed=lead.pk in latest_decision,
                    accepted=latest_decision.get(lead.pk) == Decision.ACCEPTED,
                    opportunity=bool(kinds),
                    won=OutcomeKind.WON in kinds,
                ),
            )
        )
    return histories


def every_lead_since(now: datetime, *, weeks: int) -> datetime:
    """The earliest arrival of a lead the optimiser needs even unreviewed:
    one judged in the replayed weeks or in the weeks before them, whose volume
    fits the hot threshold to the capacity (``core.optimiser.optimise``). A
    lead is judged at most HORIZON_DAYS after it arrived."""
    return now - timedelta(weeks=2 * weeks) - timedelta(days=HORIZON_DAYS)


@dataclass(frozen=True, slots=True)
class OptimiserRun:
    """The optimisation of a stored scoring model version, and how long it took."""

    scoring_model: ScoringModelVersion
    result: Optimisation
    seconds: float

    @property
    def proposal(self) -> Proposal:
        return self.result.proposal


def run_optimiser(
    *,
    now: datetime,
    weeks: int = DEFAULT_WEEKS,
    capacity_per_week: int | None = None,
    settings: OptimiserSettings | None = None,
    scoring_model: ScoringModelVersion | None = None,
) -> OptimiserRun:
    """Replay the leads of the last year and run ``core.optimiser.optimise``:
    a proposal from the outcomes before the last ``weeks`` weeks, and those
    weeks replayed under the current and the proposed model.

    ``capacity_per_week`` defaults to the team's (``team_capacity_per_week``);
    without one the proposal keeps the current thresholds. Writes nothing.
    Raises NoActiveScoringModel when no model is active and none is given.
    """
    started = time.perf_counter()
    version = scoring_model or active_scoring_model()
    histories = lead_histories(
        since=now - timedelta(days=TRAINING_DAYS),
        now=now,
        unreviewed_since=every_lead_since(now, weeks=weeks),
    )
    capacity = (
        capacity_per_week if capacity_per_week is not None else team_capacity_per_week()
    )
    result = optimise(
        parsed_model(version),
        histories,
        ends_at=now,
        weeks=weeks,
        capacity_per_week=capacity,
        settings=settings,
    )
    return OptimiserRun(version, result, time.perf_counter() - started)


# --- the stored draft -----------------------------------------------------------------


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _week_json(week: WeekResult) -> dict[str, object]:
    return {
        "starts_at": week.starts_at.isoformat(),
        "leads": week.leads,
        "hot": week.hot,
        "reviewed": week.reviewed,
        "accepted": week.accepted,
        "opportunities": week.opportunities,
        "won": week.won,
        "missed_won": week.missed_won,
        "accepted_rate": _rate(week.accepted_rate),
        "opportunity_rate": _rate(week.opportunity_rate),
        "won_rate": _rate(week.won_rate),
    }


def _backtest_json(backtest: Backtest) -> dict[str, object]:
    return {
        "hot_threshold": backtest.hot_threshold,
        "weeks": [_week_json(week) for week in backtest.weeks],
        "total": _week_json(backtest.total),
        "weeks_over_capacity": backtest.weeks_over_capacity,
    }


def optimiser_summary(run: OptimiserRun) -> dict[str, object]:
    """The run as JSON: what a reviewer reads beside the draft's diff."""
    proposal = run.proposal
    result = run.result
    return {
        "optimiser_version": OPTIMISER_VERSION,
        "based_on_version": run.scoring_model.version,
        "target": proposal.settings.target.value,
        "prior_strength": proposal.settings.prior_strength,
        "examples": proposal.examples,
        "conversions": proposal.conversions,
        "log_odds_per_point": round(proposal.log_odds_per_point, 6),
        "weeks": result.weeks,
        "capacity_per_week": result.capacity_per_week,
        "kept_hot_per_week": proposal.kept_hot_per_week,
        "training_leads": result.training_leads,
        "hot_threshold": {
            "old": proposal.current.thresholds.hot,
            "new": proposal.model.thresholds.hot,
        },
        "warm_threshold": {
            "old": proposal.current.thresholds.warm,
            "new": proposal.model.thresholds.warm,
        },
        "rules": [
            {
                "name": rule.name,
                "label": rule.label,
                "label_nl": rule.label_nl,
                "group": rule.group.value,
                "old_points": rule.old_points,
                "new_points": rule.new_points,
                "status": rule.status.value,
                "fired": rule.lift.fired,
                "converted": rule.lift.converted,
                "lift": _rate(rule.lift.lift),
                "lift_low": _rate(rule.lift.lift_low),
                "lift_high": _rate(rule.lift.lift_high),
            }
            for rule in proposal.rules
        ],
        "candidates": [
            {
                "name": candidate.rule.name,
                "label": candidate.rule.label,
                "label_nl": candidate.rule.label_nl,
                "suggested_points": candidate.suggested_points,
                "added": candidate.added,
                "fired": candidate.lift.fired,
                "lift": _rate(candidate.lift.lift),
                "lift_low": _rate(candidate.lift.lift_low),
                "lift_high": _rate(candidate.lift.lift_high),
            }
            for candidate in proposal.candidates
        ],
        "curve": [
            {
                "threshold": point.threshold,
                "hot_per_week": round(point.hot_per_week, 2),
                "precision": _rate(point.precision),
                "recall": _rate(point.recall),
                "expected_per_week": round(point.expected_per_week, 3),
            }
            for point in proposal.curve
        ],
        "backtest": {
            "current": _backtest_json(result.current),
            "current_at_capacity": (
                _backtest_json(result.current_at_capacity)
                if result.current_at_capacity is not None
                else None
            ),
            "proposed": _backtest_json(result.proposed),
        },
    }


def proposes_a_change(run: OptimiserRun) -> bool:
    """True when the proposal changes points, adds a rule or moves a threshold."""
    proposal = run.proposal
    return bool(proposal.changed_rules) or (
        proposal.model.thresholds != proposal.current.thresholds
    )


def store_proposal(
    run: OptimiserRun, *, now: datetime, week_of: date | None = None
) -> ScoringModelVersion:
    """Store the run's proposal as a draft scoring model version for review.

    The draft's source is the current model file with the new points and
    threshold written in (and new rules appended), so its diff reads as the
    change. It never scores until approved. ``week_of``: the weekly run's
    week, stored once (``store_draft_scoring_model``). Raises
    InvalidScoringModel when the current file's layout cannot be edited line
    by line.
    """
    source = with_changes(
        run.scoring_model.source,
        run.proposal.model,
        new_rules_comment=(
            f"Rules proposed by the optimiser on {now:%Y-%m-%d} from "
            f"{run.proposal.examples} reviewed leads."
        ),
    )
    return store_draft_scoring_model(
        source, optimiser_summary(run), now=now, week_of=week_of
    )


def store_weekly_proposal(*, now: datetime) -> ScoringModelVersion | None:
    """This week's proposal: the optimiser on the outcomes so far and the
    team's capacity, stored as a draft for review once per week (Monday to
    Sunday, local time).

    Returns the draft, or None when this week already has one or when the
    proposal changes nothing (no outcomes yet, or the current points hold).
    The weekly report links to the newest draft nobody has decided on.
    """
    week = week_start(now, zone=ZoneInfo(settings.TIME_ZONE))
    if ScoringModelVersion.objects.filter(week_of=week).exists():
        return None
    run = run_optimiser(now=now, weeks=DEFAULT_WEEKS)
    if not proposes_a_change(run):
        logger.info("The weekly optimiser run proposes no change: no draft stored")
        return None
    return store_proposal(run, now=now, week_of=week)
