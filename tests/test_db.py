"""leadqual.db: bulk writes that store exactly what Django's own would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadqual.db import bulk_insert, bulk_update, copy_rows, insert_rows, reserve_ids
from leadqual.leads.models import Company, Event, Lead
from leadqual.scoring.models import BandChange, Score
from leadqual.scoring.services import active_scoring_model
from tests.factories import CompanyFactory, LeadFactory, make_user

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_bulk_update_writes_text_numbers_times_json_keys_and_nulls() -> None:
    company = CompanyFactory.create()
    owner = make_user("sanne")
    leads = LeadFactory.create_batch(3, employees=10)
    for n, lead in enumerate(leads):
        lead.first_name = f"Naam {n} — \u2018quoted\u2019"
        lead.employees = None if n == 0 else 100 + n
        lead.scored_at = NOW + timedelta(minutes=n)
        lead.enriched_fields = {"sector": {"source": "offline", "n": n}}
        lead.company = company if n else None
        lead.owner = owner if n == 2 else None

    written = bulk_update(
        leads,
        ["first_name", "employees", "scored_at", "enriched_fields", "company", "owner"],
    )

    assert written == 3
    stored = {lead.pk: lead for lead in Lead.objects.all()}
    for n, lead in enumerate(leads):
        row = stored[lead.pk]
        assert row.first_name == f"Naam {n} — \u2018quoted\u2019"
        assert row.employees == (None if n == 0 else 100 + n)
        assert row.scored_at == NOW + timedelta(minutes=n)
        assert row.enriched_fields == {"sector": {"source": "offline", "n": n}}
        assert row.company_id == (company.pk if n else None)
        assert row.owner_id == (owner.pk if n == 2 else None)


def test_bulk_insert_sets_the_new_ids_and_stores_every_field() -> None:
    lead = LeadFactory.create()
    events = [
        Event(
            lead=lead,
            type="page_view",
            occurred_at=NOW - timedelta(hours=n),
            received_at=NOW,
            properties={"url": f"/pagina-{n}", "nested": [n, None]},
            source="api",
            external_id=None if n % 2 else f"e-{n}",
        )
        for n in range(4)
    ]

    bulk_insert(events)

    assert all(event.pk is not None for event in events)
    for n, event in enumerate(events):
        stored = Event.objects.get(pk=event.pk)
        assert stored.occurred_at == NOW - timedelta(hours=n)
        assert stored.properties == {"url": f"/pagina-{n}", "nested": [n, None]}
        assert stored.external_id == (None if n % 2 else f"e-{n}")


def test_insert_rows_stores_plain_values_by_field() -> None:
    lead = LeadFactory.create()
    version = active_scoring_model()
    score = Score.objects.create(
        lead=lead,
        scoring_model=version,
        model_version=version.version,
        fit=10,
        intent=0,
        engagement=0,
        total=10,
        band="cold",
        explanation=[],
        computed_at=NOW,
    )

    insert_rows(
        BandChange,
        ["lead_id", "score_id", "from_band", "to_band", "changed_at"],
        [(lead.pk, score.pk, "", "cold", NOW)],
    )

    change = BandChange.objects.get()
    assert (change.lead_id, change.score_id, change.to_band, change.changed_at) == (
        lead.pk,
        score.pk,
        "cold",
        NOW,
    )


def test_copy_rows_stores_text_times_json_and_nulls_as_django_reads_them() -> None:
    lead = LeadFactory.create()
    amsterdam = datetime(
        2026, 11, 27, 11, 15, 30, 250, tzinfo=ZoneInfo("Europe/Amsterdam")
    )
    rows = [
        (
            lead.pk,
            "page_view",
            amsterdam,
            NOW,
            {"url": "/prijzen", "n": 1},
            "demo",
            "",
            "x-1",
        ),
        (
            lead.pk,
            "email_open",
            NOW,
            NOW,
            {"title": "Zoë \u2018q\u2019"},
            "demo",
            "",
            None,
        ),
    ]

    written = copy_rows(
        Event,
        [
            "lead_id", "type", "occurred_at", "received_at", "properties",
            "source", "sender", "external_id",
        ],
        rows,
    )  # fmt: skip

    assert written == 2
    stored = list(Event.objects.filter(lead=lead).order_by("id"))
    assert [event.occurred_at for event in stored] == [amsterdam, NOW]
    assert stored[0].properties == {"url": "/prijzen", "n": 1}
    assert stored[1].properties == {"title": "Zoë \u2018q\u2019"}
    assert [event.external_id for event in stored] == ["x-1", None]
    # 11:15 in Amsterdam is 10:15 UTC: stored as a moment, not as local text.
    half_past = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
    assert Event.objects.filter(lead=lead, occurred_at__lt=half_past).count() == 2


def test_copy_rows_refuses_a_row_of_the_wrong_width() -> None:
    lead = LeadFactory.create()
    with pytest.raises(ValueError, match="has 2 values for 3 columns"):
        copy_rows(Event, ["lead_id", "type", "occurred_at"], [(lead.pk, "chat")])


def test_rows_written_with_reserved_ids_leave_the_next_id_free() -> None:
    first = CompanyFactory.create()
    reserved = reserve_ids(Company, 3)
    copy_rows(
        Company,
        [
            "id", "name", "normalised_name", "domain", "created_at", "sector",
            "size_band", "country", "enrichment_source", "engaged_contacts",
        ],
        [(pk, f"Bedrijf {pk}", f"bedrijf {pk}", "", NOW, "", "", "", "", 0)
         for pk in reserved],
    )  # fmt: skip
    later = CompanyFactory.create()
    assert len(set(reserved)) == 3
    assert min(reserved) > first.pk
    assert later.pk > max(reserved)
    assert Company.objects.filter(pk__in=reserved).count() == 3
