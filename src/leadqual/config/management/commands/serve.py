"""``leadqual serve``: run leadqual under waitress, the production WSGI server.

Static files come from WhiteNoise in the same process, so one command is a
complete server. Put a TLS-terminating proxy in front of it on the internet.
With the SQLite queue it also runs the background jobs, in worker threads
that stop with the server (SIGTERM or Ctrl+C); see docs/background-work.md.

Limits (docs/deployment.md): at most LEADQUAL_SERVE_CONNECTION_LIMIT open
connections, idle ones closed after LEADQUAL_SERVE_IDLE_TIMEOUT_SECONDS, and
a body larger than the largest upload leadqual takes is answered 413 as soon
as its headers arrive, unread.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from waitress.server import create_server

from leadqual.config.background import in_process_worker, load_tasks

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 8
# Browsers and proxies send a few KiB of headers; waitress allows 256 KiB.
MAX_HEADER_BYTES = 64 * 1024
# Room above the largest import file for the multipart boundaries and fields.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024
# Open files besides client connections: databases, queue, logs, static files.
SPARE_FILE_DESCRIPTORS = 64


class Command(BaseCommand):
    help = (
        "Serve leadqual (web pages, API and static files) with the waitress WSGI "
        "server. Not for development only: this is how leadqual runs in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=DEFAULT_HOST,
            help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for all)",
        )
        parser.add_argument(
            "--port",
            default=str(DEFAULT_PORT),
            help=f"TCP port to listen on (default {DEFAULT_PORT})",
        )
        parser.add_argument(
            "--threads",
            default=str(DEFAULT_THREADS),
            help=f"requests served at once (default {DEFAULT_THREADS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"].strip()
        port = _whole_number("--port", options["port"], low=0, high=65535)
        threads = _whole_number("--threads", options["threads"], low=1, high=1000)
        ensure_open_file_limit(settings.SERVE_CONNECTION_LIMIT)
        from leadqual.config.wsgi import application

        try:
            server = create_server(
                application,
                host=host,
                port=port,
                threads=threads,
                **limit_options(
                    connection_limit=settings.SERVE_CONNECTION_LIMIT,
                    idle_timeout_seconds=settings.SERVE_IDLE_TIMEOUT_SECONDS,
                    max_body_bytes=max_body_bytes(),
                ),
                **proxy_options(settings.TRUSTED_PROXY),
            )
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {host} port {port}: {error.strerror or error}. "
                "Is another server using it? Stop it or choose another --port."
            ) from None
        bound_port = getattr(server, "effective_port", port)
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(f"leadqual is serving on http://{shown_host}:{bound_port}/")
        worker, what_runs = in_process_worker()
        if worker is not None:
            load_tasks()
            worker.start()
        # SIGTERM stops the server like Ctrl+C does, so the worker stops cleanly.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            self.stdout.write(what_runs)
            self.stdout.flush()
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.close()
            if worker is not None:
                worker.stop()


def _interrupt(signal_number: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _whole_number(flag: str, raw: object, *, low: int, high: int) -> int:
    try:
        number = int(str(raw))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise CommandError(
            f'{flag} must be a whole number from {low} to {high}, got "{raw}".'
        )
    return number


def max_body_bytes() -> int:
    """The largest request body any endpoint takes: an import upload or an API body."""
    # Imported here: settings must be loaded before the intake app's views.
    from leadqual.intake.import_views import MAX_UPLOAD_BYTES

    api_bytes: int = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return max(api_bytes, MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES)


def limit_options(
    *, connection_limit: int, idle_timeout_seconds: int, max_body_bytes: int
) -> dict[str, Any]:
    """Waitress options that keep slow, idle and oversized clients from starving it.

    waitress's own defaults (100 connections, idle ones kept for 120 s, checked
    every 30 s, bodies up to 1 GiB read before the app sees them) let about a
    hundred idle connections lock everyone out for two minutes.
    """
    return {
        "connection_limit": connection_limit,
        "channel_timeout": idle_timeout_seconds,
        "cleanup_interval": min(5, idle_timeout_seconds),
        # waitress refuses a Content-Length over this with 413 before reading.
        "max_request_body_size": max_body_bytes,
        "max_request_header_size": MAX_HEADER_BYTES,
        # select() cannot watch sockets numbered 1024 and up; poll() can.
        "asyncore_use_poll": True,
    }


def ensure_open_file_limit(connection_limit: int) -> None:
    """Raise the process's open-file limit to fit ``connection_limit`` sockets.

    Raises CommandError when the hard limit is too low to allow it.
    """
    if sys.platform == "win32":
        return
    import resource

    needed = connection_limit + SPARE_FILE_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise CommandError(
            f"LEADQUAL_SERVE_CONNECTION_LIMIT is {connection_limit}, but this "
            f"process may open only {hard} files ({needed} needed). Lower "
            "LEADQUAL_SERVE_CONNECTION_LIMIT or raise the limit (ulimit -n, or "
            "LimitNOFILE= in a systemd unit)."
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def proxy_options(trusted_proxy: str | None) -> dict[str, Any]:
    """Waitress options that trust one reverse proxy's forwarding headers.

    Without a proxy, none: X-Forwarded-For from a client is ignored, so nobody
    can pick the address a rate limit counts. With one, only requests from
    that address may set the client address (its last hop) and scheme, and
    the headers are removed from everyone else's requests.
    """
    if not trusted_proxy:
        return {}
    return {
        "trusted_proxy": trusted_proxy,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        "clear_untrusted_proxy_headers": True,
    }
