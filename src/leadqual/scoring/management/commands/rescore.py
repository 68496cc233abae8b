"""``leadqual rescore``: rescore every lead under the active scoring model."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from leadqual.core.errors import LeadqualError
from leadqual.scoring.services import rescore_all_leads

PROGRESS_FORMAT = "{l_bar}{bar}| {n:,} of {total:,} leads [{elapsed}<{remaining}]"


class _ProgressBar:
    """A tqdm bar on stderr, opened at the first report, when the total is known."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm[NoReturn] | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = tqdm(
                total=total, file=sys.stderr, bar_format=PROGRESS_FORMAT, leave=False
            )
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = (
        "Rescore every lead under the active scoring model, e.g. after loading a "
        "new version. Only changed scores are stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="hide the progress bar (it is hidden anyway when not on a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        progress = _ProgressBar(enabled=show_progress)
        try:
            scored, changed = rescore_all_leads(
                now=timezone.now(), on_progress=progress
            )
        except LeadqualError as error:
            raise CommandError(error.message) from None
        finally:
            progress.close()
        self.stdout.write(f"Rescored {scored:,} leads, {changed:,} scores changed.")
