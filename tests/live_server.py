"""A real `leadqual serve` process on its own SQLite data dir, and a small client.

Used by the crash and concurrency tests: they need a server they can kill,
restart and load from many threads, which the Django test client cannot be.
"""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.subprocesses import (
    LEADQUAL,
    free_port,
    subprocess_env,
    with_real_monotonic_clock,
)

STARTUP_SECONDS = 30


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class LiveServer:
    """`leadqual serve` on a migrated SQLite data dir, with one API token."""

    data_dir: Path
    threads: int = 8
    port: int = field(default_factory=free_port)
    token: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = subprocess_env(self.data_dir)
        # The queue's worker threads would compete for the write lock; the
        # tests are about the API, not about alerts.
        env["LEADQUAL_WORKER_IN_PROCESS"] = "false"
        env |= self.extra_env
        if env["LEADQUAL_WORKER_IN_PROCESS"] == "true":
            # The in-process Huey consumer has the idle wait worker_env explains;
            # the server keeps the test's moved date, so signatures still agree.
            return with_real_monotonic_clock(env)
        return env

    @property
    def database(self) -> Path:
        return self.data_dir / "leadqual.sqlite3"

    def prepare(self) -> None:
        """Migrate the database and create an API token."""
        subprocess.run(
            [LEADQUAL, "migrate", "--verbosity", "0"],
            env=self.env,
            check=True,
            timeout=120,
        )
        issued = subprocess.run(
            [LEADQUAL, "create-token", "load test"],
            env=self.env,
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
        )
        self.token = issued.stdout.strip().splitlines()[0]

    def start(self) -> None:
        """Start serving and wait until the API answers."""
        self.log = (self.data_dir / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [
                LEADQUAL,
                "serve",
                "--port",
                str(self.port),
                "--threads",
                str(self.threads),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.wait_until_serving(self.process, self.data_dir / "serve.log")

    def wait_until_serving(
        self, process: subprocess.Popen[Any], log_path: Path
    ) -> None:
        """Wait until the API answers on our port; fails when ``process`` exits."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"{process.args!r} exited with {process.returncode}: "
                    + log_path.read_text()
                )
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/api/v1/openapi.json", timeout=5
                ):
                    return
            except OSError:  # refused, reset, or timed out while a worker boots
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{process.args!r} did not answer: " + log_path.read_text()
                    ) from None
                time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no shutdown, no flushing, as in a power cut of the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

    def post(
        self,
        path: str,
        body: object,
        *,
        key: str | None = None,
        timeout_seconds: float = 30,
    ) -> Answer:
        """POST JSON to the API; raises OSError when the server is unreachable."""
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout_seconds
        )
        try:
            connection.request("POST", path, body=json.dumps(body), headers=headers)
            response = connection.getresponse()
            raw = response.read()
            return Answer(
                status=response.status,
                body=json.loads(raw) if raw else None,
                headers={name.lower(): value for name, value in response.getheaders()},
            )
        finally:
            connection.close()
