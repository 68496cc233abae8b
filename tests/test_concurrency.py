"""8 clients post events and feedback at once to one SQLite server: zero errors.

SQLite runs in WAL mode with a busy timeout and IMMEDIATE transactions
(config/settings.py), so concurrent writers queue for the write lock instead
of failing with "database is locked". LEADQUAL_CONCURRENCY_SECONDS sets how
long the clients post (default 30).
"""

from __future__ import annotations

import http.client
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.live_server import LiveServer

CLIENTS = 8
EVENTS_PER_BATCH = 5
FEEDBACK_EVERY = 4  # every 4th request of a client is feedback
SECONDS = float(os.environ.get("LEADQUAL_CONCURRENCY_SECONDS", "30"))


@dataclass
class Tally:
    requests: int = 0
    events_acknowledged: int = 0
    feedback_acknowledged: int = 0
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("concurrency"), threads=CLIENTS)
    live.prepare()
    live.start()
    try:
        yield live
    finally:
        live.stop()


def a_minute_ago() -> str:
    """An event time the pipeline accepts: in the past, with an offset."""
    return (datetime.now(UTC) - timedelta(minutes=1)).isoformat()


def _count(database: Path, table: str) -> int:
    with closing(sqlite3.connect(database)) as connection:
        (count,) = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return int(count)


def _client(
    server: LiveServer, number: int, lead_id: int, deadline: float, tally: Tally
) -> None:
    email = f"client{number}@klant{number}.nl"
    sent = 0
    while time.monotonic() < deadline:
        sent += 1
        try:
            if sent % FEEDBACK_EVERY == 0:
                decision = (
                    {"decision": "accepted"}
                    if sent % 8
                    else {
                        "decision": "rejected",
                        "reason": "no_budget",
                    }
                )
                answer = server.post(f"/api/v1/leads/{lead_id}/feedback", decision)
                if answer.status == 201:
                    tally.feedback_acknowledged += 1
            else:
                batch = {
                    "events": [
                        {
                            "lead_email": email,
                            "type": "page_view",
                            "occurred_at": a_minute_ago(),
                            "properties": {"client": number, "request": sent, "n": n},
                        }
                        for n in range(EVENTS_PER_BATCH)
                    ]
                }
                answer = server.post("/api/v1/events", batch)
                if answer.status == 200:
                    tally.events_acknowledged += int(answer.body["accepted"])
            tally.requests += 1
            if not 200 <= answer.status < 300:
                tally.errors.append(f"client {number}: {answer.status} {answer.body}")
        except (OSError, http.client.HTTPException) as error:
            tally.errors.append(f"client {number}: {error!r}")


def test_eight_clients_writing_at_once_get_no_errors_and_lose_nothing(
    server: LiveServer,
) -> None:
    lead_ids = []
    for number in range(CLIENTS):
        created = server.post(
            "/api/v1/leads",
            {"email": f"client{number}@klant{number}.nl", "first_name": "Klant"},
        )
        assert created.status == 201, created.body
        lead_ids.append(int(created.body["id"]))
    events_before = _count(server.database, "leads_event")
    feedback_before = _count(server.database, "triage_feedback")
    tallies = [Tally() for _ in range(CLIENTS)]
    started = time.monotonic()
    deadline = started + SECONDS
    threads = [
        threading.Thread(
            target=_client, args=(server, number, lead_ids[number], deadline, tally)
        )
        for number, tally in enumerate(tallies)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    elapsed = time.monotonic() - started
    errors = [error for tally in tallies for error in tally.errors]
    requests = sum(tally.requests for tally in tallies)
    events = sum(tally.events_acknowledged for tally in tallies)
    feedback = sum(tally.feedback_acknowledged for tally in tallies)
    sys.stdout.write(
        f"{requests} requests in {elapsed:.1f} s ({requests / elapsed:.0f}/s), "
        f"{len(errors)} errors, {events} events and {feedback} feedback acknowledged\n"
    )
    assert errors == []
    assert requests > CLIENTS
    assert events > 0 and feedback > 0
    assert _count(server.database, "leads_event") - events_before == events
    assert _count(server.database, "triage_feedback") - feedback_before == feedback


def test_a_retry_during_the_first_request_waits_and_gets_its_answer(
    server: LiveServer,
) -> None:
    email = "retry@klant.nl"
    assert server.post("/api/v1/leads", {"email": email}).status == 201
    batch = {
        "events": [
            {
                "lead_email": email,
                "type": "download",
                "occurred_at": a_minute_ago(),
                "properties": {"n": n},
            }
            for n in range(200)
        ]
    }
    answers: list[int | str] = []
    bodies: list[object] = []

    def send() -> None:
        answer = server.post("/api/v1/events", batch, key="same-batch-twice")
        answers.append(answer.status)
        bodies.append(answer.body)

    senders = [threading.Thread(target=send) for _ in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()

    assert answers == [200, 200, 200, 200]
    assert all(body == bodies[0] for body in bodies)
    with closing(sqlite3.connect(server.database)) as connection:
        (stored,) = connection.execute(
            "SELECT count(*) FROM leads_event JOIN leads_lead "
            "ON leads_lead.id = leads_event.lead_id WHERE leads_lead.email = ?",
            (email,),
        ).fetchone()
    assert stored == 200


def test_sqlite_runs_in_wal_mode(server: LiveServer) -> None:
    with closing(sqlite3.connect(server.database)) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
