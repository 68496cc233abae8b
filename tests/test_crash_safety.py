"""kill -9 the server during 10,000 event posts: every acknowledged event survives once.

The events carry no ids, so only the Idempotency-Key of each request keeps a
re-sent request from storing its events twice. After the restart the client
re-sends every request that was not acknowledged, and a sample of those that
were: the sample must be replayed (Idempotent-Replayed: true), and the
database must hold every event exactly once.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import sys
import threading
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.live_server import LiveServer

REQUESTS = 100
EVENTS_PER_REQUEST = 100  # 100 x 100 = 10,000 events
KILL_AFTER_ACKNOWLEDGED = 40
EMAIL = "stream@klant.nl"


def _batch(request: int, occurred_at: str) -> dict[str, Any]:
    return {
        "events": [
            {
                "lead_email": EMAIL,
                "type": "page_view",
                "occurred_at": occurred_at,
                "properties": {"seq": request * EVENTS_PER_REQUEST + n},
            }
            for n in range(EVENTS_PER_REQUEST)
        ]
    }


def _stored_sequence_numbers(database: Path) -> Counter[int]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "SELECT properties FROM leads_event JOIN leads_lead "
            "ON leads_lead.id = leads_event.lead_id WHERE leads_lead.email = ?",
            (EMAIL,),
        ).fetchall()
    return Counter(int(json.loads(properties)["seq"]) for (properties,) in rows)


def test_every_acknowledged_event_is_stored_exactly_once_after_kill_9(
    tmp_path: Path,
) -> None:
    server = LiveServer(tmp_path, threads=4)
    server.prepare()
    server.start()
    try:
        assert server.post("/api/v1/leads", {"email": EMAIL}).status == 201
        occurred_at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        batches = [_batch(request, occurred_at) for request in range(REQUESTS)]
        acknowledged: set[int] = set()
        enough = threading.Event()

        def stream() -> None:
            for request, batch in enumerate(batches):
                try:
                    answer = server.post(
                        "/api/v1/events", batch, key=f"batch-{request}"
                    )
                except (OSError, http.client.HTTPException):
                    continue  # killed in flight: not acknowledged
                if (
                    answer.status == 200
                    and answer.body["accepted"] == EVENTS_PER_REQUEST
                ):
                    acknowledged.add(request)
                if len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED:
                    enough.set()
            enough.set()

        client = threading.Thread(target=stream)
        client.start()
        assert enough.wait(timeout=120)
        server.kill()
        client.join(timeout=120)
        acknowledged_before_kill = set(acknowledged)
        assert KILL_AFTER_ACKNOWLEDGED <= len(acknowledged_before_kill) < REQUESTS

        server.start()
        replays = 0
        for request, batch in enumerate(batches):
            was_acknowledged = request in acknowledged_before_kill
            if was_acknowledged and request % 5:
                continue  # re-send one in five acknowledged requests
            answer = server.post("/api/v1/events", batch, key=f"batch-{request}")
            assert answer.status == 200, answer.body
            if was_acknowledged:
                assert answer.headers.get("idempotent-replayed") == "true"
                assert answer.body["accepted"] == EVENTS_PER_REQUEST
                replays += 1
            acknowledged.add(request)
    finally:
        server.stop()

    stored = _stored_sequence_numbers(server.database)
    sys.stdout.write(
        f"{len(acknowledged_before_kill) * EVENTS_PER_REQUEST:,} events acknowledged "
        f"before kill -9, {replays} acknowledged requests re-sent and replayed; "
        f"{sum(stored.values()):,} events stored, "
        f"{sum(1 for count in stored.values() if count > 1)} duplicated\n"
    )
    assert replays > 0
    assert acknowledged == set(range(REQUESTS))
    assert [seq for seq, count in stored.items() if count > 1] == []
    assert set(stored) == set(range(REQUESTS * EVENTS_PER_REQUEST))
