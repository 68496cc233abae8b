"""``leadqual demo-data --events M``: exactly N leads and M events, written in bulk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min
from django.test import Client
from django.urls import reverse

from leadqual.core.events import EventType
from leadqual.demo.bulk import BULK_FROM_LEADS, plan_bulk_leads
from leadqual.demo.generator import HISTORY_DAYS, external_id_prefix
from leadqual.leads.models import Event, Lead
from leadqual.privacy.models import ConsentRecord
from leadqual.privacy.services import erase_person
from leadqual.scoring.models import Score
from leadqual.triage.models import LeadKpiFact
from tests.factories import LeadFactory
from tests.leads.test_duplicates import searched_pairs, stored_pairs
from tests.triage.test_kpi_facts import assert_kpi_sums_match_the_leads

pytestmark = pytest.mark.django_db

# Friday 27 November 2026, 10:00 in Utrecht.
CLOCK = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NOW = "2026-11-27T10:00:00+01:00"


def run_demo_data(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", *args, "--no-progress", "--workers", "1", stdout=out)
    return out.getvalue()


def test_bulk_mode_stores_exactly_the_leads_and_events_asked_for() -> None:
    output = run_demo_data("--leads", "200", "--events", "2000", "--now", NOW)
    assert Lead.objects.count() == 200
    assert Event.objects.count() == 2000
    assert "Loaded 200 demo leads with 2,000 events (seed 1) in bulk" in output
    assert "Demo logins (password leadqual-demo)" in output


def test_every_bulk_lead_is_scored_once_at_the_end() -> None:
    run_demo_data("--leads", "200", "--events", "2000", "--now", NOW)
    assert not Lead.objects.filter(score_total__isnull=True).exists()
    assert Score.objects.count() == 200
    assert set(Score.objects.values_list("computed_at", flat=True)) == {CLOCK}


def test_bulk_leads_get_their_suspected_duplicate_pairs_as_a_search_finds_them() -> (
    None
):
    run_demo_data("--leads", "200", "--events", "2000", "--now", NOW)
    # The generator numbers its companies, so pairs are rare; what the rebuild
    # must leave behind is every lead's match keys, ready for later arrivals.
    assert stored_pairs() == searched_pairs()
    assert Lead.objects.exclude(domain_match_key="").exists()
    assert Lead.objects.exclude(company_match_key="").exists()


def test_bulk_leads_are_counted_in_the_kpi_sums_as_a_rebuild_counts_them() -> None:
    run_demo_data("--leads", "200", "--events", "2000", "--now", NOW)
    assert LeadKpiFact.objects.count() == 200
    assert_kpi_sums_match_the_leads()


def test_events_belong_to_stored_leads_and_lie_between_arrival_and_the_clock() -> None:
    """Without --now the history ends at the start of the current hour."""
    with time_machine.travel(CLOCK + timedelta(minutes=25), tick=False):
        run_demo_data("--leads", "200", "--events", "2000")
    assert not Event.objects.exclude(lead__in=Lead.objects.all()).exists()
    span = Event.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    assert span["last"] < CLOCK
    assert span["first"] > CLOCK - timedelta(days=HISTORY_DAYS)
    early = [
        event
        for event in Event.objects.select_related("lead")
        if event.occurred_at < event.lead.created_at
    ]
    assert early == []


def test_every_lead_arrives_with_its_form_submission() -> None:
    run_demo_data("--leads", "200", "--events", "200", "--now", NOW)
    assert Event.objects.filter(type=EventType.FORM_SUBMIT).count() == 200
    assert Lead.objects.annotate(event_count=Count("events")).filter(
        event_count=1
    ).count() == (200)


def test_the_same_seed_gives_the_same_leads_and_events() -> None:
    first = list(plan_bulk_leads(seed=4, now=CLOCK, leads=150, events=1500))
    second = list(plan_bulk_leads(seed=4, now=CLOCK, leads=150, events=1500))
    assert first == second


def test_different_seeds_give_different_leads() -> None:
    (first,) = plan_bulk_leads(seed=4, now=CLOCK, leads=50, events=500)
    (second,) = plan_bulk_leads(seed=5, now=CLOCK, leads=50, events=500)
    assert {lead.email for lead in first} != {lead.email for lead in second}


def test_the_data_is_the_same_for_any_number_of_worker_processes() -> None:
    alone = list(
        plan_bulk_leads(seed=4, now=CLOCK, leads=130, events=900, chunk_leads=40)
    )
    side_by_side = list(
        plan_bulk_leads(
            seed=4, now=CLOCK, leads=130, events=900, chunk_leads=40, workers=2
        )
    )
    assert [len(chunk) for chunk in alone] == [40, 40, 40, 10]
    assert side_by_side == alone
    assert sum(len(lead.events) for chunk in alone for lead in chunk) == 900


def test_every_lead_has_its_consent_recorded_for_its_source() -> None:
    run_demo_data("--leads", "200", "--events", "2000", "--now", NOW)
    assert not Lead.objects.filter(consent_given=False).exists()
    records = {
        record.lead_id: record
        for record in ConsentRecord.objects.select_related("lead")
    }
    assert len(records) == 200
    assert all(
        record.given
        and record.source == record.lead.source
        and record.at == record.lead.consent_at == record.lead.created_at
        for record in records.values()
    )


def test_unsubscribe_and_hard_bounce_events_mark_their_leads() -> None:
    run_demo_data("--leads", "200", "--events", "4000", "--now", NOW)
    first_unsubscribe = dict(
        Event.objects.filter(type=EventType.UNSUBSCRIBE)
        .values("lead_id")
        .annotate(at=Min("occurred_at"))
        .values_list("lead_id", "at")
    )
    marked = dict(
        Lead.objects.filter(unsubscribed_at__isnull=False).values_list(
            "id", "unsubscribed_at"
        )
    )
    assert first_unsubscribe
    assert marked == first_unsubscribe
    bounced = set(
        Event.objects.filter(type=EventType.BOUNCE, properties__kind="hard")
        .values_list("lead_id", flat=True)
        .distinct()
    )
    assert bounced
    assert (
        set(
            Lead.objects.filter(hard_bounced_at__isnull=False).values_list(
                "id", flat=True
            )
        )
        == bounced
    )


def test_the_queue_and_lead_pages_load_on_bulk_data() -> None:
    run_demo_data("--leads", "200", "--events", "2000", "--now", NOW)
    sanne = User.objects.get(username="sanne")
    owned = Lead.objects.filter(owner=sanne).order_by("-score_total").first()
    assert owned is not None, "triage gave the demo seller no leads"
    busiest = (
        Lead.objects.annotate(event_count=Count("events"))
        .order_by("-event_count", "id")
        .first()
    )
    assert busiest is not None
    client = Client()
    client.force_login(sanne)
    with time_machine.travel(CLOCK, tick=False):
        queue = client.get(reverse("triage:queue"))
        page = client.get(reverse("leads:lead-detail", args=[owned.pk]))
        client.force_login(User.objects.get(username="admin"))
        busy_page = client.get(reverse("leads:lead-detail", args=[busiest.pk]))
        lead_list = client.get(reverse("leads:lead-list"))
    assert queue.status_code == 200
    assert owned.shown_name in queue.text
    assert page.status_code == 200
    assert owned.email in page.text
    assert busy_page.status_code == 200
    assert lead_list.status_code == 200


def test_a_bulk_lead_can_be_erased() -> None:
    run_demo_data("--leads", "20", "--events", "200", "--now", NOW)
    lead = Lead.objects.order_by("id").first()
    assert lead is not None
    erase_person(lead, actor="test", now=CLOCK)
    lead.refresh_from_db()
    assert lead.anonymised_at == CLOCK
    assert not lead.email.endswith((".nl", ".be", ".com"))


def test_new_leads_get_fresh_ids_after_a_bulk_load() -> None:
    """The bulk writer takes its ids so that the next ordinary insert does not collide."""
    run_demo_data("--leads", "30", "--events", "300", "--now", NOW)
    highest = Lead.objects.aggregate(highest=Max("id"))["highest"]
    lead = LeadFactory.create()
    assert lead.pk > highest


def test_a_second_bulk_run_of_the_same_seed_adds_nothing_and_says_so() -> None:
    run_demo_data("--leads", "20", "--events", "200", "--now", NOW)
    output = run_demo_data("--leads", "20", "--events", "200", "--now", NOW)
    assert "Demo data already loaded for seed 1 (20 leads); nothing added." in output
    assert Lead.objects.count() == 20
    assert Event.objects.filter(
        external_id__startswith=external_id_prefix(1)
    ).count() == (200)


def test_bulk_mode_refuses_a_database_that_holds_leads() -> None:
    LeadFactory.create()
    with pytest.raises(CommandError, match="The database already holds 1 leads"):
        run_demo_data("--leads", "20", "--events", "200", "--now", NOW)
    assert Lead.objects.count() == 1


def test_more_leads_than_the_replay_takes_are_loaded_in_bulk() -> None:
    """Above BULK_FROM_LEADS leads bulk mode is chosen without --events (refused
    here, before any work, because the database is not empty)."""
    LeadFactory.create()
    with pytest.raises(CommandError, match="A bulk load"):
        run_demo_data("--leads", str(BULK_FROM_LEADS + 1), "--now", NOW)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--leads", "200", "--events", "199"],
            r"--events must be a whole number from --leads \(200: every lead",
        ),
        (
            ["--leads", "200", "--events", "-5"],
            r"--events must be a whole number from --leads \(200.*got -5\.",
        ),
        (["--leads", "0", "--events", "10"], "--leads must be a whole number from 1"),
        (["--leads", "-3", "--events", "10"], "got -3"),
        (["--leads", "-3"], "--leads must be a whole number from 1 to 10,000,000"),
        (
            ["--leads", "20", "--events", "200", "--now", "2026-11-27 10:00"],
            "--now must be a date and time with a time zone",
        ),
    ],
)
def test_bad_sizes_are_refused_with_a_clear_message(
    arguments: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run_demo_data(*arguments)
    assert not Lead.objects.exists()


def test_fewer_than_one_worker_is_refused() -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="--workers must be 1 or more, got 0"):
        call_command(
            "demo_data", "--leads", "20", "--events", "200", "--workers", "0",
            stdout=out,
        )  # fmt: skip
