"""Uploaded imports run in the worker, resume after a crash, and leave no file.

The test settings run Huey in immediate mode (as every task test here
does): queueing ``run_import_job`` runs it at once, in the worker's code
path. The crash test kills a real process running the job with SIGKILL.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import stat
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_INTERRUPTED
from pytest_django.fixtures import Settings

from leadqual.intake.imports import import_leads_file
from leadqual.intake.jobs import run_import_job
from leadqual.intake.models import ImportJob
from leadqual.intake.uploads import purge_upload_files
from leadqual.leads.models import Lead
from leadqual.privacy.suppression import SUPPRESSED_MESSAGE, suppress
from leadqual.users.roles import Role
from tests.factories import make_user
from tests.subprocesses import LEADQUAL, subprocess_env

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EXPORT = (
    b"Email,First Name,Company Name\n"
    b"jan@bakker-ict.nl,Jan,Bakker ICT\n"
    b"anna@devries.nl,Anna,De Vries\n"
)


@pytest.fixture(autouse=True)
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    settings.DATA_DIR = folder
    return folder


def uploads(data_dir: Path) -> list[Path]:
    folder = data_dir / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def signed_in() -> Client:
    client = Client()
    client.force_login(make_user("marketing", role=Role.MARKETING))
    return client


def upload(client: Client, data: bytes = EXPORT, name: str = "crm.csv") -> str:
    """The first step: store the file, show the mapping; the stored name."""
    response = client.post(
        reverse("imports:upload"), {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 200
    stored = re.search(r'name="stored" value="([^"]+)"', response.content.decode())
    assert stored is not None
    return stored.group(1)


def confirm(client: Client, stored: str) -> ImportJob:
    response = client.post(
        reverse("imports:upload"), {"stored": stored, "original": "crm.csv"}
    )
    assert response.status_code == 302
    return ImportJob.objects.get()


def test_an_upload_is_imported_by_the_worker_and_its_file_deleted(
    data_dir: Path,
) -> None:
    client = signed_in()
    stored = upload(client)
    assert [path.name for path in uploads(data_dir)] == [stored]

    job = confirm(client, stored)

    assert (job.status, job.created, job.rows_done) == ("done", 2, 2)
    assert Lead.objects.count() == 2
    assert uploads(data_dir) == []


def test_an_uploaded_file_is_readable_by_its_owner_only(data_dir: Path) -> None:
    stored = upload(signed_in())

    mode = stat.S_IMODE((data_dir / "imports" / stored).stat().st_mode)

    assert mode == 0o600


def test_a_refused_upload_is_not_kept(data_dir: Path) -> None:
    response = signed_in().post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile("crm.csv", b"Naam,Bedrijf\nJan,Bakker\n")},
    )

    assert response.status_code == 422
    assert "has no email column" in response.content.decode()
    assert uploads(data_dir) == []


def test_a_job_whose_file_is_gone_fails_saying_so_on_its_page(data_dir: Path) -> None:
    client = signed_in()
    stored = upload(client)
    (data_dir / "imports" / stored).unlink()
    job = ImportJob.objects.create(
        file_name="crm.csv", file_sha256=stored.split(".")[0], total_rows=2
    )

    run_import_job(job.pk)

    job.refresh_from_db()
    assert job.status == "failed" and "file is gone" in job.error
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "The uploaded file is gone" in page


def test_a_done_job_is_not_imported_again(data_dir: Path) -> None:
    client = signed_in()
    job = confirm(client, upload(client))
    Lead.objects.all().delete()
    upload(client)  # the same file, stored again

    run_import_job(job.pk)

    assert not Lead.objects.exists()


def test_a_job_interrupted_by_an_error_resumes_without_duplicates(
    data_dir: Path,
) -> None:
    """A batch that fails rolls back; the task's retry goes on after the last
    committed batch, and counts every row once."""
    rows = 1_200
    lines = ["Email,Company"] + [
        f"lead{n}@bedrijf{n}.nl,Bedrijf {n}" for n in range(rows)
    ]
    data = ("\n".join(lines) + "\n").encode()
    client = signed_in()
    path = data_dir / "imports" / upload(client, data)
    job = ImportJob.objects.create(
        file_name="crm.csv",
        file_sha256=hashlib.sha256(data).hexdigest(),
        mapping={"overrides": {}},
    )

    def crash_in_second_batch(done: int, total: int) -> None:
        if done > 500:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        import_leads_file(
            path, job_id=job.pk, now=NOW, on_progress=crash_in_second_batch
        )
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("failed", 500)

    run_import_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.created, job.updated) == (
        "done",
        rows,
        rows,
        0,
    )
    assert Lead.objects.count() == rows
    assert uploads(data_dir) == []


def _rows_done(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            found = db.execute("SELECT max(rows_done) FROM intake_importjob").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(found[0] or 0)


def test_a_job_killed_midway_resumes_without_duplicates(tmp_path: Path) -> None:
    """kill -9 of the process running the job: a second run finishes it."""
    folder = tmp_path / "killed"
    (folder / "imports").mkdir(parents=True)
    env = subprocess_env(folder)
    env.pop("DATABASE_URL", None)  # the processes share this SQLite file
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=180
    )
    rows = 4_000
    lines = ["Email,Company"] + [
        f"lead{n}@bedrijf{n}.nl,Bedrijf {n}" for n in range(rows)
    ]
    data = ("\n".join(lines) + "\n").encode()
    digest = hashlib.sha256(data).hexdigest()
    (folder / "imports" / f"{digest}.csv").write_bytes(data)
    run_job = (
        "from leadqual.intake.models import ImportJob\n"
        "from leadqual.intake.jobs import run_import_job\n"
        f"job, _ = ImportJob.objects.get_or_create(file_sha256='{digest}', "
        "defaults={'file_name': 'crm.csv'})\n"
        "run_import_job.call_local(job.pk)\n"
    )
    database = folder / "leadqual.sqlite3"

    process = subprocess.Popen(
        [LEADQUAL, "shell", "-c", run_job],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _rows_done(database) == 0 and process.poll() is None:
        assert time.monotonic() < deadline, "the job committed no batch in 120 s"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the job finished before the kill"
    done = _rows_done(database)
    assert 0 < done < rows

    subprocess.run([LEADQUAL, "shell", "-c", run_job], env=env, check=True, timeout=300)

    with sqlite3.connect(database) as db:
        status, created, updated, done_after = db.execute(
            "SELECT status, created, updated, rows_done FROM intake_importjob"
        ).fetchone()
        leads = db.execute("SELECT count(*) FROM leads_lead").fetchone()[0]
    assert (status, created, updated, done_after, leads) == (
        "done",
        rows,
        0,
        rows,
        rows,
    )
    assert not (folder / "imports" / f"{digest}.csv").exists()


def test_an_erasure_during_an_import_is_seen_by_the_next_batch(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes(
        b"Email,Company\n"
        b"jan@bakker-ict.nl,Bakker\nanna@devries.nl,De Vries\n"
        b"piet@smit.nl,Smit\nkees@jansen.nl,Jansen\n"
    )

    def erase_kees_after_the_first_batch(done: int, total: int) -> None:
        if done == 2:
            suppress("kees@jansen.nl", "", reason="erasure", now=NOW)

    report = import_leads_file(
        path, now=NOW, batch_size=2, on_progress=erase_kees_after_the_first_batch
    )

    assert (report.created, report.updated) == (3, 0)
    assert [(row.row, row.problems[0].message) for row in report.rejected] == [
        (5, SUPPRESSED_MESSAGE)
    ]
    assert not Lead.objects.filter(email="kees@jansen.nl").exists()


def test_a_dry_run_rejects_suppressed_people(tmp_path: Path) -> None:
    suppress("anna@devries.nl", "", reason="erasure", now=NOW)
    path = tmp_path / "crm.csv"
    path.write_bytes(b"Email\njan@bakker-ict.nl\nanna@devries.nl\n")

    report = import_leads_file(path, now=NOW, dry_run=True)

    assert report.created == 1
    assert [row.row for row in report.rejected] == [3]


# --- keeping and purging upload files ----------------------------------------


def _age(path: Path, stored_at: datetime) -> None:
    os.utime(path, (stored_at.timestamp(), stored_at.timestamp()))


def test_with_retention_the_file_is_kept_then_purged(
    data_dir: Path, settings: Settings
) -> None:
    settings.IMPORT_FILE_RETENTION_HOURS = 3
    client = signed_in()
    stored = upload(client)
    path = data_dir / "imports" / stored
    _age(path, NOW)
    job = confirm(client, stored)
    ImportJob.objects.filter(pk=job.pk).update(finished_at=NOW)
    assert path.exists()

    assert purge_upload_files(now=NOW + timedelta(hours=2, minutes=59)) == 0
    assert purge_upload_files(now=NOW + timedelta(hours=3)) == 1
    assert not path.exists()


def test_an_upload_never_confirmed_is_purged_after_24_hours(data_dir: Path) -> None:
    path = data_dir / "imports" / upload(signed_in())
    _age(path, NOW)

    assert purge_upload_files(now=NOW + timedelta(hours=23, minutes=59)) == 0
    assert path.exists()
    assert purge_upload_files(now=NOW + timedelta(hours=24)) == 1
    assert not path.exists()


def test_the_file_of_a_running_import_is_never_purged(data_dir: Path) -> None:
    stored = upload(signed_in())
    path = data_dir / "imports" / stored
    _age(path, NOW)
    ImportJob.objects.create(file_name="crm.csv", file_sha256=stored.split(".")[0])

    assert purge_upload_files(now=NOW + timedelta(days=30)) == 0
    assert path.exists()


def test_an_import_interrupted_by_a_stopping_worker_is_queued_again(
    data_dir: Path,
) -> None:
    """Huey signals the jobs still running when the worker stops; an import
    among them is queued again (run at once here, in immediate mode)."""
    client = signed_in()
    stored = upload(client)
    job = ImportJob.objects.create(
        file_name="crm.csv", file_sha256=stored.split(".")[0], total_rows=2
    )
    interrupted = run_import_job.s(job.pk)

    HUEY._emit(SIGNAL_INTERRUPTED, interrupted)

    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 2)
