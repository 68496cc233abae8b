"""The environment readers of leadqual.config.env, and how the settings use them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from leadqual.config import env
from leadqual.config.env import (
    env_bool,
    env_int,
    env_list,
    env_optional_str,
    env_path,
    env_secret,
    env_str,
)


@pytest.fixture(autouse=True)
def _keep_read_variables() -> Iterator[None]:
    """Names read here are made up: keep them out of READ_VARIABLES, which
    tests/config/test_env_example.py compares with .env.example."""
    before = set(env.READ_VARIABLES)
    yield
    env.READ_VARIABLES.clear()
    env.READ_VARIABLES.update(before)


# --- env_bool ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["true", "TRUE", "True", "1", "yes", "YES", "Yes", " true "]
)
def test_env_bool_reads_true_in_any_case(value: str) -> None:
    assert env_bool("LQ_FLAG", default=False, environ={"LQ_FLAG": value}) is True


@pytest.mark.parametrize("value", ["false", "FALSE", "False", "0", "no", "NO", "No"])
def test_env_bool_reads_false_in_any_case(value: str) -> None:
    assert env_bool("LQ_FLAG", default=True, environ={"LQ_FLAG": value}) is False


@pytest.mark.parametrize("environ", [{}, {"LQ_FLAG": ""}, {"LQ_FLAG": "   "}])
def test_env_bool_gives_the_default_when_unset_or_empty(
    environ: dict[str, str],
) -> None:
    assert env_bool("LQ_FLAG", default=True, environ=environ) is True
    assert env_bool("LQ_FLAG", default=False, environ=environ) is False


@pytest.mark.parametrize("value", ["maybe", "2", "ja", "truee"])
def test_env_bool_refuses_anything_else_naming_variable_and_value(value: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        env_bool("LQ_FLAG", default=False, environ={"LQ_FLAG": value})
    message = str(raised.value)
    assert "LQ_FLAG" in message
    assert f'"{value}"' in message
    assert "true or false" in message


# --- env_int -------------------------------------------------------------------


def test_env_int_reads_a_whole_number() -> None:
    assert env_int("LQ_WORKERS", 1, environ={"LQ_WORKERS": " 4 "}) == 4
    assert env_int("LQ_WORKERS", 1, environ={"LQ_WORKERS": "-3"}) == -3


def test_env_int_gives_the_default_when_unset() -> None:
    assert env_int("LQ_WORKERS", 2, environ={}) == 2


@pytest.mark.parametrize("value", ["four", "2.5", "1e3", "10k"])
def test_env_int_refuses_a_value_that_is_not_a_whole_number(value: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        env_int("LQ_WORKERS", 1, environ={"LQ_WORKERS": value})
    assert str(raised.value) == f'LQ_WORKERS must be a whole number, got "{value}".'


@pytest.mark.parametrize("value", ["1", "8", "16"])
def test_env_int_accepts_the_bounds_themselves(value: str) -> None:
    number = env_int(
        "LQ_WORKERS", 1, minimum=1, maximum=16, environ={"LQ_WORKERS": value}
    )
    assert number == int(value)


@pytest.mark.parametrize("value", ["0", "17"])
def test_env_int_refuses_a_number_out_of_range(value: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        env_int("LQ_WORKERS", 1, minimum=1, maximum=16, environ={"LQ_WORKERS": value})
    message = str(raised.value)
    assert "LQ_WORKERS" in message
    assert "between 1 and 16" in message
    assert value in message


def test_env_int_checks_a_minimum_alone() -> None:
    with pytest.raises(ImproperlyConfigured, match="LQ_BYTES"):
        env_int("LQ_BYTES", 2048, minimum=1024, environ={"LQ_BYTES": "10"})
    assert env_int("LQ_BYTES", 2048, minimum=1024, environ={"LQ_BYTES": "4096"}) == 4096


# --- env_list, env_str, env_optional_str, env_path -----------------------------


def test_env_list_splits_on_commas_and_drops_blanks() -> None:
    environ = {"LQ_HOSTS": " leads.example.nl, ,localhost ,"}
    assert env_list("LQ_HOSTS", [], environ=environ) == [
        "leads.example.nl",
        "localhost",
    ]


def test_env_list_gives_a_copy_of_the_default_when_unset() -> None:
    default = ["localhost"]
    hosts = env_list("LQ_HOSTS", default, environ={})
    assert hosts == ["localhost"]
    hosts.append("changed")
    assert default == ["localhost"]


def test_env_str_strips_the_value_and_defaults_when_empty() -> None:
    assert env_str("LQ_ZONE", "UTC", environ={"LQ_ZONE": " Europe/Amsterdam "}) == (
        "Europe/Amsterdam"
    )
    assert env_str("LQ_ZONE", "UTC", environ={"LQ_ZONE": ""}) == "UTC"
    assert env_str("LQ_ZONE", "UTC", environ={}) == "UTC"


def test_env_optional_str_is_none_when_unset_or_empty() -> None:
    assert env_optional_str("LQ_URL", environ={}) is None
    assert env_optional_str("LQ_URL", environ={"LQ_URL": "  "}) is None
    assert env_optional_str("LQ_URL", environ={"LQ_URL": "sqlite:///x"}) == (
        "sqlite:///x"
    )


def test_env_path_makes_the_path_absolute(tmp_path: Path) -> None:
    given = env_path("LQ_DIR", tmp_path, environ={"LQ_DIR": str(tmp_path / "a/../b")})
    assert given == (tmp_path / "b").resolve()
    assert env_path("LQ_DIR", Path("relative"), environ={}).is_absolute()


def test_every_reader_records_the_name_it_read() -> None:
    env_str("LQ_RECORDED_STR", "", environ={})
    env_bool("LQ_RECORDED_BOOL", default=False, environ={})
    assert {"LQ_RECORDED_STR", "LQ_RECORDED_BOOL"} <= env.READ_VARIABLES


# --- env_secret ----------------------------------------------------------------


def test_env_secret_reads_the_value() -> None:
    assert env_secret("LQ_KEY", environ={"LQ_KEY": "s3cret"}) == "s3cret"


def test_env_secret_is_none_when_neither_is_set() -> None:
    assert env_secret("LQ_KEY", environ={}) is None


def test_env_secret_from_a_file_wins_over_the_value(tmp_path: Path) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("from-the-file\n", encoding="utf-8")
    environ = {"LQ_KEY": "from-the-value", "LQ_KEY_FILE": str(secret_file)}
    assert env_secret("LQ_KEY", environ=environ) == "from-the-file"


def test_env_secret_records_the_file_variant() -> None:
    env_secret("LQ_RECORDED_KEY", environ={})
    assert {"LQ_RECORDED_KEY", "LQ_RECORDED_KEY_FILE"} <= env.READ_VARIABLES


def test_env_secret_refuses_an_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file"
    with pytest.raises(ImproperlyConfigured) as raised:
        env_secret("LQ_KEY", environ={"LQ_KEY_FILE": str(missing)})
    message = str(raised.value)
    assert "LQ_KEY_FILE" in message
    assert str(missing) in message
    assert "cannot be read" in message


def test_env_secret_refuses_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured) as raised:
        env_secret("LQ_KEY", environ={"LQ_KEY_FILE": str(empty), "LQ_KEY": "x"})
    assert str(raised.value) == f'LQ_KEY_FILE points to "{empty}", which is empty.'


# --- the settings --------------------------------------------------------------


def run_settings(
    code: str, tmp_path: Path, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with leadqual's real settings and only
    the given LEADQUAL_* variables (and no DATABASE_URL)."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LEADQUAL_") and name != "DATABASE_URL"
    }
    environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
    environ.update(variables)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_start_without_a_secret_key_outside_debug(
    tmp_path: Path,
) -> None:
    result = run_settings(
        "import django; django.setup()",
        tmp_path,
        LEADQUAL_DEBUG="false",
        LEADQUAL_DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 1
    assert "ImproperlyConfigured" in result.stderr
    assert "LEADQUAL_SECRET_KEY is not set" in result.stderr


def test_settings_start_without_a_secret_key_in_debug(tmp_path: Path) -> None:
    result = run_settings(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG)",
        tmp_path,
        LEADQUAL_DEBUG="true",
        LEADQUAL_DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_settings_refuse_a_bad_boolean_at_startup(tmp_path: Path) -> None:
    result = run_settings(
        "import django; django.setup()",
        tmp_path,
        LEADQUAL_DEBUG="sometimes",
        LEADQUAL_SECRET_KEY="x" * 50,
    )
    assert result.returncode == 1
    assert "LEADQUAL_DEBUG must be true or false" in result.stderr
    assert '"sometimes"' in result.stderr


def test_without_database_url_the_database_is_sqlite_in_wal_mode_in_the_data_dir(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    result = run_settings(
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    print(connection.vendor, cursor.fetchone()[0])\n"
        "print(connection.settings_dict['NAME'])\n",
        tmp_path,
        LEADQUAL_SECRET_KEY="x" * 50,
        LEADQUAL_DATA_DIR=str(data_dir),
    )
    assert result.returncode == 0, result.stderr
    vendor_and_mode, name = result.stdout.strip().splitlines()
    assert vendor_and_mode == "sqlite wal"
    assert Path(name) == data_dir.resolve() / "leadqual.sqlite3"
    assert (data_dir / "leadqual.sqlite3").exists()


def test_a_number_with_only_a_minimum_names_just_that_bound() -> None:
    with pytest.raises(ImproperlyConfigured, match="must be at least 1024, got 10"):
        env_int(
            "LEADQUAL_MAX_REQUEST_BYTES",
            5,
            minimum=1024,
            environ={"LEADQUAL_MAX_REQUEST_BYTES": "10"},
        )
