"""`.env.example` documents exactly the variables the settings read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from leadqual.config import env

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
# A variable line: NAME=value at the start of a line (never inside a comment).
VARIABLE_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def example_variables() -> dict[str, str]:
    """The variables of .env.example with their example values."""
    variables: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = VARIABLE_LINE.match(line)
        if match:
            variables[match.group(1)] = match.group(2)
    return variables


def test_env_example_lists_every_variable_the_settings_read() -> None:
    assert settings.configured
    assert set(example_variables()) == env.READ_VARIABLES


def test_every_secret_has_its_file_variant_in_env_example() -> None:
    names = set(example_variables())
    assert "LEADQUAL_SECRET_KEY" in names
    assert "LEADQUAL_SECRET_KEY_FILE" in names


def test_every_variable_in_env_example_has_a_comment_above_it() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = VARIABLE_LINE.match(line)
        if match:
            assert number > 0, f"{match.group(1)} needs a comment above it"
            assert lines[number - 1].startswith("#"), (
                f"{match.group(1)} (line {number + 1}) needs a comment above it"
            )


def test_env_example_values_start_leadqual_as_documented(tmp_path: Path) -> None:
    """The example values, loaded as they are, give a working configuration."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LEADQUAL_") and name != "DATABASE_URL"
    }
    environ.update(example_variables())
    environ.update(
        DJANGO_SETTINGS_MODULE="leadqual.config.settings",
        LEADQUAL_SECRET_KEY="env-example-test-secret",
        LEADQUAL_DATA_DIR=str(tmp_path / "data"),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.TIME_ZONE, settings.ALLOWED_HOSTS)",
        ],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False Europe/Amsterdam ['localhost', '127.0.0.1', '[::1]']"
    )
