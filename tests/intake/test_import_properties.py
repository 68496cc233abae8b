"""Properties of the lead importer under any CSV file a CRM (or a person) may make.

No input crashes it: a file it cannot read at all is an ImportFileError with a
message; every other file gives a report in which each data row (a line with
any non-blank cell) was created, updated or rejected with a reason.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from leadqual.core.errors import ImportFileError
from leadqual.intake.imports import (
    COLUMN_ALIASES,
    ImportReport,
    header_key,
    import_leads_file,
)
from leadqual.leads.models import Lead

pytestmark = pytest.mark.django_db

# The examples of one test share its transaction: leads written by one example
# are there for the next, which so also exercises updates.
PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
WRITE_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=30)

ALIASES = sorted(
    {
        spelling
        for name, spellings in COLUMN_ALIASES.items()
        for spelling in (name, *spellings)
    }
)
TARGET_BY_KEY = {
    header_key(spelling): name
    for name, spellings in COLUMN_ALIASES.items()
    for spelling in (name, *spellings)
}
DELIMITERS = (",", ";", "\t")
# Header names hold no delimiter, quote or line break: the importer detects the
# delimiter by counting it in the first line.
HEADER_ALPHABET = st.characters(
    exclude_characters=',;\t"\r\n\x00', exclude_categories=["Cs"]
)
# Any text a file can hold: no NUL (test_a_file_with_nul_characters_...) and
# no lone surrogates, which no encoding can write.
CELL_ALPHABET = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])

EMAIL_POOL = [
    "jan.devries@bakker-ict.nl",
    "JAN.DEVRIES@BAKKER-ICT.NL",
    " anna@example.nl ",
    "piet@gmail.com",
    "jöhn@bäcker.de",
    "sanne@xn--bcker-gra.de",
    "info@ünïcödé.nl",
    "a@" + ".".join(["ü"] * 100) + ".nl",  # 804 characters once in punycode
    "no-at-sign.nl",
    "two@@signs.nl",
    "spaces in@side.nl",
    "x" * 70 + "@toolong.nl",
    "",
    "Jan de Vries <jan@bakker.nl>",
]
NUMBER_TEXTS = [
    "25",
    "1.000",
    "1,000",
    "10.000,50",
    "10,000.50",
    "€ 10.000",
    "€10k",
    "1e3",
    "-5",
    "0",
    "11-50",
    "51-200 medewerkers",
    "٣",
    "9" * 40,
    "2000000001",
    "NaN",
    "inf",
]
WEIRD_TEXTS = [
    '"',
    '""',
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    "a,b;c\td",
    'He said "hi", then left',
    "=cmd|' /C calc'!A0",
    "\u00a0",
    "\u2028",
    "\ufeff",
    "0031 20 123 4567",
    "+31 6 12345678",
    "06-12345678",
    "27-11-2026",
    "11/27/2026 10:15 AM",
    "2026-13-45",
    "31-02-2026",
    "2026-11-27T10:15:00+01:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2026-11-20T09:00:00-22:55",
    "immediate",
    "binnen 3 maanden",
    "Nederland",
    "nl ",
    "NLD",
    "De Vries & Zn. B.V.",
    "x" * 500,
]

cells = st.one_of(
    st.just(""),
    st.just("   "),
    st.sampled_from(EMAIL_POOL),
    st.emails().map(str),
    st.sampled_from(NUMBER_TEXTS),
    st.sampled_from(WEIRD_TEXTS),
    st.text(CELL_ALPHABET, max_size=40),
    st.text(CELL_ALPHABET, min_size=150, max_size=300),
)
# Plausible values per target, so that many rows are good and get written.
GOOD_EMAILS = [f"lead{n}@bakker-ict.nl" for n in range(6)] + ["Lead0@Bakker-ICT.nl"]
PLAUSIBLE: dict[str | None, st.SearchStrategy[str]] = {
    "email": st.sampled_from(GOOD_EMAILS),
    "employees": st.sampled_from(["", "25", "1.000", "11-50", "250"]),
    "budget_euros": st.sampled_from(["", "10000", "€ 10.000", "10.000,50", "5k"]),
    "country": st.sampled_from(["", "NL", "be", "Nederland", "Germany"]),
    "urgency": st.sampled_from(["", "immediate", "within_3_months", "exploring"]),
    "phone": st.sampled_from(["", "020 123 4567", "+31 6 12345678", "0031201234567"]),
    "created_at": st.sampled_from(["", "2026-11-27", "27-11-2026 10:15"]),
}
plausible_text = st.sampled_from(["", "Jan", "de Vries", "Bakker ICT B.V.", "software"])
headers = st.one_of(
    st.sampled_from(ALIASES),
    st.sampled_from(ALIASES).map(str.upper),
    st.sampled_from(ALIASES).map(lambda alias: f" {alias.title()} "),
    st.text(HEADER_ALPHABET, min_size=1, max_size=25),
)


@dataclass(frozen=True)
class CsvFile:
    """A generated CSV file and what the importer should make of it."""

    data: bytes
    header: list[str]
    rows: list[list[str]]
    has_email_column: bool

    @property
    def data_rows(self) -> int:
        """Rows with any non-blank cell; the importer skips blank lines."""
        return sum(1 for row in self.rows if any(cell.strip() for cell in row))


@st.composite
def csv_files(draw: st.DrawFn) -> CsvFile:
    header = draw(st.lists(headers, min_size=2, max_size=8))
    if draw(st.integers(0, 9)) > 0:
        # Most files have an email column, somewhere.
        position = draw(st.integers(0, len(header)))
        header.insert(position, draw(st.sampled_from(COLUMN_ALIASES["email"])))
    targets = [TARGET_BY_KEY.get(header_key(name.strip())) for name in header]
    width = len(header)
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):
            # A plausible row: full width, a value that fits each column.
            rows.append(
                [draw(PLAUSIBLE.get(target, plausible_text)) for target in targets]
            )
            continue
        # Chaos: any value anywhere; shorter or longer than the header, or blank.
        length = draw(st.integers(0, width + 2))
        rows.append([draw(cells) for _ in range(length)])
    delimiter = draw(st.sampled_from(DELIMITERS))
    quote_all = draw(st.booleans())
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        # Minimal quoting quotes a cell with "\r" only when "\r" ends lines.
        lineterminator="\n" if quote_all else "\r\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    return CsvFile(
        data=data,
        header=header,
        rows=rows,
        has_email_column="email" in targets,
    )


def _import(
    file: CsvFile, *, dry_run: bool, file_name: str = "export.csv"
) -> ImportReport | ImportFileError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        path.write_bytes(file.data)
        try:
            return import_leads_file(path, dry_run=dry_run, now=timezone.now())
        except ImportFileError as error:
            return error


def _assert_every_row_is_accounted_for(report: ImportReport, file: CsvFile) -> None:
    # Shown by --hypothesis-show-statistics: the files reach every outcome.
    event(f"created: {report.created > 0}")
    event(f"updated: {report.updated > 0}")
    event(f"rejected: {bool(report.rejected)}")
    assert report.rows == file.data_rows
    assert report.created + report.updated + len(report.rejected) == report.rows
    row_numbers = [rejected.row for rejected in report.rejected]
    assert len(set(row_numbers)) == len(row_numbers)
    for rejected in report.rejected:
        assert rejected.row >= 2  # row 1 is the header
        assert rejected.problems, f"row {rejected.row} was rejected without a reason"
        for problem in rejected.problems:
            assert problem.row == rejected.row
            assert problem.message.strip()


def _assert_only_an_unreadable_file_fails(
    outcome: ImportReport | ImportFileError, file: CsvFile
) -> ImportReport | None:
    if isinstance(outcome, ImportFileError):
        # The only reason a generated file cannot be read: no email column.
        assert not file.has_email_column, outcome.message
        assert "email column" in outcome.message
        return None
    assert file.has_email_column
    return outcome


@PROPERTY_SETTINGS
@given(file=csv_files())
def test_a_dry_run_accounts_for_every_row_and_writes_nothing(file: CsvFile) -> None:
    leads_before = Lead.objects.count()
    outcome = _import(file, dry_run=True)
    report = _assert_only_an_unreadable_file_fails(outcome, file)
    if report is not None:
        _assert_every_row_is_accounted_for(report, file)
    assert Lead.objects.count() == leads_before


@WRITE_SETTINGS
@given(file=csv_files())
def test_an_import_accounts_for_every_row_and_creates_what_it_reports(
    file: CsvFile,
) -> None:
    leads_before = Lead.objects.count()
    outcome = _import(file, dry_run=False)
    report = _assert_only_an_unreadable_file_fails(outcome, file)
    if report is None:
        assert Lead.objects.count() == leads_before
        return
    _assert_every_row_is_accounted_for(report, file)
    assert Lead.objects.count() == leads_before + report.created


@WRITE_SETTINGS
@given(file=csv_files())
def test_a_dry_run_predicts_the_import(file: CsvFile) -> None:
    dry = _import(file, dry_run=True)
    real = _import(file, dry_run=False)
    if isinstance(dry, ImportFileError) or isinstance(real, ImportFileError):
        assert isinstance(dry, ImportFileError)
        assert isinstance(real, ImportFileError)
        return
    assert (real.created, real.updated) == (dry.created, dry.updated)
    assert [row.problems for row in real.rejected] == [
        row.problems for row in dry.rejected
    ]


@settings(PROPERTY_SETTINGS, max_examples=50)
@given(data=st.binary(max_size=300))
@example(data=b"")
@example(data=b"\xef\xbb\xbf")
@example(data=b"\n\nEmail\n")
@example(data=b"Email,Naam\r\njan@bakker.nl,Jan\x00\r\n")
@example(data="Email;Naam\r\n".encode("utf-16"))
@example(data=b"PK\x03\x04 not really a workbook")
@example(data=b"Email\n\x81\x8d\x8f\n")
def test_any_bytes_give_a_report_or_an_import_file_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(data)
        try:
            report = import_leads_file(path, dry_run=True, now=timezone.now())
        except ImportFileError as error:
            assert error.message.strip()
            return
    assert report.created + report.updated + len(report.rejected) == report.rows


def test_a_cell_longer_than_the_csv_field_limit_is_an_import_file_error() -> None:
    file = CsvFile(
        data=b"Email,Notes\r\njan@bakker.nl," + b"x" * 200_000 + b"\r\n",
        header=["Email", "Notes"],
        rows=[],
        has_email_column=True,
    )
    outcome = _import(file, dry_run=True)
    assert isinstance(outcome, ImportFileError)


def test_a_file_with_nul_characters_is_an_import_file_error() -> None:
    """NUL means UTF-16 or binary, and PostgreSQL cannot store it: never a crash."""
    file = CsvFile(
        data=b"Email,Naam\r\njan@bakker.nl,Jan\x00de Vries\r\n",
        header=["Email", "Naam"],
        rows=[],
        has_email_column=True,
    )
    outcome = _import(file, dry_run=False)
    assert isinstance(outcome, ImportFileError)
    assert "NUL" in outcome.message
    assert not Lead.objects.exists()


def _one_row(cells: Sequence[str]) -> CsvFile:
    header = ["Email", "Aanmaakdatum", "Medewerkers"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, list(cells)])
    return CsvFile(
        data=buffer.getvalue().encode(),
        header=header,
        rows=[list(cells)],
        has_email_column=True,
    )


@pytest.mark.parametrize(
    "created_at",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"],
)
def test_a_creation_date_outside_the_years_1_to_9999_in_utc_rejects_the_row(
    created_at: str,
) -> None:
    outcome = _import(_one_row(["jan@bakker.nl", created_at, "25"]), dry_run=False)
    assert isinstance(outcome, ImportReport)
    assert (outcome.created, len(outcome.rejected)) == (0, 1)
    assert not Lead.objects.exists()


def test_a_creation_date_with_an_offset_beyond_15_59_is_imported() -> None:
    outcome = _import(
        _one_row(["jan@bakker.nl", "2026-11-20T09:00:00-22:55", "25"]), dry_run=False
    )
    assert isinstance(outcome, ImportReport)
    assert outcome.created == 1
    lead = Lead.objects.get(email="jan@bakker.nl")
    assert lead.created_at.isoformat() == "2026-11-21T07:55:00+00:00"


def test_an_email_too_long_once_in_punycode_rejects_the_row() -> None:
    email = "a@" + ".".join(["ü"] * 100) + ".nl"
    outcome = _import(_one_row([email, "", "25"]), dry_run=False)
    assert isinstance(outcome, ImportReport)
    assert [problem.column for problem in outcome.problems] == ["Email"]
    assert "254" in outcome.problems[0].message
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("column", "value"),
    [("Budget", "9" * 29), ("Medewerkers", "9" * 29 + "-" + "9" * 29)],
)
def test_a_number_beyond_28_digits_rejects_the_row_with_a_reason(
    column: str, value: str
) -> None:
    """Decimal gives up on rounding it: that was an InvalidOperation crash."""
    file = CsvFile(
        data=f"Email,{column}\r\njan@bakker.nl,{value}\r\n".encode(),
        header=["Email", column],
        rows=[["jan@bakker.nl", value]],
        has_email_column=True,
    )
    outcome = _import(file, dry_run=False)
    assert isinstance(outcome, ImportReport)
    assert [problem.column for problem in outcome.problems] == [column]
    assert "not a whole number" in outcome.problems[0].message
    assert not Lead.objects.exists()
