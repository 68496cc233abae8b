"""The MX check of email domains: a warning at most, never a refusal, never a wait."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from leadqual.core.hygiene import MxStatus
from leadqual.intake.cleaning import clean_lead_fields
from leadqual.intake.mx import mx_status


@pytest.fixture
def silent_dns_server() -> Iterator[str]:
    """A local UDP port that receives DNS questions and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_no_answer_within_the_timeout_is_unknown(silent_dns_server: str) -> None:
    started = time.monotonic()
    status = mx_status(
        "bakker-ict.nl", nameservers=[silent_dns_server], timeout_seconds=0.3
    )
    assert status is MxStatus.UNKNOWN
    assert time.monotonic() - started < 2


def test_a_closed_port_is_unknown() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status = mx_status(
        "example.nl", nameservers=[f"127.0.0.1:{port}"], timeout_seconds=0.3
    )
    assert status is MxStatus.UNKNOWN


def test_an_unknown_answer_adds_no_warning_and_keeps_the_lead(
    silent_dns_server: str,
) -> None:
    with override_settings(CHECK_MX=True, MX_NAMESERVERS=[silent_dns_server]):
        cleaned = clean_lead_fields("jan@bakker-ict-mx.nl", {})
    assert cleaned.email == "jan@bakker-ict-mx.nl"
    assert cleaned.errors == {}
    assert cleaned.warnings == {}


def test_the_check_is_off_by_default() -> None:
    cleaned = clean_lead_fields("jan@bakker-ict.nl", {})
    assert cleaned.warnings == {}


def test_a_phone_is_cleaned_to_e164_with_its_country() -> None:
    cleaned = clean_lead_fields("jan@bakker-ict.nl", {"phone": "06 12345678"})
    assert cleaned.values == {"phone": "+31612345678", "phone_country": "NL"}


def test_a_phone_is_read_in_the_leads_country() -> None:
    cleaned = clean_lead_fields(
        "jan@bakker-ict.be", {"phone": "0470 12 34 56", "country": "be"}
    )
    assert cleaned.values["phone"] == "+32470123456"
    assert cleaned.values["phone_country"] == "BE"


def test_an_unreadable_phone_is_an_error_naming_the_value() -> None:
    cleaned = clean_lead_fields("jan@bakker-ict.nl", {"phone": "bel me maar"})
    assert '"bel me maar" is not a phone number' in cleaned.errors["phone"]
    assert "phone" not in cleaned.values


def test_a_cleared_phone_clears_its_country() -> None:
    cleaned = clean_lead_fields("jan@bakker-ict.nl", {"phone": ""})
    assert cleaned.values == {"phone": None, "phone_country": None}


def test_a_company_name_keeps_its_case() -> None:
    cleaned = clean_lead_fields("jan@bakker-ict.nl", {"company": " Bakker  ICT B.V."})
    assert cleaned.values == {"company": "Bakker ICT B.V."}
