"""How fast the daily pages answer on a database that already exists, in-process.

Run with ``LEADQUAL_DATA_DIR=<a copy> .venv/bin/python
benchmarks/pages_in_place.py``: it signs users in (which writes sessions) on
the SQLite database in LEADQUAL_DATA_DIR, so point it at a copy of a big
database (for example the one ``bench_pages.py --fill bulk`` builds), never at
one in use. Not a ``bench_*.py``: ``make bench`` does not run it, as it needs
that database. Each page is requested with Django's test client in this
process after 2 warm-up requests; it prints the median and slowest wall
time, the median CPU time of this process (the machine's other work does not
count there), the number of queries, the time in the database and the
slowest queries of the last request, and the load average.

The seller is the one with the most open tasks, unless ``--seller`` names one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

PAGES = (
    ("sales queue", "/queue/", "seller"),
    ("sales queue, p. 2", "/queue/?page=2", "seller"),
    ("admin queue", "/queue/", "admin"),
    ("admin queue, p. 2", "/queue/?page=2", "admin"),
    ("lead list", "/leads/", "admin"),
    ("lead list, sales", "/leads/", "seller"),
    ("lead list, hot", "/leads/?band=hot", "admin"),
    ("lead list, p. 40", "/leads/?page=40", "admin"),
    ("accounts", "/accounts/", "admin"),
    ("data quality", "/leads/data-quality/", "marketing"),
    ("lead page", "/leads/{hot_lead}/", "admin"),
    ("KPI page", "/kpis/", "marketing"),
    ("team page", "/kpis/team/", "admin"),
    ("scoring models", "/scoring-model/", "admin"),
    ("audit log", "/privacy/audit/", "admin"),
    ("admin: leads", "/admin/leads/lead/", "admin"),
    ("admin: events", "/admin/leads/event/", "admin"),
    ("admin: scores", "/admin/scoring/score/", "admin"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seller", default=None, help="the seller's user name")
    parser.add_argument(
        "--page", action="append", default=[], help="only this page (by name)"
    )
    arguments = parser.parse_args()
    if "LEADQUAL_DATA_DIR" not in os.environ:
        raise SystemExit(
            "Set LEADQUAL_DATA_DIR to the directory of a copy of the database to time."
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadqual.config.settings")
    os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()

    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from leadqual.leads.models import Lead
    from leadqual.triage.models import Task

    seller = arguments.seller or (
        Task.objects.filter(done_at__isnull=True, owner__isnull=False)
        .values("owner__username")
        .annotate(open_tasks=Count("id"))
        .order_by("-open_tasks")
        .values_list("owner__username", flat=True)
        .first()
    )
    users = {"seller": seller, "admin": "admin", "marketing": "marketing"}
    hot_lead = Lead.objects.exclude(band="").order_by("-score_total").first()
    if hot_lead is None:
        raise SystemExit("The database holds no scored lead.")
    print(f"seller: {seller}; load average: {os.getloadavg()}")
    print(f"{'page':<18} {'median ms':>9} {'slowest':>8} {'cpu ms':>7} {'queries':>7}")
    for name, path, who in PAGES:
        if arguments.page and name not in arguments.page:
            continue
        path = path.format(hot_lead=hot_lead.pk)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=users[who]))
        for _ in range(2):
            client.get(path)
        walls, cpus = [], []
        for _ in range(arguments.repeats):
            started, cpu_started = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu_started) * 1000)
        queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        in_db = sum(float(q["time"]) for q in queries) * 1000
        print(
            f"{name:<18} {statistics.median(walls):>9.0f} {max(walls):>8.0f} "
            f"{statistics.median(cpus):>7.0f} {len(queries):>7}  db {in_db:.0f} ms"
        )
        for query in queries[:2]:
            sql = " ".join(query["sql"].split())
            print(f"    {float(query['time']) * 1000:6.0f} ms  {sql[:150]}")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
