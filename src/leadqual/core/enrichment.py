"""Company facts from a web domain, and how they fill a lead without overwriting it.

An enrichment provider answers one question: what is known about the company
behind a work domain (``bakker-ict.nl``)? The answer is ``CompanyFacts``:
name, sector, size band and country, each possibly unknown.

Facts only fill what is empty. A value the lead typed (or an import brought
in) always wins over an enriched one, and every field that enrichment filled
is marked with its source and moment, so the lead page and the API can tell
typed from looked-up. The adapters (``intake/enrichment.py``) call the
providers and store the results; this module decides what to fill.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from leadqual.core.hygiene import email_domain, is_disposable, is_free_mail


class SizeBand(StrEnum):
    """Company size by employees, the EU SME classes with large split in two."""

    MICRO = "1-9"
    SMALL = "10-49"
    MEDIUM = "50-249"
    LARGE = "250-999"
    ENTERPRISE = "1000+"


# The employee count an enriched lead gets for its company's band: a value
# well inside the band, so a rule on "employees" sees the band, not its edge.
TYPICAL_EMPLOYEES: Mapping[SizeBand, int] = {
    SizeBand.MICRO: 5,
    SizeBand.SMALL: 25,
    SizeBand.MEDIUM: 100,
    SizeBand.LARGE: 500,
    SizeBand.ENTERPRISE: 1000,
}

# The lead fields enrichment may fill, and only when they are empty.
ENRICHABLE_LEAD_FIELDS = ("sector", "employees", "country")
# The company fields enrichment fills (also only when empty).
ENRICHABLE_COMPANY_FIELDS = ("name", "sector", "size_band", "country")

LeadFieldValue = str | int


def size_band_for(employees: int) -> SizeBand:
    """The size band of a company with this many employees (0 counts as 1-9)."""
    if employees < 10:
        return SizeBand.MICRO
    if employees < 50:
        return SizeBand.SMALL
    if employees < 250:
        return SizeBand.MEDIUM
    if employees < 1000:
        return SizeBand.LARGE
    return SizeBand.ENTERPRISE


def parse_size_band(raw: str) -> SizeBand | None:
    """The band named by ``raw`` ("10-49", "10-49" with an en dash, "1000+"), or None if none is."""
    value = raw.strip().replace("\u2013", "-").replace(" ", "")
    for band in SizeBand:
        if value == band.value:
            return band
    return None


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """What is known about a company; None where a fact is unknown.

    ``country`` is an ISO 3166 alpha-2 code in upper case ("NL").
    """

    name: str | None = None
    sector: str | None = None
    size_band: SizeBand | None = None
    country: str | None = None

    @property
    def is_empty(self) -> bool:
        return not any((self.name, self.sector, self.size_band, self.country))

    def lead_values(self) -> dict[str, LeadFieldValue]:
        """The facts as lead fields: sector, employees (typical for the band), country."""
        values: dict[str, LeadFieldValue] = {}
        if self.sector:
            values["sector"] = self.sector
        if self.size_band is not None:
            values["employees"] = TYPICAL_EMPLOYEES[self.size_band]
        if self.country:
            values["country"] = self.country
        return values

    def company_values(self) -> dict[str, str]:
        """The facts as company fields (only the known ones)."""
        values: dict[str, str] = {}
        if self.name:
            values["name"] = self.name
        if self.sector:
            values["sector"] = self.sector
        if self.size_band is not None:
            values["size_band"] = self.size_band.value
        if self.country:
            values["country"] = self.country
        return values


class EnrichmentProvider(Protocol):
    """Looks up a company by its web domain.

    ``name`` is the source recorded with every enriched field ("offline",
    "http"). ``lookup`` returns None when nothing is known about the domain
    or the provider cannot answer now; it never raises for an unknown domain
    or an unreachable service.
    """

    @property
    def name(self) -> str: ...

    def lookup(self, domain: str) -> CompanyFacts | None: ...


def work_domain(email: str) -> str | None:
    """The employer's domain of a normalised email, or None for free-mail and
    disposable addresses, which say nothing about an employer."""
    domain = email_domain(email)
    if not domain or is_free_mail(domain) or is_disposable(domain):
        return None
    return domain


def fields_to_fill(
    current: Mapping[str, LeadFieldValue | None], found: Mapping[str, LeadFieldValue]
) -> dict[str, LeadFieldValue]:
    """The found values for the fields that are empty (None or "") in ``current``.

    A field ``current`` does not list counts as empty. Values that are
    already there are never in the result: what the lead typed wins.
    """
    return {
        name: value
        for name, value in found.items()
        if current.get(name) in (None, "") and value not in (None, "")
    }


def enrichment_marks(
    filled: Iterable[str], *, source: str, now: datetime
) -> dict[str, dict[str, str]]:
    """The ``Lead.enriched_fields`` entries for fields just filled:
    ``{"sector": {"source": "offline", "at": "2026-11-27T10:00:00+00:00"}}``."""
    return {name: {"source": source, "at": now.isoformat()} for name in filled}


def _most_common(values: Iterable[str | None]) -> str | None:
    # Ties go to the value seen first: callers pass the newest observations first.
    counts = Counter(value for value in values if value)
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def learn_facts(observations: Sequence[CompanyFacts]) -> CompanyFacts | None:
    """The most common known value of each fact among ``observations``.

    Sectors are compared case-insensitively (the first spelling seen is
    kept), countries in upper case. Returns None when no observation knows
    any fact.
    """
    spelling: dict[str, str] = {}
    for observation in observations:
        if observation.sector:
            spelling.setdefault(observation.sector.casefold(), observation.sector)
    sector_key = _most_common(
        observation.sector.casefold() if observation.sector else None
        for observation in observations
    )
    band = _most_common(
        observation.size_band.value if observation.size_band else None
        for observation in observations
    )
    facts = CompanyFacts(
        name=_most_common(observation.name for observation in observations),
        sector=spelling[sector_key] if sector_key else None,
        size_band=SizeBand(band) if band else None,
        country=_most_common(
            observation.country.upper() if observation.country else None
            for observation in observations
        ),
    )
    return None if facts.is_empty else facts
