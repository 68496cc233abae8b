"""The scale-out setup of docs/deployment.md, as real processes over real HTTP.

gunicorn with two web processes (config/gunicorn.py) on PostgreSQL, jobs on
Redis, and a `leadqual worker` beside it. Events posted to the API make a
lead hot in a web process; the worker, another process, takes the alert job
from Redis and posts one chat message to a local HTTP receiver.

PostgreSQL is a scratch database: beside the suite's own when the suite runs
on PostgreSQL (DATABASE_URL), otherwise on the server of
LEADQUAL_TEST_POSTGRES_URL. Redis is a database number of its own
(LEADQUAL_TEST_SCALE_OUT_REDIS_URL), emptied before and after. Outside CI a
missing PostgreSQL or Redis skips the test; under CI=true it fails.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

from tests.config.test_worker import stop, wait_for_log
from tests.integrations import ChatReceiver, assert_slack_shape, chat_webhook
from tests.live_server import LiveServer
from tests.subprocesses import (
    LEADQUAL,
    free_port,
    subprocess_env,
    worker_env,
)

GUNICORN = LEADQUAL.parent / "gunicorn"
POSTGRES_URL = os.environ.get(
    "LEADQUAL_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get(
    "LEADQUAL_TEST_SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/14"
)
WEB_PROCESSES = 2
DELIVERY_SECONDS = 40

MAKE_A_SALES_USER = """
from leadqual.users.roles import Role
from leadqual.users.services import create_user
create_user("sanne", role=Role.SALES, email="sanne@example.nl", password="x" * 20)
"""


def unavailable(message: str) -> NoReturn:
    """Skip, or fail under CI=true, where every leg must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} CI=true, so the run fails.", pytrace=False)
    pytest.skip(message)


@contextmanager
def scratch_postgres(name: str) -> Iterator[str]:
    """A new PostgreSQL database for the processes; dropped afterwards."""
    import psycopg

    suite_url = os.environ.get("DATABASE_URL", "")
    server_url = (
        suite_url if suite_url.startswith(("postgres://", "postgresql://")) else None
    ) or POSTGRES_URL
    try:
        admin = psycopg.connect(server_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL is not reachable at {server_url} ({error}).")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server_url.rsplit('/', 1)[0]}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_redis() -> Iterator[str]:
    import redis

    queue = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        queue.ping()
    except redis.RedisError as error:
        unavailable(f"Redis is not reachable at {REDIS_URL} ({error}).")
    queue.flushdb()
    try:
        yield REDIS_URL
    finally:
        queue.flushdb()


def web_processes(master: subprocess.Popen[str]) -> list[int]:
    """The pids of the gunicorn master's children: its web processes."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def stored_events(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM leads_event").fetchone()
        assert row is not None
        return int(row[0])


def test_hot_lead_posted_to_gunicorn_is_alerted_by_a_worker_on_redis(
    tmp_path: Path,
) -> None:
    receiver = ChatReceiver()
    with (
        scratch_postgres(f"leadqual_scale_out_{os.getpid()}") as database_url,
        scratch_redis() as redis_url,
        chat_webhook(receiver) as chat_url,
    ):
        port = free_port()
        env = subprocess_env(tmp_path) | {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "WEB_CONCURRENCY": str(WEB_PROCESSES),
            "LEADQUAL_WEB_BIND": f"127.0.0.1:{port}",
            "LEADQUAL_CHAT_WEBHOOK_URL": chat_url,
            "LEADQUAL_CHAT_FORMAT": "slack",
        }
        # The API client of the concurrency tests, pointed at gunicorn.
        api = LiveServer(tmp_path, port=port, extra_env=env)
        api.prepare()
        subprocess.run(
            [LEADQUAL, "shell", "--command", MAKE_A_SALES_USER],
            env=env,
            check=True,
            timeout=120,
        )
        web_log, worker_log = tmp_path / "gunicorn.log", tmp_path / "worker.log"
        with web_log.open("w") as web_output, worker_log.open("w") as worker_output:
            web = subprocess.Popen(
                [str(GUNICORN), "--config", "python:leadqual.config.gunicorn"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=web_output,
                text=True,
            )
            worker = subprocess.Popen(
                [LEADQUAL, "worker", "--no-periodic", "--verbose"],
                env=worker_env(env),
                stdout=subprocess.DEVNULL,
                stderr=worker_output,
                text=True,
            )
            try:
                wait_for_log(worker, worker_log, "Huey consumer started")
                api.wait_until_serving(web, web_log)
                created = api.post(
                    "/api/v1/leads",
                    {
                        "email": "jan@bakker-software.nl",
                        "sector": "software",
                        "employees": 25,
                        "budget": 15000,
                        "urgency": "immediate",
                        "job_title": "Eigenaar",
                    },
                )
                assert created.status == 201, created.body
                now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                posted = api.post(
                    "/api/v1/events",
                    {
                        "events": [
                            {
                                "id": f"scale-out-{kind}",
                                "lead_email": "jan@bakker-software.nl",
                                "type": kind,
                                "occurred_at": now,
                            }
                            for kind in ("demo_request", "email_reply")
                        ]
                    },
                )
                assert posted.status == 200, posted.body
                assert posted.body["accepted"] == 2
                serving = web_processes(web)
                deadline = time.monotonic() + DELIVERY_SECONDS
                while time.monotonic() < deadline and not receiver.payloads:
                    time.sleep(0.2)
                # Give a duplicate, if any, the time to arrive too.
                time.sleep(2)
            finally:
                web_status = stop(web)
                worker_status = stop(worker)

        assert len(serving) == WEB_PROCESSES, web_log.read_text()
        assert len(receiver.payloads) == 1, worker_log.read_text()
        assert_slack_shape(receiver.payloads[0])
        assert stored_events(database_url) == 2
        assert (web_status, worker_status) == (0, 0)
