"""HTTP ingestion: events per second and p99 latency of POST /api/v1/events, over real HTTP.

Run with ``.venv/bin/python benchmarks/bench_ingestion.py``. Without
``--database`` it runs on a fresh SQLite database and on a fresh PostgreSQL
database (benchmark_databases.py), each in a child process. Each leg creates
the leads and an API token through the services, then starts real server
processes and loads them with a load generator of its own (threads, one
keep-alive http.client connection each):

- ``leadqual serve`` (waitress, one process, ``--threads`` = clients), on
  both databases, with its background worker in the process as installed;
- on PostgreSQL also the scale-out setup: gunicorn with
  ``config/gunicorn.py`` (``--web-processes`` processes), jobs on Redis and a
  ``leadqual worker`` beside it.

Against each server three loads, in this order:

1. single events: ``--clients`` clients each post one event per request for
   ``--seconds`` seconds;
2. 1,000-event batches from one client, ``--batches`` of them (the figure
   bench_api_events.py used to give: one integration on its own);
3. 1,000-event batches from ``--clients`` clients at once, ``--batches`` each.

Events go to random leads out of ``--leads``, so concurrent batches overlap on
leads, as two integrations posting at once do. Every load prints events/s,
median and p99 latency per request, the error count (anything but 200,
which must be zero), and the CPU seconds the server's processes used per
1,000 events (PostgreSQL's own processes not counted). Each server's peak
memory per process is printed at the end. The targets of issue #15: 1,000
events/s single, 50,000 events/s batched, zero errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchmark_databases

BATCH_SIZE = 1000
SEED = 20261206
EVENT_TYPES = ["page_view", "page_view", "page_view", "email_open", "email_click"]
URLS = ["/product/planning", "/product/koppelingen", "/prijzen", "/blog/tips", "/"]
LEADQUAL = Path(sys.executable).parent / "leadqual"
GUNICORN = Path(sys.executable).parent / "gunicorn"
# A Redis database of its own for the gunicorn leg's job queue, emptied after.
REDIS_URL = os.environ.get("LEADQUAL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
STARTUP_SECONDS = 60
TARGET_SINGLE_PER_SECOND = 1_000
TARGET_BATCHED_PER_SECOND = 50_000


@dataclass
class Load:
    """What one load measured."""

    events: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, events: int, latency: float) -> None:
        with self.lock:
            self.events += events
            self.latencies.append(latency)

    def fail(self, problem: str) -> None:
        with self.lock:
            self.errors.append(problem)


def _prepare_database(leads: int) -> tuple[list[str], str]:
    """Create the leads and a token. Returns (emails, bearer secret)."""
    from django.db import connections
    from django.utils import timezone

    from leadqual.intake.pipeline import submit_lead
    from leadqual.users.services import create_token

    now = timezone.now()
    rng = random.Random(SEED)
    emails = []
    for n in range(leads):
        email = f"lead{n}@bedrijf{n % 400}.nl"
        submit_lead(
            email,
            {
                "first_name": "Lead",
                "last_name": str(n),
                "company": f"Bedrijf {n % 400} B.V.",
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
    secret = create_token("benchmark").secret
    connections.close_all()
    return emails, secret


class EventMaker:
    """Event bodies with ids unique over the whole run."""

    def __init__(self, emails: list[str], seed: int, prefix: str) -> None:
        self.emails = emails
        # Each server's loads get ids of their own: the same id for the same
        # lead is a duplicate, and stores nothing.
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.counter = 0
        self.lock = threading.Lock()

    def events(self, count: int) -> list[dict[str, object]]:
        now = datetime.now(UTC)
        with self.lock:
            first = self.counter
            self.counter += count
            picks = [
                (
                    self.rng.choice(self.emails),
                    self.rng.choice(EVENT_TYPES),
                    self.rng.choice(URLS),
                    self.rng.randint(1, 60 * 24 * 30),
                )
                for _ in range(count)
            ]
        return [
            {
                "id": f"{self.prefix}-{first + n}",
                "lead_email": email,
                "type": kind,
                "occurred_at": (now - timedelta(minutes=minutes)).isoformat(),
                "properties": {"url": url} if kind == "page_view" else {},
            }
            for n, (email, kind, url, minutes) in enumerate(picks)
        ]

    def body(self, count: int) -> bytes:
        return json.dumps({"events": self.events(count)}).encode("utf-8")


class Client:
    """One integration: a keep-alive connection posting to /api/v1/events."""

    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
        }
        self.connection: http.client.HTTPConnection | None = None

    def post(self, body: bytes) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=300
            )
        try:
            self.connection.request(
                "POST", "/api/v1/events", body=body, headers=self.headers
            )
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _post_and_record(client: Client, body: bytes, events: int, load: Load) -> None:
    begin = time.perf_counter()
    try:
        status, answer = client.post(body)
    except (OSError, http.client.HTTPException) as error:
        load.fail(repr(error))
        return
    elapsed = time.perf_counter() - begin
    if status != 200:
        load.fail(f"HTTP {status}: {answer[:300]!r}")
        return
    accepted = int(json.loads(answer)["accepted"])
    if accepted != events:
        load.fail(f"{events} events sent, {accepted} accepted: {answer[:300]!r}")
        return
    load.record(events, elapsed)


def _run_clients(
    clients: int, work: Callable[[Client], None], port: int, secret: str
) -> float:
    threads = []
    for _ in range(clients):
        client = Client(port, secret)

        def run(client: Client = client) -> None:
            try:
                work(client)
            finally:
                client.close()

        threads.append(threading.Thread(target=run))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _single_events(
    port: int, secret: str, maker: EventMaker, *, clients: int, seconds: float
) -> tuple[Load, float]:
    load = Load()
    deadline = time.perf_counter() + seconds

    def work(client: Client) -> None:
        while time.perf_counter() < deadline:
            _post_and_record(client, maker.body(1), 1, load)

    return load, _run_clients(clients, work, port, secret)


def _batches(
    port: int, secret: str, maker: EventMaker, *, clients: int, batches: int
) -> tuple[Load, float]:
    load = Load()
    # Bodies are made before the clock starts: JSON encoding is the client's cost.
    bodies = [[maker.body(BATCH_SIZE) for _ in range(batches)] for _ in range(clients)]
    queues = iter(bodies)
    queues_lock = threading.Lock()

    def work(client: Client) -> None:
        with queues_lock:
            mine = next(queues)
        for body in mine:
            _post_and_record(client, body, BATCH_SIZE, load)

    return load, _run_clients(clients, work, port, secret)


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process under it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds of these processes (their own, not children's)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _peak_memory_mib(pids: list[int]) -> list[float]:
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return peaks


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_serving(port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5
            ):
                return
        except OSError:  # refused, reset, or timed out while a worker boots
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"The server did not answer: {log.read_text()}"
                ) from None
            time.sleep(0.2)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(
    kind: str, data_dir: Path, arguments: argparse.Namespace
) -> Iterator[tuple[int, list[int]]]:
    """Start ``serve`` or ``gunicorn``; yields (port, pids of its processes)."""
    port = _free_port()
    env = dict(os.environ)
    log = data_dir / f"{kind}.log"
    if kind == "serve":
        command = [
            str(LEADQUAL),
            "serve",
            "--port",
            str(port),
            "--threads",
            str(arguments.clients),
        ]
        with _process(command, env, log) as pid:
            _wait_until_serving(port, log)
            yield port, [pid]
        return
    import redis

    queue = redis.Redis.from_url(REDIS_URL)
    queue.flushdb()
    env |= {
        "REDIS_URL": REDIS_URL,
        "WEB_CONCURRENCY": str(arguments.web_processes),
        "LEADQUAL_WEB_BIND": f"127.0.0.1:{port}",
    }
    try:
        with (
            _process(
                [str(GUNICORN), "--config", "python:leadqual.config.gunicorn"], env, log
            ) as web,
            _process([str(LEADQUAL), "worker", "--no-periodic"], env, log) as worker,
        ):
            _wait_until_serving(port, log)
            yield port, [web, worker]
    finally:
        queue.flushdb()


def _report(what: str, load: Load, wall: float, cpu: float, target: int | None) -> None:
    rate = load.events / wall if wall else 0.0
    latencies = sorted(load.latencies) or [0.0]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    line = (
        f"  {what}: {rate:,.0f} events/s, latency median "
        f"{statistics.median(latencies) * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms, "
        f"{len(load.errors)} errors ({len(load.latencies):,} requests, "
        f"{load.events:,} events in {wall:.1f} s; server CPU "
        f"{cpu / max(load.events, 1) * 1000:.2f} s per 1,000 events)"
    )
    if target is not None:
        line += f"; target {target:,}/s: {rate / target:.0%}"
    print(line, flush=True)
    for problem in load.errors[:5]:
        print(f"    error: {problem}", flush=True)


def _load_server(
    name: str,
    kind: str,
    data_dir: Path,
    emails: list[str],
    secret: str,
    arguments: argparse.Namespace,
) -> int:
    print(f"{name}:", flush=True)
    errors = 0
    with _server(kind, data_dir, arguments) as (port, roots):
        maker = EventMaker(emails, SEED + len(kind), prefix=kind)
        # Not counted: the first requests of each process load the scoring
        # model and the holiday calendar.
        warm_up, _ = _single_events(
            port, secret, maker, clients=arguments.clients, seconds=2
        )
        errors += len(warm_up.errors)
        loads: list[tuple[str, Callable[[], tuple[Load, float]], int | None]] = [
            (
                f"single events, {arguments.clients} clients",
                lambda: _single_events(
                    port,
                    secret,
                    maker,
                    clients=arguments.clients,
                    seconds=arguments.seconds,
                ),
                TARGET_SINGLE_PER_SECOND,
            ),
            (
                "1,000-event batches, 1 client",
                lambda: _batches(
                    port, secret, maker, clients=1, batches=arguments.batches
                ),
                None,
            ),
            (
                f"1,000-event batches, {arguments.clients} clients",
                lambda: _batches(
                    port,
                    secret,
                    maker,
                    clients=arguments.clients,
                    batches=arguments.batches,
                ),
                TARGET_BATCHED_PER_SECOND,
            ),
        ]
        for what, run, target in loads:
            pids = [pid for root in roots for pid in _descendants(root)]
            cpu_before = _cpu_seconds(pids)
            load, wall = run()
            pids = [pid for root in roots for pid in _descendants(root)]
            _report(what, load, wall, _cpu_seconds(pids) - cpu_before, target)
            errors += len(load.errors)
        for root in roots:
            pids = _descendants(root)
            peaks = ", ".join(f"{peak:,.0f}" for peak in _peak_memory_mib(pids))
            print(f"  peak memory per process (MiB) under pid {root}: {peaks}")
    return errors


def _storage(database: str, data_dir: Path) -> str:
    """The events stored and the bytes they take, table and indexes, for sizing."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_event")
        (events,) = cursor.fetchone()
        if database == "sqlite":
            cursor.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name = 'leads_event' "
                "OR name IN (SELECT name FROM sqlite_master "
                "WHERE tbl_name = 'leads_event' AND type = 'index')"
            )
        else:
            cursor.execute("SELECT pg_total_relation_size('leads_event')")
        (size,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM leads_lead")
        (leads,) = cursor.fetchone()
    connection.close()
    return (
        f"Stored {events:,} events of {leads:,} leads: {size / 2**20:,.1f} MiB with "
        f"indexes, {size / max(events, 1):,.0f} bytes per event"
    )


def _run(database: str, arguments: argparse.Namespace) -> int:
    with benchmark_databases.fresh_database(database) as data_dir:
        started = time.perf_counter()
        emails, secret = _prepare_database(arguments.leads)
        print(
            f"Prepared {arguments.leads:,} leads and a token in "
            f"{time.perf_counter() - started:.1f} s; "
            f"{os.cpu_count()} cores, load average "
            f"{', '.join(f'{value:.1f}' for value in os.getloadavg())}",
            flush=True,
        )
        servers = [(f"leadqual serve on {database}", "serve")]
        if database == "postgresql":
            servers.append(
                (
                    f"gunicorn ({arguments.web_processes} processes) on {database}, "
                    "jobs on Redis",
                    "gunicorn",
                )
            )
        errors = 0
        for name, kind in servers:
            if arguments.server in (kind, "both"):
                errors += _load_server(name, kind, data_dir, emails, secret, arguments)
        print(_storage(database, data_dir), flush=True)
    if errors:
        print(f"{errors} requests failed: the target is zero.", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    """Run the benchmark; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batches", type=int, default=3, help="per client")
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument(
        "--server", choices=("serve", "gunicorn", "both"), default="both"
    )
    benchmark_databases.add_database_argument(parser)
    arguments = parser.parse_args()
    return benchmark_databases.run_on_each_database(
        arguments, lambda database: _run(database, arguments)
    )


if __name__ == "__main__":
    sys.exit(main())
