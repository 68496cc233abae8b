"""How fast the pages people open every day answer, from 2,000 to a million leads.

Run with ``.venv/bin/python benchmarks/bench_pages.py [--leads N]``. It
builds a fresh SQLite database in a temporary directory (DATABASE_URL is
ignored) and loads the demo data with ``leadqual demo-data`` (2,000 leads
over six months, about 30,000 events, through the intake pipeline). For more
leads than that it copies the demo set in bulk, with ``INSERT ... SELECT``
per table, until there are N leads: each copy gets its own emails, companies,
work domains and phone numbers, and keeps the demo set's bands, scores,
owners, tasks, events and gaps. Copies bypass the pipeline, so the duplicate
pairs and the KPI page's daily sums are then rebuilt with ``leadqual
rebuild-duplicates`` and ``leadqual rebuild-kpis``, timed too.
Copying runs at about 450 leads a second; for a million leads use
``--fill bulk``: the bulk demo generator (``leadqual demo-data --leads N
--events M``, ``--events`` here, default 10 per lead) writes all N leads
into the empty database and scores them once (owners, SLA tasks and alerts
for the warm and hot ones), without the replay's sales history (feedback,
deals); it rebuilds the duplicate pairs and the KPI sums itself.
It starts a real waitress server on a free local port and requests the
queues, a lead page, the lead lists, the KPI, accounts and data-quality
pages as signed-in users, the way a browser would. Prints the median and the
slowest answer per page against the 300 ms target of issues #3 and #15, and
the number of cores.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from waitress.server import TcpWSGIServer

TARGET_MS = 300.0


def _configure_environment(data_dir: Path) -> None:
    os.environ["LEADQUAL_DATA_DIR"] = str(data_dir)
    os.environ["LEADQUAL_SECRET_KEY"] = "benchmark-only-secret-key-not-for-production"
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
    os.environ.setdefault("LEADQUAL_LOG_LEVEL", "WARNING")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LEADQUAL_SECRET_KEY_FILE", None)


def _session_cookie(username: str) -> str:
    """A valid session cookie for the user, made the way a login makes it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend a login would name: a session naming any other is refused.
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _time_page(base_url: str, path: str, cookie: str, repeats: int) -> list[float]:
    timings = []
    for _ in range(repeats):
        request = urllib.request.Request(base_url + path, headers={"Cookie": cookie})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
            # A lost session would be redirected to the login page: fast and wrong.
            if urllib.parse.urlsplit(response.geturl()).path != path.split("?")[0]:
                raise SystemExit(f"{path} was redirected to {response.geturl()}")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


# The demo set is loaded through the pipeline at this size and copied beyond.
DEMO_LEADS = 2000
# Tables copied with their leads: everything a page of leads, accounts,
# queues and KPIs reads. Rows pointing at a copied table point at the copy.
COPIED_MODELS = (
    "leads.Company",
    "leads.Lead",
    "leads.Event",
    "scoring.Score",
    "scoring.BandChange",
    "triage.Task",
    "triage.Qualification",
    "triage.Feedback",
    "triage.Outcome",
    "triage.SalesAction",
    "triage.Note",
)


def _copy_expression(
    model: object, field: object, copy: int, strides: dict[str, int]
) -> str:
    """The SQL giving ``field`` of copy number ``copy`` of a row."""
    from django.db import models

    assert isinstance(field, models.Field)
    column = f'"{field.column}"'
    if field.primary_key:
        return f"{column} + {copy * strides[field.model._meta.label]}"
    if isinstance(field, models.ForeignKey):
        target = field.related_model._meta.label  # type: ignore[union-attr]
        if target in strides:
            return f"{column} + {copy * strides[target]}"
        return column
    label = f"{field.model._meta.label}.{field.name}"
    if label == "leads.Lead.email":
        # Unique, and a work domain of its own per copy, so copies are not
        # one another's duplicates; free-mail domains stay as they are.
        local = "substr(email, 1, instr(email, '@') - 1)"
        domain = "substr(email, instr(email, '@') + 1)"
        return (
            f"{local} || '+c{copy}@' || CASE WHEN is_free_mail({domain}) "
            f"THEN {domain} ELSE 'c{copy}-' || {domain} END"
        )
    if label in ("leads.Company.name", "leads.Company.normalised_name"):
        return f"{column} || ' {copy}'"
    if label == "leads.Company.domain":
        return f"CASE WHEN domain = '' THEN '' ELSE 'c{copy}-' || domain END"
    if label == "leads.Lead.phone":
        # Other last four digits, the same for one lead's copy.
        return (
            "CASE WHEN length(phone) < 6 THEN phone ELSE substr(phone, 1, "
            f"length(phone) - 4) || printf('%04d', (id * 7919 + {copy} * 104729) % 10000) END"
        )
    return column


def _fill_in_bulk(target_leads: int) -> None:
    """Copy the demo set until there are ``target_leads`` leads (see the docstring)."""
    from django.apps import apps
    from django.db import connection, transaction

    from leadqual.core.hygiene import is_free_mail

    connection.ensure_connection()
    raw = connection.connection
    raw.create_function(
        "is_free_mail", 1, lambda domain: int(is_free_mail(domain)), deterministic=True
    )
    models = [apps.get_model(label) for label in COPIED_MODELS]
    with connection.cursor() as cursor:
        strides = {}
        for model in models:
            cursor.execute(
                f'SELECT coalesce(max(id), 0) + 1 FROM "{model._meta.db_table}"'
            )
            strides[model._meta.label] = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM leads_lead")
        base = int(cursor.fetchone()[0])
    copies = math.ceil((target_leads - base) / base)
    started = time.perf_counter()
    for copy in range(1, copies + 1):
        wanted = min(base, target_leads - copy * base)
        with transaction.atomic(), connection.cursor() as cursor:
            for model in models:
                fields = model._meta.concrete_fields
                columns = ", ".join(f'"{field.column}"' for field in fields)
                values = ", ".join(
                    _copy_expression(model, field, copy, strides) for field in fields
                )
                table = model._meta.db_table
                limit = ""
                if model._meta.label == "leads.Lead" and wanted < base:
                    limit = f" ORDER BY id LIMIT {wanted}"
                where = f"id < {strides[model._meta.label]}"
                if model._meta.label != "leads.Lead" and wanted < base:
                    # Rows of leads that were not copied this time stay out.
                    lead_field = next((f for f in fields if f.name == "lead"), None)
                    if lead_field is not None:
                        where += (
                            f' AND "{lead_field.column}" + {copy * strides["leads.Lead"]}'
                            " IN (SELECT id FROM leads_lead)"
                        )
                cursor.execute(
                    f'INSERT INTO "{table}" ({columns}) SELECT {values} FROM "{table}" '
                    f"WHERE {where}{limit}"
                )
        if copy % 10 == 0 or copy == copies:
            done = min(target_leads, base * (copy + 1))
            print(
                f"  copied {done:,} of {target_leads:,} leads "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


def _time_duplicate_refresh() -> None:
    """What keeping the duplicate pairs costs an arriving batch of 1,000 leads."""
    from django.db import transaction
    from django.utils import timezone

    from leadqual.leads.duplicates import refresh_duplicate_candidates
    from leadqual.leads.models import Lead

    step = max(1, Lead.objects.count() // 1000)
    ids = list(Lead.objects.values_list("pk", flat=True).order_by("pk")[::step][:1000])
    timings = []
    for _ in range(5):
        with transaction.atomic():
            started = time.perf_counter()
            refresh_duplicate_candidates(ids, now=timezone.now())
            timings.append((time.perf_counter() - started) * 1000)
    print(
        f"Duplicate pairs of a 1,000-lead batch: median "
        f"{statistics.median(timings):.0f} ms, slowest {max(timings):.0f} ms"
    )


def _print_slowest_queries(path: str, username: str) -> None:
    """Render the page in this thread and print its slowest queries."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    total = sum(float(q["time"]) for q in queries) * 1000
    print(f"    {len(queries)} queries, {total:.0f} ms in the database; slowest:")
    for query in queries[:2]:
        sql = " ".join(query["sql"].split())
        print(f"    {float(query['time']) * 1000:7.0f} ms  {sql[:160]}")


def _serve_until_closed(server: TcpWSGIServer) -> None:
    # Closing the socket from the main thread ends the loop with "Bad file
    # descriptor": that is the way out, not an error.
    try:
        server.run()
    except OSError:
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=DEMO_LEADS)
    parser.add_argument(
        "--demo-leads",
        type=int,
        default=DEMO_LEADS,
        help="leads loaded through the pipeline before copying (default 2000)",
    )
    parser.add_argument(
        "--fill",
        choices=("copy", "bulk"),
        default="copy",
        help="beyond --demo-leads: copy the demo set (default), or load all "
        "--leads with the bulk demo generator (fast enough for a million)",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        help="with --fill bulk: events over all leads (default 10 per lead)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --fill bulk: processes inventing leads while one writes",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="PAGE",
        help='a page not to time, by its name in the table ("KPI page"); '
        "may be given more than once",
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--target-ms",
        type=float,
        default=TARGET_MS,
        help="the target; the slowest queries of pages above it are printed",
    )
    arguments = parser.parse_args()
    target = arguments.target_ms

    with tempfile.TemporaryDirectory(prefix="leadqual-bench-pages-") as directory:
        _configure_environment(Path(directory))
        import django

        django.setup()
        from django.core.management import call_command
        from waitress.server import TcpWSGIServer, create_server

        from leadqual.config.wsgi import application
        from leadqual.leads.models import DuplicateCandidate, Event, Lead
        from leadqual.triage.models import KpiDay, Task

        call_command("migrate", verbosity=0)
        print(f"{os.cpu_count()} cores; SQLite")
        started = time.perf_counter()
        if arguments.fill == "bulk":
            events = arguments.events or arguments.leads * 10
            call_command(
                "demo_data",
                leads=arguments.leads,
                events=events,
                seed=1,
                workers=arguments.workers,
                no_progress=True,
                stdout=io.StringIO(),
            )
            print(
                f"Loaded {Lead.objects.count():,} leads with "
                f"{Event.objects.count():,} events in bulk (leadqual demo-data "
                f"--leads {arguments.leads} --events {events}) in "
                f"{time.perf_counter() - started:.1f} s"
            )
            demo_leads = arguments.leads
        else:
            demo_leads = min(arguments.leads, arguments.demo_leads)
            call_command("demo_data", leads=demo_leads, seed=1, stdout=io.StringIO())
            print(
                f"Loaded {demo_leads:,} demo leads in "
                f"{time.perf_counter() - started:.1f} s"
            )
        if arguments.leads > demo_leads:
            started = time.perf_counter()
            _fill_in_bulk(arguments.leads)
            print(
                f"Copied up to {Lead.objects.count():,} leads and "
                f"{Event.objects.count():,} events in "
                f"{time.perf_counter() - started:.1f} s"
            )
            started = time.perf_counter()
            call_command("rebuild_duplicates", stdout=io.StringIO())
            print(
                f"leadqual rebuild-duplicates: {DuplicateCandidate.objects.count():,} "
                f"pairs in {time.perf_counter() - started:.1f} s"
            )
            started = time.perf_counter()
            call_command("rebuild_kpis", "--no-progress", stdout=io.StringIO())
            print(
                "leadqual rebuild-kpis: "
                f"{KpiDay.objects.count():,} daily rows in "
                f"{time.perf_counter() - started:.1f} s"
            )
        _time_duplicate_refresh()

        busiest_owner = (
            Task.objects.filter(done_at__isnull=True, owner__isnull=False)
            .values_list("owner__username", flat=True)
            .first()
        )
        seller = busiest_owner or "sanne"
        lead = Lead.objects.exclude(band="").order_by("-score_total").first()
        assert lead is not None, "the demo data set has no scored lead"

        server = create_server(application, host="127.0.0.1", port=0, threads=4)
        assert isinstance(server, TcpWSGIServer)  # one host and port: one socket
        port = int(server.getsockname()[1])  # port 0: the system chose a free one
        thread = threading.Thread(
            target=_serve_until_closed, args=(server,), daemon=True
        )
        thread.start()
        base_url = f"http://127.0.0.1:{port}"
        try:
            pages = [
                ("sales queue", "/queue/", seller),
                ("admin queue", "/queue/", "admin"),
                ("lead page", f"/leads/{lead.pk}/", "admin"),
                ("lead list", "/leads/", "admin"),
                ("lead list, sales", "/leads/", seller),
                ("lead list, hot", "/leads/?band=hot", "admin"),
                ("lead list, p. 40", "/leads/?page=40", "admin"),
                ("KPI page", "/kpis/", "marketing"),
                ("accounts", "/accounts/", "admin"),
                ("data quality", "/leads/data-quality/", "marketing"),
                # Pages opened less often, each with a table that grows.
                ("team page", "/kpis/team/", "admin"),
                ("scoring models", "/scoring-model/", "admin"),
                ("audit log", "/privacy/audit/", "admin"),
                ("admin: scores", "/admin/scoring/score/", "admin"),
                ("admin: events", "/admin/leads/event/", "admin"),
            ]
            unknown = set(arguments.skip) - {name for name, _p, _u in pages}
            if unknown:
                raise SystemExit(f"--skip: no page named {sorted(unknown)}")
            pages = [page for page in pages if page[0] not in arguments.skip]
            cookies = {name: _session_cookie(name) for _p, _u, name in pages}
            print(
                f"{'page':<17} {'median ms':>10} {'slowest ms':>11}  target {target:.0f} ms"
            )
            failed = False
            for name, path, username in pages:
                cookie = cookies[username]
                _time_page(base_url, path, cookie, 2)  # warm up caches and parsing
                timings = _time_page(base_url, path, cookie, arguments.repeats)
                median = statistics.median(timings)
                verdict = "ok" if median < target else "SLOWER THAN TARGET"
                failed = failed or median >= target
                print(f"{name:<17} {median:>10.1f} {max(timings):>11.1f}  {verdict}")
                if median >= target:
                    _print_slowest_queries(path, username)
        finally:
            server.task_dispatcher.shutdown(timeout=5)  # let running requests finish
            server.close()
        if failed:
            sys.exit(1)


if __name__ == "__main__":
    main()
