"""``leadqual rescore``: rescore every lead under the active scoring model."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.console import ProgressBar, add_no_progress_option
from leadqual.core.errors import LeadqualError
from leadqual.triage.requalification import rescore_every_lead


class Command(BaseCommand):
    help = (
        "Rescore every lead under the active scoring model, e.g. after loading a "
        "new version. Only changed scores are stored; a lead whose band changes is "
        "triaged (owner, SLA task, alerts) as on any arrival."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_no_progress_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ProgressBar("leads", enabled=not options["no_progress"])
        try:
            scored, changed = rescore_every_lead(
                now=timezone.now(), on_progress=progress
            )
        except LeadqualError as error:
            raise CommandError(error.message) from None
        finally:
            progress.close()
        self.stdout.write(f"Rescored {scored:,} leads, {changed:,} scores changed.")
