"""On SQLite, write transactions of one process queue for the write lock.

SQLite lets one transaction write at a time; a waiting one polls until its
busy timeout and then fails with "database is locked". Its polling is not
fair: under load a batch lost to newcomers for longer than its retries
last, and 8 clients posting 1,000-event batches to one `leadqual serve` got
500s. The threads of one process now wait their turn in the process,
without a time limit. Runs in a real process on a SQLite file: the suite's
in-memory database locks differently.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.subprocesses import LEADQUAL, subprocess_env

# The first thread holds the write lock longer than every try of the second
# one together: 8 tries with a 50 ms busy timeout and at most about 2 s of
# pauses between them.
COMPETING_WRITES = """
import threading, time
from django.db import connection, transaction
from leadqual.intake.pipeline import run_with_retry

holding = threading.Event()
outcome = []

def hold_the_lock():
    def work():
        with transaction.atomic():
            holding.set()
            time.sleep(4)
    run_with_retry(work, what="the long write")
    connection.close()

def write_with_a_short_busy_timeout():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 50")
    holding.wait()
    def work():
        with transaction.atomic():
            return "written"
    try:
        outcome.append(run_with_retry(work, what="the short write"))
    except Exception as error:
        outcome.append(repr(error))
    connection.close()

threads = [threading.Thread(target=hold_the_lock),
           threading.Thread(target=write_with_a_short_busy_timeout)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(outcome[0])
"""


def test_a_write_waits_for_a_long_write_of_another_thread(tmp_path: Path) -> None:
    env = subprocess_env(tmp_path)
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120
    )
    result = subprocess.run(
        [LEADQUAL, "shell", "--command", COMPETING_WRITES],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "written", result.stderr
