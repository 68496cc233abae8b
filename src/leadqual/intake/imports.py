"""Import leads from CRM exports (CSV or XLSX), in batches that survive a crash.

The command ``leadqual import-leads`` and the upload page both call
``import_leads_file``. Columns are matched by their header, whatever the
case, spacing or punctuation, as HubSpot, Salesforce and Pipedrive export
them, in English or Dutch ("E-mailadres", "Bedrijfsnaam", "Person - Name");
the detected mapping can be overridden column by column.

Every row is checked first; bad rows are reported with row number, column
and reason and never stop the good rows. The good rows are then written in
batches of ``BATCH_SIZE`` rows, each batch in one transaction together with
its ImportJob's progress (``rows_done``), so an import killed midway leaves
whole batches only and the same file imported again resumes after the last
committed batch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TypedDict
from zipfile import BadZipFile

from django.db import transaction
from django.utils import timezone

from leadqual.core.errors import ImportFileError
from leadqual.core.scoring import ScoreTrigger
from leadqual.intake.cleaning import (
    WRITABLE_FIELDS,
    clean_lead_fields,
    parse_date_time,
)
from leadqual.intake.models import ImportJob
from leadqual.intake.pipeline import (
    Arrivals,
    InvalidLeadData,
    receive,
    run_with_retry,
)
from leadqual.leads.models import Lead
from leadqual.leads.services import LeadInput
from leadqual.privacy.suppression import SUPPRESSED_MESSAGE, SuppressionList

DEFAULT_SOURCE = "import"
BATCH_SIZE = 500
DELIMITERS = (",", ";", "\t")
IGNORE = "ignore"
# Import-only targets besides the lead fields: a full name is split into first
# and last name; the CRM's creation date becomes a new lead's created_at.
FULL_NAME = "full_name"
CREATED_AT = "created_at"
TARGET_FIELDS: tuple[str, ...] = ("email", *WRITABLE_FIELDS, FULL_NAME, CREATED_AT)

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx files are zip archives
_QUERY_CHUNK = 500
_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")

# Header spellings per target, compared after ``header_key`` (so "E-mail",
# "e_mail" and "EMAIL" are one spelling). The field names match themselves.
# English and Dutch as HubSpot, Salesforce and Pipedrive export them.
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "e-mailadres",
        "person - email",
        "person - email - work",
        "person - email - home",
        "person - email - other",
        "persoon - e-mail",
        "persoon - e-mail - werk",
    ),
    "first_name": (
        "first name",
        "firstname",
        "given name",
        "voornaam",
        "person - first name",
        "persoon - voornaam",
    ),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "achternaam",
        "person - last name",
        "persoon - achternaam",
    ),
    FULL_NAME: (
        "name",
        "full name",
        "contact name",
        "naam",
        "volledige naam",
        "person - name",
        "persoon - naam",
    ),
    "company": (
        "company",
        "company name",
        "company / account",
        "account name",
        "associated company",
        "organisation",
        "organization",
        "organization - name",
        "organisation - name",
        "organisatie - naam",
        "bedrijf",
        "bedrijfsnaam",
    ),
    "job_title": (
        "job title",
        "title",
        "position",
        "functie",
        "functietitel",
        "person - job title",
    ),
    "phone": (
        "phone",
        "phone number",
        "mobile phone",
        "mobile phone number",
        "telephone",
        "telefoon",
        "telefoonnummer",
        "mobiel telefoonnummer",
        "person - phone",
        "person - phone - work",
        "person - phone - mobile",
        "persoon - telefoon",
    ),
    "sector": (
        "sector",
        "industry",
        "branche",
        "organization - industry",
        "organisatie - branche",
    ),
    "employees": (
        "employees",
        "number of employees",
        "no. of employees",
        "employee count",
        "medewerkers",
        "aantal medewerkers",
        "aantal werknemers",
        "organization - number of employees",
        "organization - employees",
    ),
    "budget_euros": (
        "budget",
        "budget euros",
        "budget (euros)",
        "budget in euros",
        "lead - value",
    ),
    "urgency": ("urgency", "urgentie"),
    "country": ("country", "country/region", "country code", "land", "land/regio"),
    "region": (
        "region",
        "state/region",
        "state",
        "state/province",
        "regio",
        "provincie",
        "province",
    ),
    "source": (
        "source",
        "lead source",
        "original source",
        "bron",
        "leadbron",
        "oorspronkelijke bron",
        "lead - source",
    ),
    CREATED_AT: (
        "create date",
        "created date",
        "aanmaakdatum",
        "person - person created",
        "person - created",
        "lead - lead created",
        "lead - created",
    ),
}

# Headers only one tool exports, to tell which tool made the file.
TOOL_LABELS: Mapping[str, str] = {
    "hubspot": "HubSpot",
    "salesforce": "Salesforce",
    "pipedrive": "Pipedrive",
    "unknown": "unknown",
}
_TOOL_HEADERS: Mapping[str, tuple[str, ...]] = {
    "hubspot": (
        "record id",
        "contact owner",
        "lifecycle stage",
        "create date",
        "last activity date",
        "company name",
        "original source",
        "record-id",
        "eigenaar contactpersoon",
        "levenscyclusfase",
        "aanmaakdatum",
        "bedrijfsnaam",
    ),
    "salesforce": (
        "lead id",
        "lead owner",
        "no. of employees",
        "annual revenue",
        "salutation",
        "rating",
        "company / account",
        "created date",
    ),
}
_PIPEDRIVE_PREFIXES = ("person", "organization", "organisation", "lead", "persoon")
_NAME_PARTS = ("first_name", "last_name")
_PIPEDRIVE_PREFIX = re.compile(r"^\s*(\w+)\s+-\s+")

# Country names CRMs export instead of ISO codes ("Country/Region").
COUNTRY_NAMES: Mapping[str, str] = {
    "netherlands": "NL",
    "the netherlands": "NL",
    "nederland": "NL",
    "holland": "NL",
    "belgium": "BE",
    "belgië": "BE",
    "belgie": "BE",
    "germany": "DE",
    "duitsland": "DE",
    "deutschland": "DE",
    "france": "FR",
    "frankrijk": "FR",
    "luxembourg": "LU",
    "luxemburg": "LU",
    "united kingdom": "GB",
    "verenigd koninkrijk": "GB",
    "united states": "US",
    "verenigde staten": "US",
    "india": "IN",
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


class RejectionJson(TypedDict):
    """One problem as stored in ImportJob.report."""

    row: int
    column: str | None
    message: str


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
    tool: str = "unknown"
    # Header as written in the file -> target field.
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    job_id: int | None = None
    # Rows already written by an earlier, interrupted run of the same file.
    resumed_after: int = 0

    @property
    def kept(self) -> int:
        """Rows that were (or would be) written."""
        return self.created + self.updated

    @property
    def tool_label(self) -> str:
        """The CRM that made the file, as people spell it."""
        return TOOL_LABELS.get(self.tool, self.tool)

    @property
    def problems(self) -> list[RowProblem]:
        """Every problem of every rejected row, in row order."""
        return [problem for row in self.rejected for problem in row.problems]


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and data rows (with their spreadsheet row numbers)."""

    file_name: str
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    digest: str


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which column feeds which target field, and which columns are ignored."""

    by_index: dict[int, str]
    by_header: dict[str, str]
    ignored: list[str]
    tool: str


@dataclass(frozen=True, slots=True)
class _GoodRow:
    row: int
    email: str
    values: dict[str, str | int | None]
    created_at: datetime | None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f'The file "{path}" does not exist.') from None
    except IsADirectoryError:
        raise ImportFileError(
            f'"{path}" is a folder, not a CSV or XLSX file.'
        ) from None
    except OSError as error:
        raise ImportFileError(
            f'The file "{path}" cannot be read: {error.strerror}.'
        ) from None


def _decode(data: bytes, *, file_name: str) -> tuple[str, str]:
    """The text and the encoding: UTF-8 (with or without BOM), else Windows-1252."""
    # Excel on Windows saves "CSV" in Windows-1252 unless told to use UTF-8.
    encodings = ("utf-8-sig",) if data.startswith(_UTF8_BOM) else ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        f'The file "{file_name}" is not text in UTF-8 or Windows-1252. '
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


def _read_csv(data: bytes, *, file_name: str, digest: str) -> Table:
    if b"\x00" in data:
        # UTF-16 text or a binary file; PostgreSQL cannot store NUL either.
        raise ImportFileError(
            f'The file "{file_name}" contains NUL characters: it is not a CSV file '
            "leadqual can read, or it was saved as UTF-16. Save it as CSV UTF-8 "
            "and try again."
        )
    text, encoding = _decode(data, file_name=file_name)
    header_line = text.lstrip("\ufeff").split("\n", 1)[0]
    if not header_line.strip():
        raise ImportFileError(
            f'The file "{file_name}" is empty or its first line is blank. '
            "The first line must name the columns, for example: Email,Company."
        )
    delimiter = _detect_delimiter(header_line)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(
            f'The file "{file_name}" is not a CSV file leadqual can read: {error}.'
        ) from None
    return Table(
        file_name=file_name,
        encoding=encoding,
        delimiter=delimiter,
        header=records[0],
        rows=list(enumerate(records[1:], start=2)),
        digest=digest,
    )


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, *, sheet: str | None, digest: str) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
        raise ImportFileError(
            f'The file "{path.name}" is not an Excel workbook leadqual can read '
            f"({error}). Save it again as .xlsx or as CSV UTF-8."
        ) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            names = ", ".join(f'"{name}"' for name in workbook.sheetnames)
            raise ImportFileError(
                f'The workbook "{path.name}" has no sheet "{sheet}". '
                f"Its sheets are: {names}."
            )
        records = [
            [_cell_text(value) for value in row]
            for row in worksheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportFileError(
            f'The first row of the sheet in "{path.name}" is empty. '
            "It must name the columns, for example: Email, Company."
        )
    return Table(
        file_name=path.name,
        encoding="xlsx",
        delimiter="",
        header=records[0],
        rows=list(enumerate(records[1:], start=2)),
        digest=digest,
    )


def read_table(path: Path | str, *, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX file: header, rows, encoding and SHA-256 digest.

    Raises ImportFileError when the file is missing, unreadable, not text in
    UTF-8 or Windows-1252, or not a workbook openpyxl can open.
    """
    path = Path(path)
    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(path, sheet=sheet, digest=digest)
    return _read_csv(data, file_name=path.name, digest=digest)


def detect_tool(header: Sequence[str]) -> str:
    """Which CRM exported a file with this header: hubspot, salesforce,
    pipedrive, or unknown."""
    prefixed = sum(
        1
        for name in header
        if (found := _PIPEDRIVE_PREFIX.match(name))
        and found.group(1).casefold() in _PIPEDRIVE_PREFIXES
    )
    keys = {header_key(name) for name in header}
    scores = {
        tool: sum(1 for name in names if header_key(name) in keys)
        for tool, names in _TOOL_HEADERS.items()
    }
    scores["pipedrive"] = prefixed
    best = max(scores, key=lambda tool: scores[tool])
    return best if scores[best] > 0 else "unknown"


def _check_target(target: str, *, column: str) -> str:
    name = target.strip()
    if name in (IGNORE, ""):
        return IGNORE
    if name not in TARGET_FIELDS:
        known = ", ".join(TARGET_FIELDS)
        raise ImportFileError(
            f'Column "{column}" is mapped to "{target}", which is not a lead field. '
            f'Use one of {known}, or "{IGNORE}" to skip the column.'
        )
    return name


def map_columns(
    header: Sequence[str],
    *,
    file_name: str,
    overrides: Mapping[str, str] | None = None,
) -> ColumnMapping:
    """Match each column to a target field by its header, then apply overrides.

    ``overrides`` maps a header (as written, or any spelling with the same
    ``header_key``) to a target field or "ignore". Raises ImportFileError for
    an override naming an unknown column or field, and when no column holds
    the email address.
    """
    wanted: dict[str, str] = {}
    for column, target in (overrides or {}).items():
        wanted[header_key(column)] = _check_target(target, column=column)
    present = {header_key(name) for name in header}
    unknown_columns = [
        column for column in overrides or {} if header_key(column) not in present
    ]
    if unknown_columns:
        found = ", ".join(f'"{name.strip()}"' for name in header if name.strip())
        raise ImportFileError(
            f'The mapping names the column "{unknown_columns[0]}", which '
            f'"{file_name}" does not have. Its columns are: {found}.'
        )
    by_index: dict[int, str] = {}
    by_header: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw_header in enumerate(header):
        name = raw_header.strip()
        if not name:
            continue
        key = header_key(name)
        target = wanted.get(key, _FIELD_BY_KEY.get(key, IGNORE))
        if target == IGNORE or target in by_index.values():
            ignored.append(name)
            continue
        by_index[index] = target
        by_header[name] = target
    if "email" not in by_index.values():
        found = ", ".join(f'"{name.strip()}"' for name in header if name.strip())
        raise ImportFileError(
            f'The file "{file_name}" has no email column (columns found: '
            f"{found or 'none'}). Every lead needs an email address: add a column "
            'named "Email", or map one with --map "Column=email".'
        )
    return ColumnMapping(
        by_index=by_index,
        by_header=by_header,
        ignored=ignored,
        tool=detect_tool(header),
    )


def parse_map_options(options: Sequence[str]) -> dict[str, str]:
    """``--map "Column name=field"`` options as a dict; raise ImportFileError."""
    mapping: dict[str, str] = {}
    for option in options:
        column, equals, target = option.rpartition("=")
        if not equals or not column.strip():
            raise ImportFileError(
                f'--map "{option}" has no "=". Write it as --map "Column name=field", '
                'for example --map "Bedrijf=company".'
            )
        mapping[column.strip()] = target.strip()
    return mapping


def read_map_file(path: Path | str) -> dict[str, str]:
    """A TOML mapping file: ``"Column name" = "field"``, at the top or in [columns].

    Raises ImportFileError when the file is missing, not TOML, or has a
    value that is not text.
    """
    path = Path(path)
    try:
        document = tomllib.loads(_read_bytes(path).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ImportFileError(
            f'The mapping file "{path}" is not valid TOML: {error}. '
            'Write one line per column: "Column name" = "field".'
        ) from None
    table = document.get("columns", document)
    mapping: dict[str, str] = {}
    for column, target in table.items() if isinstance(table, dict) else ():
        if not isinstance(target, str):
            raise ImportFileError(
                f'In the mapping file "{path}", column "{column}" must map to a '
                f'field name in quotes, for example "{column}" = "company".'
            )
        mapping[column] = target
    return mapping


def _split_full_name(name: str) -> tuple[str, str]:
    """ "Jan de Vries" -> ("Jan", "de Vries"): Dutch surnames keep their prefix."""
    first, _space, last = name.strip().partition(" ")
    return first, last.strip()


def _check_row(
    row_number: int,
    cells: Sequence[str],
    *,
    mapping: ColumnMapping,
    width: int,
    suppressed: SuppressionList,
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
    header_of = {target: name for name, target in mapping.by_header.items()}
    email = ""
    fields: dict[str, str] = {}
    full_name = ""
    created_text = ""
    for index, target in mapping.by_index.items():
        value = cells[index].strip() if index < len(cells) else ""
        if target == "email":
            email = value
        elif target == FULL_NAME:
            full_name = value
        elif target == CREATED_AT:
            created_text = value
        elif value:
            # An empty cell leaves the stored value alone: a spreadsheet with a
            # blank column must not wipe what the lead told us before.
            fields[target] = value
    if full_name:
        first, last = _split_full_name(full_name)
        fields.setdefault("first_name", first)
        if last:
            fields.setdefault("last_name", last)
    if "country" in fields:
        fields["country"] = COUNTRY_NAMES.get(
            fields["country"].casefold(), fields["country"]
        )
    cleaned = clean_lead_fields(email, fields)
    problems = [
        RowProblem(
            row=row_number,
            column=header_of.get(name)
            or header_of.get(FULL_NAME if name in _NAME_PARTS else name, name),
            message=message,
        )
        for name, message in cleaned.errors.items()
    ]
    created_at: datetime | None = None
    if created_text:
        try:
            created_at = parse_date_time(
                created_text, tz=timezone.get_current_timezone()
            )
        except ValueError as error:
            problems.append(
                RowProblem(
                    row=row_number, column=header_of[CREATED_AT], message=str(error)
                )
            )
    if problems or cleaned.email is None:
        return RejectedRow(row=row_number, problems=tuple(problems))
    phone = cleaned.values.get("phone")
    if suppressed.contains(cleaned.email, str(phone) if phone else None):
        problem = RowProblem(
            row=row_number, column=header_of.get("email"), message=SUPPRESSED_MESSAGE
        )
        return RejectedRow(row=row_number, problems=(problem,))
    return _GoodRow(
        row=row_number,
        email=cleaned.email,
        values=dict(cleaned.values),
        created_at=created_at,
    )


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


def _rejection_json(rejected: RejectedRow) -> list[RejectionJson]:
    return [
        {"row": problem.row, "column": problem.column, "message": problem.message}
        for problem in rejected.problems
    ]


def _rejections_from_json(entries: Sequence[RejectionJson]) -> list[RejectedRow]:
    by_row: dict[int, list[RowProblem]] = {}
    for entry in entries:
        by_row.setdefault(entry["row"], []).append(
            RowProblem(
                row=entry["row"], column=entry["column"], message=entry["message"]
            )
        )
    return [
        RejectedRow(row=row, problems=tuple(found)) for row, found in by_row.items()
    ]


def _write_batch(
    rows: Sequence[_GoodRow], *, source: str, now: datetime
) -> tuple[int, int]:
    """Create or update the leads of one batch through the intake pipeline.

    One ``receive`` per batch: the same clean -> store -> score -> triage as
    every other way in, with a constant number of queries per batch.
    Returns (created, updated), counting rows: a second row for a new email
    counts as an update. Must run inside a transaction.
    """
    received = receive(
        Arrivals(
            source="import",
            trigger=ScoreTrigger.IMPORT,
            leads=[
                LeadInput(row.email, row.values, created_at=row.created_at)
                for row in rows
            ],
            new_lead_source=source,
        ),
        now=now,
    )
    created_emails = {
        email for email, outcome in received.leads.items() if outcome.created
    }
    created = updated = 0
    seen: set[str] = set()
    for row in rows:
        if row.email in created_emails and row.email not in seen:
            created += 1
        else:
            updated += 1
        seen.add(row.email)
    return created, updated


def _dry_run(report: ImportReport, good: Sequence[_GoodRow]) -> None:
    seen = _stored_emails({row.email for row in good})
    for row in good:
        if row.email in seen:
            report.updated += 1
        else:
            report.created += 1
            seen.add(row.email)


def _find_or_start_job(
    table: Table,
    report: ImportReport,
    *,
    source: str,
    restart: bool,
    job_id: int | None,
    started_by_id: int | None,
) -> ImportJob:
    if job_id is not None:
        job = ImportJob.objects.get(pk=job_id)
    else:
        running = ImportJob.objects.filter(
            file_sha256=table.digest, status="running"
        ).order_by("-id")
        job_or_none = None if restart else running.first()
        if restart:
            running.update(status="failed", finished_at=timezone.now())
        if job_or_none is None:
            job_or_none = ImportJob.objects.create(
                file_name=table.file_name[:255],
                file_sha256=table.digest,
                source=source,
                started_by_id=started_by_id,
            )
        job = job_or_none
    job.total_rows = report.rows
    job.mapping = {
        "columns": report.columns,
        "ignored": report.ignored_columns,
        "tool": report.tool,
        "encoding": report.encoding,
    }
    job.save(update_fields=["total_rows", "mapping"])
    return job


def import_leads_file(
    path: Path | str,
    *,
    source: str | None = None,
    dry_run: bool = False,
    now: datetime,
    on_progress: ProgressCallback | None = None,
    on_resume: ProgressCallback | None = None,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    restart: bool = False,
    job_id: int | None = None,
    started_by_id: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Check every row of a CSV or XLSX file, then create or update the good rows' leads.

    Rows are written in batches of ``batch_size`` file rows, each batch in
    one transaction with the ImportJob's progress, so a crash leaves whole
    batches. When a job for the same file (same SHA-256) is still running,
    the import resumes after its last committed batch and calls
    ``on_resume(rows_done, total)`` first; ``restart`` starts over instead.
    ``job_id`` names a job the caller created (the upload page). A later row
    with the same email updates the earlier one; new leads get ``source``
    (default "import") when their row has none. A dry run checks and counts
    without writing and without a job.

    ``on_progress(done, total)`` is called inside each batch's transaction
    after its rows are written: an exception it raises rolls that batch back.

    Returns an ImportReport; bad rows are listed in it, not raised. Raises
    ImportFileError when the file cannot be read, has no email column or the
    mapping is wrong, and InvalidLeadData when ``source`` is too long.
    """
    lead_source = _check_source(source)
    table = read_table(path, sheet=sheet)
    columns = map_columns(table.header, file_name=table.file_name, overrides=mapping)
    report = ImportReport(
        file_name=table.file_name,
        encoding=table.encoding,
        delimiter=table.delimiter,
        dry_run=dry_run,
        tool=columns.tool,
        columns=columns.by_header,
        ignored_columns=columns.ignored,
    )
    checked: list[_GoodRow | RejectedRow] = []
    suppressed = SuppressionList.load()
    for row_number, cells in table.rows:
        if not any(cell.strip() for cell in cells):
            continue
        checked.append(
            _check_row(
                row_number,
                cells,
                mapping=columns,
                width=len(table.header),
                suppressed=suppressed,
            )
        )
    report.rows = len(checked)
    if dry_run:
        report.rejected = [row for row in checked if isinstance(row, RejectedRow)]
        _dry_run(report, [row for row in checked if isinstance(row, _GoodRow)])
        if on_progress is not None:
            on_progress(report.rows, report.rows)
        return report

    job = _find_or_start_job(
        table,
        report,
        source=lead_source,
        restart=restart,
        job_id=job_id,
        started_by_id=started_by_id,
    )
    report.job_id = job.pk
    report.resumed_after = job.rows_done
    if job.rows_done and on_resume is not None:
        on_resume(job.rows_done, report.rows)
    try:
        for start in range(job.rows_done, len(checked), batch_size):
            _import_batch(
                job,
                checked[start : start + batch_size],
                source=lead_source,
                now=now,
                on_progress=on_progress,
            )
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(
            status="failed", finished_at=timezone.now()
        )
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status="done", finished_at=timezone.now()
    )
    report.created, report.updated = job.created, job.updated
    report.rejected = _rejections_from_json(job.report)
    return report


def _import_batch(
    job: ImportJob,
    batch: Sequence[_GoodRow | RejectedRow],
    *,
    source: str,
    now: datetime,
    on_progress: ProgressCallback | None,
) -> None:
    good = [row for row in batch if isinstance(row, _GoodRow)]
    rejections = [
        entry
        for row in batch
        if isinstance(row, RejectedRow)
        for entry in _rejection_json(row)
    ]

    def write() -> None:
        with transaction.atomic():
            # Fresh counts: a try that lost a lock conflict was rolled back.
            job.refresh_from_db()
            created, updated = _write_batch(good, source=source, now=now)
            job.rows_done += len(batch)
            job.created += created
            job.updated += updated
            job.rejected += sum(1 for row in batch if isinstance(row, RejectedRow))
            job.report = [*job.report, *rejections]
            job.save(
                update_fields=[
                    "rows_done",
                    "created",
                    "updated",
                    "rejected",
                    "report",
                ]
            )
            if on_progress is not None:
                on_progress(job.rows_done, job.total_rows)

    run_with_retry(write, what=f"Import batch of {len(batch)} rows")


def job_report(job: ImportJob) -> ImportReport:
    """The report of a stored import job, for its page."""
    mapping = job.mapping if isinstance(job.mapping, dict) else {}
    report = ImportReport(
        file_name=job.file_name,
        encoding=str(mapping.get("encoding", "")),
        delimiter="",
        dry_run=False,
        tool=str(mapping.get("tool", "unknown")),
        columns=dict(mapping.get("columns", {})),
        ignored_columns=list(mapping.get("ignored", [])),
        rows=job.total_rows,
        created=job.created,
        updated=job.updated,
        rejected=_rejections_from_json(job.report),
        job_id=job.pk,
    )
    return report
