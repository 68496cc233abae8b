"""The `leadqual` console script's help: leadqual's commands first, both spellings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.subprocesses import LEADQUAL, subprocess_env


def _leadqual(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LEADQUAL), *args],
        env=subprocess_env(tmp_path),
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
