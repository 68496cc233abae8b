"""``leadqual import-leads FILE``: create or update leads from a CRM export."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.console import ProgressBar, add_no_progress_option
from leadqual.core.errors import LeadqualError
from leadqual.intake.imports import (
    DEFAULT_SOURCE,
    ImportReport,
    import_leads_file,
    parse_map_options,
    read_map_file,
)


class Command(BaseCommand):
    help = (
        "Create or update leads from a CSV or XLSX export of HubSpot, Salesforce, "
        "Pipedrive or any spreadsheet (UTF-8 or Windows-1252). Columns are "
        "matched by header, in English or Dutch; every row needs an email. An "
        "interrupted import of the same file resumes. Example: leadqual "
        'import-leads crm.csv --map "Bedrijf=company" --dry-run'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="the CSV or XLSX file; its first row names the columns"
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
            "--map",
            action="append",
            default=[],
            metavar='"COLUMN=FIELD"',
            help=(
                'map a column to a lead field, or to "ignore"; repeatable, '
                'e.g. --map "Bedrijf=company"'
            ),
        )
        parser.add_argument(
            "--map-file",
            help='a TOML file of "Column name" = "field" lines (--map wins)',
        )
        parser.add_argument(
            "--sheet", help="the sheet of an XLSX workbook (default: the first)"
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="start an interrupted import of this file over instead of resuming",
        )
        add_no_progress_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ProgressBar("rows", enabled=not options["no_progress"])
        file_name = str(options["file"])

        def announce_resume(done: int, total: int) -> None:
            self.stdout.write(
                f"Resuming import of {file_name} at row {done + 1:,} of {total:,} "
                "(the rows before were imported by an interrupted run; use "
                "--restart to start over)."
            )

        try:
            mapping = read_map_file(options["map_file"]) if options["map_file"] else {}
            mapping.update(parse_map_options(options["map"]))
            report = import_leads_file(
                file_name,
                source=options["source"],
                dry_run=options["dry_run"],
                now=timezone.now(),
                on_progress=progress,
                on_resume=announce_resume,
                mapping=mapping,
                sheet=options["sheet"],
                restart=options["restart"],
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
            separated = (
                f", separated by {report.delimiter!r}" if report.delimiter else ""
            )
            out.write(
                f"Read {report.file_name} as {report.encoding}{separated}. "
                f"Columns: {mapped}."
            )
        if report.tool != "unknown":
            out.write(f"Recognised a {report.tool_label} export.")
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
