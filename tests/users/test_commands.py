"""`leadqual create-user` and `leadqual create-token`."""

from __future__ import annotations

import getpass
import io
import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from leadqual.users.models import ApiToken
from leadqual.users.roles import Role
from leadqual.users.services import authenticate_token, role_of, token_digest
from tests.factories import make_user
from tests.subprocesses import LEADQUAL, subprocess_env

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    """Standard input that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(name: str, *args: str, **options: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def typed_passwords(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """Answer getpass prompts with these passwords, recording the prompts."""
    remaining = list(answers)
    prompts: list[str] = []

    def answer(prompt: str = "Password: ", stream: object = None) -> str:
        prompts.append(prompt)
        return remaining.pop(0)

    monkeypatch.setattr(getpass, "getpass", answer)
    return prompts


def test_create_user_with_a_password_can_log_in() -> None:
    out, _err = run(
        "create_user",
        "sanne",
        role="sales",
        email="sanne@example.nl",
        password="correct horse battery",
    )

    user = User.objects.get(username="sanne")
    assert out.strip() == 'Created sales user "sanne".'
    assert user.check_password("correct horse battery")
    assert user.email == "sanne@example.nl"
    assert role_of(user) is Role.SALES


def test_create_user_on_a_terminal_asks_for_the_password_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prompts = typed_passwords(
        monkeypatch, "correct horse battery", "correct horse battery"
    )

    run("create_user", "fleur", role="marketing", stdin=Terminal())

    assert len(prompts) == 2
    assert User.objects.get(username="fleur").check_password("correct horse battery")


def test_create_user_refuses_two_different_passwords(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    typed_passwords(monkeypatch, "correct horse battery", "correct horse batery")

    with pytest.raises(CommandError, match="The two passwords differ"):
        run("create_user", "fleur", role="marketing", stdin=Terminal())
    assert not User.objects.filter(username="fleur").exists()


def test_create_user_without_a_terminal_creates_a_user_who_cannot_log_in_yet() -> None:
    out, _err = run("create_user", "ruben", role="admin", stdin=io.StringIO())

    user = User.objects.get(username="ruben")
    assert not user.has_usable_password()
    assert user.is_superuser
    assert "leadqual changepassword ruben" in out


def test_create_user_refuses_an_unknown_role_naming_it() -> None:
    with pytest.raises(CommandError) as raised:
        run("create_user", "sanne", role="boss", password="correct horse battery")

    assert str(raised.value) == (
        '"boss" is not a role. Use one of sales, marketing, admin.'
    )
    assert not User.objects.exists()


def test_create_user_refuses_a_taken_name() -> None:
    make_user("sanne")

    with pytest.raises(CommandError) as raised:
        run("create_user", "Sanne", role="sales", password="correct horse battery")

    assert str(raised.value) == (
        'A user named "Sanne" already exists. Choose another name.'
    )


def test_create_user_refuses_a_weak_password() -> None:
    with pytest.raises(CommandError, match="The password is too weak"):
        run("create_user", "sanne", role="sales", password="1234")
    assert not User.objects.exists()


def test_create_token_prints_the_secret_alone_and_a_note_on_stderr() -> None:
    out, err = run("create_token", "website form")

    secret = out.strip()
    assert out == secret + "\n"
    assert secret.startswith("lq_")
    assert "it is not shown again" in err
    token = authenticate_token(secret, now=timezone.now())
    assert token is not None and token.name == "website form"


def test_create_token_stores_only_the_digest_of_the_secret() -> None:
    out, _err = run("create_token", "crm")
    secret = out.strip()

    token = ApiToken.objects.get(name="crm")
    assert token.digest == token_digest(secret)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert not any(secret in value for value in stored)


def test_create_token_for_a_user_that_expires() -> None:
    user = make_user("sanne")
    before = timezone.now()

    run("create_token", "crm", user="sanne", expires_in_days="30")

    token = ApiToken.objects.get(name="crm")
    assert token.user == user
    assert token.expires_at is not None
    assert (
        before + timedelta(days=30)
        <= token.expires_at
        <= timezone.now() + timedelta(days=30)
    )


def test_create_token_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match='There is no user named "nobody"'):
        run("create_token", "crm", user="nobody")
    assert not ApiToken.objects.exists()


def test_create_token_refuses_a_bad_expiry_quoting_it() -> None:
    with pytest.raises(CommandError) as raised:
        run("create_token", "crm", expires_in_days="soon")

    assert str(raised.value) == (
        '--expires-in-days must be a whole number of days, 1 or more, got "soon".'
    )


def test_create_token_refuses_a_taken_name() -> None:
    run("create_token", "crm")

    with pytest.raises(CommandError, match='A token named "crm" already exists'):
        run("create_token", "crm")
    assert ApiToken.objects.count() == 1


def test_the_console_script_prints_a_secret_a_script_can_capture(
    tmp_path: Path,
) -> None:
    env = subprocess_env(tmp_path)
    subprocess.run(
        [LEADQUAL, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120
    )

    result = subprocess.run(
        [LEADQUAL, "create-token", "website form", "--expires-in-days", "7"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lq_")
    assert "it is not shown again" in result.stderr
    assert lines[0] not in result.stderr
    # The database file and its write-ahead log, wherever the row ended up.
    database = b"".join(
        path.read_bytes() for path in tmp_path.glob("leadqual.sqlite3*")
    )
    assert lines[0].encode() not in database
    assert token_digest(lines[0]).encode() in database
