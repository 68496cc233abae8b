"""How many CSV rows per second ``leadqual import-leads`` imports.

Run with ``.venv/bin/python benchmarks/bench_import.py``. It builds a fresh
SQLite database in a temporary directory (DATABASE_URL is ignored), writes a
20,000-row CRM export with Dutch formatting (semicolons, "1.234" employees,
"€ 10.000,-" budgets, dd-mm-yyyy dates; one row in ten updates an earlier
email, one in a hundred is broken) and imports it through the importer the
command uses, with scoring and triage as in production. Prints the counts and
"Import rows per second: N".
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

SEED = 20261127
SECTORS = ["software", "logistiek", "bouw", "zorg", "onderwijs"]
URGENCIES = ["nu", "binnen 3 maanden", "binnen 12 maanden", "oriënterend"]
EMPLOYEES = ["5", "25", "1.250", "10-49", "51-200", "320"]
BUDGETS = ["", "€ 2.500,-", "€ 10.000,-", "1.234,56", "50.000"]


def _configure_environment(data_dir: Path) -> None:
    os.environ["LEADQUAL_DATA_DIR"] = str(data_dir)
    os.environ["LEADQUAL_SECRET_KEY"] = "benchmark-only-secret-key-not-for-production"
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
    os.environ.setdefault("LEADQUAL_LOG_LEVEL", "WARNING")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LEADQUAL_SECRET_KEY_FILE", None)


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


def main() -> int:
    """Run the benchmark; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=20_000)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="leadqual-bench-") as data_dir:
        _configure_environment(Path(data_dir))
        import django

        django.setup()
        from django.core.management import call_command
        from django.utils import timezone

        from leadqual.intake.imports import import_leads_file

        call_command("migrate", verbosity=0)
        path = Path(data_dir) / "crm.csv"
        write_export(path, arguments.rows)
        started = time.perf_counter()
        report = import_leads_file(path, now=timezone.now())
        elapsed = time.perf_counter() - started
        print(
            f"Imported {report.rows:,} rows in {elapsed:.1f} s: created "
            f"{report.created:,}, updated {report.updated:,}, rejected "
            f"{len(report.rejected):,}"
        )
        print(f"Import rows per second: {report.rows / elapsed:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
