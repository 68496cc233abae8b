"""``leadqual send-weekly-report``: mail a week's KPIs now, for cron users."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.core.errors import LeadqualError
from leadqual.insights.report import send_weekly_report


def _week(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f'--week must be a date written YYYY-MM-DD, got "{value}". '
            "Use for example --week 2026-11-23."
        ) from None


class Command(BaseCommand):
    help = (
        "Mail the weekly KPI report to every active marketing and admin user "
        "with an email address. Each recipient gets each week once, so running "
        "this beside the Monday job (or twice) sends nothing more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--week",
            metavar="YYYY-MM-DD",
            help="a day of the week to report (default: last week)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        week = _week(options["week"]) if options["week"] else None
        try:
            result = send_weekly_report(now=timezone.now(), week_start=week)
        except LeadqualError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Weekly report of the week of {result.week_start.isoformat()}: "
            f"sent to {result.sent}, {result.already_sent} had it already."
        )
