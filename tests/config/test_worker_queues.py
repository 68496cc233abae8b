"""The whole hand-off through a real worker: on SQLite and on Redis storage.

When the suite runs on PostgreSQL (DATABASE_URL), the processes share a
scratch PostgreSQL database of their own, so the worker on Redis is tested
with the database on PostgreSQL too.

The rest of the suite runs jobs in Huey's immediate mode. These tests run
the real thing: a `leadqual worker` process takes the alert job a web-side
process queued when a lead turned hot, and delivers exactly one mail (to a
local SMTP server) and one chat message (to a local HTTP receiver).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.config.test_worker import stop, wait_for_log
from tests.integrations import (
    ChatReceiver,
    SmtpSink,
    assert_slack_shape,
    chat_webhook,
    smtp_server,
)
from tests.subprocesses import LEADQUAL, subprocess_env, worker_env

REDIS_URL = os.environ.get("LEADQUAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DELIVERY_SECONDS = 40

MAKE_A_HOT_LEAD = """
from django.utils import timezone
from leadqual.users.roles import Role
from leadqual.users.services import create_user
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
create_user("sanne", role=Role.SALES, email="sanne@example.nl", password="x" * 20)
now = timezone.now()
email = "jan@bakker-software.nl"
submit_lead(email, {"sector": "software", "employees": "25",
    "budget_euros": "15000", "urgency": "immediate", "job_title": "Eigenaar"}, now=now)
submit_events([RawEvent(email, "demo_request", now.isoformat(), {}, "demo-1"),
    RawEvent(email, "email_reply", now.isoformat(), {}, "reply-1")], now=now, source="test")
"""


@contextmanager
def _scratch_database(name: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database beside the test one, or None on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    import psycopg

    server_url = url.rsplit("/", 1)[0]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis_is_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def queue_env(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """A migrated data directory, with jobs on the SQLite or the Redis queue."""
    env = subprocess_env(tmp_path)
    if request.param == "redis":
        if not _redis_is_reachable():
            message = f"Redis is not reachable at {REDIS_URL}."
            if os.environ.get("CI") == "true":
                pytest.fail(f"{message} CI=true, so the run fails.", pytrace=False)
            pytest.skip(message)
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        env["REDIS_URL"] = REDIS_URL
    with _scratch_database(f"leadqual_worker_{os.getpid()}_{request.param}") as url:
        if url is not None:
            env["DATABASE_URL"] = url
        subprocess.run(
            [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=180
        )
        yield env
    if request.param == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()


def test_a_lead_turning_hot_is_alerted_once_by_a_real_worker(
    queue_env: dict[str, str], tmp_path: Path
) -> None:
    sink = SmtpSink()
    receiver = ChatReceiver()
    with smtp_server(sink) as smtp_url, chat_webhook(receiver) as chat_url:
        env = queue_env | {
            "LEADQUAL_EMAIL_URL": smtp_url,
            "LEADQUAL_CHAT_WEBHOOK_URL": chat_url,
            "LEADQUAL_CHAT_FORMAT": "slack",
            "LEADQUAL_BASE_URL": "https://leads.example.nl",
        }
        log_path = tmp_path / "worker.log"
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                [LEADQUAL, "worker", "--workers", "2", "--no-periodic", "--verbose"],
                env=worker_env(env),
                stdout=subprocess.DEVNULL,
                stderr=log,
                text=True,
            )
            try:
                wait_for_log(worker, log_path, "Huey consumer started")
                subprocess.run(
                    [LEADQUAL, "shell", "--command", MAKE_A_HOT_LEAD],
                    env=env,
                    check=True,
                    timeout=120,
                )
                deadline = time.monotonic() + DELIVERY_SECONDS
                while time.monotonic() < deadline and not (
                    sink.messages and receiver.payloads
                ):
                    time.sleep(0.2)
                # Give a duplicate, if any, the time to arrive too.
                time.sleep(2)
            finally:
                status = stop(worker)

    worker_log = log_path.read_text()
    assert len(sink.messages) == 1, worker_log
    assert sink.messages[0].rcpt_tos == ["sanne@example.nl"]
    assert "https://leads.example.nl/leads/" in sink.messages[0].part("text/plain")
    assert len(receiver.payloads) == 1, worker_log
    assert_slack_shape(receiver.payloads[0])
    assert status == 0
