"""Enrichment providers and ``enrich_lead``: company facts for a lead's work domain.

Two providers implement ``core.enrichment.EnrichmentProvider``:

- ``OfflineProvider`` learns the facts already in the database for the
  domain: the most common typed sector, size band and country among the leads
  with an email at that domain and the companies with that domain.
- ``HttpProvider`` asks a paid enrichment API over HTTP (contract in
  ``docs/enrichment.md``). Any failure (timeout, refused connection, an error
  status, a body that is not the documented JSON) is logged and answers None.

``enrich_arrival`` is what the intake pipeline calls: it picks the provider
from the settings and never lets enrichment break an arrival.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from leadqual.core.enrichment import (
    CompanyFacts,
    EnrichmentProvider,
    LeadFieldValue,
    SizeBand,
    enrichment_marks,
    fields_to_fill,
    learn_facts,
    parse_size_band,
    size_band_for,
    work_domain,
)
from leadqual.leads.models import Company, Lead
from leadqual.leads.services import find_or_create_company

logger = logging.getLogger(__name__)

OFFLINE_SOURCE = "offline"
HTTP_SOURCE = "http"
HTTP_TIMEOUT_SECONDS = 3.0
# The offline provider reads at most this many leads per domain, newest first.
MAX_OFFLINE_OBSERVATIONS = 500
MAX_RESPONSE_BYTES = 64 * 1024


# --- providers ------------------------------------------------------------------------


class OfflineProvider:
    """Company facts learned from what leads at the same domain typed."""

    name = OFFLINE_SOURCE

    def lookup(self, domain: str) -> CompanyFacts | None:
        """The most common known facts for ``domain`` in the database, or None."""
        observations: list[CompanyFacts] = []
        companies = Company.objects.filter(domain=domain).order_by("-id")
        for company in companies[:MAX_OFFLINE_OBSERVATIONS]:
            # Facts this provider stored earlier were learned from the leads
            # read below; counting them again would only echo those.
            learned = company.enrichment_source == OFFLINE_SOURCE
            observations.append(
                CompanyFacts(
                    name=company.name,
                    sector=None if learned else company.sector or None,
                    size_band=None if learned else parse_size_band(company.size_band),
                    country=None if learned else company.country or None,
                )
            )
        leads = (
            Lead.objects.filter(email__endswith=f"@{domain}")
            .order_by("-updated_at", "-id")
            .values_list("sector", "employees", "country", "enriched_fields")
        )
        for sector, employees, country, enriched in leads[:MAX_OFFLINE_OBSERVATIONS]:
            marked = enriched if isinstance(enriched, dict) else {}
            observations.append(
                CompanyFacts(
                    sector=None if "sector" in marked else sector or None,
                    size_band=(
                        size_band_for(employees)
                        if employees is not None and "employees" not in marked
                        else None
                    ),
                    country=None if "country" in marked else country or None,
                )
            )
        return learn_facts(observations)


def _text(value: object, *, max_length: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:max_length] or None


def parse_api_answer(body: Mapping[str, object]) -> CompanyFacts | None:
    """The facts of a documented API answer; unknown or malformed values are
    left out. Returns None when the answer holds no usable fact."""
    size_band: SizeBand | None = None
    employees = body.get("employees")
    if isinstance(employees, int) and not isinstance(employees, bool) and employees > 0:
        size_band = size_band_for(employees)
    elif isinstance(body.get("size_band"), str):
        size_band = parse_size_band(str(body["size_band"]))
    country = _text(body.get("country"), max_length=2)
    facts = CompanyFacts(
        name=_text(body.get("name"), max_length=200),
        sector=_text(body.get("sector"), max_length=100),
        size_band=size_band,
        country=country.upper() if country and len(country) == 2 else None,
    )
    return None if facts.is_empty else facts


class HttpProvider:
    """A paid enrichment API: ``GET {url}?domain=<domain>`` with a bearer key."""

    name = HTTP_SOURCE

    def __init__(
        self,
        url: str,
        key: str | None,
        *,
        timeout_seconds: float = HTTP_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.key = key
        self.timeout_seconds = timeout_seconds

    def _request(self, domain: str) -> urllib.request.Request:
        parts = urllib.parse.urlsplit(self.url)
        query = [*urllib.parse.parse_qsl(parts.query), ("domain", domain)]
        url = urllib.parse.urlunsplit(
            parts._replace(query=urllib.parse.urlencode(query))
        )
        headers = {"Accept": "application/json", "User-Agent": "leadqual"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        return urllib.request.Request(url, headers=headers, method="GET")

    def lookup(self, domain: str) -> CompanyFacts | None:
        """The API's facts for ``domain``; None on 404, error, timeout or bad JSON."""
        request = self._request(domain)
        try:
            with urllib.request.urlopen(
                request, timeout=self.timeout_seconds
            ) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                logger.info("Enrichment API knows nothing about domain %s", domain)
            else:
                logger.warning(
                    "Enrichment API answered HTTP %s for domain %s; lead not "
                    "enriched. Check LEADQUAL_ENRICHMENT_URL and _KEY.",
                    error.code,
                    domain,
                )
            return None
        except (OSError, ValueError) as error:  # URLError, timeouts, bad URLs
            logger.warning(
                "Enrichment API at %s could not be reached for domain %s (%s); "
                "lead not enriched.",
                urllib.parse.urlsplit(self.url).netloc,
                domain,
                error,
            )
            return None
        if len(raw) > MAX_RESPONSE_BYTES:
            logger.warning(
                "Enrichment API answer for domain %s is larger than %s bytes; ignored.",
                domain,
                MAX_RESPONSE_BYTES,
            )
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            logger.warning(
                "Enrichment API answer for domain %s is not JSON; ignored.", domain
            )
            return None
        if not isinstance(body, dict):
            logger.warning(
                "Enrichment API answer for domain %s is not a JSON object; ignored.",
                domain,
            )
            return None
        return parse_api_answer(body)


def provider_from_settings() -> EnrichmentProvider | None:
    """The configured provider: None when LEADQUAL_ENRICHMENT is off, the HTTP
    provider when LEADQUAL_ENRICHMENT_URL is set, else the offline one."""
    if not settings.ENRICHMENT_ENABLED:
        return None
    if settings.ENRICHMENT_URL:
        return HttpProvider(settings.ENRICHMENT_URL, settings.ENRICHMENT_KEY)
    return OfflineProvider()


# --- enriching a lead -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Enriched:
    """What ``enrich_lead`` filled, with the source of the facts."""

    source: str
    lead_fields: tuple[str, ...]
    company_fields: tuple[str, ...]


def _company_facts(company: Company) -> CompanyFacts:
    return CompanyFacts(
        name=company.name or None,
        sector=company.sector or None,
        size_band=parse_size_band(company.size_band),
        country=company.country or None,
    )


def _has_all_facts(company: Company | None) -> bool:
    if company is None:
        return False
    return bool(company.sector and company.size_band and company.country)


def enrich_lead(
    lead: Lead, *, now: datetime, provider: EnrichmentProvider
) -> Enriched | None:
    """Fill the lead's empty sector, employees and country (and its company's
    empty facts) from what ``provider`` knows about the lead's work domain.

    A lead without a company joins the company with its work domain (or the
    one named by the facts), so colleagues form one account. Every filled
    lead field is recorded in ``lead.enriched_fields`` with source and
    moment. Typed values are never changed. Returns None when nothing was
    looked up (free-mail or disposable address, nothing missing, nothing
    known); must run inside a transaction.
    """
    domain = work_domain(lead.email)
    if domain is None:
        return None
    company = lead.company if lead.company_id else None
    missing = [
        name
        for name in ("sector", "employees", "country")
        if getattr(lead, name) in (None, "")
    ]
    if not missing and company is not None and _has_all_facts(company):
        return None
    if company is None:
        company = Company.objects.filter(domain=domain).order_by("id").first()
    if company is not None and _has_all_facts(company):
        # Known already: no need to ask (or pay) the provider again.
        facts: CompanyFacts | None = _company_facts(company)
        source = company.enrichment_source or provider.name
    else:
        facts = provider.lookup(domain)
        source = provider.name
    if facts is None:
        return None

    company_fields: list[str] = []
    if company is None and facts.name:
        company = find_or_create_company(facts.name, email=lead.email)
    if company is not None and source == provider.name:
        current = {
            "sector": company.sector,
            "size_band": company.size_band,
            "country": company.country,
        }
        found = {k: v for k, v in facts.company_values().items() if k != "name"}
        for name, value in fields_to_fill(current, found).items():
            setattr(company, name, value)
            company_fields.append(name)
        if company_fields:
            company.enrichment_source = source
            company.enriched_at = now
            company.save(
                update_fields=[*company_fields, "enrichment_source", "enriched_at"]
            )

    current_lead: dict[str, LeadFieldValue | None] = {
        name: getattr(lead, name) for name in ("sector", "employees", "country")
    }
    filled = fields_to_fill(current_lead, facts.lead_values())
    update_fields = list(filled)
    if company is not None and lead.company_id is None:
        lead.company = company
        filled = {**filled, "company": company.name}
        update_fields.append("company")
    for name, value in filled.items():
        if name != "company":
            setattr(lead, name, value)
    if filled:
        marks = enrichment_marks(filled, source=source, now=now)
        lead.enriched_fields = {**(lead.enriched_fields or {}), **marks}
        lead.save(update_fields=[*update_fields, "enriched_fields"])
    if filled or company_fields:
        logger.info(
            "Enriched lead %s from %s: lead %s; company %s",
            lead.pk,
            source,
            ", ".join(filled) or "-",
            ", ".join(company_fields) or "-",
        )
    return Enriched(
        source=source, lead_fields=tuple(filled), company_fields=tuple(company_fields)
    )


def enrich_arrival(lead: Lead, *, now: datetime) -> Enriched | None:
    """Enrich an arriving lead with the configured provider, never failing.

    Returns None when enrichment is off, finds nothing or fails; a failure is
    logged with the lead's id and rolled back on its own, so the arrival goes
    on as if enrichment were off.
    """
    provider = provider_from_settings()
    if provider is None:
        return None
    try:
        with transaction.atomic():
            return enrich_lead(lead, now=now, provider=provider)
    except Exception:
        logger.exception(
            "Enriching lead %s with the %s provider failed; the lead is stored "
            "without enrichment.",
            lead.pk,
            provider.name,
        )
        # The savepoint undid the writes; undo what was set on the instance too.
        lead.refresh_from_db()
        return None
