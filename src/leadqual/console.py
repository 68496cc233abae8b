"""One progress report for every long command: "1,200 of 5,000 rows" on stderr.

On a terminal it is a tqdm bar that redraws itself; anywhere else (a pipe, a
log file, cron, ``make`` under CI) a plain line every tenth of the way, so a
log shows the command is alive without hundreds of redraws in it.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import NoReturn, TextIO

from tqdm import tqdm

# A plain line each time this share of the total more is done.
PLAIN_LINE_EVERY = 0.1


class ProgressBar:
    """Progress on stderr, opened at the first report, when the total is known.

    Call it as ``on_progress(done, total)``; it does nothing when disabled
    (``--no-progress``). Close it when done.
    """

    def __init__(
        self, unit: str, *, enabled: bool, stream: TextIO | None = None
    ) -> None:
        self.enabled = enabled
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.bar_format = (
            "{l_bar}{bar}| {n:,} of {total:,} " + unit + " [{elapsed}<{remaining}]"
        )
        self.bar: tqdm[NoReturn] | None = None
        self.next_line_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if not self.stream.isatty():
            self._plain_line(done, total)
            return
        if self.bar is None:
            self.bar = tqdm(
                total=total, file=self.stream, bar_format=self.bar_format, leave=False
            )
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def _plain_line(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        if share < self.next_line_at:
            return
        self.stream.write(f"{done:,} of {total:,} {self.unit} ({share:.0%})\n")
        self.stream.flush()
        # The next line after the next whole tenth, however far this call jumped.
        self.next_line_at = (
            int(share / PLAIN_LINE_EVERY + 1e-9) + 1
        ) * PLAIN_LINE_EVERY

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


NO_PROGRESS_HELP = (
    "hide the progress (a bar on a terminal, otherwise a line every 10%%); "
    "the summary is printed anyway"
)


def add_no_progress_option(parser: ArgumentParser) -> None:
    """The ``--no-progress`` flag every long command takes."""
    parser.add_argument("--no-progress", action="store_true", help=NO_PROGRESS_HELP)
