"""``leadqual backup [--output FILE]``: an online, consistent backup of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.config.backup import KIND_NAMES, BackupFailed, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite or PostgreSQL) into one file while leadqual "
        "keeps running. Restore it with `leadqual restore FILE`. See docs/backup.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="where to write the backup (default: "
            "$LEADQUAL_DATA_DIR/backups/leadqual-YYYYmmdd-HHMMSS.tar)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["output"]:
            output = Path(options["output"]).expanduser()
        else:
            folder = Path(settings.DATA_DIR) / "backups"
            folder.mkdir(parents=True, exist_ok=True)
            output = folder / f"leadqual-{now:%Y%m%d-%H%M%S}.tar"
        try:
            info = create_backup(settings.DATABASES["default"], output, now=now)
        except BackupFailed as error:
            raise CommandError(error.message) from None
        size = output.stat().st_size
        self.stdout.write(str(output.resolve()))
        self.stderr.write(
            f"Backed up the {KIND_NAMES[info.database]} database "
            f"({size:,} bytes, leadqual {info.leadqual_version}, "
            f"{timezone.localtime(info.created_at):%Y-%m-%d %H:%M:%S}).",
            style_func=lambda text: text,
        )
