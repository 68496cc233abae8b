"""What leadqual writes is readable by its own user only: files 0600, folders 0700.

The database, its -wal and -shm, the job queue, backups and uploaded imports
hold personal data of leads. The `leadqual` processes here start with the
usual umask 022, under which they used to create everything 0644.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from leadqual.users.roles import Role
from tests.factories import make_user
from tests.subprocesses import LEADQUAL, subprocess_env

# Opens the database and the job queue, so their -wal and -shm exist, and
# lists the mode of everything in the data dir while they are open.
LIST_MODES = """
from pathlib import Path
from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY
connection.cursor().execute("SELECT count(*) FROM django_migrations")
HUEY.storage.enqueued_items()
for path in sorted([settings.DATA_DIR, *Path(settings.DATA_DIR).rglob("*")]):
    print(oct(path.stat().st_mode & 0o777), path.relative_to(settings.DATA_DIR))
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_leadqual(*args: str, data_dir: Path) -> str:
    result = subprocess.run(
        [LEADQUAL, *args],
        env=subprocess_env(data_dir),
        # The usual umask of a login shell or a systemd service.
        preexec_fn=lambda: os.umask(0o022),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_the_data_dir_database_and_job_queue_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run_leadqual("migrate", "--verbosity", "0", data_dir=data_dir)

    listing = run_leadqual("shell", "-c", LIST_MODES, data_dir=data_dir)

    modes = {
        name: octal
        for octal, _, name in (line.partition(" ") for line in listing.splitlines())
        if octal.startswith("0o")
    }
    for name in (
        "leadqual.sqlite3",
        "leadqual.sqlite3-wal",
        "leadqual.sqlite3-shm",
        "tasks.sqlite3",
        "tasks.sqlite3-wal",
        "tasks.sqlite3-shm",
    ):
        assert modes.pop(name) == "0o600", name
    assert modes.pop(".") == "0o700"
    assert modes == {"static": "0o700"}


def test_a_data_dir_an_older_leadqual_left_open_is_closed_at_startup(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    database = data_dir / "leadqual.sqlite3"
    run_leadqual("migrate", "--verbosity", "0", data_dir=data_dir)
    database.chmod(0o644)
    data_dir.chmod(0o755)

    run_leadqual("check", data_dir=data_dir)

    assert (mode(data_dir), mode(database)) == (0o700, 0o600)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with a migrated database, for the backup tests."""
    data_dir = tmp_path_factory.mktemp("modes") / "data"
    run_leadqual("migrate", "--verbosity", "0", data_dir=data_dir)
    return data_dir


def test_a_backup_and_its_folder_are_private(migrated: Path) -> None:
    written = Path(run_leadqual("backup", data_dir=migrated).strip())

    assert written.parent == migrated / "backups"
    assert (mode(written.parent), mode(written)) == (0o700, 0o600)


def test_a_backup_written_elsewhere_is_private(migrated: Path, tmp_path: Path) -> None:
    run_leadqual("backup", "--output", str(tmp_path / "b.tar"), data_dir=migrated)

    assert mode(tmp_path / "b.tar") == 0o600


@pytest.mark.django_db
def test_an_uploaded_import_file_is_private(tmp_path: Path) -> None:
    client = Client()
    client.force_login(make_user("marketing", role=Role.MARKETING))
    export = b"Email,First Name\njan@bakker-ict.nl,Jan\n"

    with override_settings(DATA_DIR=tmp_path):
        response = client.post(
            reverse("imports:upload"),
            {"file": SimpleUploadedFile("crm.csv", export), "source": "beurs"},
        )

    assert response.status_code == 200
    (stored,) = (tmp_path / "imports").iterdir()
    assert (mode(stored.parent), mode(stored)) == (0o700, 0o600)
