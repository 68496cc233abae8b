"""A table of leads read from CSV/XLSX or built in memory, and what each column is.

Cells are kept as stripped text; an empty cell or a form's placeholder word
("Select", "-- kies --", "n/a", "unknown") is missing (``None``). What kind a
column is (numeric, categorical, free text, date, identifier, constant) is
inferred from its values and, for identifiers, its name; ``describe_columns``
does that once at training time and the model keeps the result, so new data is
read the same way.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Final

from leadqual.predictive.errors import UnknownColumn, UnreadableData, UnusableTarget

# Only words that clearly mean "nothing chosen" count as missing: a real
# category such as "Other" or "No" carries information and stays.
_PLACEHOLDER = re.compile(
    r"^\W*("
    r"select|please select|select one|select an option|choose|choose one|"
    r"kies|kies een optie|maak een keuze|selecteer|"
    r"n/?a|none|null|nil|nan|unknown|onbekend|not specified|niet opgegeven|"
    r"-+|\?+"
    r")?\W*$",
    re.IGNORECASE,
)
_IDENTIFIER_WORDS: Final = frozenset(
    {"id", "nr", "no", "number", "nummer", "key", "uuid", "guid", "code"}
)
_DATE_FORMATS: Final = (
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M",
)
# Share of filled cells that must parse for a column to be numeric or a date.
_PARSE_SHARE: Final = 0.95


class ColumnKind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    TEXT = "text"
    DATE = "date"
    IDENTIFIER = "identifier"
    CONSTANT = "constant"


def clean_cell(value: object) -> str | None:
    """The cell as stripped text, or ``None`` when it is empty or a placeholder."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value).strip()
    if _PLACEHOLDER.match(text):
        return None
    return text


@dataclass(frozen=True, slots=True)
class Table:
    """Columns of cleaned cells, all of the same length."""

    columns: tuple[str, ...]
    cells: Mapping[str, tuple[str | None, ...]]
    n_rows: int

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[object]]) -> Table:
        """Build a table from named columns of any values (numbers, text, dates, None).

        Raises ``UnreadableData`` when the columns differ in length.
        """
        lengths = {name: len(values) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            raise UnreadableData(
                f"Columns differ in length: {lengths}. Give every column one value per row."
            )
        cells = {
            str(name): tuple(clean_cell(value) for value in values)
            for name, values in columns.items()
        }
        return cls(tuple(cells), cells, next(iter(lengths.values()), 0))

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, object]]) -> Table:
        """Build a table from rows (dicts); a key missing from a row is a missing cell."""
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        return cls.from_columns(
            {name: [row.get(name) for row in rows] for name in names}
        )

    def column(self, name: str) -> tuple[str | None, ...]:
        """The cells of one column; raises ``UnknownColumn`` listing the columns."""
        if name not in self.cells:
            raise UnknownColumn(
                f'There is no column "{name}". The columns are: '
                + ", ".join(f'"{column}"' for column in self.columns)
                + "."
            )
        return self.cells[name]

    def without(self, names: Sequence[str]) -> Table:
        """The table without the named columns."""
        kept = tuple(name for name in self.columns if name not in set(names))
        return Table(kept, {name: self.cells[name] for name in kept}, self.n_rows)

    def take(self, rows: Sequence[int]) -> Table:
        """The table with only the given rows, in that order."""
        cells = {
            name: tuple(values[i] for i in rows) for name, values in self.cells.items()
        }
        return Table(self.columns, cells, len(rows))


def read_table(path: Path) -> Table:
    """Read a CSV (comma, semicolon or tab separated) or an XLSX file.

    Raises ``UnreadableData`` saying what is wrong with the file.
    """
    if not path.is_file():
        raise UnreadableData(f"There is no file {path}. Check the path.")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        header, body = _read_xlsx(path)
    elif suffix in {".csv", ".txt", ".tsv"}:
        header, body = _read_csv(path)
    else:
        raise UnreadableData(
            f'{path}: "{path.suffix}" files cannot be read. Save it as .csv or .xlsx.'
        )
    if not header or not any(name.strip() for name in header):
        raise UnreadableData(
            f"{path} is empty: it has no header row with column names."
        )
    names = [name.strip() or f"column {index + 1}" for index, name in enumerate(header)]
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise UnreadableData(
            f"{path}: the column names "
            + ", ".join(f'"{name}"' for name in duplicates)
            + " appear more than once. Give every column its own name."
        )
    for number, row in enumerate(body, start=2):
        if len(row) > len(names) and any(
            str(cell).strip() for cell in row[len(names) :]
        ):
            raise UnreadableData(
                f"{path}, row {number}: {len(row)} cells but the header names "
                f"{len(names)} columns. Check the separators and quotes on that row."
            )
    columns = {
        name: [row[index] if index < len(row) else None for row in body]
        for index, name in enumerate(names)
    }
    return Table.from_columns(columns)


def _read_csv(path: Path) -> tuple[list[str], list[list[object]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV in Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    lines = text.splitlines()
    if not lines:
        return [], []
    first = lines[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(lines, delimiter=delimiter))
    return rows[0], [list(row) for row in rows[1:] if any(cell.strip() for cell in row)]


def _read_xlsx(path: Path) -> tuple[list[str], list[list[object]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise UnreadableData(f"{path} is not a readable XLSX file: {error}.") from error
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[object]] = [
            list(row) for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    if not rows:
        return [], []
    header = ["" if cell is None else str(cell) for cell in rows[0]]
    body = [row for row in rows[1:] if any(cell not in (None, "") for cell in row)]
    return header, body


def parse_number(text: str) -> float | None:
    """A number written as 12, 12.5, 12,5, 1e3 or 45%; ``None`` when it is not one."""
    candidate = text.replace(" ", "").rstrip("%")
    if candidate.count(",") == 1 and "." not in candidate:
        candidate = candidate.replace(",", ".")
    try:
        number = float(candidate)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_date(text: str) -> datetime | None:
    """A date or date-time in ISO or day-month-year form; ``None`` when it is not one."""
    if not any(separator in text for separator in "-/") or len(text) < 8:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def name_words(name: str) -> list[str]:
    """The words of a column name: "LastActivityDate" and "last_activity date" alike."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [word.lower() for word in re.split(r"[^0-9A-Za-zÀ-ÿ]+", spaced) if word]


def infer_kind(name: str, values: Sequence[str | None]) -> ColumnKind:
    """The kind of a column from its filled values (and, for identifiers, its name)."""
    counts = Counter(value for value in values if value is not None)
    if len(counts) <= 1:
        return ColumnKind.CONSTANT
    filled = sum(counts.values())
    unique_share = len(counts) / filled

    def share(parses: Callable[[str], object]) -> float:
        # Each distinct value is parsed once and weighted by how often it occurs.
        return (
            sum(count for value, count in counts.items() if parses(value) is not None)
            / filled
        )

    if share(parse_number) >= _PARSE_SHARE:
        whole = all(
            number is None or number.is_integer()
            for number in (parse_number(value) for value in counts)
        )
        named_like_id = bool(_IDENTIFIER_WORDS & set(name_words(name)))
        if whole and unique_share > 0.99 and named_like_id:
            return ColumnKind.IDENTIFIER
        return ColumnKind.NUMERIC
    if share(parse_date) >= _PARSE_SHARE:
        return ColumnKind.DATE
    mean_words = (
        sum(len(value.split()) * count for value, count in counts.items()) / filled
    )
    if unique_share > 0.9 and len(counts) >= 20:
        return ColumnKind.TEXT if mean_words >= 3 else ColumnKind.IDENTIFIER
    if mean_words >= 6 and unique_share > 0.5:
        return ColumnKind.TEXT
    return ColumnKind.CATEGORICAL


_POSITIVE_WORDS: Final = frozenset(
    {
        "1",
        "1.0",
        "true",
        "yes",
        "y",
        "won",
        "win",
        "converted",
        "ja",
        "j",
        "gewonnen",
        "waar",
    }
)


@dataclass(frozen=True, slots=True)
class Outcomes:
    """The outcome column read as won/not won, and the rows that have one."""

    rows: tuple[int, ...]
    outcomes: tuple[bool, ...]
    positive: str
    skipped: int


def outcomes_from_column(
    table: Table, name: str, *, positive: str | None = None
) -> Outcomes:
    """Read column ``name`` as the outcome; rows with an empty cell are skipped.

    Without ``positive``, a two-valued column with a value such as 1, yes,
    true, won or ja counts that value as positive. Raises ``UnknownColumn`` or
    ``UnusableTarget`` saying which values there are.
    """
    values = table.column(name)
    distinct = sorted({value for value in values if value is not None})
    listed = ", ".join(f'"{value}"' for value in distinct[:20])
    if positive is not None:
        matches = [
            value
            for value in distinct
            if value.casefold() == positive.strip().casefold()
        ]
        if not matches:
            raise UnusableTarget(
                f'Column "{name}" has no value "{positive}". Its values are: {listed}.'
            )
        chosen = matches[0]
    else:
        if len(distinct) != 2:
            raise UnusableTarget(
                f'Column "{name}" has {len(distinct)} different values ({listed}); '
                "name the value that means a positive outcome with --positive."
            )
        recognised = [
            value for value in distinct if value.casefold() in _POSITIVE_WORDS
        ]
        if len(recognised) != 1:
            raise UnusableTarget(
                f'Column "{name}" has the values {listed}; say which one means a '
                "positive outcome with --positive."
            )
        chosen = recognised[0]
    rows = tuple(index for index, value in enumerate(values) if value is not None)
    return Outcomes(
        rows=rows,
        outcomes=tuple(
            str(values[index]).casefold() == chosen.casefold() for index in rows
        ),
        positive=chosen,
        skipped=table.n_rows - len(rows),
    )
