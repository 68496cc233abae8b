"""Internationalised domains and addresses are shown in Unicode, never changed."""

from __future__ import annotations

import pytest

from leadqual.core.display import unicode_domain, unicode_email


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("xn--bcher-kva.nl", "bücher.nl"),
        ("shop.xn--bcher-kva.nl", "shop.bücher.nl"),
        ("bakker-ict.nl", "bakker-ict.nl"),
        # Not valid punycode: shown as stored rather than guessed at.
        ("xn--.nl", "xn--.nl"),
        ("", ""),
    ],
)
def test_a_domain_is_shown_in_unicode(stored: str, shown: str) -> None:
    assert unicode_domain(stored) == shown


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("kees@xn--bcher-kva.nl", "kees@bücher.nl"),
        ("jan@bakker-ict.nl", "jan@bakker-ict.nl"),
        # Only the domain is decoded: a local part that looks like punycode stays.
        ("xn--bcher-kva@example.nl", "xn--bcher-kva@example.nl"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_an_email_address_shows_its_domain_in_unicode(stored: str, shown: str) -> None:
    assert unicode_email(stored) == shown
