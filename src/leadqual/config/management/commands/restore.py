"""``leadqual restore FILE [--yes]``: replace the database with a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone

from leadqual.config.backup import (
    KIND_NAMES,
    BackupFailed,
    DatabaseKind,
    database_kind,
    read_backup_metadata,
    restore_backup,
)


class Command(BaseCommand):
    help = (
        "Replace everything in the configured database with a backup made by "
        "`leadqual backup`. Stop `leadqual serve` and the worker first. "
        "See docs/backup.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the backup file (.tar)")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="do not ask for confirmation (for scripts)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]).expanduser()
        database = settings.DATABASES["default"]
        try:
            info = read_backup_metadata(path)
            kind = database_kind(database)
        except BackupFailed as error:
            raise CommandError(error.message) from None
        target = (
            str(database["NAME"])
            if kind is DatabaseKind.SQLITE
            else f'"{database.get("NAME")}" on {database.get("HOST") or "localhost"}'
        )
        made_at = f"{timezone.localtime(info.created_at):%Y-%m-%d %H:%M:%S}"
        if not options["yes"]:
            self.stdout.write(
                f"This replaces everything in the {KIND_NAMES[kind]} database {target} "
                f"with the backup of {made_at} (leadqual {info.leadqual_version}).\n"
                "Stop `leadqual serve` and `leadqual worker` first: a running server "
                "would keep writing to the old data."
            )
            answer = input("Type yes to restore: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was restored: the answer was not yes.")
        # The restore writes the database from outside Django's connection.
        connections.close_all()
        try:
            restore_backup(path, database)
        except BackupFailed as error:
            raise CommandError(error.message) from None
        self.stderr.write(
            f"Restored the backup of {made_at} into {target}. Run `leadqual migrate` "
            "if it was made by an older leadqual, then start the server again.",
            style_func=lambda text: text,
        )
