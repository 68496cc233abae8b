"""Merge a duplicate lead into another, and undo that within 30 days.

Every row that points at the duplicate (events, scores, band changes,
feedback, outcomes, tasks, visitors, and any table added later) is found
through the Lead model's relations and moved to the survivor, so a new
table is never forgotten. The merge keeps the duplicate's fields and the ids
of the moved rows in a LeadMerge, which is what ``undo_merge`` reads.

A merge changes the survivor's score (and an undo both leads' scores), so
both end in the after-rescore step (``triage.services.rescore_and_triage``):
a band change is triaged and told like any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import models, transaction

from leadqual.core.errors import LeadqualError
from leadqual.core.lifecycle import BantAnswer
from leadqual.core.scoring import ScoreTrigger
from leadqual.leads.duplicates import refresh_duplicate_candidates
from leadqual.leads.models import DuplicateCandidate, Event, Lead, LeadMerge
from leadqual.privacy.audit import AuditAction, audit
from leadqual.scoring.services import Rescored
from leadqual.triage.kpi_facts import refresh_kpi_facts
from leadqual.triage.models import Qualification, Task
from leadqual.triage.services import rescore_and_triage

logger = logging.getLogger(__name__)

# A merge can be undone for this long; after that the snapshot is history only.
UNDO_WINDOW = timedelta(days=30)
# 3: tasks closed as doubles; 2: cleared external ids; 1: lead fields, filled
# fields, qualification.
SNAPSHOT_FORMAT = 3
# Task.closed_reason of a task closed because the merged lead had one already.
CLOSED_BY_MERGE = "merged: the lead had this task already"
# Fields the survivor takes from the duplicate when it has no value of its own.
FILLABLE_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "phone_country",
    "sector",
    "employees",
    "budget_euros",
    "urgency",
    "country",
    "region",
    "source",
    "owner",
)
BANT_FIELDS = ("budget", "authority", "need", "timing")

JsonScalar = str | int | float | bool | None


class CannotMerge(LeadqualError):
    """The two leads cannot be merged as asked."""

    code = "cannot_merge"


class MergeTooOld(LeadqualError):
    """The merge is older than the undo window."""

    code = "merge_too_old"


class MergeAlreadyUndone(LeadqualError):
    """The merge was undone before."""

    code = "merge_already_undone"


class CannotUndoMerge(LeadqualError):
    """The merged lead cannot be brought back as it was."""

    code = "cannot_undo_merge"


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge: LeadMerge
    rescored: Rescored


@dataclass(frozen=True, slots=True)
class UndoResult:
    merge: LeadMerge
    restored: Lead


def _json_value(value: object) -> JsonScalar | dict[str, object]:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return value
    assert value is None or isinstance(value, str | int | float | bool), value
    return value


def _lead_snapshot(lead: Lead) -> dict[str, object]:
    return {
        field.attname: _json_value(getattr(lead, field.attname))
        for field in Lead._meta.concrete_fields
    }


def _row_snapshot(row: models.Model) -> dict[str, object]:
    return {
        field.attname: _json_value(getattr(row, field.attname))
        for field in type(row)._meta.concrete_fields
    }


def _lead_relations() -> list[tuple[type[models.Model], str, bool]]:
    """(model, field name, is one-to-one) of every table that points at Lead."""
    relations = []
    for related in Lead._meta.get_fields(include_hidden=True):
        if not (related.auto_created and not related.concrete and related.is_relation):
            continue
        model = related.related_model
        assert isinstance(model, type) and issubclass(model, models.Model)
        field = related.field  # type: ignore[union-attr]
        if related.many_to_many:
            raise CannotMerge(
                f"{model._meta.label} links many leads at once; merging does not "
                "support such a table yet."
            )
        relations.append((model, field.name, bool(related.one_to_one)))
    return relations


def _relation_key(model: type[models.Model], field_name: str) -> str:
    return f"{model._meta.label_lower}.{field_name}"


def _is_empty(lead: Lead, name: str) -> bool:
    attname = Lead._meta.get_field(name).attname  # type: ignore[union-attr]
    return getattr(lead, attname) in (None, "")


def _fill_survivor(survivor: Lead, duplicate: Lead) -> dict[str, object]:
    """Copy the duplicate's values into the survivor's empty fields; return them."""
    filled: dict[str, object] = {}
    for name in FILLABLE_FIELDS:
        attname = Lead._meta.get_field(name).attname  # type: ignore[union-attr]
        value = getattr(duplicate, attname)
        if value in (None, "") or not _is_empty(survivor, name):
            continue
        setattr(survivor, attname, value)
        filled[attname] = _json_value(value)
    enriched = dict(survivor.enriched_fields or {})
    for attname in list(filled):
        name = attname.removesuffix("_id")
        marker = (duplicate.enriched_fields or {}).get(name)
        if marker is not None and name not in enriched:
            enriched[name] = marker
            filled.setdefault("enriched_fields", {})
            filled_markers = filled["enriched_fields"]
            assert isinstance(filled_markers, dict)
            filled_markers[name] = marker
    survivor.enriched_fields = enriched
    return filled


def _merge_qualification(
    survivor_row: Qualification, duplicate_row: Qualification
) -> dict[str, object]:
    """Fill the survivor's unknown BANT answers and keep the earliest first contact.

    Returns the survivor's previous values of what changed.
    """
    previous: dict[str, object] = {}
    for name in BANT_FIELDS:
        if (
            getattr(survivor_row, name) == BantAnswer.UNKNOWN
            and getattr(duplicate_row, name) != BantAnswer.UNKNOWN
        ):
            previous[name] = getattr(survivor_row, name)
            setattr(survivor_row, name, getattr(duplicate_row, name))
    if duplicate_row.first_contact_at is not None and (
        survivor_row.first_contact_at is None
        or duplicate_row.first_contact_at < survivor_row.first_contact_at
    ):
        previous["first_contact_at"] = _json_value(survivor_row.first_contact_at)
        previous["first_contact_by_id"] = survivor_row.first_contact_by_id
        survivor_row.first_contact_at = duplicate_row.first_contact_at
        survivor_row.first_contact_by_id = duplicate_row.first_contact_by_id
    if previous:
        survivor_row.save()
    return previous


def merge_leads(
    survivor: Lead,
    duplicate: Lead,
    *,
    by: User | None,
    now: datetime,
    reason: str = "",
) -> MergeResult:
    """Merge ``duplicate`` into ``survivor`` in one transaction and rescore the survivor.

    Every row of the duplicate moves to the survivor; the survivor keeps its
    own values and gains the duplicate's only where it has none; the
    duplicate row is deleted. Returns the LeadMerge (undo it with
    ``undo_merge`` within UNDO_WINDOW) and the survivor's new score.
    Raises CannotMerge when both are the same lead.
    """
    if survivor.pk == duplicate.pk:
        raise CannotMerge(f"Lead {survivor.pk} cannot be merged into itself.")
    with transaction.atomic():
        locked = {
            lead.pk: lead
            for lead in Lead.objects.select_for_update()
            .filter(pk__in=[survivor.pk, duplicate.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise CannotMerge(
                f"Lead {survivor.pk} or {duplicate.pk} no longer exists; "
                "it may have been merged already. Reload the page."
            )
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        snapshot: dict[str, object] = {
            "format": SNAPSHOT_FORMAT,
            "lead": _lead_snapshot(duplicate),
        }
        snapshot["cleared_external_ids"] = _clear_clashing_external_ids(
            survivor, duplicate
        )
        moved: dict[str, list[int]] = {}
        for model, field_name, one_to_one in _lead_relations():
            # The duplicate's pairs go with it; the survivor's are found again.
            if model is Qualification or model is DuplicateCandidate:
                continue
            manager = model._base_manager
            ids = list(
                manager.filter(**{field_name: duplicate.pk})
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if not ids:
                continue
            if one_to_one and manager.filter(**{field_name: survivor.pk}).exists():
                raise CannotMerge(
                    f"Both leads have a {model._meta.verbose_name}; merge them by hand "
                    "first."
                )
            manager.filter(pk__in=ids).update(**{field_name: survivor.pk})
            moved[_relation_key(model, field_name)] = ids

        duplicate_row = Qualification.objects.filter(lead=duplicate).first()
        survivor_row = Qualification.objects.filter(lead=survivor).first()
        if duplicate_row is not None and survivor_row is None:
            duplicate_row.lead = survivor
            duplicate_row.save(update_fields=["lead"])
            moved[_relation_key(Qualification, "lead")] = [duplicate_row.pk]
        elif duplicate_row is not None and survivor_row is not None:
            snapshot["qualification"] = _row_snapshot(duplicate_row)
            snapshot["qualification_previous"] = _merge_qualification(
                survivor_row, duplicate_row
            )

        snapshot["closed_tasks"] = _close_doubled_tasks(survivor, now=now)
        snapshot["filled"] = _fill_survivor(survivor, duplicate)
        survivor.updated_at = now
        survivor.save()
        Lead.objects.filter(pk=duplicate.pk).delete()
        merge = LeadMerge.objects.create(
            survivor=survivor,
            merged_email=duplicate.email,
            snapshot=snapshot,
            moved_rows=moved,
            reason=reason[:200],
            merged_at=now,
            merged_by=by,
        )
        audit(
            by,
            AuditAction.MERGED,
            survivor.pk,
            detail=f"lead {duplicate.pk} merged in (merge {merge.pk})",
        )
        rescored = rescore_and_triage([survivor], now=now, trigger=ScoreTrigger.MERGE)[
            0
        ][survivor.pk]
        refresh_duplicate_candidates([survivor.pk], now=now)
        # The merged-away lead leaves the KPIs; its feedback and deals count
        # for the survivor now.
        refresh_kpi_facts([survivor.pk, duplicate.pk])
    logger.info(
        "Merged lead %s into lead %s (merge %s)", duplicate.pk, survivor.pk, merge.pk
    )
    return MergeResult(merge=merge, rescored=rescored)


def _close_doubled_tasks(survivor: Lead, *, now: datetime) -> list[int]:
    """Keep one open task per kind on the survivor, the one due first.

    Both leads may have waited in the queue; after the merge the person is one
    lead and must be called once. Returns the ids of the tasks closed, so an
    undo can reopen them.
    """
    kept: set[str] = set()
    doubled: list[int] = []
    open_tasks = Task.objects.filter(lead=survivor, done_at__isnull=True).order_by(
        "kind", "due_at", "pk"
    )
    for task_id, kind in open_tasks.values_list("pk", "kind"):
        if kind in kept:
            doubled.append(task_id)
        kept.add(kind)
    Task.objects.filter(pk__in=doubled).update(
        done_at=now, closed_reason=CLOSED_BY_MERGE
    )
    return doubled


def _reopen_doubled_tasks(merge: LeadMerge) -> None:
    """Reopen the tasks the merge closed, unless someone closed them again since."""
    closed = merge.snapshot.get("closed_tasks") or []
    assert isinstance(closed, list)
    Task.objects.filter(
        pk__in=closed, done_at=merge.merged_at, closed_reason=CLOSED_BY_MERGE
    ).update(done_at=None, closed_reason="")


def is_undoable(merge: LeadMerge, *, now: datetime) -> bool:
    """True while the merge is not undone and younger than UNDO_WINDOW."""
    return merge.undone_at is None and now - merge.merged_at <= UNDO_WINDOW


def _clear_clashing_external_ids(survivor: Lead, duplicate: Lead) -> dict[str, str]:
    """Clear the external id of the duplicate's events that the survivor has too.

    An external id is unique per lead, source and sender, so such an event
    cannot move as it is. A later replay reaches the survivor's own event,
    so the id is not needed for de-duplication. Returns {event id: external
    id} for the snapshot, so an undo puts the ids back.
    """
    survivor_keys = set(
        Event.objects.filter(lead=survivor, external_id__isnull=False).values_list(
            "source", "sender", "external_id"
        )
    )
    cleared: dict[str, str] = {}
    for event_id, source, sender, external_id in Event.objects.filter(
        lead=duplicate, external_id__isnull=False
    ).values_list("pk", "source", "sender", "external_id"):
        if external_id and (source, sender, external_id) in survivor_keys:
            cleared[str(event_id)] = external_id
    if cleared:
        Event.objects.filter(pk__in=[int(pk) for pk in cleared]).update(
            external_id=None
        )
    return cleared


def _restore_external_ids(merge: LeadMerge, restored: Lead) -> None:
    cleared = merge.snapshot.get("cleared_external_ids") or {}
    assert isinstance(cleared, dict)
    for event_id, external_id in cleared.items():
        Event.objects.filter(pk=int(event_id), lead=restored).update(
            external_id=external_id
        )


def _restore_lead(merge: LeadMerge) -> Lead:
    data = merge.snapshot.get("lead", {})
    assert isinstance(data, dict)
    lead = Lead()
    for field in Lead._meta.concrete_fields:
        if field.attname not in data:
            continue
        setattr(lead, field.attname, field.to_python(data[field.attname]))
    if lead.company_id is not None and not _exists("leads.company", lead.company_id):
        lead.company_id = None
    if lead.owner_id is not None and not User.objects.filter(pk=lead.owner_id).exists():
        lead.owner_id = None
    if Lead.objects.filter(pk=lead.pk).exists():
        lead.pk = None  # the old id was taken meanwhile: a new one
    lead.save(force_insert=True)
    return lead


def _exists(label: str, pk: int) -> bool:
    return bool(apps.get_model(label)._base_manager.filter(pk=pk).exists())


def _clear_filled(survivor: Lead, filled: dict[str, Any]) -> None:
    """Empty the survivor's fields the merge filled, unless changed since."""
    for attname, value in filled.items():
        if attname == "enriched_fields":
            continue
        field = Lead._meta.get_field(attname.removesuffix("_id"))
        current = _json_value(getattr(survivor, attname))
        if current == value:
            empty = None if field.null else ""  # type: ignore[union-attr]
            setattr(survivor, attname, empty)
    markers = filled.get("enriched_fields") or {}
    enriched = dict(survivor.enriched_fields or {})
    for name, marker in markers.items():
        if enriched.get(name) == marker:
            del enriched[name]
    survivor.enriched_fields = enriched


def _restore_qualification(merge: LeadMerge, survivor: Lead, restored: Lead) -> None:
    data = merge.snapshot.get("qualification")
    if not isinstance(data, dict):
        return
    row = Qualification()
    for field in Qualification._meta.concrete_fields:
        if field.attname in data:
            setattr(row, field.attname, field.to_python(data[field.attname]))
    row.lead = restored
    if row.first_contact_by_id is not None and not (
        User.objects.filter(pk=row.first_contact_by_id).exists()
    ):
        row.first_contact_by_id = None
    if Qualification.objects.filter(pk=row.pk).exists():
        row.pk = None
    row.save(force_insert=True)
    previous = merge.snapshot.get("qualification_previous") or {}
    survivor_row = Qualification.objects.filter(lead=survivor).first()
    if survivor_row is None or not isinstance(previous, dict):
        return
    for name in BANT_FIELDS:
        if name in previous and getattr(survivor_row, name) == getattr(row, name):
            setattr(survivor_row, name, previous[name])
    if "first_contact_at" in previous and (
        survivor_row.first_contact_at == row.first_contact_at
    ):
        at = previous["first_contact_at"]
        survivor_row.first_contact_at = (
            datetime.fromisoformat(at) if isinstance(at, str) else None
        )
        survivor_row.first_contact_by_id = previous.get("first_contact_by_id")
    survivor_row.save()


def undo_merge(merge: LeadMerge, *, by: User | None, now: datetime) -> UndoResult:
    """Bring a merged lead back with exactly the rows it had, and rescore both.

    The duplicate is recreated from the snapshot (same id and email), the
    moved rows go back, and survivor fields the merge filled are emptied
    again unless someone changed them since. Raises MergeAlreadyUndone,
    MergeTooOld (after UNDO_WINDOW) or CannotUndoMerge (a lead with the
    merged email exists again).
    """
    with transaction.atomic():
        merge = LeadMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise MergeAlreadyUndone(
                f"Merge {merge.pk} was already undone on {merge.undone_at:%Y-%m-%d %H:%M}."
            )
        if now - merge.merged_at > UNDO_WINDOW:
            raise MergeTooOld(
                f"Merge {merge.pk} happened on {merge.merged_at:%Y-%m-%d}; a merge can be "
                f"undone for {UNDO_WINDOW.days} days only. Split the lead by hand instead."
            )
        taken = Lead.objects.filter(email=merge.merged_email).first()
        if taken is not None:
            raise CannotUndoMerge(
                f"Merge {merge.pk} cannot be undone: lead {taken.pk} has the merged "
                "email address again. Merge that lead first, then undo."
            )
        survivor = Lead.objects.select_for_update().get(pk=merge.survivor_id)
        restored = _restore_lead(merge)
        for key, ids in (merge.moved_rows or {}).items():
            app_label, model_name, field_name = key.split(".")
            model = apps.get_model(app_label, model_name)
            model._base_manager.filter(pk__in=ids, **{field_name: survivor.pk}).update(
                **{field_name: restored.pk}
            )
        _restore_external_ids(merge, restored)
        _reopen_doubled_tasks(merge)
        _restore_qualification(merge, survivor, restored)
        filled = merge.snapshot.get("filled") or {}
        assert isinstance(filled, dict)
        _clear_filled(survivor, filled)
        survivor.updated_at = now
        survivor.save()
        merge.undone_at = now
        merge.save(update_fields=["undone_at"])
        rescore_and_triage(
            [restored, survivor], now=now, trigger=ScoreTrigger.MERGE_UNDO
        )
        refresh_duplicate_candidates([restored.pk, survivor.pk], now=now)
        refresh_kpi_facts([restored.pk, survivor.pk])
    logger.info(
        "Undid merge %s: lead %s is back beside lead %s (by user %s)",
        merge.pk,
        restored.pk,
        survivor.pk,
        by.pk if by is not None else None,
    )
    return UndoResult(merge=merge, restored=restored)
