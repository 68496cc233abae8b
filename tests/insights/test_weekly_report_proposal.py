"""The Monday mail links to the newest scoring model proposal nobody decided on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import override_settings

from leadqual.insights.report import weekly_report, weekly_report_email
from leadqual.scoring.services import (
    default_model_source,
    reject_draft,
    store_draft_scoring_model,
)
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role
from tests.factories import make_user

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
WEEK = date(2026, 11, 23)
pytestmark = pytest.mark.django_db


def _mail(language: str = "en") -> tuple[str, str]:
    reader = make_user(f"reader-{language}", role=Role.MARKETING)
    OwnerProfile.objects.update_or_create(user=reader, defaults={"language": language})
    mail = weekly_report_email(weekly_report(week_start=WEEK, now=NOW), reader)
    assert mail.html is not None
    return mail.text, mail.html


@override_settings(BASE_URL="https://leads.example.nl")
def test_the_mail_links_to_the_newest_undecided_draft() -> None:
    older = store_draft_scoring_model(default_model_source(), {}, now=NOW)
    newer = store_draft_scoring_model(default_model_source(), {}, now=NOW)

    text, html = _mail()

    link = f"https://leads.example.nl/scoring-model/v{newer.version}/"
    assert (
        f"A new scoring model (v{newer.version}) waits for your review: {link}" in text
    )
    assert f'<a href="{link}">' in html
    assert f"/v{older.version}/" not in text


@override_settings(BASE_URL="https://leads.example.nl")
def test_the_mail_in_dutch_names_the_proposal_in_dutch() -> None:
    draft = store_draft_scoring_model(default_model_source(), {}, now=NOW)

    text, _html = _mail("nl")

    assert f"Een nieuw scoremodel (v{draft.version}) wacht op je beoordeling" in text


def test_without_an_undecided_draft_the_mail_links_to_no_proposal() -> None:
    draft = store_draft_scoring_model(default_model_source(), {}, now=NOW)
    reject_draft(draft.version, by=None, reason="Te vroeg", now=NOW)

    text, html = _mail()

    assert "scoring-model" not in text
    assert 'id="proposal"' not in html
