"""Leads are stored once per email; events once per external id."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from leadqual.core.events import EventType
from leadqual.leads.models import Company, Event, Lead
from leadqual.leads.services import (
    ConsentInput,
    LeadInput,
    LeadValue,
    NewEvent,
    UpdatePolicy,
    UpsertedLeads,
    find_or_create_companies,
    normalise_company_name,
    store_events,
    upsert_leads,
)
from tests.factories import EventFactory, LeadFactory

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def upsert(
    *inputs: LeadInput,
    now: datetime,
    policy: UpdatePolicy = UpdatePolicy.OVERWRITE,
) -> UpsertedLeads:
    """Upsert a batch as the pipeline does: the existing leads locked first."""
    with transaction.atomic():
        existing = {
            lead.email: lead
            for lead in Lead.objects.select_for_update().filter(
                email__in=[item.email for item in inputs]
            )
        }
        return upsert_leads(inputs, existing=existing, policy=policy, now=now)


def one(email: str, values: dict[str, LeadValue], **kwargs: object) -> LeadInput:
    return LeadInput(email, values, **kwargs)  # type: ignore[arg-type]


def test_upsert_creates_then_updates_the_same_lead() -> None:
    first = upsert(one("anna@klant.nl", {"first_name": "Anna"}), now=NOW)
    second = upsert(
        one("anna@klant.nl", {"sector": "logistiek"}), now=NOW + timedelta(hours=1)
    )
    assert first.created == {"anna@klant.nl"} and not second.created
    lead = Lead.objects.get(email="anna@klant.nl")
    assert (lead.first_name, lead.sector) == ("Anna", "logistiek")
    assert lead.updated_at == NOW + timedelta(hours=1)


def test_a_field_given_as_none_is_cleared_and_absent_fields_are_kept() -> None:
    lead = LeadFactory.create(employees=40, sector="software")
    upsert(one(lead.email, {"employees": None}), now=NOW)
    lead.refresh_from_db()
    assert lead.employees is None and lead.sector == "software"


def test_consent_is_stored_with_its_text_version_and_moment() -> None:
    upsert(
        one(
            "piet@klant.nl",
            {},
            consent=ConsentInput(given=True, text_version="2026-03"),
        ),
        now=NOW,
    )
    lead = Lead.objects.get(email="piet@klant.nl")
    assert (lead.consent_given, lead.consent_text_version, lead.consent_at) == (
        True,
        "2026-03",
        NOW,
    )


def test_company_names_are_matched_without_legal_form() -> None:
    assert normalise_company_name("Bakker ICT B.V.") == "bakker ict"
    first = find_or_create_companies([("Bakker ICT B.V.", "a@bakker-ict.nl")])
    second = find_or_create_companies([("bakker ict", "b@bakker-ict.nl")])
    assert first["bakker ict"].pk == second["bakker ict"].pk
    assert Company.objects.count() == 1
    assert first["bakker ict"].domain == "bakker-ict.nl"


def test_a_batch_names_one_company_twice_and_creates_it_once() -> None:
    found = find_or_create_companies(
        [("Jansen Advies", "a@gmail.com"), ("Jansen Advies B.V.", "b@jansen.nl")]
    )
    (company,) = Company.objects.all()
    assert found["jansen advies"].pk == company.pk
    assert company.domain == "jansen.nl"


def test_a_free_mail_domain_is_not_taken_as_the_company_domain() -> None:
    found = find_or_create_companies([("Eenmanszaak Jansen", "jansen@gmail.com")])
    assert found["eenmanszaak jansen"].domain == ""


def _new_event(lead: Lead, external_id: str | None) -> NewEvent:
    return NewEvent(
        lead=lead,
        type=EventType.DOWNLOAD,
        occurred_at=NOW,
        properties={"asset": "whitepaper.pdf"},
        external_id=external_id,
        source="api",
    )


def test_an_event_id_that_is_already_stored_is_skipped() -> None:
    lead = LeadFactory.create()
    EventFactory.create(lead=lead, external_id="evt-1")
    with transaction.atomic():
        result = store_events(
            [_new_event(lead, "evt-1"), _new_event(lead, "evt-2")], now=NOW
        )
    assert result.duplicate_indexes == [0]
    assert [row.external_id for row in result.stored] == ["evt-2"]
    assert Event.objects.filter(lead=lead).count() == 2


def test_an_id_repeated_within_one_batch_is_stored_once() -> None:
    lead = LeadFactory.create()
    with transaction.atomic():
        result = store_events(
            [_new_event(lead, "same"), _new_event(lead, "same")], now=NOW
        )
    assert result.duplicate_indexes == [1]
    assert Event.objects.filter(external_id="same").count() == 1


def test_events_without_id_are_all_stored() -> None:
    lead = LeadFactory.create()
    with transaction.atomic():
        result = store_events([_new_event(lead, None), _new_event(lead, None)], now=NOW)
    assert len(result.stored) == 2 and result.duplicate_indexes == []


def test_an_event_keeps_when_it_happened_and_when_it_was_received() -> None:
    lead = LeadFactory.create()
    with transaction.atomic():
        store_events([_new_event(lead, "late")], now=NOW + timedelta(days=2))
    row = Event.objects.get(external_id="late")
    assert (row.occurred_at, row.received_at) == (NOW, NOW + timedelta(days=2))


def test_filling_empty_fields_only_keeps_what_the_lead_has() -> None:
    lead = LeadFactory.create(first_name="Jan", sector="software", phone="")
    upsert(
        one(
            lead.email,
            {"first_name": "Hacker", "sector": "retail", "phone": "+31 6 12345678"},
        ),
        now=NOW,
        policy=UpdatePolicy.FILL_EMPTY,
    )
    lead.refresh_from_db()
    assert (lead.first_name, lead.sector, lead.phone) == (
        "Jan",
        "software",
        "+31 6 12345678",
    )


def test_filling_empty_fields_only_never_changes_an_existing_leads_consent() -> None:
    lead = LeadFactory.create(consent_given=False)
    upsert(
        one(lead.email, {}, consent=ConsentInput(given=True, text_version="2026-03")),
        now=NOW,
        policy=UpdatePolicy.FILL_EMPTY,
    )
    lead.refresh_from_db()
    assert lead.consent_given is False


def test_a_batch_creates_and_updates_many_leads_in_a_constant_number_of_queries(
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[None]],
) -> None:
    existing = [LeadFactory.create() for _ in range(3)]
    inputs = [one(lead.email, {"sector": "bouw"}) for lead in existing] + [
        one(f"nieuw{n}@klant{n}.nl", {"company": f"Klant {n} B.V."}) for n in range(50)
    ]
    with django_assert_max_num_queries(12):
        result = upsert(*inputs, now=NOW)
    assert len(result.created) == 50
    assert Lead.objects.filter(sector="bouw").count() == 3
    assert Company.objects.filter(name__startswith="Klant ").count() == 50


def test_a_later_input_for_the_same_email_updates_the_earlier_one() -> None:
    result = upsert(
        one("anna@klant.nl", {"first_name": "Anna", "sector": "bouw"}),
        one("anna@klant.nl", {"sector": "retail"}),
        now=NOW,
    )
    lead = Lead.objects.get()
    assert result.created == {"anna@klant.nl"}
    assert (lead.first_name, lead.sector) == ("Anna", "retail")
