"""The predictive model's pages over HTTP: train, read the card, approve, reject.

Leads come from the optimiser's twenty weeks of history (tests/model_drafts.py);
Huey runs tasks at once in the tests, so training ends within the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leadqual.insights.presentation import NONE_TEXT
from leadqual.modelling.models import ModelStatus, PredictiveModelVersion
from leadqual.modelling.services import monitor_model
from leadqual.privacy.models import AuditAction, AuditEntry
from leadqual.scoring.services import active_scoring_model, load_scoring_model
from leadqual.users.roles import Role
from tests.factories import EventFactory, LeadFactory, make_user
from tests.model_drafts import history_with_outcomes

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def marketer() -> User:
    return make_user("mirjam", role=Role.MARKETING)


@pytest.fixture
def client(marketer: User) -> Client:
    client = Client()
    client.force_login(marketer)
    return client


@pytest.fixture
def trained(client: Client) -> PredictiveModelVersion:
    history_with_outcomes(NOW)
    response = client.post(reverse("modelling:model-train"))
    row = PredictiveModelVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("modelling:model-detail", args=[row.version])
    return row


def _text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_training_from_the_page_ends_in_a_draft_with_its_card(
    client: Client, trained: PredictiveModelVersion, marketer: User
) -> None:
    trained.refresh_from_db()
    assert trained.status == ModelStatus.DRAFT
    assert trained.created_by == marketer
    page = _text(client, reverse("modelling:model-detail", args=[trained.version]))
    assert "120 reviewed leads, of which 40 became an opportunity" in page
    assert 'id="scores"' in page
    assert "ROC-AUC (higher ranks better; 0.5 is chance)" in page
    assert 'id="approve-form"' in page


def test_the_list_shows_each_version_with_its_auc_beside_the_rules(
    client: Client, trained: PredictiveModelVersion
) -> None:
    page = _text(client, reverse("modelling:model-list"))
    assert f'id="version-{trained.version}"' in page
    assert "Draft, waiting for review" in page


def test_the_card_reads_in_dutch(
    client: Client, trained: PredictiveModelVersion
) -> None:
    response = client.get(
        reverse("modelling:model-detail", args=[trained.version]),
        headers={"accept-language": "nl"},
    )
    page = unescape(response.content.decode())
    assert "120 beoordeelde leads" in page
    assert "Het model tegen de regels" in page


def test_the_card_lists_features_in_words_not_column_names(
    client: Client, trained: PredictiveModelVersion
) -> None:
    url = reverse("modelling:model-detail", args=[trained.version])
    page = _text(client, url)
    dutch = unescape(
        client.get(url, headers={"accept-language": "nl"}).content.decode()
    )

    features = page[page.index('id="features"') : page.index("</details>")]
    assert "<li>number of employees</li>" in features
    assert "<li>demo requests in the last 30 days</li>" in features
    assert "<li>rule: Asked for a demo</li>" in features
    assert "demo_request_recent" not in features
    assert "rule_demo_request" not in features
    assert "demo-aanvragen in de afgelopen 30 dagen" in dutch
    assert "regel: Vroeg een demo aan" in dutch


def test_approving_needs_the_confirmation(
    client: Client, trained: PredictiveModelVersion
) -> None:
    response = client.post(reverse("modelling:model-approve", args=[trained.version]))
    assert response.status_code == 422
    html = unescape(response.content.decode())
    assert "Tick the box to confirm" in html
    # Named at the top too, where the page comes back, linking to the box.
    summary = html[html.index('id="error-summary"') : html.index('id="facts"')]
    assert "Nothing was saved" in summary
    assert 'href="#approve-confirm"' in summary
    trained.refresh_from_db()
    assert trained.status == ModelStatus.DRAFT


def test_the_scoring_model_with_the_ai_group_shows_what_it_added(
    client: Client, trained: PredictiveModelVersion
) -> None:
    before = active_scoring_model().version
    client.post(
        reverse("modelling:model-approve", args=[trained.version]), {"confirm": "yes"}
    )
    after = active_scoring_model().version

    url = reverse("scoring_models:version-detail", args=[after])
    page = _text(client, url)
    dutch = unescape(
        client.get(url, headers={"accept-language": "nl"}).content.decode()
    )

    assert f'<dt>Compared with</dt><dd><a href="/scoring-model/v{before}/">' in page
    assert (
        f"by adding the AI group when predictive model v{trained.version} was "
        "approved; the rules kept their points" in page
    )
    ai_rule = page[page.index('id="rule-ai_very_likely"') :]
    assert f'<td data-label="Old" class="col-old">{NONE_TEXT}</td>' in ai_rule
    sector = page[page.index('id="rule-sector_core"') :]
    assert 'points-pos">new</td>' not in sector[: sector.index("</tr>")]
    assert "door de AI-groep toe te voegen" in dutch


def test_a_model_in_use_not_checked_yet_says_when_it_will_be(
    client: Client, trained: PredictiveModelVersion
) -> None:
    url = reverse("modelling:model-detail", args=[trained.version])
    assert 'id="monitoring-pending"' not in _text(client, url)
    client.post(
        reverse("modelling:model-approve", args=[trained.version]), {"confirm": "yes"}
    )

    page = _text(client, url)
    dutch = unescape(
        client.get(url, headers={"accept-language": "nl"}).content.decode()
    )

    assert 'id="monitoring-pending"' in page
    assert "Not checked yet. Every week the model in use is compared" in page
    assert "Nog niet gecontroleerd." in dutch
    monitor_model(now=NOW)
    assert 'id="monitoring-pending"' not in _text(client, url)


def test_approving_puts_the_model_in_use_audits_it_and_scores_with_the_ai_group(
    client: Client, trained: PredictiveModelVersion, marketer: User
) -> None:
    lead = LeadFactory.create(
        created_at=NOW - timedelta(days=1),
        sector="software",
        budget_euros=20_000,
        employees=40,
        urgency="immediate",
    )
    EventFactory.create(
        lead=lead,
        type="demo_request",
        occurred_at=NOW - timedelta(hours=20),
        properties={},
    )
    scoring_before = active_scoring_model().version
    response = client.post(
        reverse("modelling:model-approve", args=[trained.version]),
        {"confirm": "yes"},
        follow=True,
    )
    page = unescape(response.content.decode())
    scoring_after = active_scoring_model().version
    assert scoring_after == scoring_before + 1
    assert f"Scoring model v{scoring_after} adds its chance as the AI group" in page
    trained.refresh_from_db()
    assert trained.status == ModelStatus.APPROVED
    assert trained.decided_by == marketer
    entry = AuditEntry.objects.get(action=AuditAction.MODEL_APPROVED)
    assert entry.detail == (
        f"predictive model v{trained.version}; scoring model v{scoring_after} "
        "adds the ai group"
    )
    lead.refresh_from_db()
    assert lead.ai_probability is not None and lead.ai_probability >= 50
    admin = make_user("anna", role=Role.ADMIN)
    client.force_login(admin)
    lead_page = _text(client, reverse("leads:lead-detail", args=[lead.pk]))
    assert 'id="group-ai"' in lead_page
    assert "AI (predictive model)" in lead_page
    assert f"predicted chance {lead.ai_probability}%" in lead_page


def test_rejecting_needs_a_reason_and_keeps_it(
    client: Client, trained: PredictiveModelVersion
) -> None:
    url = reverse("modelling:model-reject", args=[trained.version])
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 422
    assert "Say why you reject this model." in unescape(refused.content.decode())
    assert 'href="#reject-reason"' in refused.content.decode()
    response = client.post(url, {"reason": "Wait for more outcomes"})
    assert response.status_code == 302
    trained.refresh_from_db()
    assert trained.status == ModelStatus.REJECTED
    assert trained.decision_reason == "Wait for more outcomes"
    entry = AuditEntry.objects.get(action=AuditAction.MODEL_REJECTED)
    assert (
        entry.detail == f"predictive model v{trained.version}: Wait for more outcomes"
    )


def test_a_decided_model_says_so_and_changes_nothing(
    client: Client, trained: PredictiveModelVersion
) -> None:
    url = reverse("modelling:model-reject", args=[trained.version])
    client.post(url, {"reason": "No"})
    response = client.post(
        reverse("modelling:model-approve", args=[trained.version]),
        {"confirm": "yes"},
        follow=True,
    )
    assert "is no draft waiting for a decision" in unescape(response.content.decode())
    trained.refresh_from_db()
    assert trained.status == ModelStatus.REJECTED


def test_while_training_the_page_polls_its_progress(client: Client) -> None:
    row = PredictiveModelVersion.objects.create(
        version=7,
        status=ModelStatus.TRAINING,
        progress_step="features",
        progress_done=1_200,
        progress_total=5_000,
    )
    url = reverse("modelling:model-detail", args=[row.version])
    fragment = client.get(url, headers={"HX-Request": "true"})
    text = unescape(fragment.content.decode())
    assert "Building what was known of each lead: 1,200 out of 5,000 leads" in text
    assert 'hx-trigger="every 2s"' in text
    assert "<html" not in text
    PredictiveModelVersion.objects.filter(pk=row.pk).update(status=ModelStatus.FAILED)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_the_model_in_use_shows_its_weekly_check(
    client: Client, trained: PredictiveModelVersion
) -> None:
    client.post(
        reverse("modelling:model-approve", args=[trained.version]), {"confirm": "yes"}
    )
    for index in range(40):
        LeadFactory.create(
            created_at=NOW - timedelta(days=27, hours=-index * 12),
            sector="zorg",
            budget_euros=None,
            source="tiktok",
        )
    monitor_model(now=NOW)
    page = _text(client, reverse("modelling:model-detail", args=[trained.version]))
    assert 'id="monitoring-alert"' in page
    assert "Drift in sector" in page


INLINE_GROUPS = """
groups = { fit = { cap = 40 }, intent = { cap = 35 }, engagement = { cap = 25 } }
[[rules]]
name = "size"
group = "fit"
points = 10
when = { field = "employees", min = 5 }
"""


def test_a_scoring_model_the_ai_group_cannot_be_written_into_changes_nothing(
    client: Client, trained: PredictiveModelVersion
) -> None:
    load_scoring_model(INLINE_GROUPS, activate=True, now=NOW)
    active = active_scoring_model()
    response = client.post(
        reverse("modelling:model-approve", args=[trained.version]),
        {"confirm": "yes"},
        follow=True,
    )
    assert "The AI group could not be added" in unescape(response.content.decode())
    trained.refresh_from_db()
    assert trained.status == ModelStatus.DRAFT
    assert active_scoring_model().pk == active.pk
    assert not AuditEntry.objects.filter(action=AuditAction.MODEL_APPROVED).exists()
