"""CRM exports are recognised, mapped and imported; a killed import resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from leadqual.core.errors import ImportFileError
from leadqual.intake.imports import import_leads_file
from leadqual.intake.models import ImportJob
from leadqual.leads.models import Lead
from tests.subprocesses import LEADQUAL, subprocess_env

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
pytestmark = pytest.mark.django_db


def write(
    tmp_path: Path, text: str, *, name: str = "crm.csv", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(*arguments: str) -> str:
    out = StringIO()
    call_command("import_leads", *arguments, stdout=out)
    return out.getvalue()


def test_a_hubspot_contacts_export_is_recognised_and_imported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Record ID,First Name,Last Name,Email,Company Name,Industry,"
        "Number of Employees,Lead Status,Create Date,Country/Region\n"
        "101,Jan,de Vries,jan@bakker-ict.nl,Bakker ICT,software,51-200,NEW,"
        "2026-11-20 10:15,Netherlands\n",
    )

    report = import_leads_file(path, now=NOW)

    assert report.tool == "hubspot" and report.created == 1
    assert "Lead Status" in report.ignored_columns
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.employees) == ("Jan", "de Vries", 126)
    assert lead.company is not None and lead.company.name == "Bakker ICT"
    assert lead.country == "NL"
    assert lead.created_at.date().isoformat() == "2026-11-20"


def test_a_salesforce_leads_export_is_recognised_and_imported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Lead ID,Salutation,First Name,Last Name,Title,Company,Email,Industry,"
        "No. of Employees,Annual Revenue,Lead Source,Created Date\n"
        "00Q1,Mr.,Piet,Jansen,CTO,Jansen Logistiek,piet@jansen.nl,logistiek,"
        '"1,250","1,000,000.00",Trade Show,27/11/2026\n',
    )

    report = import_leads_file(path, now=NOW)

    assert report.tool == "salesforce" and report.created == 1
    lead = Lead.objects.get()
    assert (lead.job_title, lead.employees, lead.source) == ("CTO", 1250, "Trade Show")


def test_a_pipedrive_persons_export_splits_the_full_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Person - Name,Person - Email - Work,Person - Phone - Work,"
        "Organization - Name,Lead - Value,Person - Person created\n"
        'Anna van den Berg,anna@devries.nl,,De Vries BV,"€ 10.000,-",27-11-2026\n',
    )

    report = import_leads_file(path, now=NOW)

    assert report.tool == "pipedrive" and report.created == 1
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("Anna", "van den Berg")
    assert lead.budget_euros == 10_000


def test_a_dutch_hubspot_export_is_read_with_dutch_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Record-ID;Voornaam;Achternaam;E-mailadres;Bedrijfsnaam;Budget;Aanmaakdatum\n"
        "1;Kees;Smit;kees@smit.nl;Smit Bouw;1.234,50;27-11-2026 09:30\n",
    )

    report = import_leads_file(path, now=NOW)

    assert (report.tool, report.delimiter) == ("hubspot", ";")
    lead = Lead.objects.get()
    assert (lead.first_name, lead.budget_euros) == ("Kees", 1235)


def test_an_xlsx_export_is_read_from_its_first_sheet(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Email", "First Name", "Company Name", "Number of Employees"])
    sheet.append(["jan@bakker-ict.nl", "Jan", "Bakker ICT", 25])
    sheet.append(["geen-adres", "Piet", "Piet BV", 10])
    path = tmp_path / "hubspot.xlsx"
    workbook.save(path)

    report = import_leads_file(path, now=NOW)

    assert (report.encoding, report.created, len(report.rejected)) == ("xlsx", 1, 1)
    assert report.rejected[0].row == 3
    assert Lead.objects.get().employees == 25


def test_an_unknown_sheet_is_refused_naming_the_sheets(tmp_path: Path) -> None:
    workbook = Workbook()
    path = tmp_path / "leads.xlsx"
    workbook.save(path)

    with pytest.raises(ImportFileError, match=r'has no sheet "Leads"\. Its sheets are'):
        import_leads_file(path, now=NOW, sheet="Leads")


def test_a_windows_1252_export_is_reported_as_such(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Email;Bedrijfsnaam\njan@bakker-ict.nl;Café Müller\n",
        encoding="cp1252",
    )

    report = import_leads_file(path, now=NOW)

    assert report.encoding == "cp1252"
    lead = Lead.objects.get()
    assert lead.company is not None and lead.company.name == "Café Müller"


def test_a_broken_row_is_reported_and_the_good_rows_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Email,Create Date,Number of Employees\n"
        "jan@bakker-ict.nl,2026-11-20,10\n"
        "anna@devries.nl,gisteren,10\n",
    )

    output = run_import(str(path))

    assert 'Row 3, column "Create Date": "gisteren" is not a date.' in output
    assert "The 1 good rows were kept." in output


def test_a_map_option_overrides_the_detected_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "Contact,Firma\njan@bakker-ict.nl,Bakker ICT\n")

    run_import(str(path), "--map", "Contact=email", "--map", "Firma=company")

    lead = Lead.objects.get()
    assert lead.company is not None and lead.company.name == "Bakker ICT"


def test_a_map_file_overrides_the_detected_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "Email,Notes\njan@bakker-ict.nl,CTO\n")
    map_file = tmp_path / "mapping.toml"
    map_file.write_text('[columns]\n"Notes" = "job_title"\n', encoding="utf-8")

    run_import(str(path), "--map-file", str(map_file))

    assert Lead.objects.get().job_title == "CTO"


def test_a_mapping_to_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "Email,Notes\njan@bakker-ict.nl,x\n")

    with pytest.raises(CommandError, match='"notities", which is not a lead field'):
        run_import(str(path), "--map", "Notes=notities")
    assert not Lead.objects.exists()


def test_a_dry_run_writes_nothing_and_starts_no_job(tmp_path: Path) -> None:
    path = write(tmp_path, "Email\njan@bakker-ict.nl\n")

    output = run_import(str(path), "--dry-run")

    assert "would create 1" in output
    assert not Lead.objects.exists() and not ImportJob.objects.exists()


def test_an_interrupted_job_resumes_after_its_last_batch(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Email\n" + "".join(f"lead{n}@bedrijf.nl\n" for n in range(5)),
    )

    def crash_after_first_batch(done: int, total: int) -> None:
        if done > 2:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        import_leads_file(
            path, now=NOW, on_progress=crash_after_first_batch, batch_size=2
        )
    # A crash (not an exception) leaves the job running: as a kill -9 would.
    ImportJob.objects.update(status="running")
    resumed: list[tuple[int, int]] = []

    report = import_leads_file(
        path, now=NOW, batch_size=2, on_resume=lambda d, t: resumed.append((d, t))
    )

    assert resumed == [(2, 5)] and report.resumed_after == 2
    assert (report.created, report.updated) == (5, 0)
    assert Lead.objects.count() == 5


def test_restart_starts_an_interrupted_job_over(tmp_path: Path) -> None:
    path = write(tmp_path, "Email\njan@bakker-ict.nl\nanna@devries.nl\n")
    import_leads_file(path, now=NOW)
    ImportJob.objects.filter(status="done").update(status="running", rows_done=1)

    output = run_import(str(path), "--restart")

    assert "Resuming" not in output
    assert "created 0, updated 2, rejected 0 of 2 rows" in output


def test_the_command_says_it_resumes(tmp_path: Path) -> None:
    path = write(tmp_path, "Email\njan@bakker-ict.nl\nanna@devries.nl\n")
    import_leads_file(path, now=NOW)
    ImportJob.objects.update(status="running", rows_done=1)

    output = run_import(str(path))

    assert "Resuming import of" in output and "at row 2 of 2" in output


def _rows_done(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            found = db.execute("SELECT max(rows_done) FROM intake_importjob").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(found[0] or 0)


def test_an_import_killed_midway_leaves_whole_batches_and_resumes(
    tmp_path: Path,
) -> None:
    """kill -9 during an import: only committed batches exist; a rerun finishes."""
    env = subprocess_env(tmp_path)
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=180
    )
    rows = 4000
    lines = ["Email,Company,Number of Employees"]
    for n in range(rows):
        email = "kapot" if n % 97 == 0 else f"lead{n}@bedrijf{n % 50}.nl"
        lines.append(f"{email},Bedrijf {n % 50},{n % 300}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    database = tmp_path / "leadqual.sqlite3"

    process = subprocess.Popen(
        [LEADQUAL, "import-leads", str(path), "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _rows_done(database) == 0 and process.poll() is None:
        assert time.monotonic() < deadline, "the import committed no batch in 120 s"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the import finished before the kill"

    with sqlite3.connect(database) as db:
        done, status = db.execute(
            "SELECT rows_done, status FROM intake_importjob"
        ).fetchone()
        leads = db.execute("SELECT count(*) FROM leads_lead").fetchone()[0]
        rejected = db.execute("SELECT rejected FROM intake_importjob").fetchone()[0]
    assert status == "running" and 0 < done < rows
    assert leads == done - rejected  # whole batches only: no half lead

    rerun = subprocess.run(
        [LEADQUAL, "import-leads", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert rerun.returncode == 0, rerun.stderr
    assert f"Resuming import of {path} at row {done + 1:,} of {rows:,}" in rerun.stdout
    with sqlite3.connect(database) as db:
        created, updated, rejected, status = db.execute(
            "SELECT created, updated, rejected, status FROM intake_importjob"
        ).fetchone()
        leads = db.execute("SELECT count(*) FROM leads_lead").fetchone()[0]
    bad = len(range(0, rows, 97))
    assert (status, rejected, created, updated) == ("done", bad, rows - bad, 0)
    assert leads == rows - bad


def test_the_xeducation_export_maps_its_columns_and_is_refused_without_email(
    tmp_path: Path,
) -> None:
    """The real X Education file has no email column: refused as a whole, saying so."""
    source = SHARED_DATA / "xeducation_leads.csv"
    if not source.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{source} is missing; CI provides ../shared/data.")
        pytest.skip(f"{source} is missing (the shared data folder is not here).")
    head = source.read_text(encoding="utf-8").splitlines()[:501]
    path = write(tmp_path, "\n".join(head) + "\n", name="xeducation.csv")

    with pytest.raises(ImportFileError) as refused:
        import_leads_file(path, now=NOW)

    assert "has no email column" in refused.value.message
    assert '"Lead Source", "Do Not Email"' in refused.value.message
    report = import_leads_file(
        path, now=NOW, dry_run=True, mapping={"Prospect ID": "email"}
    )
    assert report.columns["Lead Source"] == "source"
    assert report.columns["Country"] == "country"
    assert "What is your current occupation" in report.ignored_columns
    assert report.rows == 500 and len(report.rejected) == 500
    assert "is not a valid email address" in str(report.problems[0])
