"""Merging a duplicate lead keeps every row, and undoing it restores them exactly."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from leadqual.core.scoring import ScoreTrigger
from leadqual.core.sla import DUTCH_TIME
from leadqual.hygiene.merging import (
    CannotMerge,
    MergeAlreadyUndone,
    MergeTooOld,
    merge_leads,
    undo_merge,
)
from leadqual.intake.models import TrackedSite, Visitor
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Event, Lead, LeadMerge
from leadqual.scoring.models import BandChange, Score
from leadqual.triage.models import Feedback, Outcome, Qualification, Task
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=DUTCH_TIME)
MERGED_AT = MONDAY + timedelta(days=2)
SURVIVOR_EMAIL = "jan@bakker-ict.nl"
DUPLICATE_EMAIL = "j.devries@bakker-ict.nl"
MERGE_TRIGGERS = ("merge", "merge_undo")


def _rows_by_lead() -> dict[str, dict[int, int | None]]:
    """Every row of every table that points at a lead, as {row id: lead id}.

    Scores written by the merge and its undo (and their band changes) are the
    survivor's new history, not rows that were moved, so they are left out.
    """

    def of(
        queryset: models.QuerySet[models.Model], field: str = "lead_id"
    ) -> dict[int, int | None]:
        return dict(queryset.values_list("pk", field))

    return {
        "events": of(Event.objects.all()),
        "scores": of(Score.objects.exclude(trigger__in=MERGE_TRIGGERS)),
        "band_changes": of(
            BandChange.objects.exclude(score__trigger__in=MERGE_TRIGGERS)
        ),
        "feedback": of(Feedback.objects.all()),
        "outcomes": of(Outcome.objects.all()),
        "tasks": of(Task.objects.all()),
        "visitors": of(Visitor.objects.all()),
        "qualifications": of(Qualification.objects.all()),
    }


@pytest.fixture
def seller() -> User:
    return make_user("sanne", role=Role.SALES)


@pytest.fixture
def leads(seller: User) -> tuple[Lead, Lead]:
    """Jan twice: once from the form, once from a CRM import, each with a history."""
    survivor = submit_lead(
        SURVIVOR_EMAIL,
        {"first_name": "Jan", "last_name": "de Vries", "company": "Bakker ICT B.V."},
        now=MONDAY,
    ).lead
    duplicate = submit_lead(
        DUPLICATE_EMAIL,
        {
            "first_name": "Jan",
            "last_name": "de Vreis",
            "company": "Bakker ICT",
            "phone": "06 12345678",
            "sector": "software",
            "budget_euros": "25000",
            "job_title": "CTO",
        },
        now=MONDAY + timedelta(hours=1),
        trigger=ScoreTrigger.IMPORT,
    ).lead
    at = (MONDAY + timedelta(hours=2)).isoformat()
    submit_events(
        [
            RawEvent(SURVIVOR_EMAIL, "page_view", at, {"url": "/prijzen"}, "s-1"),
            RawEvent(DUPLICATE_EMAIL, "demo_request", at, {}, "d-1"),
            RawEvent(DUPLICATE_EMAIL, "email_reply", at, {}, "d-2"),
        ],
        now=MONDAY + timedelta(hours=3),
        source="api",
    )
    Feedback.objects.create(lead=duplicate, decision="accepted", given_by=seller)
    Outcome.objects.create(lead=duplicate, kind="opportunity", value_cents=500_000)
    Task.objects.create(
        lead=duplicate,
        owner=seller,
        kind="follow_up",
        due_at=MONDAY + timedelta(days=1),
    )
    site = TrackedSite.objects.create(name="Site", origin="https://www.example.nl")
    Visitor.objects.create(
        visitor_id="v-1",
        site=site,
        lead=duplicate,
        consented_at=MONDAY,
        first_seen_at=MONDAY,
        last_seen_at=MONDAY,
    )
    Qualification.objects.create(lead=survivor, need="yes")
    Qualification.objects.create(
        lead=duplicate,
        budget="yes",
        need="no",
        first_contact_at=MONDAY + timedelta(hours=4),
        first_contact_by=seller,
    )
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    return survivor, duplicate


def test_merging_moves_every_row_of_the_duplicate_to_the_survivor(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    before = _rows_by_lead()

    merge_leads(survivor, duplicate, by=seller, now=MERGED_AT, reason="same person")

    assert not Lead.objects.filter(pk=duplicate.pk).exists()
    after = _rows_by_lead()
    for table, rows in before.items():
        if table == "qualifications":
            continue
        assert set(after[table]) == set(rows), table
        assert all(
            after[table][row_id] == survivor.pk
            for row_id, lead_id in rows.items()
            if lead_id == duplicate.pk
        ), table
    assert Event.objects.filter(lead=survivor).count() == 3


def test_merging_fills_only_the_survivors_empty_fields(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    merge_leads(survivor, duplicate, by=seller, now=MERGED_AT)
    survivor.refresh_from_db()
    assert survivor.last_name == "de Vries"
    assert (survivor.phone, survivor.phone_country) == ("+31612345678", "NL")
    assert (survivor.sector, survivor.budget_euros, survivor.job_title) == (
        "software",
        25_000,
        "CTO",
    )


def test_merging_keeps_one_qualification_with_known_answers_and_first_contact(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    merge_leads(survivor, duplicate, by=seller, now=MERGED_AT)
    qualification = Qualification.objects.get(lead=survivor)
    assert (qualification.budget, qualification.need) == ("yes", "yes")
    assert qualification.first_contact_at == MONDAY + timedelta(hours=4)
    assert qualification.first_contact_by == seller
    assert Qualification.objects.count() == 1


def test_a_merge_is_recorded_and_the_survivor_rescored(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    result = merge_leads(survivor, duplicate, by=seller, now=MERGED_AT, reason="twice")

    merge = LeadMerge.objects.get()
    assert (merge.survivor, merge.merged_email, merge.merged_by) == (
        survivor,
        DUPLICATE_EMAIL,
        seller,
    )
    assert merge.reason == "twice"
    assert merge.snapshot["lead"]["email"] == DUPLICATE_EMAIL
    assert sorted(merge.moved_rows["leads.event.lead"]) == sorted(
        Event.objects.filter(external_id__startswith="d-").values_list("pk", flat=True)
    )
    assert result.rescored.score.trigger == "merge"
    survivor.refresh_from_db()
    assert survivor.score_total == result.rescored.score.total


def test_undo_restores_every_row_and_field_exactly(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    before = _rows_by_lead()
    merge = merge_leads(survivor, duplicate, by=seller, now=MERGED_AT).merge

    restored = undo_merge(merge, by=seller, now=MERGED_AT + timedelta(days=1)).restored

    assert restored.pk == duplicate.pk
    assert _rows_by_lead() == before
    restored.refresh_from_db()
    for field in ("email", "first_name", "last_name", "company_id", "phone", "sector"):
        assert getattr(restored, field) == getattr(duplicate, field), field
    assert restored.created_at == duplicate.created_at
    survivor.refresh_from_db()
    assert (survivor.phone, survivor.sector, survivor.budget_euros) == ("", "", None)
    survivor_qualification = Qualification.objects.get(lead=survivor)
    assert (survivor_qualification.budget, survivor_qualification.need) == (
        "unknown",
        "yes",
    )
    assert survivor_qualification.first_contact_at is None
    assert Qualification.objects.get(lead=restored).budget == "yes"
    merge.refresh_from_db()
    assert merge.undone_at == MERGED_AT + timedelta(days=1)


def test_undo_keeps_a_field_changed_since_the_merge(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    merge = merge_leads(survivor, duplicate, by=seller, now=MERGED_AT).merge
    submit_lead(SURVIVOR_EMAIL, {"sector": "logistics"}, now=MERGED_AT)

    undo_merge(merge, by=seller, now=MERGED_AT + timedelta(hours=1))

    survivor.refresh_from_db()
    assert survivor.sector == "logistics"


def test_undo_after_30_days_is_refused(leads: tuple[Lead, Lead], seller: User) -> None:
    survivor, duplicate = leads
    with time_machine.travel(MERGED_AT, tick=False):
        merge = merge_leads(survivor, duplicate, by=seller, now=timezone.now()).merge
    with (
        time_machine.travel(MERGED_AT + timedelta(days=30, minutes=1), tick=False),
        pytest.raises(MergeTooOld, match="30 days"),
    ):
        undo_merge(merge, by=seller, now=timezone.now())
    assert not Lead.objects.filter(email=DUPLICATE_EMAIL).exists()


def test_undo_on_the_30th_day_still_works(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    merge = merge_leads(survivor, duplicate, by=seller, now=MERGED_AT).merge
    undo_merge(merge, by=seller, now=MERGED_AT + timedelta(days=30))
    assert Lead.objects.filter(email=DUPLICATE_EMAIL).exists()


def test_a_second_undo_is_refused(leads: tuple[Lead, Lead], seller: User) -> None:
    survivor, duplicate = leads
    merge = merge_leads(survivor, duplicate, by=seller, now=MERGED_AT).merge
    undo_merge(merge, by=seller, now=MERGED_AT)
    with pytest.raises(MergeAlreadyUndone):
        undo_merge(merge, by=seller, now=MERGED_AT)


def test_merging_keeps_an_event_whose_id_the_survivor_has_too(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    """Event ids are unique per lead and sender: the same id on both leads
    must not stop the merge, and undo gives the duplicate its id back."""
    survivor, duplicate = leads
    at = (MONDAY + timedelta(hours=5)).isoformat()
    submit_events(
        [
            RawEvent(SURVIVOR_EMAIL, "download", at, {}, "crm-7"),
            RawEvent(DUPLICATE_EMAIL, "download", at, {}, "crm-7"),
        ],
        now=MONDAY + timedelta(hours=6),
        source="api",
    )
    clashing = Event.objects.get(lead=duplicate, external_id="crm-7")
    merge = merge_leads(survivor, duplicate, by=seller, now=MERGED_AT).merge
    moved = Event.objects.get(pk=clashing.pk)
    assert (moved.lead_id, moved.external_id) == (survivor.pk, None)
    restored = undo_merge(merge, by=seller, now=MERGED_AT + timedelta(hours=1)).restored
    clashing.refresh_from_db()
    assert (clashing.lead_id, clashing.external_id) == (restored.pk, "crm-7")


def test_a_lead_cannot_be_merged_into_itself(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, _duplicate = leads
    with pytest.raises(CannotMerge, match="into itself"):
        merge_leads(survivor, survivor, by=seller, now=MERGED_AT)
    assert not LeadMerge.objects.exists()


def test_merging_keeps_one_open_task_per_kind_and_undo_reopens_the_other(
    leads: tuple[Lead, Lead], seller: User
) -> None:
    survivor, duplicate = leads
    # Jan asked for a demo as the survivor too: hot on his own after an undo.
    at = (MONDAY + timedelta(hours=5)).isoformat()
    submit_events(
        [
            RawEvent(SURVIVOR_EMAIL, "demo_request", at, {}, "s-2"),
            RawEvent(SURVIVOR_EMAIL, "email_reply", at, {}, "s-3"),
        ],
        now=MONDAY + timedelta(hours=6),
        source="api",
    )
    Task.objects.filter(done_at__isnull=True).delete()
    later = Task.objects.create(
        lead=survivor, owner=seller, kind="first_contact", due_at=MONDAY + timedelta(3)
    )
    first = Task.objects.create(
        lead=duplicate, owner=seller, kind="first_contact", due_at=MONDAY + timedelta(1)
    )
    follow_up = Task.objects.create(
        lead=duplicate, owner=seller, kind="follow_up", due_at=MONDAY + timedelta(2)
    )

    merge = merge_leads(survivor, duplicate, by=seller, now=MERGED_AT).merge

    still_open = Task.objects.filter(lead=survivor, done_at__isnull=True)
    assert sorted(still_open.values_list("pk", flat=True)) == [first.pk, follow_up.pk]
    later.refresh_from_db()
    assert later.done_at == MERGED_AT
    assert later.closed_reason.startswith("merged")

    restored = undo_merge(merge, by=seller, now=MERGED_AT + timedelta(hours=1)).restored

    later.refresh_from_db()
    assert later.lead_id == survivor.pk
    assert later.done_at is None
    assert later.closed_reason == ""
    assert set(
        Task.objects.filter(lead=restored, done_at__isnull=True).values_list(
            "pk", flat=True
        )
    ) == {first.pk, follow_up.pk}
