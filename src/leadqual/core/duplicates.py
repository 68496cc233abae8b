"""Suspected duplicate leads: the same person at the same company, or the same phone.

Two leads can never share an email address (it is unique), so duplicates
are people who came in twice under different addresses: "jan@bakker-ict.nl"
from the form and "j.devries@bakker-ict.nl" from a CRM import. Leads are
first grouped ("blocked") by company and by phone number, and names are
compared only within a group, so finding duplicates is never a comparison of
every lead with every other lead.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

from rapidfuzz import fuzz

from leadqual.core.hygiene import InvalidPhone, is_disposable, is_free_mail
from leadqual.core.hygiene import normalise_phone as _normalise_phone

# token_sort_ratio (0-100) of two full names at the same company from which
# they count as one person. Measured on Dutch names: a typo or a swapped letter
# scores 90-96 ("Jan de Vries"/"Jan de Vreis" 91.7, "Daan Peters"/"Dana Peters"
# 90.9), while colleagues sharing a surname stay below 88 ("Tim Smit"/"Tom Smit"
# 87.5, "Jan de Vries"/"Piet de Vries" 72).
NAME_MATCH_THRESHOLD = 88.0
# Largest group compared pair by pair (at most 500 * 499 / 2 name comparisons);
# a bigger group is one company with very many contacts, compared in slices.
MAX_BLOCK_SIZE = 500

_LEGAL_FORMS = re.compile(
    r"\b(b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|holding|bv|nv|ltd|gmbh|inc)\b\.?", re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w]+")


class DuplicateReason(StrEnum):
    """Why two leads look like one person."""

    SAME_PERSON_AT_COMPANY = "same_person_at_company"
    SAME_PHONE = "same_phone"


@dataclass(frozen=True, slots=True)
class LeadIdentity:
    """What duplicate detection reads of a lead."""

    lead_id: int
    full_name: str
    email: str
    company_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two leads that may be one person; ``first_id`` < ``second_id``.

    ``similarity`` is the names' token_sort_ratio (0-100), also for a pair
    found by phone, so a shared switchboard number with two different names
    shows as such.
    """

    first_id: int
    second_id: int
    similarity: float
    reasons: tuple[DuplicateReason, ...]


def _fold(text: str) -> str:
    """Lower case without accents or punctuation: "Müller-Lüdenscheidt" -> "muller ludenscheidt"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", plain).replace("_", " ").strip()


def company_key(name: str | None) -> str | None:
    """The company name for matching: no case, legal form or punctuation.

    "Bakker ICT B.V." and "bakker ict" give "bakker ict". None for no name.
    """
    if not name:
        return None
    key = _fold(_LEGAL_FORMS.sub(" ", name.casefold()))
    return " ".join(key.split()) or None


def work_domain(email: str) -> str | None:
    """The email's domain when it says where someone works; None for free mail."""
    domain = email.rpartition("@")[2].lower()
    if not domain or is_free_mail(domain) or is_disposable(domain):
        return None
    return domain


def phone_key(phone: str | None) -> str | None:
    """The phone in E.164 for matching; None when absent or unreadable."""
    if not phone:
        return None
    try:
        return _normalise_phone(phone).e164
    except InvalidPhone:
        return None


def company_keys(lead: LeadIdentity) -> set[str]:
    """The groups a lead's company puts it in: its company name and work domain."""
    keys: set[str] = set()
    name = company_key(lead.company_name)
    if name:
        keys.add(f"name:{name}")
    domain = work_domain(lead.email)
    if domain:
        keys.add(f"domain:{domain}")
    return keys


def name_similarity(first: str, second: str) -> float:
    """How alike two full names are, 0-100, ignoring word order, case and accents.

    Returns 0 when either name is empty: an unknown name matches nobody.
    """
    return _folded_similarity(_fold(first), _fold(second))


def _folded_similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return float(fuzz.token_sort_ratio(a, b))


@dataclass(frozen=True, slots=True)
class BlockingKeys:
    """The groups a lead falls in: its company keys ("name:...", "domain:...") and phone."""

    companies: frozenset[str]
    phone: str | None

    @classmethod
    def of(cls, lead: LeadIdentity) -> BlockingKeys:
        return cls(companies=frozenset(company_keys(lead)), phone=phone_key(lead.phone))

    @classmethod
    def from_parts(cls, *, company: str, domain: str, phone: str) -> BlockingKeys:
        """From keys computed before (company_key, work_domain, phone_key; "" for none).

        Lets a caller that stores the keys skip computing them again: reading
        a phone number costs about 0.2 ms.
        """
        companies = {f"name:{company}"} if company else set()
        if domain:
            companies.add(f"domain:{domain}")
        return cls(companies=frozenset(companies), phone=phone or None)


def _blocks(
    leads: Iterable[LeadIdentity], keys: Mapping[int, BlockingKeys]
) -> list[list[LeadIdentity]]:
    groups: dict[str, list[LeadIdentity]] = defaultdict(list)
    for lead in leads:
        lead_keys = keys[lead.lead_id]
        for key in lead_keys.companies:
            groups[key].append(lead)
        if lead_keys.phone:
            groups[f"phone:{lead_keys.phone}"].append(lead)
    blocks: list[list[LeadIdentity]] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        for start in range(0, len(members), MAX_BLOCK_SIZE):
            blocks.append(members[start : start + MAX_BLOCK_SIZE])
    return blocks


def _block_pairs(
    block: Sequence[LeadIdentity], involving: AbstractSet[int] | None
) -> Iterator[tuple[LeadIdentity, LeadIdentity]]:
    if involving is None:
        yield from combinations(block, 2)
        return
    # Only the pairs with a lead of interest: a batch of new leads in a group
    # of 500 costs 499 comparisons per new lead, not 124,750. A pair of two
    # such leads comes once, from the first of them.
    for position, one in enumerate(block):
        if one.lead_id in involving:
            for other_position, other in enumerate(block):
                if other_position > position or (
                    other_position < position and other.lead_id not in involving
                ):
                    yield one, other


def find_duplicates(
    leads: Sequence[LeadIdentity],
    *,
    keys: Mapping[int, BlockingKeys] | None = None,
    involving: AbstractSet[int] | None = None,
) -> list[DuplicatePair]:
    """Every suspected duplicate pair among ``leads``, most similar first.

    A pair is the same person at the same company (NAME_MATCH_THRESHOLD) or
    two leads with the same phone number in E.164; a pair found both ways
    lists both reasons. Names are compared only within a company or phone
    group. ``keys`` gives leads' blocking keys computed before (the others
    are computed here); with ``involving``, only the pairs with at least one
    of those leads are returned, and only those are compared. Groups are
    sliced in the order of ``leads``, so the pairs of a lead are the same
    whether found over everyone or with ``involving``.
    """
    given = keys or {}
    lead_keys = {
        lead.lead_id: given.get(lead.lead_id) or BlockingKeys.of(lead) for lead in leads
    }
    # Folded once per lead, not once per comparison: a lead meets up to 499 others.
    folded: dict[int, str] = {}
    found: dict[tuple[int, int], DuplicatePair] = {}
    for block in _blocks(leads, lead_keys):
        for one, other in _block_pairs(block, involving):
            if one.lead_id == other.lead_id:
                continue
            first, second = sorted((one, other), key=lambda lead: lead.lead_id)
            pair_key = (first.lead_id, second.lead_id)
            if pair_key in found:
                continue
            first_keys, second_keys = (
                lead_keys[first.lead_id],
                lead_keys[second.lead_id],
            )
            for lead in (first, second):
                if lead.lead_id not in folded:
                    folded[lead.lead_id] = _fold(lead.full_name)
            similarity = _folded_similarity(
                folded[first.lead_id], folded[second.lead_id]
            )
            reasons: list[DuplicateReason] = []
            if (
                similarity >= NAME_MATCH_THRESHOLD
                and first_keys.companies & second_keys.companies
            ):
                reasons.append(DuplicateReason.SAME_PERSON_AT_COMPANY)
            if first_keys.phone is not None and first_keys.phone == second_keys.phone:
                reasons.append(DuplicateReason.SAME_PHONE)
            if reasons:
                found[pair_key] = DuplicatePair(
                    first_id=first.lead_id,
                    second_id=second.lead_id,
                    similarity=round(similarity, 1),
                    reasons=tuple(reasons),
                )
    return sorted(
        found.values(),
        key=lambda pair: (-len(pair.reasons), -pair.similarity, pair.first_id),
    )
