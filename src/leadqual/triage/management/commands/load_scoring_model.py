"""``leadqual load-scoring-model FILE``: store a scoring model file as a new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.core.errors import InvalidScoringModel
from leadqual.scoring.services import load_scoring_model
from leadqual.triage.jobs import requalify_all_leads


class Command(BaseCommand):
    help = (
        "Check a scoring model file (TOML) and store it as the next version, "
        "active unless --no-activate. Activating a new version rescores every "
        "lead in the background and triages the band changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the scoring model (.toml)")
        parser.add_argument(
            "--no-activate",
            action="store_true",
            help="store the version without using it for new scores yet",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        source = _read_source(path)
        try:
            row, created = load_scoring_model(
                source, activate=not options["no_activate"], now=timezone.now()
            )
        except InvalidScoringModel as error:
            raise CommandError(
                f"{path.name}: {' '.join(error.message.split())}"
            ) from None
        if created:
            self.stdout.write(f'Loaded "{row.name}" as scoring model v{row.version}.')
        else:
            self.stdout.write(
                f"{path.name} is the same as scoring model v{row.version} "
                f'"{row.name}"; nothing new was stored.'
            )
        if row.is_active and created:
            # Every lead is rescored when its model changes, and every band
            # change triaged; the worker does it.
            requalify_all_leads()
            self.stdout.write(
                f"v{row.version} is active; every lead is being rescored under it "
                "by the background worker."
            )
        elif row.is_active:
            self.stdout.write(f"v{row.version} is active.")
        else:
            self.stdout.write(
                f"v{row.version} is not active. Load the file again without "
                "--no-activate to use it."
            )


def _read_source(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise CommandError(f'The file "{path}" does not exist.') from None
    except IsADirectoryError:
        raise CommandError(f'"{path}" is a folder, not a scoring model file.') from None
    except UnicodeDecodeError:
        raise CommandError(
            f'The file "{path}" is not UTF-8 text. Save it as UTF-8 and try again.'
        ) from None
    except OSError as error:
        raise CommandError(
            f'The file "{path}" cannot be read: {error.strerror}.'
        ) from None
