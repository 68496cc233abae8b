"""The scoring model's versions, and the review of a draft (#13, "people decide").

A marketer reads a draft beside the version it was based on: per rule old and
new points with the optimiser's evidence, the new thresholds on their
precision/recall curve, and the backtest of both models, all from the draft's
stored ``proposal`` (nothing is recomputed here). They may change points by
hand (validated by the model file parser), then approve (the draft becomes
the active version and every lead is rescored in the background) or reject
with a reason. Versions download as TOML, and an uploaded TOML file becomes a
new draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.contrib import messages
from django.db.models import OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import (
    get_language,
    gettext,
    gettext_lazy,
    ngettext,
    pgettext,
)
from django.views.decorators.http import require_GET, require_POST
from django_stubs_ext import StrOrPromise

from leadqual.core.errors import DraftAlreadyDecided, InvalidScoringModel
from leadqual.core.model_file import (
    BAND_KEYS,
    parse_scoring_model,
    typed_whole_number,
)
from leadqual.core.optimiser import CANDIDATE_PREFIX, RuleStatus
from leadqual.core.scoring import Group, ScoringModel
from leadqual.insights.presentation import (
    NONE_TEXT,
    format_count,
    format_decimal,
    format_percent,
)
from leadqual.paging import CappedCount, CountUpTo, list_count_cap
from leadqual.privacy.audit import AuditAction, audit
from leadqual.scoring.models import DraftDecision, Score, ScoringModelVersion
from leadqual.scoring.services import (
    approve_draft,
    change_draft_points,
    change_draft_thresholds,
    parsed_model,
    reject_draft,
    store_draft_scoring_model,
)
from leadqual.triage.jobs import propose_scoring_model, requalify_all_leads
from leadqual.triage.optimiser import DEFAULT_WEEKS, team_capacity_per_week
from leadqual.users.permissions import role_required
from leadqual.users.roles import Role
from leadqual.web.helpers import (
    MAX_REASON_LENGTH,
    UNPROCESSABLE,
    decided_already,
    display_name,
    rejection_reason_problem,
    signed_in_user,
)

# Marketing reviews the model; admins may too. Sales never sees these pages.
REVIEWERS = (Role.MARKETING, Role.ADMIN)
# A model file is a few kilobytes; the default one is under 10 KB.
MAX_MODEL_FILE_BYTES = 256 * 1024
CURVE_STEP = 5
GROUP_LABELS = {
    Group.FIT: gettext_lazy("Fit"),
    Group.INTENT: gettext_lazy("Intent"),
    Group.ENGAGEMENT: gettext_lazy("Engagement"),
    Group.AI: gettext_lazy("AI (predictive model)"),
}


def _is_dutch() -> bool:
    return (get_language() or "").startswith("nl")


def _version_or_404(version: int) -> ScoringModelVersion:
    row = (
        ScoringModelVersion.objects.select_related("decided_by")
        .filter(version=version)
        .first()
    )
    if row is None:
        raise Http404
    return row


def _when(moment: datetime | None) -> str:
    if moment is None:
        return NONE_TEXT
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _signed(number: int) -> str:
    if number == 0:
        return "0"
    return f"+{number}" if number > 0 else f"\N{MINUS SIGN}{abs(number)}"


# --- status ---------------------------------------------------------------------------


def status_of(row: ScoringModelVersion) -> tuple[str, StrOrPromise]:
    """The version's status key and label: active, draft, rejected, retired or
    stored (never active)."""
    if row.is_active:
        return "active", gettext("Active")
    if row.decision == DraftDecision.REJECTED:
        return "rejected", gettext("Rejected")
    if row.is_draft:
        return "draft", gettext("Draft, waiting for review")
    if row.activated_at is not None:
        return "retired", gettext("Retired")
    return "stored", gettext("Stored, never active")


# --- the list ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    name: str
    status: str
    status_label: StrOrPromise
    created_at: str
    decided: str
    scores: str
    is_open_draft: bool


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Scoring model file (TOML)"))


# The optimiser learns from a year of outcomes (TRAINING_DAYS): a replay of
# more than half of it would leave too little to learn from.
MAX_OPTIMISER_WEEKS = 26
MAX_CAPACITY_PER_WEEK = 10_000


_WEEKS_ERROR = gettext_lazy("Weeks must be a whole number from 1 to 26, such as 8.")
_CAPACITY_ERROR = gettext_lazy(
    "The capacity must be a whole number of leads a week, 1 or more, such as 30. "
    "Leave it empty to use the owners' capacities."
)


class OptimiseForm(forms.Form):
    """The optimiser's inputs, as `leadqual optimise --weeks N --capacity N`."""

    weeks = forms.IntegerField(
        label=gettext_lazy("Weeks to replay"),
        min_value=1,
        max_value=MAX_OPTIMISER_WEEKS,
        error_messages={
            "required": gettext_lazy("Say how many recent weeks to replay."),
            "invalid": _WEEKS_ERROR,
            "min_value": _WEEKS_ERROR,
            "max_value": _WEEKS_ERROR,
        },
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Leads sales can contact a week"),
        required=False,
        min_value=1,
        max_value=MAX_CAPACITY_PER_WEEK,
        error_messages={
            "invalid": _CAPACITY_ERROR,
            "min_value": _CAPACITY_ERROR,
            "max_value": gettext_lazy(
                "The capacity can be at most %(limit_value)s leads a week."
            ),
        },
    )


def _optimise_form() -> OptimiseForm:
    return OptimiseForm(
        initial={"weeks": DEFAULT_WEEKS, "capacity": team_capacity_per_week()}
    )


def _version_rows() -> list[VersionRow]:
    cap = list_count_cap()
    rows = (
        ScoringModelVersion.objects.select_related("decided_by")
        # Counted as far as lists count: the exact number past it says nothing
        # more about a version, and counting them all grows with the history.
        .annotate(
            score_count=CountUpTo(
                Score.objects.filter(scoring_model=OuterRef("pk")), cap + 1
            )
        )
        .order_by("-version")
    )
    result = []
    for row in rows:
        status, label = status_of(row)
        decided = ""
        if row.decided_at is not None:
            decided = gettext("%(decision)s by %(person)s, %(when)s") % {
                "decision": row.get_decision_display(),
                "person": display_name(row.decided_by) or NONE_TEXT,
                "when": _when(row.decided_at),
            }
        result.append(
            VersionRow(
                version=row.version,
                name=row.name,
                status=status,
                status_label=label,
                created_at=_when(row.created_at),
                decided=decided,
                scores=str(CappedCount(value=row.score_count, cap=cap)),
                is_open_draft=row.is_open_draft,
            )
        )
    return result


def _render_list(
    request: HttpRequest,
    form: ImportForm,
    *,
    optimise_form: OptimiseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "scoring/version_list.html",
        {
            "rows": _version_rows(),
            "form": form,
            "optimise_form": optimise_form or _optimise_form(),
            "max_kilobytes": MAX_MODEL_FILE_BYTES // 1024,
        },
        status=status,
    )


@require_GET
@role_required(*REVIEWERS)
def version_list(request: HttpRequest) -> HttpResponse:
    """Every version, newest first: active, drafts, rejected and retired ones."""
    return _render_list(request, ImportForm())


# --- the review ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleLine:
    name: str
    label: str
    shows_name: bool
    group: StrOrPromise
    old_points: str
    new_points: int
    change: str
    change_class: str
    fired: str
    lift: str
    note: str
    typed: str
    error: str


@dataclass(frozen=True, slots=True)
class ThresholdLine:
    key: str
    title: StrOrPromise
    old: str
    new: int
    change: str
    change_class: str
    note: str
    typed: str
    error: str


@dataclass(frozen=True, slots=True)
class CandidateLine:
    name: str
    label: str
    suggested_points: str
    fired: str
    lift: str


@dataclass(frozen=True, slots=True)
class CurveLine:
    threshold: int
    hot_per_week: str
    precision: str
    recall: str
    expected_per_week: str
    mark: str


@dataclass(frozen=True, slots=True)
class BacktestRow:
    """One model's results in one replayed week (or all weeks)."""

    week: str
    model: StrOrPromise
    model_key: str
    cells: list[tuple[str, str]]
    starts_week: bool
    is_total: bool = False


@dataclass(frozen=True, slots=True)
class Backtest:
    """The backtest per model: the totals side by side, then week by week.

    ``models``: (key, title, hot threshold) of each replayed model, current
    first; ``totals``: per measure its label and per model (key, title, value)."""

    models: list[tuple[str, StrOrPromise, str]]
    totals: list[tuple[str, list[tuple[str, StrOrPromise, str]]]]
    rows: list[BacktestRow]


@dataclass
class Review:
    """What the review page shows of one version, built from stored values."""

    row: ScoringModelVersion
    status: str
    status_label: StrOrPromise
    based_on: int | None
    facts: list[tuple[StrOrPromise, str]]
    rules: list[RuleLine]
    candidates_added: list[CandidateLine]
    candidates_left: list[CandidateLine]
    thresholds: list[ThresholdLine]
    curve: list[CurveLine]
    backtest: Backtest | None
    has_evidence: bool
    # False for a version with no version to compare with (the first one):
    # its points are shown as they are, not as a diff of "new" rules.
    compared: bool = True
    field_errors: dict[str, str] = field(default_factory=dict)
    # The active version when it is not the one the draft was compared with.
    active_since_then: int | None = None
    # The proposal's hot threshold when, in the backtest, it made none of the
    # replayed leads hot: approved as it is, sales would get none.
    no_hot_leads_from: int | None = None

    @property
    def has_errors(self) -> bool:
        """A typed point or threshold was refused: the page says so at its top."""
        return any(rule.error for rule in self.rules) or any(
            line.error for line in self.thresholds
        )

    @property
    def curve_marked(self) -> list[CurveLine]:
        """The current and the proposed threshold's points of the curve."""
        return [line for line in self.curve if line.mark]


def _dict(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Mapping[str, object]]:
    return (
        [item for item in value if isinstance(item, dict)]
        if isinstance(value, list)
        else []
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _lift_text(item: Mapping[str, object]) -> str:
    lift = _float(item.get("lift"))
    if lift is None:
        return NONE_TEXT
    low, high = _float(item.get("lift_low")), _float(item.get("lift_high"))
    if low is None or high is None:
        return format_decimal(lift, 2)
    return gettext("%(lift)s (%(low)s to %(high)s)") % {
        "lift": format_decimal(lift, 2),
        "low": format_decimal(low, 2),
        "high": format_decimal(high, 2),
    }


def _count_text(value: object) -> str:
    number = _int(value)
    return NONE_TEXT if number is None else format_count(number)


def _rule_label(model: ScoringModel, name: str) -> str:
    for rule in model.rules:
        if rule.name == name:
            return (rule.label_nl or rule.label) if _is_dutch() else rule.label
    return name


def _note(status: str, *, proposed: int | None, new_points: int) -> str:
    notes = {
        RuleStatus.CHANGED.value: gettext("Changed on the evidence"),
        RuleStatus.UNCHANGED.value: gettext("The evidence supports the points"),
        RuleStatus.TOO_LITTLE_EVIDENCE.value: gettext("Too little evidence: unchanged"),
        RuleStatus.NEW.value: gettext("New rule"),
    }
    note = notes.get(status, "")
    if proposed is not None and proposed != new_points:
        edited = gettext("changed by hand (the optimiser proposed %(points)s)") % {
            "points": proposed
        }
        note = f"{note}; {edited}" if note else edited
    return note


def _rule_lines(
    model: ScoringModel,
    base: ScoringModel | None,
    proposal: Mapping[str, object],
    typed: Mapping[str, str],
    errors: Mapping[str, str],
) -> list[RuleLine]:
    evidence = {str(item.get("name")): item for item in _list(proposal.get("rules"))}
    for item in _list(proposal.get("candidates")):
        if item.get("added"):
            evidence.setdefault(
                str(item.get("name")),
                {**item, "status": RuleStatus.NEW.value, "new_points": None},
            )
    old = {rule.name: rule.points for rule in base.rules} if base else {}
    lines = []
    for rule in model.rules:
        item = evidence.get(rule.name, {})
        previous = old.get(rule.name)
        change = rule.points - previous if previous is not None else None
        proposed = _int(item.get("new_points", item.get("suggested_points")))
        lines.append(
            RuleLine(
                name=rule.name,
                label=_rule_label(model, rule.name),
                # A proposed rule's name is made up from its condition: its
                # label says the same in the reader's language.
                shows_name=not rule.name.startswith(CANDIDATE_PREFIX),
                group=GROUP_LABELS[rule.group],
                old_points=NONE_TEXT if previous is None else str(previous),
                new_points=rule.points,
                change=gettext("new") if change is None else _signed(change),
                change_class=(
                    "points-pos"
                    if change is None or change > 0
                    else "points-neg"
                    if change < 0
                    else "muted"
                ),
                fired=_count_text(item.get("fired")),
                lift=_lift_text(item) if item else NONE_TEXT,
                note=(
                    _note(
                        str(item.get("status", "")),
                        proposed=proposed,
                        new_points=rule.points,
                    )
                    if item
                    else (gettext("New rule") if previous is None else "")
                ),
                typed=typed.get(rule.name, str(rule.points)),
                error=errors.get(rule.name, ""),
            )
        )
    return lines


def _evidence_label(item: Mapping[str, object]) -> str:
    """The stored label of a rule or candidate in the page's language.

    Proposals stored before candidates had Dutch labels fall back to the
    English one, never to the rule's name."""
    english = str(item.get("label") or item.get("name", ""))
    if _is_dutch():
        return str(item.get("label_nl") or english)
    return english


def _change_class(change: int | None) -> str:
    if change is None or change > 0:
        return "points-pos"
    return "points-neg" if change < 0 else "muted"


def _threshold_note(key: str, new: int, proposal: Mapping[str, object]) -> str:
    """Where the threshold came from: the optimiser (for the team's capacity)
    or a person who changed the optimiser's value."""
    proposed = _int(_dict(proposal.get(f"{key}_threshold")).get("new"))
    if proposed is None:
        return ""
    if proposed != new:
        return gettext("changed by hand (the optimiser proposed %(points)s)") % {
            "points": proposed
        }
    if proposed == _int(_dict(proposal.get(f"{key}_threshold")).get("old")):
        # The optimiser left it as it was: nothing to explain.
        return ""
    capacity = _int(proposal.get("capacity_per_week"))
    if key == "hot" and capacity is not None:
        return gettext(
            "The sales-ready threshold the optimiser proposes for a capacity of "
            "%(capacity)s leads a week"
        ) % {"capacity": capacity}
    kept = _int(proposal.get("kept_hot_per_week"))
    if key == "hot" and kept is not None:
        return gettext(
            "The sales-ready threshold that keeps at most the %(count)s hot leads a "
            "week the current model made, since sales' capacity was not known"
        ) % {"count": kept}
    return gettext("Proposed by the optimiser")


def _threshold_lines(
    model: ScoringModel,
    base: ScoringModel | None,
    proposal: Mapping[str, object],
    typed: Mapping[str, str],
    errors: Mapping[str, str],
) -> list[ThresholdLine]:
    lines = []
    for key, title in (("hot", gettext("Hot from")), ("warm", gettext("Warm from"))):
        new = getattr(model.thresholds, key)
        old = getattr(base.thresholds, key) if base is not None else None
        change = new - old if old is not None else None
        lines.append(
            ThresholdLine(
                key=key,
                title=title,
                old=NONE_TEXT if old is None else str(old),
                new=new,
                change=NONE_TEXT if change is None else _signed(change),
                change_class=_change_class(change),
                note=_threshold_note(key, new, proposal),
                typed=typed.get(key, str(new)),
                error=errors.get(key, ""),
            )
        )
    return lines


def _candidate_lines(
    proposal: Mapping[str, object], *, added: bool
) -> list[CandidateLine]:
    return [
        CandidateLine(
            name=str(item.get("name", "")),
            label=_evidence_label(item),
            suggested_points=_count_text(item.get("suggested_points")),
            fired=_count_text(item.get("fired")),
            lift=_lift_text(item),
        )
        for item in _list(proposal.get("candidates"))
        if bool(item.get("added")) is added
    ]


def _curve_lines(proposal: Mapping[str, object]) -> list[CurveLine]:
    hot = _dict(proposal.get("hot_threshold"))
    old, new = _int(hot.get("old")), _int(hot.get("new"))
    lines = []
    for point in _list(proposal.get("curve")):
        threshold = _int(point.get("threshold"))
        if threshold is None:
            continue
        if threshold % CURVE_STEP and threshold not in (old, new):
            continue
        marks = []
        if threshold == old:
            marks.append(gettext("current"))
        if threshold == new:
            marks.append(gettext("proposed"))
        hot_per_week = _float(point.get("hot_per_week"))
        expected = _float(point.get("expected_per_week"))
        lines.append(
            CurveLine(
                threshold=threshold,
                hot_per_week=(
                    NONE_TEXT if hot_per_week is None else format_decimal(hot_per_week)
                ),
                precision=format_percent(_float(point.get("precision")), 0),
                recall=format_percent(_float(point.get("recall")), 0),
                expected_per_week=(
                    NONE_TEXT if expected is None else format_decimal(expected, 2)
                ),
                mark=", ".join(marks),
            )
        )
    return lines


def _backtest_measures() -> list[tuple[str, str, bool]]:
    return [
        ("hot", gettext("Hot leads"), False),
        ("accepted_rate", gettext("Accepted"), True),
        ("opportunity_rate", gettext("Opportunity"), True),
        ("won_rate", gettext("Won"), True),
        ("missed_won", gettext("Won but not hot"), False),
    ]


def _measure_text(week: Mapping[str, object], key: str, *, rate: bool) -> str:
    if rate:
        return format_percent(_float(week.get(key)), 0)
    return _count_text(week.get(key))


def _backtest(proposal: Mapping[str, object]) -> Backtest | None:
    """The stored backtest of the current model, the current points at the
    threshold fitted to the same capacity (when a capacity was known) and
    the proposal: the middle one is the fair comparison for the proposal."""
    stored = _dict(proposal.get("backtest"))
    titles: Sequence[tuple[str, StrOrPromise]] = (
        ("current", gettext("Current model")),
        ("current_at_capacity", gettext("Current model at the capacity threshold")),
        ("proposed", gettext("Proposed model")),
    )
    runs = [
        (key, title, _dict(stored.get(key)))
        for key, title in titles
        if _dict(stored.get(key)).get("total")
    ]
    if not any(key == "proposed" for key, _title, _run in runs):
        return None
    measures = _backtest_measures()
    models = [
        (key, title, _count_text(run.get("hot_threshold"))) for key, title, run in runs
    ]
    totals = [
        (
            label,
            [
                (model_key, title, _measure_text(_dict(run["total"]), key, rate=rate))
                for model_key, title, run in runs
            ],
        )
        for key, label, rate in measures
    ]
    rows: list[BacktestRow] = []
    week_lists = [_list(run.get("weeks")) for *_, run in runs]
    for index in range(min(len(weeks) for weeks in week_lists)):
        starts = parse_datetime(str(week_lists[0][index].get("starts_at", "")))
        title = (
            date_format(timezone.localtime(starts), "SHORT_DATE_FORMAT")
            if starts is not None
            else NONE_TEXT
        )
        for position, (model_key, model_title, _run) in enumerate(runs):
            week = week_lists[position][index]
            rows.append(
                BacktestRow(
                    week=title,
                    model=model_title,
                    model_key=model_key,
                    cells=[
                        (label, _measure_text(week, key, rate=rate))
                        for key, label, rate in measures
                    ],
                    starts_week=position == 0,
                )
            )
    return Backtest(models=models, totals=totals, rows=rows)


def _facts(
    row: ScoringModelVersion, proposal: Mapping[str, object]
) -> list[tuple[StrOrPromise, str]]:
    facts: list[tuple[StrOrPromise, str]] = [
        (gettext("Created"), _when(row.created_at)),
    ]
    if row.decided_at is not None:
        facts.append(
            (
                row.get_decision_display(),
                gettext("%(when)s by %(person)s")
                % {
                    "when": _when(row.decided_at),
                    "person": display_name(row.decided_by) or NONE_TEXT,
                },
            )
        )
        if row.decision_reason:
            facts.append((gettext("Reason"), row.decision_reason))
    predictive = _int(proposal.get("ai_group_for_predictive_model"))
    if predictive is not None:
        facts.append(
            (
                pgettext("how a scoring model version came about", "Made"),
                gettext(
                    "by adding the AI group when predictive model v%(version)s "
                    "was approved; the rules kept their points"
                )
                % {"version": predictive},
            )
        )
    if proposal.get("imported_from"):
        facts.append((gettext("Imported from"), str(proposal["imported_from"])))
    examples = _int(proposal.get("examples"))
    if examples is not None:
        learnt = {
            "accepted": gettext(
                "%(examples)s reviewed leads, of which %(conversions)s were "
                "accepted by sales"
            ),
            "won": gettext(
                "%(examples)s reviewed leads, of which %(conversions)s were won"
            ),
        }.get(
            str(proposal.get("target")),
            gettext(
                "%(examples)s reviewed leads, of which %(conversions)s became "
                "an opportunity"
            ),
        )
        facts.append(
            (
                gettext("Learnt from"),
                learnt
                % {
                    "examples": format_count(examples),
                    "conversions": _count_text(proposal.get("conversions")),
                },
            )
        )
    weeks = _int(proposal.get("weeks"))
    if weeks is not None:
        capacity = _int(proposal.get("capacity_per_week"))
        kept = _int(proposal.get("kept_hot_per_week"))
        if capacity is not None:
            backtest = gettext(
                "the last %(weeks)s weeks; capacity %(capacity)s leads a week"
            )
        elif kept is not None:
            backtest = gettext(
                "the last %(weeks)s weeks; sales' capacity was not known, so the "
                "hot threshold keeps at most the %(kept)s hot leads a week the "
                "current model made (set the salespeople's capacity, or type it "
                "when you run the optimiser)"
            )
        else:
            backtest = gettext(
                "the last %(weeks)s weeks; sales' capacity was not known, so the "
                "hot threshold was not fitted to it (set the salespeople's "
                "capacity, or type it when you run the optimiser)"
            )
        facts.append(
            (
                gettext("Backtest"),
                backtest % {"weeks": weeks, "capacity": capacity, "kept": kept},
            )
        )
    return facts


def build_review(
    row: ScoringModelVersion,
    *,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    typed_thresholds: Mapping[str, str] | None = None,
    threshold_errors: Mapping[str, str] | None = None,
) -> Review:
    """The review of ``row`` from its source and stored proposal; ``typed``
    and ``errors`` per rule name, ``typed_thresholds`` and
    ``threshold_errors`` per band key, when a change was refused."""
    proposal = _dict(row.proposal)
    model = parse_scoring_model(row.source, version=row.version)
    based_on = _int(proposal.get("based_on_version"))
    base_row = (
        ScoringModelVersion.objects.filter(version=based_on).first()
        if based_on is not None
        else None
    )
    base = parsed_model(base_row) if base_row is not None else None
    status, label = status_of(row)
    active = ScoringModelVersion.objects.filter(is_active=True).first()
    thresholds = _threshold_lines(
        model, base, proposal, typed_thresholds or {}, threshold_errors or {}
    )
    return Review(
        row=row,
        status=status,
        status_label=label,
        based_on=based_on,
        facts=_facts(row, proposal),
        rules=_rule_lines(model, base, proposal, typed or {}, errors or {}),
        candidates_added=_candidate_lines(proposal, added=True),
        candidates_left=_candidate_lines(proposal, added=False)[:10],
        thresholds=thresholds,
        curve=_curve_lines(proposal),
        backtest=_backtest(proposal),
        has_evidence="rules" in proposal,
        compared=base is not None,
        field_errors=dict(errors or {}),
        active_since_then=(
            active.version
            if row.is_open_draft and active is not None and active.version != based_on
            else None
        ),
        no_hot_leads_from=(_no_hot_leads_from(proposal) if row.is_open_draft else None),
    )


def _no_hot_leads_from(proposal: Mapping[str, object]) -> int | None:
    """The proposed hot threshold when the backtest replayed leads but made
    none of them hot under the proposal; else None."""
    proposed_run = _dict(_dict(proposal.get("backtest")).get("proposed"))
    proposed = _dict(proposed_run.get("total"))
    if _int(proposed.get("hot")) != 0 or not _int(proposed.get("leads")):
        return None
    return _int(proposed_run.get("hot_threshold"))


def _render_review(
    request: HttpRequest,
    review: Review,
    *,
    status: int = 200,
    form_errors: Mapping[str, str] | None = None,
    reason: str = "",
) -> HttpResponse:
    return render(
        request,
        "scoring/version_review.html",
        {
            "review": review,
            "row": review.row,
            "errors": form_errors or {},
            "reason": reason,
            "max_reason_length": MAX_REASON_LENGTH,
        },
        status=status,
    )


@require_GET
@role_required(*REVIEWERS)
def version_detail(request: HttpRequest, version: int) -> HttpResponse:
    """One version: for an open draft the review with its actions."""
    return _render_review(request, build_review(_version_or_404(version)))


def _decided_already(request: HttpRequest, version: int) -> HttpResponse:
    return decided_already(request, version, detail="scoring_models:version-detail")


@require_POST
@role_required(*REVIEWERS)
def version_points(request: HttpRequest, version: int) -> HttpResponse:
    """Store points typed per rule into the open draft, all or nothing."""
    row = _version_or_404(version)
    if not row.is_open_draft:
        return _decided_already(request, version)
    model = parsed_model(row)
    typed = {
        rule.name: request.POST.get(f"points-{rule.name}", str(rule.points))
        for rule in model.rules
    }
    changed = {
        name: text
        for name, text in typed.items()
        if text.strip() != str(next(r.points for r in model.rules if r.name == name))
    }
    if not changed:
        messages.info(request, gettext("No points changed."))
        return redirect("scoring_models:version-detail", version=version)
    try:
        change_draft_points(version, changed)
    except DraftAlreadyDecided:
        return _decided_already(request, version)
    except InvalidScoringModel as error:
        errors = {
            name: gettext(
                "“%(value)s” cannot be used: points are a whole number, "
                "such as 10 or -5."
            )
            % {"value": typed[name]}
            for name in error.fields
        }
        review = build_review(row, typed=typed, errors=errors)
        return _render_review(request, review, status=UNPROCESSABLE)
    audit(
        request.user,
        AuditAction.CHANGED,
        None,
        detail=f"scoring model v{version}: points of {', '.join(sorted(changed))}",
    )
    messages.success(
        request,
        ngettext(
            "Points of %(count)s rule changed in draft version %(version)s.",
            "Points of %(count)s rules changed in draft version %(version)s.",
            len(changed),
        )
        % {"count": len(changed), "version": version},
    )
    return redirect("scoring_models:version-detail", version=version)


def _threshold_error(key: str, typed: Mapping[str, str]) -> str:
    """Why a typed threshold cannot be used, in the reader's language."""
    number = typed_whole_number(typed.get(key, ""))
    if number is None:
        return gettext(
            "“%(value)s” cannot be used: a threshold is a whole number from 1 to "
            "100, such as 40 or 70."
        ) % {"value": typed.get(key, "")}
    if key == "warm" and number <= 0:
        return gettext("The warm band must start above 0 points.")
    if key == "hot" and number > 100:
        return gettext("The hot band must start at 100 points or lower.")
    return gettext(
        "Warm must start below hot (0 < warm < hot <= 100), for example warm "
        "40 and hot 70."
    )


@require_POST
@role_required(*REVIEWERS)
def version_thresholds(request: HttpRequest, version: int) -> HttpResponse:
    """Store the warm and hot thresholds typed into the open draft, both or neither."""
    row = _version_or_404(version)
    if not row.is_open_draft:
        return _decided_already(request, version)
    thresholds = parsed_model(row).thresholds
    typed = {
        key: request.POST.get(key, str(getattr(thresholds, key))) for key in BAND_KEYS
    }
    changed = {
        key: text
        for key, text in typed.items()
        if text.strip() != str(getattr(thresholds, key))
    }
    if not changed:
        messages.info(request, gettext("No thresholds changed."))
        return redirect("scoring_models:version-detail", version=version)
    try:
        change_draft_thresholds(version, typed)
    except DraftAlreadyDecided:
        return _decided_already(request, version)
    except InvalidScoringModel as error:
        errors = {key: _threshold_error(key, typed) for key in error.fields}
        review = build_review(row, typed_thresholds=typed, threshold_errors=errors)
        return _render_review(request, review, status=UNPROCESSABLE)
    audit(
        request.user,
        AuditAction.CHANGED,
        None,
        detail=(
            f"scoring model v{version}: thresholds "
            + ", ".join(f"{key} {typed[key].strip()}" for key in sorted(changed))
        ),
    )
    messages.success(
        request,
        gettext("Thresholds changed in draft version %(version)s.")
        % {"version": version},
    )
    return redirect("scoring_models:version-detail", version=version)


@require_POST
@role_required(*REVIEWERS)
def version_approve(request: HttpRequest, version: int) -> HttpResponse:
    """Publish the open draft after the reviewer ticked the confirmation."""
    row = _version_or_404(version)
    if not row.is_open_draft:
        return _decided_already(request, version)
    if request.POST.get("confirm") != "yes":
        return _render_review(
            request,
            build_review(row),
            status=UNPROCESSABLE,
            form_errors={
                "confirm": gettext(
                    "Tick the box to confirm: approving changes every lead's score."
                )
            },
        )
    user = signed_in_user(request)
    try:
        approve_draft(version, by=user, now=timezone.now())
    except DraftAlreadyDecided:
        return _decided_already(request, version)
    audit(user, AuditAction.MODEL_APPROVED, None, detail=f"scoring model v{version}")
    # After the commit: the worker rescores every lead under the new version
    # and triages the band changes (at once when tasks run immediately).
    requalify_all_leads()
    messages.success(
        request,
        gettext(
            "Version %(version)s is now the active scoring model. Every lead is "
            "being rescored with it in the background."
        )
        % {"version": version},
    )
    return redirect("scoring_models:version-detail", version=version)


@require_POST
@role_required(*REVIEWERS)
def version_reject(request: HttpRequest, version: int) -> HttpResponse:
    """Reject the open draft; the reason is required and kept with it."""
    row = _version_or_404(version)
    if not row.is_open_draft:
        return _decided_already(request, version)
    reason = request.POST.get("reason", "").strip()
    problem = rejection_reason_problem(
        reason, missing=gettext("Say why you reject this draft.")
    )
    if problem:
        return _render_review(
            request,
            build_review(row),
            status=UNPROCESSABLE,
            form_errors={"reason": problem},
            reason=reason,
        )
    user = signed_in_user(request)
    try:
        reject_draft(version, by=user, reason=reason, now=timezone.now())
    except DraftAlreadyDecided:
        return _decided_already(request, version)
    audit(
        user,
        AuditAction.MODEL_REJECTED,
        None,
        detail=f"scoring model v{version}: {reason}",
    )
    messages.success(
        request,
        gettext("Draft version %(version)s rejected. It stays readable here.")
        % {"version": version},
    )
    return redirect("scoring_models:version-detail", version=version)


@require_GET
@role_required(*REVIEWERS)
def version_export(request: HttpRequest, version: int) -> HttpResponse:
    """The version's model file, to download."""
    row = _version_or_404(version)
    response = HttpResponse(row.source, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="leadqual-scoring-model-v{row.version}.toml"'
    )
    return response


def _read_upload(form: ImportForm) -> str | None:
    """The uploaded file as text, or None with the error added to the form."""
    upload = form.cleaned_data["file"]
    if upload.size > MAX_MODEL_FILE_BYTES:
        form.add_error(
            "file",
            gettext(
                "The file is %(size)s KB; a scoring model file may be at most "
                "%(limit)s KB."
            )
            % {
                "size": format_count(upload.size // 1024),
                "limit": MAX_MODEL_FILE_BYTES // 1024,
            },
        )
        return None
    try:
        return bytes(upload.read()).decode("utf-8")
    except UnicodeDecodeError:
        form.add_error(
            "file",
            gettext("The file is not UTF-8 text. Save it as UTF-8 and try again."),
        )
        return None


@require_POST
@role_required(*REVIEWERS)
def version_import(request: HttpRequest) -> HttpResponse:
    """Store an uploaded model file as a new draft, after the parser checked it."""
    form = ImportForm(request.POST, request.FILES)
    source = _read_upload(form) if form.is_valid() else None
    if source is None:
        return _render_list(request, form, status=UNPROCESSABLE)
    try:
        parse_scoring_model(source)
    except InvalidScoringModel as error:
        form.add_error(
            "file",
            gettext(
                "This file cannot be used as a scoring model. %(problem)s Correct "
                "it and upload it again."
            )
            % {"problem": " ".join(error.message.split())},
        )
        return _render_list(request, form, status=UNPROCESSABLE)
    upload_name = str(form.cleaned_data["file"].name)[:200]
    based_on = ScoringModelVersion.objects.filter(is_active=True).first()
    row = store_draft_scoring_model(
        source,
        {
            "imported_from": upload_name,
            "based_on_version": based_on.version if based_on else None,
        },
        now=timezone.now(),
    )
    audit(
        request.user,
        AuditAction.CHANGED,
        None,
        detail=f"scoring model v{row.version}: imported",
    )
    messages.success(
        request,
        gettext(
            "The file is stored as draft version %(version)s. Review it, then "
            "approve or reject it."
        )
        % {"version": row.version},
    )
    return redirect("scoring_models:version-detail", version=row.version)


@require_POST
@role_required(*REVIEWERS)
def run_optimiser_now(request: HttpRequest) -> HttpResponse:
    """Queue the optimiser with the weeks and capacity typed (no capacity: the
    owners' capacities added up); its draft appears in the list when done."""
    form = OptimiseForm(request.POST)
    if not form.is_valid():
        return _render_list(
            request, ImportForm(), optimise_form=form, status=UNPROCESSABLE
        )
    drafts_before = ScoringModelVersion.objects.filter(is_draft=True).count()
    propose_scoring_model(form.cleaned_data["weeks"], form.cleaned_data["capacity"])
    if ScoringModelVersion.objects.filter(is_draft=True).count() > drafts_before:
        # Tasks ran at once (no separate worker): the draft is there already.
        messages.success(request, gettext("The optimiser stored a new draft."))
    else:
        messages.info(
            request,
            gettext(
                "The optimiser runs in the background. Its proposal appears here "
                "as a draft when it is done, unless it changes nothing."
            ),
        )
    return redirect("scoring_models:version-list")
