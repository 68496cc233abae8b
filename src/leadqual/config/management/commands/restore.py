"""``leadqual restore FILE [--yes]``: replace the database with a backup.

After the restore the recorded erasures are applied again (a backup made
before an erasure still holds the person); see docs/backup.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from leadqual.config.backup import (
    KIND_NAMES,
    BackupFailed,
    DatabaseKind,
    database_kind,
    read_backup_metadata,
    restore_backup,
)
from leadqual.core.errors import LeadqualError
from leadqual.privacy.services import reapply_recorded_erasures


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
        self._reapply_erasures()

    def _reapply_erasures(self) -> None:
        """Erase again everyone erased since (or before) the backup was made."""
        if _has_pending_migrations():
            self.stderr.write(
                "The backup was made by an older leadqual, so the recorded erasures "
                "are not re-applied yet: run `leadqual migrate`, then "
                "`leadqual privacy reapply`.",
                style_func=lambda text: text,
            )
            return
        try:
            result = reapply_recorded_erasures(now=timezone.now())
        except LeadqualError as error:
            raise CommandError(
                f"The backup was restored, but the recorded erasures were not "
                f"re-applied: {error.message} Then run `leadqual privacy reapply`."
            ) from None
        self.stderr.write(result.summary(), style_func=lambda text: text)


def _has_pending_migrations() -> bool:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
