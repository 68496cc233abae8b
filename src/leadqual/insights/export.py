"""The KPI page's tables as files: CSV (one file, a block per table) and XLSX (a sheet each).

Numbers leave as numbers, not as the page's texts: shares 0-1, hours,
ratings and euros, so a spreadsheet can compute with them. An empty value
(a ratio without denominator) is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

Value = str | int | float | None


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: str = "text"  # "text", "count", "share", "hours", "rating" or "euros"


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the KPI page: a name (the sheet's), columns and rows."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]


_NUMBER_FORMATS = {
    "share": "0.0%",
    "hours": "0.0",
    "rating": "0.0",
    "euros": "#,##0.00",
    "count": "0",
}


def _decimal_text(value: Value, *, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if decimal_comma else text
    return str(value)


def tables_csv(tables: Sequence[Table], *, decimal_comma: bool) -> str:
    """Every table after the other: its name, its header, its rows, a blank line.

    With ``decimal_comma`` (Dutch spreadsheets) fields are separated by
    semicolons and decimals written with a comma, as Excel in Dutch reads them.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal_comma else ",")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table.name])
        writer.writerow([column.title for column in table.columns])
        for row in table.rows:
            writer.writerow(
                [_decimal_text(value, decimal_comma=decimal_comma) for value in row]
            )
    return buffer.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in name)[:31]
    title = cleaned
    number = 2
    while title in used:
        title = f"{cleaned[:28]} {number}"
        number += 1
    used.add(title)
    return title


def tables_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table, numbers formatted by kind."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.name, used))
        sheet.append([column.title for column in table.columns])
        for row in table.rows:
            sheet.append(list(row))
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(column.title) + 2)
            number_format = _NUMBER_FORMATS.get(column.kind)
            if number_format is None:
                continue
            for (cell,) in sheet.iter_rows(
                min_row=2, min_col=index, max_col=index, max_row=sheet.max_row
            ):
                cell.number_format = number_format
        sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
