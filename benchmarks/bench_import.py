"""How many CSV rows per second ``leadqual import-leads`` imports.

Run with ``.venv/bin/python benchmarks/bench_import.py``. It runs once on a
fresh SQLite database and once on a fresh PostgreSQL database (see
benchmark_databases.py; ``--database`` picks one). Each run writes a
20,000-row CRM export with Dutch formatting (semicolons, "1.234" employees,
"€ 10.000,-" budgets, dd-mm-yyyy dates; one row in ten updates an earlier
email, one in a hundred is broken) and imports it through the importer the
command uses, with scoring and triage as in production. Prints the counts,
"Import rows per second", and the rows per CPU-second of this process (a
fairer figure on a busy machine; PostgreSQL's own CPU is not in it).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import benchmark_databases

SEED = 20261127
SECTORS = ["software", "logistiek", "bouw", "zorg", "onderwijs"]
URGENCIES = ["nu", "binnen 3 maanden", "binnen 12 maanden", "oriënterend"]
EMPLOYEES = ["5", "25", "1.250", "10-49", "51-200", "320"]
BUDGETS = ["", "€ 2.500,-", "€ 10.000,-", "1.234,56", "50.000"]


def write_export(path: Path, rows: int) -> None:
    """A HubSpot-like Dutch export of ``rows`` rows, in UTF-8 with a BOM."""
    rng = random.Random(SEED)
    lines = [
        "E-mailadres;Voornaam;Achternaam;Bedrijfsnaam;Branche;"
        "Aantal medewerkers;Budget;Urgentie;Land;Aanmaakdatum"
    ]
    for n in range(rows):
        number = rng.randrange(n) if n and n % 10 == 0 else n
        email = (
            "kapot-adres" if n % 100 == 99 else f"lead{number}@bedrijf{number % 900}.nl"
        )
        lines.append(
            ";".join(
                [
                    email,
                    "Lead",
                    str(number),
                    f"Bedrijf {number % 900} B.V.",
                    rng.choice(SECTORS),
                    rng.choice(EMPLOYEES),
                    rng.choice(BUDGETS),
                    rng.choice(URGENCIES),
                    "NL",
                    f"{rng.randint(1, 28):02}-{rng.randint(1, 12):02}-2026",
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def _run(database: str, rows: int) -> int:
    with benchmark_databases.fresh_database(database) as data_dir:
        from django.utils import timezone

        from leadqual.intake.imports import import_leads_file

        path = data_dir / "crm.csv"
        write_export(path, rows)
        started, cpu_started = time.perf_counter(), time.process_time()
        report = import_leads_file(path, now=timezone.now())
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        print(
            f"Imported {report.rows:,} rows in {elapsed:.1f} s ({database}): created "
            f"{report.created:,}, updated {report.updated:,}, rejected "
            f"{len(report.rejected):,}"
        )
        print(f"Import rows per second ({database}): {report.rows / elapsed:,.0f}")
        print(
            f"Import rows per CPU-second of leadqual ({database}): {report.rows / cpu:,.0f}"
        )
    return 0


def main() -> int:
    """Run the benchmark; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=20_000)
    benchmark_databases.add_database_argument(parser)
    arguments = parser.parse_args()
    return benchmark_databases.run_on_each_database(
        arguments, lambda database: _run(database, arguments.rows)
    )


if __name__ == "__main__":
    sys.exit(main())
