"""How fast leads are rescored in bulk: the column-wise kernel, and `leadqual rescore`.

Run with ``.venv/bin/python benchmarks/bench_rescore.py``. Two parts:

1. The kernel alone (``core.batch_scoring.score_columns``, no database) over
   ``--kernel-leads`` synthetic leads (default 1,000,000) under the default
   scoring model, with about seven aggregated event rows per lead, as the
   database hands them over; then writing every lead's explanation as JSON.
2. ``leadqual rescore`` as a separate process over ``--leads`` leads (default
   100,000) with ``--events-per-lead`` events each (default 10) in a fresh
   SQLite database, filled with bulk inserts first; and on a fresh PostgreSQL
   database (filled with COPY) when DATABASE_URL is set. Three runs: the
   first scores of every lead (every band is new, so every lead is
   triaged), the same again a minute later (nothing to store), and after a
   new model version with other thresholds (every score is stored again).

Prints wall time, leads per second, the peak memory of the rescore process
(``resource.getrusage``) and the number of cores. Everything is seeded.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import benchmark_databases
import numpy as np

from leadqual.core.batch_scoring import (
    EVENT_TYPES,
    Column,
    EventRows,
    LeadColumns,
    aggregation_plan,
    score_columns,
)
from leadqual.core.events import EventType, JsonValue
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import FieldValue
from leadqual.core.scoring import ScoringModel, fields_read

SEED = 20261206
HISTORY_DAYS = 120
SECTORS: list[FieldValue] = [
    "software",
    "ICT",
    "logistiek",
    "bouw",
    "retail",
    "zorg",
    None,
]
JOB_TITLES: list[FieldValue] = [
    "Directeur",
    "CEO",
    "Marketeer",
    "Student",
    "Inkoper",
    None,
]
URGENCIES: list[FieldValue] = ["immediate", "within_3_months", "exploring", None]
DOMAINS = ["bakker-ict.nl", "gmail.com", "hotmail.nl", "mailinator.com", "vos-bouw.nl"]
URLS = ["/", "/prijzen", "/pricing", "/producten/crm", "/blog/tips", "/contact"]
# Event types by share of a lead's events: mostly page views and email.
EVENT_MIX: list[tuple[EventType, float]] = [
    (EventType.PAGE_VIEW, 0.45),
    (EventType.EMAIL_OPEN, 0.2),
    (EventType.EMAIL_CLICK, 0.1),
    (EventType.FORM_SUBMIT, 0.05),
    (EventType.DOWNLOAD, 0.05),
    (EventType.WEBINAR, 0.03),
    (EventType.DEMO_REQUEST, 0.03),
    (EventType.EMAIL_REPLY, 0.03),
    (EventType.MEETING, 0.02),
    (EventType.INTENT_SIGNAL, 0.02),
    (EventType.UNSUBSCRIBE, 0.01),
    (EventType.BOUNCE, 0.01),
]


def default_model() -> ScoringModel:
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    return parse_scoring_model(source, version=1)


def cores() -> str:
    return f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()} cores"


def peak_mib(usage: resource.struct_rusage) -> float:
    return usage.ru_maxrss / 1024  # Linux reports kilobytes


# --- part 1: the kernel ------------------------------------------------------------


def _synthetic_columns(
    model: ScoringModel, leads: int, rng: np.random.Generator, now: datetime
) -> tuple[LeadColumns, EventRows]:
    values: dict[str, list[FieldValue]] = {
        "sector": SECTORS,
        "job_title": JOB_TITLES,
        "urgency": URGENCIES,
        "country": ["NL", "BE", "DE", None],
        "employees": [None, 1, 5, 12, 40, 120, 400],
        "budget_euros": [None, 1_000, 3_000, 8_000, 15_000, 50_000],
        "email_domain": list(DOMAINS),
        "email_is_free_mail": [False, True],
        "email_is_disposable": [False, True],
    }
    fields = {
        name: Column(
            tuple(values[name]),
            rng.integers(0, len(values[name]), leads).astype(np.int64),
        )
        for name in fields_read(model)
    }
    now_us = (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    day_us = 86_400_000_000
    lead_columns = LeadColumns(
        count=leads,
        fields=fields,
        arrived_us=now_us - rng.integers(0, HISTORY_DAYS * day_us, leads),
        now=now,
    )
    plan = aggregation_plan(model)
    per_lead = 7  # ten events fall in about seven (type, properties) groups
    rows = leads * per_lead
    kinds = [kind for kind, _share in EVENT_MIX]
    shares = np.array([share for _kind, share in EVENT_MIX])
    type_code = np.array([EVENT_TYPES.index(kind) for kind in kinds])[
        rng.choice(len(kinds), rows, p=shares / shares.sum())
    ]
    counts = {}
    ages = rng.integers(0, HISTORY_DAYS * day_us, rows)
    for days in plan.windows:
        limit = plan.max_age_us[days]
        inside = np.ones(rows, dtype=np.bool_) if limit is None else ages <= limit
        counts[days] = np.where(inside, rng.integers(1, 4, rows), 0).astype(np.int64)
    properties: dict[str, Column[JsonValue]] = {}
    property_values: dict[str, list[JsonValue]] = {
        "url": list(URLS),
        "consent": ["true", "false"],
        "urgency": ["immediate", "exploring"],
        "kind": ["hard", "soft"],
    }
    for name in plan.property_names:
        options = property_values.get(name, ["x"])
        properties[name] = Column(
            tuple(options), rng.integers(-1, len(options), rows).astype(np.int64)
        )
    lead_index = np.repeat(np.arange(leads, dtype=np.int64), per_lead)
    # As the aggregate query orders them: by type, then lead.
    order = np.lexsort((lead_index, type_code))
    return lead_columns, EventRows(
        lead_index=lead_index[order],
        type_code=type_code[order].astype(np.int64),
        latest_us=(now_us - ages)[order].astype(np.int64),
        counts={days: values[order] for days, values in counts.items()},
        properties={
            name: Column(column.values, column.codes[order])
            for name, column in properties.items()
        },
    )


def bench_kernel(leads: int) -> None:
    model = default_model()
    rng = np.random.default_rng(SEED)
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    columns, rows = _synthetic_columns(model, leads, rng, now)
    print(
        f"kernel: {leads:,} leads x {len(model.rules)} rules, {rows.size:,} event "
        f"rows; {cores()}",
        flush=True,
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    scores = score_columns(model, columns, rows)
    scored = time.perf_counter() - started
    scored_cpu = time.process_time() - cpu_started
    started, cpu_started = time.perf_counter(), time.process_time()
    texts = scores.explanation_texts()
    explained = time.perf_counter() - started
    explained_cpu = time.process_time() - cpu_started
    hot = int((scores.totals >= model.thresholds.hot).sum())
    print(
        f"kernel: scores, bands and rule hits {scored:.2f} s ({scored_cpu:.2f} "
        f"CPU-s), {leads / scored:,.0f} leads/s; {hot:,} hot"
    )
    print(
        f"kernel: every explanation as JSON {explained:.2f} s ({explained_cpu:.2f} "
        f"CPU-s) for {len(texts):,} leads; peak memory "
        f"{peak_mib(resource.getrusage(resource.RUSAGE_SELF)):,.0f} MiB",
        flush=True,
    )


# --- part 2: leadqual rescore on a database ----------------------------------------


def _lead_rows(
    leads: int, rng: np.random.Generator, now: datetime
) -> Iterator[list[Any]]:
    """Every column of leads_lead per lead: Django's defaults plus our values."""
    from django.db import connection

    from leadqual.leads.models import Lead

    template = Lead()
    fields = [field for field in Lead._meta.concrete_fields if not field.primary_key]
    defaults = [
        field.get_db_prep_save(getattr(template, field.attname), connection)
        for field in fields
    ]
    position = {field.attname: index for index, field in enumerate(fields)}
    sectors = rng.integers(0, len(SECTORS), leads)
    titles = rng.integers(0, len(JOB_TITLES), leads)
    urgencies = rng.integers(0, len(URGENCIES), leads)
    domains = rng.integers(0, len(DOMAINS), leads)
    employees = rng.integers(1, 400, leads)
    budgets = rng.integers(0, 60, leads) * 1_000
    arrived = rng.integers(0, HISTORY_DAYS * 86_400, leads)
    for index in range(leads):
        row = list(defaults)
        row[position["email"]] = f"lead{index}@{DOMAINS[domains[index]]}"
        row[position["sector"]] = SECTORS[sectors[index]] or ""
        row[position["job_title"]] = JOB_TITLES[titles[index]] or ""
        row[position["urgency"]] = URGENCIES[urgencies[index]] or ""
        row[position["employees"]] = int(employees[index])
        row[position["budget_euros"]] = int(budgets[index])
        row[position["country"]] = "NL"
        row[position["created_at"]] = connection.ops.adapt_datetimefield_value(
            now
            - timedelta(seconds=int(arrived[index]), microseconds=index % 999_999 + 1)
        )
        yield row


def _columns(model: Any) -> list[str]:
    return [
        field.column for field in model._meta.concrete_fields if not field.primary_key
    ]


def _event_batches(
    lead_ids: Sequence[int], per_lead: int, rng: np.random.Generator, now: datetime
) -> Iterator[list[tuple[Any, ...]]]:
    """Events in batches of about 100,000: (lead, type, occurred, received,
    properties, source, sender, external id)."""
    from django.db import connection

    kinds = [kind for kind, _share in EVENT_MIX]
    shares = np.array([share for _kind, share in EVENT_MIX])
    property_text = {
        EventType.FORM_SUBMIT: [
            json.dumps({"form": "contact", "consent": "true", "urgency": "immediate"}),
            json.dumps({"form": "contact", "consent": "false"}),
        ],
        EventType.BOUNCE: [json.dumps({"kind": "hard"}), json.dumps({"kind": "soft"})],
        EventType.PAGE_VIEW: [json.dumps({"url": url}) for url in URLS],
    }
    empty = json.dumps({})
    now_us = (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    per_batch = max(1, 100_000 // max(per_lead, 1))
    is_postgres = connection.vendor == "postgresql"
    for start in range(0, len(lead_ids), per_batch):
        batch_leads = np.repeat(np.array(lead_ids[start : start + per_batch]), per_lead)
        size = batch_leads.shape[0]
        types = rng.choice(len(kinds), size, p=shares / shares.sum())
        # Whole microseconds, never on a whole second: either way works, this
        # way every stored text has the same shape.
        ages = rng.integers(0, HISTORY_DAYS * 86_400, size) * 1_000_000 + rng.integers(
            1, 999_999, size
        )
        moments = (now_us - ages).astype("datetime64[us]")
        if is_postgres:
            texts = [f"{text}+00" for text in np.datetime_as_string(moments, unit="us")]
        else:
            texts = np.char.replace(
                np.datetime_as_string(moments, unit="us"), "T", " "
            ).tolist()
        picks = rng.integers(0, 6, size)
        rows = []
        for lead_id, type_index, moment, pick in zip(
            batch_leads.tolist(), types.tolist(), texts, picks.tolist(), strict=True
        ):
            kind = kinds[type_index]
            options = property_text.get(kind)
            properties = options[pick % len(options)] if options else empty
            rows.append((lead_id, kind.value, moment, moment, properties, "", "", None))
        yield rows


def _fill(leads: int, per_lead: int) -> float:
    """Fill the fresh database; returns the seconds it took."""
    from django.db import connection, transaction

    from leadqual.leads.models import Event, Lead

    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    now = datetime.now(UTC)
    lead_columns = _columns(Lead)
    event_columns = [
        "lead_id",
        "type",
        "occurred_at",
        "received_at",
        "properties",
        "source",
        "sender",
        "external_id",
    ]
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            columns = ", ".join(quote(column) for column in lead_columns)
            with raw.copy(
                f"COPY {quote(Lead._meta.db_table)} ({columns}) FROM STDIN"
            ) as copy:
                for row in _lead_rows(leads, rng, now):
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(lead_columns))
            lead_rows = _lead_rows(leads, rng, now)
            while chunk := list(itertools.islice(lead_rows, 100_000)):
                cursor.executemany(
                    f"INSERT INTO {quote(Lead._meta.db_table)} "
                    f"({', '.join(quote(c) for c in lead_columns)}) "
                    f"VALUES ({placeholders})",
                    chunk,
                )
        lead_ids = list(Lead.objects.order_by("id").values_list("id", flat=True))
        table = quote(Event._meta.db_table)
        columns = ", ".join(quote(column) for column in event_columns)
        for event_rows in _event_batches(lead_ids, per_lead, rng, now):
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for event_row in event_rows:
                        copy.write_row(event_row)
            else:
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES "
                    f"({', '.join(['%s'] * len(event_columns))})",
                    event_rows,
                )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _rescore_process() -> tuple[float, float, float, str]:
    """Run `leadqual rescore` as its own process: (seconds, CPU-seconds of that
    process, peak MiB of any rescore process so far, its output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from leadqual.cli import main; main(['leadqual', *sys.argv[1:]])",
            "rescore",
            "--no-progress",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        # The rescore's own message says what went wrong: show it.
        raise SystemExit(
            f"leadqual rescore failed (exit status {child.returncode}):\n"
            f"{child.stderr.strip() or child.stdout.strip()}"
        )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # Linux keeps the largest peak of all waited-for children: the rescore
    # processes are this process's only children.
    return elapsed, cpu, peak_mib(after), child.stdout.strip()


def bench_database(
    database: str, leads: int, per_lead: int, runs_wanted: int = 3
) -> int:
    with benchmark_databases.fresh_database(database):
        from leadqual.scoring.services import (
            default_model_source,
            load_scoring_model,
        )

        filled = _fill(leads, per_lead)
        print(
            f"{database}: filled {leads:,} leads and {leads * per_lead:,} events in "
            f"{filled:.1f} s; {cores()}",
            flush=True,
        )
        runs: list[tuple[str, str | None]] = [
            ("first scores, every lead triaged", None),
            ("again, nothing changed", None),
        ]
        new_model = (
            default_model_source()
            .replace("warm = 40", "warm = 35")
            .replace("hot = 70", "hot = 65")
        )
        runs.append(("after a new model version", new_model))
        for label, source in runs[:runs_wanted]:
            if source is not None:
                load_scoring_model(source, activate=True, now=datetime.now(UTC))
            elapsed, cpu, peak, output = _rescore_process()
            print(
                f"{database}: rescore ({label}): {elapsed:.1f} s "
                f"({cpu:.1f} CPU-s of leadqual), {leads / elapsed:,.0f} leads/s, "
                f"peak memory {peak:,.0f} MiB; {output}",
                flush=True,
            )
    return 0


def main() -> int:
    """Run the benchmark; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--kernel-leads", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--skip-kernel", action="store_true")
    parser.add_argument("--skip-database", action="store_true")
    parser.add_argument(
        "--runs",
        type=int,
        choices=(1, 2, 3),
        default=3,
        help="how many of the three rescore runs (first scores, nothing changed, "
        "new model version) to time; fewer for a quick look at a large size",
    )
    benchmark_databases.add_database_argument(parser)
    arguments = parser.parse_args()
    if arguments.database is not None:
        return bench_database(
            arguments.database,
            arguments.leads,
            arguments.events_per_lead,
            arguments.runs,
        )
    if not arguments.skip_kernel:
        bench_kernel(arguments.kernel_leads)
    if arguments.skip_database:
        return 0
    databases = ["sqlite"]
    if os.environ.get("DATABASE_URL"):
        databases.append("postgresql")
    status = 0
    for database in databases:
        environment = dict(os.environ)
        if database == "postgresql":
            # A fresh database on the server DATABASE_URL names.
            environment["LEADQUAL_BENCH_POSTGRES_URL"] = os.environ["DATABASE_URL"]
        child = subprocess.run(
            [
                sys.executable,
                sys.argv[0],
                "--database",
                database,
                "--leads",
                str(arguments.leads),
                "--events-per-lead",
                str(arguments.events_per_lead),
                "--runs",
                str(arguments.runs),
            ],
            check=False,
            env=environment,
        )
        status = status or child.returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
