"""/api/v1/leads: create or update, read, list by score, and sales feedback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from leadqual.api.auth import BearerToken, leads_of, token_of, user_of
from leadqual.api.idempotency import idempotent
from leadqual.api.schemas import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    ConsentOut,
    ErrorOut,
    FeedbackIn,
    FeedbackOut,
    LeadIn,
    LeadListOut,
    LeadOut,
    OwnerOut,
    QueryDatetime,
    RuleHitOut,
    ScoreOut,
)
from leadqual.core.bands import Band
from leadqual.core.errors import LeadNotFound
from leadqual.core.lifecycle import Decision, LeadStatus, RejectionReason
from leadqual.intake.cleaning import FieldInput
from leadqual.intake.pipeline import InvalidLeadData, submit_lead
from leadqual.leads.models import Lead
from leadqual.leads.queries import leads_by_score
from leadqual.leads.services import ConsentInput
from leadqual.privacy.audit import AuditAction, audit
from leadqual.scoring.models import Score
from leadqual.triage.services import record_feedback
from leadqual.users.roles import Role
from leadqual.users.scopes import Scope

router = Router(tags=["leads"])

# A token of a user acts with that user's rights in the app (docs/access-control.md):
# creating and updating leads is what the import pages allow, feedback what the
# sales actions on a lead page allow. Machine tokens (no user) are not limited.
LEAD_WRITING_ROLES = (Role.MARKETING, Role.ADMIN)
FEEDBACK_ROLES = (Role.SALES, Role.ADMIN)

# API name -> lead field, where they differ (the API says "budget", in euros).
API_TO_FIELD = {"budget": "budget_euros"}
FIELD_TO_API = {field: name for name, field in API_TO_FIELD.items()}


# --- rendering ------------------------------------------------------------------


def score_out(score: Score) -> ScoreOut:
    """A stored Score row as the API shows it."""
    return ScoreOut(
        total=score.total,
        fit=score.fit,
        intent=score.intent,
        engagement=score.engagement,
        band=Band(score.band),
        model_version=score.model_version,
        computed_at=score.computed_at,
        explanation=[
            RuleHitOut(
                rule=str(hit["rule"]),
                group=str(hit["group"]),
                points=int(hit["points"]),
                reason=str(hit["reason"]),
                is_adjustment=bool(hit.get("is_adjustment", False)),
            )
            for hit in score.explanation
        ],
    )


def lead_out(lead: Lead, score: Score | None) -> LeadOut:
    """A lead with its latest score as the API shows it."""
    owner = lead.owner
    return LeadOut(
        id=lead.pk,
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=lead.company.name if lead.company is not None else None,
        job_title=lead.job_title,
        phone=lead.phone,
        sector=lead.sector,
        employees=lead.employees,
        budget=lead.budget_euros,
        urgency=lead.urgency,
        country=lead.country,
        region=lead.region,
        source=lead.source,
        consent=ConsentOut(
            given=lead.consent_given,
            text_version=lead.consent_text_version,
            given_at=lead.consent_at,
        ),
        status=LeadStatus(lead.status),
        owner=OwnerOut(id=owner.pk, username=owner.username) if owner else None,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
        score=score_out(score) if score is not None else None,
    )


def _latest_score_ids(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    latest = Score.objects.filter(lead=OuterRef("pk")).order_by("-computed_at", "-id")
    return leads.annotate(latest_score_id=Subquery(latest.values("id")[:1]))


def _with_latest_scores(leads: Sequence[Lead]) -> list[tuple[Lead, Score | None]]:
    """Each lead with its latest score, fetched in one query (no N+1).

    The leads come from ``_latest_score_ids``, which annotated the score ids.
    """
    score_ids: list[int | None] = [
        getattr(lead, "latest_score_id", None) for lead in leads
    ]
    scores = Score.objects.in_bulk([pk for pk in score_ids if pk is not None])
    return [
        (lead, scores.get(pk) if pk is not None else None)
        for lead, pk in zip(leads, score_ids, strict=True)
    ]


def _get_lead(request: HttpRequest, lead_id: int) -> Lead:
    """The lead, if the token's user may see it; LeadNotFound as for no lead else."""
    lead = (
        _latest_score_ids(
            leads_of(request, Lead.objects.select_related("company", "owner"))
        )
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        raise LeadNotFound(
            _("No lead has id %(id)s. List leads with GET /api/v1/leads.")
            % {"id": lead_id}
        )
    return lead


# --- operations -----------------------------------------------------------------


@router.get(
    "",
    auth=BearerToken(scope=Scope.READ),
    response={200: LeadListOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    operation_id="list_leads",
    summary="List leads, highest score first",
)
def list_leads(
    request: HttpRequest,
    band: Band | None = None,
    changed_since: Annotated[
        QueryDatetime | None,
        Query(
            description="Only leads changed or rescored at or after this moment "
            "(ISO 8601 with offset)."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> LeadListOut:
    """Leads by score, highest first (unscored last), in a band or changed since."""
    leads = leads_of(request, leads_by_score(band))
    if changed_since is not None:
        leads = leads.filter(_changed_since(changed_since))
    count = leads.count()
    page = list(_latest_score_ids(leads)[offset : offset + limit])
    items = [lead_out(lead, score) for lead, score in _with_latest_scores(page)]
    return LeadListOut(items=items, count=count)


@router.post(
    "",
    auth=BearerToken(scope=Scope.WRITE_LEADS, roles=LEAD_WRITING_ROLES),
    response={
        200: LeadOut,
        201: LeadOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
    },
    operation_id="create_or_update_lead",
    summary="Create a lead, or update the one with this email, and score it",
)
@idempotent
def create_or_update_lead(request: HttpRequest, payload: LeadIn) -> Status[LeadOut]:
    """Create (201) or update (200) the lead by email; only the given fields change."""
    given = payload.model_dump(exclude_unset=True, exclude={"email", "consent"})
    fields: dict[str, FieldInput] = {
        API_TO_FIELD.get(name, name): value for name, value in given.items()
    }
    consent = (
        ConsentInput(
            given=payload.consent.given,
            text_version=payload.consent.text_version,
            given_at=payload.consent.given_at,
        )
        if payload.consent is not None
        else None
    )
    try:
        arrival = submit_lead(
            payload.email, fields, consent=consent, now=timezone.now()
        )
    except InvalidLeadData as error:
        raise _in_api_names(error) from None
    lead = _get_lead(request, arrival.lead.pk)
    _audit(
        request,
        AuditAction.CHANGED,
        lead.pk,
        "created" if arrival.created else "updated",
    )
    out = lead_out(lead, arrival.rescored.score)
    return Status(201 if arrival.created else 200, out)


def _audit(
    request: HttpRequest, action: AuditAction, lead_id: int, detail: str
) -> None:
    """Record in the audit log what an integration did, under its token's name."""
    audit(
        f"API token {token_of(request).name}", action, lead_id, detail=f"API: {detail}"
    )


def _in_api_names(error: InvalidLeadData) -> InvalidLeadData:
    """The same error, with lead field names as the API spells them."""
    fields = {FIELD_TO_API.get(name, name): text for name, text in error.fields.items()}
    summary = " ".join(f"{name}: {text}" for name, text in fields.items())
    return InvalidLeadData(
        _("The lead was not saved. Fix these fields and send it again: %(summary)s")
        % {"summary": summary},
        fields=fields,
    )


@router.get(
    "/{lead_id}",
    auth=BearerToken(scope=Scope.READ),
    response={200: LeadOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="get_lead",
    summary="One lead with its latest score",
)
def get_lead(request: HttpRequest, lead_id: int) -> LeadOut:
    """The lead with this id, or 404 in the error shape."""
    lead = _get_lead(request, lead_id)
    ((_lead, score),) = _with_latest_scores([lead])
    _audit(request, AuditAction.VIEWED, lead.pk, "lead read")
    return lead_out(lead, score)


@router.post(
    "/{lead_id}/feedback",
    auth=BearerToken(scope=Scope.WRITE_LEADS, roles=FEEDBACK_ROLES),
    response={
        201: FeedbackOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ErrorOut,
    },
    operation_id="give_feedback",
    summary="Accept or reject a lead (sales feedback)",
)
@idempotent
def give_feedback(
    request: HttpRequest, lead_id: int, payload: FeedbackIn
) -> Status[FeedbackOut]:
    """Record sales feedback, given by the token's user; moves the lead's status."""
    lead = _get_lead(request, lead_id)
    feedback = record_feedback(
        lead,
        Decision(payload.decision),
        reason=RejectionReason(payload.reason) if payload.reason else None,
        note=payload.note,
        rating=payload.rating,
        given_by=user_of(request),
        now=timezone.now(),
    )
    _audit(request, AuditAction.CHANGED, lead.pk, f"feedback {feedback.decision}")
    return Status(
        201,
        FeedbackOut(
            id=feedback.pk,
            decision=Decision(feedback.decision),
            reason=RejectionReason(feedback.reason) if feedback.reason else None,
            note=feedback.note,
            rating=feedback.rating,
            given_at=feedback.given_at,
            lead_status=LeadStatus(lead.status),
        ),
    )


def _changed_since(moment: datetime) -> Q:
    """Leads whose fields changed or whose score was recomputed at or after moment."""
    return Q(updated_at__gte=moment) | Q(scored_at__gte=moment)
