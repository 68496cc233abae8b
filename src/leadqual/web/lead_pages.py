"""The lead list (filters, search, pages) and the lead page.

The lead page shows what the other apps know about one lead: its score with
the explanation (scoring), one timeline of its events (leads) with the sales
actions, notes and calls (triage), and the sales panels under a sticky action
bar (web.lead_actions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from leadqual.core.bands import Band, Thresholds
from leadqual.core.hygiene import format_phone
from leadqual.core.lifecycle import (
    BantAnswer,
    LeadStatus,
    NoteKind,
    RejectionReason,
    SalesActionKind,
)
from leadqual.core.scoring import Group, ScoringModel
from leadqual.leads.accounts import account_summary
from leadqual.leads.models import BAND_LABELS, STATUS_LABELS, Event, Lead
from leadqual.leads.queries import (
    BY_SCORE,
    LeadsByScorePerOwner,
    VisibleOwners,
    lead_sources,
    visible_leads,
    visible_owners,
)
from leadqual.paging import CappedPaginator
from leadqual.privacy.audit import AuditAction, audit
from leadqual.scoring.charts import ChartPoint, GuideLine, score_history_svg
from leadqual.scoring.models import Score
from leadqual.scoring.queries import explanation_lines, latest_score, score_history
from leadqual.scoring.services import parsed_model
from leadqual.triage.models import (
    BANT_ANSWER_LABELS,
    REJECTION_REASON_LABELS,
    Feedback,
    Note,
    SalesAction,
)
from leadqual.triage.queries import open_tasks_of
from leadqual.triage.services import mark_lead_notices_seen
from leadqual.users.permissions import role_required
from leadqual.web.helpers import (
    ALL_ROLES,
    HtmxHttpRequest,
    can_act_on_leads,
    countdown,
    display_name,
    euros_text,
    signed_in_user,
)
from leadqual.web.lead_actions import QUESTION_LABELS, sales_panels

LEADS_PER_PAGE = 50
TIMELINE_LENGTH = 100
UNASSIGNED = "none"
GROUP_LABELS = {
    Group.FIT: _("Fit"),
    Group.INTENT: _("Intent"),
    Group.ENGAGEMENT: _("Engagement"),
    Group.AI: _("AI (predictive model)"),
}
# Event properties worth showing on the timeline, in this order.
TIMELINE_PROPERTIES = (
    ("title", _("Title")),
    ("url", _("Page")),
    ("campaign", _("Campaign")),
)


# --- the lead list --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadFilters:
    """The list's filters, each checked against its choices (unknown values drop)."""

    band: str = ""
    source: str = ""
    owner: str = ""
    status: str = ""
    q: str = ""

    @property
    def is_active(self) -> bool:
        return any((self.band, self.source, self.owner, self.status, self.q))


def _owner_choices(
    leads: QuerySet[Lead], owners: VisibleOwners
) -> list[tuple[str, str]]:
    # EXISTS per user (a lookup in lead_list_by_owner), not IN over the owner
    # of every lead.
    users = User.objects.filter(Exists(leads.filter(owner_id=OuterRef("pk"))))
    if owners is not None:
        users = users.filter(pk__in=[owner for owner in owners if owner is not None])
    ordered = users.order_by("first_name", "last_name", "username")
    return [(UNASSIGNED, gettext("Unassigned"))] + [
        (str(owner.pk), display_name(owner)) for owner in ordered
    ]


def _read_filters(
    request: HttpRequest, *, sources: list[str], owners: list[tuple[str, str]]
) -> LeadFilters:
    band = request.GET.get("band", "")
    source = request.GET.get("source", "")
    owner = request.GET.get("owner", "")
    status = request.GET.get("status", "")
    return LeadFilters(
        band=band if band in Band.__members__.values() else "",
        source=source if source in sources else "",
        owner=owner if owner in {value for value, _label in owners} else "",
        status=status if status in LeadStatus.__members__.values() else "",
        q=request.GET.get("q", "").strip()[:200],
    )


def _filtered(leads: QuerySet[Lead], filters: LeadFilters) -> QuerySet[Lead]:
    if filters.band:
        leads = leads.filter(band=filters.band)
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.owner == UNASSIGNED:
        leads = leads.filter(owner__isnull=True)
    elif filters.owner:
        leads = leads.filter(owner_id=int(filters.owner))
    if filters.status:
        leads = leads.filter(status=filters.status)
    # Every word must appear in the name, the email or the company name.
    for word in filters.q.split():
        leads = leads.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(company__name__icontains=word)
        )
    return leads


@dataclass(frozen=True, slots=True)
class LeadRow:
    lead_id: int
    band: str
    band_label: StrOrPromise
    score: int | None
    name: str
    company: str
    owner: str
    status_label: StrOrPromise
    source: str
    scored_at: datetime | None


def _lead_row(lead: Lead) -> LeadRow:
    return LeadRow(
        lead_id=lead.pk,
        band=lead.band,
        band_label=lead.get_band_display() if lead.band else "",
        score=lead.score_total,
        name=lead.shown_name,
        company=lead.company.name if lead.company else "",
        owner=display_name(lead.owner),
        status_label=lead.get_status_display(),
        source=lead.source,
        scored_at=lead.scored_at,
    )


@role_required(*ALL_ROLES)
def lead_list(request: HtmxHttpRequest) -> HttpResponse:
    """Leads by score, highest first; with htmx only the table is rendered."""
    user = signed_in_user(request)
    visible = visible_leads(user)
    seen_owners = visible_owners(user)
    sources = lead_sources(seen_owners)
    owners = _owner_choices(visible, seen_owners)
    filters = _read_filters(request, sources=sources, owners=owners)
    leads = _filtered(visible, filters).select_related("company", "owner")
    ordered: QuerySet[Lead] | LeadsByScorePerOwner
    if seen_owners is None:
        ordered = leads.order_by(*BY_SCORE)
    else:
        # A seller's own and unassigned leads: two reads in index order, merged.
        ordered = LeadsByScorePerOwner(leads, seen_owners)
    page = CappedPaginator(ordered, LEADS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "rows": [_lead_row(lead) for lead in page.object_list],
        "page": page,
        "filters": filters,
        "band_choices": [(band.value, label) for band, label in BAND_LABELS.items()],
        "status_choices": [
            (status.value, label) for status, label in STATUS_LABELS.items()
        ],
        "source_choices": sources,
        "owner_choices": owners,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "leads/_lead_table.html", context)
    return render(request, "leads/lead_list.html", context)


# --- the lead page --------------------------------------------------------------------

_OUTCOME_ACTIONS = frozenset(
    {SalesActionKind.OPPORTUNITY, SalesActionKind.WON, SalesActionKind.LOST}
)


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One line of the lead's timeline: an event, a sales action or a note."""

    at: datetime
    kind: str  # "event", "sales" or "note"
    css: str
    label: StrOrPromise
    by: str
    details: list[dict[str, object]]
    text: str = ""
    is_undone: bool = False


def _points_text(points: int) -> str:
    return f"+{points}" if points > 0 else f"\u2212{abs(points)}" if points else "0"


def _breakdown(score: Score, model: ScoringModel) -> dict[str, object]:
    """Sub-scores out of their caps, with every rule hit of the score."""
    lines = explanation_lines(score.explanation)
    sub_scores = {
        Group.FIT: score.fit,
        Group.INTENT: score.intent,
        Group.ENGAGEMENT: score.engagement,
        Group.AI: score.ai,
    }
    groups = []
    for group, label in GROUP_LABELS.items():
        if model.groups[group].cap == 0 and not any(
            line.group == group.value for line in lines
        ):
            # A model without the ai group: no empty "0 / 0" heading.
            continue
        groups.append(
            {
                "key": group.value,
                "label": label,
                "points": sub_scores[group],
                "cap": model.groups[group].cap,
                "hits": [
                    {
                        "rule": line.rule,
                        "reason": line.reason,
                        "points": line.points,
                        "points_text": _points_text(line.points),
                        "is_positive": line.points > 0,
                        "is_adjustment": line.is_adjustment,
                    }
                    for line in lines
                    if line.group == group.value
                ],
            }
        )
    return {
        "total": score.total,
        "band": score.band,
        "band_label": score.get_band_display(),
        "model_version": score.model_version,
        "computed_at": score.computed_at,
        "groups": groups,
    }


def _history(lead: Lead, thresholds: Thresholds | None) -> dict[str, object]:
    """The score history as an SVG chart and as table rows (oldest first)."""
    scores = list(score_history(lead.pk))
    rows = [
        {
            "computed_at": score.computed_at,
            "total": score.total,
            "band": score.band,
            "band_label": score.get_band_display(),
            "model_version": score.model_version,
        }
        for score in scores
    ]
    if not scores or thresholds is None:
        return {"rows": rows, "chart": ""}

    def moment(at: datetime) -> str:
        return formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")

    guides = [
        GuideLine(
            value=thresholds.warm,
            label=gettext("warm from %(points)s") % {"points": thresholds.warm},
            css_class="chart-guide-warm",
        ),
        GuideLine(
            value=thresholds.hot,
            label=gettext("hot from %(points)s") % {"points": thresholds.hot},
            css_class="chart-guide-hot",
        ),
    ]
    points = [
        ChartPoint(
            at=score.computed_at,
            value=score.total,
            label=gettext("%(moment)s: %(score)s (%(band)s)")
            % {
                "moment": moment(score.computed_at),
                "score": score.total,
                "band": score.get_band_display(),
            },
        )
        for score in scores
    ]
    svg = score_history_svg(
        points,
        title=gettext("Score over time"),
        guides=guides,
        first_label=moment(scores[0].computed_at),
        last_label=moment(scores[-1].computed_at) if len(scores) > 1 else "",
    )
    # score_history_svg escapes every text it draws.
    return {"rows": rows, "chart": mark_safe(svg)}


def _event_items(lead: Lead) -> list[TimelineItem]:
    items = []
    events = Event.objects.filter(lead=lead).order_by("-occurred_at", "-id")
    for event in events[:TIMELINE_LENGTH]:
        properties = event.properties if isinstance(event.properties, dict) else {}
        items.append(
            TimelineItem(
                at=event.occurred_at,
                kind="event",
                css=f"timeline-event event-{event.type}",
                label=event.get_type_display(),
                by="",
                details=[
                    {"label": label, "value": str(properties[key])}
                    for key, label in TIMELINE_PROPERTIES
                    if properties.get(key) not in (None, "")
                ],
            )
        )
    return items


_FEEDBACK_ACTIONS = frozenset({SalesActionKind.ACCEPTED, SalesActionKind.REJECTED})


def _action_details(action: SalesAction) -> list[dict[str, object]]:
    """What a sales action was about, in words (detail holds codes, not text)."""
    kind = SalesActionKind(action.kind)
    if kind is SalesActionKind.BANT_ANSWERED and "=" in action.detail:
        question, answer = action.detail.split("=", 1)
        if question in QUESTION_LABELS and answer in BantAnswer.__members__.values():
            return [
                {
                    "label": QUESTION_LABELS[question],
                    "value": BANT_ANSWER_LABELS[BantAnswer(answer)],
                }
            ]
    if kind is SalesActionKind.REJECTED and action.detail in (
        RejectionReason.__members__.values()
    ):
        return [
            {
                "label": gettext("Reason"),
                "value": REJECTION_REASON_LABELS[RejectionReason(action.detail)],
            }
        ]
    if kind in _OUTCOME_ACTIONS and action.detail.isdigit():
        return [{"label": gettext("Value"), "value": euros_text(int(action.detail))}]
    if kind is SalesActionKind.REASSIGNED:
        return [
            {
                "label": gettext("From"),
                "value": display_name(action.from_owner) or gettext("Unassigned"),
            },
            {
                "label": gettext("To"),
                "value": display_name(action.to_owner) or gettext("Unassigned"),
            },
        ]
    if kind in (SalesActionKind.REOPENED, SalesActionKind.REOPEN_UNDONE) and (
        action.previous_status in LeadStatus.__members__.values()
    ):
        return [
            {
                "label": gettext("Was") if kind is SalesActionKind.REOPENED else "",
                "value": STATUS_LABELS[LeadStatus(action.previous_status)],
            }
        ]
    if kind is SalesActionKind.CORRECTED and action.detail:
        return [{"label": gettext("Fields"), "value": action.detail}]
    return []


def _rating_detail(rating: int | None) -> list[dict[str, object]]:
    if rating is None:
        return []
    return [
        {
            "label": gettext("Rating"),
            "value": gettext("%(rating)s of 5") % {"rating": rating},
        }
    ]


def _action_items(lead: Lead) -> list[TimelineItem]:
    actions = (
        SalesAction.objects.filter(lead=lead)
        .select_related("done_by", "from_owner", "to_owner")
        .order_by("-done_at", "-id")[:TIMELINE_LENGTH]
    )
    # An accept or reject is logged at the moment its feedback was given; the
    # rating may be added to that feedback later with one more click.
    ratings = dict(
        Feedback.objects.filter(lead=lead, rating__isnull=False).values_list(
            "given_at", "rating"
        )
    )
    return [
        TimelineItem(
            at=action.done_at,
            kind="sales",
            css=f"timeline-sales action-{action.kind}",
            label=action.get_kind_display(),
            by=display_name(action.done_by),
            details=_action_details(action)
            + (
                _rating_detail(ratings.get(action.done_at))
                if action.kind in _FEEDBACK_ACTIONS
                else []
            ),
            is_undone=action.undone_at is not None,
        )
        for action in actions
    ]


def _note_items(lead: Lead) -> list[TimelineItem]:
    notes = (
        Note.objects.filter(lead=lead)
        .select_related("written_by")
        .order_by("-written_at", "-id")[:TIMELINE_LENGTH]
    )
    items = []
    for note in notes:
        label = note.get_kind_display()
        if note.kind == NoteKind.CALL and note.call_result:
            label = f"{label}: {note.get_call_result_display()}"
        items.append(
            TimelineItem(
                at=note.written_at,
                kind="note",
                css=f"timeline-note note-{note.kind}",
                label=label,
                by=display_name(note.written_by),
                details=[],
                text=note.body,
            )
        )
    return items


def timeline(lead: Lead) -> tuple[list[TimelineItem], bool]:
    """Events, sales actions, notes and calls in one list, newest first.

    At most TIMELINE_LENGTH items; the flag says whether older ones were cut.
    At equal moments a sales action comes before the event it answered.
    """
    items = _event_items(lead) + _action_items(lead) + _note_items(lead)
    order = {"note": 0, "sales": 1, "event": 2}
    items.sort(key=lambda item: (item.at, -order[item.kind]), reverse=True)
    return items[:TIMELINE_LENGTH], len(items) > TIMELINE_LENGTH


@role_required(*ALL_ROLES)
def lead_detail(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """One lead: who, why this score, what they did, and the sales panels.

    Sellers see their own and unassigned leads; any other lead is a 404.
    """
    user = signed_in_user(request)
    lead = get_object_or_404(
        visible_leads(user).select_related("company", "owner"), pk=lead_id
    )
    score = latest_score(lead.pk)
    model = parsed_model(score.scoring_model) if score is not None else None
    breakdown = _breakdown(score, model) if score and model else None
    task = open_tasks_of(lead.pk).order_by("due_at").first()
    items, is_cut = timeline(lead)
    mark_lead_notices_seen(user.pk, [lead.pk], now=timezone.now())
    context: dict[str, object] = {
        "lead": {
            "id": lead.pk,
            "name": lead.shown_name,
            "company": lead.company.name if lead.company else "",
            "email": lead.email,
            "phone": format_phone(lead.phone),
            "phone_href": "tel:" + "".join(lead.phone.split()),
            "job_title": lead.job_title,
            "band": lead.band,
            "band_label": lead.get_band_display() if lead.band else "",
            "score": lead.score_total,
            "status_label": lead.get_status_display(),
            "owner": display_name(lead.owner),
            "source": lead.source,
            "created_at": lead.created_at,
        },
        "task": (
            {
                "kind_label": task.get_kind_display(),
                "countdown": countdown(task.due_at, now=timezone.now()),
            }
            if task is not None
            else None
        ),
        "breakdown": breakdown,
        "history": _history(lead, model.thresholds if model is not None else None),
        "timeline": items,
        "timeline_is_cut": is_cut,
        "timeline_length": TIMELINE_LENGTH,
        "correct_url": reverse("triage:lead-correct", args=[lead.pk])
        if can_act_on_leads(user)
        else "",
        "account": account_summary(lead.company) if lead.company else None,
        **sales_panels(lead, user),
    }
    audit(user, AuditAction.VIEWED, lead.pk, detail="lead page")
    return render(request, "leads/lead_detail.html", context)
