"""The demo history: deterministic, plausible, and with real signal in it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F, Max

from leadqual.core.hygiene import email_domain, is_disposable, is_free_mail
from leadqual.core.lifecycle import OutcomeKind
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.scoring import ScoringModel
from leadqual.demo.generator import (
    ARRIVAL_WINDOW,
    COMPETITOR_DOMAIN,
    DEMO_SOURCES,
    EXACT_HISTORY,
    HISTORY_DAYS,
    STALE_AFTER,
    DemoPlan,
    ensure_demo_users,
    load_plan,
    plan_demo_data,
)
from leadqual.leads.models import Event, Lead
from leadqual.scoring.models import Score
from leadqual.scoring.services import (
    active_scoring_model,
    default_model_source,
    parsed_model,
)
from leadqual.triage.models import Feedback, Notice, Outcome, Task

NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    """The shipped scoring model, as the migration installs it (version 1)."""
    return parse_scoring_model(default_model_source(), version=1)


@pytest.fixture(scope="module")
def plan(model: ScoringModel) -> DemoPlan:
    return plan_demo_data(seed=5, now=NOW, leads=300, model=model)


def test_the_same_seed_and_now_give_the_same_plan(model: ScoringModel) -> None:
    first = plan_demo_data(seed=3, now=NOW, leads=120, model=model)
    second = plan_demo_data(seed=3, now=NOW, leads=120, model=model)
    assert first == second


def test_different_seeds_give_different_leads(model: ScoringModel) -> None:
    first = plan_demo_data(seed=3, now=NOW, leads=60, model=model)
    second = plan_demo_data(seed=4, now=NOW, leads=60, model=model)
    assert {lead.email for lead in first.leads} != {lead.email for lead in second.leads}


def test_every_lead_arrives_in_the_six_months_before_now(plan: DemoPlan) -> None:
    earliest = NOW - timedelta(days=HISTORY_DAYS)
    assert all(earliest <= lead.arrived_at < NOW for lead in plan.leads)
    arrivals = [lead.arrived_at for lead in plan.leads]
    assert arrivals == sorted(arrivals)


def test_events_happen_after_arrival_and_before_now(plan: DemoPlan) -> None:
    for lead in plan.leads:
        for batch in lead.batches:
            assert batch.received_at <= NOW
            for event in batch.events:
                assert lead.arrived_at <= event.occurred_at <= batch.received_at
        for moment in [o.at for o in lead.outcomes] + (
            [lead.feedback.at] if lead.feedback else []
        ):
            assert lead.arrived_at < moment < NOW


def test_most_leads_arrive_on_weekdays_in_office_hours(plan: DemoPlan) -> None:
    local = [lead.arrived_at.astimezone(NOW.tzinfo) for lead in plan.leads]
    weekdays = sum(1 for moment in local if moment.weekday() < 5)
    assert weekdays / len(local) > 0.85


def test_the_plan_mixes_in_the_noise_real_leads_have(plan: DemoPlan) -> None:
    domains = [email_domain(lead.email) for lead in plan.leads]
    titles = [str(lead.fields["job_title"]).casefold() for lead in plan.leads]
    assert sum(is_free_mail(domain) for domain in domains) >= 10
    assert any(is_disposable(domain) for domain in domains)
    assert COMPETITOR_DOMAIN in domains
    assert any("student" in title or "stagiair" in title for title in titles)
    countries = Counter(lead.fields["country"] for lead in plan.leads)
    assert countries["NL"] > countries["BE"] > 0
    assert {lead.fields["source"] for lead in plan.leads} == set(DEMO_SOURCES)


def test_pricing_and_product_pages_match_the_default_model(plan: DemoPlan) -> None:
    urls = [
        str(event.properties.get("url"))
        for lead in plan.leads
        for event in lead.events
        if event.type == "page_view"
    ]
    assert "https://www.voorbeeld-software.nl/prijzen" in urls
    assert any("/product/" in url for url in urls)


def test_every_event_has_a_unique_external_id_of_its_seed(plan: DemoPlan) -> None:
    ids = [event.external_id for lead in plan.leads for event in lead.events]
    assert len(ids) == len(set(ids))
    assert all(external_id.startswith("demo-5-") for external_id in ids)


@pytest.mark.django_db
def test_loading_stores_the_scores_and_events_of_the_plan() -> None:
    """Every stored score follows from the stored events: the plan predicts it."""
    row = active_scoring_model()
    plan = plan_demo_data(seed=6, now=NOW, leads=40, model=parsed_model(row))
    summary = load_plan(plan, scoring_model=row, users=ensure_demo_users())
    assert summary.leads_created == 40
    assert summary.events == plan.event_count == Event.objects.count()
    for planned in plan.leads:
        lead = Lead.objects.get(email=planned.email)
        assert lead.score_total == planned.score_at_now
        assert lead.created_at == planned.arrived_at
        first_event = lead.events.order_by("occurred_at").first()
        assert first_event is not None and first_event.occurred_at >= lead.created_at


@pytest.mark.django_db
def test_the_top_score_quartile_wins_far_more_often_than_the_bottom() -> None:
    row = active_scoring_model()
    plan = plan_demo_data(seed=2, now=NOW, leads=200, model=parsed_model(row))
    load_plan(plan, scoring_model=row, users=ensure_demo_users())
    peaks = sorted(
        Score.objects.values("lead_id")
        .annotate(peak=Max("total"))
        .values_list("peak", "lead_id")
    )
    won = set(
        Outcome.objects.filter(kind=OutcomeKind.WON).values_list("lead_id", flat=True)
    )
    quarter = len(peaks) // 4
    bottom = sum(lead_id in won for _peak, lead_id in peaks[:quarter]) / quarter
    top = sum(lead_id in won for _peak, lead_id in peaks[-quarter:]) / quarter
    assert top >= 0.08
    assert top >= bottom + 0.06
    assert Feedback.objects.filter(decision="rejected").exclude(reason="").exists()


@pytest.mark.django_db
def test_the_demo_team_works_its_queue_as_a_real_team_does() -> None:
    """At ``now`` a few tasks are overdue, none for months (#12).

    Every Friday the sellers close what is more than STALE_AFTER overdue, so
    nothing is older than that plus the week since the last clear-up; each
    closed task says why and who. Notices are seen every working morning.
    """
    row = active_scoring_model()
    plan = plan_demo_data(seed=7, now=NOW, leads=200, model=parsed_model(row))

    summary = load_plan(plan, scoring_model=row, users=ensure_demo_users())

    overdue = Task.objects.filter(done_at__isnull=True, due_at__lt=NOW)
    oldest_allowed = NOW - STALE_AFTER - timedelta(days=7, hours=1)
    assert not overdue.filter(due_at__lt=oldest_allowed).exists()
    cleared = Task.objects.filter(
        closed_reason__in=["no response", "no longer relevant"]
    )
    assert summary.stale_tasks_closed == cleared.count() > 0
    assert not cleared.filter(closed_by=None).exists()
    weekend_ago = NOW - timedelta(days=3, hours=1)
    assert not Notice.objects.filter(seen_at=None, created_at__lt=weekend_ago).exists()


@pytest.mark.django_db
def test_sales_acts_when_planned_lately_and_within_a_window_long_ago() -> None:
    """Old sales steps wait for their arrivals' window (EXACT_HISTORY); never early.

    Nothing is done before it exists: a task is closed after it was opened,
    feedback follows the lead's arrival.
    """
    row = active_scoring_model()
    plan = plan_demo_data(seed=7, now=NOW, leads=200, model=parsed_model(row))

    load_plan(plan, scoring_model=row, users=ensure_demo_users())

    given_at = dict(Feedback.objects.values_list("lead__email", "given_at"))
    recent = shifted = 0
    for planned in plan.leads:
        if planned.feedback is None:
            continue
        at = given_at[planned.email]
        if planned.feedback.at >= NOW - EXACT_HISTORY:
            recent += 1
            assert at == planned.feedback.at
        else:
            assert planned.feedback.at <= at <= planned.feedback.at + ARRIVAL_WINDOW
            shifted += at != planned.feedback.at
        assert at >= planned.arrived_at
    assert recent > 0 and shifted > 0
    done_before_opened = Task.objects.filter(done_at__lt=F("created_at"))
    assert not done_before_opened.exists()
