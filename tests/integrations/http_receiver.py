"""A real HTTP server on 127.0.0.1 in a thread, for webhook and connector tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


# Answers a request: (status, JSON body as bytes).
Responder = Callable[[Received], tuple[int, bytes]]


def always_ok(_request: Received) -> tuple[int, bytes]:
    return 200, b"{}"


@dataclass
class Receiver:
    """Records every request and answers through ``responder``; can stop and restart."""

    responder: Responder = always_ok
    port: int = 0
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    method=self.command,
                    path=self.path,
                    headers={
                        name.lower(): value for name, value in self.headers.items()
                    },
                    body=self.rfile.read(length),
                )
                receiver.received.append(request)
                status, body = receiver.responder(request)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = _handle

            def log_message(self, format: str, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def running(responder: Responder = always_ok) -> Iterator[Receiver]:
    """A started receiver, stopped afterwards."""
    receiver = Receiver(responder=responder)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
