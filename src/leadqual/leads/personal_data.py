"""Personal data in leads' models (see core/personal_data.py and docs/privacy.md)."""

from __future__ import annotations

from leadqual.core.personal_data import ErasedPerson, Erasure, PersonalFields
from leadqual.leads.duplicates import forget_duplicate_candidates


def _forget_duplicate_pairs(person: ErasedPerson) -> int:
    return forget_duplicate_candidates(person.lead_ids)


PERSONAL_DATA = (
    # A company only the erased person belonged to is deleted by privacy: a
    # one-person company ("Jansen Advies", jansenadvies.nl) names the person.
    PersonalFields(
        "leads.Company",
        personal=("name", "normalised_name", "domain"),
        not_personal=("sector", "size_band", "country", "enrichment_source"),
        erasure=Erasure.LEAD,
    ),
    # The row stays for the KPIs; privacy empties the personal fields and puts
    # the placeholder email in (the email is unique and required).
    PersonalFields(
        "leads.Lead",
        personal=(
            "email",
            "first_name",
            "last_name",
            "job_title",
            "phone",
            "phone_country",
            "enriched_fields",
            # Derived from the company name, email and phone.
            "company_match_key",
            "domain_match_key",
            "phone_match_key",
        ),
        not_personal=(
            "sector",
            "urgency",
            "country",
            "region",
            "source",
            "consent_text_version",
            "status",
            "band",
        ),
        lead="pk",
        erasure=Erasure.LEAD,
    ),
    # Page addresses and mail-tool fields can identify a person; the external
    # id is a digest of the email for mail-tool events. Type and time stay.
    PersonalFields(
        "leads.Event",
        personal=("properties", "external_id"),
        # The sender is an API token's id ("token:12").
        not_personal=("type", "source", "sender"),
        lead="lead",
        erasure=Erasure.CLEAR,
    ),
    # A merge keeps the duplicate's fields for undo: the same person's data.
    PersonalFields(
        "leads.LeadMerge",
        personal=("merged_email", "snapshot", "reason"),
        not_personal=("moved_rows",),
        lead="survivor",
        erasure=Erasure.DELETE,
    ),
    # A pair says two leads may be one person; it goes with either lead, also
    # when the other stays (a pair with an erased person means nothing).
    PersonalFields(
        "leads.DuplicateCandidate",
        not_personal=("reasons",),
        lead="first",
        erasure=Erasure.DELETE,
        erase=_forget_duplicate_pairs,
    ),
)
