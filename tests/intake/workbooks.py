"""Small XLSX workbooks written by hand with zipfile, hostile ones included.

openpyxl writes correct dimensions; these let a test declare any dimension,
place cells anywhere and leave parts out, as other tools (and attackers) do.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

from leadqual.intake.imports import get_column_letter

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)

# Excel's largest sheet: 16,384 columns (XFD) by 1,048,576 rows.
WHOLE_SHEET = "A1:XFD1048576"


def sheet_xml(
    rows: Sequence[Sequence[tuple[int, str]]], *, dimension: str | None
) -> str:
    """A worksheet part: each row a list of (column number, text) cells."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    ]
    if dimension is not None:
        parts.append(f'<dimension ref="{dimension}"/>')
    parts.append("<sheetData>")
    for number, cells in enumerate(rows, start=1):
        parts.append(f'<row r="{number}">')
        for column, text in cells:
            ref = f"{get_column_letter(column)}{number}"
            parts.append(
                f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
            )
        parts.append("</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def workbook_bytes(sheet: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    """An .xlsx file with one sheet "Leads" holding the given worksheet part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def leads_workbook(
    rows: Sequence[Sequence[str]], *, dimension: str | None = None
) -> bytes:
    """A workbook of plain text rows, the first naming the columns."""
    cells = [
        [(column, text) for column, text in enumerate(row, start=1) if text]
        for row in rows
    ]
    return workbook_bytes(sheet_xml(cells, dimension=dimension))


def hostile_workbook(data_rows: int = 2_000) -> bytes:
    """The file of #10: a few real cells, a dimension declaring the whole sheet."""
    rows = [["Email", "Company"]] + [
        [f"lead{n}@bakker-ict.nl", "Bakker ICT"] for n in range(data_rows)
    ]
    return leads_workbook(rows, dimension=WHOLE_SHEET)
