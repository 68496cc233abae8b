"""Reading tables and inferring what each column is."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from leadqual.predictive import ColumnKind, Table, read_table
from leadqual.predictive.errors import UnknownColumn, UnreadableData, UnusableTarget
from leadqual.predictive.table import clean_cell, infer_kind, outcomes_from_column


@pytest.mark.parametrize(
    "placeholder",
    ["", "  ", "Select", "SELECT", "-- Kies --", "n/a", "N/A", "none", "Unknown", "-"],
)
def test_placeholder_words_are_missing(placeholder: str) -> None:
    assert clean_cell(placeholder) is None


@pytest.mark.parametrize(
    "value", ["Other", "No", "0", "-1", "Selected clients", "Geen"]
)
def test_real_values_are_not_mistaken_for_placeholders(value: str) -> None:
    assert clean_cell(value) == value


def test_column_kinds_are_inferred_from_values_and_identifier_names() -> None:
    rows = 60
    columns: dict[str, list[object]] = {
        "Customer number": list(range(1000, 1000 + rows)),
        "Visits": [index % 7 for index in range(rows)],
        "Turnover": [f"{index * 1.5:.1f}".replace(".", ",") for index in range(rows)],
        "Sector": [
            ("retail", "software", "health")[index % 3] for index in range(rows)
        ],
        "Created": [f"2026-01-{1 + index % 28:02d}" for index in range(rows)],
        "Email": [f"person{index}@example.com" for index in range(rows)],
        "Message": [
            f"we would like a demo of product {index} next week"
            for index in range(rows)
        ],
        "Opt in": ["No"] * rows,
    }
    table = Table.from_columns(columns)

    kinds = {name: infer_kind(name, table.column(name)) for name in table.columns}

    assert kinds == {
        "Customer number": ColumnKind.IDENTIFIER,
        "Visits": ColumnKind.NUMERIC,
        "Turnover": ColumnKind.NUMERIC,
        "Sector": ColumnKind.CATEGORICAL,
        "Created": ColumnKind.DATE,
        "Email": ColumnKind.IDENTIFIER,
        "Message": ColumnKind.TEXT,
        "Opt in": ColumnKind.CONSTANT,
    }


def test_a_unique_number_without_an_identifier_name_stays_numeric() -> None:
    values = tuple(str(value * 37) for value in range(100))
    assert infer_kind("Revenue", values) is ColumnKind.NUMERIC


def test_a_semicolon_csv_with_placeholders_is_read(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Name;Sector;Budget\nAnna;Select;1000\nKees;retail;\n", encoding="utf-8"
    )

    table = read_table(path)

    assert table.columns == ("Name", "Sector", "Budget")
    assert table.column("Sector") == (None, "retail")
    assert table.column("Budget") == ("1000", None)


def test_an_xlsx_sheet_is_read(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Sector", "Employees"])
    sheet.append(["retail", 12])
    sheet.append(["software", None])
    path = tmp_path / "leads.xlsx"
    workbook.save(path)

    table = read_table(path)

    assert table.column("Employees") == ("12", None)
    assert table.n_rows == 2


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UnreadableData, match=r"There is no file .*nothing.csv"):
        read_table(tmp_path / "nothing.csv")


def test_a_row_with_too_many_cells_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(UnreadableData, match=r"row 3: 3 cells but the header names 2"):
        read_table(path)


def test_duplicate_column_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("a,a\n1,2\n", encoding="utf-8")
    with pytest.raises(UnreadableData, match=r'"a" appear more than once'):
        read_table(path)


def test_an_unknown_column_lists_the_columns() -> None:
    table = Table.from_columns({"Sector": ["retail"], "Won": ["yes"]})
    with pytest.raises(UnknownColumn, match=r'no column "Converted".*"Sector", "Won"'):
        table.column("Converted")


def test_yes_counts_as_the_positive_outcome_and_empty_outcomes_are_skipped() -> None:
    table = Table.from_columns({"Won": ["yes", "no", None, "Yes"]})

    outcomes = outcomes_from_column(table, "Won", positive="YES")

    assert outcomes.rows == (0, 1, 3)
    assert outcomes.outcomes == (True, False, True)
    assert outcomes.skipped == 1


def test_a_target_with_unclear_values_asks_for_positive() -> None:
    table = Table.from_columns({"Stage": ["open", "closed", "open"]})
    with pytest.raises(UnusableTarget, match=r"--positive"):
        outcomes_from_column(table, "Stage")


def test_a_positive_value_that_is_not_there_lists_the_values() -> None:
    table = Table.from_columns({"Won": ["0", "1"]})
    with pytest.raises(
        UnusableTarget, match=r'no value "yes". Its values are: "0", "1"'
    ):
        outcomes_from_column(table, "Won", positive="yes")
