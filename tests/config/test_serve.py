"""`leadqual serve` runs waitress with static files, not Django's runserver."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPResponse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.subprocesses import LEADQUAL, free_port, subprocess_env

STARTUP_SECONDS = 30


@dataclass
class RunningServer:
    base_url: str
    announcement: str


def get(url: str) -> HTTPResponse:
    response: HTTPResponse = urllib.request.urlopen(url, timeout=10)
    return response


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`leadqual serve` on a free port, with a migrated SQLite data dir."""
    data_dir = tmp_path_factory.mktemp("serve")
    env = subprocess_env(data_dir)
    log_path = data_dir / "serve.log"
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120
    )
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [LEADQUAL, "serve", "--port", str(port), "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        assert process.stdout is not None
        # Printed once the port is bound, before the first request is served.
        announcement = process.stdout.readline()
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"leadqual serve exited with {process.returncode}: "
                    + log_path.read_text()
                )
            try:
                get(f"{base_url}/api/v1/openapi.json").close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"leadqual serve did not answer on {base_url}: "
                        + log_path.read_text()
                    )
                time.sleep(0.1)
        yield RunningServer(base_url=base_url, announcement=announcement)
    finally:
        process.terminate()
        process.communicate(timeout=10)
        log.close()


def test_serve_answers_the_api_with_waitress(server: RunningServer) -> None:
    with get(f"{server.base_url}/api/v1/openapi.json") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/json")
        assert json.load(response)["info"]["title"] == "leadqual API"
        assert response.headers["Server"] == "waitress"


def test_serve_serves_static_files_from_the_apps(server: RunningServer) -> None:
    with get(f"{server.base_url}/static/ninja/swagger-ui.css") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/css")
        assert len(response.read()) > 1000
        assert response.headers["Server"] == "waitress"


def test_serve_announces_its_address_on_one_line(server: RunningServer) -> None:
    assert server.announcement == f"leadqual is serving on {server.base_url}/\n"


def test_serve_refuses_a_port_that_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])

        with pytest.raises(CommandError) as raised:
            call_command("serve", port=str(port))

    message = str(raised.value)
    assert message.startswith(f"Cannot listen on 127.0.0.1 port {port}: ")
    assert "choose another --port" in message
    assert "\n" not in message


def test_serve_refuses_a_port_that_is_not_a_number() -> None:
    with pytest.raises(CommandError) as raised:
        call_command("serve", port="http")

    assert str(raised.value) == (
        '--port must be a whole number from 0 to 65535, got "http".'
    )
