"""Enrichment: the offline provider, the HTTP provider against a real local
server, and what an arriving lead gains (and keeps)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from pytest_django.fixtures import Settings

from leadqual.core.enrichment import CompanyFacts, SizeBand
from leadqual.core.scoring import ScoreTrigger
from leadqual.intake.enrichment import HttpProvider, OfflineProvider
from leadqual.intake.pipeline import submit_lead
from leadqual.leads.models import Company, Lead
from leadqual.scoring.models import Score
from tests.factories import CompanyFactory, LeadFactory

CaptureCallbacks = Callable[..., Any]

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
API_KEY = "enrich-test-key-0123456789"
# Answers of the fake paid API, by domain, shaped as docs/enrichment.md documents.
KNOWN_COMPANIES: dict[str, dict[str, object]] = {
    "logistiek-partners.nl": {
        "name": "Logistiek Partners B.V.",
        "sector": "logistics",
        "employees": 120,
        "country": "NL",
    },
    "bakker-ict.be": {"name": "Bakker ICT", "size_band": "10-49", "country": "be"},
}


class EnrichmentApi(BaseHTTPRequestHandler):
    """Answers like the documented API and refuses requests that break the contract."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._answer(401, {"error": "bad key"})
        elif parts.path != "/v1/companies" or list(query) != ["domain"]:
            self._answer(400, {"error": "bad request"})
        elif query["domain"][0] in KNOWN_COMPANIES:
            self._answer(200, KNOWN_COMPANIES[query["domain"][0]])
        else:
            self._answer(404, {"error": "unknown domain"})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


class BrokenApi(BaseHTTPRequestHandler):
    """Answers 500 for /error and a body that is not JSON for anything else."""

    def do_GET(self) -> None:
        if self.path.startswith("/error"):
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"Internal Server Error")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"<html>not json</html>")

    def log_message(self, format: str, *args: object) -> None:
        return


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api_url() -> Iterator[str]:
    yield from _serve(EnrichmentApi)


@pytest.fixture
def broken_url() -> Iterator[str]:
    yield from _serve(BrokenApi)


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1/companies"
    listener.close()


# --- the HTTP provider ----------------------------------------------------------------


def test_the_http_provider_asks_the_api_with_domain_and_bearer_key(
    api_url: str,
) -> None:
    provider = HttpProvider(f"{api_url}/v1/companies", API_KEY)

    facts = provider.lookup("logistiek-partners.nl")

    assert facts == CompanyFacts(
        name="Logistiek Partners B.V.",
        sector="logistics",
        size_band=SizeBand.MEDIUM,
        country="NL",
    )


def test_the_http_provider_reads_a_size_band_instead_of_employees(
    api_url: str,
) -> None:
    facts = HttpProvider(f"{api_url}/v1/companies", API_KEY).lookup("bakker-ict.be")

    assert facts == CompanyFacts(
        name="Bakker ICT", size_band=SizeBand.SMALL, country="BE"
    )


def test_an_unknown_domain_gives_no_facts(api_url: str) -> None:
    provider = HttpProvider(f"{api_url}/v1/companies", API_KEY)

    assert provider.lookup("nobody-knows.nl") is None


def test_a_wrong_key_gives_no_facts_and_a_log_line(
    api_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    provider = HttpProvider(f"{api_url}/v1/companies", "wrong-key")

    assert provider.lookup("logistiek-partners.nl") is None
    assert "HTTP 401" in caplog.text
    assert "wrong-key" not in caplog.text


def test_a_server_that_hangs_gives_no_facts(hanging_url: str) -> None:
    provider = HttpProvider(hanging_url, API_KEY, timeout_seconds=0.2)

    assert provider.lookup("logistiek-partners.nl") is None


def test_a_server_error_gives_no_facts(broken_url: str) -> None:
    assert HttpProvider(f"{broken_url}/error", API_KEY).lookup("x-bv.nl") is None


def test_an_answer_that_is_not_json_gives_no_facts(
    broken_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert HttpProvider(f"{broken_url}/v1", API_KEY).lookup("x-bv.nl") is None
    assert "not JSON" in caplog.text


def test_a_refused_connection_gives_no_facts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = HttpProvider(f"http://127.0.0.1:{port}/v1/companies", API_KEY)

    assert provider.lookup("logistiek-partners.nl") is None


# --- arrivals -------------------------------------------------------------------------


def test_an_arriving_lead_gains_its_empty_fields_from_the_api_after_its_commit(
    api_url: str,
    settings: Settings,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """The API is asked once the arrival is stored: never while it holds its rows."""
    settings.ENRICHMENT_URL = f"{api_url}/v1/companies"
    settings.ENRICHMENT_KEY = API_KEY

    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            submit_lead("eva@logistiek-partners.nl", {"sector": "transport"}, now=NOW)
        assert Lead.objects.get().enriched_fields == {}
        for callback in callbacks:
            callback()

    lead = Lead.objects.select_related("company").get()
    assert (lead.sector, lead.employees, lead.country) == ("transport", 100, "NL")
    assert lead.enriched_fields == {
        "employees": {"source": "http", "at": NOW.isoformat()},
        "country": {"source": "http", "at": NOW.isoformat()},
        "company": {"source": "http", "at": NOW.isoformat()},
    }
    assert lead.company is not None
    assert (lead.company.name, lead.company.domain) == (
        "Logistiek Partners B.V.",
        "logistiek-partners.nl",
    )
    assert (lead.company.sector, lead.company.size_band, lead.company.country) == (
        "logistics",
        "50-249",
        "NL",
    )
    assert (lead.company.enrichment_source, lead.company.enriched_at) == ("http", NOW)
    latest = Score.objects.filter(lead=lead).latest("computed_at", "id")
    assert latest.trigger == ScoreTrigger.ENRICHMENT


def test_an_api_that_hangs_does_not_stop_an_arrival(
    hanging_url: str, settings: Settings
) -> None:
    settings.ENRICHMENT_URL = hanging_url

    arrival = submit_lead("eva@logistiek-partners.nl", {"first_name": "Eva"}, now=NOW)

    lead = Lead.objects.get()
    assert arrival.created and lead.first_name == "Eva"
    assert lead.enriched_fields == {}
    assert lead.score_total is not None


def test_the_offline_provider_learns_from_colleagues_at_the_same_domain() -> None:
    company = CompanyFactory.create(name="Bakker ICT B.V.", domain="bakker-ict.nl")
    for email in ("jan@bakker-ict.nl", "piet@bakker-ict.nl"):
        LeadFactory.create(
            email=email, company=company, sector="ict", employees=30, country="NL"
        )
    LeadFactory.create(email="els@bakker-ict.nl", company=company, sector="bouw")

    assert OfflineProvider().lookup("bakker-ict.nl") == CompanyFacts(
        name="Bakker ICT B.V.", sector="ict", size_band=SizeBand.SMALL, country="NL"
    )


def test_a_new_colleague_joins_the_account_and_gains_its_facts_offline() -> None:
    company = CompanyFactory.create(name="Bakker ICT B.V.", domain="bakker-ict.nl")
    LeadFactory.create(
        email="jan@bakker-ict.nl",
        company=company,
        sector="ict",
        employees=30,
        country="NL",
    )

    submit_lead("kim@bakker-ict.nl", {"first_name": "Kim", "country": "BE"}, now=NOW)

    lead = Lead.objects.get(email="kim@bakker-ict.nl")
    assert lead.company_id == company.pk
    # Employees is the typical count of the 10-49 band; the typed country stays.
    assert (lead.sector, lead.employees, lead.country) == ("ict", 25, "BE")
    assert set(lead.enriched_fields) == {"sector", "employees", "company"}
    assert lead.enriched_fields["sector"]["source"] == "offline"


def test_enriched_values_are_not_learned_back_as_typed_ones() -> None:
    company = CompanyFactory.create(domain="bakker-ict.nl")
    LeadFactory.create(
        email="kim@bakker-ict.nl",
        company=company,
        sector="ict",
        employees=None,
        country="",
        enriched_fields={"sector": {"source": "offline", "at": NOW.isoformat()}},
    )

    facts = OfflineProvider().lookup("bakker-ict.nl")

    assert facts is not None and facts.sector is None


def test_a_free_mail_lead_is_not_enriched() -> None:
    LeadFactory.create(email="jan@gmail.com", sector="ict", company=None)

    submit_lead("kim@gmail.com", {"first_name": "Kim"}, now=NOW)

    lead = Lead.objects.get(email="kim@gmail.com")
    assert (lead.sector, lead.company_id, lead.enriched_fields) == ("", None, {})


def test_no_enrichment_when_it_is_switched_off(settings: Settings) -> None:
    settings.ENRICHMENT_ENABLED = False
    company = CompanyFactory.create(domain="bakker-ict.nl")
    LeadFactory.create(email="jan@bakker-ict.nl", company=company, sector="ict")

    submit_lead("kim@bakker-ict.nl", {"first_name": "Kim"}, now=NOW)

    lead = Lead.objects.get(email="kim@bakker-ict.nl")
    assert (lead.sector, lead.company_id) == ("", None)
    assert not Company.objects.exclude(pk=company.pk).exists()
