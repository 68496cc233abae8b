"""Every list that grows with the data is paged, and each page reads an index (#15).

The lead list, queues and accounts have their own tests (test_list_indexes.py);
these are the logs and reports around them: the audit log, a webhook
endpoint's deliveries, an import's rejected rows and a lead's score history.
Paging tests make one row more than a page and walk to the next page; plan
tests ask SQLite and PostgreSQL for the plan of each page's query, as
test_list_indexes.py does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from pytest_django.fixtures import Settings

from leadqual.intake.import_views import PROBLEMS_PER_PAGE
from leadqual.intake.models import ImportJob
from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.integrations.views import LOG_ROWS, status_counts
from leadqual.leads.models import Lead
from leadqual.paging import cursor, keyset_page, list_count_cap
from leadqual.privacy.models import AuditAction, AuditEntry
from leadqual.privacy.queries import (
    AUDIT_PAGE_SIZE,
    AuditFilters,
    audit_actors,
    audit_entries,
)
from leadqual.privacy.services import person_counts, person_data
from leadqual.scoring.models import Score
from leadqual.scoring.queries import score_history
from leadqual.scoring.services import active_scoring_model
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user
from tests.privacy.conftest import build_person
from tests.web.test_list_indexes import assert_reads_index, plan

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _older_link(html: str) -> str | None:
    found = re.search(r'<a class="btn btn-small" rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


# --- the keyset pager ---------------------------------------------------------


def _audit_rows(
    count: int, *, at: datetime = NOW, actor: str = "annet", lead_id: int | None = None
) -> list[int]:
    """``count`` audit entries, the first the oldest; ids in creation order."""
    entries = AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=actor,
                action=AuditAction.VIEWED,
                lead_id=lead_id,
                at=at + timedelta(seconds=n),
                detail="lead page",
            )
            for n in range(count)
        ]
    )
    return [entry.pk for entry in entries]


def test_a_keyset_page_continues_below_the_last_row_with_ties_broken_by_id() -> None:
    # Five entries at one moment and three later: ties must neither repeat
    # nor go missing between pages.
    tied = _audit_rows(5, at=NOW - timedelta(hours=1))
    AuditEntry.objects.filter(pk__in=tied).update(at=NOW - timedelta(hours=1))
    later = _audit_rows(3)
    expected = list(reversed(later)) + sorted(tied, reverse=True)

    seen: list[int] = []
    before = None
    pages = 0
    while True:
        page = keyset_page(
            AuditEntry.objects.all(), time_field="at", before=before, size=3
        )
        pages += 1
        assert page.is_first is (before is None)
        seen += [entry.pk for entry in page.rows]
        if page.older_before is None:
            break
        before = page.older_before

    assert seen == expected
    assert pages == 3


def test_a_cursor_that_is_no_row_id_starts_at_the_newest_row() -> None:
    assert [cursor(value) for value in (None, "", "abc", "-3", "0", "12")] == [
        None,
        None,
        None,
        None,
        None,
        12,
    ]
    ids = _audit_rows(2)
    page = keyset_page(
        AuditEntry.objects.filter(pk=ids[0]), time_field="at", before=ids[1], size=5
    )
    # ids[1] is filtered out, so it is no anchor: the page starts at the top.
    assert page.is_first
    assert [entry.pk for entry in page.rows] == [ids[0]]


# --- the audit log ------------------------------------------------------------


def test_the_audit_log_pages_by_keyset_and_keeps_its_filters() -> None:
    admin = make_user("admin", role=Role.ADMIN)
    ids = _audit_rows(AUDIT_PAGE_SIZE + 1, actor="annet", lead_id=7)
    _audit_rows(3, actor="piet", lead_id=7)  # filtered out
    client = _client_for(admin)

    first = client.get("/privacy/audit/", {"who": "annet", "lead": "7"})

    html = first.content.decode()
    assert first.status_code == 200
    assert html.count("<tr><td>") == AUDIT_PAGE_SIZE
    older = _older_link(html)
    assert older is not None
    assert "who=annet" in older and "lead=7" in older
    assert f"before={ids[1]}" in older
    second = client.get(f"/privacy/audit/{older}").content.decode()
    assert second.count("<tr><td>") == 1
    assert "piet" not in second.split('id="audit-entries"')[1]
    assert _older_link(second) is None
    assert "?who=annet&amp;lead=7" in second  # the "Newest" link, filters kept


def test_the_audit_log_lists_its_actors_once_each_in_order() -> None:
    for actor in ("piet", "annet", "API token CRM", "annet", "piet"):
        _audit_rows(2, actor=actor)
    assert audit_actors() == ["API token CRM", "annet", "piet"]


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (AuditFilters(), "audit_log"),
        (AuditFilters(lead_id=7), "audit_log_by_lead"),
        (AuditFilters(actor="annet"), "audit_log_by_actor"),
        (AuditFilters(action=AuditAction.ERASED), "audit_log_by_action"),
    ],
)
def test_each_audit_log_filter_reads_an_index_in_time_order(
    filters: AuditFilters, index: str
) -> None:
    _audit_rows(3, lead_id=7)
    assert_reads_index(lambda: audit_entries(filters)[:AUDIT_PAGE_SIZE], index)
    # An older page seeks to its anchor through the same index.
    assert_reads_index(
        lambda: (
            audit_entries(filters)
            .filter(at__lte=NOW)
            .exclude(at=NOW, pk__gte=10)[:AUDIT_PAGE_SIZE]
        ),
        index,
    )


def test_the_audit_log_finds_each_next_actor_by_index() -> None:
    _audit_rows(3)
    assert_reads_index(
        lambda: (
            AuditEntry.objects.filter(actor__gt="annet")
            .order_by("actor")
            .values_list("actor", flat=True)[:1]
        ),
        "audit_log_by_actor",
    )


# --- a webhook endpoint's deliveries --------------------------------------------


def _deliveries(endpoint: WebhookEndpoint, count: int) -> list[int]:
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_type="lead.created",
                payload={},
                message_id=f"{endpoint.pk}-{n}",
                lead_id=1,
                sequence=n,
                status=DeliveryStatus.DELIVERED,
                created_at=NOW + timedelta(seconds=n),
            )
            for n in range(count)
        ]
    )
    return [row.pk for row in rows]


def test_an_endpoints_delivery_log_pages_by_keyset() -> None:
    admin = make_user("admin", role=Role.ADMIN)
    endpoint = WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.nl")
    other = WebhookEndpoint.objects.create(name="Chat", url="https://chat.example.nl")
    ids = _deliveries(endpoint, LOG_ROWS + 1)
    _deliveries(other, 2)
    client = _client_for(admin)

    html = client.get(f"/integrations/webhooks/{endpoint.pk}/").content.decode()

    assert html.count("<code>lead.created</code>") == LOG_ROWS
    assert f"{DeliveryStatus.DELIVERED.label}: {LOG_ROWS + 1}" in html
    older = _older_link(html)
    assert older == f"?before={ids[1]}"
    second = client.get(f"/integrations/webhooks/{endpoint.pk}/{older}")
    text = second.content.decode()
    assert text.count("<code>lead.created</code>") == 1
    assert _older_link(text) is None


def test_the_delivery_log_and_its_counts_read_indexes() -> None:
    endpoint = WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.nl")
    _deliveries(endpoint, 3)
    assert_reads_index(
        lambda: WebhookDelivery.objects.filter(endpoint=endpoint).order_by(
            "-created_at", "-id"
        )[:LOG_ROWS],
        "delivery_log",
    )
    text = plan(
        lambda: WebhookDelivery.objects.filter(
            endpoint=endpoint, status=DeliveryStatus.DELIVERED
        ).order_by()[: list_count_cap() + 1],
        sorted_by_index=False,
    )
    assert "delivery_log_counts" in text, text


def test_the_delivery_counts_stop_at_the_cap() -> None:
    endpoint = WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.nl")
    _deliveries(endpoint, 4)
    delivered = str(DeliveryStatus.DELIVERED.label)
    counts = dict(status_counts(endpoint, cap=3))
    assert counts[delivered] == "3+"
    assert counts[str(DeliveryStatus.FAILED.label)] == "0"
    assert dict(status_counts(endpoint, cap=4))[delivered] == "4"


# --- an import's rejected rows ------------------------------------------------


def test_an_imports_rejected_rows_are_paged() -> None:
    marketer = make_user("mira", role=Role.MARKETING)
    count = PROBLEMS_PER_PAGE + 1
    job = ImportJob.objects.create(
        file_name="crm.csv",
        file_sha256="0" * 64,
        status="done",
        total_rows=count,
        rejected=count,
        report=[
            {"row": row, "column": "email", "message": f"problem {row:04d}"}
            for row in range(2, count + 2)
        ],
    )
    client = _client_for(marketer)

    first = client.get(f"/imports/{job.pk}/").content.decode()

    assert first.count("problem 0") == PROBLEMS_PER_PAGE
    assert f"problem {count + 1:04d}" not in first
    assert "?page=2" in first
    # The pager swaps the report in place (the job page's htmx fragment).
    second = client.get(f"/imports/{job.pk}/?page=2", HTTP_HX_REQUEST="true")
    text = second.content.decode()
    assert "<html" not in text
    assert 'id="import-progress"' in text
    assert text.count("problem 0") == 1
    assert f"problem {count + 1:04d}" in text


# --- a lead's score history ----------------------------------------------------


def _scores(lead: Lead, count: int) -> list[int]:
    version = active_scoring_model()
    rows = Score.objects.bulk_create(
        [
            Score(
                lead=lead,
                scoring_model=version,
                model_version=version.version,
                fit=n % 100,
                intent=0,
                engagement=0,
                total=n % 100,
                band="cold",
                explanation=[],
                computed_at=NOW + timedelta(minutes=n),
            )
            for n in range(count)
        ]
    )
    return [row.pk for row in rows]


def test_the_score_history_is_the_newest_scores_oldest_first() -> None:
    lead = LeadFactory.create()
    ids = _scores(lead, 7)
    assert [score.pk for score in score_history(lead.pk, limit=5)] == ids[2:]


def test_the_lead_page_draws_a_bounded_score_history() -> None:
    admin = make_user("admin", role=Role.ADMIN)
    lead = LeadFactory.create()
    _scores(lead, 205)
    html = _client_for(admin).get(f"/leads/{lead.pk}/").content.decode()
    table = html.split('id="score-history-table"')[1].split("</table>")[0]
    assert table.count("<tr") - 1 == 200  # the header row, then 200 scores


def test_the_score_history_reads_the_lead_time_index() -> None:
    lead = LeadFactory.create()
    _scores(lead, 3)
    query = Score.objects.filter(lead_id=lead.pk).order_by("-computed_at", "-id")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # As for a busy lead: not every score of the lead read and
                # sorted, but the newest ones in index order (ties by id
                # sorted within one moment: an incremental sort).
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute("SET LOCAL enable_sort = off")
        text = str(query[:200].explain())
    assert "score_lead_time" in text, text
    assert not re.search(r"(^|-> +)Sort ", text, re.MULTILINE), text  # PostgreSQL
    assert "TEMP B-TREE FOR ORDER BY" not in text, text  # SQLite


# --- a lead's privacy page --------------------------------------------------------


def test_the_privacy_page_counts_what_the_export_holds_without_reading_it(
    settings: Settings, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    person = build_person()
    exported = person_data(person.lead, now=NOW)
    tables = {
        table: len(rows) for table, rows in exported.items() if isinstance(rows, list)
    }

    counts = person_counts(person.lead)

    assert counts == tables
    assert sum(1 for count in counts.values() if count) >= 10
    html = _client_for(person.admin).get(f"/privacy/leads/{person.lead.pk}/")
    shown = re.findall(
        r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", html.content.decode()
    )
    assert ("Events", str(counts["events"])) in shown
