"""How long the KPI page takes in-process, on a copy of a big database.

Run with ``.venv/bin/python benchmarks/bench_kpi_page.py --data-dir <copy>``
(the directory of the copy's ``leadqual.sqlite3``; DATABASE_URL is ignored).
Without ``--data-dir`` (``make bench``) it builds a small database in a
temporary directory with ``leadqual demo-data --leads 500``. It renders
``/kpis/`` (or ``--path``) with Django's test client as a marketing or
admin user, ``--warm-ups`` times untimed and ``--repeats`` times timed, and
prints the median and slowest wall time, the CPU time of this process, the
queries of the last request with their time in the database, the load
average and the number of cores. Run it on a copy, never on a database
people use: the session it signs in with is written.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--path", default="/kpis/")
    parser.add_argument("--warm-ups", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = arguments.data_dir or Path(scratch)
        os.environ["LEADQUAL_DATA_DIR"] = str(data_dir)
        os.environ.setdefault(
            "LEADQUAL_SECRET_KEY", "benchmark-only-secret-key-not-for-production"
        )
        os.environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
        os.environ.setdefault("LEADQUAL_LOG_LEVEL", "WARNING")
        os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        if arguments.data_dir is None:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            call_command("demo_data", "--leads", "500", stdout=io.StringIO())
        _time_page(arguments)


def _time_page(arguments: argparse.Namespace) -> None:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from leadqual.users.roles import Role

    user = (
        User.objects.filter(groups__name__in=[Role.ADMIN.value, Role.MARKETING.value])
        .order_by("pk")
        .first()
    )
    if user is None:
        raise SystemExit("No admin or marketing user in this database.")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    for _ in range(arguments.warm_ups):
        client.get(arguments.path)
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(arguments.repeats):
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(arguments.path)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{arguments.path} answered {response.status_code}.")
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    in_database = sum(float(q["time"]) for q in queries) * 1000
    print(
        f"{arguments.path}: median {statistics.median(walls):.0f} ms, slowest "
        f"{max(walls):.0f} ms, CPU median {statistics.median(cpus):.0f} ms "
        f"({arguments.repeats} runs after {arguments.warm_ups} warm-ups); "
        f"{len(queries)} queries, {in_database:.0f} ms in the database; "
        f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores"
    )
    for query in queries[:5]:
        sql = " ".join(query["sql"].split())
        print(f"  {float(query['time']) * 1000:7.0f} ms  {sql[:200]}")


if __name__ == "__main__":
    main()
