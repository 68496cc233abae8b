"""`leadqual privacy export EMAIL` and `leadqual privacy erase EMAIL`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from leadqual.leads.models import Lead
from leadqual.privacy.models import AuditEntry
from tests.privacy.conftest import EMAIL, Person

pytestmark = pytest.mark.django_db


def test_export_prints_json_by_default(person: Person) -> None:
    out = io.StringIO()
    call_command("privacy", "export", EMAIL.upper(), stdout=out)
    assert json.loads(out.getvalue())["lead"]["email"] == EMAIL
    assert AuditEntry.objects.get(action="exported").actor.startswith("command line")


def test_export_writes_csv_to_a_file(person: Person, tmp_path: Path) -> None:
    target = tmp_path / "person.csv"
    call_command("privacy", "export", EMAIL, "--format", "csv", "--output", str(target))
    assert target.read_text(encoding="utf-8").startswith("table,id,data")


def test_export_of_an_unknown_email_says_so(db: None) -> None:
    with pytest.raises(CommandError, match="No lead has the email"):
        call_command("privacy", "export", "niemand@example.nl")


def test_erase_with_yes_erases_the_person(person: Person) -> None:
    out = io.StringIO()
    call_command("privacy", "erase", EMAIL, "--yes", stdout=out)
    assert "Erased lead" in out.getvalue()
    assert not Lead.objects.filter(email=EMAIL).exists()


def test_erase_without_a_terminal_asks_for_yes(person: Person) -> None:
    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy", "erase", EMAIL)
    assert Lead.objects.filter(email=EMAIL).exists()
