"""Propose new points per rule and a sales-ready threshold from sales' outcomes.

The method, in the order ``propose`` runs it:

1. **Examples.** Every lead sales reviewed (accepted or rejected) is one
   example: the rules of the current model that fired at its decision moment
   (``backtest.decision_moment``) and whether it converted (``Target``).
   Leads sales never reviewed have no outcome and are left out.
2. **The current model as prior.** A one-variable logistic regression of the
   conversion on the lead's uncapped points (the sum of the points of the
   rules that fired) gives ``log_odds_per_point``: how many log-odds one point
   of the current model is worth. Each rule's prior weight is its points times
   that factor.
3. **Regularised logistic model.** One weight per rule, fitted by Newton's
   method with a Gaussian penalty ``prior_strength / 2 * (weight - prior)^2``.
   The penalty stays fixed while the likelihood grows with every outcome, so
   with tens of outcomes the weights stay near the current points and with
   thousands the data decide. Rules that fired fewer than ``min_fired`` times
   among the examples keep their weight (and points) and say so.
4. **Back to points.** New points = weight / ``log_odds_per_point``, rounded
   to whole points, at most the group's cap and at least -100.
5. **Candidate rules** from lead fields and event types the model does not
   test yet, each with its lift and its points had it been in the model
   (fitted with the other weights fixed, prior 0). The strongest, clearly
   significant candidate of each field joins the proposal.
6. **Threshold for the capacity.** The hot threshold that gives the most
   expected conversions per week without more hot leads per week than sales
   can contact, with the precision/recall curve of every threshold.

Caps and decay are left out of the logistic model (a rule either fired or
not); the backtest runs the proposed points through the real scorer, caps and
decay included.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from leadqual.core.backtest import (
    Backtest,
    LeadHistory,
    Target,
    fired_rules_of_histories,
    in_window,
    run_backtest,
    score_histories,
)
from leadqual.core.bands import Thresholds
from leadqual.core.events import EventType
from leadqual.core.reason_text import Texts, event_within, field_fact, field_range
from leadqual.core.scoring import (
    TOTAL_MAX,
    Condition,
    EventCount,
    FieldEquals,
    FieldIn,
    FieldRange,
    Group,
    GroupSettings,
    Rule,
    ScoringModel,
    event_window,
)

OPTIMISER_VERSION = 1  # 1: rule weights with the current model as prior
MIN_FIRED = 20
PRIOR_STRENGTH = 1.0
# Below this the current model hardly ranks outcomes, and dividing by it would
# blow small weights up into huge points.
MIN_LOG_ODDS_PER_POINT = 0.01
# A candidate joins the proposal only with at least this many points and a
# lift whose 95% interval excludes 1.
MIN_CANDIDATE_POINTS = 3
# A rule nobody wrote has no author's judgement behind it: its points are
# pulled toward 0 four times as hard as an existing rule's toward its points.
CANDIDATE_PRIOR_FACTOR = 4.0
MAX_NEW_RULES = 5
WILSON_Z = 1.96
_CATEGORY_FIELDS = ("sector", "urgency", "country", "region", "source")
_NUMBER_FIELDS = ("employees", "budget_euros")
_CANDIDATE_EVENT_DAYS = 30.0
# Names of proposed rules: never a name a person gave a rule in the model.
CANDIDATE_PREFIX = "candidate_"


class RuleStatus(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    TOO_LITTLE_EVIDENCE = "too_little_evidence"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Lift:
    """How much likelier leads convert when a rule fires than leads overall.

    ``rate`` is the conversion rate of the leads it fired for, with its 95%
    Wilson interval; ``lift`` is that rate over the base rate of all examples,
    its interval the Wilson bounds over the base rate (None when the rule
    never fired or nothing converted at all)."""

    fired: int
    converted: int
    rate: float
    rate_low: float
    rate_high: float
    lift: float | None
    lift_low: float | None
    lift_high: float | None

    @property
    def is_significant(self) -> bool:
        """True when the lift's interval lies wholly above or below 1."""
        if self.lift_low is None or self.lift_high is None:
            return False
        return self.lift_low > 1 or self.lift_high < 1


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One rule of the proposal: its old and new points and the evidence."""

    name: str
    label: str
    group: Group
    old_points: int
    new_points: int
    status: RuleStatus
    lift: Lift
    label_nl: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule the model does not have yet, with the points the data suggest."""

    rule: Rule
    suggested_points: int
    lift: Lift
    added: bool


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """What a hot threshold would have meant: hot leads per week, precision
    and recall among the reviewed leads, expected conversions per week."""

    threshold: int
    hot_per_week: float
    precision: float | None
    recall: float | None
    expected_per_week: float


@dataclass(frozen=True, slots=True)
class OptimiserSettings:
    """How the optimiser learns. Opportunities are the default target: three
    times as many as wins, and a lead that becomes one is a lead worth a call."""

    target: Target = Target.OPPORTUNITY
    prior_strength: float = PRIOR_STRENGTH
    min_fired: int = MIN_FIRED
    add_candidates: bool = True


@dataclass(frozen=True, slots=True)
class Proposal:
    """The proposed model with everything a reviewer needs to judge it."""

    current: ScoringModel
    model: ScoringModel
    settings: OptimiserSettings
    examples: int
    conversions: int
    log_odds_per_point: float
    rules: tuple[RuleChange, ...]
    candidates: tuple[Candidate, ...]
    capacity_per_week: int | None
    curve: tuple[CurvePoint, ...] = field(default=())
    # Without a known capacity: the hot leads a week the current model made,
    # which the proposal's hot threshold was held to (None: a capacity was
    # known, or there were no leads to count).
    kept_hot_per_week: int | None = None

    @property
    def changed_rules(self) -> list[RuleChange]:
        return [rule for rule in self.rules if rule.new_points != rule.old_points]


# --- statistics -----------------------------------------------------------------


def wilson_interval(
    successes: int, trials: int, z: float = WILSON_Z
) -> tuple[float, float]:
    """The Wilson score interval of a proportion ((0, 1) for no trials)."""
    if trials == 0:
        return 0.0, 1.0
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half / denominator), min(1.0, centre + half / denominator)


def lift_of(converted: int, fired: int, base_rate: float) -> Lift:
    """The Lift of a rule that fired ``fired`` times, ``converted`` of them converting."""
    rate = converted / fired if fired else 0.0
    low, high = wilson_interval(converted, fired)
    if base_rate <= 0 or fired == 0:
        return Lift(fired, converted, rate, low, high, None, None, None)
    return Lift(
        fired, converted, rate, low, high, rate / base_rate, low / base_rate,
        high / base_rate,
    )  # fmt: skip


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1 / (1 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1 + exp)


# A row of the design: (active features with their values, trials, successes,
# offset). Identical rows are merged, so the fit costs per pattern, not per lead.
_Row = tuple[tuple[tuple[int, float], ...], int, int, float]


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve matrix @ x = vector by Gaussian elimination with partial pivoting."""
    size = len(vector)
    a = [[*row, value] for row, value in zip(matrix, vector, strict=True)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(a[row][column]))
        a[column], a[pivot] = a[pivot], a[column]
        lead = a[column][column]
        for row in range(column + 1, size):
            factor = a[row][column] / lead
            if factor:
                for index in range(column, size + 1):
                    a[row][index] -= factor * a[column][index]
    result = [0.0] * size
    for row in range(size - 1, -1, -1):
        total = a[row][size] - sum(
            a[row][index] * result[index] for index in range(row + 1, size)
        )
        result[row] = total / a[row][row]
    return result


def _objective(
    rows: Sequence[_Row],
    weights: Sequence[float],
    means: Sequence[float],
    precisions: Sequence[float],
) -> float:
    loss = 0.0
    for features, trials, successes, offset in rows:
        eta = offset + sum(weights[i] * value for i, value in features)
        # log(1 + e^eta), stable on both sides.
        softplus = (
            eta + math.log1p(math.exp(-eta)) if eta > 0 else math.log1p(math.exp(eta))
        )
        loss += trials * softplus - successes * eta
    return loss + 0.5 * sum(
        p * (w - m) ** 2 for w, m, p in zip(weights, means, precisions, strict=True)
    )


def fit_logistic(
    rows: Sequence[_Row],
    means: Sequence[float],
    precisions: Sequence[float],
    *,
    iterations: int = 50,
) -> list[float]:
    """Penalised maximum likelihood of a logistic model over merged rows.

    ``means``/``precisions``: the Gaussian prior per weight (precision 0: no
    penalty; keep one small positive value so the system stays solvable).
    Newton steps, halved while the objective would rise; starts at the prior.
    """
    weights = list(means)
    size = len(weights)
    current = _objective(rows, weights, means, precisions)
    for _iteration in range(iterations):
        gradient = [
            p * (w - m) for w, m, p in zip(weights, means, precisions, strict=True)
        ]
        hessian = [[0.0] * size for _ in range(size)]
        for index in range(size):
            hessian[index][index] = precisions[index]
        for features, trials, successes, offset in rows:
            eta = offset + sum(weights[i] * value for i, value in features)
            probability = _sigmoid(eta)
            residual = trials * probability - successes
            curvature = trials * probability * (1 - probability)
            for i, value_i in features:
                gradient[i] += residual * value_i
                row = hessian[i]
                for j, value_j in features:
                    row[j] += curvature * value_i * value_j
        step = _solve(hessian, gradient)
        scale = 1.0
        while True:
            trial = [w - scale * s for w, s in zip(weights, step, strict=True)]
            value = _objective(rows, trial, means, precisions)
            if value <= current + 1e-12 or scale < 1e-6:
                break
            scale /= 2
        weights, previous, current = trial, current, value
        if max(abs(scale * s) for s in step) < 1e-7 or previous - current < 1e-10:
            break
    return weights


@dataclass(frozen=True, slots=True)
class Calibration:
    """log-odds of converting = intercept + slope * points."""

    intercept: float
    slope: float

    def probability(self, points: float) -> float:
        return _sigmoid(self.intercept + self.slope * points)


def calibrate(points_and_outcomes: Sequence[tuple[int, bool]]) -> Calibration:
    """Fit conversion ~ points by logistic regression (nearly unpenalised)."""
    merged: Counter[tuple[int, bool]] = Counter(points_and_outcomes)
    by_points: dict[int, list[int]] = {}
    for (points, converted), count in merged.items():
        tally = by_points.setdefault(points, [0, 0])
        tally[0] += count
        tally[1] += count if converted else 0
    rows: list[_Row] = [
        (((0, 1.0), (1, points / TOTAL_MAX)), trials, successes, 0.0)
        for points, (trials, successes) in sorted(by_points.items())
    ]
    successes = sum(row[2] for row in rows)
    trials = sum(row[1] for row in rows)
    base = (successes + 0.5) / (trials + 1)
    intercept, slope = fit_logistic(
        rows, [math.log(base / (1 - base)), 0.0], [1e-3, 1e-3]
    )
    # The slope was fitted per 100 points, which keeps the system well scaled.
    return Calibration(intercept, slope / TOTAL_MAX)


# --- the proposal -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Example:
    fired: frozenset[str]
    converted: bool


def _examples(
    histories: Sequence[LeadHistory], model: ScoringModel, target: Target
) -> list[_Example]:
    reviewed = [history for history in histories if history.conversion.reviewed]
    return [
        _Example(fired, history.conversion.reached(target))
        for history, fired in zip(
            reviewed, fired_rules_of_histories(reviewed, model), strict=True
        )
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_") or "empty"


def _has_condition(model: ScoringModel, condition: Condition) -> bool:
    for rule in model.rules:
        existing = rule.condition
        if existing == condition:
            return True
        if (
            isinstance(condition, FieldEquals)
            and isinstance(existing, FieldIn)
            and existing.field == condition.field
            and len(existing.values) == 1
            and str(existing.values[0]).casefold() == str(condition.value).casefold()
        ):
            return True
    return False


def candidate_rules(
    histories: Sequence[LeadHistory], model: ScoringModel, *, min_fired: int = MIN_FIRED
) -> list[Rule]:
    """Rules the model lacks, from the lead fields and event types seen in
    ``histories``: one per common value of a category field, the quartiles of
    the number fields, and one per event type no rule reads. Points are 0."""
    values: dict[str, Counter[str]] = {name: Counter() for name in _CATEGORY_FIELDS}
    numbers: dict[str, list[int]] = {name: [] for name in _NUMBER_FIELDS}
    event_types: set[EventType] = set()
    for history in histories:
        fields = history.profile.field_values()
        for name in _CATEGORY_FIELDS:
            value = fields.get(name)
            if isinstance(value, str) and value:
                values[name][value.casefold()] += 1
        for name in _NUMBER_FIELDS:
            number = fields.get(name)
            if isinstance(number, int) and not isinstance(number, bool):
                numbers[name].append(number)
        event_types.update(event.type for event in history.events)
    conditions: list[tuple[str, Condition, Texts]] = []
    for name in _CATEGORY_FIELDS:
        for value, count in sorted(values[name].items()):
            if count >= min_fired:
                conditions.append(
                    (
                        f"{name}_{_slug(value)}",
                        FieldEquals(name, value),
                        field_fact(name, value),
                    )
                )
    for name in _NUMBER_FIELDS:
        ordered = sorted(numbers[name])
        if len(ordered) < 4 * min_fired:
            continue
        edges = sorted({ordered[len(ordered) * q // 4] for q in (1, 2, 3)})
        bounds = [None, *edges, None]
        for low, high in itertools.pairwise(bounds):
            maximum = None if high is None else high - 1
            if low is not None and maximum is not None and maximum < low:
                continue
            conditions.append(
                (
                    f"{name}_{low or 0}_{maximum if maximum is not None else 'up'}",
                    FieldRange(name, low, maximum),
                    field_range(name, low, maximum),
                )
            )
    window = event_window(model)
    for event_type in sorted(event_types):
        if not window.reads(event_type):
            conditions.append(
                (
                    f"{event_type.value}_recent",
                    EventCount(event_type, within_days=_CANDIDATE_EVENT_DAYS),
                    event_within(event_type, _CANDIDATE_EVENT_DAYS),
                )
            )
    taken = {rule.name for rule in model.rules}
    rules = []
    for name, condition, label in conditions:
        if _has_condition(model, condition) or f"{CANDIDATE_PREFIX}{name}" in taken:
            continue
        group = Group.INTENT if isinstance(condition, EventCount) else Group.FIT
        rules.append(
            Rule(
                f"{CANDIDATE_PREFIX}{name}",
                group,
                0,
                condition,
                _capitalised(label.en),
                label_nl=_capitalised(label.nl),
                decays=False,
            )
        )
    return rules


def _capitalised(text: str) -> str:
    # Rule labels start with a capital, as the default model's do; "€ 5.000" stays.
    return text[:1].upper() + text[1:]


def _probe_model(rules: Sequence[Rule]) -> ScoringModel:
    """A model that gives every rule 1 point, to see which rules fire.

    Caps do not matter: a clamped group adds an adjustment line but keeps
    every rule's own line in the explanation."""
    return ScoringModel(
        name="probe",
        groups={
            Group.FIT: GroupSettings(TOTAL_MAX - 2),
            Group.INTENT: GroupSettings(1),
            Group.ENGAGEMENT: GroupSettings(1),
        },
        rules=tuple(
            replace(rule, group=Group.FIT, points=1, decays=False) for rule in rules
        ),
    )


def _to_points(points: float, cap: int) -> int:
    return max(-TOTAL_MAX, min(cap, round(points)))


def _group_spread(
    model: ScoringModel,
    examples: Sequence[_Example],
    points: Mapping[str, float],
    group: Group,
) -> float:
    """The 95th percentile of a group's uncapped points among the examples."""
    in_group = {rule.name for rule in model.rules if rule.group is group}
    sums = sorted(
        sum(points[name] for name in example.fired if name in in_group)
        for example in examples
    )
    return sums[int(0.95 * (len(sums) - 1))] if sums else 0.0


def _cap_scale(
    model: ScoringModel,
    examples: Sequence[_Example],
    old: Mapping[str, int],
    new: Mapping[str, float],
) -> float:
    """The factor (at most 1) that keeps the learned points within the caps.

    The logistic model knows no caps: left alone, larger points would push
    most leads against a group's cap, where the scorer can no longer tell
    them apart. So the learned points shrink together until each group's
    95th percentile stays within its cap, or within the current model's own
    spread where that already exceeds the cap. Only their ratio matters: the
    hot threshold is chosen afterwards, on the scaled points."""
    old_points = {name: float(value) for name, value in old.items()}
    scale = 1.0
    for group in Group:
        spread = _group_spread(model, examples, new, group)
        if spread <= 0:
            continue
        limit = max(
            float(model.groups[group].cap),
            _group_spread(model, examples, old_points, group),
        )
        scale = min(scale, limit / spread)
    return scale


def propose(
    current: ScoringModel,
    training: Sequence[LeadHistory],
    *,
    settings: OptimiserSettings | None = None,
) -> Proposal:
    """Propose new points for ``current`` from the reviewed leads in ``training``.

    Returns a Proposal whose model has the new points (and, when
    ``settings.add_candidates``, new rules) but still the current thresholds:
    ``with_capacity_threshold`` sets those. With no reviewed lead or no
    conversion the points stay as they are.
    """
    settings = settings or OptimiserSettings()
    examples = _examples(training, current, settings.target)
    conversions = sum(1 for example in examples if example.converted)
    base_rate = conversions / len(examples) if examples else 0.0
    names = [rule.name for rule in current.rules]
    points = {rule.name: rule.points for rule in current.rules}
    fired_counts: Counter[str] = Counter()
    converted_counts: Counter[str] = Counter()
    for example in examples:
        fired_counts.update(example.fired)
        if example.converted:
            converted_counts.update(example.fired)
    calibration = calibrate(
        [(sum(points[name] for name in e.fired), e.converted) for e in examples]
    )
    per_point = max(calibration.slope, MIN_LOG_ODDS_PER_POINT)
    enough = {name for name in names if fired_counts[name] >= settings.min_fired}
    learnable = bool(examples) and 0 < conversions < len(examples)

    # Weight 0 is the intercept; rules without enough evidence enter as a
    # fixed offset at their prior weight.
    index = {name: position + 1 for position, name in enumerate(sorted(enough))}
    means = [calibration.intercept] + [per_point * points[n] for n in sorted(enough)]
    precisions = [1e-3] + [settings.prior_strength] * len(enough)
    weights = {name: per_point * points[name] for name in names}
    if learnable and enough:
        merged: Counter[frozenset[str]] = Counter()
        merged_conversions: Counter[frozenset[str]] = Counter()
        for example in examples:
            merged[example.fired] += 1
            merged_conversions[example.fired] += int(example.converted)
        rows: list[_Row] = []
        for pattern, trials in merged.items():
            offset = sum(weights[n] for n in pattern if n not in enough)
            features = ((0, 1.0), *((index[n], 1.0) for n in sorted(pattern & enough)))
            rows.append((features, trials, merged_conversions[pattern], offset))
        fitted = fit_logistic(rows, means, precisions)
        intercept = fitted[0]
        for name in enough:
            weights[name] = fitted[index[name]]
    else:
        intercept = calibration.intercept

    learned = enough if learnable else set()
    raw_points = {
        name: (weights[name] / per_point if name in learned else float(points[name]))
        for name in names
    }
    scale = _cap_scale(current, examples, points, raw_points)
    changes = []
    new_rules = []
    for rule in current.rules:
        cap = current.groups[rule.group].cap
        if rule.name in learned:
            new_points = _to_points(scale * raw_points[rule.name], cap)
            status = (
                RuleStatus.CHANGED
                if new_points != rule.points
                else RuleStatus.UNCHANGED
            )
        else:
            new_points = rule.points
            status = (
                RuleStatus.TOO_LITTLE_EVIDENCE
                if rule.name not in enough
                else RuleStatus.UNCHANGED
            )
        lift = lift_of(converted_counts[rule.name], fired_counts[rule.name], base_rate)
        changes.append(
            RuleChange(
                rule.name,
                rule.label,
                rule.group,
                rule.points,
                new_points,
                status,
                lift,
                rule.label_nl,
            )
        )
        new_rules.append(replace(rule, points=new_points))

    candidates = _candidates(
        training, current, examples, weights, intercept, per_point, base_rate,
        settings,
    )  # fmt: skip
    added = [c for c in candidates if c.added]
    for candidate in added:
        new_rules.append(replace(candidate.rule, points=candidate.suggested_points))
        changes.append(
            RuleChange(
                candidate.rule.name, candidate.rule.label, candidate.rule.group, 0,
                candidate.suggested_points, RuleStatus.NEW, candidate.lift,
                candidate.rule.label_nl,
            )
        )  # fmt: skip
    model = replace(current, rules=tuple(new_rules), version=0)
    return Proposal(
        current=current,
        model=model,
        settings=settings,
        examples=len(examples),
        conversions=conversions,
        log_odds_per_point=per_point,
        rules=tuple(changes),
        candidates=tuple(candidates),
        capacity_per_week=None,
    )


def _candidates(
    training: Sequence[LeadHistory],
    current: ScoringModel,
    examples: Sequence[_Example],
    weights: Mapping[str, float],
    intercept: float,
    per_point: float,
    base_rate: float,
    settings: OptimiserSettings,
) -> list[Candidate]:
    reviewed = [history for history in training if history.conversion.reviewed]
    rules = candidate_rules(reviewed, current, min_fired=settings.min_fired)
    if not rules or not examples:
        return []
    probe = _probe_model(rules)
    fired = fired_rules_of_histories(reviewed, probe)
    offsets = [
        intercept + sum(weights[name] for name in example.fired) for example in examples
    ]
    found: list[Candidate] = []
    for rule in rules:
        hits = [i for i, names in enumerate(fired) if rule.name in names]
        if len(hits) < settings.min_fired:
            continue
        converted = sum(1 for i in hits if examples[i].converted)
        lift = lift_of(converted, len(hits), base_rate)
        hit_set = set(hits)
        merged: Counter[tuple[bool, float, bool]] = Counter(
            (i in hit_set, round(offsets[i], 6), example.converted)
            for i, example in enumerate(examples)
        )
        grouped: dict[tuple[bool, float], list[int]] = {}
        for (active, offset, success), count in merged.items():
            tally = grouped.setdefault((active, offset), [0, 0])
            tally[0] += count
            tally[1] += count if success else 0
        rows: list[_Row] = [
            (((0, 1.0),) if active else (), trials, successes, offset)
            for (active, offset), (trials, successes) in grouped.items()
        ]
        (weight,) = fit_logistic(
            rows, [0.0], [settings.prior_strength * CANDIDATE_PRIOR_FACTOR]
        )
        cap = current.groups[rule.group].cap
        suggested = _to_points(weight / per_point, cap)
        found.append(Candidate(rule, suggested, lift, added=False))
    if not settings.add_candidates:
        return sorted(found, key=lambda c: -abs(c.suggested_points))
    best_per_field: dict[str, Candidate] = {}
    for candidate in found:
        if abs(candidate.suggested_points) < MIN_CANDIDATE_POINTS:
            continue
        if not candidate.lift.is_significant:
            continue
        condition = candidate.rule.condition
        key = (
            condition.event_type.value
            if isinstance(condition, EventCount)
            else getattr(condition, "field", candidate.rule.name)
        )
        best = best_per_field.get(key)
        if best is None or abs(candidate.suggested_points) > abs(best.suggested_points):
            best_per_field[key] = candidate
    chosen = sorted(best_per_field.values(), key=lambda c: -abs(c.suggested_points))[
        :MAX_NEW_RULES
    ]
    chosen_names = {c.rule.name for c in chosen}
    marked = [replace(c, added=c.rule.name in chosen_names) for c in found]
    return sorted(marked, key=lambda c: (not c.added, -abs(c.suggested_points)))


# --- the threshold for sales' capacity ----------------------------------------------


def threshold_curve(
    model: ScoringModel,
    volume: Sequence[LeadHistory],
    volume_weeks: int,
    reviewed: Sequence[LeadHistory],
    target: Target,
) -> tuple[CurvePoint, ...]:
    """Every hot threshold 1-100 with its hot leads per week (over the leads
    of ``volume``, judged in ``volume_weeks`` weeks), its precision and recall
    among the ``reviewed`` leads, and its expected conversions per week."""
    volume_totals = score_histories(volume, model)
    labelled = [h for h in reviewed if h.conversion.reviewed]
    labelled_totals = score_histories(labelled, model)
    outcomes = [h.conversion.reached(target) for h in labelled]
    calibration = calibrate(list(zip(labelled_totals, outcomes, strict=True)))
    all_conversions = sum(outcomes)
    weeks = max(volume_weeks, 1)
    curve = []
    for threshold in range(1, TOTAL_MAX + 1):
        hot_totals = [t for t in volume_totals if t >= threshold]
        picked = [
            o for t, o in zip(labelled_totals, outcomes, strict=True) if t >= threshold
        ]
        hits = sum(picked)
        curve.append(
            CurvePoint(
                threshold=threshold,
                hot_per_week=len(hot_totals) / weeks,
                precision=hits / len(picked) if picked else None,
                recall=hits / all_conversions if all_conversions else None,
                expected_per_week=sum(calibration.probability(t) for t in hot_totals)
                / weeks,
            )
        )
    return tuple(curve)


def choose_threshold(curve: Sequence[CurvePoint], capacity_per_week: int) -> int:
    """The threshold with the most expected conversions per week among those
    that keep hot leads per week within capacity (the highest threshold when
    none does). Ties go to the higher threshold: fewer calls, same yield."""
    fitting = [point for point in curve if point.hot_per_week <= capacity_per_week]
    if not fitting:
        return TOTAL_MAX
    best = max(
        fitting, key=lambda point: (round(point.expected_per_week, 9), point.threshold)
    )
    return max(best.threshold, 2)


def current_hot_per_week(
    model: ScoringModel, volume: Sequence[LeadHistory], volume_weeks: int
) -> int:
    """The leads a week ``model`` makes hot among ``volume`` (judged in
    ``volume_weeks`` weeks), rounded up, and at least one."""
    hot = sum(1 for t in score_histories(volume, model) if t >= model.thresholds.hot)
    return max(1, math.ceil(hot / max(volume_weeks, 1)))


def with_hot_threshold(model: ScoringModel, hot: int) -> ScoringModel:
    """``model`` with hot threshold ``hot``; warm moves down only if it must."""
    warm = min(model.thresholds.warm, hot - 1)
    return replace(model, thresholds=Thresholds(warm=max(warm, 1), hot=hot))


def with_capacity_threshold(
    proposal: Proposal,
    *,
    volume: Sequence[LeadHistory],
    volume_weeks: int,
    reviewed: Sequence[LeadHistory],
    capacity_per_week: int,
) -> Proposal:
    """The proposal with the hot threshold that fits sales' weekly capacity.

    ``volume``: the leads judged in the last ``volume_weeks`` weeks (how many
    would be hot per week); ``reviewed``: the training leads (precision,
    recall and the chance to convert per score)."""
    curve = threshold_curve(
        proposal.model, volume, volume_weeks, reviewed, proposal.settings.target
    )
    hot = choose_threshold(curve, capacity_per_week)
    return replace(
        proposal,
        model=with_hot_threshold(proposal.model, hot),
        capacity_per_week=capacity_per_week,
        curve=curve,
    )


# --- the whole run ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Optimisation:
    """A proposal and the backtest of the current and the proposed model."""

    proposal: Proposal
    weeks: int
    capacity_per_week: int | None
    training_leads: int
    current: Backtest
    # The current points with a hot threshold fitted to the same capacity:
    # the fair comparison for the proposal's threshold.
    current_at_capacity: Backtest | None
    proposed: Backtest


def optimise(
    current: ScoringModel,
    histories: Sequence[LeadHistory],
    *,
    ends_at: datetime,
    weeks: int,
    capacity_per_week: int | None,
    settings: OptimiserSettings | None = None,
) -> Optimisation:
    """Propose a model from the leads judged before the last ``weeks`` weeks
    before ``ends_at``, and replay those weeks under the current and the
    proposed model.

    The proposal never learns from the replayed leads' outcomes, so the
    backtest is out of sample. Its hot threshold fits ``capacity_per_week``
    on the volume of the ``weeks`` weeks before the replay; without a
    capacity it fits the current model's hot leads a week in those weeks
    (``Proposal.kept_hot_per_week``), and without leads then, or without
    changed points, it keeps the current thresholds.
    """
    window_starts_at = ends_at - timedelta(days=7 * weeks)
    training = [h for h in histories if h.decided_at < window_starts_at]
    proposal = propose(current, training, settings=settings)
    volume = in_window(training, ends_at=window_starts_at, weeks=weeks)
    current_at_capacity: ScoringModel | None = None
    if capacity_per_week is not None and volume:
        proposal = with_capacity_threshold(
            proposal,
            volume=volume,
            volume_weeks=weeks,
            reviewed=training,
            capacity_per_week=capacity_per_week,
        )
        curve = threshold_curve(
            current, volume, weeks, training, proposal.settings.target
        )
        current_at_capacity = with_hot_threshold(
            current, choose_threshold(curve, capacity_per_week)
        )
    elif volume and proposal.changed_rules:
        # New points move every total, so a hot threshold kept at its number
        # can make far more or no leads hot. Without a capacity the proposal
        # keeps sales' present load: at most the current model's hot leads a week.
        kept = current_hot_per_week(current, volume, weeks)
        proposal = replace(
            with_capacity_threshold(
                proposal,
                volume=volume,
                volume_weeks=weeks,
                reviewed=training,
                capacity_per_week=kept,
            ),
            capacity_per_week=None,
            kept_hot_per_week=kept,
        )
    replay = in_window(histories, ends_at=ends_at, weeks=weeks)
    current_totals = score_histories(replay, current)

    def backtest(model: ScoringModel, totals: Sequence[int] | None = None) -> Backtest:
        return run_backtest(
            replay,
            model,
            ends_at=ends_at,
            weeks=weeks,
            capacity_per_week=capacity_per_week,
            totals=totals,
        )

    return Optimisation(
        proposal=proposal,
        weeks=weeks,
        capacity_per_week=capacity_per_week,
        training_leads=len(training),
        current=backtest(current, current_totals),
        current_at_capacity=(
            backtest(current_at_capacity, current_totals)
            if current_at_capacity is not None
            else None
        ),
        proposed=backtest(proposal.model),
    )
