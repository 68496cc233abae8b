"""One arrival: clean, store and score in one transaction, the same for every way in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.core.errors import InvalidEvent
from leadqual.intake.pipeline import (
    InvalidLeadData,
    RawEvent,
    submit_events,
    submit_lead,
)
from leadqual.leads.models import Event, Lead
from leadqual.scoring.models import BandChange, Score
from tests.factories import LeadFactory

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_a_new_lead_is_stored_and_scored_at_once() -> None:
    arrival = submit_lead(
        " Eva@Logistiek-Partners.NL ",
        {
            "first_name": "Eva",
            "sector": "Logistiek",
            "employees": "80",
            "budget_euros": "12.500",
        },
        now=NOW,
    )
    lead = Lead.objects.get()
    assert arrival.created and lead.email == "eva@logistiek-partners.nl"
    assert lead.budget_euros == 12_500
    score = Score.objects.get(lead=lead)
    assert (lead.score_total, lead.band) == (score.total, score.band)
    assert arrival.rescored.score.pk == score.pk
    assert sum(hit["points"] for hit in score.explanation) == score.total


def test_invalid_fields_store_nothing_and_name_every_field() -> None:
    with pytest.raises(InvalidLeadData) as caught:
        submit_lead("not-an-email", {"employees": "veel", "colour": "blue"}, now=NOW)
    assert set(caught.value.fields) == {"email", "employees", "colour"}
    assert '"veel"' in caught.value.fields["employees"]
    assert Lead.objects.count() == 0 and Score.objects.count() == 0


def _event(
    email: str, event_id: str, event_type: str = "page_view", **properties: str
) -> RawEvent:
    return RawEvent(
        lead_email=email,
        type=event_type,
        occurred_at=NOW.isoformat(),
        properties=properties,
        external_id=event_id,
    )


def test_a_bad_event_never_rejects_the_good_ones_beside_it() -> None:
    lead = LeadFactory.create()
    result = submit_events(
        [
            _event(lead.email, "a", url="https://www.example.nl/prijzen"),
            RawEvent(
                lead_email=lead.email, type="teleport", occurred_at=NOW.isoformat()
            ),
            RawEvent(
                lead_email=lead.email,
                type="download",
                occurred_at="2026-11-27T10:00:00",
            ),
            _event("nobody@example.nl", "c"),
            _event(lead.email, "b", "demo_request"),
        ],
        now=NOW,
        source="api",
    )
    assert result.accepted == 2
    assert [(r.index, r.field) for r in result.rejected] == [
        (1, "type"),
        (2, "occurred_at"),
        (3, "lead_email"),
    ]
    assert "time zone" in result.rejected[1].message
    assert Event.objects.filter(lead=lead).count() == 2


def test_posting_events_rescores_their_lead_and_records_the_band_change() -> None:
    lead = LeadFactory.create(
        budget_euros=25_000, urgency="immediate", job_title="Eigenaar"
    )
    submit_lead(lead.email, {}, now=NOW)  # first score: warm
    result = submit_events(
        [
            _event(lead.email, "d1", "demo_request"),
            _event(lead.email, "r1", "email_reply"),
        ],
        now=NOW,
        source="api",
    )
    ((rescored_lead, rescored),) = result.rescored
    assert rescored_lead.pk == lead.pk and rescored.band_changed
    assert list(
        BandChange.objects.filter(lead=lead).values_list("to_band", flat=True)
    ) == ["warm", "hot"]


def test_a_replayed_event_is_stored_once() -> None:
    lead = LeadFactory.create()
    submit_events([_event(lead.email, "evt-42")], now=NOW, source="api")
    again = submit_events(
        [_event(lead.email, "evt-42")], now=NOW + timedelta(minutes=1), source="api"
    )
    assert (again.accepted, again.duplicates) == (0, 1)
    assert Event.objects.filter(external_id="evt-42").count() == 1


@pytest.mark.parametrize("event_id", ["\ud800", "evt-\x00-1"])
def test_an_event_id_that_cannot_be_stored_is_rejected_not_a_crash(
    event_id: str,
) -> None:
    """Every way in (API, webhooks) reaches this check."""
    lead = LeadFactory.create()
    result = submit_events(
        [_event(lead.email, event_id), _event(lead.email, "ok")], now=NOW, source="api"
    )
    assert result.accepted == 1
    assert [(r.index, r.field) for r in result.rejected] == [(0, "id")]
    assert "cannot be stored" in result.rejected[0].message
    assert list(Event.objects.values_list("external_id", flat=True)) == ["ok"]


def test_an_event_from_the_future_is_refused() -> None:
    lead = LeadFactory.create()
    future = RawEvent(
        lead_email=lead.email,
        type="page_view",
        occurred_at=(NOW + timedelta(hours=1)).isoformat(),
    )
    result = submit_events([future], now=NOW, source="api")
    assert result.accepted == 0 and "future" in result.rejected[0].message


def test_a_batch_over_the_limit_is_refused_whole() -> None:
    lead = LeadFactory.create()
    with pytest.raises(InvalidEvent, match="at most 1,000"):
        submit_events(
            [_event(lead.email, str(i)) for i in range(1001)], now=NOW, source="api"
        )
    assert Event.objects.count() == 0


def test_oversized_properties_are_refused_with_their_size() -> None:
    lead = LeadFactory.create()
    result = submit_events(
        [_event(lead.email, "big", blob="x" * 10_000)], now=NOW, source="api"
    )
    assert (
        result.rejected[0].field == "properties"
        and "bytes" in result.rejected[0].message
    )
