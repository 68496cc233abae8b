"""Stored values as people read them; what is stored stays as it came in.

Internationalised domains are stored in their ASCII (punycode) form, the
form mail servers and DNS use; a page shows them in Unicode.
"""

from __future__ import annotations

_ACE_PREFIX = "xn--"


def unicode_domain(domain: str) -> str:
    """An internationalised domain as people read it (xn--bcher-kva.nl → bücher.nl).

    A domain that is not valid punycode is shown as stored.
    """
    if _ACE_PREFIX not in domain:
        return domain
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


def unicode_email(email: str) -> str:
    """An email address with its domain in Unicode (kees@xn--bcher-kva.nl → kees@bücher.nl)."""
    local, at, domain = email.rpartition("@")
    if not at:
        return unicode_domain(email)
    return f"{local}@{unicode_domain(domain)}"
