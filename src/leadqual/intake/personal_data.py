"""Personal data in intake's models and files (see core/personal_data.py).

Visitors are deleted with the person: their id is a cookie in the person's
browser. An import's report quotes rows of the file, so it is swept like any
other text. Upload files (``$LEADQUAL_DATA_DIR/imports/``) that name the person
are deleted; the stored API answers (``IdempotentRequest``) are declared with
the API's own eraser in ``config/personal_data.py``, because the API above
this app owns those rows.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from leadqual.core.errors import LeadqualError
from leadqual.core.personal_data import ErasedPerson, Erasure, Matcher, PersonalFields
from leadqual.intake.imports import read_table

UPLOAD_FOLDER = "imports"

PERSONAL_DATA = (
    # A keyed hash of the address a form came from (rate limit).
    PersonalFields("intake.FormAttempt", not_personal=("address_hash",)),
    # The identify secret is a key of the site, shared with its backend only.
    PersonalFields(
        "intake.TrackedSite", not_personal=("name", "origin", "identify_secret")
    ),
    PersonalFields(
        "intake.VisitorEvent",
        personal=("properties", "external_id"),
        not_personal=("type",),
        lead="visitor__lead",
        erasure=Erasure.DELETE,
    ),
    PersonalFields(
        "intake.Visitor",
        personal=("visitor_id",),
        lead="lead",
        erasure=Erasure.DELETE,
    ),
    # A form sent with a known email, waiting for its confirmation: what the
    # person typed, and their visitor id. The link's token is stored hashed.
    PersonalFields(
        "intake.PendingFormSubmission",
        personal=("fields", "answers", "visitor_id"),
        not_personal=("language", "token_hash"),
        lead="lead",
        erasure=Erasure.DELETE,
    ),
    PersonalFields(
        "intake.ImportJob",
        personal=("file_name", "report", "error"),
        not_personal=("file_sha256", "source", "status", "mapping"),
    ),
)


def _names_person(path: Path, matcher: Matcher) -> bool:
    """True when a CSV or XLSX upload holds any of the person's identifiers.

    Each row is searched as one line, so a name split over a first-name and
    a last-name column is found too. A file that does not read as a table is
    searched as text.
    """
    try:
        table = read_table(path)
        if matcher.mentions(" ".join(table.header)):
            return True
        return any(matcher.mentions(" ".join(cells)) for _row, cells in table.rows())
    except LeadqualError:
        text = path.read_bytes().decode("utf-8", errors="replace")
        return matcher.mentions(text)


def erase_upload_files(person: ErasedPerson) -> int:
    """Delete every uploaded import file that names the person; returns how many.

    Also the file of an import that is still running: the import keeps
    reading the file it opened, and looks up erased people again for each
    batch, so the person's rows are rejected; a retry of that import finds
    the file gone and fails saying so. Uploads that do not name the person
    stay (until their import ends, see ``intake.uploads``).
    """
    folder = Path(settings.DATA_DIR) / UPLOAD_FOLDER
    if not folder.is_dir():
        return 0
    matcher = person.matcher()
    deleted = 0
    for path in sorted(folder.iterdir()):
        if path.is_file() and _names_person(path, matcher):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


ERASE_FILES = (erase_upload_files,)
