"""``leadqual rebuild-kpis``: compute the KPI page's stored sums from scratch."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from leadqual.console import ProgressBar, add_no_progress_option
from leadqual.triage.kpi_facts import rebuild_kpi_facts


class Command(BaseCommand):
    help = (
        "Recompute every lead's KPI facts and the daily sums the KPI page adds up. "
        "Run it after loading leads, feedback or deals in bulk past leadqual's own "
        "writes (an INSERT ... SELECT copy, a restore from another system); every "
        "write through leadqual keeps them up to date on its own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_no_progress_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ProgressBar("leads", enabled=not options["no_progress"])
        started = time.perf_counter()
        try:
            leads = rebuild_kpi_facts(on_progress=progress)
        finally:
            progress.close()
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Rebuilt the KPI sums of {leads:,} leads in {seconds:.1f} s."
        )
