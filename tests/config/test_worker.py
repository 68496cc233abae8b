"""`leadqual worker` and the worker inside `leadqual serve` run background jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.subprocesses import LEADQUAL, free_port, subprocess_env, worker_env

STARTUP_SECONDS = 30


def wait_for_log(process: subprocess.Popen[str], log_path: Path, text: str) -> str:
    """The log once ``text`` appears in it; fails when the process dies first."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        log = log_path.read_text()
        if text in log:
            return log
        if process.poll() is not None:
            pytest.fail(
                f"exited with {process.returncode} before logging {text!r}: {log}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"did not log {text!r} in {STARTUP_SECONDS} s: {log}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> int:
    """Send SIGTERM, as systemd and Docker do, and wait for the exit status."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A migrated SQLite data directory of its own."""
    env = subprocess_env(tmp_path)
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120
    )
    return tmp_path


def test_worker_runs_a_queued_job_and_stops_cleanly_on_sigterm(data_dir: Path) -> None:
    env = subprocess_env(data_dir)
    # The web process queues the job; nothing runs it until a worker starts.
    subprocess.run(
        [
            LEADQUAL,
            "shell",
            "--command",
            "from leadqual.triage.jobs import requalify_leads; requalify_leads()",
        ],
        env=env,
        check=True,
        timeout=60,
    )
    log_path = data_dir / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [LEADQUAL, "worker", "--workers", "1", "--verbose"],
            env=worker_env(env),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            announcement = process.stdout.readline()
            wait_for_log(process, log_path, "Requalified 0 leads")
        finally:
            status = stop(process)

    tasks_file = data_dir / "tasks.sqlite3"
    assert announcement == (
        f"leadqual worker is running 1 worker threads on the SQLite queue at "
        f"{tasks_file}, with the daily jobs.\n"
    )
    assert status == 0
    assert "Consumer exiting" in log_path.read_text()


def test_serve_runs_the_worker_in_its_own_process(data_dir: Path) -> None:
    env = subprocess_env(data_dir)
    log_path = data_dir / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                LEADQUAL,
                "serve",
                "--port",
                str(free_port()),
                "--threads",
                "2",
                "--verbose",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            process.stdout.readline()  # "leadqual is serving on ..."
            what_runs = process.stdout.readline()
            wait_for_log(process, log_path, "In-process worker started: 2 threads")
        finally:
            status = stop(process)

    assert what_runs == (
        "Background jobs run in this process: 2 worker threads on the SQLite "
        f"queue at {data_dir / 'tasks.sqlite3'}.\n"
    )
    assert status == 0
    assert "In-process worker stopped" in log_path.read_text()


def test_serve_leaves_jobs_to_a_separate_worker_when_told_to(data_dir: Path) -> None:
    env = subprocess_env(data_dir) | {"LEADQUAL_WORKER_IN_PROCESS": "false"}
    process = subprocess.Popen(
        [LEADQUAL, "serve", "--port", str(free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        what_runs = process.stdout.readline()
    finally:
        status = stop(process)

    assert "run `leadqual worker` for background jobs." in what_runs
    assert status == 0


def test_worker_refuses_to_start_when_jobs_run_immediately() -> None:
    with pytest.raises(CommandError, match="LEADQUAL_TASKS_IMMEDIATE is true"):
        call_command("worker")


def test_worker_refuses_a_worker_count_that_is_not_a_number() -> None:
    with pytest.raises(CommandError) as raised:
        call_command("worker", workers="many")
    assert str(raised.value) == (
        '--workers must be a whole number from 1 to 100, got "many".'
    )


@pytest.mark.parametrize("days", ["29", "91"])
def test_a_requalification_cycle_outside_30_to_90_days_stops_startup(
    tmp_path: Path, days: str
) -> None:
    env = subprocess_env(tmp_path) | {
        "DJANGO_SETTINGS_MODULE": "leadqual.config.settings",
        "LEADQUAL_REQUALIFY_AFTER_DAYS": days,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert (
        f"LEADQUAL_REQUALIFY_AFTER_DAYS must be between 30 and 90, got {days}."
        in result.stderr
    )


@pytest.mark.skipif(
    os.environ.get("REDIS_URL") is not None, reason="a Redis queue is configured"
)
def test_the_default_queue_is_sqlite_in_the_data_dir() -> None:
    from django.conf import settings

    assert settings.HUEY["huey_class"] == "huey.SqliteHuey"
    assert settings.HUEY["connection"]["filename"] == str(
        settings.DATA_DIR / "tasks.sqlite3"
    )
