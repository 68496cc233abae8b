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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q

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
from leadqual.core.scoring import ScoreTrigger
from leadqual.db import bulk_update
from leadqual.leads.duplicates import refresh_duplicate_candidates
from leadqual.leads.models import Company, Lead
from leadqual.leads.services import find_or_create_companies, normalise_company_name
from leadqual.triage.services import rescore_and_triage

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
        return self.lookup_many([domain]).get(domain)

    def lookup_many(self, domains: Sequence[str]) -> dict[str, CompanyFacts]:
        """The facts for each of ``domains`` that the database knows, in two queries.

        Domains without any known fact are absent from the result.
        """
        wanted = sorted(set(domains))
        if not wanted:
            return {}
        observations: dict[str, list[CompanyFacts]] = {domain: [] for domain in wanted}
        companies = Company.objects.filter(domain__in=wanted).order_by("-id")
        for company in companies:
            seen = observations[company.domain]
            if len(seen) >= MAX_OFFLINE_OBSERVATIONS:
                continue
            # Facts this provider stored earlier were learned from the leads
            # read below; counting them again would only echo those.
            learned = company.enrichment_source == OFFLINE_SOURCE
            seen.append(
                CompanyFacts(
                    name=company.name,
                    sector=None if learned else company.sector or None,
                    size_band=None if learned else parse_size_band(company.size_band),
                    country=None if learned else company.country or None,
                )
            )
        at_domain = Q()
        for domain in wanted:
            at_domain |= Q(email__endswith=f"@{domain}")
        from_leads: dict[str, int] = dict.fromkeys(wanted, 0)
        leads = (
            Lead.objects.filter(at_domain)
            .order_by("-updated_at", "-id")
            .values_list("email", "sector", "employees", "country", "enriched_fields")
        )
        for email, sector, employees, country, enriched in leads:
            domain = email.rpartition("@")[2]
            if (
                domain not in from_leads
                or from_leads[domain] >= MAX_OFFLINE_OBSERVATIONS
            ):
                continue
            from_leads[domain] += 1
            marked = enriched if isinstance(enriched, dict) else {}
            observations[domain].append(
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
        found: dict[str, CompanyFacts] = {}
        for domain, seen in observations.items():
            facts = learn_facts(seen)
            if facts is not None:
                found[domain] = facts
        return found


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


_LEAD_FACT_FIELDS = ("sector", "employees", "country")


def _needs_enrichment(lead: Lead) -> str | None:
    """The work domain to look up for the lead, or None when nothing is missing."""
    domain = work_domain(lead.email)
    if domain is None:
        return None
    missing = any(getattr(lead, name) in (None, "") for name in _LEAD_FACT_FIELDS)
    company = lead.company if lead.company_id else None
    if not missing and company is not None and _has_all_facts(company):
        return None
    return domain


def enrich_leads(
    leads: Sequence[Lead], *, now: datetime, provider: EnrichmentProvider
) -> dict[int, Enriched]:
    """Fill the leads' empty sector, employees and country (and their companies'
    empty facts) from what ``provider`` knows about each lead's work domain.

    A lead without a company joins the company with its work domain (or the
    one named by the facts), so colleagues form one account. Every filled
    lead field is recorded in ``lead.enriched_fields`` with source and
    moment. Typed values are never changed. A domain is looked up once per
    batch, and not at all when a company with that domain has every fact.
    Returns Enriched by lead id for the leads that were looked up and found;
    must run inside a transaction.
    """
    domains = {lead.pk: _needs_enrichment(lead) for lead in leads}
    wanted = sorted({domain for domain in domains.values() if domain})
    if not wanted:
        return {}
    by_domain: dict[str, Company] = {}
    for at_domain in Company.objects.filter(domain__in=wanted).order_by("id"):
        by_domain.setdefault(at_domain.domain, at_domain)

    def company_of(lead: Lead, domain: str) -> Company | None:
        return lead.company if lead.company_id else by_domain.get(domain)

    known: dict[int, tuple[CompanyFacts, str]] = {}
    to_ask: set[str] = set()
    for lead in leads:
        domain = domains[lead.pk]
        if domain is None:
            continue
        candidate = company_of(lead, domain)
        if candidate is not None and _has_all_facts(candidate):
            # Known already: no need to ask (or pay) the provider again.
            known[lead.pk] = (
                _company_facts(candidate),
                candidate.enrichment_source or provider.name,
            )
        else:
            to_ask.add(domain)
    if isinstance(provider, OfflineProvider):
        answers = provider.lookup_many(sorted(to_ask))
    else:
        answers = {
            domain: facts
            for domain in sorted(to_ask)
            if (facts := provider.lookup(domain)) is not None
        }

    def facts_for(lead: Lead) -> tuple[CompanyFacts, str] | None:
        domain = domains[lead.pk]
        if lead.pk in known:
            return known[lead.pk]
        if domain is not None and domain in answers:
            return answers[domain], provider.name
        return None

    named = [
        (found[0].name, lead.email)
        for lead in leads
        if (found := facts_for(lead)) is not None
        and found[0].name
        and company_of(lead, domains[lead.pk] or "") is None
    ]
    named_companies = find_or_create_companies(named)
    changed_companies: dict[int, tuple[Company, set[str]]] = {}
    changed_leads: dict[int, tuple[Lead, set[str]]] = {}
    results: dict[int, Enriched] = {}
    for lead in sorted(leads, key=lambda lead: lead.pk):
        domain = domains[lead.pk]
        found_facts = facts_for(lead)
        if domain is None or found_facts is None:
            continue
        facts, source = found_facts
        company = company_of(lead, domain)
        if company is None and facts.name:
            company = named_companies.get(
                normalise_company_name(facts.name) or facts.name.casefold()
            )
        company_fields: list[str] = []
        if company is not None and source == provider.name:
            current = {
                "sector": company.sector,
                "size_band": company.size_band,
                "country": company.country,
            }
            offered = {k: v for k, v in facts.company_values().items() if k != "name"}
            for name, value in fields_to_fill(current, offered).items():
                setattr(company, name, value)
                company_fields.append(name)
            if company_fields:
                company.enrichment_source = source
                company.enriched_at = now
                changed_companies.setdefault(company.pk, (company, set()))[1].update(
                    [*company_fields, "enrichment_source", "enriched_at"]
                )
        current_lead: dict[str, LeadFieldValue | None] = {
            name: getattr(lead, name) for name in _LEAD_FACT_FIELDS
        }
        filled = fields_to_fill(current_lead, facts.lead_values())
        update_fields = set(filled)
        if company is not None and lead.company_id is None:
            lead.company = company
            filled = {**filled, "company": company.name}
            update_fields.add("company")
        for name, value in filled.items():
            if name != "company":
                setattr(lead, name, value)
        if filled:
            marks = enrichment_marks(filled, source=source, now=now)
            lead.enriched_fields = {**(lead.enriched_fields or {}), **marks}
            changed_leads[lead.pk] = (lead, {*update_fields, "enriched_fields"})
        if filled or company_fields:
            logger.info(
                "Enriched lead %s from %s: lead %s; company %s",
                lead.pk,
                source,
                ", ".join(filled) or "-",
                ", ".join(company_fields) or "-",
            )
        results[lead.pk] = Enriched(
            source=source,
            lead_fields=tuple(filled),
            company_fields=tuple(company_fields),
        )
    if changed_companies:
        fields = sorted(
            set().union(*(names for _c, names in changed_companies.values()))
        )
        bulk_update(
            [company for _pk, (company, _n) in sorted(changed_companies.items())],
            fields,
        )
    if changed_leads:
        fields = sorted(set().union(*(names for _l, names in changed_leads.values())))
        bulk_update([lead for _pk, (lead, _n) in sorted(changed_leads.items())], fields)
    return results


def enrich_lead(
    lead: Lead, *, now: datetime, provider: EnrichmentProvider
) -> Enriched | None:
    """Enrich one lead: ``enrich_leads`` with a batch of one (None: nothing found)."""
    return enrich_leads([lead], now=now, provider=provider).get(lead.pk)


def is_looked_up_over_http(provider: EnrichmentProvider) -> bool:
    """True for a provider that asks another server: it never runs under a row lock."""
    return isinstance(provider, HttpProvider)


def enrich_arrivals(leads: Sequence[Lead], *, now: datetime) -> dict[int, Enriched]:
    """Enrich arriving leads from the database (offline provider), never failing.

    Returns {} when enrichment is off or uses an HTTP API: that runs after the
    arrival's commit (``enrich_over_http``), never while the arrival holds
    its rows. A failure is logged and rolled back on its own, so the arrival
    goes on as if enrichment were off.
    """
    provider = provider_from_settings()
    if provider is None or is_looked_up_over_http(provider):
        return {}
    try:
        with transaction.atomic():
            return enrich_leads(leads, now=now, provider=provider)
    except Exception:
        logger.exception(
            "Enriching %s leads with the %s provider failed; they are stored "
            "without enrichment.",
            len(leads),
            provider.name,
        )
        # The savepoint undid the writes; undo what was set on the instances too.
        for lead in leads:
            lead.refresh_from_db()
        return {}


class _Answers:
    """A provider that answers from lookups made earlier, outside any lock."""

    def __init__(self, name: str, answers: Mapping[str, CompanyFacts]) -> None:
        self.name = name
        self._answers = answers

    def lookup(self, domain: str) -> CompanyFacts | None:
        return self._answers.get(domain)


def enrich_over_http(lead_ids: Sequence[int], *, now: datetime) -> dict[int, Enriched]:
    """Ask the HTTP API about the leads' domains, then fill and rescore them.

    The questions go out before any row is locked (each may take up to its
    timeout); the answers are applied in one short transaction, and a lead
    whose score changes goes through the after-rescore step like any other.
    Returns Enriched by lead id; {} when no HTTP API is set.
    """
    provider = provider_from_settings()
    if provider is None or not is_looked_up_over_http(provider):
        return {}
    leads = list(Lead.objects.select_related("company").filter(pk__in=lead_ids))
    domains = sorted({domain for lead in leads if (domain := _needs_enrichment(lead))})
    answers = {
        domain: facts for domain in domains if (facts := provider.lookup(domain))
    }
    if not answers:
        return {}
    with transaction.atomic():
        locked = list(
            Lead.objects.select_for_update(of=("self",))
            .select_related("company")
            .filter(pk__in=lead_ids)
            .order_by("pk")
        )
        enriched = enrich_leads(
            locked, now=now, provider=_Answers(provider.name, answers)
        )
        changed = [lead for lead in locked if lead.pk in enriched]
        rescore_and_triage(changed, now=now, trigger=ScoreTrigger.ENRICHMENT)
        # A company filled in puts the lead in that company's group.
        refresh_duplicate_candidates([lead.pk for lead in changed], now=now)
    return enriched
