"""What the predictive model may know about a lead at the moment it is scored.

``lead_features`` turns a lead's profile and events into one row of plain
values, as known at ``at``: only events that had happened *and* been
received by then count (``Event.is_known_at``), exactly as the scorer and
the backtest read them, so a model trained on past leads at their decision
moment never sees what came after. The rules' firing pattern and the rules'
score are part of what is known; ``prior_logit`` turns that score into the
log-odds the model starts from.

Left out on purpose: the account roll-up (stored as it is now, not as it
was), the predicted chance itself (the model would learn from its own
output), and fields that name a person or a company (job title, company
name, email domain): the model learns from what many leads share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from leadqual.core.events import Event, EventType
from leadqual.core.profile import LeadProfile
from leadqual.core.reason_text import Texts, event_plural, field_noun
from leadqual.core.scoring import Group, ScoringModel, score_lead

SECONDS_PER_DAY = 86_400
RECENT_DAYS = 30
# The rules' score (0-100) as log-odds: 50 is even odds, every 10 points
# about e times the odds. The predictive model calibrates this prior on the
# outcomes itself, so only its order matters, not the scale.
PRIOR_CENTRE = 50.0
PRIOR_POINTS_PER_LOGIT = 10.0
PROFILE_FEATURES = (
    "sector",
    "employees",
    "budget_euros",
    "urgency",
    "country",
    "region",
    "source",
    "email_is_free_mail",
    "email_is_disposable",
    "has_phone",
)
# The fields segments are monitored for bias on (modelling's weekly check).
SEGMENT_FIELDS = ("sector", "size_band", "region", "source")

FeatureValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class LeadFeatures:
    """One lead's row for the predictive model, and the rules' view of it."""

    values: dict[str, FeatureValue]
    rules_score: int

    @property
    def prior_logit(self) -> float:
        return prior_logit(self.rules_score)


def prior_logit(rules_score: float) -> float:
    """The rules' score (0-100) as the log-odds the predictive model starts from."""
    return (rules_score - PRIOR_CENTRE) / PRIOR_POINTS_PER_LOGIT


def size_band(employees: int | None) -> str | None:
    """The company size as a band, for bias per segment."""
    if employees is None:
        return None
    if employees < 10:
        return "1-9"
    if employees < 50:
        return "10-49"
    if employees < 250:
        return "50-249"
    return "250+"


def _days(earlier: datetime, later: datetime) -> float:
    return round((later - earlier).total_seconds() / SECONDS_PER_DAY, 2)


def lead_features(
    profile: LeadProfile,
    events: Sequence[Event],
    model: ScoringModel,
    *,
    at: datetime,
) -> LeadFeatures:
    """The lead as known at ``at``: profile fields, event counts, recency and
    the rules of ``model`` that fired (without the ai group).

    Events not known at ``at`` are ignored, so later events never change the
    row. Returns the values by feature name and the rules' score.
    """
    known = [event for event in events if event.is_known_at(at)]
    without_prediction = replace(profile, ai_probability=None)
    fields = without_prediction.field_values()
    values: dict[str, FeatureValue] = {name: fields[name] for name in PROFILE_FEATURES}
    if profile.arrived_at is not None:
        values["days_since_arrival"] = _days(profile.arrived_at, at)
    for event_type in EventType:
        of_type = [event for event in known if event.type is event_type]
        values[f"{event_type.value}_count"] = len(of_type)
        values[f"{event_type.value}_recent"] = sum(
            1 for event in of_type if _days(event.occurred_at, at) <= RECENT_DAYS
        )
    latest = max((event.occurred_at for event in known), default=None)
    values["days_since_last_event"] = None if latest is None else _days(latest, at)
    score = score_lead(without_prediction, known, model, now=at)
    fired = {hit.rule for hit in score.explanation if not hit.is_adjustment}
    for rule in model.rules:
        if rule.group is not Group.AI:
            values[f"rule_{rule.name}"] = rule.name in fired
    return LeadFeatures(values, score.total - score.ai)


_RULE_PREFIX = "rule_"


def feature_words(name: str, model: ScoringModel | None = None) -> Texts:
    """A feature's name as ``lead_features`` makes it, in words for people:
    "page views in the last 30 days", "rule: Asked for a demo". The rules'
    labels come from ``model``; a name not made here is returned as it is."""
    if name in PROFILE_FEATURES:
        return field_noun(name)
    if name == "days_since_arrival":
        return Texts("days since arrival", "dagen sinds binnenkomst")
    if name == "days_since_last_event":
        return Texts(
            "days since the last activity", "dagen sinds de laatste activiteit"
        )
    for event_type in EventType:
        words = event_plural(event_type)
        if name == f"{event_type.value}_count":
            return Texts(f"{words.en}, all", f"{words.nl}, totaal")
        if name == f"{event_type.value}_recent":
            return Texts(
                f"{words.en} in the last {RECENT_DAYS} days",
                f"{words.nl} in de afgelopen {RECENT_DAYS} dagen",
            )
    if name.startswith(_RULE_PREFIX) and model is not None:
        rule_name = name.removeprefix(_RULE_PREFIX)
        for rule in model.rules:
            if rule.name == rule_name:
                return Texts(
                    f"rule: {rule.label}", f"regel: {rule.label_nl or rule.label}"
                )
    return Texts(name, name)
