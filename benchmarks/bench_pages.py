"""How fast the pages people open every day answer, on the full demo data set.

Run with ``.venv/bin/python benchmarks/bench_pages.py``. It builds a fresh
SQLite database in a temporary directory (DATABASE_URL is ignored), loads the
default demo data (2,000 leads over six months, about 30,000 events) with
``leadqual demo-data``, starts a real waitress server on a free local port and
requests the sales queue, a lead page, the lead list and the KPI page as a
signed-in user, the way a browser would. Prints the median and the slowest
answer per page against the 300 ms target of issue #3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
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
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
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
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _serve_until_closed(server: TcpWSGIServer) -> None:
    # Closing the socket from the main thread ends the loop with "Bad file
    # descriptor": that is the way out, not an error.
    try:
        server.run()
    except OSError:
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="leadqual-bench-pages-") as directory:
        _configure_environment(Path(directory))
        import django

        django.setup()
        from django.core.management import call_command
        from waitress.server import TcpWSGIServer, create_server

        from leadqual.config.wsgi import application
        from leadqual.leads.models import Lead
        from leadqual.triage.models import Task

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        call_command("demo_data", leads=arguments.leads, seed=1, verbosity=0)
        print(
            f"Loaded {arguments.leads:,} demo leads in {time.perf_counter() - started:.1f} s"
        )

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
                ("sales queue", "/queue/", _session_cookie(seller)),
                ("lead page", f"/leads/{lead.pk}/", _session_cookie("admin")),
                ("lead list", "/leads/", _session_cookie("admin")),
                ("KPI page", "/kpis/", _session_cookie("marketing")),
            ]
            print(
                f"{'page':<12} {'median ms':>10} {'slowest ms':>11}  target {TARGET_MS:.0f} ms"
            )
            failed = False
            for name, path, cookie in pages:
                _time_page(base_url, path, cookie, 2)  # warm up caches and parsing
                timings = _time_page(base_url, path, cookie, arguments.repeats)
                median = statistics.median(timings)
                verdict = "ok" if median < TARGET_MS else "SLOWER THAN TARGET"
                failed = failed or median >= TARGET_MS
                print(f"{name:<12} {median:>10.1f} {max(timings):>11.1f}  {verdict}")
        finally:
            server.task_dispatcher.shutdown(timeout=5)  # let running requests finish
            server.close()
        if failed:
            sys.exit(1)


if __name__ == "__main__":
    main()
