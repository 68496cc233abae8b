"""CSV imports check every row, keep the good ones and write them in batches."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadqual.core.errors import ImportFileError
from leadqual.intake.imports import import_leads_file
from leadqual.intake.models import ImportJob
from leadqual.leads.models import Lead
from leadqual.scoring.models import Score
from tests.factories import LeadFactory
from tests.subprocesses import LEADQUAL, subprocess_env

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db

GOOD_AND_BAD = (
    "Email,First Name,Company,Employees,Country\n"
    "jan@bakker-ict.nl,Jan,Bakker ICT,25,NL\n"
    "not-an-address,Piet,Piet BV,10,NL\n"
    "anna@devries.nl,Anna,De Vries,120,NL\n"
    "kees@jansen.nl,Kees,Jansen,veel,NL\n"
    "eva@smit.nl,Eva,Smit,5,BE\n"
)


def write_csv(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "leads.csv"
    path.write_bytes(text.encode(encoding))
    return path


def run_import(path: Path, **options: object) -> str:
    out = StringIO()
    call_command("import_leads", str(path), stdout=out, **options)
    return out.getvalue()


def test_good_rows_are_kept_and_bad_rows_reported_by_row_and_column(
    tmp_path: Path,
) -> None:
    report = import_leads_file(write_csv(tmp_path, GOOD_AND_BAD), now=NOW)

    assert (report.created, report.updated, len(report.rejected)) == (3, 0, 2)
    assert [rejected.row for rejected in report.rejected] == [3, 5]
    assert [str(problem) for problem in report.problems] == [
        'Row 3, column "Email": "not-an-address" is not a valid email address: it '
        'needs one "@" between a name and a domain, like name@example.nl.',
        'Row 5, column "Employees": "veel" is not a whole number. '
        "Use digits, for example 10000.",
    ]
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "jan@bakker-ict.nl",
        "anna@devries.nl",
        "eva@smit.nl",
    }


def test_imported_leads_are_scored_like_leads_from_the_api(tmp_path: Path) -> None:
    import_leads_file(write_csv(tmp_path, GOOD_AND_BAD), now=NOW)

    lead = Lead.objects.get(email="anna@devries.nl")
    assert lead.employees == 120 and lead.company is not None
    assert lead.company.name == "De Vries"
    assert lead.score_total is not None
    assert Score.objects.get(lead=lead).trigger == "import"


def test_the_command_prints_counts_then_each_rejection(tmp_path: Path) -> None:
    output = run_import(write_csv(tmp_path, GOOD_AND_BAD))

    assert "created 3, updated 0, rejected 2 of 5 rows" in output
    assert "The 3 good rows were kept." in output
    assert 'Row 5, column "Employees": "veel" is not a whole number.' in output


def test_semicolon_separated_file_with_dutch_headers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "E-mailadres;Voornaam;Achternaam;Bedrijfsnaam;Aantal medewerkers;Urgentie\n"
        'jan@bakker-ict.nl;Jan;de Vries;"Bakker; ICT";1.250;binnen 3 maanden\n',
    )

    report = import_leads_file(path, now=NOW)

    assert report.delimiter == ";" and report.created == 1
    lead = Lead.objects.get(email="jan@bakker-ict.nl")
    assert (lead.first_name, lead.last_name) == ("Jan", "de Vries")
    assert lead.company is not None and lead.company.name == "Bakker; ICT"
    assert (lead.employees, lead.urgency) == (1250, "within_3_months")


def test_header_matching_ignores_case_spaces_and_punctuation(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "E-MAIL ADDRESS,job_title,Phone Number,Industry,Lead Source,Regio\n"
        "jan@bakker-ict.nl,CTO,+31 20 123 4567,software,beurs,Utrecht\n",
    )

    report = import_leads_file(path, now=NOW)

    assert report.columns == {
        "E-MAIL ADDRESS": "email",
        "job_title": "job_title",
        "Phone Number": "phone",
        "Industry": "sector",
        "Lead Source": "source",
        "Regio": "region",
    }
    lead = Lead.objects.get(email="jan@bakker-ict.nl")
    assert (lead.job_title, lead.sector, lead.source, lead.region) == (
        "CTO",
        "software",
        "beurs",
        "Utrecht",
    )


def test_a_byte_order_mark_does_not_end_up_in_the_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "\ufeffEmail,Company\njan@bakker-ict.nl,Café Müller\n")

    report = import_leads_file(path, now=NOW)

    assert report.encoding == "utf-8-sig"
    assert report.columns == {"Email": "email", "Company": "company"}
    lead = Lead.objects.get(email="jan@bakker-ict.nl")
    assert lead.company is not None and lead.company.name == "Café Müller"


def test_a_windows_1252_file_is_read_as_such(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Email;Bedrijf;Budget\njan@bakker-ict.nl;Café Müller;€ 10.000\n",
        encoding="cp1252",
    )

    report = import_leads_file(path, now=NOW)

    assert report.encoding == "cp1252"
    lead = Lead.objects.get(email="jan@bakker-ict.nl")
    assert lead.company is not None and lead.company.name == "Café Müller"
    # The euro sign is byte 0x80 in Windows-1252 and invalid as UTF-8.
    assert lead.budget_euros == 10_000


def test_an_unknown_column_is_listed_once_as_ignored(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Email,Notes,Company\njan@bakker-ict.nl,belt terug,Bakker\n"
        "anna@devries.nl,geen,De Vries\n",
    )

    report = import_leads_file(path, now=NOW)
    output = run_import(path)

    assert report.ignored_columns == ["Notes"]
    assert report.created == 2 and not report.rejected
    assert output.count('Ignored columns (not lead fields): "Notes".') == 1


def test_a_file_without_an_email_column_is_refused_as_a_whole(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Name,Company\nJan,Bakker\n")

    with pytest.raises(ImportFileError, match=r'columns found: "Name", "Company"'):
        import_leads_file(path, now=NOW)
    assert not Lead.objects.exists()


def test_a_broken_workbook_is_refused_with_how_to_save_it_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml")

    with pytest.raises(
        ImportFileError, match=r"Save it again as \.xlsx or as CSV UTF-8"
    ):
        import_leads_file(path, now=NOW)


def test_the_command_refuses_an_unreadable_file_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        run_import(tmp_path / "missing.csv")

    assert str(raised.value) == f'The file "{tmp_path / "missing.csv"}" does not exist.'


def test_a_later_row_with_the_same_email_updates_the_earlier_one(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path,
        "Email,Employees,Job Title\njan@bakker-ict.nl,25,CTO\nJAN@bakker-ict.nl,40,\n",
    )

    report = import_leads_file(path, now=NOW)

    assert (report.created, report.updated) == (1, 1)
    lead = Lead.objects.get()
    # The empty job title in the second row leaves the first row's value.
    assert (lead.employees, lead.job_title) == (40, "CTO")


def test_an_existing_lead_is_updated_and_keeps_its_source(tmp_path: Path) -> None:
    LeadFactory.create(email="jan@bakker-ict.nl", employees=5, source="website")
    path = write_csv(tmp_path, "Email,Employees\njan@bakker-ict.nl,50\nnew@x.nl,3\n")

    report = import_leads_file(path, source="beurs 2026", now=NOW)

    assert (report.created, report.updated) == (1, 1)
    existing = Lead.objects.get(email="jan@bakker-ict.nl")
    assert (existing.employees, existing.source) == (50, "website")
    assert Lead.objects.get(email="new@x.nl").source == "beurs 2026"


def test_a_failure_in_a_batch_rolls_back_that_batch_only(tmp_path: Path) -> None:
    """Each batch is one transaction: an error keeps earlier batches, whole."""
    LeadFactory.create(email="jan@bakker-ict.nl", employees=5)
    path = write_csv(
        tmp_path,
        "Email,Employees\n"
        "anna@devries.nl,10\n"
        "kees@jansen.nl,20\n"
        "jan@bakker-ict.nl,50\n"
        "eva@smit.nl,30\n",
    )

    def fail_in_the_second_batch(done: int, total: int) -> None:
        if done > 2:
            raise RuntimeError("the connection dropped")

    with pytest.raises(RuntimeError, match="the connection dropped"):
        import_leads_file(
            path, now=NOW, on_progress=fail_in_the_second_batch, batch_size=2
        )

    assert set(Lead.objects.values_list("email", flat=True)) == {
        "jan@bakker-ict.nl",
        "anna@devries.nl",
        "kees@jansen.nl",
    }
    assert Lead.objects.get(email="jan@bakker-ict.nl").employees == 5
    assert ImportJob.objects.get().rows_done == 2


def test_progress_is_reported_after_each_batch_as_rows_done_of_rows(
    tmp_path: Path,
) -> None:
    calls: list[tuple[int, int]] = []

    import_leads_file(
        write_csv(tmp_path, GOOD_AND_BAD),
        now=NOW,
        on_progress=lambda done, total: calls.append((done, total)),
        batch_size=2,
    )

    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_a_dry_run_reports_what_would_change_and_writes_nothing(
    tmp_path: Path,
) -> None:
    LeadFactory.create(email="eva@smit.nl")
    path = write_csv(tmp_path, GOOD_AND_BAD)

    report = import_leads_file(path, dry_run=True, now=NOW)
    output = run_import(path, dry_run=True)

    assert (report.created, report.updated, len(report.rejected)) == (2, 1, 2)
    assert "would create 2, update 1 and reject 2 of 5 rows" in output
    assert "Nothing was written." in output
    assert Lead.objects.count() == 1
    assert not Score.objects.exists()


def test_a_row_with_more_values_than_columns_is_rejected(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Email,Company\njan@bakker-ict.nl,Bakker, ICT\nanna@devries.nl,De Vries\n",
    )

    report = import_leads_file(path, now=NOW)

    assert report.created == 1
    assert str(report.problems[0]).startswith(
        "Row 2: has 3 values but the header names 2 columns."
    )


def test_blank_lines_are_skipped_but_keep_the_row_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Email,Employees\n\n,\nanna@devries.nl,veel\n")

    report = import_leads_file(path, now=NOW)

    assert report.rows == 1
    assert [rejected.row for rejected in report.rejected] == [4]


def test_the_console_script_imports_a_file(tmp_path: Path) -> None:
    env = subprocess_env(tmp_path)
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120
    )
    path = write_csv(tmp_path, GOOD_AND_BAD)

    result = subprocess.run(
        [LEADQUAL, "import-leads", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "created 3, updated 0, rejected 2 of 5 rows" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_console_script_fails_with_one_line_for_a_missing_file(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [LEADQUAL, "import-leads", str(tmp_path / "missing.csv")],
        env=subprocess_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f'CommandError: The file "{tmp_path / "missing.csv"}" does not exist.'
    ]


def _dutch_rows(count: int, *, first: int = 0) -> str:
    """A CRM export of ``count`` leads at as many companies, Dutch-formatted."""
    lines = ["E-mail;Voornaam;Bedrijf;Branche;Medewerkers;Budget;Land"]
    lines += [
        f"lead{n}@bedrijf-{n}.nl;Jan;Bedrijf {n} B.V.;groothandel;25;€ 12.500,-;NL"
        for n in range(first, first + count)
    ]
    return "\n".join(lines) + "\n"


def _queries_to_import(tmp_path: Path, rows: int, *, first: int = 0) -> int:
    path = tmp_path / f"{rows}.csv"
    path.write_text(_dutch_rows(rows, first=first), encoding="utf-8")
    with CaptureQueriesContext(connection) as queries:
        report = import_leads_file(path, now=NOW, batch_size=500)
    assert (report.created, report.rejected) == (rows, [])
    return len(queries)


def test_a_batch_of_500_rows_costs_as_many_queries_as_a_batch_of_50(
    tmp_path: Path,
) -> None:
    """Every step of the write path works per batch: no query per row."""
    # A database in use: a lead, and a scoring model that has scored before.
    _queries_to_import(tmp_path, 1, first=10_000)
    small = _queries_to_import(tmp_path, 50)
    large = _queries_to_import(tmp_path, 500, first=1_000)
    assert large == small
    # Ten of them keep the KPI sums: the stored facts, the six reads of
    # lead_facts, the facts written, the day rows created and added to. One
    # more on PostgreSQL: the lock on the batch's duplicate keys.
    assert large <= 54
