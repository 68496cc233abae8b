"""The predictive model on stored leads: train, decide, predict, score.

The leads are the optimiser's twenty weeks of history (tests/model_drafts.py):
strong leads (core sector, budget, a demo request) mostly become an
opportunity, weak ones are rejected. Huey runs tasks at once in the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leadqual.core.ai_input import has_ai_input
from leadqual.core.lifecycle import Decision
from leadqual.core.scoring import Group, ScoreTrigger
from leadqual.intake.pipeline import submit_lead
from leadqual.leads.models import Lead
from leadqual.modelling.models import ModelStatus, PredictiveModelVersion
from leadqual.modelling.services import (
    DecisionNotPossible,
    approve_model,
    refresh_predictions,
    reject_model,
    start_training,
    train_version,
    trained_model,
)
from leadqual.scoring.models import Score
from leadqual.scoring.services import active_scoring_model, parsed_model
from leadqual.triage.services import record_feedback
from tests.factories import EventFactory, LeadFactory
from tests.model_drafts import history_with_outcomes

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _trained() -> PredictiveModelVersion:
    history_with_outcomes(NOW)
    row = start_training(by=None, now=NOW)
    return train_version(row.pk, now=NOW)


def test_training_stores_a_draft_with_its_card_and_a_file_that_loads() -> None:
    row = _trained()
    assert row.status == ModelStatus.DRAFT
    assert row.trained_at == NOW
    card = row.card
    assert card["examples"] == 120
    assert card["conversions"] == 40
    assert card["target"] == "opportunity"
    validation = card["validation"]
    # A model trained on the older 90 is checked on the newest 30, then the
    # stored one learns from all 120.
    assert validation["checked"] is True
    assert validation["rows"] == 30
    assert card["checked_with"]["rows"] == 90
    assert card["checked_with"]["until"] < validation["from"]
    assert validation["model_auc"] >= validation["rules_auc"] - 1e-9
    assert card["trained_on"]["rows"] == 120
    assert trained_model(row).card.rows_used == 120
    assert {"features", "score"} <= set(row.reference)


def test_too_few_reviewed_leads_fail_with_the_reason_and_never_predict() -> None:
    for index in range(5):
        lead = LeadFactory.create(created_at=NOW - timedelta(days=30 + index))
        record_feedback(
            lead,
            Decision.ACCEPTED,
            reason=None,
            given_by=None,
            now=NOW - timedelta(days=20),
        )
    row = train_version(start_training(by=None, now=NOW).pk, now=NOW)
    assert row.status == ModelStatus.FAILED
    assert "Only 5 leads have been reviewed" in row.error
    assert not row.artefact


def test_a_second_click_while_training_starts_no_second_training() -> None:
    first = start_training(by=None, now=NOW)
    assert start_training(by=None, now=NOW + timedelta(minutes=1)).pk == first.pk
    assert PredictiveModelVersion.objects.count() == 1


def test_training_twice_leaves_the_trained_version_alone() -> None:
    row = _trained()
    again = train_version(row.pk, now=NOW + timedelta(hours=1))
    assert again.trained_at == NOW


def test_approving_adds_the_ai_group_as_a_new_scoring_model_version() -> None:
    row = _trained()
    before = active_scoring_model()
    approval = approve_model(row.version, by=None, now=NOW)
    after = active_scoring_model()
    assert approval.scoring_model is not None
    assert after.pk == approval.scoring_model.pk != before.pk
    assert has_ai_input(parsed_model(after))
    old_points = {rule.name: rule.points for rule in parsed_model(before).rules}
    assert {
        rule.name: rule.points
        for rule in parsed_model(after).rules
        if rule.group is not Group.AI
    } == old_points
    row.refresh_from_db()
    assert row.status == ModelStatus.APPROVED


def test_approving_a_second_model_retires_the_first_and_keeps_the_scoring_model() -> (
    None
):
    first = _trained()
    approve_model(first.version, by=None, now=NOW)
    scoring = active_scoring_model()
    second = train_version(
        start_training(by=None, now=NOW + timedelta(hours=1)).pk,
        now=NOW + timedelta(hours=1),
    )
    approval = approve_model(second.version, by=None, now=NOW + timedelta(hours=2))
    assert approval.retired == first.version
    assert approval.scoring_model is None
    assert active_scoring_model().pk == scoring.pk
    first.refresh_from_db()
    assert first.status == ModelStatus.RETIRED


def test_a_decided_model_cannot_be_decided_again() -> None:
    row = _trained()
    reject_model(row.version, by=None, reason="Too little data", now=NOW)
    with pytest.raises(DecisionNotPossible, match="no draft waiting"):
        approve_model(row.version, by=None, now=NOW)
    row.refresh_from_db()
    assert row.status == ModelStatus.REJECTED
    assert row.decision_reason == "Too little data"


def _open_lead(*, strong: bool) -> Lead:
    lead = LeadFactory.create(
        created_at=NOW - timedelta(days=1),
        sector="software" if strong else "horeca",
        budget_euros=20_000 if strong else 1_000,
        employees=40 if strong else 3,
        urgency="immediate" if strong else "exploring",
    )
    if strong:
        EventFactory.create(
            lead=lead,
            type="demo_request",
            occurred_at=NOW - timedelta(hours=20),
            properties={},
        )
    return lead


def test_after_approval_open_leads_get_a_chance_and_the_ai_group_in_their_score() -> (
    None
):
    row = _trained()
    strong, weak = _open_lead(strong=True), _open_lead(strong=False)
    approve_model(row.version, by=None, now=NOW)
    refresh_predictions(now=NOW)
    strong.refresh_from_db()
    weak.refresh_from_db()
    assert strong.ai_probability is not None and weak.ai_probability is not None
    assert strong.ai_probability > weak.ai_probability
    score = Score.objects.filter(lead=strong).latest("computed_at")
    assert score.trigger == ScoreTrigger.PREDICTION
    ai_hits = [hit for hit in score.explanation if hit["group"] == "ai"]
    assert ai_hits, score.explanation
    assert score.ai == sum(hit["points"] for hit in ai_hits) > 0
    assert score.total == score.fit + score.intent + score.engagement + score.ai


def test_a_second_refresh_changes_nothing() -> None:
    row = _trained()
    _open_lead(strong=True)
    approve_model(row.version, by=None, now=NOW)
    refresh_predictions(now=NOW)
    assert refresh_predictions(now=NOW + timedelta(minutes=5)) == 0


def test_without_an_approved_model_the_chances_are_cleared() -> None:
    row = _trained()
    lead = _open_lead(strong=True)
    approve_model(row.version, by=None, now=NOW)
    refresh_predictions(now=NOW)
    PredictiveModelVersion.objects.filter(pk=row.pk).update(status=ModelStatus.RETIRED)
    assert refresh_predictions(now=NOW + timedelta(minutes=1)) >= 1
    lead.refresh_from_db()
    assert lead.ai_probability is None
    score = Score.objects.filter(lead=lead).latest("computed_at")
    assert score.ai == 0


def test_an_arriving_lead_is_predicted_before_it_is_scored() -> None:
    row = _trained()
    approve_model(row.version, by=None, now=NOW)
    outcome = submit_lead(
        "eigenaar@softwarehuis.nl",
        {
            "sector": "software",
            "employees": 40,
            "budget_euros": 20_000,
            "urgency": "immediate",
        },
        now=NOW,
    )
    lead = Lead.objects.get(email="eigenaar@softwarehuis.nl")
    assert lead.ai_probability is not None
    assert outcome.rescored.score.explanation  # scored once, with the chance in
    groups = {hit["group"] for hit in outcome.rescored.score.explanation}
    assert ("ai" in groups) == (lead.ai_probability >= 15)


def test_without_an_approved_model_arrivals_are_not_predicted() -> None:
    submit_lead("iemand@bakkerij.nl", {"sector": "horeca"}, now=NOW)
    assert Lead.objects.get(email="iemand@bakkerij.nl").ai_probability is None
