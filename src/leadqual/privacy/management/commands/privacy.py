"""``leadqual privacy export EMAIL``, ``leadqual privacy erase EMAIL`` and
``leadqual privacy reapply`` (erase again everyone in the erasure record)."""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leadqual.core.errors import LeadqualError
from leadqual.privacy.services import (
    erase_person,
    export_person,
    find_lead_by_email,
    reapply_recorded_erasures,
)


def _cli_actor() -> str:
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):
        return "command line"


class Command(BaseCommand):
    help = (
        "Export or erase everything leadqual stores about one person, by email, or "
        "re-apply the recorded erasures after restoring a backup."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser(
            "export", help="Print or save the person's data as JSON or CSV."
        )
        export.add_argument("email")
        export.add_argument("--format", choices=("json", "csv"), default="json")
        export.add_argument(
            "--output", type=Path, help="Write to this file instead of the screen."
        )
        erase = actions.add_parser(
            "erase", help="Erase the person and block them from coming back."
        )
        erase.add_argument("email")
        erase.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation."
        )
        actions.add_parser(
            "reapply",
            help="Erase again everyone in the erasure record, e.g. after restoring "
            "a backup made before their erasure (leadqual restore does this itself).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "reapply":
            try:
                reapplied = reapply_recorded_erasures(now=timezone.now())
            except LeadqualError as error:
                raise CommandError(error.message) from None
            self.stdout.write(reapplied.summary())
            return
        try:
            lead = find_lead_by_email(options["email"])
        except LeadqualError as error:
            raise CommandError(error.message) from None
        if options["action"] == "export":
            body = export_person(
                lead,
                actor=_cli_actor(),
                now=timezone.now(),
                file_format=options["format"],
            )
            output: Path | None = options["output"]
            if output is None:
                self.stdout.write(body, ending="" if body.endswith("\n") else "\n")
                return
            try:
                output.write_text(body, encoding="utf-8")
            except OSError as error:
                raise CommandError(
                    f'Cannot write "{output}": {error.strerror}. Choose another path.'
                ) from None
            self.stdout.write(f"Wrote the data of lead {lead.pk} to {output}.")
            return
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError(
                    "Erasing cannot be undone and there is no terminal to confirm on. "
                    "Add --yes to erase without asking."
                )
            answer = input(
                f"Erase lead {lead.pk} and everything about this person? "
                "This cannot be undone. Type yes to erase: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was erased.")
        try:
            result = erase_person(lead, actor=_cli_actor(), now=timezone.now())
        except LeadqualError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Erased lead {result.lead_id}: {result.summary()}.")
