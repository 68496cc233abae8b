"""The predictive model's pages: versions, the model card, the decision, monitoring.

Like the scoring model's review (``model_pages``), marketing and admins read
a trained version's card (what it learned from, how sure it is, how it did
against the rules on newer leads it never saw), then approve it (its chance
becomes the ai group's input in every score) or reject it with a reason.
Both decisions are audited. The model in use shows its weekly drift and
bias check. Everything shown is read from stored JSON; nothing is
recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_stubs_ext import StrOrPromise

from leadqual.core.errors import InvalidScoringModel
from leadqual.core.scoring import ScoringModel
from leadqual.insights.presentation import (
    NONE_TEXT,
    format_count,
    format_decimal,
    format_percent,
)
from leadqual.modelling.alerts import (
    SEGMENT_LABELS,
    attention_lines,
    feature_text,
    rules_model_of,
)
from leadqual.modelling.models import ModelStatus, MonitoringRun, PredictiveModelVersion
from leadqual.modelling.services import (
    DecisionNotPossible,
    approve_model,
    reject_model,
    start_training,
)
from leadqual.modelling.tasks import refresh_predictions_task, train_model_task
from leadqual.privacy.audit import AuditAction, audit
from leadqual.triage.jobs import requalify_all_leads
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

REVIEWERS = (Role.MARKETING, Role.ADMIN)
SHOWN_FEATURES = 12
CERTAINTY_LABELS = {
    "very_little_data": gettext_lazy(
        "Very little data: the chances stay close to what the rules say"
    ),
    "little_data": gettext_lazy(
        "Little data: only strong patterns move the chances away from the rules"
    ),
    "moderate_data": gettext_lazy(
        "A moderate amount of data: the main patterns are reliable"
    ),
    "ample_data": gettext_lazy("Ample data: detailed patterns are reliable"),
}
LEVEL_LABELS = {
    "stable": gettext_lazy("Stable"),
    "watch": gettext_lazy("Watch"),
    "alert": gettext_lazy("Alert"),
    "too_few_rows": gettext_lazy("Too few leads to tell"),
}
STEP_LABELS = {
    "queued": gettext_lazy("Waiting for the background worker"),
    "reading": gettext_lazy("Reading the reviewed leads"),
    "features": gettext_lazy("Building what was known of each lead"),
    "training": gettext_lazy("Training and checking on newer leads"),
}


def _when(moment: datetime | str | None) -> str:
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    if moment is None:
        return NONE_TEXT
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _day(moment: object) -> str:
    parsed = parse_datetime(moment) if isinstance(moment, str) else None
    if parsed is None:
        return NONE_TEXT
    return date_format(timezone.localtime(parsed), "SHORT_DATE_FORMAT")


def _dict(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Mapping[str, object]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _number(value: object, places: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return NONE_TEXT
    return format_decimal(float(value), places)


def _share(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return NONE_TEXT
    return format_percent(float(value), 0)


def _version_or_404(version: int) -> PredictiveModelVersion:
    row = (
        PredictiveModelVersion.objects.defer("artefact")
        .select_related("decided_by", "created_by")
        .filter(version=version)
        .first()
    )
    if row is None:
        raise Http404
    return row


# --- the list ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    status: str
    status_label: StrOrPromise
    created_at: str
    model_auc: str
    rules_auc: str
    examples: str


def _version_rows() -> list[VersionRow]:
    rows = []
    for row in PredictiveModelVersion.objects.defer("artefact").order_by("-version"):
        card = _dict(row.card)
        validation = _dict(card.get("validation"))
        examples = card.get("examples")
        rows.append(
            VersionRow(
                version=row.version,
                status=row.status,
                status_label=row.get_status_display(),
                created_at=_when(row.created_at),
                model_auc=_number(validation.get("model_auc")),
                rules_auc=_number(validation.get("rules_auc")),
                examples=format_count(examples) if isinstance(examples, int) else "",
            )
        )
    return rows


@require_GET
@role_required(*REVIEWERS)
def model_list(request: HttpRequest) -> HttpResponse:
    """Every version, newest first, and the button that trains a new one."""
    return render(request, "modelling/model_list.html", {"rows": _version_rows()})


@require_POST
@role_required(*REVIEWERS)
def model_train(request: HttpRequest) -> HttpResponse:
    """Start training; the version's page shows its progress."""
    row = start_training(by=signed_in_user(request), now=timezone.now())
    if row.status == ModelStatus.TRAINING and row.progress_step == "queued":
        train_model_task(row.pk)
    messages.info(
        request,
        gettext(
            "Version %(version)s is being trained on the leads sales reviewed. "
            "This page shows how far it is."
        )
        % {"version": row.version},
    )
    return redirect("modelling:model-detail", version=row.version)


# --- the card ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DriftLine:
    name: str
    psi: str
    level: str
    level_label: StrOrPromise
    rows: str


@dataclass(frozen=True, slots=True)
class SegmentLine:
    segment: StrOrPromise
    value: str
    leads: str
    hot_share: str
    outcomes: str
    predicted: str
    observed: str
    is_biased: bool


@dataclass
class Monitoring:
    run: MonitoringRun
    computed_at: str
    attention: list[str]
    score: DriftLine
    features: list[DriftLine]
    segments: list[SegmentLine]


@dataclass
class Card:
    """What the page shows of one version, built from its stored card."""

    row: PredictiveModelVersion
    facts: list[tuple[StrOrPromise, str]]
    has_card: bool
    scores: list[tuple[StrOrPromise, str, str]]
    beats_rules: bool
    fell_back: bool
    certainty: StrOrPromise
    features: list[str]
    guarded: list[str]
    step: StrOrPromise
    progress: str
    monitoring: Monitoring | None


def _drift_line(
    item: Mapping[str, object], model: ScoringModel | None = None
) -> DriftLine:
    level = str(item.get("level", ""))
    rows = item.get("rows")
    return DriftLine(
        name=feature_text(str(item.get("name", "")), model),
        psi=_number(item.get("psi"), 2),
        level=level,
        level_label=LEVEL_LABELS.get(level, level),
        rows=format_count(rows) if isinstance(rows, int) else NONE_TEXT,
    )


def _segment_lines(report: Mapping[str, object]) -> list[SegmentLine]:
    lines = []
    for segment in _list(report.get("segments")):
        name = str(segment.get("segment", ""))
        for value in _list(segment.get("values")):
            outcomes = value.get("outcomes")
            if not isinstance(outcomes, int) or outcomes == 0:
                continue
            lines.append(
                SegmentLine(
                    segment=SEGMENT_LABELS.get(name, name),
                    value=str(value.get("value", "")),
                    leads=format_count(value.get("leads"))  # type: ignore[arg-type]
                    if isinstance(value.get("leads"), int)
                    else NONE_TEXT,
                    hot_share=_share(value.get("hot_share")),
                    outcomes=format_count(outcomes),
                    predicted=_share(value.get("mean_predicted")),
                    observed=gettext("%(rate)s (%(low)s to %(high)s)")
                    % {
                        "rate": _share(value.get("observed")),
                        "low": _share(value.get("observed_low")),
                        "high": _share(value.get("observed_high")),
                    },
                    is_biased=bool(value.get("is_biased")),
                )
            )
    return lines


def _monitoring(
    row: PredictiveModelVersion, model: ScoringModel | None
) -> Monitoring | None:
    run = row.monitoring_runs.order_by("-computed_at").first()
    if run is None:
        return None
    report = _dict(run.report)
    return Monitoring(
        run=run,
        computed_at=_when(run.computed_at),
        attention=attention_lines(report, model),
        score=_drift_line(_dict(report.get("score"))),
        features=[_drift_line(item, model) for item in _list(report.get("features"))][
            :SHOWN_FEATURES
        ],
        segments=_segment_lines(report),
    )


def _facts(row: PredictiveModelVersion) -> list[tuple[StrOrPromise, str]]:
    card = _dict(row.card)
    facts: list[tuple[StrOrPromise, str]] = [
        (
            gettext("Started"),
            gettext("%(when)s by %(person)s")
            % {
                "when": _when(row.created_at),
                "person": display_name(row.created_by) or NONE_TEXT,
            },
        )
    ]
    if row.trained_at is not None:
        facts.append((gettext("Trained"), _when(row.trained_at)))
    examples, conversions = card.get("examples"), card.get("conversions")
    if isinstance(examples, int) and isinstance(conversions, int):
        facts.append(
            (
                gettext("Learnt from"),
                gettext(
                    "%(examples)s reviewed leads, of which %(conversions)s became "
                    "an opportunity"
                )
                % {
                    "examples": format_count(examples),
                    "conversions": format_count(conversions),
                },
            )
        )
    for key, title in (
        ("trained_on", gettext("Trained on")),
        ("checked_with", gettext("Trained on the older")),
        ("validation", gettext("Checked on the newer")),
    ):
        part = _dict(card.get(key))
        rows = part.get("rows")
        if isinstance(rows, int):
            facts.append(
                (
                    title,
                    gettext("%(rows)s leads judged from %(start)s to %(end)s")
                    % {
                        "rows": format_count(rows),
                        "start": _day(part.get("from")),
                        "end": _day(part.get("until")),
                    },
                )
            )
    if isinstance(card.get("scoring_model_version"), int):
        facts.append(
            (
                gettext("Rules used as the starting point"),
                gettext("scoring model v%(version)s")
                % {"version": card["scoring_model_version"]},
            )
        )
    if row.decided_at is not None:
        facts.append(
            (
                row.get_status_display(),
                gettext("%(when)s by %(person)s")
                % {
                    "when": _when(row.decided_at),
                    "person": display_name(row.decided_by) or NONE_TEXT,
                },
            )
        )
        if row.decision_reason:
            facts.append((gettext("Reason"), row.decision_reason))
    return facts


def build_card(row: PredictiveModelVersion) -> Card:
    """The page's view of ``row``, from its stored card and monitoring."""
    card = _dict(row.card)
    validation = _dict(card.get("validation"))
    library = _dict(card.get("library"))
    model = rules_model_of(row)
    features = [
        feature_text(str(item.get("column", "")), model)
        for item in _list(library.get("features"))
    ]
    guarded = [
        feature_text(str(item.get("column", "")), model)
        for item in _list(library.get("flagged"))
    ]
    done, total = row.progress_done, row.progress_total
    return Card(
        row=row,
        facts=_facts(row),
        has_card=bool(validation),
        scores=[
            (
                gettext("ROC-AUC (higher ranks better; 0.5 is chance)"),
                _number(validation.get("model_auc")),
                _number(validation.get("rules_auc")),
            ),
            (
                gettext("Brier score (lower is better)"),
                _number(validation.get("model_brier")),
                _number(validation.get("rules_brier")),
            ),
        ],
        beats_rules=bool(validation.get("beats_rules")),
        fell_back=bool(library.get("fell_back_to_prior")),
        certainty=CERTAINTY_LABELS.get(str(library.get("certainty", "")), NONE_TEXT),
        features=features,
        guarded=guarded,
        step=STEP_LABELS.get(row.progress_step, row.progress_step),
        progress=(
            gettext("%(done)s out of %(total)s leads")
            % {"done": format_count(done), "total": format_count(total)}
            if total
            else ""
        ),
        monitoring=(
            _monitoring(row, model) if row.status == ModelStatus.APPROVED else None
        ),
    )


def _render_card(
    request: HttpRequest,
    row: PredictiveModelVersion,
    *,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    reason: str = "",
) -> HttpResponse:
    is_htmx = bool(getattr(request, "htmx", False))
    if is_htmx and row.status != ModelStatus.TRAINING:
        # Training ended while the page polled: show the whole card.
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    card = build_card(row)
    return render(
        request,
        "modelling/_progress.html" if is_htmx else "modelling/model_detail.html",
        {
            "card": card,
            "row": row,
            "errors": errors or {},
            "reason": reason,
            "max_reason_length": MAX_REASON_LENGTH,
        },
        status=status,
    )


@require_GET
@role_required(*REVIEWERS)
def model_detail(request: HttpRequest, version: int) -> HttpResponse:
    """One version: its progress while training, else its card and decision.
    An htmx request gets the progress fragment, which polls until done."""
    return _render_card(request, _version_or_404(version))


def _decided_already(request: HttpRequest, version: int) -> HttpResponse:
    return decided_already(request, version, detail="modelling:model-detail")


@require_POST
@role_required(*REVIEWERS)
def model_approve(request: HttpRequest, version: int) -> HttpResponse:
    """Put the draft in use after the reviewer ticked the confirmation."""
    row = _version_or_404(version)
    if row.status != ModelStatus.DRAFT:
        return _decided_already(request, version)
    if request.POST.get("confirm") != "yes":
        return _render_card(
            request,
            row,
            status=UNPROCESSABLE,
            errors={
                "confirm": gettext(
                    "Tick the box to confirm: approving adds the model's chance to "
                    "every lead's score."
                )
            },
        )
    user = signed_in_user(request)
    try:
        approval = approve_model(version, by=user, now=timezone.now())
    except DecisionNotPossible:
        return _decided_already(request, version)
    except InvalidScoringModel as error:
        messages.error(
            request,
            gettext(
                "The AI group could not be added to the active scoring model, so "
                "nothing changed. %(problem)s"
            )
            % {"problem": error.message},
        )
        return redirect("modelling:model-detail", version=version)
    detail = f"predictive model v{version}"
    if approval.scoring_model is not None:
        detail += f"; scoring model v{approval.scoring_model.version} adds the ai group"
    audit(user, AuditAction.MODEL_APPROVED, None, detail=detail)
    # After the commit: chances first, so that the rescore of every lead
    # under a new scoring model version already reads them.
    refresh_predictions_task()
    if approval.scoring_model is not None:
        requalify_all_leads()
    if approval.scoring_model is not None:
        messages.success(
            request,
            gettext(
                "Version %(version)s is in use. Scoring model v%(scoring)s adds its "
                "chance as the AI group; every open lead is being scored with it in "
                "the background."
            )
            % {"version": version, "scoring": approval.scoring_model.version},
        )
    else:
        messages.success(
            request,
            gettext(
                "Version %(version)s is in use. Every open lead's chance is being "
                "updated in the background."
            )
            % {"version": version},
        )
    return redirect("modelling:model-detail", version=version)


@require_POST
@role_required(*REVIEWERS)
def model_reject(request: HttpRequest, version: int) -> HttpResponse:
    """Reject the draft; the reason is required and kept with it."""
    row = _version_or_404(version)
    if row.status != ModelStatus.DRAFT:
        return _decided_already(request, version)
    reason = request.POST.get("reason", "").strip()
    problem = rejection_reason_problem(
        reason, missing=gettext("Say why you reject this model.")
    )
    if problem:
        return _render_card(
            request,
            row,
            status=UNPROCESSABLE,
            errors={"reason": problem},
            reason=reason,
        )
    user = signed_in_user(request)
    try:
        reject_model(version, by=user, reason=reason, now=timezone.now())
    except DecisionNotPossible:
        return _decided_already(request, version)
    audit(
        user,
        AuditAction.MODEL_REJECTED,
        None,
        detail=f"predictive model v{version}: {reason}",
    )
    messages.success(
        request,
        gettext("Version %(version)s rejected. It stays readable here.")
        % {"version": version},
    )
    return redirect("modelling:model-detail", version=version)
