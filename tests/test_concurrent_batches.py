"""8 clients post 1,000-event batches for overlapping leads at once: zero 5xx.

Each event id is sent by two clients, so batches collide on the same leads
and the same events; every event must be stored exactly once. Runs against a
real `leadqual serve` on SQLite, and on PostgreSQL when the suite runs there
(DATABASE_URL), each time on a fresh database of its own.
"""

from __future__ import annotations

import http.client
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.live_server import LiveServer

CLIENTS = 8
BATCHES_PER_CLIENT = 3
EVENTS_PER_BATCH = 1000
LEADS = 40


@dataclass
class Tally:
    accepted: int = 0
    duplicates: int = 0
    failures: list[str] = field(default_factory=list)


@contextmanager
def scratch_database(name: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database beside the test one, or None on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    import psycopg

    server_url = url.rsplit("/", 1)[0]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    live: LiveServer
    database_url: str | None

    def count(self, sql: str) -> int:
        if self.database_url is None:
            with closing(sqlite3.connect(self.live.database)) as connection:
                (value,) = connection.execute(sql).fetchone()
                return int(value)
        import psycopg

        with psycopg.connect(self.database_url) as connection:
            row = connection.execute(sql).fetchone()
            assert row is not None
            return int(row[0])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with scratch_database(f"leadqual_batches_{os.getpid()}") as url:
        extra = {"DATABASE_URL": url} if url else {}
        live = LiveServer(tmp_path, threads=CLIENTS, extra_env=extra)
        live.prepare()
        live.start()
        try:
            yield Server(live, url)
        finally:
            live.stop()


def email_of(lead: int) -> str:
    return f"klant{lead}@bedrijf{lead % 7}.nl"


def batch_for(client: int, batch: int, occurred_at: str) -> list[dict[str, object]]:
    """1,000 events over every lead; another client sends the same ones."""
    # Clients pair up (0 and 1, 2 and 3, ...): both send the same events, in
    # opposite order, so their transactions want the same rows at once.
    pair = client // 2
    events: list[dict[str, object]] = [
        {
            "id": f"p{pair}-b{batch}-n{n}",
            "lead_email": email_of(n % LEADS),
            "type": "page_view" if n % 3 else "email_click",
            "occurred_at": occurred_at,
            "properties": {"url": f"https://www.bedrijf.nl/pagina-{n % 50}"},
        }
        for n in range(EVENTS_PER_BATCH)
    ]
    return events if client % 2 == 0 else events[::-1]


def run_client(server: LiveServer, client: int, occurred_at: str, tally: Tally) -> None:
    for batch in range(BATCHES_PER_CLIENT):
        try:
            answer = server.post(
                "/api/v1/events",
                {"events": batch_for(client, batch, occurred_at)},
                timeout_seconds=300,
            )
        except (OSError, http.client.HTTPException) as error:
            tally.failures.append(f"client {client}: {error!r}")
            continue
        if answer.status != 200:
            tally.failures.append(f"client {client}: {answer.status} {answer.body}")
            continue
        assert answer.body["rejected"] == [], answer.body["rejected"][:3]
        tally.accepted += int(answer.body["accepted"])
        tally.duplicates += int(answer.body["duplicates"])


def test_concurrent_1000_event_batches_get_no_5xx_and_store_every_event_once(
    server: Server,
) -> None:
    for lead in range(LEADS):
        created = server.live.post(
            "/api/v1/leads",
            {"email": email_of(lead), "company": f"Bedrijf {lead % 7} B.V."},
        )
        assert created.status == 201, created.body
    occurred_at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    tallies = [Tally() for _ in range(CLIENTS)]
    threads = [
        threading.Thread(target=run_client, args=(server.live, n, occurred_at, tally))
        for n, tally in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [failure for tally in tallies for failure in tally.failures] == []
    sent = CLIENTS * BATCHES_PER_CLIENT * EVENTS_PER_BATCH
    distinct = sent // 2
    accepted = sum(tally.accepted for tally in tallies)
    duplicates = sum(tally.duplicates for tally in tallies)
    assert (accepted, duplicates) == (distinct, sent - distinct)
    assert server.count("SELECT count(*) FROM leads_event") == distinct
    assert (
        server.count("SELECT count(DISTINCT external_id) FROM leads_event") == distinct
    )
    # The KPI page's sums followed every rescore of the concurrent batches:
    # each lead's stored bucket is its score's now, and each day row counts
    # exactly the leads stored for it.
    assert server.count("SELECT count(*) FROM triage_leadkpifact") == LEADS
    assert server.count("SELECT sum(leads_in) FROM triage_kpiday") == LEADS
    assert (
        server.count(
            "SELECT count(*) FROM leads_lead l JOIN triage_leadkpifact f "
            "ON f.lead_id = l.id WHERE f.score_bucket != CASE "
            "WHEN l.score_total IS NULL THEN -1 WHEN l.score_total >= 90 THEN 9 "
            "ELSE l.score_total / 10 END"
        )
        == 0
    )
    assert (
        server.count(
            "SELECT count(*) FROM triage_kpiday d WHERE d.leads_in != ("
            "SELECT count(*) FROM triage_leadkpifact f WHERE "
            "f.arrival_day = d.day AND f.source = d.source AND f.band = d.band "
            "AND f.score_bucket = d.score_bucket)"
        )
        == 0
    )
