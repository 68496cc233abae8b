"""``leadqual rebuild-duplicates``: find every suspected duplicate pair again."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from leadqual.leads.duplicates import rebuild_duplicate_candidates


class Command(BaseCommand):
    help = (
        "Recompute every lead's duplicate keys and every suspected duplicate pair "
        "the data-quality page lists. Run it after loading leads in bulk past the "
        "intake pipeline; arrivals keep the pairs up to date on their own."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        pairs = rebuild_duplicate_candidates(now=timezone.now())
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Found {pairs:,} suspected duplicate pairs in {seconds:.1f} s."
        )
