"""One progress bar for every long command: "1,200 of 5,000 rows" on stderr."""

from __future__ import annotations

import sys
from typing import NoReturn

from tqdm import tqdm


class ProgressBar:
    """A tqdm bar on stderr, opened at the first report, when the total is known.

    Call it as ``on_progress(done, total)``; it does nothing when disabled
    (``--no-progress``, or stderr is not a terminal). Close it when done.
    """

    def __init__(self, unit: str, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar_format = (
            "{l_bar}{bar}| {n:,} of {total:,} " + unit + " [{elapsed}<{remaining}]"
        )
        self.bar: tqdm[NoReturn] | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = tqdm(
                total=total, file=sys.stderr, bar_format=self.bar_format, leave=False
            )
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
