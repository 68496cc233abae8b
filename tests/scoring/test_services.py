"""Scores are stored with their history; only changes make new rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.core.bands import Band
from leadqual.core.errors import ScoringModelInUse
from leadqual.core.scoring import ScoreTrigger
from leadqual.scoring.models import BandChange, Score, ScoringModelVersion
from leadqual.scoring.services import (
    active_scoring_model,
    load_scoring_model,
    rescore_lead,
)
from tests.factories import EventFactory, LeadFactory

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_migrate_installs_and_activates_the_default_model() -> None:
    model = active_scoring_model()
    assert model.version == 1
    assert "B2B software" in model.name


def test_rescoring_an_unchanged_lead_writes_no_new_row() -> None:
    lead = LeadFactory.create()
    first = rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE)
    again = rescore_lead(
        lead, now=NOW + timedelta(hours=1), trigger=ScoreTrigger.RESCORE
    )
    assert first.changed and not again.changed
    assert Score.objects.filter(lead=lead).count() == 1


def test_a_changed_score_adds_a_row_and_keeps_the_old_one() -> None:
    lead = LeadFactory.create()
    rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE)
    EventFactory.create(lead=lead, type="demo_request", occurred_at=NOW)
    rescore_lead(lead, now=NOW, trigger=ScoreTrigger.EVENT)
    totals = list(
        Score.objects.filter(lead=lead).order_by("id").values_list("total", flat=True)
    )
    assert len(totals) == 2 and totals[1] > totals[0]


def test_a_band_change_is_recorded_for_triage() -> None:
    lead = LeadFactory.create(
        budget_euros=50_000, urgency="immediate", job_title="Directeur"
    )
    first = rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE)
    EventFactory.create(lead=lead, type="demo_request", occurred_at=NOW)
    EventFactory.create(lead=lead, type="email_reply", occurred_at=NOW)
    second = rescore_lead(lead, now=NOW, trigger=ScoreTrigger.EVENT)
    assert first.band is Band.WARM and second.band is Band.HOT
    changes = list(
        BandChange.objects.filter(lead=lead)
        .order_by("id")
        .values_list("from_band", "to_band")
    )
    assert changes == [("", "warm"), ("warm", "hot")]
    lead.refresh_from_db()
    assert (lead.band, lead.score_total) == ("hot", second.score.total)


def test_a_used_model_version_cannot_be_edited() -> None:
    rescore_lead(LeadFactory.create(), now=NOW, trigger=ScoreTrigger.RESCORE)
    model = ScoringModelVersion.objects.get(is_active=True)
    model.source = model.source.replace("cap = 40", "cap = 45")
    with pytest.raises(ScoringModelInUse):
        model.save()


def test_loading_a_changed_file_creates_the_next_version() -> None:
    active = active_scoring_model()
    row, created = load_scoring_model(
        active.source.replace("hot = 70", "hot = 75"), activate=True, now=NOW
    )
    assert created and row.version == 2
    assert active_scoring_model().pk == row.pk
    active.refresh_from_db()
    assert not active.is_active
