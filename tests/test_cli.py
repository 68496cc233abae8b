"""The `leadqual` console script: help with leadqual's commands first, both
spellings; quiet commands (progress and a summary) with log lines on --verbose."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from leadqual.cli import take_verbose_flag
from tests.subprocesses import LEADQUAL, subprocess_env

CRM_EXPORT = (
    "Email,Company,Number of Employees,Budget\n"
    "anna@bakkerij-jansen.nl,Bakkerij Jansen,40,30000\n"
    "kees@gmail.com,,3,\n"
)


def _leadqual(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(tmp_path)
    # The default is what a user gets: no log level set anywhere.
    env.pop("LEADQUAL_LOG_LEVEL", None)
    return subprocess.run(
        [str(LEADQUAL), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", [(), ("help",), ("--help",), ("-h",)])
def test_help_lists_leadqual_commands_first_with_what_each_does(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = _leadqual(tmp_path, *args)

    assert result.returncode == 0, result.stderr
    ours, _, django = result.stdout.partition("Django's commands")
    assert "  import-leads  " in ours
    assert "Create or update leads from a CSV or XLSX export" in ours
    assert "  serve  " in ours and "  demo-data  " in ours
    # Django's own commands follow, by name only, not among ours.
    assert "migrate" in django and "migrate" not in ours
    assert "import_leads" not in result.stdout


@pytest.mark.parametrize("spelling", ["import-leads", "import_leads"])
def test_help_of_one_command_takes_both_spellings(
    tmp_path: Path, spelling: str
) -> None:
    result = _leadqual(tmp_path, "help", spelling)

    assert result.returncode == 0, result.stderr
    assert "--dry-run" in result.stdout


def test_help_without_settings_says_what_is_missing_in_one_line(
    tmp_path: Path,
) -> None:
    env = subprocess_env(tmp_path)
    del env["LEADQUAL_SECRET_KEY"]
    env.pop("LEADQUAL_DEBUG", None)

    result = subprocess.run(
        [str(LEADQUAL), "help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.startswith(
        "leadqual cannot list its commands: LEADQUAL_SECRET_KEY"
    )
    assert "Traceback" not in result.stderr


def _import(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    assert _leadqual(tmp_path, "migrate", "--verbosity", "0").returncode == 0
    export = tmp_path / "crm.csv"
    export.write_text(CRM_EXPORT, encoding="utf-8")
    return _leadqual(tmp_path, "import-leads", str(export), *flags)


def test_an_import_prints_progress_and_a_summary_and_no_log_lines(
    tmp_path: Path,
) -> None:
    result = _import(tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Imported crm.csv: created 2, updated 0, rejected 0 of 2 rows.\n"
    )
    # Not a terminal: a plain progress line instead of a redrawn bar.
    assert result.stderr == "2 of 2 rows (100%)\n"


@pytest.mark.parametrize("flag", ["--verbose", "-v"])
def test_verbose_adds_the_log_lines_on_stderr(tmp_path: Path, flag: str) -> None:
    result = _import(tmp_path, flag)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported crm.csv: created 2,")
    assert " INFO leadqual.scoring.services: Rescored 2 leads (import)" in (
        result.stderr
    )
    assert " INFO " not in result.stdout


def test_no_progress_leaves_only_the_summary(tmp_path: Path) -> None:
    result = _import(tmp_path, "--no-progress")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Imported crm.csv: created 2,")


@pytest.mark.parametrize(
    ("args", "kept", "verbose"),
    [
        (["import-leads", "a.csv"], ["import-leads", "a.csv"], False),
        (["import-leads", "-v", "a.csv"], ["import-leads", "a.csv"], True),
        (["--verbose", "rescore"], ["rescore"], True),
        (["rescore", "-v"], ["rescore"], True),
        # Django's verbosity stays Django's; 2 and 3 are verbose too.
        (["migrate", "-v", "0"], ["migrate", "-v", "0"], False),
        (["migrate", "-v", "2"], ["migrate", "-v", "2"], True),
        (["migrate", "--verbosity", "3"], ["migrate", "--verbosity", "3"], True),
    ],
)
def test_the_verbose_flag_is_taken_out_and_djangos_verbosity_kept(
    args: list[str], kept: list[str], *, verbose: bool
) -> None:
    assert take_verbose_flag(args) == (kept, verbose)
