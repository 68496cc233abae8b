"""Running the real `leadqual` console script from a test."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

LEADQUAL = Path(sys.executable).parent / "leadqual"


def subprocess_env(data_dir: Path) -> dict[str, str]:
    """The environment of a real `leadqual` process on its own SQLite database.

    The test database of pytest-django is invisible to a child process, so the
    child always gets a fresh SQLite file under ``data_dir``.
    """
    env = dict(os.environ)
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "LEADQUAL_DEBUG"):
        env.pop(name, None)
    env["LEADQUAL_SECRET_KEY"] = "tests-only-secret-key-for-a-subprocess"
    env["LEADQUAL_DATA_DIR"] = str(data_dir)
    return env


def worker_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a `leadqual worker` process, without Debian's libfaketime.

    CI's date-bomb guard runs the suite under ``faketime`` (libfaketime 0.9.10).
    That library moves CLOCK_MONOTONIC but does not wrap ``sem_clockwait``, which
    Python 3.11 uses for ``Event.wait(timeout)``: an idle Huey consumer then waits
    for the moved deadline, hundreds of days, and never polls its queue or sees
    SIGTERM. The worker keeps the real clock; the jobs it runs are tested on the
    moved clock in-process.
    """
    cleaned = dict(env)
    preload = [
        library
        for library in cleaned.pop("LD_PRELOAD", "").split(":")
        if library and "faketime" not in library
    ]
    if preload:
        cleaned["LD_PRELOAD"] = ":".join(preload)
    for name in [name for name in cleaned if name.startswith("FAKETIME")]:
        del cleaned[name]
    return cleaned


def with_real_monotonic_clock(env: dict[str, str]) -> dict[str, str]:
    """``env`` where libfaketime, if preloaded, moves the date but not CLOCK_MONOTONIC.

    For a process that must keep the test's date (it checks signatures made by
    the test) and also run a Huey consumer, whose idle wait ``worker_env``
    explains: a real monotonic clock agrees with ``sem_clockwait``.
    """
    if "faketime" not in env.get("LD_PRELOAD", ""):
        return env
    return env | {"FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
