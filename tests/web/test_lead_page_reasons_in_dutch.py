"""A Dutch lead page explains the score in Dutch, with Dutch-formatted values."""

from __future__ import annotations

import html as html_lib
from datetime import datetime, timedelta
from importlib import resources

import pytest
from django.test import Client
from django.urls import reverse

from leadqual.core.model_file import parse_scoring_model
from leadqual.core.sla import DUTCH_TIME
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.scoring.models import Score
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)


def _default_rules_english_labels() -> set[str]:
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    return {rule.label for rule in parse_scoring_model(source).rules}


def _busy_lead() -> Lead:
    """A lead that fires fit, intent and engagement rules, with a capped group."""
    email = "kees@groothandel-bakker.nl"
    fields = {
        "first_name": "Kees",
        "company": "Groothandel Bakker B.V.",
        "sector": "Groothandel",
        "employees": "25",
        "budget_euros": "8500",
        "urgency": "immediate",
        "job_title": "Directeur",
        "country": "NL",
    }
    submit_lead(email, fields, now=THURSDAY)
    later = THURSDAY + timedelta(hours=1)
    raw = [
        RawEvent(email, "demo_request", later.isoformat(), {}, "demo-1"),
        RawEvent(email, "email_reply", later.isoformat(), {}, "reply-1"),
        RawEvent(email, "download", later.isoformat(), {"asset": "gids"}, "dl-1"),
    ]
    raw += [
        RawEvent(
            email,
            "page_view",
            later.isoformat(),
            {"url": f"https://example.nl/prijzen/{n}"},
            f"pv-{n}",
        )
        for n in range(5)
    ]
    submit_events(raw, now=later, source="api")
    return Lead.objects.get(email=email)


def test_a_dutch_lead_page_shows_no_english_rule_label_or_reason() -> None:
    lead = _busy_lead()
    score = Score.objects.filter(lead=lead).latest("computed_at")
    english_reasons = [hit["reason"] for hit in score.explanation]
    assert len(english_reasons) >= 8
    client = Client()
    client.force_login(make_user("ada", role=Role.ADMIN))

    response = client.get(
        reverse("leads:lead-detail", args=[lead.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    )

    page = html_lib.unescape(response.content.decode())
    assert response.wsgi_request.LANGUAGE_CODE == "nl"
    left_in_english = [reason for reason in english_reasons if reason in page]
    left_in_english += [
        label for label in _default_rules_english_labels() if label in page
    ]
    assert left_in_english == []
    assert "Werkt in een sector die wij het best bedienen (sector Groothandel)" in page
    assert "Budget van 2.500-9.999 euro (budget \u20ac 8.500)" in page
    assert "Vroeg een demo aan (1 demo-aanvraag in de afgelopen 90 dagen" in page
    assert "Fit is begrensd op 40 punten" in page


def test_the_english_page_and_the_stored_explanation_stay_english() -> None:
    lead = _busy_lead()
    client = Client()
    client.force_login(make_user("ada", role=Role.ADMIN))

    response = client.get(
        reverse("leads:lead-detail", args=[lead.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    page = html_lib.unescape(response.content.decode())
    assert "Budget of 2,500-9,999 euros (budget \u20ac8,500)" in page
    assert "Asked for a demo (1 demo request in the last 90 days" in page
    score = Score.objects.filter(lead=lead).latest("computed_at")
    budget = next(hit for hit in score.explanation if hit["rule"] == "budget_some")
    assert budget["reason"] == "Budget of 2,500-9,999 euros (budget \u20ac8,500)"
