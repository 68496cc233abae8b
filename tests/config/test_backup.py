"""`leadqual backup` and `leadqual restore`: back up, change data, restore, compare.

Runs the real console script on its own database: a fresh SQLite data dir
always, and a scratch PostgreSQL database when DATABASE_URL points at
PostgreSQL (created here as leadqual_backup_test_<pid>, dropped at the end;
never the test database in use).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
import pytest

from tests.subprocesses import LEADQUAL, subprocess_env

# The secret key of every `leadqual` subprocess (tests/subprocesses.py).
SUBPROCESS_KEY = b"tests-only-secret-key-for-a-subprocess"

DEMO_LEADS = "12"
ROWS_COMPARED = 3
# Tables whose rows Django rewrites on every start or command; not user data.
IGNORED_TABLES = {"django_session"}

Snapshot = dict[str, tuple[int, list[tuple[Any, ...]]]]
Rows = list[tuple[Any, ...]]


@dataclass
class Site:
    """A leadqual installation run through its console script."""

    env: dict[str, str]
    tmp: Path
    snapshot: Callable[[], Snapshot]
    execute: Callable[[str], None]
    query: Callable[[str], Rows]

    def leadqual(
        self, *args: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LEADQUAL), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


def _prepare(site: Site) -> None:
    for command in (
        ["migrate", "--verbosity", "0"],
        ["demo-data", "--leads", DEMO_LEADS],
    ):
        done = site.leadqual(*command)
        assert done.returncode == 0, done.stderr


def _sqlite_snapshot(path: Path) -> Snapshot:
    with closing(sqlite3.connect(path)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            table: (
                connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0],
                connection.execute(
                    f'SELECT * FROM "{table}" ORDER BY 1 LIMIT {ROWS_COMPARED}'
                ).fetchall(),
            )
            for table in tables
            if table not in IGNORED_TABLES
        }


def _sqlite_execute(path: Path, statement: str) -> None:
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(statement)


def _sqlite_query(path: Path, statement: str) -> Rows:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(statement).fetchall()


def _pg_snapshot(url: str) -> Snapshot:
    with psycopg.connect(url) as connection:
        tables = [
            str(name)
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "ORDER BY tablename"
            )
        ]
        snapshot: Snapshot = {}
        for table in tables:
            if table in IGNORED_TABLES:
                continue
            count_row = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            assert count_row is not None
            rows = connection.execute(
                f'SELECT * FROM "{table}" ORDER BY 1 LIMIT {ROWS_COMPARED}'
            ).fetchall()
            snapshot[table] = (int(count_row[0]), [tuple(row) for row in rows])
        return snapshot


def _pg_execute(url: str, statement: str) -> None:
    with psycopg.connect(url) as connection:
        connection.execute(statement)


def _pg_query(url: str, statement: str) -> Rows:
    with psycopg.connect(url) as connection:
        return [tuple(row) for row in connection.execute(statement).fetchall()]


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A migrated SQLite installation with a little demo data."""
    data_dir = tmp_path_factory.mktemp("backup-sqlite")
    path = data_dir / "leadqual.sqlite3"
    site = Site(
        env=subprocess_env(data_dir),
        tmp=data_dir,
        snapshot=lambda: _sqlite_snapshot(path),
        execute=lambda statement: _sqlite_execute(path, statement),
        query=lambda statement: _sqlite_query(path, statement),
    )
    _prepare(site)
    return site


def _server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture(scope="module")
def postgres_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated scratch PostgreSQL database with a little demo data."""
    server_url = _server_url()
    if server_url is None:
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    name = f"leadqual_backup_test_{os.getpid()}"
    config = dj_database_url.parse(server_url)
    assert config["NAME"] != name
    scratch_url = server_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        data_dir = tmp_path_factory.mktemp("backup-postgres")
        env = subprocess_env(data_dir)
        env["DATABASE_URL"] = scratch_url
        site = Site(
            env=env,
            tmp=data_dir,
            snapshot=lambda: _pg_snapshot(scratch_url),
            execute=lambda statement: _pg_execute(scratch_url, statement),
            query=lambda statement: _pg_query(scratch_url, statement),
        )
        _prepare(site)
        yield site
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _change_data(site: Site) -> None:
    site.execute("UPDATE leads_lead SET first_name = 'Changed after the backup'")
    # Only visitor events point at events; the demo data stitches none.
    site.execute(
        "DELETE FROM leads_event WHERE id IN (SELECT id FROM leads_event WHERE id NOT IN "
        "(SELECT stitched_event_id FROM intake_visitorevent "
        "WHERE stitched_event_id IS NOT NULL))"
    )
    site.execute(
        "INSERT INTO django_migrations (app, name, applied) "
        "VALUES ('later', '0001_after_the_backup', CURRENT_TIMESTAMP)"
    )


def _backup_change_restore_compare(site: Site) -> None:
    backup = site.tmp / "before.tar"
    before = site.snapshot()
    assert before["leads_lead"][0] == int(DEMO_LEADS)

    made = site.leadqual("backup", "--output", str(backup))
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == str(backup)
    _change_data(site)
    assert site.snapshot() != before
    restored = site.leadqual("restore", str(backup), "--yes")

    assert restored.returncode == 0, restored.stderr
    assert "Restored the backup of " in restored.stderr
    assert site.snapshot() == before


def test_a_sqlite_backup_restores_the_state_at_backup_time(sqlite_site: Site) -> None:
    _backup_change_restore_compare(sqlite_site)


@pytest.mark.postgres
def test_a_postgres_backup_restores_the_state_at_backup_time(
    postgres_site: Site,
) -> None:
    _backup_change_restore_compare(postgres_site)


def test_a_backup_carries_its_metadata(sqlite_site: Site) -> None:
    backup = sqlite_site.tmp / "metadata.tar"

    sqlite_site.leadqual("backup", "--output", str(backup))

    with tarfile.open(backup) as archive:
        assert archive.getnames() == ["metadata.json", "database.sqlite3"]
        member = archive.extractfile("metadata.json")
        assert member is not None
        meta = json.load(member)
    assert meta["format"] == 1
    assert meta["database"] == "sqlite"
    assert meta["leadqual_version"] == "0.1.0"
    assert meta["created_at"].endswith("+00:00")
    assert len(meta["sha256"]) == 64


def _fake_backup(path: Path, metadata: dict[str, Any]) -> None:
    with tarfile.open(path, "w") as archive:
        text = json.dumps(metadata).encode()
        member = tarfile.TarInfo("metadata.json")
        member.size = len(text)
        archive.addfile(member, io.BytesIO(text))


def test_restore_refuses_a_backup_of_the_other_database_kind(
    sqlite_site: Site,
) -> None:
    backup = sqlite_site.tmp / "postgres.tar"
    _fake_backup(
        backup,
        {
            "format": 1,
            "leadqual_version": "0.1.0",
            "database": "postgresql",
            "created_at": "2026-11-27T10:00:00+00:00",
            "sha256": "0" * 64,
        },
    )
    before = sqlite_site.snapshot()

    refused = sqlite_site.leadqual("restore", str(backup), "--yes")

    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f'CommandError: "{backup}" is a backup of a PostgreSQL database, but leadqual '
        "is configured for SQLite. Restore it with DATABASE_URL pointing at "
        "PostgreSQL, or use a SQLite backup."
    )
    assert sqlite_site.snapshot() == before


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_site: Site) -> None:
    not_a_backup = sqlite_site.tmp / "notes.txt"
    not_a_backup.write_text("not a backup")

    refused = sqlite_site.leadqual("restore", str(not_a_backup), "--yes")

    assert refused.returncode == 1
    assert "is not a leadqual backup" in refused.stderr
    assert "Use a file made by `leadqual backup`." in refused.stderr


def test_restore_refuses_a_damaged_database(sqlite_site: Site) -> None:
    backup = sqlite_site.tmp / "damaged.tar"
    sqlite_site.leadqual("backup", "--output", str(backup))
    with tarfile.open(backup) as archive:
        member = archive.extractfile("metadata.json")
        assert member is not None
        metadata = json.load(member)
    damaged = sqlite_site.tmp / "damaged-copy.tar"
    with tarfile.open(damaged, "w") as archive:
        text = json.dumps(metadata).encode()
        info = tarfile.TarInfo("metadata.json")
        info.size = len(text)
        archive.addfile(info, io.BytesIO(text))
        garbage = b"SQLite format 3\x00" + b"\x01" * 4000
        data = tarfile.TarInfo("database.sqlite3")
        data.size = len(garbage)
        archive.addfile(data, io.BytesIO(garbage))
    before = sqlite_site.snapshot()

    refused = sqlite_site.leadqual("restore", str(damaged), "--yes")

    assert refused.returncode == 1
    assert "is damaged" in refused.stderr
    assert sqlite_site.snapshot() == before


def test_restore_asks_first_and_stops_on_no(sqlite_site: Site) -> None:
    backup = sqlite_site.tmp / "asked.tar"
    sqlite_site.leadqual("backup", "--output", str(backup))
    sqlite_site.execute("UPDATE leads_lead SET last_name = 'Kept'")
    before = sqlite_site.snapshot()

    answered = sqlite_site.leadqual("restore", str(backup), stdin="no\n")

    assert answered.returncode == 1
    assert "Stop `leadqual serve` and `leadqual worker` first" in answered.stdout
    assert "Nothing was restored" in answered.stderr
    assert sqlite_site.snapshot() == before


def _restore_reapplies_an_erasure_made_after_the_backup(site: Site) -> None:
    [(lead_id, email)] = site.query(
        "SELECT id, email FROM leads_lead WHERE email NOT LIKE '%@invalid' "
        "ORDER BY id LIMIT 1"
    )
    backup = site.tmp / f"before-erasing-{lead_id}.tar"
    assert site.leadqual("backup", "--output", str(backup)).returncode == 0
    erased = site.leadqual("privacy", "erase", email, "--yes")
    assert erased.returncode == 0, erased.stderr

    restored = site.leadqual("restore", str(backup), "--yes")

    assert restored.returncode == 0, restored.stderr
    assert f"erased again: lead {lead_id}" in restored.stderr
    assert site.query(
        f"SELECT email, first_name, last_name FROM leads_lead WHERE id = {lead_id}"
    ) == [(f"erased-{lead_id}@invalid", "", "")]
    digest = hmac.new(SUBPROCESS_KEY, email.encode(), hashlib.sha256).hexdigest()
    assert site.query(
        f"SELECT count(*) FROM privacy_suppression WHERE email_hash = '{digest}'"
    ) == [(1,)]
    again = site.leadqual("privacy", "export", email)
    assert again.returncode == 1 and "No lead has the email" in again.stderr


def test_a_sqlite_restore_erases_again_a_person_erased_after_the_backup(
    sqlite_site: Site,
) -> None:
    _restore_reapplies_an_erasure_made_after_the_backup(sqlite_site)


@pytest.mark.postgres
def test_a_postgres_restore_erases_again_a_person_erased_after_the_backup(
    postgres_site: Site,
) -> None:
    _restore_reapplies_an_erasure_made_after_the_backup(postgres_site)
