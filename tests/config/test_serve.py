"""`leadqual serve` runs waitress with static files, not Django's runserver."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.client import HTTPResponse
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.subprocesses import LEADQUAL, free_port, subprocess_env

STARTUP_SECONDS = 30


@dataclass
class RunningServer:
    base_url: str
    announcement: str
    port: int
    log_path: Path


def get(url: str) -> HTTPResponse:
    response: HTTPResponse = urllib.request.urlopen(url, timeout=10)
    return response


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite data dir the servers of this module share."""
    folder = tmp_path_factory.mktemp("serve")
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"],
        env=subprocess_env(folder),
        check=True,
        timeout=120,
    )
    return folder


@contextmanager
def running_server(data_dir: Path, **variables: str) -> Iterator[RunningServer]:
    """`leadqual serve` on a free port, with extra environment ``variables``."""
    env = subprocess_env(data_dir) | variables
    log_path = data_dir / f"serve-{len(list(data_dir.glob('serve-*.log')))}.log"
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
        yield RunningServer(
            base_url=base_url, announcement=announcement, port=port, log_path=log_path
        )
    finally:
        process.terminate()
        process.communicate(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[RunningServer]:
    """`leadqual serve` with the default settings."""
    with running_server(data_dir) as running:
        yield running


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


def open_idle_connections(stack: ExitStack, port: int, count: int) -> None:
    """``count`` connections that each send half a request and then nothing."""
    for _ in range(count):
        connection = stack.enter_context(
            socket.create_connection(("127.0.0.1", port), timeout=10)
        )
        connection.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")


def test_150_idle_half_open_connections_do_not_keep_a_request_waiting(
    server: RunningServer,
) -> None:
    """waitress's default 100 connections let these lock everyone out for 2 min."""
    with ExitStack() as idle:
        open_idle_connections(idle, server.port, 150)

        with get(f"{server.base_url}/api/v1/openapi.json") as response:
            assert response.status == 200


def test_idle_connections_over_the_limit_are_closed_after_the_idle_timeout(
    data_dir: Path,
) -> None:
    """With every slot taken by idle clients, a real request waits one timeout."""
    with (
        running_server(
            data_dir,
            LEADQUAL_SERVE_CONNECTION_LIMIT="10",
            LEADQUAL_SERVE_IDLE_TIMEOUT_SECONDS="1",
        ) as small,
        ExitStack() as idle,
    ):
        open_idle_connections(idle, small.port, 20)

        # urlopen's timeout of 10 s is well over the 1 s timeout plus the
        # cleanup interval (1 s here), so this only passes when they are closed.
        with get(f"{small.base_url}/api/v1/openapi.json") as response:
            assert response.status == 200


def test_a_body_over_the_largest_upload_is_refused_before_it_is_sent(
    server: RunningServer,
) -> None:
    """The 413 comes as soon as the headers arrive; nothing waits for 500 MB."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        headers = (
            b"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 500000000\r\n\r\n"
        )
        client.sendall(headers + b"[" * 65536)
        answer = client.recv(4096)

    assert answer.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")


def test_serve_refuses_a_connection_limit_over_the_open_file_limit(
    data_dir: Path,
) -> None:
    def lower_open_file_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    result = subprocess.run(
        [LEADQUAL, "serve", "--port", str(free_port())],
        env=subprocess_env(data_dir) | {"LEADQUAL_SERVE_CONNECTION_LIMIT": "1000"},
        preexec_fn=lower_open_file_limit,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "CommandError: LEADQUAL_SERVE_CONNECTION_LIMIT is 1000, but this process "
        "may open only 256 files (1064 needed). Lower LEADQUAL_SERVE_CONNECTION_LIMIT "
        "or raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit)."
    )


def test_a_403_is_one_line_in_the_server_log(server: RunningServer) -> None:
    request = urllib.request.Request(
        f"{server.base_url}/login/", data=b"username=x&password=y", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403

    lines = [
        line
        for line in server.log_path.read_text().splitlines()
        if "/login/" in line and "Forbidden" in line
    ]
    assert [line.split(" django.security.csrf: ")[1] for line in lines] == [
        "Forbidden (CSRF cookie not set.): /login/ (anonymous)"
    ]
    assert "Traceback" not in server.log_path.read_text()


def test_with_debug_on_a_403_and_a_404_are_one_line_each(data_dir: Path) -> None:
    """Django's own DEBUG console handler printed each of them a second time."""
    with running_server(data_dir, LEADQUAL_DEBUG="true") as server:
        request = urllib.request.Request(
            f"{server.base_url}/login/", data=b"username=x&password=y", method="POST"
        )
        for url in (request, f"{server.base_url}/nowhere/"):
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(url, timeout=10)
        log = server.log_path.read_text()

    refusals = [line for line in log.splitlines() if "Forbidden" in line]
    misses = [line for line in log.splitlines() if "/nowhere/" in line]
    assert [line.split(" django.security.csrf: ")[1] for line in refusals] == [
        "Forbidden (CSRF cookie not set.): /login/ (anonymous)"
    ]
    assert [line.split(" django.request: ")[1] for line in misses] == [
        "Not Found: /nowhere/"
    ]
    assert "Traceback" not in log


def test_a_bad_host_is_one_line_in_the_server_log(server: RunningServer) -> None:
    """Django logs a disallowed Host with the traceback of its own parsing."""
    request = urllib.request.Request(
        f"{server.base_url}/login/", headers={"Host": "leadqual.evil.example"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400

    log = server.log_path.read_text()
    lines = [line for line in log.splitlines() if "leadqual.evil.example" in line]
    assert len(lines) == 1
    assert " ERROR django.security.DisallowedHost: Invalid HTTP_HOST header" in lines[0]
    assert "Traceback" not in log
