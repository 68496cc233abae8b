"""``leadqual rescore``: rescore every lead under the active scoring model."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.console import ProgressBar
from leadqual.core.errors import LeadqualError
from leadqual.triage.requalification import rescore_every_lead


class Command(BaseCommand):
    help = (
        "Rescore every lead under the active scoring model, e.g. after loading a "
        "new version. Only changed scores are stored; a lead whose band changes is "
        "triaged (owner, SLA task, alerts) as on any arrival."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="hide the progress bar (it is hidden anyway when not on a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        progress = ProgressBar("leads", enabled=show_progress)
        try:
            scored, changed = rescore_every_lead(
                now=timezone.now(), on_progress=progress
            )
        except LeadqualError as error:
            raise CommandError(error.message) from None
        finally:
            progress.close()
        self.stdout.write(f"Rescored {scored:,} leads, {changed:,} scores changed.")
