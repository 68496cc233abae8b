"""How fast the audit log and a webhook endpoint's delivery log answer at millions of rows.

Run with ``.venv/bin/python benchmarks/bench_logs.py [--rows N]`` (default
1,000,000). It builds a fresh SQLite database in a temporary directory
(DATABASE_URL is ignored), bulk-inserts N audit entries (50 actors, every
action) and N deliveries to one endpoint, then requests each log in-process
as a signed-in admin: the newest page, a page a thousand pages deep
(``?before=``), and the audit log filtered by actor, by action and by lead.
Prints the median and the slowest answer per page against the 300 ms target
of #15 (the first answer of each page included), the number of cores, and
how long finding the audit log's actors takes with a DISTINCT over every
entry and with one index seek per actor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import benchmark_databases

TARGET_MS = 300.0
CHUNK = 20_000
ACTORS = 50


def _fill(rows: int) -> int:
    """N audit entries and N deliveries to one endpoint; the endpoint's id."""
    from leadqual.db import insert_rows
    from leadqual.integrations.models import (
        DeliveryStatus,
        WebhookDelivery,
        WebhookEndpoint,
    )
    from leadqual.privacy.models import AuditAction, AuditEntry

    start = datetime(2026, 1, 1, tzinfo=UTC)
    actions = [action.value for action in AuditAction]
    endpoint = WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.nl")
    for first in range(0, rows, CHUNK):
        numbers = range(first, min(first + CHUNK, rows))
        insert_rows(
            AuditEntry,
            ["actor", "action", "lead_id", "detail", "at"],
            [
                (
                    f"user-{n % ACTORS:02d}",
                    actions[n % len(actions)],
                    n // 10 + 1,
                    "lead page",
                    start + timedelta(seconds=n),
                )
                for n in numbers
            ],
        )
        insert_rows(
            WebhookDelivery,
            [
                "endpoint_id",
                "event_type",
                "payload",
                "message_id",
                "lead_id",
                "sequence",
                "status",
                "attempts",
                "last_error",
                "remote_ids",
                "created_at",
            ],
            [
                (
                    endpoint.pk,
                    "lead.updated",
                    {},
                    f"m-{n}",
                    n // 10 + 1,
                    n % 10,
                    DeliveryStatus.DELIVERED.value,
                    1,
                    "",
                    {},
                    start + timedelta(seconds=n),
                )
                for n in numbers
            ],
        )
    return endpoint.pk


def _time(client: object, path: str, repeats: int) -> list[float]:
    from django.test import Client

    assert isinstance(client, Client)
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    arguments = parser.parse_args()

    with benchmark_databases.fresh_database("sqlite"):
        from django.test import Client

        from leadqual.integrations.models import WebhookDelivery
        from leadqual.privacy.models import AuditEntry
        from leadqual.users.roles import Role
        from leadqual.users.services import create_user

        began = time.perf_counter()
        endpoint_id = _fill(arguments.rows)
        print(
            f"{arguments.rows:,} audit entries and {arguments.rows:,} deliveries "
            f"inserted in {time.perf_counter() - began:.1f} s; "
            f"{os.cpu_count()} cores, SQLite"
        )
        admin = create_user("admin", role=Role.ADMIN, password="benchmark-password")
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        # Small runs (a quick check) start at the oldest row instead.
        deep = max(0, arguments.rows - 1000 * 100)
        entry = AuditEntry.objects.order_by("-at", "-id").values_list("id", flat=True)
        delivery = WebhookDelivery.objects.order_by("-created_at", "-id").values_list(
            "id", flat=True
        )
        pages = {
            "audit log, newest": "/privacy/audit/",
            "audit log, 1,000 pages deep": f"/privacy/audit/?before={entry[deep]}",
            "audit log by actor": "/privacy/audit/?who=user-07",
            "audit log by action": "/privacy/audit/?action=erased",
            "audit log by lead": f"/privacy/audit/?lead={arguments.rows // 20}",
            "delivery log, newest": f"/integrations/webhooks/{endpoint_id}/",
            "delivery log, 1,000 pages deep": (
                f"/integrations/webhooks/{endpoint_id}/?before={delivery[deep]}"
            ),
        }
        from leadqual.privacy.queries import audit_actors

        began = time.perf_counter()
        distinct = sorted(
            AuditEntry.objects.order_by().values_list("actor", flat=True).distinct()
        )
        scanned = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        seeked = audit_actors()
        sought = (time.perf_counter() - began) * 1000
        assert seeked == distinct
        print(
            f"the audit log's {len(seeked)} actors: DISTINCT over every entry "
            f"{scanned:.1f} ms, one index seek per actor {sought:.1f} ms"
        )
        print(f"{'page':34} {'median ms':>10} {'max ms':>8}  target {TARGET_MS:.0f} ms")
        for name, path in pages.items():
            timings = _time(client, path, arguments.repeats)
            median = statistics.median(timings)
            verdict = "ok" if max(timings) <= TARGET_MS else "over"
            print(f"{name:34} {median:10.1f} {max(timings):8.1f}  {verdict}")


if __name__ == "__main__":
    main()
