"""Personal data in privacy's own models (see core/personal_data.py).

Suppressions hold keyed hashes only, consent records no values: both outlive
the person on purpose. An audit entry's detail names fields and counts; it is
scrubbed anyway, should a value ever have slipped in.
"""

from __future__ import annotations

from leadqual.core.personal_data import Erasure, PersonalFields

PERSONAL_DATA = (
    PersonalFields(
        "privacy.AuditEntry",
        personal=("detail",),
        not_personal=("actor", "action"),
        lead="lead_id",
        erasure=Erasure.SCRUB,
    ),
    PersonalFields(
        "privacy.Suppression", not_personal=("email_hash", "phone_hash", "reason")
    ),
    PersonalFields(
        "privacy.ConsentRecord",
        not_personal=("source", "lawful_basis", "text_version"),
    ),
)
