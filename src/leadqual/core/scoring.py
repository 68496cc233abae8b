"""Points, caps, decay and the total 0-100, with an explanation for every point.

A score is a pure function of (scoring model, lead profile, events, now):

- Every rule belongs to one group (fit, intent, engagement, and ai when an
  approved predictive model feeds its probability in as the lead field
  ``ai_probability``) and, when its condition holds, adds its points
  (negative points are penalties).
- Positive points of event rules fade with the group's half-life, counted
  from the most recent matching event. Penalties never fade: an unsubscribe
  stays an unsubscribe.
- Each group's sub-score is clamped to 0..cap. The caps of all groups add up
  to 100, so the total (the sum of the sub-scores) is always within 0..100.
- The explanation lists every rule that fired with the points it gave, plus
  one adjustment entry per group that was clamped, so that the entries of a
  group add up exactly to its sub-score and all entries to the total.
"""

from __future__ import annotations

import fnmatch
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import assert_never

from leadqual.core import reason_text
from leadqual.core.bands import Band, Thresholds, band_for
from leadqual.core.errors import InvalidScoringModel
from leadqual.core.events import Event, EventType, JsonValue
from leadqual.core.profile import FieldValue, LeadProfile

SECONDS_PER_DAY = 86_400
TOTAL_MAX = 100


class Group(StrEnum):
    FIT = "fit"
    INTENT = "intent"
    ENGAGEMENT = "engagement"
    # The predictive model's probability as one more input (#14). A model
    # without it gives the group a cap of 0, so older models score as before.
    AI = "ai"


class ScoreTrigger(StrEnum):
    """Why a lead was scored, as stored on every score (Score.trigger)."""

    # Something arrived: a lead's fields, or events, through a way in.
    LEAD_SAVED = "lead_saved"
    EVENT = "event"
    FORM = "form"
    TRACKER = "tracker"
    IMPORT = "import"
    DEMO = "demo"
    ENRICHMENT = "enrichment"
    # Nothing arrived, yet the score may change.
    RESCORE = "rescore"
    REQUALIFY = "requalify"
    MERGE = "merge"
    MERGE_UNDO = "merge_undo"
    MODEL_ACTIVATED = "model_activated"
    PREDICTION = "prediction"


_GROUPS = tuple(Group)  # iterating the enum itself is slow in the scoring loop


# --- conditions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldEquals:
    """The lead field equals a value (text compared case-insensitively)."""

    field: str
    value: str | int | bool


@dataclass(frozen=True, slots=True)
class FieldIn:
    """The lead field is one of the values."""

    field: str
    values: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FieldRange:
    """The numeric lead field lies within min..max (both inclusive, either open)."""

    field: str
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class FieldContains:
    """The text lead field contains any of the fragments (case-insensitive)."""

    field: str
    fragments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldMissing:
    """The lead field has no value."""

    field: str


@dataclass(frozen=True, slots=True)
class EventCount:
    """At least ``at_least`` events of a type (optionally with a property
    matching a glob pattern, e.g. url = "*/prijzen*") in the last ``within_days``
    days (None: ever)."""

    event_type: EventType
    at_least: int = 1
    within_days: float | None = None
    property_name: str | None = None
    property_pattern: str | None = None


@dataclass(frozen=True, slots=True)
class LastEventAge:
    """The most recent event (of the given types, or any) is at most
    ``within_days`` old, or at least ``older_than_days`` old.

    "Older than" measures silence, and a lead cannot have been silent before
    it arrived: the silence counts from the most recent event or the lead's
    arrival (LeadProfile.arrived_at), whichever is later. A lead without such
    events matches "within" never, and "older than" only once it arrived
    ``older_than_days`` ago (or always, when its arrival is unknown)."""

    event_types: tuple[EventType, ...] = ()
    within_days: float | None = None
    older_than_days: float | None = None


Condition = (
    FieldEquals
    | FieldIn
    | FieldRange
    | FieldContains
    | FieldMissing
    | EventCount
    | LastEventAge
)


@dataclass(frozen=True, slots=True)
class Rule:
    """When ``condition`` holds, add ``points`` to ``group``."""

    name: str
    group: Group
    points: int
    condition: Condition
    label: str
    decays: bool = True
    # The Dutch label; empty: the model gives none, Dutch pages show ``label``.
    label_nl: str = ""


@dataclass(frozen=True, slots=True)
class GroupSettings:
    cap: int
    half_life_days: float | None = None


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """How long sales may take for first contact, in working-day hours (core/sla.py)."""

    hot_hours: float = 24
    warm_hours: float = 72  # 3 working days


@dataclass(frozen=True, slots=True)
class ScoringModel:
    """A complete, validated scoring model. ``version`` is 0 until stored."""

    name: str
    groups: Mapping[Group, GroupSettings]
    rules: tuple[Rule, ...]
    thresholds: Thresholds = field(default_factory=Thresholds)
    version: int = 0
    description: str = ""
    sla: SlaSettings = field(default_factory=SlaSettings)

    def __post_init__(self) -> None:
        if Group.AI not in self.groups:
            # Frozen: the optional group is filled in once, at construction.
            object.__setattr__(
                self, "groups", {**self.groups, Group.AI: GroupSettings(cap=0)}
            )
        missing = [group.value for group in Group if group not in self.groups]
        if missing:
            raise InvalidScoringModel(
                f'Scoring model "{self.name}": the group(s) {", ".join(missing)} '
                "have no settings. Add a [groups.<name>] table with a cap for each."
            )
        caps = sum(self.groups[group].cap for group in Group)
        if caps != TOTAL_MAX:
            parts = ", ".join(f"{group} {self.groups[group].cap}" for group in Group)
            raise InvalidScoringModel(
                f'Scoring model "{self.name}": the group caps must add up to '
                f"{TOTAL_MAX} so that the total is a score out of 100, but {parts} "
                f"add up to {caps}."
            )
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise InvalidScoringModel(
                    f'Scoring model "{self.name}": two rules are named '
                    f'"{rule.name}". Give every rule its own name.'
                )
            seen.add(rule.name)


# --- which events a model reads -------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventWindow:
    """The part of a lead's history that a scoring model can read.

    ``days_by_type``: the event types that count rules test, with how many
    days back they look (None: every event of that type ever). ``latest_of``:
    the types whose most recent event "last activity" rules compare against.
    Scoring the events inside the window, plus the most recent event of each
    ``latest_of`` type, gives exactly the score of the full history.
    """

    days_by_type: Mapping[EventType, float | None]
    latest_of: frozenset[EventType]
    # The types whose count rules test a property (url = "*/prijzen*"): only
    # their events' properties need reading.
    with_properties: frozenset[EventType] = frozenset()

    def reads(self, event_type: EventType) -> bool:
        """True when some rule of the model looks at events of this type."""
        return event_type in self.days_by_type or event_type in self.latest_of


def fields_read(model: ScoringModel) -> frozenset[str]:
    """The lead fields (``profile.LEAD_FIELDS``) that the model's rules test."""
    names: set[str] = set()
    for rule in model.rules:
        condition = rule.condition
        if isinstance(condition, EventCount | LastEventAge):
            continue
        names.add(condition.field)
    return frozenset(names)


def event_window(model: ScoringModel) -> EventWindow:
    """The events ``model`` can read (see EventWindow)."""
    days: dict[EventType, float | None] = {}
    latest: set[EventType] = set()
    with_properties: set[EventType] = set()
    for rule in model.rules:
        condition = rule.condition
        if isinstance(condition, EventCount):
            event_type = condition.event_type
            if condition.property_name is not None:
                with_properties.add(event_type)
            window = condition.within_days
            if event_type in days:
                known = days[event_type]
                days[event_type] = (
                    None if known is None or window is None else max(known, window)
                )
            else:
                days[event_type] = window
        elif isinstance(condition, LastEventAge):
            latest.update(condition.event_types or tuple(EventType))
    return EventWindow(
        days_by_type=days,
        latest_of=frozenset(latest),
        with_properties=frozenset(with_properties),
    )


# --- results --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One line of an explanation: a rule that fired, or a cap adjustment."""

    rule: str
    group: Group
    points: int
    reason: str
    is_adjustment: bool = False
    # The same reason in Dutch (empty: only the English one is known).
    reason_nl: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    fit: int
    intent: int
    engagement: int
    total: int
    band: Band
    explanation: tuple[RuleHit, ...]
    model_version: int
    computed_at: datetime
    ai: int = 0

    def sub_score(self, group: Group) -> int:
        match group:
            case Group.FIT:
                return self.fit
            case Group.INTENT:
                return self.intent
            case Group.ENGAGEMENT:
                return self.engagement
            case Group.AI:
                return self.ai
            case _:
                assert_never(group)

    def strongest_reasons(self, count: int = 3) -> list[RuleHit]:
        """The rule hits that gave the most points, strongest first."""
        hits = [
            hit for hit in self.explanation if not hit.is_adjustment and hit.points > 0
        ]
        return sorted(hits, key=lambda hit: -hit.points)[:count]


# --- evaluation -----------------------------------------------------------------


def _days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds() / SECONDS_PER_DAY


def _text(value: FieldValue | str) -> str:
    return str(value).casefold()


def _same(actual: FieldValue, expected: str | int | bool) -> bool:  # noqa: FBT001 (a value, not a flag)
    if actual is None:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, str) or isinstance(actual, str):
        return _text(actual) == _text(expected)
    return actual == expected


@functools.lru_cache(maxsize=1024)
def _folded_texts(options: tuple[str | int, ...]) -> frozenset[str] | None:
    """The options as compared with a text value, or None if any is not text."""
    if all(isinstance(option, str) for option in options):
        return frozenset(_text(option) for option in options)
    return None


def _property_matches(
    properties: Mapping[str, JsonValue], name: str, pattern: str | None
) -> bool:
    if name not in properties:
        return False
    if pattern is None:
        return True
    value = properties[name]
    if value is None or isinstance(value, (list, dict)):
        return False
    return fnmatch.fnmatchcase(str(value).casefold(), pattern.casefold())


@dataclass(frozen=True, slots=True)
class _Match:
    """A condition that holds, with what the explanation should say about it."""

    detail: reason_text.Texts
    latest_event_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _KnownEvents:
    """The events known at ``now``, and per type each event with its age in days.

    Built once per score, so an event rule walks only the events of its type
    and no age is computed twice.
    """

    events: Sequence[Event]
    by_type: Mapping[EventType, Sequence[tuple[Event, float]]]


def _known_events(events: Iterable[Event], now: datetime) -> _KnownEvents:
    known = [event for event in events if event.is_known_at(now)]
    by_type: dict[EventType, list[tuple[Event, float]]] = {}
    for event in known:
        # The same sum as _days_between, inlined: this runs for every event.
        age_days = (now - event.occurred_at).total_seconds() / SECONDS_PER_DAY
        entry = (event, age_days)
        by_type.setdefault(event.type, []).append(entry)
    return _KnownEvents(known, by_type)


def _evaluate(
    condition: Condition,
    values: Mapping[str, FieldValue],
    events: _KnownEvents,
    now: datetime,
    arrived_at: datetime | None = None,
) -> _Match | None:
    match condition:
        # Event rules come first: most rules of a typical model test events.
        case EventCount():
            of_type = events.by_type.get(condition.event_type, ())
            return _evaluate_event_count(condition, of_type, now)
        case LastEventAge():
            return _evaluate_last_event_age(condition, events.events, now, arrived_at)
        case FieldEquals(field=name, value=expected):
            actual = values.get(name)
            if not _same(actual, expected):
                return None
            return _Match(reason_text.field_fact(name, actual))
        case FieldIn(field=name, values=options):
            actual = values.get(name)
            # Text against text options (the usual case) is one set lookup.
            folded = _folded_texts(options) if isinstance(actual, str) else None
            if folded is not None:
                hit = _text(actual) in folded
            else:
                hit = any(_same(actual, option) for option in options)
            return _Match(reason_text.field_fact(name, actual)) if hit else None
        case FieldRange(field=name, minimum=low, maximum=high):
            actual = values.get(name)
            if actual is None or isinstance(actual, (bool, str)):
                return None
            if low is not None and actual < low:
                return None
            if high is not None and actual > high:
                return None
            return _Match(reason_text.field_fact(name, actual))
        case FieldContains(field=name, fragments=fragments):
            actual = values.get(name)
            if actual is None:
                return None
            text = _text(actual)
            hit = any(fragment.casefold() in text for fragment in fragments)
            return _Match(reason_text.field_fact(name, actual)) if hit else None
        case FieldMissing(field=name):
            if values.get(name) not in (None, ""):
                return None
            return _Match(reason_text.field_unknown(name))
        case _:
            assert_never(condition)


def _evaluate_event_count(
    condition: EventCount, events: Sequence[tuple[Event, float]], now: datetime
) -> _Match | None:
    count = 0
    latest: datetime | None = None
    for event, age_days in events:
        if event.type is not condition.event_type:
            continue
        if condition.within_days is not None and age_days > condition.within_days:
            continue
        if condition.property_name is not None and not _property_matches(
            event.properties, condition.property_name, condition.property_pattern
        ):
            continue
        count += 1
        if latest is None or event.occurred_at > latest:
            latest = event.occurred_at
    if count < condition.at_least or latest is None:
        return None
    detail = reason_text.event_count(
        condition.event_type,
        count,
        condition.within_days,
        _days_between(latest, now),
    )
    return _Match(detail, latest_event_at=latest)


def _evaluate_last_event_age(
    condition: LastEventAge,
    events: Sequence[Event],
    now: datetime,
    arrived_at: datetime | None,
) -> _Match | None:
    latest: datetime | None = None
    for event in events:
        if condition.event_types and event.type not in condition.event_types:
            continue
        if latest is None or event.occurred_at > latest:
            latest = event.occurred_at
    silent_since_arrival = (
        condition.older_than_days is not None
        and condition.within_days is None
        and arrived_at is not None
        and (latest is None or arrived_at > latest)
    )
    if silent_since_arrival and arrived_at is not None:
        # Silence starts at the later of the last event and the arrival.
        quiet = _days_between(arrived_at, now)
        if condition.older_than_days is not None and quiet < condition.older_than_days:
            return None
        return _Match(reason_text.quiet_since_arrival(quiet))
    if latest is None:
        if condition.older_than_days is not None and condition.within_days is None:
            return _Match(reason_text.NO_ACTIVITY)
        return None
    age = _days_between(latest, now)
    if condition.within_days is not None and age > condition.within_days:
        return None
    if condition.older_than_days is not None and age < condition.older_than_days:
        return None
    return _Match(reason_text.last_activity(age), latest_event_at=latest)


def decay_factor(age_days: float, half_life_days: float) -> float:
    """The share of points left after ``age_days`` under a half-life (1.0 at age 0)."""
    return math.pow(0.5, max(0.0, age_days) / half_life_days)


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _rule_points(
    rule: Rule, match: _Match, settings: GroupSettings, now: datetime
) -> tuple[int, reason_text.Texts]:
    if (
        rule.points <= 0
        or not rule.decays
        or settings.half_life_days is None
        or match.latest_event_at is None
    ):
        return rule.points, match.detail
    factor = decay_factor(
        _days_between(match.latest_event_at, now), settings.half_life_days
    )
    points = _round_half_up(rule.points * factor)
    if points == rule.points:
        return points, match.detail
    fading = reason_text.faded(rule.points, points)
    detail = match.detail
    return points, reason_text.Texts(
        f"{detail.en}; {fading.en}", f"{detail.nl}; {fading.nl}"
    )


def score_lead(
    profile: LeadProfile,
    events: Iterable[Event],
    model: ScoringModel,
    *,
    now: datetime,
) -> Score:
    """Score one lead as of ``now`` under ``model``.

    Only events known at ``now`` count (happened and received by then), so the
    same call replays the past without look-ahead. Returns a Score whose
    explanation adds up exactly to its sub-scores and total.
    """
    known = _known_events(events, now)
    values = profile.field_values()
    raw: dict[Group, int] = dict.fromkeys(_GROUPS, 0)
    hits: list[RuleHit] = []
    for rule in model.rules:
        match = _evaluate(rule.condition, values, known, now, profile.arrived_at)
        if match is None:
            continue
        points, detail = _rule_points(rule, match, model.groups[rule.group], now)
        if points == 0:
            continue
        raw[rule.group] += points
        hits.append(
            RuleHit(
                rule.name,
                rule.group,
                points,
                f"{rule.label} ({detail.en})",
                reason_nl=f"{rule.label_nl or rule.label} ({detail.nl})",
            )
        )

    sub_scores: dict[Group, int] = {}
    for group in _GROUPS:
        cap = model.groups[group].cap
        clamped = min(max(raw[group], 0), cap)
        sub_scores[group] = clamped
        if clamped != raw[group]:
            reason = (
                reason_text.capped(group, cap)
                if clamped == cap
                else reason_text.floored(group)
            )
            hits.append(
                RuleHit(
                    f"{group}_limit",
                    group,
                    clamped - raw[group],
                    reason.en,
                    is_adjustment=True,
                    reason_nl=reason.nl,
                )
            )

    total = sum(sub_scores.values())
    return Score(
        fit=sub_scores[Group.FIT],
        intent=sub_scores[Group.INTENT],
        engagement=sub_scores[Group.ENGAGEMENT],
        ai=sub_scores[Group.AI],
        total=total,
        band=band_for(total, model.thresholds),
        explanation=tuple(hits),
        model_version=model.version,
        computed_at=now,
    )
