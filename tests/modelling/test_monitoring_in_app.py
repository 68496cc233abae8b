"""The weekly check of the model in use, on stored leads, and the admins' alert.

The model learns from the optimiser's twenty weeks of history
(tests/model_drafts.py); then a month of leads unlike any before arrives
(another sector, no budget, a new source) and the check must say so, store
it for the page and mail every admin once, in the admin's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import translation

from leadqual.core.lifecycle import Decision, RejectionReason
from leadqual.modelling.alerts import attention_lines, rules_model_of, tell_admins
from leadqual.modelling.services import (
    approve_model,
    monitor_model,
    start_training,
    train_version,
)
from leadqual.triage.services import record_feedback
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user
from tests.integrations import SmtpSink, smtp_server
from tests.model_drafts import history_with_outcomes

TRAINED_AT = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def model_in_use() -> None:
    history_with_outcomes(TRAINED_AT)
    row = train_version(start_training(by=None, now=TRAINED_AT).pk, now=TRAINED_AT)
    approve_model(row.version, by=None, now=TRAINED_AT)


def _month_of_other_leads(count: int = 40) -> None:
    for index in range(count):
        arrived = NOW - timedelta(days=27, hours=-index * 12)
        lead = LeadFactory.create(
            created_at=arrived,
            sector="zorg",
            budget_euros=None,
            employees=400,
            urgency="",
            source="tiktok",
        )
        record_feedback(
            lead,
            Decision.REJECTED,
            reason=RejectionReason.NO_NEED,
            given_by=None,
            now=arrived + timedelta(days=1),
        )


def test_leads_unlike_the_training_data_drift_past_the_alert_limit(
    model_in_use: None,
) -> None:
    _month_of_other_leads()
    run = monitor_model(now=NOW)
    assert run is not None
    assert run.needs_attention
    assert run.rows == 40
    levels = {item["name"]: item["level"] for item in run.report["features"]}
    assert levels["sector"] == "alert"
    assert levels["source"] == "alert"
    assert levels["budget_euros"] == "alert"


def test_a_rerun_in_the_same_week_replaces_the_report(model_in_use: None) -> None:
    _month_of_other_leads()
    first = monitor_model(now=NOW)
    second = monitor_model(now=NOW + timedelta(hours=3))
    assert first is not None and second is not None
    assert second.pk == first.pk
    assert second.computed_at == NOW + timedelta(hours=3)


def test_without_an_approved_model_there_is_nothing_to_check() -> None:
    assert monitor_model(now=NOW) is None


def test_every_admin_is_mailed_once_in_their_language(model_in_use: None) -> None:
    _month_of_other_leads()
    run = monitor_model(now=NOW)
    assert run is not None
    anna = make_user("anna", role=Role.ADMIN)
    make_user("bram", role=Role.ADMIN)
    make_user("mirjam", role=Role.MARKETING)
    OwnerProfile.objects.update_or_create(user=anna, defaults={"language": "nl"})
    sink = SmtpSink()
    with smtp_server(sink) as url, override_settings(EMAIL_URL=url):
        assert tell_admins(run.pk, now=NOW) == 2
        assert tell_admins(run.pk, now=NOW + timedelta(minutes=5)) == 0
    by_recipient = {mail.rcpt_tos[0]: mail for mail in sink.messages}
    assert set(by_recipient) == {"anna@example.nl", "bram@example.nl"}
    dutch = by_recipient["anna@example.nl"]
    assert "heeft aandacht nodig" in str(dutch.message["Subject"])
    assert "Drift in sector" in by_recipient["bram@example.nl"].part("text/plain")
    run.refresh_from_db()
    assert run.alerted_at == NOW


def test_a_failed_mail_is_sent_again_on_the_retry(model_in_use: None) -> None:
    _month_of_other_leads()
    run = monitor_model(now=NOW)
    assert run is not None
    make_user("anna", role=Role.ADMIN)
    sink = SmtpSink(fail_first=1)
    with smtp_server(sink) as url, override_settings(EMAIL_URL=url):
        with pytest.raises(Exception, match="451"):
            tell_admins(run.pk, now=NOW)
        run.refresh_from_db()
        assert run.alerted_at is None
        assert tell_admins(run.pk, now=NOW + timedelta(minutes=10)) == 1
    assert len(sink.messages) == 1


def test_what_needs_attention_reads_in_words_and_the_readers_numbers(
    model_in_use: None,
) -> None:
    _month_of_other_leads()
    run = monitor_model(now=NOW)
    assert run is not None
    model = rules_model_of(run.model_version)

    english = "\n".join(attention_lines(run.report, model))
    with translation.override("nl"):
        dutch = "\n".join(attention_lines(run.report, model))

    assert "Drift in budget: population stability index" in english
    assert "budget_euros" not in english
    assert "rule_" not in english
    assert "Drift in score" not in english
    assert "Drift in the predicted chance" in english
    psi = re.search(r"Drift in budget: population stability index (\S+) ", english)
    assert psi is not None
    assert re.fullmatch(r"\d+\.\d\d", psi.group(1))
    assert re.search(
        r"Verschuiving in budget: populatiestabiliteitsindex \d+,\d\d ", dutch
    )
