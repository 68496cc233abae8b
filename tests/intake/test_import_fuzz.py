"""Hostile files for the reader: every outcome is a table or a clear error (#10).

Hypothesis makes CSV and XLSX files with random bytes, bad encodings, NUL
characters, very wide rows, long cells, huge declared dimensions, cells far
to the right, truncated and corrupted archives. ``read_table`` and
``Table.rows()`` either read the file within the limits or raise
ImportFileError with a message; never another exception, and never more
than ``PEAK_BYTES`` of memory at once (tracemalloc, Python's allocations
including expat's and zlib's).
"""

from __future__ import annotations

import tempfile
import tracemalloc
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from leadqual.core.errors import ImportFileError
from leadqual.intake.imports import DEFAULT_LIMITS, read_table
from tests.intake.workbooks import WHOLE_SHEET, sheet_xml, workbook_bytes

PEAK_BYTES = 48 * 1024 * 1024

FUZZ_SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_CELL_LENGTHS = st.sampled_from([0, 1, 20, 32_767, 32_768, 140_000])
_TEXT = st.text(
    alphabet=st.sampled_from([*"aé€\"';,\t\r\n ", "\ufeff", "\U0001f600"]),
    max_size=30,
)


@st.composite
def cells(draw: st.DrawFn) -> str:
    text = draw(_TEXT)
    return text + "x" * draw(_CELL_LENGTHS) if draw(st.booleans()) else text


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    widths = st.integers(min_value=0, max_value=260)
    rows = [
        [draw(cells()) if n < 3 else "" for n in range(draw(widths))]
        for _row in range(draw(st.integers(min_value=0, max_value=6)))
    ]
    header = ["Email", "Company", *draw(st.lists(cells(), max_size=3))]
    text = "\n".join(delimiter.join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    data = text.encode(encoding, errors="ignore")
    mutation = draw(_MUTATIONS)
    if mutation == "truncate":
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]
    elif mutation == "flip" and data:
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data = data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]
    elif mutation == "garbage-part":
        data += b"\x00" + draw(st.binary(max_size=50))
    return data


_MUTATIONS = st.sampled_from(
    ["none", "none", "none", "truncate", "flip", "garbage-part"]
)
_DIMENSIONS = st.sampled_from(
    [None, WHOLE_SHEET, "A1", "A1:B2", "XFD1048576", "nonsense", "A0:ZZZZ0", ""]
)
_COLUMNS = st.sampled_from([1, 1, 2, 2, 3, 4, 199, 200, 201, 16_384, 16_385, 100_000])


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    rows = [[(1, "Email"), (2, "Company")]] + [
        [(draw(_COLUMNS), draw(cells())) for _cell in range(draw(st.integers(0, 3)))]
        for _row in range(draw(st.integers(min_value=0, max_value=5)))
    ]
    sheet = sheet_xml(rows, dimension=draw(_DIMENSIONS))
    if draw(st.booleans()):
        # Rows far down, and numbers that are no numbers.
        sheet = sheet.replace(
            'r="2"', f'r="{draw(st.sampled_from(["0", "-1", "x", "2000000"]))}"', 1
        )
    data = workbook_bytes(sheet)
    mutation = draw(_MUTATIONS)
    if mutation == "truncate":
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]
    elif mutation == "flip":
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data = data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]
    elif mutation == "garbage-part":
        data = workbook_bytes(draw(st.text(max_size=200)))
    return data


def _read_within_bounds(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{suffix}"
        path.write_bytes(data)
        tracemalloc.start()
        try:
            try:
                table = read_table(path)
                rows = [cells for _row, cells in table.rows()]
            except ImportFileError as error:
                assert error.message.strip()
                event(f"refused: {error.message.split(' ', 4)[-1][:60]}")
                return
            finally:
                peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert peak < PEAK_BYTES, f"peak {peak:,} bytes"
    event("read as a table")
    assert table.row_count == len(rows)
    for row in [table.header, *rows]:
        assert len(row) <= DEFAULT_LIMITS.columns
        assert all(len(cell) <= DEFAULT_LIMITS.cell_chars for cell in row)
        assert all("\x00" not in cell for cell in row)


@FUZZ_SETTINGS
@given(data=st.binary(max_size=2_000))
@example(data=b"PK\x03\x04")
@example(data="Email;Naam\r\njan@bakker.nl;Jan\r\n".encode("utf-16"))
def test_any_bytes_read_as_a_table_or_a_clear_error(data: bytes) -> None:
    _read_within_bounds(data, "csv")


@FUZZ_SETTINGS
@given(data=csv_files())
def test_hostile_csv_files_read_as_a_table_or_a_clear_error(data: bytes) -> None:
    _read_within_bounds(data, "csv")


@FUZZ_SETTINGS
@given(data=workbooks())
def test_hostile_workbooks_read_as_a_table_or_a_clear_error(data: bytes) -> None:
    _read_within_bounds(data, "xlsx")


def test_a_zip_that_is_no_workbook_is_a_clear_error() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leads.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "no workbook here")
        try:
            read_table(path)
        except ImportFileError as error:
            assert "not an Excel workbook" in error.message
        else:
            raise AssertionError("a zip without a workbook was read")
