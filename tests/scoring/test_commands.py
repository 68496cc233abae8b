"""`leadqual rescore` and `leadqual load-scoring-model`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from leadqual.core.scoring import ScoreTrigger
from leadqual.scoring.models import Score, ScoringModelVersion
from leadqual.scoring.services import active_scoring_model, rescore_lead
from tests.factories import EventFactory, LeadFactory

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# The command reads the clock: it runs an hour after the first scores.
AN_HOUR_LATER = NOW + timedelta(hours=1)
pytestmark = pytest.mark.django_db


def run(name: str, *args: str, **options: object) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def model_file(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(source, encoding="utf-8")
    return path


@time_machine.travel(AN_HOUR_LATER, tick=False)
def test_rescore_scores_every_lead_and_counts_the_changes() -> None:
    scored = LeadFactory.create()
    rescore_lead(scored, now=NOW, trigger=ScoreTrigger.RESCORE)
    LeadFactory.create_batch(2)

    output = run("rescore")

    assert output == "Rescored 3 leads, 2 scores changed.\n"
    assert Score.objects.count() == 3


@time_machine.travel(AN_HOUR_LATER, tick=False)
def test_rescore_picks_up_events_since_the_last_score() -> None:
    lead = LeadFactory.create()
    rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE)
    EventFactory.create(lead=lead, type="demo_request", occurred_at=NOW)

    output = run("rescore")

    assert output == "Rescored 1 leads, 1 scores changed.\n"
    latest = Score.objects.filter(lead=lead).latest("id")
    assert latest.trigger == "rescore"


def test_rescore_without_an_active_model_fails_with_one_line() -> None:
    LeadFactory.create()
    ScoringModelVersion.objects.update(is_active=False)

    with pytest.raises(CommandError) as raised:
        run("rescore")

    assert "No scoring model is active." in str(raised.value)
    assert "\n" not in str(raised.value)


def test_loading_a_changed_model_file_activates_the_next_version(
    tmp_path: Path,
) -> None:
    source = active_scoring_model().source.replace("hot = 70", "hot = 75")

    output = run("load_scoring_model", str(model_file(tmp_path, source)))

    assert "as scoring model v2." in output
    assert "v2 is active; every lead is being rescored" in output
    assert active_scoring_model().version == 2


@time_machine.travel(AN_HOUR_LATER, tick=False)
def test_activating_a_changed_model_rescores_every_lead_under_it(
    tmp_path: Path,
) -> None:
    """Every lead is rescored when its model changes (the job runs at once in tests)."""
    lead = LeadFactory.create()
    rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE)
    source = (
        active_scoring_model()
        .source.replace("cap = 40", "cap = 45")
        .replace("cap = 35", "cap = 30")
    )

    run("load_scoring_model", str(model_file(tmp_path, source)))

    latest = Score.objects.filter(lead=lead).order_by("-id").first()
    assert latest is not None and latest.model_version == 2


def test_loading_with_no_activate_keeps_the_current_version_active(
    tmp_path: Path,
) -> None:
    source = active_scoring_model().source.replace("hot = 70", "hot = 75")

    output = run(
        "load_scoring_model", str(model_file(tmp_path, source)), no_activate=True
    )

    assert "v2 is not active." in output
    assert active_scoring_model().version == 1
    assert ScoringModelVersion.objects.filter(version=2, is_active=False).exists()


def test_loading_the_same_file_again_stores_nothing_new(tmp_path: Path) -> None:
    path = model_file(tmp_path, active_scoring_model().source)

    output = run("load_scoring_model", str(path))

    assert "is the same as scoring model v1" in output
    assert ScoringModelVersion.objects.count() == 1


def test_an_invalid_model_file_is_refused_with_its_message_on_one_line(
    tmp_path: Path,
) -> None:
    source = active_scoring_model().source.replace(
        'field = "sector"', 'field = "branche"', 1
    )

    with pytest.raises(CommandError) as raised:
        run("load_scoring_model", str(model_file(tmp_path, source)))

    message = str(raised.value)
    assert message.startswith("model.toml: ")
    assert '"branche" is not a lead field' in message
    assert "\n" not in message
    assert ScoringModelVersion.objects.count() == 1


def test_a_missing_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        run("load_scoring_model", str(tmp_path / "missing.toml"))
