"""Personal data in integrations' models (see core/personal_data.py).

A delivery's payload shows the lead (email, name, company) as it was sent;
after an erasure the row stays in the delivery log (what went where, when),
pending or delivered, with the person's values replaced by "[erased]".
"""

from __future__ import annotations

from leadqual.core.personal_data import Erasure, PersonalFields

PERSONAL_DATA = (
    PersonalFields(
        "integrations.WebhookEndpoint",
        not_personal=("name", "kind", "url", "secret", "events"),
    ),
    PersonalFields(
        "integrations.WebhookDelivery",
        personal=("payload", "last_error"),
        # remote_ids are the peer's record ids, like lead_id here.
        not_personal=("event_type", "message_id", "status", "remote_ids"),
        lead="lead_id",
        erasure=Erasure.SCRUB,
    ),
)
