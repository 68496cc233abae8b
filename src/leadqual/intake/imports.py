"""Import leads from CRM exports (CSV or XLSX), in batches that survive a crash.

The command ``leadqual import-leads`` and the upload page both call
``import_leads_file``. Columns are matched by their header, whatever the
case, spacing or punctuation, as HubSpot, Salesforce and Pipedrive export
them, in English or Dutch ("E-mailadres", "Bedrijfsnaam", "Person - Name");
the detected mapping can be overridden column by column.

The file is streamed, never held whole (#10): ``read_table`` reads it once
to check it against ``ReadLimits`` (columns, characters per cell and per
row, rows, unpacked workbook size) and count its rows, so a file beyond a
limit is refused before anything is stored; the rows are then read again,
checked and written in batches of ``BATCH_SIZE`` rows. Bad rows are
reported with row number, column and reason and never stop the good rows.
Each batch is written in one transaction together with its ImportJob's
progress (``rows_done``), so an import killed midway leaves whole batches
only and the same file imported again resumes after the last committed
batch. An XLSX sheet's declared dimension is ignored: openpyxl would pad
every row to it.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import tomllib
import zipfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TextIO, TypedDict

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
from leadqual.privacy.suppression import SUPPRESSED_MESSAGE, suppressed_contacts

logger = logging.getLogger(__name__)

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
_CHUNK_BYTES = 1024 * 1024
# Excel's last row; openpyxl would otherwise make up every missing row before
# a cell placed further down.
EXCEL_MAX_ROWS = 1_048_576
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
# A file's records as text, header first; closing it closes the file.
_Records = Generator[list[str], None, None]


def get_column_letter(number: int) -> str:
    """A spreadsheet's name for column ``number`` (1-based): 1 -> A, 27 -> AA."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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
class ReadLimits:
    """How much of a file the reader accepts; beyond any limit the file is refused
    as a whole, before anything is stored."""

    columns: int = 200
    cell_chars: int = 32_767  # Excel's own limit for one cell
    rows: int = 500_000
    # One CSV row, all its cells and delimiters (and line breaks in quotes).
    row_chars: int = 1_000_000
    # Unpacked size of one XLSX part: sheets are streamed, the rest read whole.
    sheet_bytes: int = 1024 * 1024 * 1024
    part_bytes: int = 100 * 1024 * 1024


DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and the number of its data rows; ``rows()`` reads the rows.

    ``read_table`` has read the whole file once, checking it against
    ``limits`` and keeping only the header, so memory stays flat however
    large the file or its declared dimension.
    """

    file_name: str
    encoding: str
    delimiter: str
    header: list[str]
    # Data rows that are not blank.
    row_count: int
    digest: str
    path: Path
    sheet: str | None = None
    limits: ReadLimits = DEFAULT_LIMITS

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each data row that is not blank, with its row number as a spreadsheet
        shows it, read from the file again. Raises ImportFileError like
        ``read_table`` when the file changed into one it would refuse."""
        records: _Records
        if self.encoding == "xlsx":
            records = _xlsx_records(self.path, sheet=self.sheet, limits=self.limits)
        else:
            records = _csv_records(
                self.path,
                encoding=self.encoding,
                delimiter=self.delimiter,
                limits=self.limits,
            )
        with closing(records):
            try:
                next(records, None)
                yield from _data_rows(
                    records, file_name=self.file_name, limits=self.limits
                )
            except UnicodeDecodeError:
                raise ImportFileError(_not_text(self.file_name)) from None


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


def _unreadable(path: Path, error: OSError) -> ImportFileError:
    if isinstance(error, FileNotFoundError):
        return ImportFileError(f'The file "{path}" does not exist.')
    if isinstance(error, IsADirectoryError):
        return ImportFileError(f'"{path}" is a folder, not a CSV or XLSX file.')
    return ImportFileError(f'The file "{path}" cannot be read: {error.strerror}.')


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _unreadable(path, error) from None


def _digest_and_head(path: Path) -> tuple[str, bytes]:
    """The file's SHA-256 and its first bytes, read in chunks (flat memory)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            head = file.read(len(_ZIP_MAGIC))
            digest.update(head)
            while chunk := file.read(_CHUNK_BYTES):
                digest.update(chunk)
    except OSError as error:
        raise _unreadable(path, error) from None
    return digest.hexdigest(), head


def _not_text(file_name: str) -> str:
    return (
        f'The file "{file_name}" is not text in UTF-8 or Windows-1252. '
        "Save it as CSV UTF-8 and try again."
    )


def _where(row: int, sheet: str | None) -> str:
    return f'row {row:,} of sheet "{sheet}"' if sheet else f"row {row:,}"


def _checked_cells(
    values: Sequence[object],
    *,
    file_name: str,
    row: int,
    sheet: str | None,
    limits: ReadLimits,
) -> list[str]:
    """A record as text, trailing empty cells dropped, within the column and cell limits."""
    end = len(values)
    while end and not _cell_text(values[end - 1]).strip():
        end -= 1
    if end > limits.columns:
        raise ImportFileError(
            f'"{file_name}" has a value in column {get_column_letter(end)} (column '
            f"{end:,}) in {_where(row, sheet)}; leadqual reads at most "
            f"{limits.columns:,} columns. Delete the columns you do not import "
            "and try again."
        )
    cells = [
        value if isinstance(value, str) else _cell_text(value) for value in values[:end]
    ]
    if max(map(len, cells), default=0) <= limits.cell_chars:
        return cells
    for index, cell in enumerate(cells):
        if len(cell) > limits.cell_chars:
            raise ImportFileError(
                f'"{file_name}" has a value of {len(cell):,} characters in column '
                f"{get_column_letter(index + 1)}, {_where(row, sheet)}; leadqual "
                f"reads at most {limits.cell_chars:,} characters per cell (as "
                "Excel does). Shorten it or delete the column."
            )
    return cells


def _csv_records(
    path: Path, *, encoding: str, delimiter: str, limits: ReadLimits
) -> _Records:
    """Each CSV record, header first, checked against the limits while read.

    Lines are read at most ``limits.row_chars`` characters at a time, so a
    file without line breaks never sits in memory whole. Lets
    UnicodeDecodeError through: the caller tries the next encoding.
    """
    file_name = path.name
    row = 1
    chars = 0

    def lines(stream: TextIO) -> Iterator[str]:
        nonlocal chars
        while line := stream.readline(limits.row_chars + 1):
            chars += len(line)
            if chars > limits.row_chars:
                raise ImportFileError(
                    f'"{file_name}" has more than {limits.row_chars:,} characters '
                    f"in {_where(row, None)}, more than leadqual reads in one row. "
                    "Check that the file is a CSV export; a value with an "
                    "unclosed double quote runs on to the end of the file."
                )
            if "\x00" in line:
                # UTF-16 text or a binary file; PostgreSQL cannot store NUL either.
                raise ImportFileError(
                    f'The file "{file_name}" contains NUL characters ({_where(row, None)}): '
                    "it is not a CSV file leadqual can read, or it was saved as "
                    "UTF-16. Save it as CSV UTF-8 and try again."
                )
            yield line

    try:
        stream = path.open(encoding=encoding, newline="")
    except OSError as error:
        raise _unreadable(path, error) from None
    with stream:
        reader = csv.reader(lines(stream), delimiter=delimiter)
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as error:
                too_long = "field larger than field limit" in str(error)
                raise ImportFileError(
                    f'"{file_name}" has a value longer than {limits.cell_chars:,} '
                    f"characters in {_where(row, None)}. Shorten it or delete the "
                    "column."
                    if too_long
                    else f'The file "{file_name}" is not a CSV file leadqual can '
                    f"read ({_where(row, None)}: {error})."
                ) from None
            if cells is None:
                return
            yield _checked_cells(
                cells, file_name=file_name, row=row, sheet=None, limits=limits
            )
            row += 1
            chars = 0


def _check_workbook_parts(path: Path, *, limits: ReadLimits) -> None:
    """Refuse a workbook whose parts unpack to more than the limits (zip bombs).

    A zip entry never unpacks to more than its declared size (zipfile stops
    there), so the declared sizes bound what openpyxl reads. Shared strings
    and styles are read whole; sheets are streamed row by row.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except Exception as error:  # zipfile raises many kinds on broken archives
        raise _not_a_workbook(path.name, error) from None
    for part in parts:
        is_sheet = part.filename.startswith("xl/worksheets/")
        limit = limits.sheet_bytes if is_sheet else limits.part_bytes
        if part.file_size > limit:
            raise ImportFileError(
                f'The workbook "{path.name}" has a part ({part.filename}) that '
                f"unpacks to {part.file_size:,} bytes; leadqual reads at most "
                f"{limit:,}. Save the sheet as CSV UTF-8 and import that."
            )


def _not_a_workbook(file_name: str, error: BaseException) -> ImportFileError:
    logger.info("Unreadable workbook: %s", type(error).__name__)
    return ImportFileError(
        f'The file "{file_name}" is not an Excel workbook leadqual can read '
        f"({type(error).__name__}: {str(error)[:200]}). Save it again as .xlsx "
        "or as CSV UTF-8."
    )


def _xlsx_records(path: Path, *, sheet: str | None, limits: ReadLimits) -> _Records:
    """Each row of one sheet as text, header first, streamed by openpyxl.

    The sheet's declared dimension is ignored: openpyxl would pad every row
    to it, and ``<dimension ref="A1:XFD1048576"/>`` turns a few cells into
    16,384 per row (#10). A row ends at its last non-empty cell.
    """
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises what its parsers meet in a broken file
        raise _not_a_workbook(path.name, error) from None
    try:
        worksheets = [
            worksheet
            for worksheet in workbook.worksheets
            if isinstance(worksheet, ReadOnlyWorksheet)
        ]
        if sheet is not None:
            worksheets = [w for w in worksheets if w.title == sheet]
            if not worksheets:
                names = ", ".join(f'"{name}"' for name in workbook.sheetnames)
                raise ImportFileError(
                    f'The workbook "{path.name}" has no sheet "{sheet}". '
                    f"Its sheets are: {names}."
                )
        if not worksheets:
            raise ImportFileError(
                f'The workbook "{path.name}" has no sheet with cells. Save the '
                "sheet to import as CSV UTF-8 and import that."
            )
        worksheet = worksheets[0]
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(values_only=True)
        row = 0
        while True:
            try:
                values = next(rows, None)
            except Exception as error:  # a broken sheet part, found while streaming
                raise _not_a_workbook(path.name, error) from None
            if values is None:
                return
            row += 1
            if row > EXCEL_MAX_ROWS:
                raise ImportFileError(
                    f'The sheet "{worksheet.title}" of "{path.name}" has rows '
                    f"beyond row {EXCEL_MAX_ROWS:,}, the last row Excel has. "
                    "Save it again from Excel or as CSV UTF-8."
                )
            yield _checked_cells(
                values,
                file_name=path.name,
                row=row,
                sheet=worksheet.title,
                limits=limits,
            )
    finally:
        workbook.close()


def _data_rows(
    records: Iterator[list[str]], *, file_name: str, limits: ReadLimits
) -> Iterator[tuple[int, list[str]]]:
    """The records after the header that are not blank, with their row numbers."""
    count = 0
    for number, cells in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > limits.rows:
            raise ImportFileError(
                f'"{file_name}" has more than {limits.rows:,} rows (row {number:,} '
                f"is one too many). Split it into files of at most {limits.rows:,} "
                "rows and import them one by one."
            )
        yield number, cells


def _scan_csv(
    path: Path, *, head: bytes, limits: ReadLimits
) -> tuple[str, str, list[str], int]:
    """Encoding, delimiter, header and row count of a CSV file, in one pass."""
    # Excel on Windows saves "CSV" in Windows-1252 unless told to use UTF-8.
    encodings = ("utf-8-sig",) if head.startswith(_UTF8_BOM) else ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return (encoding, *_scan_csv_as(path, encoding=encoding, limits=limits))
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_not_text(path.name))


def _scan_csv_as(
    path: Path, *, encoding: str, limits: ReadLimits
) -> tuple[str, list[str], int]:
    try:
        with path.open(encoding=encoding, newline="") as stream:
            header_line = stream.readline(limits.row_chars + 1)
    except OSError as error:
        raise _unreadable(path, error) from None
    if not header_line.replace("\x00", "").strip():
        raise ImportFileError(
            f'The file "{path.name}" is empty or its first line is blank. '
            "The first line must name the columns, for example: Email,Company."
        )
    delimiter = _detect_delimiter(header_line.lstrip("\ufeff"))
    with closing(
        _csv_records(path, encoding=encoding, delimiter=delimiter, limits=limits)
    ) as records:
        header = next(records, [])
        count = sum(
            1 for _row in _data_rows(records, file_name=path.name, limits=limits)
        )
    return delimiter, header, count


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(
    path: Path | str,
    *,
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Table:
    """Read a CSV or XLSX file once, in flat memory: header, row count, encoding,
    SHA-256 digest. ``Table.rows()`` then reads the rows again.

    The whole file is checked against ``limits`` here, so an import that
    starts has a file it can finish. Raises ImportFileError when the file is
    missing, unreadable, not text in UTF-8 or Windows-1252, not a workbook
    openpyxl can open, or beyond a limit (columns, characters in a cell or a
    row, rows, unpacked workbook size), saying which and where.
    """
    path = Path(path)
    digest, head = _digest_and_head(path)
    if head.startswith(_ZIP_MAGIC):
        _check_workbook_parts(path, limits=limits)
        encoding, delimiter = "xlsx", ""
        with closing(_xlsx_records(path, sheet=sheet, limits=limits)) as records:
            header = next(records, [])
            if not any(cell.strip() for cell in header):
                raise ImportFileError(
                    f'The first row of the sheet in "{path.name}" is empty. '
                    "It must name the columns, for example: Email, Company."
                )
            count = sum(
                1 for _row in _data_rows(records, file_name=path.name, limits=limits)
            )
    else:
        encoding, delimiter, header, count = _scan_csv(path, head=head, limits=limits)
    return Table(
        file_name=path.name,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        row_count=count,
        digest=digest,
        path=path,
        sheet=sheet,
        limits=limits,
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
) -> tuple[int, int, list[_GoodRow]]:
    """Create or update the leads of one batch through the intake pipeline.

    One ``receive`` per batch: the same clean -> store -> score -> triage as
    every other way in, with a constant number of queries per batch.
    ``receive`` checks the suppressions again for each batch (one query), so
    a person erased while a long import runs is not stored by a later batch.
    Returns (created, updated, suppressed rows), counting rows: a second row
    for a new email counts as an update. Must run inside a transaction.
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
    dropped = set(received.suppressed_leads)
    suppressed = [row for index, row in enumerate(rows) if index in dropped]
    created = updated = 0
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if index in dropped:
            continue
        if row.email in created_emails and row.email not in seen:
            created += 1
        else:
            updated += 1
        seen.add(row.email)
    return created, updated, suppressed


def _phone_of(row: _GoodRow) -> str | None:
    return str(row.values.get("phone") or "") or None


def _suppressed_rejection(row: _GoodRow, *, email_column: str | None) -> RejectedRow:
    problem = RowProblem(row=row.row, column=email_column, message=SUPPRESSED_MESSAGE)
    return RejectedRow(row=row.row, problems=(problem,))


def _batches(
    table: Table, columns: ColumnMapping, *, size: int, skip: int = 0
) -> Iterator[list[_GoodRow | RejectedRow]]:
    """The file's rows checked, in batches of ``size``, after the first ``skip``."""
    batch: list[_GoodRow | RejectedRow] = []
    for index, (row_number, cells) in enumerate(table.rows()):
        if index < skip:
            continue
        batch.append(
            _check_row(row_number, cells, mapping=columns, width=len(table.header))
        )
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _dry_run_batch(
    report: ImportReport,
    batch: Sequence[_GoodRow | RejectedRow],
    *,
    seen: set[str],
    email_column: str | None,
) -> None:
    """Count what one batch would create, update and reject: two queries."""
    good = [row for row in batch if isinstance(row, _GoodRow)]
    suppressed = suppressed_contacts((row.email, _phone_of(row)) for row in good)
    seen.update(_stored_emails({row.email for row in good} - seen - suppressed))
    rejected = [row for row in batch if isinstance(row, RejectedRow)]
    for row in good:
        if row.email in suppressed:
            rejected.append(_suppressed_rejection(row, email_column=email_column))
        elif row.email in seen:
            report.updated += 1
        else:
            report.created += 1
            seen.add(row.email)
    report.rejected.extend(sorted(rejected, key=lambda row: row.row))


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
        if job.file_sha256 != table.digest:
            raise ImportFileError(
                f'The file "{table.file_name}" changed after import {job.pk} '
                "started, so that import cannot go on. Upload the file again."
            )
        # A retried task (or a worker started again) resumes the same job.
        job.status, job.finished_at = "running", None
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
        # The upload page's chosen columns, kept for a resumed run.
        **(job.mapping if isinstance(job.mapping, dict) else {}),
        "columns": report.columns,
        "ignored": report.ignored_columns,
        "tool": report.tool,
        "encoding": report.encoding,
    }
    job.save(update_fields=["total_rows", "mapping", "status", "finished_at"])
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
    """Check a CSV or XLSX file, then create or update its good rows' leads.

    The whole file is checked against the reader's limits first (nothing is
    stored when it is beyond one); rows are then checked and written in
    batches of ``batch_size`` file rows, each batch in one transaction with
    the ImportJob's progress, so a crash leaves whole batches. Erased
    people are looked up again for every batch. When a job for the same
    file (same SHA-256) is still running, the import resumes after its last
    committed batch and calls ``on_resume(rows_done, total)`` first;
    ``restart`` starts over instead. ``job_id`` names a job the caller
    created (the upload page), resumed the same way. A later row
    with the same email updates the earlier one; new leads get ``source``
    (default "import") when their row has none. A dry run checks and counts
    without writing and without a job.

    ``on_progress(done, total)`` is called inside each batch's transaction
    after its rows are written: an exception it raises rolls that batch back.

    Returns an ImportReport; bad rows are listed in it, not raised. Raises
    ImportFileError when the file cannot be read, is beyond a limit, has no
    email column, the mapping is wrong or the job's file changed, and
    InvalidLeadData when ``source`` is too long.
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
    report.rows = table.row_count
    email_column = next(
        (name for name, target in columns.by_header.items() if target == "email"),
        None,
    )
    if dry_run:
        seen: set[str] = set()
        for batch in _batches(table, columns, size=batch_size):
            _dry_run_batch(report, batch, seen=seen, email_column=email_column)
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
        for batch in _batches(table, columns, size=batch_size, skip=job.rows_done):
            _import_batch(
                job,
                batch,
                source=lead_source,
                now=now,
                email_column=email_column,
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
    email_column: str | None,
    on_progress: ProgressCallback | None,
) -> None:
    good = [row for row in batch if isinstance(row, _GoodRow)]
    bad = [row for row in batch if isinstance(row, RejectedRow)]

    def write() -> None:
        with transaction.atomic():
            # Fresh counts: a try that lost a lock conflict was rolled back.
            job.refresh_from_db()
            created, updated, suppressed = _write_batch(good, source=source, now=now)
            rejected = sorted(
                [
                    *bad,
                    *(
                        _suppressed_rejection(row, email_column=email_column)
                        for row in suppressed
                    ),
                ],
                key=lambda row: row.row,
            )
            job.rows_done += len(batch)
            job.created += created
            job.updated += updated
            job.rejected += len(rejected)
            job.report = [
                *job.report,
                *(entry for row in rejected for entry in _rejection_json(row)),
            ]
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
