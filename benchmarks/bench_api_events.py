"""How many events per second POST /api/v1/events stores and scores, over real HTTP.

Run with ``.venv/bin/python benchmarks/bench_api_events.py``. It runs once on
a fresh SQLite database and once on a fresh PostgreSQL database (see
benchmark_databases.py; ``--database`` picks one), creates 200 leads and an
API token through the services, starts a real waitress server on a free local
port and posts batches of 1,000 events with urllib, the way an integration
would. Every batch is stored and its leads rescored inside the request.
Prints the latency of each batch, the throughput, and the events per
CPU-second of this process.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import benchmark_databases

if TYPE_CHECKING:
    from waitress.server import TcpWSGIServer

LEADS = 200
BATCH_SIZE = 1000
SEED = 20261127
EVENT_TYPES = ["page_view", "page_view", "page_view", "email_open", "email_click"]
URLS = ["/product/planning", "/product/koppelingen", "/prijzen", "/blog/tips", "/"]


def _prepare_database() -> tuple[list[str], str]:
    """Migrate, then create the leads and a token. Returns (emails, bearer secret)."""
    from django.utils import timezone

    from leadqual.intake.pipeline import submit_lead
    from leadqual.users.services import create_token

    now = timezone.now()
    rng = random.Random(SEED)
    emails = []
    for n in range(LEADS):
        email = f"lead{n}@bedrijf{n % 40}.nl"
        submit_lead(
            email,
            {
                "first_name": "Lead",
                "last_name": str(n),
                "company": f"Bedrijf {n % 40} B.V.",
                "sector": rng.choice(["software", "logistiek", "bouw", "zorg"]),
                "employees": rng.choice([5, 15, 40, 120, 400]),
                "budget_euros": rng.choice([None, 2_500, 10_000, 50_000]),
                "urgency": rng.choice(["immediate", "within_3_months", "exploring"]),
                "country": "NL",
            },
            now=now,
            source="benchmark",
        )
        emails.append(email)
    return emails, create_token("benchmark").secret


def _batch(emails: list[str], number: int, rng: random.Random) -> bytes:
    now = datetime.now(UTC)
    events = []
    for n in range(BATCH_SIZE):
        kind = rng.choice(EVENT_TYPES)
        properties = {"url": rng.choice(URLS)} if kind == "page_view" else {}
        events.append(
            {
                "id": f"bench-{number}-{n}",
                "lead_email": rng.choice(emails),
                "type": kind,
                "occurred_at": (
                    now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
                ).isoformat(),
                "properties": properties,
            }
        )
    return json.dumps({"events": events}).encode("utf-8")


def _post(url: str, body: bytes, secret: str) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, object] = json.loads(response.read())
    return answer


def _serve_until_closed(server: TcpWSGIServer) -> None:
    # Closing the socket from the main thread ends the loop with "Bad file
    # descriptor": that is the way out, not an error.
    try:
        server.run()
    except OSError:
        return


def _run(database: str, batches: int) -> int:
    with benchmark_databases.fresh_database(database):
        from waitress.server import TcpWSGIServer, create_server

        from leadqual.config.wsgi import application

        started = time.perf_counter()
        emails, secret = _prepare_database()
        print(
            f"Prepared {LEADS} leads and a token in "
            f"{time.perf_counter() - started:.1f} s"
        )

        server = create_server(application, host="127.0.0.1", port=0)
        assert isinstance(server, TcpWSGIServer)  # one host and port: one socket
        thread = threading.Thread(
            target=_serve_until_closed, args=(server,), daemon=True
        )
        thread.start()
        port = int(server.getsockname()[1])  # port 0: the system chose a free one
        url = f"http://127.0.0.1:{port}/api/v1/events"
        rng = random.Random(SEED)
        latencies: list[float] = []
        accepted = 0
        try:
            # One batch first, not counted: the first hot lead of a process
            # loads the holiday calendar and the scoring model (about 0.5 s).
            _post(url, _batch(emails, -1, rng), secret)
            cpu_started = time.process_time()
            for number in range(batches):
                body = _batch(emails, number, rng)
                begin = time.perf_counter()
                answer = _post(url, body, secret)
                elapsed = time.perf_counter() - begin
                latencies.append(elapsed)
                batch_accepted = int(str(answer["accepted"]))
                accepted += batch_accepted
                rejected = answer["rejected"]
                if rejected:
                    print(f"Unexpected rejections: {rejected}", file=sys.stderr)
                    return 1
                leads = answer["leads"]
                rescored = len(leads) if isinstance(leads, list) else 0
                print(
                    f"Batch {number + 1:2}: {batch_accepted:,} events, "
                    f"{rescored} leads rescored, {elapsed * 1000:,.0f} ms"
                )
            cpu = time.process_time() - cpu_started
        finally:
            server.task_dispatcher.shutdown(timeout=5)  # let running requests finish
            server.close()
            thread.join(timeout=5)
        total = sum(latencies)
        print(
            f"Per-batch latency: median {statistics.median(latencies) * 1000:,.0f} ms, "
            f"max {max(latencies) * 1000:,.0f} ms"
        )
        print(f"API events accepted per second ({database}): {accepted / total:,.0f}")
        # Server and client share this process; on a busy machine this is the
        # fairer figure (PostgreSQL's own CPU is not in it).
        print(
            f"API events per CPU-second of leadqual ({database}): {accepted / cpu:,.0f}"
        )
    return 0


def main() -> int:
    """Run the benchmark; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--batches", type=int, default=10)
    benchmark_databases.add_database_argument(parser)
    arguments = parser.parse_args()
    return benchmark_databases.run_on_each_database(
        arguments, lambda database: _run(database, arguments.batches)
    )


if __name__ == "__main__":
    sys.exit(main())
