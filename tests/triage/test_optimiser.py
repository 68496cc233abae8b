"""The optimiser on stored leads: replay without look-ahead, drafts, the command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from leadqual.core.backtest import run_backtest
from leadqual.core.errors import DraftScoringModel
from leadqual.core.lifecycle import Decision
from leadqual.core.optimiser import optimise
from leadqual.core.scoring import ScoreTrigger
from leadqual.leads.models import Lead
from leadqual.scoring.models import ScoringModelVersion
from leadqual.scoring.services import (
    activate_scoring_model,
    active_scoring_model,
    load_scoring_model,
    parsed_model,
    rescore_lead,
)
from leadqual.triage.optimiser import (
    TRAINING_DAYS,
    every_lead_since,
    lead_histories,
    run_optimiser,
    store_proposal,
    team_capacity_per_week,
)
from leadqual.triage.services import record_feedback
from leadqual.users.models import OwnerProfile
from tests.factories import EventFactory, LeadFactory, make_user
from tests.model_drafts import history_with_outcomes

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _demo_request(lead: Lead, *, at: datetime, received_at: datetime) -> None:
    EventFactory.create(
        lead=lead,
        type="demo_request",
        occurred_at=at,
        received_at=received_at,
        properties={},
    )


def test_unreviewed_leads_are_read_only_from_the_given_arrival() -> None:
    old_reviewed = LeadFactory.create(created_at=NOW - timedelta(days=200))
    record_feedback(
        old_reviewed,
        Decision.ACCEPTED,
        reason=None,
        given_by=None,
        now=NOW - timedelta(days=199),
    )
    LeadFactory.create(created_at=NOW - timedelta(days=200))
    recent = LeadFactory.create(created_at=NOW - timedelta(days=20))

    histories = lead_histories(
        since=NOW - timedelta(days=365),
        now=NOW,
        unreviewed_since=NOW - timedelta(days=30),
    )

    assert [h.lead_id for h in histories] == [old_reviewed.pk, recent.pk]
    assert len(lead_histories(since=NOW - timedelta(days=365), now=NOW)) == 3


def test_the_optimiser_proposes_the_same_without_reading_old_unreviewed_leads() -> None:
    """Leads nobody reviewed, judged before the weeks whose volume fits the
    threshold, change nothing: leaving them unread only saves the time."""
    history_with_outcomes(NOW)
    for day in range(70, 140, 2):
        LeadFactory.create(
            created_at=NOW - timedelta(days=day),
            sector="software",
            urgency="immediate",
        )
    everyone = lead_histories(since=NOW - timedelta(days=TRAINING_DAYS), now=NOW)
    assert every_lead_since(NOW, weeks=4) > everyone[0].decided_at

    run = run_optimiser(now=NOW, weeks=4, capacity_per_week=3)
    full = optimise(
        parsed_model(active_scoring_model()),
        everyone,
        ends_at=NOW,
        weeks=4,
        capacity_per_week=3,
    )

    assert run.result.proposal == full.proposal
    assert run.result.current == full.current
    assert run.result.current_at_capacity == full.current_at_capacity
    assert run.result.proposed == full.proposed
    assert run.result.training_leads < full.training_leads


def test_replay_ignores_events_received_after_the_decision_moment() -> None:
    """Two leads did the same on arrival; one's demo request reached leadqual
    only ten days later, after the moment the lead is judged (a week after
    arrival). Only the other one is hot in the backtest."""
    arrived = NOW - timedelta(days=30)
    on_time = LeadFactory.create(created_at=arrived, urgency="immediate")
    late = LeadFactory.create(created_at=arrived, urgency="immediate")
    for lead in (on_time, late):
        EventFactory.create(
            lead=lead,
            occurred_at=arrived,
            properties={"url": "https://example.nl/prijzen"},
        )
    _demo_request(on_time, at=arrived, received_at=arrived + timedelta(minutes=5))
    _demo_request(late, at=arrived, received_at=arrived + timedelta(days=10))

    histories = {
        h.lead_id: h for h in lead_histories(since=NOW - timedelta(days=60), now=NOW)
    }
    model = parsed_model(active_scoring_model())
    backtest = run_backtest(
        [histories[on_time.pk], histories[late.pk]], model, ends_at=NOW, weeks=8
    )

    assert histories[late.pk].decided_at == arrived + timedelta(days=7)
    assert [event.type for event in histories[late.pk].events] == ["page_view"]
    assert len(histories[on_time.pk].events) == 2
    assert backtest.total.leads == 2
    assert backtest.total.hot == 1


def test_a_lead_is_judged_just_before_sales_first_touched_it() -> None:
    """What sales caused (their reply, the meeting) never feeds the score that
    should have told them whom to call."""
    arrived = NOW - timedelta(days=30)
    lead = LeadFactory.create(created_at=arrived)
    contacted = arrived + timedelta(days=1)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=None, now=contacted)
    EventFactory.create(
        lead=lead,
        type="meeting",
        occurred_at=contacted + timedelta(hours=3),
        properties={},
    )

    (history,) = lead_histories(since=arrived - timedelta(days=1), now=NOW)

    assert history.decided_at == contacted - timedelta(seconds=1)
    assert history.events == ()
    assert history.conversion.reviewed
    assert history.conversion.accepted


def test_team_capacity_adds_up_the_owners_who_are_not_away() -> None:
    for name, capacity, away in (
        ("sanne", 12, False),
        ("daan", 8, False),
        ("eva", 5, True),
    ):
        user = make_user(name)
        OwnerProfile.objects.update_or_create(
            user=user, defaults={"capacity": capacity, "is_away": away}
        )

    assert team_capacity_per_week() == 20


def test_team_capacity_is_unknown_when_an_owner_has_no_limit() -> None:
    make_user("sanne")

    assert team_capacity_per_week() is None


def test_stored_proposal_is_a_draft_that_never_scores() -> None:
    history_with_outcomes(NOW)
    active = active_scoring_model()
    run = run_optimiser(now=NOW, weeks=4, capacity_per_week=3)

    draft = store_proposal(run, now=NOW)

    draft.refresh_from_db()
    assert draft.is_draft
    assert not draft.is_active
    assert draft.version == active.version + 1
    assert active_scoring_model() == active
    assert parsed_model(draft).thresholds.hot == run.proposal.model.thresholds.hot
    assert draft.proposal["based_on_version"] == active.version
    assert {"name": "sector_core", "old_points": 12}.items() <= next(
        rule for rule in draft.proposal["rules"] if rule["name"] == "sector_core"
    ).items()
    with pytest.raises(DraftScoringModel):
        activate_scoring_model(draft, now=NOW)
    with pytest.raises(DraftScoringModel):
        rescore_lead(
            LeadFactory.create(),
            now=NOW,
            trigger=ScoreTrigger.RESCORE,
            scoring_model=draft,
        )


def test_loading_the_drafts_file_stores_a_new_version_instead_of_approving_it() -> None:
    history_with_outcomes(NOW)
    draft = store_proposal(
        run_optimiser(now=NOW, weeks=4, capacity_per_week=3), now=NOW
    )

    row, created = load_scoring_model(draft.source, activate=True, now=NOW)

    assert created
    assert row.pk != draft.pk
    draft.refresh_from_db()
    assert draft.is_draft
    assert not draft.is_active


def _run_command(*args: str) -> str:
    out = StringIO()
    call_command("optimise", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_optimise_dry_run_prints_the_proposal_and_the_backtest_and_stores_nothing() -> (
    None
):
    history_with_outcomes(NOW)
    versions = ScoringModelVersion.objects.count()

    output = _run_command("--dry-run", "--weeks", "4", "--capacity", "3")

    assert (
        "Proposal for scoring model v1 from 96 reviewed leads (32 reached opportunity)"
        in output
    )
    assert "sector_core" in output
    assert "too little evidence, unchanged" in output
    assert "Hot threshold: 70 -> " in output
    assert "for a capacity of 3 leads per week" in output
    assert "Backtest of the last 4 weeks" in output
    assert output.count("proposed  ") >= 4
    assert "all weeks   proposed" in output
    assert "Dry run: nothing stored." in output
    assert ScoringModelVersion.objects.count() == versions


@time_machine.travel(NOW, tick=False)
def test_optimise_stores_the_proposal_as_a_draft() -> None:
    history_with_outcomes(NOW)

    output = _run_command("--weeks", "4", "--capacity", "3")

    draft = ScoringModelVersion.objects.get(is_draft=True)
    assert f"Stored the proposal as draft scoring model v{draft.version}" in output
    assert ScoringModelVersion.objects.get(is_active=True).version == 1


@time_machine.travel(NOW, tick=False)
def test_optimise_without_outcomes_changes_nothing_and_stores_no_draft() -> None:
    LeadFactory.create(created_at=NOW - timedelta(days=20))

    output = _run_command("--weeks", "2")

    assert "from 0 reviewed leads" in output
    assert "Hot threshold: 70 (unchanged: no capacity known" in output
    assert "The proposal changes nothing: no draft stored." in output
    assert not ScoringModelVersion.objects.filter(is_draft=True).exists()


@time_machine.travel(NOW, tick=False)
def test_optimise_prints_the_current_model_at_the_capacity_threshold_beside_both() -> (
    None
):
    """The won rate of the proposal is compared at the same capacity: the
    current model at its own threshold 70 makes no lead hot here."""
    history_with_outcomes(NOW)

    output = _run_command("--dry-run", "--weeks", "4", "--capacity", "3")

    totals = {
        line[len("all weeks") :].strip().split("  ")[0]: line
        for line in output.splitlines()
        if line.startswith("all weeks")
    }
    assert list(totals) == ["current", "current, capacity threshold", "proposed"]
    assert totals["current"].split()[-2] == "-"
    assert totals["current, capacity threshold"].split()[-2] == "67%"
    assert totals["proposed"].split()[-2] == "67%"
