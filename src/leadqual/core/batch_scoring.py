"""Score many leads at once, column by column, exactly as ``score_lead`` scores one.

The real-time scorer walks one lead's events rule by rule. Rescoring a
million leads that way costs minutes, so this module evaluates each rule over
all leads at once with NumPy:

- A lead field is a ``Column``: its distinct values and, per lead, the index
  of its value. A field rule is evaluated once per distinct value (with the
  real-time scorer's own condition code, so the two can never disagree) and
  then spread over the leads by index.
- Events arrive as ``EventRows``: per lead, event type and combination of the
  properties that rules test, how many events fall inside each window the
  rules look at and when the latest one happened. A database aggregates them
  with one GROUP BY; ``event_rows`` builds one row per event from core Events.
- Moments are whole microseconds since 1970, and every age in days is
  computed with the same float operations as ``score_lead`` does, so windows,
  decay, rounding (``_round_half_up``) and the reason texts come out the same.
  Where NumPy's ``power`` may differ from ``math.pow`` in the last bit, the
  few points that sit on a rounding edge are recomputed with ``math.pow``.

The result, ``BatchScores``, holds every lead's sub-scores, total, band and
explanation lines; ``scores()`` gives the same ``Score`` values as calling
``score_lead`` per lead, ``explanation_texts()`` the stored JSON of each.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from leadqual.core import reason_text
from leadqual.core.bands import Band, band_for
from leadqual.core.events import Event, EventType, JsonValue
from leadqual.core.profile import FieldValue, LeadProfile
from leadqual.core.scoring import (
    SECONDS_PER_DAY,
    EventCount,
    Group,
    GroupSettings,
    LastEventAge,
    Rule,
    RuleHit,
    Score,
    ScoringModel,
    _evaluate,
    _KnownEvents,
    _Match,
    _property_matches,
    _round_half_up,
    _rule_points,
    decay_factor,
    event_window,
    fields_read,
)

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
V = TypeVar("V", covariant=True)
T = TypeVar("T")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# "No such moment": a lead without matching events, or with an unknown arrival.
NO_MOMENT = int(np.iinfo(np.int64).min)
MICROSECONDS_PER_SECOND = 1_000_000
# A float64 holds every whole number up to 2**53 exactly: ages up to about 285
# years convert without rounding, older ones are computed in Python.
_EXACT_FLOAT_INT = 2**53
EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)
_TYPE_CODES: Mapping[EventType, int] = {
    kind: code for code, kind in enumerate(EVENT_TYPES)
}
_GROUPS = tuple(Group)
_NO_EVENTS = _KnownEvents((), {})


def micros(moment: datetime) -> int:
    """A timezone-aware moment as whole microseconds since 1970-01-01 UTC."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def moment_of(microseconds: int) -> datetime:
    """The moment ``micros`` was given (in UTC)."""
    return EPOCH + timedelta(microseconds=microseconds)


# --- columns --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column(Generic[V]):
    """Values over many rows: the distinct ``values`` and, per row, the index of
    its value in ``values`` (-1: the row has no value at all, e.g. an event
    without that property)."""

    values: tuple[V, ...]
    codes: Ints


# Lists and dicts behave alike in every rule (a property rule never matches
# them by pattern, only by presence), so they share one code.
_CONTAINER = ("container",)


def _key(value: object) -> object:
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, list | dict):
        return _CONTAINER
    # True == 1 == 1.0 to a dict, but not to a rule: keep the type in the key.
    return (value.__class__, value)


def column_of(values: Iterable[V]) -> Column[V]:
    """Factorise ``values`` into a Column (distinct values in order of appearance)."""
    listed = values if isinstance(values, list | tuple) else list(values)
    index: dict[V, int] = {}
    try:
        # setdefault reads len(index) before it inserts: a new value's code.
        codes = [index.setdefault(value, len(index)) for value in listed]
    except TypeError:  # a list or dict value: not hashable
        return _column_by_key(listed)
    numeric = {type(value) for value in index} & {bool, int, float}
    if len(numeric) > 1:  # True == 1 == 1.0 to a dict, but not to a rule
        return _column_by_key(listed)
    return Column(tuple(index), np.array(codes, dtype=np.int64))


def _column_by_key(values: Iterable[V]) -> Column[V]:
    index: dict[object, int] = {}
    distinct: list[V] = []
    codes: list[int] = []
    for value in values:
        key = _key(value)
        code = index.get(key)
        if code is None:
            code = index[key] = len(distinct)
            distinct.append(value)
        codes.append(code)
    return Column(tuple(distinct), np.array(codes, dtype=np.int64))


def mapped(column: Column[V], convert: Callable[[V], T]) -> Column[T]:
    """The column with ``convert`` applied to each distinct value (codes -1 stay)."""
    converted = column_of(convert(value) for value in column.values)
    table = np.append(converted.codes, -1)
    return Column(converted.values, table[column.codes])


# --- what to aggregate ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AggregationPlan:
    """What a model needs to know of each lead's events.

    ``event_types``: the types any rule reads. ``windows``: the distinct
    ``within_days`` of the count rules (None: ever); ``max_age_us`` gives per
    window the greatest age, in whole microseconds, at which an event still
    counts (None: any age; -1: none). ``property_names``: the properties that
    count rules test, per type in ``properties_by_type``.
    """

    event_types: tuple[EventType, ...]
    windows: tuple[float | None, ...]
    max_age_us: Mapping[float | None, int | None]
    property_names: tuple[str, ...]
    properties_by_type: Mapping[EventType, tuple[str, ...]]


def _age_days(age_us: int) -> float:
    # The same operations as score_lead: timedelta.total_seconds() divides
    # the whole microseconds by 10**6, then by the seconds of a day.
    return (age_us / MICROSECONDS_PER_SECOND) / SECONDS_PER_DAY


def window_max_age_us(within_days: float | None) -> int | None:
    """The greatest age (whole microseconds) at which ``score_lead`` still counts
    an event in a window of ``within_days`` days: its test is ``age_days >
    within_days``. None: every age counts; -1: none does."""
    if within_days is None or math.isnan(within_days):
        return None
    if _age_days(0) > within_days:
        return -1
    outside = 2**62
    if not _age_days(outside) > within_days:
        return None
    inside = 0
    while outside - inside > 1:
        middle = (inside + outside) // 2
        if _age_days(middle) > within_days:
            outside = middle
        else:
            inside = middle
    return inside


def aggregation_plan(model: ScoringModel) -> AggregationPlan:
    """The events ``model`` reads, as per-lead aggregates (see AggregationPlan)."""
    window = event_window(model)
    windows: set[float | None] = set()
    properties: dict[EventType, set[str]] = {}
    for rule in model.rules:
        condition = rule.condition
        if isinstance(condition, EventCount):
            windows.add(condition.within_days)
            if condition.property_name is not None:
                properties.setdefault(condition.event_type, set()).add(
                    condition.property_name
                )
    ordered = tuple(
        sorted(windows, key=lambda days: math.inf if days is None else days)
    )
    return AggregationPlan(
        event_types=tuple(kind for kind in EVENT_TYPES if window.reads(kind)),
        windows=ordered,
        max_age_us={days: window_max_age_us(days) for days in ordered},
        property_names=tuple(
            sorted({n for names in properties.values() for n in names})
        ),
        properties_by_type={kind: tuple(sorted(n)) for kind, n in properties.items()},
    )


# --- the inputs -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadColumns:
    """Many leads as the kernel reads them.

    ``fields``: a Column per field the model reads (``fields_read``), with the
    values ``LeadProfile.field_values`` gives. ``arrived_us``: each lead's
    arrival (NO_MOMENT: unknown). ``now``: the moment every lead is scored
    at, or one moment per lead (a backtest judges each at its own moment).
    """

    count: int
    fields: Mapping[str, Column[FieldValue]]
    arrived_us: Ints
    now: datetime | Sequence[datetime]

    def now_us(self) -> Ints:
        if isinstance(self.now, datetime):
            return np.full(self.count, micros(self.now), dtype=np.int64)
        return np.array([micros(moment) for moment in self.now], dtype=np.int64)

    def now_of(self, index: int) -> datetime:
        return self.now if isinstance(self.now, datetime) else self.now[index]


@dataclass(frozen=True, slots=True)
class EventRows:
    """Known events of many leads, grouped or not.

    Row ``r`` describes events of lead ``lead_index[r]`` (a position in
    LeadColumns) of type ``EVENT_TYPES[type_code[r]]`` whose tested
    properties have the values in ``properties`` (code -1: absent): how many
    of them lie in each window of the plan (``counts`` by window) and when
    the latest of them happened (``latest_us``). Only events known at the
    lead's ``now`` may be counted (happened and received by then). Several
    rows may describe one lead, type and property values: they add up.
    """

    lead_index: Ints
    type_code: Ints
    latest_us: Ints
    counts: Mapping[float | None, Ints]
    properties: Mapping[str, Column[JsonValue]]

    @property
    def size(self) -> int:
        return int(self.lead_index.shape[0])


def profile_columns(
    profiles: Sequence[LeadProfile],
    model: ScoringModel,
    *,
    now: datetime | Sequence[datetime],
) -> LeadColumns:
    """LeadColumns of core profiles, for the fields ``model`` reads."""
    names = sorted(fields_read(model))
    values = [profile.field_values() for profile in profiles]
    return LeadColumns(
        count=len(profiles),
        fields={name: column_of(row[name] for row in values) for name in names},
        arrived_us=np.array(
            [
                NO_MOMENT if profile.arrived_at is None else micros(profile.arrived_at)
                for profile in profiles
            ],
            dtype=np.int64,
        ),
        now=now if isinstance(now, datetime) else tuple(now),
    )


def event_rows(
    events_per_lead: Sequence[Iterable[Event]],
    plan: AggregationPlan,
    *,
    now: datetime | Sequence[datetime],
) -> EventRows:
    """One row per known event that the plan reads, from core Events."""
    lead_index: list[int] = []
    type_code: list[int] = []
    latest: list[int] = []
    ages: list[int] = []
    wanted = {kind: _TYPE_CODES[kind] for kind in plan.event_types}
    property_values: dict[str, list[JsonValue]] = {n: [] for n in plan.property_names}
    missing: dict[str, list[bool]] = {n: [] for n in plan.property_names}
    for index, events in enumerate(events_per_lead):
        moment = now if isinstance(now, datetime) else now[index]
        now_us = micros(moment)
        tested = plan.properties_by_type
        for event in events:
            code = wanted.get(event.type)
            if code is None or not event.is_known_at(moment):
                continue
            occurred_us = micros(event.occurred_at)
            lead_index.append(index)
            type_code.append(code)
            latest.append(occurred_us)
            ages.append(now_us - occurred_us)
            names = tested.get(event.type, ())
            for name in plan.property_names:
                present = name in names and name in event.properties
                missing[name].append(not present)
                property_values[name].append(
                    event.properties[name] if present else None
                )
    age_array = np.array(ages, dtype=np.int64)
    counts = {}
    for days in plan.windows:
        limit = plan.max_age_us[days]
        inside = (
            np.ones(len(ages), dtype=np.bool_) if limit is None else age_array <= limit
        )
        counts[days] = inside.astype(np.int64)
    properties: dict[str, Column[JsonValue]] = {}
    for name in plan.property_names:
        column = column_of(property_values[name])
        codes = column.codes.copy()
        codes[np.array(missing[name], dtype=np.bool_)] = -1
        properties[name] = Column(column.values, codes)
    return EventRows(
        lead_index=np.array(lead_index, dtype=np.int64),
        type_code=np.array(type_code, dtype=np.int64),
        latest_us=np.array(latest, dtype=np.int64),
        counts=counts,
        properties=properties,
    )


# --- the result -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lines:
    """The explanation lines one rule (or one group's cap) gave: the leads that
    got a line (``rows``, ascending), and per row the index of its line in
    ``lines``, a list of the distinct lines."""

    rows: Ints
    line_of_row: Ints
    lines: Sequence[RuleHit]


def explanation_record(hit: RuleHit) -> dict[str, object]:
    """One explanation line as stored (Score.explanation) and sent by the API."""
    return {
        "rule": hit.rule,
        "group": hit.group.value,
        "points": hit.points,
        "reason": hit.reason,
        "reason_nl": hit.reason_nl,
        "is_adjustment": hit.is_adjustment,
    }


@dataclass(frozen=True, slots=True)
class BatchScores:
    """The scores of many leads under one model, in the leads' order."""

    model: ScoringModel
    leads: LeadColumns
    sub_scores: Mapping[Group, Ints]
    totals: Ints
    band_codes: Ints  # index into BANDS
    # Rules in model order, then one entry per group for its cap adjustment.
    lines: tuple[_Lines, ...]

    @property
    def count(self) -> int:
        return self.leads.count

    def band(self, index: int) -> Band:
        return BANDS[int(self.band_codes[index])]

    def _per_lead(
        self, pick: Callable[[RuleHit], T], only: Bools | None = None
    ) -> list[list[T]]:
        """Per lead its lines through ``pick``; empty for leads not in ``only``."""
        leads: list[Ints] = []
        items: list[Ints] = []
        catalogue: list[T] = []
        for entry in self.lines:
            rows, line_of_row = entry.rows, entry.line_of_row
            if only is not None:
                wanted = only[rows]
                rows, line_of_row = rows[wanted], line_of_row[wanted]
            leads.append(rows)
            items.append(line_of_row + len(catalogue))
            catalogue.extend(pick(line) for line in entry.lines)
        if not leads:
            return [[] for _ in range(self.count)]
        every_lead = np.concatenate(leads)
        # Stable: a lead's lines keep the order of the rules, then the caps.
        order = np.argsort(every_lead, kind="stable")
        picked = np.empty(len(catalogue), dtype=object)
        for index, item in enumerate(catalogue):  # item by item: tuples stay whole
            picked[index] = item
        flat: list[T] = picked[np.concatenate(items)[order]].tolist()
        bounds = np.concatenate(
            ([0], np.cumsum(np.bincount(every_lead, minlength=self.count)))
        ).tolist()
        return [flat[start:end] for start, end in itertools.pairwise(bounds)]

    def explanations(self) -> list[tuple[RuleHit, ...]]:
        """Every lead's explanation, as ``score_lead`` gives it."""
        return [tuple(lines) for lines in self._per_lead(lambda hit: hit)]

    def scores(self) -> list[Score]:
        """Every lead's Score, equal to ``score_lead``'s for that lead."""
        subs = {group: values.tolist() for group, values in self.sub_scores.items()}
        totals = self.totals.tolist()
        return [
            Score(
                fit=subs[Group.FIT][index],
                intent=subs[Group.INTENT][index],
                engagement=subs[Group.ENGAGEMENT][index],
                ai=subs[Group.AI][index],
                total=totals[index],
                band=self.band(index),
                explanation=explanation,
                model_version=self.model.version,
                computed_at=self.leads.now_of(index),
            )
            for index, explanation in enumerate(self.explanations())
        ]

    def explanation_texts(self, only: Bools | None = None) -> list[str]:
        """Every lead's explanation as JSON text, a list of ``explanation_record``
        (``json.dumps`` of it). With ``only``: "[]" for the leads not in it."""
        return [
            "[" + ", ".join(parts) + "]"
            for parts in self._per_lead(
                lambda hit: json.dumps(explanation_record(hit)), only
            )
        ]

    def rule_points(
        self, only: Bools | None = None
    ) -> list[tuple[tuple[str, int], ...]]:
        """Per lead the (rule, points) of each explanation line, in order.
        With ``only``: empty for the leads not in it."""
        return [
            tuple(lines)
            for lines in self._per_lead(lambda hit: (hit.rule, hit.points), only)
        ]

    def fired_rules(self) -> list[frozenset[str]]:
        """Per lead the rules that gave it points (adjustments left out)."""
        per_lead: list[set[str]] = [set() for _ in range(self.count)]
        for entry in self.lines:
            names = [line.rule for line in entry.lines if not line.is_adjustment]
            if not names:
                continue
            for row in entry.rows.tolist():
                per_lead[row].add(names[0])
        return [frozenset(names) for names in per_lead]


BANDS: tuple[Band, ...] = tuple(Band)


# --- evaluation -----------------------------------------------------------------


def _ages_days(now_us: Ints, moment_us: Ints) -> Floats:
    """(now - moment) in days per row, as score_lead computes each."""
    age_us = now_us - moment_us
    ages = (age_us.astype(np.float64) / MICROSECONDS_PER_SECOND) / SECONDS_PER_DAY
    huge = np.flatnonzero(np.abs(age_us) >= _EXACT_FLOAT_INT)
    for row in huge.tolist():
        ages[row] = _age_days(int(age_us[row]))
    return ages


def _decayed(points: int, ages: Floats, half_life_days: float) -> Ints:
    """``_round_half_up(points * decay_factor(age, half_life))`` per row."""
    value = points * np.power(0.5, np.maximum(ages, 0.0) / half_life_days)
    shifted = value + 0.5
    result = np.floor(shifted).astype(np.int64)
    # NumPy's power may differ from math.pow in the last bit; where that
    # could move the rounding, compute the row exactly as score_lead does.
    edge = np.abs(shifted - np.rint(shifted)) <= 1e-6 * np.maximum(1.0, np.abs(shifted))
    for row in np.flatnonzero(edge).tolist():
        result[row] = _round_half_up(
            points * decay_factor(float(ages[row]), half_life_days)
        )
    return result


def _age_codes(days: Floats) -> Ints:
    """A code per distinct text of ``reason_text.ago(days)``: 0 "just now",
    1 + hours under a day, 100 + days from a day."""
    hours = days * 24
    return np.where(
        hours < 0.5,
        0,
        np.where(
            days < 1,
            1 + np.maximum(0, np.rint(hours)).astype(np.int64),
            100 + np.rint(days).astype(np.int64),
        ),
    ).astype(np.int64)


def _distinct_rows(keys: Sequence[Ints]) -> tuple[Ints, Ints]:
    """Per row the index of its distinct key tuple, and a first row of each."""
    if len(keys) == 1:
        _values, first, inverse = np.unique(
            keys[0], return_index=True, return_inverse=True
        )
        return inverse.astype(np.int64), first.astype(np.int64)
    combined = np.zeros(keys[0].shape[0], dtype=np.int64)
    span = 1
    for key in keys:
        low = int(key.min()) if key.size else 0
        width = (int(key.max()) - low + 1) if key.size else 1
        if span * width >= 2**62:
            stacked = np.stack(keys, axis=1)
            _v, first, inverse = np.unique(
                stacked, axis=0, return_index=True, return_inverse=True
            )
            return inverse.reshape(-1).astype(np.int64), first.astype(np.int64)
        combined = combined * width + (key - low)
        span *= width
    return _distinct(combined, span)


def _distinct(combined: Ints, span: int) -> tuple[Ints, Ints]:
    """``_distinct_rows`` of one key in 0..span-1: a table instead of a sort
    when the span is small (the usual case: counts, points and ages)."""
    size = combined.shape[0]
    if span > 4 * size + 1024:
        _values, first, inverse = np.unique(
            combined, return_index=True, return_inverse=True
        )
        return inverse.astype(np.int64), first.astype(np.int64)
    first_of_key = np.full(span, size, dtype=np.int64)
    # Written from the last row back, so each key keeps its first row.
    first_of_key[combined[::-1]] = np.arange(size - 1, -1, -1, dtype=np.int64)
    present = np.flatnonzero(first_of_key < size)
    index_of_key = np.zeros(span, dtype=np.int64)
    index_of_key[present] = np.arange(present.shape[0], dtype=np.int64)
    return index_of_key[combined], first_of_key[present]


def _hit(rule: Rule, points: int, detail: reason_text.Texts) -> RuleHit:
    return RuleHit(
        rule.name,
        rule.group,
        points,
        f"{rule.label} ({detail.en})",
        reason_nl=f"{rule.label_nl or rule.label} ({detail.nl})",
    )


@dataclass(slots=True)
class _Context:
    model: ScoringModel
    leads: LeadColumns
    # The event rows as one run per type, leads ascending within a run.
    rows: EventRows
    type_runs: dict[int, slice]
    now_us: Ints
    latest_cache: dict[frozenset[EventType], Ints]

    def type_slice(self, kind: EventType) -> slice:
        return self.type_runs.get(_TYPE_CODES[kind], slice(0, 0))


def _type_runs(rows: EventRows) -> dict[int, slice] | None:
    """Per type code its slice of the rows, when each type is one run with its
    leads ascending (as the aggregate query orders them); else None."""
    types, leads = rows.type_code, rows.lead_index
    if rows.size == 0:
        return {}
    changes = np.flatnonzero(types[1:] != types[:-1]) + 1
    starts = np.concatenate(([0], changes))
    ends = np.concatenate((changes, [rows.size]))
    codes = types[starts].tolist()
    if len(set(codes)) != len(codes):
        return None
    descending = np.flatnonzero(leads[1:] < leads[:-1]) + 1
    if not np.isin(descending, changes).all():
        return None
    return {
        code: slice(int(start), int(end))
        for code, start, end in zip(codes, starts.tolist(), ends.tolist(), strict=True)
    }


def _sorted_by_type_and_lead(rows: EventRows) -> tuple[EventRows, dict[int, slice]]:
    """The rows as runs of one type each, leads ascending within a run, and
    the run of each type code."""
    runs = _type_runs(rows)
    if runs is not None:
        return rows, runs
    leads = rows.lead_index
    order = np.argsort(leads, kind="stable")
    # A stable sort of a small integer type is a radix sort: linear.
    order = order[np.argsort(rows.type_code[order].astype(np.int8), kind="stable")]
    ordered = EventRows(
        lead_index=leads[order],
        type_code=rows.type_code[order],
        latest_us=rows.latest_us[order],
        counts={days: counts[order] for days, counts in rows.counts.items()},
        properties={
            name: Column(column.values, column.codes[order])
            for name, column in rows.properties.items()
        },
    )
    runs = _type_runs(ordered)
    assert runs is not None
    return ordered, runs


def _per_lead_segments(leads: Ints) -> Ints:
    """Where each lead's run starts in ``leads`` (sorted)."""
    if leads.size == 0:
        return leads
    return np.flatnonzero(np.concatenate(([True], leads[1:] != leads[:-1])))


def _field_lines(rule: Rule, context: _Context) -> _Lines:
    condition = rule.condition
    assert not isinstance(condition, EventCount | LastEventAge)
    column = context.leads.fields[condition.field]
    now = context.leads.now_of(0) if context.leads.count else EPOCH
    settings = context.model.groups[rule.group]
    line_of_value = np.full(len(column.values) + 1, -1, dtype=np.int64)
    lines: list[RuleHit] = []
    for code, value in enumerate(column.values):
        match = _evaluate(condition, {condition.field: value}, _NO_EVENTS, now)
        if match is None:
            continue
        points, detail = _rule_points(rule, match, settings, now)
        if points == 0:
            continue
        line_of_value[code] = len(lines)
        lines.append(_hit(rule, points, detail))
    per_lead = line_of_value[column.codes]
    rows = np.flatnonzero(per_lead >= 0).astype(np.int64)
    return _Lines(rows, per_lead[rows], lines)


def _event_lines(
    rule: Rule,
    context: _Context,
    rows: Ints,
    latest_us: Ints,
    describe: Callable[[int, float], reason_text.Texts],
    extra_keys: Sequence[Ints],
) -> _Lines:
    """Lines of an event rule that matched the leads ``rows`` (ascending), with
    per row the latest event that made it match (NO_MOMENT: none, no decay).
    ``describe(position, age_days)`` writes the fact for the lead at that
    position of ``rows``; leads that share points, age text and
    ``extra_keys`` (per row: what else the fact says, such as the count)
    share it."""
    settings: GroupSettings = context.model.groups[rule.group]
    positions = np.arange(rows.shape[0], dtype=np.int64)
    has_latest = latest_us != NO_MOMENT
    ages = np.zeros(rows.shape[0], dtype=np.float64)
    ages[has_latest] = _ages_days(
        context.now_us[rows][has_latest], latest_us[has_latest]
    )
    points = np.full(rows.shape[0], rule.points, dtype=np.int64)
    fades = rule.points > 0 and rule.decays and settings.half_life_days is not None
    if fades and settings.half_life_days is not None:
        points[has_latest] = _decayed(
            rule.points, ages[has_latest], settings.half_life_days
        )
    keep = points != 0
    if not keep.all():
        rows, positions, points, ages, has_latest = (
            rows[keep],
            positions[keep],
            points[keep],
            ages[keep],
            has_latest[keep],
        )
        extra_keys = [key[keep] for key in extra_keys]
    if rows.size == 0:
        return _Lines(rows, rows, [])
    keys = [*extra_keys, points, _age_codes(ages), has_latest.astype(np.int64)]
    inverse, first = _distinct_rows(keys)
    lines: list[RuleHit] = []
    for row in first.tolist():
        position = int(positions[row])
        lead = int(rows[row])
        detail = describe(position, float(ages[row]))
        latest_at = moment_of(int(latest_us[position])) if has_latest[row] else None
        line_points, line_detail = _rule_points(
            rule,
            _Match(detail, latest_event_at=latest_at),
            settings,
            context.leads.now_of(lead),
        )
        assert line_points == int(points[row]), (rule.name, lead)
        lines.append(_hit(rule, line_points, line_detail))
    return _Lines(rows, inverse, lines)


def _property_filter(
    context: _Context, rows: slice, name: str, pattern: str | None
) -> Bools:
    column = context.rows.properties[name]
    table = np.array(
        [_property_matches({name: value}, name, pattern) for value in column.values]
        + [False],
        dtype=np.bool_,
    )
    return table[column.codes[rows]]


def _count_lines(rule: Rule, condition: EventCount, context: _Context) -> _Lines:
    rows = context.type_slice(condition.event_type)
    leads = context.rows.lead_index[rows]
    in_window = context.rows.counts[condition.within_days][rows]
    latest = context.rows.latest_us[rows]
    selected = in_window > 0
    if condition.property_name is not None:
        selected &= _property_filter(
            context, rows, condition.property_name, condition.property_pattern
        )
    leads, in_window, latest = leads[selected], in_window[selected], latest[selected]
    starts = _per_lead_segments(leads)
    if starts.size == 0:
        return _Lines(starts, starts, [])
    counts = np.add.reduceat(in_window, starts)
    # Only rows with events in the window are left: their latest is the latest.
    latest_per_lead = np.maximum.reduceat(latest, starts)
    matched = counts >= max(condition.at_least, 1)
    counts, latest_per_lead = counts[matched], latest_per_lead[matched]

    def describe(position: int, age_days: float) -> reason_text.Texts:
        return reason_text.event_count(
            condition.event_type, int(counts[position]), condition.within_days, age_days
        )

    return _event_lines(
        rule, context, leads[starts][matched], latest_per_lead, describe, [counts]
    )


def _latest_of(types: frozenset[EventType], context: _Context) -> Ints:
    cached = context.latest_cache.get(types)
    if cached is not None:
        return cached
    latest = np.full(context.leads.count, NO_MOMENT, dtype=np.int64)
    for kind in EVENT_TYPES:
        if kind in types:
            rows = context.type_slice(kind)
            leads = context.rows.lead_index[rows]
            starts = _per_lead_segments(leads)
            if starts.size:
                per_lead = np.maximum.reduceat(context.rows.latest_us[rows], starts)
                at = leads[starts]
                latest[at] = np.maximum(latest[at], per_lead)
    context.latest_cache[types] = latest
    return latest


def _last_event_lines(rule: Rule, condition: LastEventAge, context: _Context) -> _Lines:
    latest = _latest_of(frozenset(condition.event_types or EVENT_TYPES), context)
    arrived = context.leads.arrived_us
    now_us = context.now_us
    has_latest = latest != NO_MOMENT
    within, older = condition.within_days, condition.older_than_days
    ages = np.zeros(context.leads.count, dtype=np.float64)
    ages[has_latest] = _ages_days(now_us[has_latest], latest[has_latest])
    quiet = np.zeros(context.leads.count, dtype=np.float64)
    has_arrived = arrived != NO_MOMENT
    quiet[has_arrived] = _ages_days(now_us[has_arrived], arrived[has_arrived])
    if older is not None and within is None:
        silent = has_arrived & (~has_latest | (arrived > latest))
        since_arrival = silent & ~(quiet < older)
        no_activity = ~silent & ~has_latest
    else:
        silent = np.zeros(context.leads.count, dtype=np.bool_)
        since_arrival = silent
        no_activity = silent
    recent = ~silent & has_latest
    if within is not None:
        recent &= ~(ages > within)
    if older is not None:
        recent &= ~(ages < older)
    matched = since_arrival | no_activity | recent
    # Only "last activity" decays: the other two have no event to fade from.
    kind = np.where(since_arrival, 1, np.where(no_activity, 2, 0)).astype(np.int64)
    decaying = np.where(recent, latest, NO_MOMENT)

    rows = np.flatnonzero(matched).astype(np.int64)

    def describe(position: int, age_days: float) -> reason_text.Texts:
        lead = int(rows[position])
        if since_arrival[lead]:
            return reason_text.quiet_since_arrival(float(quiet[lead]))
        if no_activity[lead]:
            return reason_text.NO_ACTIVITY
        return reason_text.last_activity(age_days)

    # Leads quiet since arrival share their texts by how long ago they arrived.
    quiet_codes = np.where(since_arrival, _age_codes(quiet), 0)
    return _event_lines(
        rule, context, rows, decaying[rows], describe, [kind[rows], quiet_codes[rows]]
    )


def _cap_lines(group: Group, raw: Ints, clamped: Ints, cap: int) -> _Lines:
    rows = np.flatnonzero(clamped != raw).astype(np.int64)
    adjustment = (clamped - raw)[rows]
    at_cap = (clamped[rows] == cap).astype(np.int64)
    if rows.size == 0:
        return _Lines(rows, rows, [])
    inverse, first = _distinct_rows([adjustment, at_cap])
    lines = []
    for row in first.tolist():
        reason = (
            reason_text.capped(group, cap)
            if at_cap[row]
            else reason_text.floored(group)
        )
        lines.append(
            RuleHit(
                f"{group}_limit",
                group,
                int(adjustment[row]),
                reason.en,
                is_adjustment=True,
                reason_nl=reason.nl,
            )
        )
    return _Lines(rows, inverse, lines)


def score_columns(
    model: ScoringModel, leads: LeadColumns, rows: EventRows
) -> BatchScores:
    """Score every lead of ``leads`` under ``model`` from its event ``rows``.

    Returns BatchScores whose scores equal ``score_lead``'s, lead by lead.
    """
    count = leads.count
    ordered, runs = _sorted_by_type_and_lead(rows)
    context = _Context(model, leads, ordered, runs, leads.now_us(), {})
    raw = {group: np.zeros(count, dtype=np.int64) for group in _GROUPS}
    entries: list[_Lines] = []
    for rule in model.rules:
        condition = rule.condition
        if isinstance(condition, EventCount):
            lines = _count_lines(rule, condition, context)
        elif isinstance(condition, LastEventAge):
            lines = _last_event_lines(rule, condition, context)
        else:
            lines = _field_lines(rule, context)
        if lines.rows.size:
            points = np.array([line.points for line in lines.lines], dtype=np.int64)
            # A rule gives a lead at most one line: its rows are distinct.
            raw[rule.group][lines.rows] += points[lines.line_of_row]
        entries.append(lines)
    sub_scores: dict[Group, Ints] = {}
    for group in _GROUPS:
        cap = model.groups[group].cap
        clamped = np.minimum(np.maximum(raw[group], 0), cap)
        sub_scores[group] = clamped
        entries.append(_cap_lines(group, raw[group], clamped, cap))
    totals = np.zeros(count, dtype=np.int64)
    for group in _GROUPS:
        totals += sub_scores[group]
    lowest = int(totals.min()) if count else 0
    highest = int(totals.max()) if count else 0
    band_table = np.array(
        [
            BANDS.index(band_for(total, model.thresholds))
            for total in range(lowest, highest + 1)
        ],
        dtype=np.int64,
    )
    band_codes = band_table[totals - lowest]
    return BatchScores(
        model=model,
        leads=leads,
        sub_scores=sub_scores,
        totals=totals,
        band_codes=band_codes,
        lines=tuple(entries),
    )


def score_many(
    profiles: Sequence[LeadProfile],
    events_per_lead: Sequence[Iterable[Event]],
    model: ScoringModel,
    *,
    now: datetime | Sequence[datetime],
) -> BatchScores:
    """Score many leads from core values: ``score_lead`` per lead, column-wise.

    ``now``: one moment for all, or one per lead (a backtest's decision
    moments). Returns BatchScores in the order of ``profiles``.
    """
    if len(events_per_lead) != len(profiles):
        raise ValueError(
            f"score_many got {len(profiles)} profiles but {len(events_per_lead)} "
            "event lists; pass one event list per lead."
        )
    if not isinstance(now, datetime) and len(now) != len(profiles):
        raise ValueError(
            f"score_many got {len(profiles)} profiles but {len(now)} moments; pass "
            "one moment, or one per lead."
        )
    plan = aggregation_plan(model)
    return score_columns(
        model,
        profile_columns(profiles, model, now=now),
        event_rows(events_per_lead, plan, now=now),
    )
