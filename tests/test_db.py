"""leadqual.db: bulk writes that store exactly what Django's own would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.db import bulk_insert, bulk_update, insert_rows
from leadqual.leads.models import Event, Lead
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
