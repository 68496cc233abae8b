"""The databases a benchmark runs on: a fresh SQLite file, and a fresh PostgreSQL database.

Not a benchmark itself (``make bench`` runs ``bench_*.py`` only). A benchmark
script calls :func:`run_on_each_database` from its ``main``: without
``--database`` the script runs itself once per database in a child process
(Django is set up once per process, for one database), each child on a
database made for it and dropped afterwards. ``--database sqlite`` or
``--database postgresql`` runs one leg in this process.

PostgreSQL is the server of ``LEADQUAL_BENCH_POSTGRES_URL`` (default: the
local one the tests use). When it cannot be reached the PostgreSQL leg says so
and fails, so a number is never silently missing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATABASES = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        choices=DATABASES,
        help="run on this database only (default: each in turn, in child processes)",
    )


def _configure_environment(data_dir: Path, database_url: str | None) -> None:
    os.environ["LEADQUAL_DATA_DIR"] = str(data_dir)
    os.environ["LEADQUAL_SECRET_KEY"] = "benchmark-only-secret-key-not-for-production"
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
    os.environ.setdefault("LEADQUAL_LOG_LEVEL", "WARNING")
    os.environ.pop("LEADQUAL_SECRET_KEY_FILE", None)
    if database_url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = database_url


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this run; dropped at the end."""
    import psycopg

    server_url = os.environ.get("LEADQUAL_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"leadqual_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(server_url, autocommit=True)
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"PostgreSQL at {server_url} cannot be reached ({error}). Start it, or "
            "set LEADQUAL_BENCH_POSTGRES_URL, or run with --database sqlite."
        ) from None
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(server_url)
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(database: str) -> Iterator[Path]:
    """Set up Django on a new database of this kind; yields the data directory."""
    with tempfile.TemporaryDirectory(prefix="leadqual-bench-") as data_dir:
        if database == "sqlite":
            _configure_environment(Path(data_dir), None)
            _setup_django()
            yield Path(data_dir)
        else:
            with _postgres_database() as url:
                _configure_environment(Path(data_dir), url)
                _setup_django()
                try:
                    yield Path(data_dir)
                finally:
                    from django.db import connections

                    connections.close_all()


def _setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def run_on_each_database(
    arguments: argparse.Namespace, run: Callable[[str], int]
) -> int:
    """Run ``run(database)`` here for ``--database``, or once per database in a child.

    Returns the exit status: non-zero when any leg failed.
    """
    if arguments.database is not None:
        return run(arguments.database)
    status = 0
    for database in DATABASES:
        print(f"--- {database}", flush=True)
        child = subprocess.run(
            [sys.executable, *sys.argv, "--database", database], check=False
        )
        status = status or child.returncode
    return status
