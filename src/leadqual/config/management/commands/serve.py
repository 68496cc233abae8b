"""``leadqual serve``: run leadqual under waitress, the production WSGI server.

Static files come from WhiteNoise in the same process, so one command is a
complete server. Put a TLS-terminating proxy in front of it on the internet.
With the SQLite queue it also runs the background jobs, in worker threads
that stop with the server (SIGTERM or Ctrl+C); see docs/background-work.md.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from waitress.server import create_server

from leadqual.config.background import in_process_worker, load_tasks

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 8


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
        from leadqual.config.wsgi import application

        try:
            server = create_server(
                application,
                host=host,
                port=port,
                threads=threads,
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
