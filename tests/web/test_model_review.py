"""Reviewing a draft scoring model over HTTP: read, change points, approve, reject.

A draft is the optimiser's proposal (``tests/model_drafts.py``). Marketing
reviews it; approval publishes it and every lead is rescored with it (Huey
runs tasks at once in the tests); each decision is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from leadqual.core.bands import Thresholds
from leadqual.core.errors import DraftAlreadyDecided
from leadqual.core.scoring import ScoreTrigger
from leadqual.insights.presentation import NONE_TEXT
from leadqual.privacy.models import AuditAction, AuditEntry
from leadqual.scoring.models import DraftDecision, Score, ScoringModelVersion
from leadqual.scoring.services import (
    active_scoring_model,
    approve_draft,
    default_model_source,
    parsed_model,
    rescore_lead,
)
from leadqual.triage.optimiser import DEFAULT_WEEKS
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role
from leadqual.web.model_pages import MAX_MODEL_FILE_BYTES
from tests.factories import LeadFactory, make_user
from tests.model_drafts import history_with_outcomes, optimiser_draft

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
def draft() -> ScoringModelVersion:
    return optimiser_draft(NOW)


def _url(name: str, version: int) -> str:
    return reverse(f"scoring_models:{name}", kwargs={"version": version})


def _page(client: Client, version: int, **headers: str) -> str:
    response = client.get(_url("version-detail", version), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_the_active_version_and_the_draft(
    client: Client, draft: ScoringModelVersion
) -> None:
    response = client.get(reverse("scoring_models:version-list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="version-1" class="version-active"' in html
    assert f'id="version-{draft.version}" class="version-draft"' in html
    assert "Draft, waiting for review" in html
    assert "runs by itself every Monday at 05:00" in html


def test_sales_may_not_open_the_review(draft: ScoringModelVersion) -> None:
    client = Client()
    client.force_login(make_user("sanne", role=Role.SALES))

    assert client.get(_url("version-detail", draft.version)).status_code == 403
    assert client.post(_url("version-approve", draft.version)).status_code == 403


def test_the_review_shows_rules_thresholds_and_the_backtest_from_the_proposal(
    client: Client, draft: ScoringModelVersion
) -> None:
    html = _page(client, draft.version)

    urgency = next(r for r in draft.proposal["rules"] if r["name"] == "urgency_now")
    assert 'id="rule-urgency_now"' in html
    assert f">{urgency['fired']}</td>" in html
    assert "2.00 (1.58 to 2.35)" in html  # lift with its 95% interval
    assert "Too little evidence: unchanged" in html
    assert "69 <small>(proposed)</small>" in html
    assert "70 <small>(current)</small>" in html
    assert 'id="backtest-totals"' in html
    # The head and five measures of the totals, then four weeks.
    assert html.count('class="model-current_at_capacity') == 1 + 5 + 4
    assert 'id="approve-form"' in html
    assert 'id="stale-draft"' not in html


def test_the_review_reads_in_dutch_with_dutch_numbers(
    client: Client, draft: ScoringModelVersion
) -> None:
    html = _page(client, draft.version, accept_language="nl")

    assert "Punten per regel" in html
    assert "2,00 (1,58 tot 2,35)" in html
    assert "Alle weken" in html
    assert "Goedkeuren en publiceren" in html


def test_changing_points_stores_them_in_the_draft_and_shows_the_change(
    client: Client, draft: ScoringModelVersion, marketer: User
) -> None:
    response = client.post(
        _url("version-points", draft.version),
        {"points-urgency_now": "11", "points-sector_core": "12"},
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    points = {rule.name: rule.points for rule in parsed_model(draft).rules}
    assert points["urgency_now"] == 11
    assert "points = 11" in draft.source
    html = _page(client, draft.version)
    assert "changed by hand (the optimiser proposed 8)" in html
    entry = AuditEntry.objects.get(action=AuditAction.CHANGED, lead_id=None)
    assert entry.user == marketer
    assert entry.detail == f"scoring model v{draft.version}: points of urgency_now"


@pytest.mark.parametrize("typed", ["12.5", "abc", "7\nhot = 1", "true", ""])
def test_invalid_points_are_refused_at_the_field_and_nothing_is_stored(
    client: Client, draft: ScoringModelVersion, typed: str
) -> None:
    source = draft.source

    response = client.post(
        _url("version-points", draft.version),
        {"points-urgency_now": typed, "points-sector_core": "15"},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="points-error-urgency_now"' in html
    assert 'id="points-error-sector_core"' not in html
    assert 'name="points-sector_core" id="points-sector_core" value="15"' in html
    draft.refresh_from_db()
    assert draft.source == source


def test_approving_needs_the_confirmation(
    client: Client, draft: ScoringModelVersion
) -> None:
    response = client.post(_url("version-approve", draft.version))

    assert response.status_code == 422
    assert 'id="confirm-error"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_open_draft
    assert not AuditEntry.objects.filter(action=AuditAction.MODEL_APPROVED).exists()


def test_approving_publishes_the_draft_and_audits_who_did_it(
    client: Client, draft: ScoringModelVersion, marketer: User
) -> None:
    old = active_scoring_model()

    response = client.post(_url("version-approve", draft.version), {"confirm": "yes"})

    assert response.status_code == 302
    draft.refresh_from_db()
    old.refresh_from_db()
    assert draft.is_active
    assert not draft.is_draft
    assert draft.decision == DraftDecision.APPROVED
    assert draft.decided_by == marketer
    assert draft.decided_at == NOW
    assert not old.is_active
    assert old.source == default_model_source()
    entry = AuditEntry.objects.get(action=AuditAction.MODEL_APPROVED)
    assert (entry.user, entry.lead_id) == (marketer, None)
    assert entry.detail == f"scoring model v{draft.version}"
    html = _page(client, old.version)
    assert "Retired" in html
    assert 'id="approve-form"' not in html


def test_after_approval_every_lead_carries_a_score_of_the_new_version(
    client: Client, draft: ScoringModelVersion
) -> None:
    """The background rescore runs (at once in the tests); old scores keep
    the version that produced them."""
    lead = LeadFactory.create(urgency="immediate")
    old_score = rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE).score

    client.post(_url("version-approve", draft.version), {"confirm": "yes"})

    lead.refresh_from_db()
    latest = Score.objects.filter(lead=lead).latest("computed_at", "pk")
    assert latest.model_version == draft.version
    assert latest.scoring_model_id == draft.pk
    old_score.refresh_from_db()
    assert old_score.model_version == 1
    open_leads = Score.objects.filter(model_version=draft.version)
    assert open_leads.values("lead").distinct().count() >= 2


def test_approving_twice_changes_nothing_the_second_time(
    client: Client, draft: ScoringModelVersion
) -> None:
    client.post(_url("version-approve", draft.version), {"confirm": "yes"})

    response = client.post(
        _url("version-approve", draft.version), {"confirm": "yes"}, follow=True
    )

    assert "is no draft waiting for a decision" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.MODEL_APPROVED).count() == 1


def test_a_version_that_is_no_draft_cannot_be_approved(client: Client) -> None:
    active = active_scoring_model()
    activated_at = active.activated_at

    response = client.post(
        _url("version-approve", active.version), {"confirm": "yes"}, follow=True
    )

    assert "is no draft waiting for a decision" in response.content.decode()
    active.refresh_from_db()
    assert active.decision == ""
    assert active.activated_at == activated_at
    assert not AuditEntry.objects.filter(action=AuditAction.MODEL_APPROVED).exists()


def test_of_two_reviewers_approving_at_once_only_one_decides(
    client: Client, draft: ScoringModelVersion, marketer: User
) -> None:
    """Both opened the open draft; the second approval finds it decided."""
    admin = make_user("anna", role=Role.ADMIN)
    other = Client()
    other.force_login(admin)
    _page(other, draft.version)
    _page(client, draft.version)

    first = other.post(_url("version-approve", draft.version), {"confirm": "yes"})
    second = client.post(
        _url("version-approve", draft.version), {"confirm": "yes"}, follow=True
    )

    assert first.status_code == 302
    assert "is no draft waiting for a decision" in second.content.decode()
    draft.refresh_from_db()
    assert draft.decided_by == admin
    with pytest.raises(DraftAlreadyDecided):
        approve_draft(draft.version, by=marketer, now=NOW)
    assert ScoringModelVersion.objects.filter(is_active=True).count() == 1


def test_rejecting_requires_a_reason(
    client: Client, draft: ScoringModelVersion
) -> None:
    response = client.post(_url("version-reject", draft.version), {"reason": "  "})

    assert response.status_code == 422
    assert 'id="reason-error"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_open_draft


def test_a_rejected_draft_stays_readable_marked_rejected_with_its_reason(
    client: Client, draft: ScoringModelVersion, marketer: User
) -> None:
    reason = "Te weinig uitkomsten: wacht tot na de beurs."

    response = client.post(_url("version-reject", draft.version), {"reason": reason})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_draft
    assert not draft.is_active
    assert draft.decision == DraftDecision.REJECTED
    assert draft.decision_reason == reason
    assert active_scoring_model().version == 1
    entry = AuditEntry.objects.get(action=AuditAction.MODEL_REJECTED)
    assert entry.user == marketer
    assert entry.detail == f"scoring model v{draft.version}: {reason}"
    html = _page(client, draft.version)
    assert 'id="version-status">Rejected' in html
    assert reason in html
    refused = client.post(
        _url("version-approve", draft.version), {"confirm": "yes"}, follow=True
    )
    assert "is no draft waiting for a decision" in refused.content.decode()


def test_a_version_downloads_as_its_toml_file(
    client: Client, draft: ScoringModelVersion
) -> None:
    response = client.get(_url("version-export", draft.version))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/toml")
    assert response["Content-Disposition"] == (
        f'attachment; filename="leadqual-scoring-model-v{draft.version}.toml"'
    )
    assert response.content.decode() == draft.source


def _upload(client: Client, content: bytes, name: str = "model.toml") -> str:
    response = client.post(
        reverse("scoring_models:version-import"),
        {"file": SimpleUploadedFile(name, content, content_type="application/toml")},
        follow=True,
    )
    return response.content.decode()


def test_an_uploaded_model_file_becomes_a_new_draft(client: Client) -> None:
    source = default_model_source().replace("points = 12", "points = 14", 1)

    html = _upload(client, source.encode(), "aangepast.toml")

    draft = ScoringModelVersion.objects.get(is_draft=True)
    assert draft.source == source
    assert draft.proposal == {
        "imported_from": "aangepast.toml",
        "based_on_version": 1,
    }
    assert active_scoring_model().version == 1
    assert "stored as draft version 2" in html
    assert 'id="rule-sector_core"' in html
    assert ">+2</td>" in html


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[model\nname = 1", "not valid TOML"),
        (
            default_model_source()
            .replace("points = 12", 'points = "veel"', 1)
            .encode(),
            'Rule "sector_core" (rules[0]), points: expected a whole number',
        ),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (b"#" * (MAX_MODEL_FILE_BYTES + 1), "may be at most 256 KB"),
    ],
)
def test_a_bad_model_file_is_refused_with_what_is_wrong(
    client: Client, content: bytes, problem: str
) -> None:
    response = client.post(
        reverse("scoring_models:version-import"),
        {"file": SimpleUploadedFile("model.toml", content)},
    )

    assert response.status_code == 422
    assert problem in unescape(response.content.decode())
    assert not ScoringModelVersion.objects.filter(is_draft=True).exists()


def test_the_audit_log_shows_decisions_on_the_model_in_dutch(
    draft: ScoringModelVersion,
) -> None:
    admin = make_user("anna", role=Role.ADMIN)
    client = Client()
    client.force_login(admin)
    client.post(_url("version-approve", draft.version), {"confirm": "yes"})

    response = client.get(
        reverse("privacy:audit-log"), headers={"accept-language": "nl"}
    )

    page = response.content.decode()
    assert "Scoremodel goedgekeurd" in page
    assert f"scoremodel v{draft.version}" in page


def test_running_the_optimiser_from_the_page_stores_its_draft(client: Client) -> None:
    """Tasks run at once in the tests; a worker runs them in production."""
    history_with_outcomes(NOW)
    seller = make_user("sanne", role=Role.SALES)
    OwnerProfile.objects.update_or_create(user=seller, defaults={"capacity": 3})

    response = client.post(
        reverse("scoring_models:optimise"), {"weeks": "8"}, follow=True
    )

    draft = ScoringModelVersion.objects.get(is_draft=True)
    assert draft.proposal["capacity_per_week"] == 3
    assert draft.proposal["based_on_version"] == 1
    assert "The optimiser stored a new draft." in response.content.decode()
    assert active_scoring_model().version == 1


def test_an_optimiser_run_that_changes_nothing_stores_no_draft(client: Client) -> None:
    response = client.post(
        reverse("scoring_models:optimise"), {"weeks": "8"}, follow=True
    )

    assert "unless it changes nothing" in response.content.decode()
    assert not ScoringModelVersion.objects.filter(is_draft=True).exists()


def test_a_draft_compared_with_an_older_version_warns_before_approval(
    client: Client, draft: ScoringModelVersion
) -> None:
    newer = default_model_source().replace("points = 12", "points = 13", 1)
    _upload(client, newer.encode())
    uploaded = ScoringModelVersion.objects.get(version=draft.version + 1)
    client.post(_url("version-approve", uploaded.version), {"confirm": "yes"})

    html = _page(client, draft.version)

    assert 'id="stale-draft"' in html
    assert f"Version {uploaded.version} is active now" in html
    assert 'id="stale-draft"' not in _page(client, uploaded.version)


def _visible_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_backtest_sets_the_proposal_beside_the_current_model_at_its_capacity(
    client: Client, draft: ScoringModelVersion
) -> None:
    """At its own threshold (70) the current model makes no lead hot; at the
    threshold fitted to the same capacity (69) it does: that is the fair
    comparison with the proposal."""
    html = _page(client, draft.version)

    assert "Current model at the capacity threshold" in html
    won = re.search(r"<th scope=\"row\">Won</th>(.*?)</tr>", html, re.S)
    assert won is not None
    cells = re.findall(r'class="model-(\w+)">([^<]*)</td>', won.group(1))
    assert cells == [
        ("current", NONE_TEXT),
        ("current_at_capacity", "67%"),
        ("proposed", "67%"),
    ]
    assert "hot from 69" in html


def test_candidate_rules_read_in_dutch_without_their_names(
    client: Client, draft: ScoringModelVersion
) -> None:
    text = _visible_text(_page(client, draft.version, accept_language="nl"))

    assert "Planning oriënteert zich" in text
    assert "Budget minstens € 20.000" in text
    assert "candidate_" not in text


def test_changing_thresholds_stores_them_in_the_draft_and_shows_the_change(
    client: Client, draft: ScoringModelVersion, marketer: User
) -> None:
    response = client.post(
        _url("version-thresholds", draft.version), {"warm": "45", "hot": "72"}
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert parsed_model(draft).thresholds == Thresholds(warm=45, hot=72)
    assert "warm = 45" in draft.source
    html = _page(client, draft.version)
    hot_row = html[html.index('id="threshold-hot"') :]
    assert '<td data-label="Change" class="col-change points-pos">+2</td>' in hot_row
    assert "changed by hand (the optimiser proposed 69)" in hot_row
    entry = AuditEntry.objects.get(action=AuditAction.CHANGED, lead_id=None)
    assert entry.detail == f"scoring model v{draft.version}: thresholds hot 72, warm 45"


def test_the_proposed_hot_threshold_says_it_fits_the_capacity(
    client: Client, draft: ScoringModelVersion
) -> None:
    html = _page(client, draft.version)

    assert 'id="threshold-input-hot" value="69"' in html
    assert (
        "The sales-ready threshold the optimiser proposes for a capacity of 3 leads "
        "a week" in html
    )


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"warm": "40", "hot": "7o"}, "hot", "“7o” cannot be used"),
        ({"warm": "40.5", "hot": "70"}, "warm", "a threshold is a whole number"),
        ({"warm": "0", "hot": "70"}, "warm", "The warm band must start above 0"),
        ({"warm": "40", "hot": "101"}, "hot", "at 100 points or lower"),
        ({"warm": "80", "hot": "70"}, "warm", "Warm must start below hot"),
        ({"warm": "40", "hot": "70\nwarm = 1"}, "hot", "cannot be used"),
    ],
)
def test_invalid_thresholds_are_refused_at_the_field_and_nothing_is_stored(
    client: Client,
    draft: ScoringModelVersion,
    typed: dict[str, str],
    field: str,
    message: str,
) -> None:
    source = draft.source

    response = client.post(_url("version-thresholds", draft.version), typed)

    assert response.status_code == 422
    error = re.search(
        rf'<p class="field-error" id="threshold-error-{field}" role="alert">([^<]*)</p>',
        response.content.decode(),
    )
    assert error is not None
    assert message in unescape(error.group(1))
    draft.refresh_from_db()
    assert draft.source == source


def test_invalid_thresholds_in_dutch_say_what_is_wrong_in_dutch(
    client: Client, draft: ScoringModelVersion
) -> None:
    response = client.post(
        _url("version-thresholds", draft.version),
        {"warm": "80", "hot": "70"},
        headers={"accept-language": "nl"},
    )

    assert response.status_code == 422
    assert "Warm moet onder heet beginnen" in unescape(response.content.decode())


def test_approving_publishes_the_thresholds_changed_by_hand(
    client: Client, draft: ScoringModelVersion
) -> None:
    client.post(_url("version-thresholds", draft.version), {"warm": "35", "hot": "66"})

    client.post(_url("version-approve", draft.version), {"confirm": "yes"})

    assert parsed_model(active_scoring_model()).thresholds == Thresholds(35, 66)


def test_the_optimiser_form_defaults_to_the_weeks_and_capacity_of_the_command(
    client: Client,
) -> None:
    for name, capacity in (("sanne", 3), ("piet", 4)):
        OwnerProfile.objects.update_or_create(
            user=make_user(name, role=Role.SALES), defaults={"capacity": capacity}
        )

    html = client.get(reverse("scoring_models:version-list")).content.decode()

    assert f'name="weeks" id="id_weeks" value="{DEFAULT_WEEKS}"' in html
    assert 'name="capacity" id="id_capacity" value="7"' in html


def test_the_optimiser_runs_with_the_weeks_and_capacity_typed(client: Client) -> None:
    history_with_outcomes(NOW)

    client.post(reverse("scoring_models:optimise"), {"weeks": "4", "capacity": "5"})

    draft = ScoringModelVersion.objects.get(is_draft=True)
    assert draft.proposal["weeks"] == 4
    assert draft.proposal["capacity_per_week"] == 5


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"weeks": "", "capacity": ""}, "weeks", "Say how many recent weeks"),
        ({"weeks": "0", "capacity": ""}, "weeks", "from 1 to 26"),
        ({"weeks": "27", "capacity": ""}, "weeks", "from 1 to 26"),
        ({"weeks": "eight", "capacity": ""}, "weeks", "from 1 to 26"),
        ({"weeks": "8", "capacity": "0"}, "capacity", "1 or more"),
        ({"weeks": "8", "capacity": "2.5"}, "capacity", "1 or more"),
        ({"weeks": "8", "capacity": "10001"}, "capacity", "at most 10000"),
    ],
)
def test_bad_optimiser_inputs_are_refused_at_the_field_and_nothing_runs(
    client: Client, typed: dict[str, str], field: str, message: str
) -> None:
    history_with_outcomes(NOW)

    response = client.post(reverse("scoring_models:optimise"), typed)

    assert response.status_code == 422
    html = unescape(response.content.decode())
    error = re.search(
        rf'<p class="field-error" id="{field}-error" role="alert">([^<]*)</p>', html
    )
    assert error is not None
    assert message in error.group(1)
    assert not ScoringModelVersion.objects.filter(is_draft=True).exists()


def test_a_threshold_the_optimiser_left_alone_carries_no_note(
    client: Client, draft: ScoringModelVersion
) -> None:
    html = _page(client, draft.version)

    warm_row = html[html.index('id="threshold-warm"') :].split("</tr>", 1)[0]
    assert f'<td data-label="Note" class="col-note">{NONE_TEXT}</td>' in warm_row


def _scores_column(client: Client, version: int) -> str:
    html = client.get(reverse("scoring_models:version-list")).content.decode()
    row = re.search(rf'id="version-{version}".*?</tr>', html, re.DOTALL)
    assert row is not None
    cell = re.search(r'data-label="Scores">([^<]*)</td>', row.group(0))
    assert cell is not None
    return unescape(cell.group(1))


def _copies_of(score: Score, count: int) -> list[Score]:
    fields = {
        field.attname: getattr(score, field.attname)
        for field in Score._meta.concrete_fields
        if not field.primary_key
    }
    return [Score(**fields) for _ in range(count)]


def test_the_list_counts_each_versions_scores_up_to_the_lists_cap(
    client: Client, settings: Settings
) -> None:
    """Past the cap the list says "1,000+": counting every score grew with the history."""
    settings.LIST_COUNT_CAP = 1_000
    lead = LeadFactory.create()
    rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE)
    first = Score.objects.get(lead=lead)
    Score.objects.bulk_create(_copies_of(first, 999))
    assert _scores_column(client, first.model_version) == "1,000"

    Score.objects.bulk_create(_copies_of(first, 1))
    assert _scores_column(client, first.model_version) == "1,000+"


def test_a_version_with_nothing_to_compare_shows_its_points_not_a_diff(
    client: Client,
) -> None:
    """The first version has no version before it: its rules are its points,
    not "new" rules with an empty old column and no evidence."""
    first = ScoringModelVersion.objects.get(is_active=True)

    html = _page(client, first.version)

    table = html[html.index('id="rule-diff"') : html.index("</table>")]
    assert '<th scope="col">Points</th>' in table
    assert "New rule" not in table
    assert 'data-label="Old' not in table
    assert 'data-label="Lift"' not in table
    sector = table[table.index('id="rule-sector_core"') :]
    assert '<td data-label="Points" class="col-new">' in sector
    thresholds = html[html.index('id="threshold-diff"') :]
    assert 'data-label="Change' not in thresholds[: thresholds.index("</table>")]


def test_a_version_with_nothing_to_compare_reads_in_dutch(client: Client) -> None:
    first = ScoringModelVersion.objects.get(is_active=True)

    html = _page(client, first.version, accept_language="nl")

    assert '<th scope="col">Punten</th>' in html
    assert "Nieuwe regel" not in html


def test_a_draft_without_a_known_capacity_says_so_and_what_to_do(
    client: Client,
) -> None:
    draft = optimiser_draft(NOW, capacity_per_week=None)
    assert draft.proposal["capacity_per_week"] is None

    text = _visible_text(_page(client, draft.version))
    dutch = _visible_text(_page(client, draft.version, accept_language="nl"))

    assert f"capacity {NONE_TEXT} leads a week" not in text
    assert "sales' capacity was not known" in text
    assert "set the salespeople's capacity" in text
    assert "de capaciteit van sales was niet bekend" in dutch


def _without_hot_leads(draft: ScoringModelVersion) -> None:
    """The stored backtest as it is when the proposal scores every lead lower."""
    proposed = draft.proposal["backtest"]["proposed"]
    proposed["total"]["hot"] = 0
    draft.save(update_fields=["proposal"])


def test_a_draft_that_would_make_no_lead_hot_warns_before_approval(
    client: Client, draft: ScoringModelVersion
) -> None:
    assert 'id="no-hot-leads"' not in _page(client, draft.version)
    _without_hot_leads(draft)
    hot = draft.proposal["backtest"]["proposed"]["hot_threshold"]

    text = _visible_text(_page(client, draft.version))
    dutch = _visible_text(_page(client, draft.version, accept_language="nl"))

    assert (
        f"the proposed model makes no lead hot (hot from {hot}): approved as it "
        "is, sales would get no sales-ready leads" in text
    )
    assert "maakt het voorgestelde model geen enkele lead heet" in dutch


def test_a_decided_draft_does_not_warn_about_hot_leads(
    client: Client, draft: ScoringModelVersion
) -> None:
    _without_hot_leads(draft)
    client.post(_url("version-reject", draft.version), {"reason": "No hot leads"})

    assert 'id="no-hot-leads"' not in _page(client, draft.version)


def _summary(html: str) -> str:
    start = html.index('id="error-summary"')
    return _visible_text(html[start : html.index("</div>", start)])


def test_refused_points_are_listed_at_the_top_of_the_page(
    client: Client, draft: ScoringModelVersion
) -> None:
    """The page comes back at its top: the summary says nothing was saved and
    links to the refused field further down."""
    assert 'id="error-summary"' not in _page(client, draft.version)

    response = client.post(
        _url("version-points", draft.version), {"points-urgency_now": "abc"}
    )

    html = response.content.decode()
    assert 'id="error-summary"' in html[: html.index('id="facts"')]
    assert 'href="#points-urgency_now"' in html
    assert "Nothing was saved: correct the fields marked below." in _summary(html)
    assert "“abc” cannot be used" in _summary(html)


def test_an_unticked_approval_and_a_missing_reason_are_named_at_the_top(
    client: Client, draft: ScoringModelVersion
) -> None:
    approve = client.post(_url("version-approve", draft.version), {})
    reject = client.post(
        _url("version-reject", draft.version),
        {"reason": ""},
        headers={"accept-language": "nl"},
    )

    assert 'href="#approve-confirm"' in approve.content.decode()
    assert "Tick the box to confirm" in _summary(approve.content.decode())
    assert 'href="#reject-reason"' in reject.content.decode()
    assert "Er is niets opgeslagen" in _summary(reject.content.decode())


def test_a_draft_held_to_todays_hot_volume_says_so(client: Client) -> None:
    """Without a capacity the optimiser holds the proposal to the current
    model's hot leads a week; the review says that is where the threshold
    came from, in English and Dutch."""
    draft = optimiser_draft(NOW, capacity_per_week=None)
    draft.source = draft.source.replace("hot = 70 ", "hot = 48 ", 1)
    draft.proposal = {
        **draft.proposal,
        "kept_hot_per_week": 5,
        "hot_threshold": {"old": 70, "new": 48},
    }
    draft.save(update_fields=["source", "proposal"])

    text = " ".join(_visible_text(_page(client, draft.version)).split())
    dutch = " ".join(
        _visible_text(_page(client, draft.version, accept_language="nl")).split()
    )

    assert "keeps at most the 5 hot leads a week the current model made" in text
    assert "The sales-ready threshold that keeps at most the 5 hot leads a week" in text
    assert "hoogstens de 5 hete leads per week" in dutch
    assert "was not fitted to it" not in text
