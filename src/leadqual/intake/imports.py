"""Import leads from a CSV file: check every row, then write the good ones at once.

The command ``leadqual import-leads`` and (later) the upload page both call
``import_leads_file``. Columns are matched by their header, whatever the
case, spacing or punctuation, in English or Dutch ("E-mail", "Bedrijfsnaam").
Every row goes through ``intake.pipeline.submit_lead``, like a lead from the
API: upsert by email, then rescore.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction

from leadqual.core.errors import ImportFileError
from leadqual.intake.cleaning import clean_lead_fields
from leadqual.intake.pipeline import InvalidLeadData, submit_lead
from leadqual.leads.models import Lead

DEFAULT_SOURCE = "import"
DELIMITERS = (",", ";", "\t")
_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx and .ods files are zip archives
_QUERY_CHUNK = 500
_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")

# Header spellings per lead field, compared after ``header_key`` (so "E-mail",
# "e_mail" and "EMAIL" are one spelling). The field names match themselves.
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "e-mailadres"),
    "first_name": ("first name", "firstname", "given name", "voornaam"),
    "last_name": ("last name", "lastname", "surname", "family name", "achternaam"),
    "company": ("company", "company name", "organisation", "bedrijf", "bedrijfsnaam"),
    "job_title": ("job title", "title", "position", "functie", "functietitel"),
    "phone": ("phone", "phone number", "telephone", "telefoon", "telefoonnummer"),
    "sector": ("sector", "industry", "branche"),
    "employees": (
        "employees",
        "number of employees",
        "medewerkers",
        "aantal medewerkers",
    ),
    "budget_euros": ("budget", "budget euros", "budget (euros)", "budget in euros"),
    "urgency": ("urgency", "urgentie"),
    "country": ("country", "country code", "land"),
    "region": ("region", "regio", "provincie", "province"),
    "source": ("source", "lead source", "bron"),
}

ProgressCallback = Callable[[int, int], None]


def header_key(header: str) -> str:
    """The header in lower case without spaces and punctuation: "E-mail" -> "email"."""
    return _NOT_A_LETTER_OR_DIGIT.sub("", header.casefold())


_FIELD_BY_KEY: Mapping[str, str] = {
    header_key(spelling): name
    for name, spellings in COLUMN_ALIASES.items()
    for spelling in (name, *spellings)
}


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One bad value: the row number as a spreadsheet shows it, and the column."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column is None:
            return f"Row {self.row}: {self.message}"
        return f'Row {self.row}, column "{self.column}": {self.message}'


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported, with every problem found in it."""

    row: int
    problems: tuple[RowProblem, ...]


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    file_name: str
    encoding: str
    delimiter: str
    dry_run: bool
    # Header as written in the file -> lead field.
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def kept(self) -> int:
        """Rows that were (or would be) written."""
        return self.created + self.updated

    @property
    def problems(self) -> list[RowProblem]:
        """Every problem of every rejected row, in row order."""
        return [problem for row in self.rejected for problem in row.problems]


@dataclass(frozen=True, slots=True)
class _GoodRow:
    row: int
    email: str
    fields: dict[str, str]


def _read_text(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f'The file "{path}" does not exist.') from None
    except IsADirectoryError:
        raise ImportFileError(f'"{path}" is a folder, not a CSV file.') from None
    except OSError as error:
        raise ImportFileError(
            f'The file "{path}" cannot be read: {error.strerror}.'
        ) from None
    if data.startswith(_ZIP_MAGIC):
        raise ImportFileError(
            f'The file "{path.name}" is a spreadsheet (.xlsx) or zip file, not CSV. '
            'Save it as CSV first (in Excel: "Save As", "CSV UTF-8").'
        )
    # Excel on Windows saves "CSV" in Windows-1252 unless told to use UTF-8.
    encodings: tuple[str, ...] = (
        ("utf-8-sig",) if data.startswith(_UTF8_BOM) else ("utf-8", "cp1252")
    )
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        f'The file "{path}" is not text in UTF-8 or Windows-1252. '
        "Save it as CSV UTF-8 and try again."
    )


def _detect_delimiter(header_line: str) -> str:
    """The most frequent of comma, semicolon and tab in the header line.

    Header names rarely contain a delimiter, so counting there is more reliable
    than sniffing data rows full of addresses and amounts. A single column
    counts as comma-separated.
    """
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def _map_columns(
    header: Sequence[str], *, file_name: str
) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Column index -> field, header -> field, and the ignored headers."""
    by_index: dict[int, str] = {}
    by_header: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw_header in enumerate(header):
        name = raw_header.strip()
        if not name:
            continue
        field_name = _FIELD_BY_KEY.get(header_key(name))
        if field_name is None or field_name in by_index.values():
            ignored.append(name)
            continue
        by_index[index] = field_name
        by_header[name] = field_name
    if "email" not in by_index.values():
        found = ", ".join(f'"{name.strip()}"' for name in header if name.strip())
        raise ImportFileError(
            f'The file "{file_name}" has no email column (columns found: '
            f"{found or 'none'}). Every lead needs an email address: add a column "
            'named "Email".'
        )
    return by_index, by_header, ignored


def _check_row(
    row_number: int,
    cells: Sequence[str],
    *,
    columns: Mapping[int, str],
    headers: Mapping[str, str],
    width: int,
) -> _GoodRow | RejectedRow:
    extra = [cell for cell in cells[width:] if cell.strip()]
    if extra:
        return RejectedRow(
            row=row_number,
            problems=(
                RowProblem(
                    row=row_number,
                    column=None,
                    message=(
                        f"has {len(cells)} values but the header names {width} "
                        "columns. Put values that contain the delimiter in "
                        "double quotes."
                    ),
                ),
            ),
        )
    email = ""
    fields: dict[str, str] = {}
    for index, field_name in columns.items():
        value = cells[index] if index < len(cells) else ""
        if field_name == "email":
            email = value
        elif value.strip():
            # An empty cell leaves the stored value alone: a spreadsheet with a
            # blank column must not wipe what the lead told us before.
            fields[field_name] = value
    cleaned = clean_lead_fields(email, fields)
    if cleaned.errors or cleaned.email is None:
        header_of = {field_name: name for name, field_name in headers.items()}
        return RejectedRow(
            row=row_number,
            problems=tuple(
                RowProblem(
                    row=row_number,
                    column=header_of.get(field_name, field_name),
                    message=message,
                )
                for field_name, message in cleaned.errors.items()
            ),
        )
    return _GoodRow(row=row_number, email=cleaned.email, fields=fields)


def _check_source(source: str | None) -> str:
    cleaned = clean_lead_fields(None, {"source": source or DEFAULT_SOURCE})
    if "source" in cleaned.errors:
        raise InvalidLeadData(
            f'The source "{source}" {cleaned.errors["source"]}',
            fields={"source": cleaned.errors["source"]},
        )
    return str(cleaned.values["source"] or DEFAULT_SOURCE)


def _stored_emails(emails: set[str]) -> set[str]:
    """Which of these emails already belong to a lead."""
    ordered = sorted(emails)
    stored: set[str] = set()
    # In chunks: SQLite limits the number of parameters in one query.
    for start in range(0, len(ordered), _QUERY_CHUNK):
        chunk = ordered[start : start + _QUERY_CHUNK]
        stored.update(
            Lead.objects.filter(email__in=chunk).values_list("email", flat=True)
        )
    return stored


def import_leads_file(
    path: Path | str,
    *,
    source: str | None = None,
    dry_run: bool = False,
    now: datetime,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Check every row of a CSV file, then create or update the good rows' leads.

    All good rows are written in one transaction through
    ``intake.pipeline.submit_lead`` (upsert by email, rescore), so an error
    midway writes nothing. A later row with the same email updates the
    earlier one. Rows without a source get ``source`` (default "import") when
    they create a lead; an update keeps the lead's first source. A dry run
    checks and counts without writing.

    ``on_progress(done, total)`` is called after each good row is written
    (in a dry run: after each row is checked); an exception it raises rolls
    the whole import back.

    Returns an ImportReport; bad rows are listed in it, not raised. Raises
    ImportFileError when the file cannot be read, is not CSV, or has no
    email column, and InvalidLeadData when ``source`` is too long.
    """
    lead_source = _check_source(source)
    path = Path(path)
    text, encoding = _read_text(path)
    header_line = text.lstrip("\ufeff").split("\n", 1)[0]
    if not header_line.strip():
        raise ImportFileError(
            f'The file "{path.name}" is empty or its first line is blank. '
            "The first line must name the columns, for example: Email,Company."
        )
    delimiter = _detect_delimiter(header_line)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(
            f'The file "{path.name}" is not a CSV file leadqual can read: {error}.'
        ) from None
    header, data = records[0], records[1:]
    columns, headers, ignored = _map_columns(header, file_name=path.name)
    report = ImportReport(
        file_name=path.name,
        encoding=encoding,
        delimiter=delimiter,
        dry_run=dry_run,
        columns=headers,
        ignored_columns=ignored,
    )

    good: list[_GoodRow] = []
    for row_number, cells in enumerate(data, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        report.rows += 1
        checked = _check_row(
            row_number, cells, columns=columns, headers=headers, width=len(header)
        )
        if isinstance(checked, RejectedRow):
            report.rejected.append(checked)
        else:
            good.append(checked)

    stored = _stored_emails({row.email for row in good})
    if dry_run:
        seen = set(stored)
        for done, row in enumerate(good, start=1):
            if row.email in seen:
                report.updated += 1
            else:
                report.created += 1
                seen.add(row.email)
            if on_progress is not None:
                on_progress(done, len(good))
        return report

    with transaction.atomic():
        for done, row in enumerate(good, start=1):
            fields: dict[str, str] = dict(row.fields)
            if row.email not in stored and "source" not in fields:
                fields["source"] = lead_source
            arrival = submit_lead(row.email, fields, now=now, trigger="import")
            stored.add(row.email)
            if arrival.created:
                report.created += 1
            else:
                report.updated += 1
            if on_progress is not None:
                on_progress(done, len(good))
    return report
