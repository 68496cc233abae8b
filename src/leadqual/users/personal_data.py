"""Personal data in the users app's models: none about leads (see core/personal_data.py).

Users, their tokens and their failed logins are about staff, which erasure of
a lead does not touch.
"""

from __future__ import annotations

from leadqual.core.personal_data import PersonalFields

PERSONAL_DATA = (
    PersonalFields(
        "accounts.ApiToken", not_personal=("name", "digest", "prefix", "scopes")
    ),
    PersonalFields(
        "accounts.OwnerProfile", not_personal=("regions", "sectors", "language")
    ),
    # What someone typed as a username, and a keyed hash of their address.
    PersonalFields("accounts.LoginFailure", not_personal=("username", "address_hash")),
)
