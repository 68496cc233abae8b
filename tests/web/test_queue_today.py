"""The today queue (#12): order, filters, paging, badge, bulk close, next lead."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from leadqual.core.bands import Band
from leadqual.core.lifecycle import TaskKind
from leadqual.core.sla import DUTCH_TIME
from leadqual.leads.models import Lead
from leadqual.privacy.models import AuditAction, AuditEntry
from leadqual.triage.models import AlertKind, Notice, Task, TaskCloseReason
from leadqual.triage.queries import QUEUE_READS, QueueBadge, queue_badge
from leadqual.users.roles import Role
from tests.factories import LeadFactory, TaskFactory, make_user

pytestmark = pytest.mark.django_db

# Wednesday 2 December 2026, 10:00 in Utrecht.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=DUTCH_TIME)


@pytest.fixture(autouse=True)
def at_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sanne() -> User:
    return make_user("sanne")


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _lead(band: Band, score: int, **fields: object) -> Lead:
    return LeadFactory.create(band=band.value, score_total=score, **fields)


def _task(
    owner: User | None,
    band: Band,
    *,
    due_at: datetime,
    created_at: datetime | None = None,
    score: int = 50,
) -> Task:
    return TaskFactory.create(
        lead=_lead(band, score),
        owner=owner,
        due_at=due_at,
        created_at=created_at or due_at - timedelta(days=1),
    )


def _row_order(html: str) -> list[int]:
    """The lead ids of the queue's rows, top to bottom."""
    return [int(lead_id) for lead_id in re.findall(r'data-lead-id="(\d+)"', html)]


def _queue(client: Client, **params: str) -> str:
    response = client.get(reverse("triage:queue"), params)
    assert response.status_code == 200
    return response.content.decode()


def _sannes_week(sanne: User) -> dict[str, Task]:
    """Issue #12's queue in small: stale warm tasks, a forgotten demo, a new lead."""
    tasks = {
        f"stale-{days}": _task(sanne, Band.WARM, due_at=NOW - timedelta(days=days))
        for days in (100, 136, 172)
    }
    tasks["demo-2-days-ago"] = _task(
        sanne,
        Band.HOT,
        created_at=NOW - timedelta(days=2),
        due_at=NOW - timedelta(days=1),
        score=85,
    )
    tasks["new-from-api"] = _task(
        sanne,
        Band.HOT,
        created_at=NOW - timedelta(minutes=5),
        due_at=NOW + timedelta(hours=23),
        score=75,
    )
    tasks["due-today"] = _task(sanne, Band.WARM, due_at=NOW + timedelta(hours=6))
    tasks["yesterday"] = _task(sanne, Band.WARM, due_at=NOW - timedelta(days=1))
    tasks["next-week"] = _task(sanne, Band.WARM, due_at=NOW + timedelta(days=6))
    return tasks


# --- order -----------------------------------------------------------------------------


def test_new_hot_leads_come_first_then_due_today_then_overdue(sanne: User) -> None:
    """The order issue #12 asked for: months-overdue warm tasks sink to the bottom."""
    tasks = _sannes_week(sanne)

    html = _queue(_client_for(sanne))

    expected = [
        "demo-2-days-ago",  # new hot, soonest deadline first (it is overdue)
        "new-from-api",
        "due-today",
        "yesterday",  # overdue: the most recently overdue first
        "stale-100",
        "stale-136",
        "stale-172",
        "next-week",
    ]
    assert _row_order(html) == [tasks[name].lead_id for name in expected]


def test_each_tier_has_its_own_heading(sanne: User) -> None:
    _sannes_week(sanne)

    html = _queue(_client_for(sanne))

    headings = re.findall(r'<h2 id="queue-(\w+)-title">', html)
    assert headings == ["new_hot", "due_today", "overdue", "later"]


def test_an_old_hot_task_is_overdue_before_warm_ones(sanne: User) -> None:
    warm = _task(sanne, Band.WARM, due_at=NOW - timedelta(days=3))
    hot = _task(
        sanne,
        Band.HOT,
        created_at=NOW - timedelta(days=30),
        due_at=NOW - timedelta(days=29),
    )

    html = _queue(_client_for(sanne))

    assert _row_order(html) == [hot.lead_id, warm.lead_id]
    assert 'id="queue-new_hot"' not in html


def test_the_most_urgent_lead_is_one_click_away(sanne: User) -> None:
    tasks = _sannes_week(sanne)
    client = _client_for(sanne)

    html = _queue(client)
    link = re.search(r'id="queue-start" href="([^"]+)"', html)
    assert link is not None
    response = client.get(link.group(1).replace("&amp;", "&"))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "leads:lead-detail", args=[tasks["demo-2-days-ago"].lead_id]
    )


# --- filters ---------------------------------------------------------------------------


def test_the_band_filter_shows_only_that_band(sanne: User) -> None:
    tasks = _sannes_week(sanne)

    html = _queue(_client_for(sanne), band="hot")

    assert _row_order(html) == [
        tasks["demo-2-days-ago"].lead_id,
        tasks["new-from-api"].lead_id,
    ]
    assert "2 open tasks" in html


def test_an_unknown_band_shows_every_band(sanne: User) -> None:
    _sannes_week(sanne)

    html = _queue(_client_for(sanne), band="lukewarm")

    assert len(_row_order(html)) == 8


def test_a_seller_sees_their_own_tasks_or_the_unassigned_ones(sanne: User) -> None:
    daan = make_user("daan")
    mine = _task(sanne, Band.WARM, due_at=NOW + timedelta(hours=2))
    _task(daan, Band.WARM, due_at=NOW + timedelta(hours=2))
    nobodys = _task(None, Band.WARM, due_at=NOW + timedelta(hours=3))
    client = _client_for(sanne)

    assert _row_order(_queue(client)) == [mine.lead_id]
    assert _row_order(_queue(client, owner="unassigned")) == [nobodys.lead_id]
    # Another seller's id is no choice for a seller: their own queue shows.
    assert _row_order(_queue(client, owner=str(daan.pk))) == [mine.lead_id]


def test_a_manager_filters_by_owner(sanne: User) -> None:
    daan = make_user("daan")
    admin = make_user("anna", role=Role.ADMIN)
    sannes = _task(sanne, Band.WARM, due_at=NOW + timedelta(hours=2))
    daans = _task(daan, Band.WARM, due_at=NOW + timedelta(hours=3))
    client = _client_for(admin)

    assert _row_order(_queue(client)) == [sannes.lead_id, daans.lead_id]
    assert _row_order(_queue(client, owner=str(daan.pk))) == [daans.lead_id]


def test_a_filter_that_matches_nothing_says_so(sanne: User) -> None:
    _task(sanne, Band.WARM, due_at=NOW + timedelta(hours=2))

    html = _queue(_client_for(sanne), band="hot")

    assert "No open tasks match these filters." in html


# --- paging ----------------------------------------------------------------------------


def _many_tasks(owner: User, count: int) -> list[Task]:
    return [
        _task(owner, Band.WARM, due_at=NOW - timedelta(days=100 + number))
        for number in range(count)
    ]


def test_the_queue_shows_25_tasks_a_page_and_the_page_count(sanne: User) -> None:
    tasks = _many_tasks(sanne, 60)
    client = _client_for(sanne)

    first = _queue(client)
    last = _queue(client, page="3")

    assert _row_order(first) == [task.lead_id for task in tasks[:25]]
    assert _row_order(last) == [task.lead_id for task in tasks[50:]]
    assert "60 open tasks" in first
    assert "Page 1 of 3" in first and "Page 3 of 3" in last


def test_paging_with_htmx_returns_the_list_alone(sanne: User) -> None:
    _many_tasks(sanne, 30)

    response = _client_for(sanne).get(
        reverse("triage:queue"), {"page": "2"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.startswith('<div id="queue-list">')
    assert len(_row_order(html)) == 5


def test_the_queue_needs_the_same_queries_for_5_and_60_tasks(
    sanne: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = _client_for(sanne)
    _many_tasks(sanne, 5)
    _queue(client)  # warm up the session and role caches
    # A query per tier of the queue (QUEUE_READS), each in index order.
    with django_assert_max_num_queries(7 + QUEUE_READS):
        _queue(client)
    _many_tasks(sanne, 55)

    with django_assert_max_num_queries(7 + QUEUE_READS):
        html = _queue(client)

    assert len(_row_order(html)) == 25


# --- the badge -------------------------------------------------------------------------


def test_the_badge_counts_new_hot_due_today_and_overdue_tasks(sanne: User) -> None:
    _sannes_week(sanne)  # 7 of 8 need sanne today; "next-week" does not
    _task(make_user("daan"), Band.HOT, due_at=NOW)

    html = _queue(_client_for(sanne))

    assert re.search(r'id="queue-badge"[^>]*>7<', html)
    assert queue_badge(sanne.pk, now=NOW).tasks == 7


def _urgent_tasks(owner: User, count: int) -> None:
    """``count`` overdue tasks of the owner, on one lead, in one insert."""
    lead = _lead(Band.WARM, 40)
    Task.objects.bulk_create(
        Task(
            lead=lead,
            owner=owner,
            kind=TaskKind.FIRST_CONTACT.value,
            due_at=NOW - timedelta(hours=hours),
            created_at=NOW - timedelta(days=2),
        )
        for hours in range(1, count + 1)
    )


def _hot_notices(recipient: User, count: int) -> None:
    lead = _lead(Band.HOT, 90)
    Notice.objects.bulk_create(
        Notice(
            recipient=recipient,
            lead=lead,
            kind=AlertKind.BECAME_HOT,
            created_at=NOW - timedelta(minutes=minutes),
        )
        for minutes in range(count)
    )


def _badges(client: Client) -> tuple[str, str]:
    html = client.get(reverse("leads:lead-list")).content.decode()
    tasks = re.search(r'id="queue-badge"[^>]*>([^<]*)<', html)
    hot = re.search(r'id="hot-badge"[^>]*>\s*([^<]*?)\s*<', html)
    assert tasks and hot, html
    return tasks.group(1), hot.group(1)


@pytest.mark.parametrize(
    ("language", "hot_text"), [("en", "new hot"), ("nl", "net heet")]
)
def test_the_badge_shows_its_counts_exactly_up_to_99(
    sanne: User, language: str, hot_text: str
) -> None:
    _urgent_tasks(sanne, 99)
    _hot_notices(sanne, 99)
    client = _client_for(sanne)
    client.cookies["leadqual_language"] = language

    assert _badges(client) == ("99", f"99 {hot_text}")
    assert queue_badge(sanne.pk, now=NOW) == QueueBadge(tasks=99, hot_notices=99)


@pytest.mark.parametrize(
    ("language", "hot_text"), [("en", "new hot"), ("nl", "net heet")]
)
def test_the_badge_shows_99_plus_from_100_on(
    sanne: User, language: str, hot_text: str
) -> None:
    """The counts stop at 100: "99+" is all the menu says past 99."""
    _urgent_tasks(sanne, 150)
    _hot_notices(sanne, 100)
    client = _client_for(sanne)
    client.cookies["leadqual_language"] = language

    assert _badges(client) == ("99+", f"99+ {hot_text}")
    assert queue_badge(sanne.pk, now=NOW) == QueueBadge(tasks=100, hot_notices=100)


def test_the_badge_adds_new_hot_tasks_due_later_to_the_tasks_due_today(
    sanne: User,
) -> None:
    _urgent_tasks(sanne, 98)
    _task(
        sanne,
        Band.HOT,
        created_at=NOW - timedelta(hours=1),
        due_at=NOW + timedelta(days=2),
    )
    assert queue_badge(sanne.pk, now=NOW).tasks == 99
    _task(
        sanne,
        Band.HOT,
        created_at=NOW - timedelta(hours=2),
        due_at=NOW + timedelta(days=3),
    )
    assert queue_badge(sanne.pk, now=NOW).tasks == 100


def test_no_badge_without_urgent_tasks(sanne: User) -> None:
    _task(sanne, Band.WARM, due_at=NOW + timedelta(days=6))

    html = _client_for(sanne).get(reverse("leads:lead-list")).content.decode()

    assert 'id="queue-badge"' not in html


# --- bulk close ------------------------------------------------------------------------


def _close(client: Client, tasks: list[Task], reason: str) -> str:
    response = client.post(
        reverse("triage:queue-close"),
        {"task": [task.pk for task in tasks], "reason": reason},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_closing_stale_tasks_stores_the_reason_and_who(sanne: User) -> None:
    stale = _many_tasks(sanne, 3)
    keep = _task(sanne, Band.HOT, due_at=NOW + timedelta(hours=3))

    html = _close(_client_for(sanne), stale[:2], TaskCloseReason.NO_RESPONSE.value)

    assert "Closed 2 tasks: No response after several attempts." in html
    for task in stale[:2]:
        task.refresh_from_db()
        assert task.done_at == NOW
        assert task.closed_reason == "no response"
        assert task.closed_by == sanne
    assert _row_order(html) == [keep.lead_id, stale[2].lead_id]


def test_closing_tasks_is_audited(sanne: User) -> None:
    stale = _many_tasks(sanne, 2)

    _close(_client_for(sanne), stale, TaskCloseReason.HANDLED_ELSEWHERE.value)

    entries = AuditEntry.objects.filter(action=AuditAction.CHANGED).order_by("lead_id")
    assert [(entry.lead_id, entry.actor, entry.detail) for entry in entries] == [
        (task.lead_id, "sanne", f"closed task {task.pk}: handled elsewhere")
        for task in sorted(stale, key=lambda task: task.lead_id)
    ]


def test_closing_needs_a_reason(sanne: User) -> None:
    stale = _many_tasks(sanne, 1)

    html = _close(_client_for(sanne), stale, "")

    assert "Choose why the tasks are closed; nothing was closed." in html
    stale[0].refresh_from_db()
    assert stale[0].done_at is None


def test_a_seller_cannot_close_another_sellers_task(sanne: User) -> None:
    mine = _many_tasks(sanne, 1)[0]
    daans = _task(make_user("daan"), Band.WARM, due_at=NOW - timedelta(days=120))

    html = _close(_client_for(sanne), [mine, daans], "no response")

    assert (
        f"Tasks {daans.pk} are closed already or not yours to close; "
        "nothing was closed." in html
    )
    mine.refresh_from_db()
    daans.refresh_from_db()
    assert mine.done_at is None and daans.done_at is None
    assert not AuditEntry.objects.exists()


def test_an_admin_closes_any_sellers_task(sanne: User) -> None:
    admin = make_user("anna", role=Role.ADMIN)
    sannes = _many_tasks(sanne, 1)[0]

    _close(_client_for(admin), [sannes], "no longer relevant")

    sannes.refresh_from_db()
    assert sannes.closed_by == admin and sannes.closed_reason == "no longer relevant"


def test_marketing_cannot_close_tasks(sanne: User) -> None:
    marketer = make_user("mara", role=Role.MARKETING)
    task = _many_tasks(sanne, 1)[0]

    response = _client_for(marketer).post(
        reverse("triage:queue-close"), {"task": [task.pk], "reason": "no response"}
    )

    assert response.status_code == 403
    task.refresh_from_db()
    assert task.done_at is None


def test_marketing_sees_no_tick_boxes(sanne: User) -> None:
    _many_tasks(sanne, 2)

    html = _queue(_client_for(make_user("mara", role=Role.MARKETING)))

    assert 'name="task"' not in html and 'id="bulk-close-fields"' not in html


def test_a_closed_task_cannot_be_closed_again(sanne: User) -> None:
    task = _many_tasks(sanne, 1)[0]
    client = _client_for(sanne)
    _close(client, [task], "no response")

    html = _close(client, [task], "duplicate task")

    assert "are closed already or not yours to close" in html
    task.refresh_from_db()
    assert task.closed_reason == "no response"


def test_closing_keeps_the_filters(sanne: User) -> None:
    task = _many_tasks(sanne, 1)[0]

    response = _client_for(sanne).post(
        reverse("triage:queue-close"),
        {"task": [task.pk], "reason": "no response", "return_query": "band=warm&x=1"},
    )

    assert response["Location"] == reverse("triage:queue") + "?band=warm"


# --- next lead -------------------------------------------------------------------------


def _next(client: Client, **params: str) -> str:
    response = client.get(reverse("triage:next-lead"), params)
    assert response.status_code == 302
    return str(response["Location"])


def _lead_url(task: Task) -> str:
    return reverse("leads:lead-detail", args=[task.lead_id])


def test_next_lead_follows_the_queue_order(sanne: User) -> None:
    tasks = _sannes_week(sanne)
    client = _client_for(sanne)

    assert _next(client) == _lead_url(tasks["demo-2-days-ago"])
    assert _next(client, after=str(tasks["demo-2-days-ago"].lead_id)) == _lead_url(
        tasks["new-from-api"]
    )
    assert _next(client, after=str(tasks["due-today"].lead_id)) == _lead_url(
        tasks["yesterday"]
    )


def test_next_lead_after_a_closed_task_is_the_top_of_the_queue(sanne: User) -> None:
    tasks = _sannes_week(sanne)
    client = _client_for(sanne)
    handled = tasks["new-from-api"]
    _close(client, [handled], "handled elsewhere")

    assert _next(client, after=str(handled.lead_id)) == _lead_url(
        tasks["demo-2-days-ago"]
    )


def test_next_lead_keeps_the_band_filter(sanne: User) -> None:
    tasks = _sannes_week(sanne)

    location = _next(
        _client_for(sanne), after=str(tasks["due-today"].lead_id), band="warm"
    )

    assert location == _lead_url(tasks["yesterday"])


def test_after_the_last_lead_next_goes_back_to_the_queue(sanne: User) -> None:
    only = _task(sanne, Band.WARM, due_at=NOW + timedelta(hours=1))
    client = _client_for(sanne)

    assert _next(client, after=str(only.lead_id)) == reverse("triage:queue")
    html = client.get(reverse("triage:queue")).content.decode()
    assert "No other lead waits in your queue." in html


def test_next_lead_never_opens_another_sellers_lead(sanne: User) -> None:
    _task(make_user("daan"), Band.HOT, due_at=NOW)

    assert _next(_client_for(sanne)) == reverse("triage:queue")


def test_next_lead_needs_a_login() -> None:
    response = Client().get(reverse("triage:next-lead"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- the menu --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "links", "hidden"),
    [
        (
            Role.SALES,
            ["triage:queue", "leads:lead-list", "accounts_pages:account-list"],
            ["imports:upload", "intake:embed-code", "admin:index", "insights:kpis"],
        ),
        (
            Role.MARKETING,
            [
                "triage:queue",
                "insights:kpis",
                "leads:data-quality",
                "imports:upload",
                "admin:index",
            ],
            ["intake:embed-code", "privacy:audit-log"],
        ),
        (
            Role.ADMIN,
            [
                "triage:queue",
                "insights:kpis",
                "imports:upload",
                "intake:embed-code",
                "privacy:audit-log",
                "admin:index",
            ],
            [],
        ),
    ],
)
def test_the_menu_links_every_page_a_role_may_use(
    role: Role, links: list[str], hidden: list[str]
) -> None:
    client = _client_for(make_user("someone", role=role))

    nav = client.get(reverse("triage:queue")).content.decode()
    nav = nav[nav.index('<nav class="mainnav"') : nav.index("</nav>")]

    for name in links:
        assert f'href="{reverse(name)}"' in nav, name
        assert client.get(reverse(name)).status_code == 200, name
    for name in hidden:
        assert f'href="{reverse(name)}"' not in nav, name
