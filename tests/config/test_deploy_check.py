"""`leadqual check --deploy` passes with the production settings of docs/deployment.md."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.subprocesses import LEADQUAL, subprocess_env

# Django wants at least 50 characters, 5 of them different (security.W009).
PRODUCTION_SECRET_KEY = "Lq7-production-like-secret-key-0123456789-abcdefghijklmnop"


def production_env(data_dir: Path, **changes: str | None) -> dict[str, str]:
    """The environment docs/deployment.md asks for; None in ``changes`` unsets."""
    env = subprocess_env(data_dir)
    # The browser tests set it for themselves; a server never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        {
            "LEADQUAL_SECRET_KEY": PRODUCTION_SECRET_KEY,
            "LEADQUAL_ALLOWED_HOSTS": "leads.example.nl",
            "LEADQUAL_HTTPS": "true",
        }
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_leadqual(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LEADQUAL, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_the_production_settings(tmp_path: Path) -> None:
    result = run_leadqual(
        production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_https(tmp_path: Path) -> None:
    """LEADQUAL_HTTPS is what turns on the redirect, HSTS and secure cookies."""
    result = run_leadqual(
        production_env(tmp_path, LEADQUAL_HTTPS=None),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def _setting(env: dict[str, str], expression: str) -> str:
    code = f"from django.conf import settings; print({expression})"
    result = run_leadqual(env, "shell", "--no-imports", "--command", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_proxy_header_is_trusted_only_behind_a_proxy(tmp_path: Path) -> None:
    expression = "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)"
    assert _setting(production_env(tmp_path), expression) == "None"
    behind = production_env(tmp_path, LEADQUAL_BEHIND_PROXY="true")
    assert _setting(behind, expression) == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_bad_frame_ancestor_stops_startup_with_the_variable_named(
    tmp_path: Path,
) -> None:
    env = production_env(
        tmp_path, LEADQUAL_FORM_FRAME_ANCESTORS="https://ok.example.nl,'unsafe-inline'"
    )
    result = run_leadqual(env, "check")
    assert result.returncode != 0
    assert "LEADQUAL_FORM_FRAME_ANCESTORS" in result.stderr
    assert "'unsafe-inline'" in result.stderr
