"""The predictive model's row of a lead holds only what was known at its moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from leadqual.core.ai_input import with_ai_group
from leadqual.core.events import Event, EventType
from leadqual.core.lead_features import (
    feature_words,
    lead_features,
    prior_logit,
    size_band,
)
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import LeadProfile
from leadqual.core.scoring import ScoringModel

ARRIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JUDGED = ARRIVED + timedelta(days=7)


def _source() -> str:
    return (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return parse_scoring_model(_source())


PROFILE = LeadProfile(
    email="jan@bouwbedrijf.nl",
    sector="software",
    employees=25,
    budget_euros=12_000,
    urgency="immediate",
    arrived_at=ARRIVED,
)
DEMO = Event(EventType.DEMO_REQUEST, ARRIVED + timedelta(days=1))


def test_events_after_the_moment_change_nothing(model: ScoringModel) -> None:
    """A meeting that happened later, and a demo request that happened before
    the moment but was received after it, are both unknown at the moment."""
    before = lead_features(PROFILE, [DEMO], model, at=JUDGED)
    later = [
        DEMO,
        Event(EventType.MEETING, JUDGED + timedelta(hours=1)),
        Event(
            EventType.DEMO_REQUEST,
            JUDGED - timedelta(days=1),
            received_at=JUDGED + timedelta(minutes=5),
        ),
    ]
    after = lead_features(PROFILE, later, model, at=JUDGED)
    assert after == before
    assert before.values["demo_request_count"] == 1
    assert before.values["meeting_count"] == 0


def test_the_rules_that_fired_are_features_and_their_score_the_prior(
    model: ScoringModel,
) -> None:
    row = lead_features(PROFILE, [DEMO], model, at=JUDGED)
    assert row.values["rule_demo_request"] is True
    assert row.values["rule_free_mail"] is False
    assert row.rules_score > 50
    assert row.prior_logit == prior_logit(row.rules_score) > 0


def test_the_predicted_chance_never_feeds_the_model(model: ScoringModel) -> None:
    """With an ai group in the scoring model, a lead's stored chance would
    otherwise enter its own features through the rules' score."""
    with_ai = parse_scoring_model(with_ai_group(_source()))
    plain = lead_features(PROFILE, [DEMO], with_ai, at=JUDGED)
    hopeful = lead_features(
        replace(PROFILE, ai_probability=95), [DEMO], with_ai, at=JUDGED
    )
    assert hopeful == plain
    assert not any(name.startswith("rule_ai_") for name in plain.values)
    assert "ai_probability" not in plain.values


def test_fields_that_name_a_person_or_company_are_left_out(
    model: ScoringModel,
) -> None:
    row = lead_features(
        replace(PROFILE, job_title="Eigenaar", company_name="Jansen Bouw"),
        [],
        model,
        at=JUDGED,
    )
    assert {"job_title", "company_name", "email_domain"}.isdisjoint(row.values)
    assert row.values["days_since_arrival"] == 7
    assert row.values["days_since_last_event"] is None


@pytest.mark.parametrize(
    ("employees", "band"),
    [(None, None), (3, "1-9"), (10, "10-49"), (249, "50-249"), (250, "250+")],
)
def test_size_bands_for_bias_per_segment(employees: int | None, band: str) -> None:
    assert size_band(employees) == band


def test_every_feature_has_words_in_english_and_dutch(model: ScoringModel) -> None:
    """The model card lists features by these words, never by column name."""
    row = lead_features(PROFILE, [DEMO], model, at=JUDGED)

    for name in row.values:
        words = feature_words(name, model)
        assert "_" not in words.en + words.nl, (name, words)
    assert feature_words("page_view_recent", model).en == (
        "page views in the last 30 days"
    )
    assert feature_words("rule_demo_request", model).nl == "regel: Vroeg een demo aan"
    assert feature_words("a_column_from_elsewhere").en == "a_column_from_elsewhere"
