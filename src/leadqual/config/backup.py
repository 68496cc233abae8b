"""Online, consistent backups of the leadqual database, and their restore.

A backup is a tar file holding two members:

- ``metadata.json``: format version, leadqual version, database kind, creation
  time and the SHA-256 of the database member;
- ``database.sqlite3`` (SQLite, copied with SQLite's online backup API, which
  reads one consistent snapshot while the server keeps writing in WAL mode) or
  ``database.pgdump`` (PostgreSQL, ``pg_dump --format=custom``, which dumps one
  transaction snapshot).

The password of a PostgreSQL connection goes to pg_dump and pg_restore in the
PGPASSWORD environment variable, never on the command line (where ``ps`` would
show it). See docs/backup.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any, Final, TypedDict

from leadqual.core.errors import LeadqualError

BACKUP_FORMAT: Final = 1  # 1: tar with metadata.json and one database member
METADATA_MEMBER: Final = "metadata.json"
PG_TIMEOUT_SECONDS: Final = 3600


class DatabaseKind(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


DATABASE_MEMBERS: Final[Mapping[DatabaseKind, str]] = {
    DatabaseKind.SQLITE: "database.sqlite3",
    DatabaseKind.POSTGRESQL: "database.pgdump",
}
KIND_NAMES: Final[Mapping[DatabaseKind, str]] = {
    DatabaseKind.SQLITE: "SQLite",
    DatabaseKind.POSTGRESQL: "PostgreSQL",
}


class BackupFailed(LeadqualError):
    """A backup could not be written, read or restored."""

    code = "backup_failed"


class MetadataJson(TypedDict):
    format: int
    leadqual_version: str
    database: str
    created_at: str
    sha256: str


@dataclass(frozen=True, slots=True)
class BackupMetadata:
    """What a backup file says about itself."""

    format: int
    leadqual_version: str
    database: DatabaseKind
    created_at: datetime
    sha256: str

    def as_json(self) -> MetadataJson:
        return {
            "format": self.format,
            "leadqual_version": self.leadqual_version,
            "database": self.database.value,
            "created_at": self.created_at.isoformat(),
            "sha256": self.sha256,
        }


def leadqual_version() -> str:
    """The installed leadqual version, or "unknown" when run from a bare checkout."""
    try:
        return metadata.version("leadqual")
    except metadata.PackageNotFoundError:
        return "unknown"


def database_kind(database: Mapping[str, Any]) -> DatabaseKind:
    """SQLite or PostgreSQL, from a Django DATABASES entry; raises BackupFailed else."""
    engine = str(database.get("ENGINE", ""))
    if engine in ("django.db.backends.sqlite3", "leadqual.config.sqlite_backend"):
        return DatabaseKind.SQLITE
    if engine == "django.db.backends.postgresql":
        return DatabaseKind.POSTGRESQL
    raise BackupFailed(
        f'leadqual backs up SQLite and PostgreSQL only; the database engine is "{engine}". '
        "Use your database's own backup tool."
    )


# --- backup ---------------------------------------------------------------------


def create_backup(
    database: Mapping[str, Any], output: Path, *, now: datetime
) -> BackupMetadata:
    """Write a consistent backup of ``database`` (a DATABASES entry) to ``output``.

    The database may be in use. The file appears only when complete (written
    beside it, then renamed). Raises BackupFailed with what to do.
    """
    kind = database_kind(database)
    output = output.resolve()
    if not output.parent.is_dir():
        raise BackupFailed(
            f'The folder "{output.parent}" does not exist. Create it or choose another '
            "--output."
        )
    with tempfile.TemporaryDirectory(
        prefix=".leadqual-backup-", dir=output.parent
    ) as tmp:
        dump = Path(tmp) / DATABASE_MEMBERS[kind]
        if kind is DatabaseKind.SQLITE:
            _copy_sqlite(Path(str(database["NAME"])), dump)
        else:
            _run_pg(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                    str(dump),
                ],
                database,
                what="pg_dump",
            )
        info = BackupMetadata(
            format=BACKUP_FORMAT,
            leadqual_version=leadqual_version(),
            database=kind,
            created_at=now,
            sha256=_sha256_of(dump),
        )
        partial = Path(tmp) / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            text = json.dumps(info.as_json(), indent=2).encode("utf-8")
            member = tarfile.TarInfo(METADATA_MEMBER)
            member.size = len(text)
            member.mtime = int(now.timestamp())
            archive.addfile(member, io.BytesIO(text))
            archive.add(dump, arcname=dump.name)
        # The backup holds every lead's personal data: its owner's eyes only.
        partial.chmod(0o600)
        partial.replace(output)
    return info


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy one consistent snapshot of a live SQLite database into a single file."""
    if not source.is_file():
        raise BackupFailed(
            f'The SQLite database "{source}" does not exist. Check LEADQUAL_DATA_DIR or '
            "DATABASE_URL, or run `leadqual migrate` first."
        )
    # Not read-only: a reader of a WAL database may need to create the -shm file.
    live = sqlite3.connect(source, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # pages=-1 copies everything in one step under one read transaction:
        # a consistent snapshot, even while the server writes to the WAL.
        live.backup(copy, pages=-1)
        # A single self-contained file, without a -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupFailed(
            f'Could not copy the SQLite database "{source}": {error}. Check that the file '
            "is readable and that the disk is not full, then run the backup again."
        ) from None
    finally:
        copy.close()
        live.close()
    _check_sqlite(target, where=str(source))


def _check_sqlite(path: Path, *, where: str) -> None:
    """Raise BackupFailed unless ``path`` is an intact leadqual SQLite database."""
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
            has_migrations = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupFailed(
            f"The SQLite database in {where} cannot be read ({error}). Use another backup."
        ) from None
    if verdict != "ok":
        raise BackupFailed(
            f"The SQLite database in {where} is damaged (integrity check: {verdict}). "
            "Use another backup."
        )
    if has_migrations is None:
        raise BackupFailed(
            f"The SQLite database in {where} is not a leadqual database (it has no "
            "django_migrations table). Use a backup made by `leadqual backup`."
        )


# --- reading --------------------------------------------------------------------


def read_backup_metadata(path: Path) -> BackupMetadata:
    """The metadata of a backup file; raises BackupFailed when it is not one."""
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(METADATA_MEMBER)
            if member is None:
                raise KeyError(METADATA_MEMBER)
            raw = json.loads(member.read().decode("utf-8"))
    except FileNotFoundError:
        raise BackupFailed(f'There is no file "{path}". Check the path.') from None
    except (tarfile.TarError, KeyError, ValueError, OSError):
        raise BackupFailed(
            f'"{path}" is not a leadqual backup (no readable {METADATA_MEMBER} inside). '
            "Use a file made by `leadqual backup`."
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != BACKUP_FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else None
        raise BackupFailed(
            f'"{path}" has backup format {found!r}; this leadqual reads format '
            f"{BACKUP_FORMAT}. Restore it with the leadqual version that made it."
        )
    try:
        return BackupMetadata(
            format=BACKUP_FORMAT,
            leadqual_version=str(raw["leadqual_version"]),
            database=DatabaseKind(raw["database"]),
            created_at=datetime.fromisoformat(str(raw["created_at"])),
            sha256=str(raw["sha256"]),
        )
    except (KeyError, ValueError):
        raise BackupFailed(
            f'The metadata of "{path}" is incomplete or damaged. Use another backup.'
        ) from None


# --- restore --------------------------------------------------------------------


def restore_backup(path: Path, database: Mapping[str, Any]) -> BackupMetadata:
    """Replace the contents of ``database`` with the backup at ``path``.

    SQLite: the copy is checked (digest, integrity, a leadqual database) before
    anything is touched, then written into the live file with SQLite's backup
    API, in one transaction; stop the server first. PostgreSQL: ``pg_restore
    --clean --if-exists --single-transaction``. Raises BackupFailed, leaving the
    database as it was, when the backup does not fit or cannot be read.
    """
    info = read_backup_metadata(path)
    kind = database_kind(database)
    if info.database is not kind:
        raise BackupFailed(
            f'"{path}" is a backup of a {KIND_NAMES[info.database]} database, but '
            f"leadqual is configured for {KIND_NAMES[kind]}. Restore it with DATABASE_URL "
            f"pointing at {KIND_NAMES[info.database]}, or use a {KIND_NAMES[kind]} backup."
        )
    with tempfile.TemporaryDirectory(prefix="leadqual-restore-") as tmp:
        dump = Path(tmp) / DATABASE_MEMBERS[kind]
        _extract(path, DATABASE_MEMBERS[kind], dump)
        if _sha256_of(dump) != info.sha256:
            raise BackupFailed(
                f'"{path}" is damaged: its database does not match the digest it was '
                "made with. Use another backup."
            )
        if kind is DatabaseKind.SQLITE:
            _check_sqlite(dump, where=f'"{path}"')
            _restore_sqlite(dump, Path(str(database["NAME"])))
        else:
            _run_pg(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                    str(database.get("NAME", "")),
                    str(dump),
                ],
                database,
                what="pg_restore",
            )
    return info


def _extract(path: Path, name: str, target: Path) -> None:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(name)
            if member is None:
                raise KeyError(name)
            with target.open("wb") as out:
                shutil.copyfileobj(member, out)
    except (tarfile.TarError, KeyError, OSError):
        raise BackupFailed(
            f'"{path}" has no readable {name} inside. Use another backup.'
        ) from None


def _restore_sqlite(source: Path, target: Path) -> None:
    """Overwrite the live SQLite file ``target`` with ``source``, in one transaction."""
    target.parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    live = sqlite3.connect(target, timeout=30)
    try:
        # The backup API writes through SQLite's own locking and WAL, so the
        # -wal and -shm files beside the live file stay consistent with it.
        backup.backup(live, pages=-1)
        live.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise BackupFailed(
            f'Could not write the SQLite database "{target}": {error}. Stop `leadqual '
            "serve` and the worker, then run the restore again."
        ) from None
    finally:
        live.close()
        backup.close()


# --- helpers --------------------------------------------------------------------


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_environment(database: Mapping[str, Any]) -> dict[str, str]:
    """The environment for pg_dump and pg_restore: connection in PG* variables.

    The password travels in PGPASSWORD, so it never shows in a process list.
    """
    env = dict(os.environ)
    for name, setting in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        value = database.get(setting)
        if value:
            env[name] = str(value)
        else:
            env.pop(name, None)
    options: Mapping[str, Any] = database.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return env


def _run_pg(command: list[str], database: Mapping[str, Any], *, what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupFailed(
            f"{what} is not installed or not on PATH. Install the PostgreSQL client tools "
            "of your server's version (for example the postgresql-client package)."
        )
    try:
        result = subprocess.run(
            command,
            env=pg_environment(database),
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupFailed(
            f"{what} did not finish within {PG_TIMEOUT_SECONDS // 60} minutes. Check the "
            "database server and run it again."
        ) from None
    if result.returncode != 0:
        problem = (
            " ".join(result.stderr.split())[:500] or f"exit status {result.returncode}"
        )
        raise BackupFailed(
            f'{what} failed for database "{database.get("NAME")}" on '
            f"{database.get('HOST') or 'localhost'}: {problem}. Check DATABASE_URL and "
            "that the PostgreSQL client tools match the server version."
        )


__all__ = [
    "BACKUP_FORMAT",
    "BackupFailed",
    "BackupMetadata",
    "DatabaseKind",
    "create_backup",
    "database_kind",
    "read_backup_metadata",
    "restore_backup",
]
