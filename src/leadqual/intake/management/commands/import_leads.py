"""``leadqual import-leads FILE.csv``: create or update leads from a CSV file."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from leadqual.core.errors import LeadqualError
from leadqual.intake.imports import DEFAULT_SOURCE, ImportReport, import_leads_file

PROGRESS_FORMAT = "{l_bar}{bar}| {n:,} of {total:,} rows [{elapsed}<{remaining}]"


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
        "Create or update leads from a CSV file (comma or semicolon separated, "
        "UTF-8 or Windows-1252). Columns are matched by header, in English or "
        "Dutch; every row needs an email. Example: leadqual import-leads crm.csv "
        "--dry-run"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="the CSV file; its first line names the columns"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row and report what would change, without writing",
        )
        parser.add_argument(
            "--source",
            default=DEFAULT_SOURCE,
            help=(
                "lead source for new leads whose row has none "
                f'(default "{DEFAULT_SOURCE}")'
            ),
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="hide the progress bar (it is hidden anyway when not on a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        progress = _ProgressBar(enabled=show_progress)
        try:
            report = import_leads_file(
                options["file"],
                source=options["source"],
                dry_run=options["dry_run"],
                now=timezone.now(),
                on_progress=progress,
            )
        except LeadqualError as error:
            raise CommandError(error.message) from None
        finally:
            progress.close()
        self._print_summary(report, verbosity=options["verbosity"])

    def _print_summary(self, report: ImportReport, *, verbosity: int) -> None:
        out = self.stdout
        if verbosity > 1:
            mapped = ", ".join(
                f'"{header}" -> {field_name}'
                for header, field_name in report.columns.items()
            )
            out.write(
                f"Read {report.file_name} as {report.encoding}, separated by "
                f"{report.delimiter!r}. Columns: {mapped}."
            )
        if report.ignored_columns:
            names = ", ".join(f'"{name}"' for name in report.ignored_columns)
            out.write(f"Ignored columns (not lead fields): {names}.")
        rejected = len(report.rejected)
        if report.dry_run:
            out.write(
                f"Dry run of {report.file_name}: would create {report.created:,}, "
                f"update {report.updated:,} and reject {rejected:,} of "
                f"{report.rows:,} rows. Nothing was written."
            )
        else:
            out.write(
                f"Imported {report.file_name}: created {report.created:,}, "
                f"updated {report.updated:,}, rejected {rejected:,} of "
                f"{report.rows:,} rows."
            )
        if not rejected:
            return
        if report.kept and not report.dry_run:
            out.write(
                f"The {report.kept:,} good rows were kept. Fix the rejected rows and "
                "import the file again: leads already imported are updated, "
                "not duplicated."
            )
        elif not report.dry_run:
            out.write("No row could be imported. Fix the rows below and try again.")
        out.write("Rejected rows:")
        for problem in report.problems:
            out.write(f"  {problem}")
