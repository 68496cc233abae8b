"""The erasure record: every erasure, by keyed hash, in a file outside the database.

A backup made before an erasure still holds the person. The record lets
``leadqual restore`` erase them again: one JSON line per erasure in
``$LEADQUAL_DATA_DIR/erasures.jsonl``, holding HMAC-SHA256 hashes (keyed with
the secret key, as suppressions are) of the person's emails and phone
numbers, never the values. The file is created with mode 0600 and only ever
appended to. See docs/backup.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, TypedDict

from django.conf import settings

from leadqual.core.errors import LeadqualError
from leadqual.privacy.suppression import contact_hash

RECORD_FORMAT: Final = 1  # 1: lead id, email and phone hashes, key fingerprint
RECORD_FILE: Final = "erasures.jsonl"
# Hashed with the secret key: tells whether a line was written under this key.
_FINGERPRINT_MESSAGE: Final = b"leadqual erasure record"


class ErasureRecordError(LeadqualError):
    """The erasure record cannot be written or read."""

    code = "erasure_record_error"


class RecordLine(TypedDict):
    format: int
    erased_at: str
    lead_id: int
    key: str
    emails: list[str]
    phones: list[str]


@dataclass(frozen=True, slots=True)
class RecordedErasure:
    """One erasure as the record keeps it: hashes only."""

    erased_at: datetime
    lead_id: int
    key: str
    email_hashes: tuple[str, ...]
    phone_hashes: tuple[str, ...]

    @property
    def has_this_key(self) -> bool:
        """True when written under the current secret key (its hashes can match)."""
        return hmac.compare_digest(self.key, key_fingerprint())


def record_path() -> Path:
    """Where the record lives: in the data directory, beside the database."""
    return Path(settings.DATA_DIR) / RECORD_FILE


def key_fingerprint() -> str:
    """A short HMAC of a fixed text under the secret key; reveals nothing of it."""
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


def record_erasure(
    lead_id: int, emails: Sequence[str], phones: Sequence[str], *, now: datetime
) -> None:
    """Append one erasure to the record and flush it to disk.

    Call inside the erasure's transaction: when the record cannot be written
    the erasure is rolled back, so no erasure is ever missing from it.
    Raises ErasureRecordError.
    """
    line: RecordLine = {
        "format": RECORD_FORMAT,
        "erased_at": now.isoformat(),
        "lead_id": lead_id,
        "key": key_fingerprint(),
        "emails": [contact_hash(email) for email in emails],
        "phones": [contact_hash(phone) for phone in phones],
    }
    data = (json.dumps(line, separators=(",", ":")) + "\n").encode("ascii")
    path = record_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: concurrent erasures each add their whole line.
        handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(handle, data)
            os.fsync(handle)
        finally:
            os.close(handle)
    except OSError as error:
        raise ErasureRecordError(
            f'Cannot write the erasure record "{path}": {error.strerror}. Nothing '
            "was erased. Make the data directory writable for leadqual and try again."
        ) from None


def read_record() -> list[RecordedErasure]:
    """Every recorded erasure, oldest first; [] when nothing was recorded.

    Raises ErasureRecordError naming the line that cannot be read.
    """
    path = record_path()
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise ErasureRecordError(
            f'Cannot read the erasure record "{path}": {error}. Check its permissions.'
        ) from None
    lines = text.split("\n")
    # A line without its newline is a write cut off by a crash: its erasure
    # was rolled back with it (the record is written before the commit).
    lines.pop()
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            found.append(
                RecordedErasure(
                    erased_at=datetime.fromisoformat(str(raw["erased_at"])),
                    lead_id=int(raw["lead_id"]),
                    key=str(raw["key"]),
                    email_hashes=tuple(str(value) for value in raw["emails"]),
                    phone_hashes=tuple(str(value) for value in raw["phones"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            raise ErasureRecordError(
                f'Line {number} of the erasure record "{path}" is damaged. Restore '
                "the file from a copy; each line is one erasure."
            ) from None
    return found
