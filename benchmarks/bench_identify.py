"""How long POST /t/identify takes for a known and for an unknown email.

Run with ``.venv/bin/python benchmarks/bench_identify.py``. It builds a fresh
SQLite database in a temporary directory (DATABASE_URL is ignored), creates a
tracked site and a lead whose visitor has 20 page views, and sends signed
identify calls through Django's test client, alternating a known and an
unknown email, each from a fresh visitor and address (so the rate limit never
answers). Stitching is queued for the worker (tasks are not immediate here),
as in production. Prints the median and 90th percentile per kind: they should
be the same, since the endpoint must not tell who is a lead by its timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ORIGIN = "https://www.bakker-software.nl"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36"
KNOWN = "jan@bakker-software.nl"


def _configure_environment(data_dir: Path) -> None:
    os.environ["LEADQUAL_DATA_DIR"] = str(data_dir)
    os.environ["LEADQUAL_SECRET_KEY"] = "benchmark-only-secret-key-not-for-production"
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
    os.environ["LEADQUAL_TASKS_IMMEDIATE"] = "false"
    os.environ.setdefault("LEADQUAL_LOG_LEVEL", "WARNING")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LEADQUAL_SECRET_KEY_FILE", None)


def _run(rounds: int) -> dict[str, list[float]]:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from leadqual.intake.models import TrackedSite, Visitor, VisitorEvent
    from leadqual.intake.pipeline import submit_lead
    from leadqual.intake.tracker import identify_token

    call_command("migrate", verbosity=0)
    now = timezone.now()
    site = TrackedSite.objects.create(name="Bakker Software", origin=ORIGIN)
    submit_lead(KNOWN, {"first_name": "Jan", "sector": "software"}, now=now)
    visitor = Visitor.objects.create(
        visitor_id="f" * 32,
        site=site,
        consented_at=now,
        first_seen_at=now,
        last_seen_at=now,
    )
    VisitorEvent.objects.bulk_create(
        VisitorEvent(
            visitor=visitor,
            type="page_view",
            occurred_at=now,
            properties={"url": f"{ORIGIN}/prijzen"},
            external_id=f"bench-{n}",
        )
        for n in range(20)
    )
    expires = int(time.time()) + 3600
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for number in range(rounds):
        for kind, email in (("known", KNOWN), ("unknown", f"nobody{number}@elders.nl")):
            visitor_id = f"{kind[0]}{number:031x}"
            token = identify_token(
                site.identify_secret,
                visitor_id=visitor_id,
                email=email,
                expires=expires,
            )
            body = json.dumps(
                {
                    "visitor_id": visitor_id,
                    "consent": True,
                    "email": email,
                    "token": token,
                }
            )
            client = Client(
                SERVER_NAME="localhost",
                HTTP_ORIGIN=ORIGIN,
                HTTP_USER_AGENT=BROWSER,
                REMOTE_ADDR=f"10.{number // 250}.{number % 250}.{1 if kind == 'known' else 2}",
            )
            started = time.perf_counter()
            response = client.post("/t/identify", body, content_type="text/plain")
            timings[kind].append((time.perf_counter() - started) * 1000)
            if response.status_code != 202:
                raise SystemExit(f"identify answered {response.status_code}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        _configure_environment(Path(data_dir))
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
        import django

        django.setup()
        timings = _run(arguments.rounds)
    print(f"POST /t/identify, {arguments.rounds} calls per kind (milliseconds):")
    for kind, values in timings.items():
        ordered = sorted(values)
        p90 = ordered[int(len(ordered) * 0.9)]
        print(
            f"  {kind:8} median {statistics.median(values):6.2f}  p90 {p90:6.2f}"
            f"  mean {statistics.fmean(values):6.2f}"
        )


if __name__ == "__main__":
    main()
