"""Every list page reads its rows through an index, on SQLite and PostgreSQL.

A list whose filter or order no index serves reads every row on every page
load: fine at 2,000 leads, seconds at a million (#15). Each test takes the
query a page runs and asks the database for its plan. On PostgreSQL the
planner is told to avoid sequential scans (and sorts, where an index can
give the order), as it would with a big table, so the plan shows whether a
suitable index exists; tiny test tables would otherwise always be scanned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F, QuerySet

from leadqual.core.bands import Band
from leadqual.hygiene.quality import MISSING_FIELD_FILTERS
from leadqual.leads.accounts import (
    AccountFilters,
    account_conditions,
    accounts_by_score,
    visible_accounts,
)
from leadqual.leads.models import LACKS_KEY_FIELD, Company, DuplicateCandidate, Lead
from leadqual.leads.queries import (
    LeadsByScorePerOwner,
    distinct_values_query,
    owner_conditions,
    visible_leads,
    visible_owners,
)
from leadqual.paging import list_count_cap
from leadqual.triage.queries import (
    ALL_OWNERS,
    UNASSIGNED,
    QueueByTier,
    QueueOwner,
    queue_badge_counts,
    today_queue,
)
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
BY_SCORE = (F("score_total").desc(nulls_last=True), "-id")


def plan(query: Callable[[], QuerySet[Any]], *, sorted_by_index: bool) -> str:
    """The database's plan for the query, as a big table would get it."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                if sorted_by_index:
                    cursor.execute("SET LOCAL enable_sort = off")
                    cursor.execute("SET LOCAL enable_incremental_sort = off")
        return str(query().explain())


def assert_reads_index(
    query: Callable[[], QuerySet[Any]], index: str, *, sorted_by_index: bool = True
) -> None:
    text = plan(query, sorted_by_index=sorted_by_index)
    assert index in text, text
    if sorted_by_index:
        assert "TEMP B-TREE FOR ORDER BY" not in text, text  # SQLite
        assert "Sort" not in text, text  # PostgreSQL


@pytest.fixture(autouse=True)
def a_few_leads() -> None:
    LeadFactory.create_batch(3)


def test_the_lead_list_reads_leads_in_score_order_from_an_index() -> None:
    admin = make_user("admin", role=Role.ADMIN)
    assert_reads_index(
        lambda: visible_leads(admin).order_by(*BY_SCORE)[:25], "lead_list"
    )


@pytest.mark.parametrize(
    ("field", "value", "index"),
    [
        ("band", Band.HOT.value, "lead_list_by_band"),
        ("status", "new", "lead_list_by_status"),
        ("source", "website", "lead_list_by_source"),
    ],
)
def test_each_lead_list_filter_has_an_index_in_score_order(
    field: str, value: str, index: str
) -> None:
    admin = make_user("admin", role=Role.ADMIN)
    assert_reads_index(
        lambda: visible_leads(admin).filter(**{field: value}).order_by(*BY_SCORE)[:25],
        index,
    )


def test_the_lead_list_of_one_owner_has_an_index_in_score_order() -> None:
    owner = make_user("sanne", role=Role.SALES)
    assert_reads_index(
        lambda: Lead.objects.filter(owner=owner).order_by(*BY_SCORE)[:25],
        "lead_list_by_owner",
    )


def test_a_sellers_queue_finds_their_open_tasks_by_index() -> None:
    seller = make_user("sanne", role=Role.SALES)
    text = plan(lambda: today_queue(seller.pk, now=NOW)[:25], sorted_by_index=False)
    # The queue's order is computed (tiers), so it is sorted; the filter is not
    # a scan of every task.
    assert any(index in text for index in OPEN_TASKS), text
    assert "SCAN triage_task\n" not in text + "\n", text


# Indexes that hold the open tasks only (partial, or the owner's with done_at).
OPEN_TASKS = (
    "task_owner_queue",
    "task_open_queue",
    "task_open_created",
    "task_owner_open_created",
)


def test_everyones_queue_reads_only_open_tasks_by_index() -> None:
    text = plan(lambda: today_queue(ALL_OWNERS, now=NOW)[:25], sorted_by_index=False)
    assert any(index in text for index in OPEN_TASKS[1:]), text


def test_the_accounts_list_reads_companies_in_score_order_from_an_index() -> None:
    admin = make_user("admin", role=Role.ADMIN)
    assert_reads_index(
        lambda: accounts_by_score(
            visible_accounts(visible_leads(admin)), AccountFilters()
        )[:25],
        "account_list",
    )


def test_stale_leads_are_found_by_their_update_time_index() -> None:
    assert_reads_index(
        lambda: Lead.objects.filter(updated_at__lt=NOW - timedelta(days=90)).order_by(
            "updated_at", "pk"
        )[:100],
        "lead_stale",
    )


def test_leads_missing_a_key_field_are_listed_from_a_partial_index() -> None:
    assert_reads_index(
        lambda: Lead.objects.filter(LACKS_KEY_FIELD).order_by("-created_at", "-pk")[
            :100
        ],
        "lead_lacking_key_field",
    )


def test_leads_missing_a_key_field_are_counted_up_to_the_cap_from_a_partial_index() -> (
    None
):
    text = plan(
        lambda: (
            Lead.objects.filter(LACKS_KEY_FIELD)
            .order_by()
            .values("pk")[: list_count_cap() + 1]
        ),
        sorted_by_index=False,
    )
    assert "lead_lacking_key_field" in text, text


@pytest.mark.parametrize(
    ("field", "index"),
    [
        ("company", "company_id"),
        ("sector", "lead_lacking_sector"),
        ("budget", "lead_lacking_budget"),
        ("phone", "lead_lacking_phone"),
    ],
)
def test_each_missing_field_is_counted_from_an_index(field: str, index: str) -> None:
    _label, condition = MISSING_FIELD_FILTERS[field]
    text = plan(
        lambda: Lead.objects.filter(condition).values("pk"), sorted_by_index=False
    )
    assert index in text, text


def test_suspected_duplicates_are_read_in_rank_order_from_an_index() -> None:
    assert_reads_index(
        lambda: DuplicateCandidate.objects.order_by(
            "-reason_count", "-similarity", "first", "second"
        )[:100],
        "duplicate_candidate_rank",
    )


# --- a seller's lead list and the filters' choices ------------------------------------


@pytest.mark.parametrize("part", [0, 1], ids=["own", "unassigned"])
def test_a_sellers_own_and_unassigned_leads_are_each_read_in_score_order(
    part: int,
) -> None:
    """The merged list's two reads come in index order, not sorted."""
    seller = make_user("sanne", role=Role.SALES)
    merged = LeadsByScorePerOwner(visible_leads(seller), (seller.pk, None))
    assert_reads_index(lambda: merged.reads(25)[part], "lead_list_by_owner")


def raw_plan(sql: str, params: list[Any]) -> str:
    """The plan of plain SQL, as ``plan`` asks for it (sorts made expensive)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def assert_looks_up(text: str, *indexes: str) -> None:
    for index in indexes:
        assert index in text, text
    assert "TEMP B-TREE" not in text, text  # SQLite: no sort, no DISTINCT
    assert "Sort" not in text and "Seq Scan" not in text, text  # PostgreSQL
    assert "hashed SubPlan" not in text, text  # PostgreSQL: no hash of all rows
    assert not any(
        line.strip().startswith("SCAN item") or line.strip().startswith("SCAN l")
        for line in text.splitlines()
    ), text  # SQLite: no table scan


@pytest.mark.parametrize(
    ("role", "indexes"),
    [
        (Role.ADMIN, ["lead_list_by_source"]),
        (Role.SALES, ["lead_sources_by_owner"]),
    ],
)
def test_the_source_choices_are_looked_up_per_source(
    role: Role, indexes: list[str]
) -> None:
    user = make_user("gebruiker", role=role)
    sql, params = distinct_values_query(
        Lead._meta.db_table, "source", owner_conditions(visible_owners(user))
    )
    assert_looks_up(raw_plan(sql, params), *indexes)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES])
@pytest.mark.parametrize("column", ["sector", "country"])
def test_the_account_choices_are_looked_up_per_value(role: Role, column: str) -> None:
    user = make_user("gebruiker", role=role)
    sql, params = distinct_values_query(
        Company._meta.db_table, column, account_conditions(visible_owners(user))
    )
    text = raw_plan(sql, params)
    assert_looks_up(text, f"company_{column}")
    if role is Role.SALES and connection.vendor == "sqlite":
        # Whether a company has a seller's lead: one lookup, not a walk over
        # all their leads. PostgreSQL picks among the lead indexes by the test
        # tables' statistics, which other tests change: there it is enough
        # that no table is scanned (assert_looks_up).
        assert "lead_company_owner" in text, text


# --- the queue, tier by tier ----------------------------------------------------------


def _queue_owner(whose: str) -> QueueOwner:
    """Whose queue: everyone's, a seller's, or the unassigned tasks."""
    if whose == "seller":
        return make_user("sanne", role=Role.SALES).pk
    return {"everyone": ALL_OWNERS, "unassigned": UNASSIGNED}[whose]


@pytest.mark.parametrize("whose", ["everyone", "seller", "unassigned"])
def test_each_tier_of_the_queue_is_read_in_deadline_order_from_an_index(
    whose: str,
) -> None:
    """Only ties of one deadline are sorted (by score), never a whole tier;
    the new hot tier (this week's tasks) may be sorted on SQLite, and the overdue
    hot tier is read from the hot leads (the next test)."""
    owner = _queue_owner(whose)
    reads = QueueByTier(owner, now=NOW).reads()
    for position, read in enumerate(reads):
        if position == OVERDUE_HOT:
            continue  # read from the hot leads: the next test
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_seqscan = off")
                    cursor.execute("SET LOCAL enable_sort = off")
            text = str(read[:25].explain())
        assert any(index in text for index in OPEN_TASKS), text
        assert "SCAN triage_task" not in text, text
        # PostgreSQL: an incremental sort of the ties, not a sort of the tier.
        assert not re.search(r"(^|->  )Sort ", text, re.MULTILINE), text
        if position:
            assert "TEMP B-TREE FOR ORDER BY" not in text, text


# The overdue hot tasks' place among QueueByTier.reads().
OVERDUE_HOT = 2


@pytest.mark.parametrize("whose", ["everyone", "seller", "unassigned"])
def test_the_overdue_hot_tier_is_read_from_the_hot_leads(whose: str) -> None:
    """The hot leads' ids from the band's index, then their tasks: never each
    overdue task tested for its lead's band, in deadline order, past all the
    overdue warm tasks of a later deadline. Sorted: hot leads are few."""
    owner = _queue_owner(whose)
    read = QueueByTier(owner, now=NOW).reads()[OVERDUE_HOT]
    text = plan(lambda: read[:25], sorted_by_index=False)
    if connection.vendor == "sqlite":
        # PostgreSQL's choice follows the statistics of the tiny test tables.
        assert "lead_list_by_band (band=?)" in text, text
    assert "SCAN triage_task" not in text, text
    assert "Seq Scan" not in text, text


@pytest.mark.parametrize("whose", ["seller", "unassigned"])
def test_one_owners_new_hot_tier_reads_only_their_tasks_of_this_week(
    whose: str,
) -> None:
    """Not every open task of theirs in deadline order, looking for new hot ones:
    a seller with a long backlog and no new hot lead would walk all of it."""
    seller = make_user("sanne", role=Role.SALES)
    owner: QueueOwner = seller.pk if whose == "seller" else UNASSIGNED
    new_hot = QueueByTier(owner, now=NOW).reads()[0]
    text = plan(lambda: new_hot[:25], sorted_by_index=False)
    if connection.vendor == "sqlite":
        # PostgreSQL's choice follows the statistics of the tiny test tables.
        assert "task_owner_open_created (owner_id=? AND created_at>?)" in text, text
    assert "SCAN triage_task" not in text, text
    assert "Seq Scan" not in text, text


# --- the menu badge -------------------------------------------------------------------


def test_the_menu_badge_counts_from_the_sellers_index_and_the_unseen_notices() -> None:
    """Each count walks an index (up to 100 entries), none scans the table.

    SQLite walks the seller's deadlines up to tonight in ``task_owner_queue``
    and their tasks of this week in ``task_owner_open_created``; PostgreSQL's
    choice of index follows the statistics of the tiny test tables.
    """
    seller = make_user("sanne", role=Role.SALES)
    text = plan(lambda: queue_badge_counts(seller.pk, now=NOW), sorted_by_index=False)
    if connection.vendor == "sqlite":
        assert "task_owner_queue (owner_id=? AND done_at=? AND due_at<?)" in text
        assert "task_owner_open_created (owner_id=? AND created_at>?)" in text
        assert "notice_unseen" in text, text
    assert not re.search(r"\bSCAN (U0|triage_)", text), text  # SQLite
    assert "Seq Scan" not in text, text  # PostgreSQL
