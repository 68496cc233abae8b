"""Sales feedback and outcomes: the only code that records them."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import assert_never

from django.contrib.auth.models import User
from django.db import transaction

from leadqual.core.assignment import Assignment, OwnerState, choose_owner
from leadqual.core.bands import Band
from leadqual.core.errors import (
    InvalidFeedback,
    LeadqualError,
    NotClosed,
    NothingToUndo,
)
from leadqual.core.lifecycle import (
    BantAnswer,
    CallResult,
    Decision,
    LeadStatus,
    NoteKind,
    OutcomeKind,
    QualificationQuestion,
    RejectionReason,
    SalesActionKind,
    TaskKind,
    check_feedback,
    check_open,
    check_rating,
    is_closed,
    status_after_feedback,
    status_after_outcome,
    status_after_reopen,
)
from leadqual.core.scoring import ScoreTrigger, SlaSettings
from leadqual.core.sla import sla_due_at
from leadqual.db import bulk_insert, bulk_update
from leadqual.integrations.outbox import (
    Outgoing,
    band_changed,
    emit,
    emit_many,
    feedback_data,
    outcome_data,
)
from leadqual.leads.duplicates import refresh_duplicate_candidates
from leadqual.leads.models import Lead
from leadqual.leads.services import LeadValue, find_or_create_companies
from leadqual.scoring.models import BandChange, ScoringModelVersion
from leadqual.scoring.services import Rescored, parsed_model, rescore_with_accounts
from leadqual.triage.alerts import queue_band_alerts
from leadqual.triage.kpi_facts import (
    CLOSED_BY_FIRST_CONTACT,
    refresh_kpi_facts,
    refresh_score_buckets,
)
from leadqual.triage.models import (
    Feedback,
    Note,
    Notice,
    Outcome,
    Qualification,
    SalesAction,
    Task,
    TaskCloseReason,
)
from leadqual.triage.queries import (
    QueueOwner,
    closable_tasks,
    open_tasks_of,
    owner_states,
)
from leadqual.users.models import OwnerProfile

logger = logging.getLogger(__name__)

# Why a task was closed, as stored in Task.closed_reason.

# Leads in these states have left triage: sales decided, or a deal is open or closed.
_OUT_OF_TRIAGE = frozenset(
    {LeadStatus.REJECTED, LeadStatus.OPPORTUNITY, LeadStatus.WON, LeadStatus.LOST}
)


@dataclass(frozen=True, slots=True)
class TriageResult:
    """What triage did for one band change."""

    band: Band
    task: Task | None = None
    assignment: Assignment | None = None
    closed_tasks: int = 0


def sla_hours_for(band: Band, sla: SlaSettings) -> float | None:
    """The first-contact SLA for a band, in working-day hours; None for cold."""
    match band:
        case Band.HOT:
            return sla.hot_hours
        case Band.WARM:
            return sla.warm_hours
        case Band.COLD:
            return None
        case _:
            assert_never(band)


def _available_current_owners(leads: Sequence[Lead]) -> set[int]:
    """The ids of the leads' current owners who are active and not away (two queries)."""
    owner_ids = {lead.owner_id for lead in leads if lead.owner_id is not None}
    if not owner_ids:
        return set()
    active = set(
        User.objects.filter(pk__in=owner_ids, is_active=True).values_list(
            "pk", flat=True
        )
    )
    away = set(
        OwnerProfile.objects.filter(user_id__in=active, is_away=True).values_list(
            "user_id", flat=True
        )
    )
    return active - away


class _Owners:
    """The salespeople's state for one batch, updated as leads are assigned.

    Loaded once (lazily: a batch without warm or hot leads needs no owner), so
    a batch assigns round robin and within capacity as leads one by one would.
    """

    def __init__(self) -> None:
        self._states: dict[int, OwnerState] | None = None
        self.assigned_at: dict[int, datetime] = {}

    def _all(self) -> dict[int, OwnerState]:
        if self._states is None:
            self._states = {state.owner_id: state for state in owner_states()}
        return self._states

    def choose(self, lead: Lead, *, now: datetime) -> Assignment | None:
        states = self._all()
        assignment = choose_owner(
            list(states.values()),
            region=lead.region or None,
            sector=lead.sector or None,
        )
        if assignment is not None:
            chosen = states[assignment.owner_id]
            states[assignment.owner_id] = replace(chosen, last_assigned_at=now)
            self.assigned_at[assignment.owner_id] = now
        return assignment

    def took_task(self, owner_id: int | None) -> None:
        if owner_id is None:
            return
        states = self._all()
        if owner_id in states:
            state = states[owner_id]
            states[owner_id] = replace(state, open_tasks=state.open_tasks + 1)


def triage_band_changes(
    changes: Sequence[tuple[Lead, Rescored]], *, now: datetime
) -> dict[int, TriageResult]:
    """The after-rescore step: triage every lead whose band changed, and tell others.

    Every way a score changes (an arrival, rescore, requalification, merge,
    model activation) ends here, so a band change is always triaged and
    emitted. Per lead, in id order: warm and hot leads keep an available
    owner or get one by ``choose_owner`` (round robin and capacity hold
    across the batch) and have one open follow-up task, brought forward
    when the lead heats up; a lead that cools to cold has its open tasks
    closed. Leads sales rejected, leads with a deal and erased leads are left
    alone. Alerts and ``lead.assigned`` / ``lead.band_changed`` webhooks are
    queued for after the commit. A constant number of queries per batch plus
    a few per alerted hot lead. The KPI facts of every lead whose score
    changed follow (``kpi_facts.refresh_kpi_facts``): a score that moved
    without a band change moves the lead's calibration bucket. Must run inside a
    transaction. Returns a TriageResult by lead id, for the leads whose band
    changed.
    """
    results = _triage(changes, now=now)
    # A lead whose score did not change kept every fact the KPIs read from
    # this step; a caller that changed something else refreshes it itself.
    refresh_kpi_facts(
        lead.pk
        for lead, rescored in changes
        if rescored.changed and rescored.band_changed
    )
    refresh_score_buckets(
        lead.pk
        for lead, rescored in changes
        if rescored.changed and not rescored.band_changed
    )
    return results


def _triage(
    changes: Sequence[tuple[Lead, Rescored]], *, now: datetime
) -> dict[int, TriageResult]:
    changed = sorted(
        ((lead, rescored) for lead, rescored in changes if rescored.band_changed),
        key=lambda pair: pair[0].pk,
    )
    if not changed:
        return {}
    lead_ids = [lead.pk for lead, _rescored in changed]
    BandChange.objects.filter(lead_id__in=lead_ids, handled_at__isnull=True).update(
        handled_at=now
    )
    open_tasks: dict[int, list[Task]] = {}
    for task in Task.objects.filter(
        lead_id__in=lead_ids, done_at__isnull=True
    ).order_by("due_at", "id"):
        open_tasks.setdefault(task.lead_id, []).append(task)
    keep_owner = _available_current_owners([lead for lead, _rescored in changed])
    owners = _Owners()
    results: dict[int, TriageResult] = {}
    tasks_to_close: list[int] = []
    new_tasks: list[Task] = []
    moved_tasks: list[Task] = []
    reassigned: list[Lead] = []
    alerts: list[tuple[Lead, Band, Task, bool]] = []
    outgoing: list[Outgoing] = []
    for lead, rescored in changed:
        band = rescored.band
        if LeadStatus(lead.status) in _OUT_OF_TRIAGE or lead.anonymised_at is not None:
            results[lead.pk] = TriageResult(band=band)
            outgoing.append(
                band_changed(lead, rescored.previous_band, band, sla_due_at=None)
            )
            continue
        sla = parsed_model(rescored.score.scoring_model).sla
        hours = sla_hours_for(band, sla)
        tasks = open_tasks.get(lead.pk, [])
        if hours is None:
            tasks_to_close.extend(task.pk for task in tasks)
            results[lead.pk] = TriageResult(band=band, closed_tasks=len(tasks))
            outgoing.append(
                band_changed(lead, rescored.previous_band, band, sla_due_at=None)
            )
            continue
        assignment = None
        if lead.owner_id is None or lead.owner_id not in keep_owner:
            assignment = owners.choose(lead, now=now)
            if assignment is not None:
                lead.owner_id = assignment.owner_id
                keep_owner.add(assignment.owner_id)
                reassigned.append(lead)
                outgoing.append(Outgoing("lead.assigned", lead))
        due_at = sla_due_at(now, hours)
        is_new_task = not tasks
        if tasks:
            task = tasks[0]
            if due_at < task.due_at or task.owner_id != lead.owner_id:
                task.due_at = min(task.due_at, due_at)
                task.owner_id = lead.owner_id
                moved_tasks.append(task)
        else:
            kind = (
                TaskKind.FOLLOW_UP
                if lead.status == LeadStatus.ACCEPTED
                else TaskKind.FIRST_CONTACT
            )
            task = Task(
                lead=lead,
                owner_id=lead.owner_id,
                kind=kind.value,
                due_at=due_at,
                created_at=now,
            )
            new_tasks.append(task)
            owners.took_task(lead.owner_id)
        alerts.append((lead, band, task, is_new_task))
        results[lead.pk] = TriageResult(band=band, task=task, assignment=assignment)
        outgoing.append(
            band_changed(lead, rescored.previous_band, band, sla_due_at=task.due_at)
        )
        logger.info(
            "Triaged lead %s as %s: owner %s, due %s",
            lead.pk,
            band,
            lead.owner_id,
            task.due_at,
        )
    if tasks_to_close:
        Task.objects.filter(pk__in=tasks_to_close).update(
            done_at=now, closed_reason="cooled down to cold"
        )
    if reassigned:
        bulk_update(reassigned, ["owner"])
    for owner_id, assigned_at in sorted(owners.assigned_at.items()):
        OwnerProfile.objects.update_or_create(
            user_id=owner_id, defaults={"last_assigned_at": assigned_at}
        )
    bulk_insert(new_tasks)
    if moved_tasks:
        bulk_update(moved_tasks, ["due_at", "owner"])
    # Pending alert rows now, in this transaction; sent after commit.
    for lead, band, task, is_new_task in alerts:
        queue_band_alerts(lead, band, task, new_task=is_new_task, now=now)
    emit_many(outgoing, now=now)
    return results


def rescore_and_triage(
    leads: Sequence[Lead],
    *,
    now: datetime,
    trigger: ScoreTrigger,
    scoring_model: ScoringModelVersion | None = None,
) -> tuple[dict[int, Rescored], dict[int, TriageResult]]:
    """Rescore the leads (and their accounts) and run the after-rescore step.

    What every change of scores without an arrival calls (rescore,
    requalification, merge and undo, model activation, enrichment); the
    intake pipeline calls the two steps itself. Must run inside a
    transaction. Returns the Rescored and the TriageResult (band changes
    only) by lead id.
    """
    rescored = rescore_with_accounts(
        leads, now=now, trigger=trigger, scoring_model=scoring_model
    )
    by_id = {lead.pk: lead for lead in leads}
    triaged = triage_band_changes(
        [(by_id[lead_id], result) for lead_id, result in rescored.items()], now=now
    )
    return rescored, triaged


def record_feedback(
    lead: Lead,
    decision: Decision,
    *,
    reason: RejectionReason | None,
    note: str = "",
    rating: int | None = None,
    given_by: User | None,
    now: datetime,
) -> Feedback:
    """Store sales feedback and move the lead to accepted or rejected.

    ``rating`` is sales' optional 1-5 rating of the lead's quality. Raises
    InvalidFeedback when a rejection has no reason, an acceptance has one or
    the rating is not 1-5, and LeadIsClosed when the lead is won or lost
    (reopen it first).
    """
    check_feedback(decision, reason)
    check_rating(rating)
    with transaction.atomic():
        lead = _locked(lead)
        check_open(LeadStatus(lead.status))
        feedback = Feedback.objects.create(
            lead=lead,
            decision=decision.value,
            reason=reason.value if reason else "",
            note=note.strip(),
            rating=rating,
            band=lead.band,
            given_by=given_by,
            given_at=now,
        )
        lead.status = status_after_feedback(decision).value
        lead.updated_at = now
        lead.save(update_fields=["status", "updated_at"])
        emit("lead.feedback", lead, {"feedback": feedback_data(feedback)}, now=now)
        _log(
            lead,
            SalesActionKind(decision.value),
            by=given_by,
            now=now,
            detail=reason.value if reason else "",
        )
        if decision is Decision.REJECTED:
            # A rejected lead leaves the queue; its history stays.
            open_tasks_of(lead.pk).update(
                done_at=now, closed_reason="rejected by sales"
            )
        refresh_kpi_facts([lead.pk])
    return feedback


def rate_lead_quality(lead: Lead, rating: int) -> Feedback:
    """Set sales' 1-5 rating of the lead's quality on its latest feedback.

    The rating belongs to the accept or reject it explains, so rating after
    the decision (one more click) changes that feedback row. Returns the
    feedback; raises InvalidFeedback for a rating outside 1-5 or when the
    lead has no feedback yet (accept or reject it first).
    """
    check_rating(rating)
    with transaction.atomic():
        latest = (
            Feedback.objects.select_for_update()
            .filter(lead=lead)
            .order_by("-given_at", "-pk")
            .first()
        )
        if latest is None:
            raise InvalidFeedback(
                f"Lead {lead.pk} has no feedback to rate yet: accept or reject it first.",
                fields={"rating": "needs feedback"},
            )
        latest.rating = rating
        latest.save(update_fields=["rating"])
        refresh_kpi_facts([lead.pk])
    return latest


def record_outcome(
    lead: Lead,
    kind: OutcomeKind,
    *,
    value_cents: int | None = None,
    note: str = "",
    recorded_by: User | None,
    now: datetime,
) -> Outcome:
    """Store an opportunity, win or loss and move the lead's status with it.

    The lead's open tasks are closed: from here the deal is followed up in
    the pipeline, not in the qualification queue. Raises LeadIsClosed when
    the lead is won or lost already (reopen it first).
    """
    with transaction.atomic():
        lead = _locked(lead)
        check_open(LeadStatus(lead.status))
        outcome = Outcome.objects.create(
            lead=lead,
            kind=kind.value,
            value_cents=value_cents,
            note=note.strip(),
            occurred_at=now,
            band=lead.band,
            recorded_by=recorded_by,
        )
        lead.status = status_after_outcome(kind).value
        lead.updated_at = now
        lead.save(update_fields=["status", "updated_at"])
        emit(
            "lead.outcome",
            lead,
            {"outcome": outcome_data(outcome, rating=_latest_rating(lead.pk))},
            now=now,
        )
        _log(
            lead,
            SalesActionKind(kind.value),
            by=recorded_by,
            now=now,
            detail=str(value_cents) if value_cents is not None else "",
        )
        open_tasks_of(lead.pk).update(
            done_at=now, closed_reason=f"outcome: {kind.value}"
        )
        refresh_kpi_facts([lead.pk])
    return outcome


def answer_bant(
    lead: Lead,
    question: QualificationQuestion,
    answer: BantAnswer,
    *,
    now: datetime,
    by: User | None = None,
) -> Qualification:
    """Save one BANT or MEDDIC answer for the lead (the others stay as they are)."""
    with transaction.atomic():
        qualification, _created = (
            Qualification.objects.select_for_update().get_or_create(lead=lead)
        )
        changed = getattr(qualification, question.value) != answer.value
        setattr(qualification, question.value, answer.value)
        qualification.updated_at = now
        qualification.save()
        if changed:
            _log(
                lead,
                SalesActionKind.BANT_ANSWERED,
                by=by,
                now=now,
                detail=f"{question.value}={answer.value}",
            )
    return qualification


def record_first_contact(
    lead: Lead, *, by: User | None, now: datetime
) -> Qualification:
    """Record that sales reached the lead; closes the open first-contact task.

    The first contact is recorded once: a second call keeps the first moment.
    """
    with transaction.atomic():
        qualification, _created = (
            Qualification.objects.select_for_update().get_or_create(lead=lead)
        )
        if qualification.first_contact_at is None:
            qualification.first_contact_at = now
            qualification.first_contact_by = by
            qualification.updated_at = now
            qualification.save()
            open_tasks_of(lead.pk).filter(kind=TaskKind.FIRST_CONTACT.value).update(
                done_at=now, closed_reason=CLOSED_BY_FIRST_CONTACT
            )
            refresh_kpi_facts([lead.pk])
            _log(lead, SalesActionKind.FIRST_CONTACT, by=by, now=now)
    return qualification


# --- the lead page's own actions: reopen, notes, owner, corrections ------------------


def _locked(lead: Lead) -> Lead:
    """The lead's row, locked for this transaction, with its current status,
    owner, band and score (the caller's copy may predate a rescore; feedback
    and outcomes store the band, webhooks send band and score)."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    lead.status = locked.status
    lead.owner_id = locked.owner_id
    lead.band = locked.band
    lead.score_total = locked.score_total
    return lead


def _latest_rating(lead_id: int) -> int | None:
    """Sales' 1-5 rating on the lead's latest feedback; None: not rated (yet)."""
    return (
        Feedback.objects.filter(lead_id=lead_id)
        .order_by("-given_at", "-pk")
        .values_list("rating", flat=True)
        .first()
    )


def _log(
    lead: Lead,
    kind: SalesActionKind,
    *,
    by: User | None,
    now: datetime,
    detail: str = "",
    previous_status: str = "",
    from_owner_id: int | None = None,
    to_owner_id: int | None = None,
) -> SalesAction:
    return SalesAction.objects.create(
        lead=lead,
        kind=kind.value,
        detail=detail[:200],
        previous_status=previous_status,
        from_owner_id=from_owner_id,
        to_owner_id=to_owner_id,
        done_by=by,
        done_at=now,
    )


def reopen_lead(lead: Lead, *, by: User | None, now: datetime) -> SalesAction:
    """Reopen a won or lost lead: its deal is open again, the KPIs stop counting it.

    The final outcome stays, marked ``reopened_at``; the lead goes back to
    opportunity when it had one, else to accepted. Returns the REOPENED
    sales action, which ``undo_reopen`` takes. Raises NotClosed for a lead
    that is not won or lost.
    """
    with transaction.atomic():
        lead = _locked(lead)
        status = LeadStatus(lead.status)
        if not is_closed(status):
            raise NotClosed(
                f"Only a won or lost lead can be reopened; this one is {status.value}.",
                fields={"status": status.value},
            )
        Outcome.objects.filter(
            lead=lead, kind=status.value, reopened_at__isnull=True
        ).update(reopened_at=now)
        had_opportunity = Outcome.objects.filter(
            lead=lead, kind=OutcomeKind.OPPORTUNITY.value, reopened_at__isnull=True
        ).exists()
        lead.status = status_after_reopen(had_opportunity=had_opportunity).value
        lead.updated_at = now
        lead.save(update_fields=["status", "updated_at"])
        # A CRM that took the win or loss must hear the deal is open again.
        emit("lead.reopened", lead, {"previous_status": status.value}, now=now)
        refresh_kpi_facts([lead.pk])
        return _log(
            lead,
            SalesActionKind.REOPENED,
            by=by,
            now=now,
            previous_status=status.value,
        )


def undo_reopen(
    lead: Lead, action_id: int, *, by: User | None, now: datetime
) -> LeadStatus:
    """Undo a reopen: the lead is won or lost again, its outcome counts again.

    Only while the reopen is the latest sales action on the lead: once
    someone acted on the reopened lead, undoing would throw that away.
    Returns the restored status. Raises NothingToUndo otherwise.
    """
    with transaction.atomic():
        lead = _locked(lead)
        action = (
            SalesAction.objects.select_for_update()
            .filter(
                pk=action_id,
                lead=lead,
                kind=SalesActionKind.REOPENED.value,
                undone_at__isnull=True,
            )
            .first()
        )
        if action is None:
            raise NothingToUndo(
                f"Reopen {action_id} of lead {lead.pk} cannot be undone: it was "
                "undone already or is not a reopen of this lead.",
            )
        later = (
            SalesAction.objects.filter(lead=lead, done_at__gte=action.done_at)
            .exclude(pk=action.pk)
            .exclude(done_at=action.done_at, pk__lt=action.pk)
            .exists()
        )
        if later:
            raise NothingToUndo(
                f"Lead {lead.pk} changed after it was reopened: record the "
                "outcome again instead of undoing the reopen.",
            )
        restored = LeadStatus(action.previous_status)
        outcomes = Outcome.objects.filter(
            lead=lead, kind=restored.value, reopened_at=action.done_at
        )
        counted_again = list(outcomes.order_by("occurred_at", "pk"))
        outcomes.update(reopened_at=None)
        lead.status = restored.value
        lead.updated_at = now
        lead.save(update_fields=["status", "updated_at"])
        refresh_kpi_facts([lead.pk])
        # The outcome counts again: receivers hear it as they heard it first.
        for outcome in counted_again[-1:]:
            emit(
                "lead.outcome",
                lead,
                {"outcome": outcome_data(outcome, rating=_latest_rating(lead.pk))},
                now=now,
            )
        action.undone_at = now
        action.save(update_fields=["undone_at"])
        _log(
            lead,
            SalesActionKind.REOPEN_UNDONE,
            by=by,
            now=now,
            previous_status=restored.value,
        )
    return restored


def add_note(
    lead: Lead,
    kind: NoteKind,
    body: str,
    *,
    call_result: CallResult | None = None,
    by: User | None,
    now: datetime,
) -> Note:
    """Store a note or a logged call (a call has a result; its text may be empty)."""
    return Note.objects.create(
        lead=lead,
        kind=kind.value,
        body=body.strip(),
        call_result=call_result.value if call_result is not None else "",
        written_by=by,
        written_at=now,
    )


def reassign_owner(
    lead: Lead, new_owner: User | None, *, by: User | None, now: datetime
) -> SalesAction | None:
    """Give the lead (and its open tasks) to ``new_owner``; None leaves it unassigned.

    Returns the REASSIGNED sales action, or None when the owner is unchanged.
    Who may reassign is the caller's check (web.lead_actions).
    """
    with transaction.atomic():
        lead = _locked(lead)
        old_owner_id = lead.owner_id
        new_owner_id = new_owner.pk if new_owner is not None else None
        if old_owner_id == new_owner_id:
            return None
        lead.owner_id = new_owner_id
        lead.updated_at = now
        lead.save(update_fields=["owner", "updated_at"])
        open_tasks_of(lead.pk).update(owner_id=new_owner_id)
        refresh_kpi_facts([lead.pk])
        emit_many([Outgoing("lead.assigned", lead)], now=now)
        return _log(
            lead,
            SalesActionKind.REASSIGNED,
            by=by,
            now=now,
            from_owner_id=old_owner_id,
            to_owner_id=new_owner_id,
        )


def correct_lead(
    lead: Lead, values: Mapping[str, LeadValue], *, by: User | None, now: datetime
) -> list[str]:
    """Write corrected values of the lead's own fields, log them and rescore.

    ``values`` are cleaned as at intake (intake.cleaning.clean_lead_fields),
    by field name; None empties a field, ``company`` is a company name. The
    score follows at once and a band change is triaged as after any rescore
    (``rescore_and_triage``). Returns the names of the fields that changed
    ([] when none did: nothing is written then).
    """
    with transaction.atomic():
        # Only the lead's row is locked: PostgreSQL locks no outer-joined company.
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("company")
            .get(pk=lead.pk)
        )
        changed: list[str] = []
        for name, value in sorted(values.items()):
            if name == "company":
                current = lead.company.name if lead.company is not None else None
                if (value or None) == current:
                    continue
                if value:
                    _key, company = next(
                        iter(
                            find_or_create_companies([(str(value), lead.email)]).items()
                        )
                    )
                    lead.company = company
                else:
                    lead.company = None
                changed.append(name)
                continue
            stored = getattr(lead, name)
            new = value if value is not None else _empty_value(lead, name)
            if stored != new:
                setattr(lead, name, new)
                changed.append(name)
        if not changed:
            return []
        lead.updated_at = now
        lead.save()
        _log(
            lead,
            SalesActionKind.CORRECTED,
            by=by,
            now=now,
            detail=", ".join(changed),
        )
        rescore_and_triage([lead], now=now, trigger=ScoreTrigger.LEAD_SAVED)
        refresh_duplicate_candidates([lead.pk], now=now)
        # The source may have changed; a rescore refreshed the rest.
        refresh_kpi_facts([lead.pk])
    return changed


def _empty_value(lead: Lead, name: str) -> str | None:
    """What an emptied field stores: None where the column is nullable, else ""."""
    field = Lead._meta.get_field(name)
    return None if getattr(field, "null", False) else ""


class TasksNotClosable(LeadqualError):
    """Some tasks asked to be closed are closed already or belong to someone else."""

    code = "tasks_not_closable"


def close_tasks(
    task_ids: Sequence[int],
    *,
    reason: TaskCloseReason,
    by: User,
    may_close: QueueOwner,
    now: datetime,
) -> list[Task]:
    """Close open tasks from the queue with a reason, all or none.

    ``may_close`` is whose tasks ``by`` may close: their own (their user id)
    or every task ("all"). The reason and the user are stored on each task.
    Raises TasksNotClosable, naming the task ids, when any task is not open
    or not one ``by`` may close; nothing is closed then. Returns the closed
    tasks (with their leads), in id order.
    """
    wanted = sorted(set(task_ids))
    if not wanted:
        raise TasksNotClosable("Choose at least one task to close.")
    with transaction.atomic():
        tasks = list(
            closable_tasks(wanted, owner=may_close)
            .select_for_update(of=("self",))
            .select_related("lead")
            .order_by("id")
        )
        refused = sorted(set(wanted) - {task.pk for task in tasks})
        if refused:
            ids = ", ".join(str(task_id) for task_id in refused)
            raise TasksNotClosable(
                f"Tasks {ids} are closed already or not yours to close; "
                "nothing was closed. Reload the queue and choose again.",
                fields={"tasks": ids},
            )
        Task.objects.filter(pk__in=[task.pk for task in tasks]).update(
            done_at=now, closed_reason=reason.value, closed_by=by
        )
        for task in tasks:
            task.done_at = now
            task.closed_reason = reason.value
            task.closed_by = by
        # A first-contact task closed before its due time leaves the SLA.
        refresh_kpi_facts(sorted({task.lead_id for task in tasks}))
    logger.info(
        "User %s closed %s tasks (%s): %s",
        by.pk,
        len(tasks),
        reason.value,
        [task.pk for task in tasks],
    )
    return tasks


def mark_notices_seen(notices: Sequence[Notice], *, now: datetime) -> int:
    """Mark the notices seen (they were shown); returns how many were unseen."""
    return Notice.objects.filter(
        pk__in=[notice.pk for notice in notices], seen_at__isnull=True
    ).update(seen_at=now)


def mark_lead_notices_seen(
    recipient_id: int, lead_ids: Sequence[int], *, now: datetime
) -> int:
    """Opening a lead is seeing its notices: they leave the queue and the badge."""
    return Notice.objects.filter(
        recipient_id=recipient_id, lead_id__in=lead_ids, seen_at__isnull=True
    ).update(seen_at=now)
