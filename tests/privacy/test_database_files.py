"""After an erasure the SQLite files hold no old copy of the person's rows."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from django.db import connection

from tests.subprocesses import LEADQUAL, subprocess_env

EMAIL = "wilhelmina.zwanenburg@kaaspakhuis.nl"
ARRIVAL = (
    "from django.utils import timezone\n"
    "from leadqual.intake.pipeline import submit_lead\n"
    f"submit_lead({EMAIL!r}, {{'first_name': 'Wilhelmina', "
    "'last_name': 'Zwanenburg', 'company': 'Kaaspakhuis B.V.'}, now=timezone.now())\n"
)


@pytest.mark.django_db
def test_leadqual_opens_sqlite_with_secure_delete() -> None:
    """Deleted rows are zeroed in their pages, also where SQLite's default is off."""
    if connection.vendor != "sqlite":
        pytest.skip("secure_delete is a SQLite setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        (secure_delete,) = cursor.fetchone()
    assert secure_delete == 1


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A migrated SQLite data dir, held open by another connection (as a server).

    While any connection is open, SQLite keeps the write-ahead log file.
    """
    env = subprocess_env(tmp_path)
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120
    )
    with closing(sqlite3.connect(tmp_path / "leadqual.sqlite3")) as held:
        held.execute("SELECT count(*) FROM leads_lead").fetchone()
        yield tmp_path, env


def test_an_erasure_empties_the_write_ahead_log(
    reader: tuple[Path, dict[str, str]],
) -> None:
    data_dir, env = reader

    def leadqual(*args: str) -> None:
        done = subprocess.run(
            [LEADQUAL, *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr

    leadqual("shell", "--command", ARRIVAL)
    wal = data_dir / "leadqual.sqlite3-wal"
    assert EMAIL.encode() in wal.read_bytes()

    leadqual("privacy", "erase", EMAIL, "--yes")

    for path in data_dir.glob("leadqual.sqlite3*"):
        assert EMAIL.encode() not in path.read_bytes(), path.name
    assert wal.stat().st_size == 0
