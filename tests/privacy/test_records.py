"""The erasure record: kept outside the database, re-applied after a restore."""

from __future__ import annotations

import io
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from leadqual.intake.pipeline import submit_lead
from leadqual.leads.models import Lead
from leadqual.privacy.models import AuditEntry, Suppression
from leadqual.privacy.records import ErasureRecordError, record_erasure, record_path
from leadqual.privacy.services import erase_person, reapply_recorded_erasures
from leadqual.privacy.suppression import contact_hash, is_suppressed
from tests.privacy.conftest import (
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    NOW,
    OTHER_EMAIL,
    PHONE_E164,
    Person,
)

pytestmark = pytest.mark.django_db

ERASED_AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_erasure_is_recorded_by_keyed_hash_in_a_file_only_leadqual_reads(
    person: Person, data_dir: Path
) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)

    path = data_dir / "erasures.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [line] = lines_of(path)
    assert line["lead_id"] == person.lead.pk and line["erased_at"] == NOW.isoformat()
    assert line["emails"] == [contact_hash(EMAIL), contact_hash(OTHER_EMAIL)]
    assert line["phones"] == [contact_hash(PHONE_E164)]
    text = path.read_text().lower()
    for value in (EMAIL, OTHER_EMAIL, FIRST_NAME, LAST_NAME, "623456789"):
        assert value.lower() not in text


def test_each_erasure_adds_one_line(person: Person) -> None:
    other = submit_lead("piet@bakker.nl", {"first_name": "Piet"}, now=NOW).lead
    erase_person(person.lead, actor=person.admin, now=NOW)
    erase_person(other, actor=person.admin, now=NOW)
    assert [line["lead_id"] for line in lines_of(record_path())] == [
        person.lead.pk,
        other.pk,
    ]


def test_an_erasure_that_cannot_be_recorded_erases_nothing(
    person: Person, data_dir: Path
) -> None:
    upload = data_dir / "imports" / f"{'a' * 64}.csv"
    upload.parent.mkdir()
    upload.write_text(f"email\n{EMAIL}\n", encoding="utf-8")
    # A folder where the record's file should be: it cannot be opened to append.
    (data_dir / "erasures.jsonl").mkdir()

    with pytest.raises(ErasureRecordError, match="Nothing was erased"):
        erase_person(person.lead, actor=person.admin, now=NOW)

    assert Lead.objects.get(pk=person.lead.pk).email == EMAIL
    assert not Suppression.objects.exists()
    assert upload.exists()


def test_reapplying_the_record_erases_a_person_a_restore_brought_back(
    person: Person,
) -> None:
    """As after restoring a backup made before the erasure."""
    record_erasure(person.lead.pk, [EMAIL], [PHONE_E164], now=ERASED_AT)

    result = reapply_recorded_erasures(now=NOW)

    lead = Lead.objects.get(pk=person.lead.pk)
    assert lead.email == f"erased-{lead.pk}@invalid" and lead.first_name == ""
    assert is_suppressed(EMAIL) and is_suppressed(None, PHONE_E164)
    assert Suppression.objects.get().created_at == ERASED_AT
    entry = AuditEntry.objects.get(action="erased")
    assert (entry.actor, entry.lead_id) == ("restore", lead.pk)
    assert result.erased_lead_ids == (lead.pk,)
    assert result.summary().startswith(
        f"Re-applied 1 recorded erasures: erased again: lead {lead.pk}; "
        "1 suppressions re-created."
    )


def test_a_recorded_email_of_a_merged_record_finds_the_lead_it_is_in(
    person: Person,
) -> None:
    record_erasure(person.lead.pk, [OTHER_EMAIL], [], now=ERASED_AT)

    result = reapply_recorded_erasures(now=NOW)

    assert result.erased_lead_ids == (person.lead.pk,)


def test_reapplying_twice_changes_nothing_the_second_time(person: Person) -> None:
    erase_person(person.lead, actor=person.admin, now=NOW)

    first = reapply_recorded_erasures(now=NOW)
    second = reapply_recorded_erasures(now=NOW)

    assert (first.erased_lead_ids, first.suppressions_created) == ((), 0)
    assert (second.erased_lead_ids, second.suppressions_created) == ((), 0)
    assert AuditEntry.objects.filter(action="erased").count() == 1


def test_erasures_recorded_under_another_secret_key_are_reported_not_matched(
    person: Person,
) -> None:
    with override_settings(SECRET_KEY="the-key-of-an-earlier-installation"):
        record_erasure(person.lead.pk, [EMAIL], [], now=ERASED_AT)

    result = reapply_recorded_erasures(now=NOW)

    assert Lead.objects.get(pk=person.lead.pk).email == EMAIL
    assert result.under_another_key == 1
    assert "recorded under another secret key" in result.summary()


def test_a_line_cut_off_by_a_crash_is_not_an_erasure(person: Person) -> None:
    """The record is written before the commit: a cut-off line was rolled back."""
    record_erasure(person.lead.pk, [OTHER_EMAIL], [], now=ERASED_AT)
    with record_path().open("a", encoding="ascii") as record:
        record.write('{"format":1,"erased_at":"2026-11-2')

    result = reapply_recorded_erasures(now=NOW)

    assert result.recorded == 1


def test_a_damaged_line_is_named(person: Person) -> None:
    record_path().write_text("not json\n", encoding="ascii")
    with pytest.raises(ErasureRecordError, match="Line 1 of the erasure record"):
        reapply_recorded_erasures(now=NOW)


def test_the_reapply_command_says_what_it_did(person: Person) -> None:
    record_erasure(person.lead.pk, [EMAIL], [PHONE_E164], now=ERASED_AT)
    out = io.StringIO()

    call_command("privacy", "reapply", stdout=out)

    assert f"erased again: lead {person.lead.pk}" in out.getvalue()


def test_the_reapply_command_without_a_record_says_so(db: None) -> None:
    out = io.StringIO()
    call_command("privacy", "reapply", stdout=out)
    assert "No erasures are recorded" in out.getvalue()
