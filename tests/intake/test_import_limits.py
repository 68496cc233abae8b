"""The reader streams files within limits, whatever a file declares (#10).

A workbook declaring ``<dimension ref="A1:XFD1048576"/>`` made openpyxl pad
every row to 16,384 columns: 274 MB for 2,000 rows of two cells. Rows are
now streamed, the declared dimension ignored, and columns, cells and rows
capped: a file beyond a cap is refused as a whole, saying what and where,
before anything is stored.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadqual.core.errors import ImportFileError
from leadqual.intake.imports import (
    ReadLimits,
    Table,
    get_column_letter,
    import_leads_file,
    read_table,
)
from leadqual.intake.models import ImportJob
from leadqual.leads.models import Lead
from tests.intake.workbooks import (
    WHOLE_SHEET,
    hostile_workbook,
    leads_workbook,
    sheet_xml,
    workbook_bytes,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# The hostile workbook of 2,000 rows took 274 MB before; streamed it takes ~1 MB.
HOSTILE_PEAK_BYTES = 16 * 1024 * 1024


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def peak_bytes(work: Callable[[], object]) -> int:
    """The most memory Python held at once while ``work`` ran (tracemalloc)."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def read_all(path: Path, **options: object) -> tuple[Table, list[list[str]]]:
    table = read_table(path, **options)  # type: ignore[arg-type]
    return table, [cells for _row, cells in table.rows()]


def refusal(path: Path, **options: object) -> str:
    with pytest.raises(ImportFileError) as caught:
        read_all(path, **options)
    return caught.value.message


def test_a_workbook_declaring_the_whole_sheet_is_read_in_bounded_memory(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "hostile.xlsx", hostile_workbook(2_000))
    assert path.stat().st_size < 32 * 1024

    found: list[tuple[Table, list[list[str]]]] = []
    peak = peak_bytes(lambda: found.append(read_all(path)))

    assert peak < HOSTILE_PEAK_BYTES
    table, rows = found[0]
    assert table.header == ["Email", "Company"]
    assert table.row_count == len(rows) == 2_000
    assert {len(cells) for cells in rows} == {2}


def test_the_smallest_hostile_workbook_is_imported_like_its_cells(
    tmp_path: Path, db: None
) -> None:
    path = write(tmp_path, "hostile.xlsx", hostile_workbook(5))
    assert path.stat().st_size < 1_800  # the 1.6 KB file of #10

    report = import_leads_file(path, now=NOW)

    assert (report.rows, report.created, report.rejected) == (5, 5, [])


def test_a_value_beyond_column_200_refuses_the_workbook_naming_where(
    tmp_path: Path,
) -> None:
    rows = [["Email", "Company"], ["jan@bakker-ict.nl", "Bakker ICT"]]
    cells = [[(n, text) for n, text in enumerate(row, start=1)] for row in rows]
    cells.append([(1, "anna@devries.nl"), (201, "far away")])
    path = write(
        tmp_path, "wide.xlsx", workbook_bytes(sheet_xml(cells, dimension=None))
    )

    message = refusal(path)

    assert 'column GS (column 201) in row 3 of sheet "Leads"' in message
    assert "at most 200 columns" in message


def test_a_csv_row_of_201_columns_is_refused_naming_the_row(tmp_path: Path) -> None:
    wide = ",".join(["x"] * 201)
    path = write(
        tmp_path, "wide.csv", f"Email,Company\njan@bakker.nl,B\n{wide}\n".encode()
    )

    message = refusal(path)

    assert "column GS (column 201) in row 3;" in message


def test_trailing_empty_cells_do_not_count_as_columns(tmp_path: Path) -> None:
    empties = "," * 5_000
    path = write(
        tmp_path,
        "trailing.csv",
        f"Email,Company{empties}\njan@bakker.nl,Bakker{empties}\n".encode(),
    )

    table, rows = read_all(path)

    assert table.header == ["Email", "Company"]
    assert rows == [["jan@bakker.nl", "Bakker"]]


def test_a_cell_longer_than_excel_allows_is_refused_naming_the_cell(
    tmp_path: Path,
) -> None:
    long = "x" * 32_768
    path = write(
        tmp_path,
        "long.xlsx",
        leads_workbook([["Email", "Notes"], ["jan@bakker.nl", long]]),
    )

    message = refusal(path)

    assert 'value of 32,768 characters in column B, row 2 of sheet "Leads"' in message


def test_a_csv_cell_longer_than_excel_allows_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "long.csv", b"Email,Notes\njan@bakker.nl," + b"x" * 40_000 + b"\n"
    )

    assert "value of 40,000 characters in column B, row 2;" in refusal(path)


def test_more_rows_than_the_limit_are_refused_naming_the_first_too_many(
    tmp_path: Path,
) -> None:
    lines = ["Email"] + [f"lead{n}@bakker.nl" for n in range(4)]
    path = write(tmp_path, "rows.csv", "\n".join(lines).encode())

    message = refusal(path, limits=ReadLimits(rows=3))

    assert "more than 3 rows (row 5 is one too many)" in message


def test_a_csv_without_line_breaks_is_refused_in_bounded_memory(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "one-line.csv", b"Email," + b"a," * 3_000_000)

    messages: list[str] = []
    peak = peak_bytes(lambda: messages.append(refusal(path)))

    assert "more than 1,000,000 characters in row 1" in messages[0]
    assert peak < 32 * 1024 * 1024


def test_a_workbook_part_that_unpacks_too_large_is_refused(tmp_path: Path) -> None:
    padding = b"<!--" + b" " * 2_000_000 + b"-->"
    data = workbook_bytes(
        sheet_xml([[(1, "Email")]], dimension=WHOLE_SHEET),
        extra={"xl/styles.xml": padding},
    )
    path = write(tmp_path, "bomb.xlsx", data)
    assert path.stat().st_size < 20_000

    message = refusal(path, limits=ReadLimits(part_bytes=1_000_000))

    assert "(xl/styles.xml) that unpacks to 2,000,007 bytes" in message


def test_a_file_beyond_a_limit_stores_nothing(tmp_path: Path, db: None) -> None:
    lines = ["Email,Company"] + [f"lead{n}@bakker.nl,Bakker" for n in range(1_200)]
    lines.append(",".join(["x"] * 250))
    path = write(tmp_path, "late.csv", "\n".join(lines).encode())

    with pytest.raises(ImportFileError, match="row 1,202"):
        import_leads_file(path, now=NOW, batch_size=500)

    assert not Lead.objects.exists() and not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("number", "letters"),
    [(1, "A"), (26, "Z"), (27, "AA"), (201, "GS"), (16_384, "XFD")],
)
def test_column_letters_are_spreadsheet_names(number: int, letters: str) -> None:
    assert get_column_letter(number) == letters
