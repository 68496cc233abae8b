"""How fast the import reader streams CSV and XLSX rows, and in how much memory.

Run with ``.venv/bin/python benchmarks/bench_import_reader.py``. It writes a
CSV and an XLSX file of 50,000 rows of eight columns, and the hostile
workbook of #10 (2,000 rows of two cells under ``<dimension
ref="A1:XFD1048576"/>``), then reads each with ``read_table`` (the checking
pass) and ``Table.rows()`` (the reading pass). Prints rows per second of
each pass and the peak of Python's memory (tracemalloc, measured in a
separate run so it does not slow the timed one).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HEADER = [
    "Email",
    "First Name",
    "Last Name",
    "Company",
    "Phone",
    "City",
    "Sector",
    "Budget",
]


def _configure_environment(data_dir: Path) -> None:
    os.environ["LEADQUAL_DATA_DIR"] = str(data_dir)
    os.environ["LEADQUAL_SECRET_KEY"] = "benchmark-only-secret-key-not-for-production"
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
    os.environ.pop("DATABASE_URL", None)


def _rows(count: int) -> list[list[str]]:
    return [
        [
            f"lead{n}@bedrijf{n}.nl",
            "Jan",
            "de Vries",
            f"Bedrijf {n} B.V.",
            "06-2345 6789",
            "Utrecht",
            "software",
            "€ 12.500,-",
        ]
        for n in range(count)
    ]


def _measure(path: Path) -> tuple[int, float, float, int]:
    """Rows, seconds of the checking pass, seconds of the reading pass, peak bytes."""
    from leadqual.intake.imports import read_table

    started = time.perf_counter()
    table = read_table(path)
    checked = time.perf_counter()
    rows = sum(1 for _row in table.rows())
    read = time.perf_counter()
    tracemalloc.start()
    table = read_table(path)
    for _row in table.rows():
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return rows, checked - started, read - checked, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    arguments = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory() as folder:
        _configure_environment(Path(folder))
        import django

        django.setup()
        from tests.intake.workbooks import hostile_workbook, leads_workbook

        rows = [HEADER, *_rows(arguments.rows)]
        csv_path = Path(folder) / "crm.csv"
        csv_path.write_text("\n".join(",".join(row) for row in rows) + "\n")
        xlsx_path = Path(folder) / "crm.xlsx"
        xlsx_path.write_bytes(leads_workbook(rows))
        hostile_path = Path(folder) / "hostile.xlsx"
        hostile_path.write_bytes(hostile_workbook(2_000))
        for label, path in (
            ("CSV", csv_path),
            ("XLSX", xlsx_path),
            ("hostile XLSX", hostile_path),
        ):
            count, checking, reading, peak = _measure(path)
            print(
                f"{label} ({path.stat().st_size:,} bytes, {count:,} rows): "
                f"checking pass {count / checking:,.0f} rows/s, reading pass "
                f"{count / reading:,.0f} rows/s, peak {peak / 1e6:.1f} MB"
            )


if __name__ == "__main__":
    main()
