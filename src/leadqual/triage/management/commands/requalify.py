"""``leadqual requalify``: rescore stale leads now, as the daily job does.

For installs that run jobs from cron instead of a worker, and for a first
run after changing LEADQUAL_REQUALIFY_AFTER_DAYS.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.console import ProgressBar, add_no_progress_option
from leadqual.core.errors import LeadqualError
from leadqual.triage.requalification import requalify_stale_leads


class Command(BaseCommand):
    help = (
        "Rescore leads whose score is older than LEADQUAL_REQUALIFY_AFTER_DAYS and "
        "triage those whose band changed. Leads with an open deal, won or lost "
        "are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="requalify every lead, however recent its score",
        )
        add_no_progress_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ProgressBar("leads", enabled=not options["no_progress"])

        try:
            result = requalify_stale_leads(
                now=timezone.now(),
                cycle_days=settings.REQUALIFY_AFTER_DAYS,
                include_all=options["all"],
                on_progress=progress,
            )
        except LeadqualError as error:
            raise CommandError(error.message) from None
        finally:
            progress.close()
        self.stdout.write(
            f"Requalified {result.checked:,} leads: {result.changed:,} scores "
            f"changed, {result.triaged:,} leads triaged."
        )
