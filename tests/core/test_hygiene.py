"""Email addresses are normalised once and classified by kind of mailbox."""

from __future__ import annotations

import pytest

from leadqual.core.errors import InvalidEmail
from leadqual.core.hygiene import (
    InvalidPhone,
    PhoneNumber,
    email_domain,
    format_phone,
    is_disposable,
    is_free_mail,
    normalise_company,
    normalise_email,
    normalise_phone,
    normalise_text,
)


def test_normalise_email_trims_surrounding_whitespace() -> None:
    assert normalise_email("  jan@bakker-ict.nl \n") == "jan@bakker-ict.nl"


def test_normalise_email_lower_cases_the_whole_address() -> None:
    assert normalise_email("Jan.De.Vries@Bakker-ICT.NL") == "jan.de.vries@bakker-ict.nl"


def test_normalise_email_stores_an_internationalised_domain_as_punycode() -> None:
    assert normalise_email("info@Bücher.de") == "info@xn--bcher-kva.de"


def test_normalise_email_gives_one_spelling_for_both_forms_of_an_idn() -> None:
    assert normalise_email("info@bücher.de") == normalise_email("info@xn--bcher-kva.de")


def test_normalise_email_refuses_an_address_without_at_sign() -> None:
    with pytest.raises(InvalidEmail, match=r'"jan\.bakker-ict\.nl".*"@"'):
        normalise_email("jan.bakker-ict.nl")


def test_normalise_email_refuses_an_empty_address() -> None:
    with pytest.raises(InvalidEmail, match="empty"):
        normalise_email("   ")


def test_normalise_email_refuses_a_space_inside_the_address() -> None:
    with pytest.raises(InvalidEmail, match="space"):
        normalise_email("jan de vries@bakker-ict.nl")


def test_normalise_email_refuses_a_domain_without_extension() -> None:
    with pytest.raises(InvalidEmail, match='domain "localhost"'):
        normalise_email("jan@localhost")


@pytest.mark.parametrize(
    "address",
    ["jan@-bakker.nl", "jan@bakker-.nl", "jan@bakker..nl", "jan@bakker.123", "jan@"],
)
def test_normalise_email_refuses_a_bad_domain(address: str) -> None:
    with pytest.raises(InvalidEmail, match="not a valid email address"):
        normalise_email(address)


def test_normalise_email_refuses_a_bad_local_part() -> None:
    with pytest.raises(InvalidEmail, match='part before "@"'):
        normalise_email("jan..de@bakker-ict.nl")


def test_normalise_email_refuses_an_address_longer_than_254_characters() -> None:
    address = "jan@" + ".".join(["a" * 63] * 4) + ".nl"
    assert len(address) > 254
    with pytest.raises(InvalidEmail, match="at most 254"):
        normalise_email(address)


def test_normalise_email_refuses_a_local_part_longer_than_64_characters() -> None:
    with pytest.raises(InvalidEmail, match='part before "@"'):
        normalise_email("j" * 65 + "@bakker-ict.nl")


def test_email_domain_is_the_part_after_the_last_at_sign() -> None:
    assert email_domain("jan@bakker-ict.nl") == "bakker-ict.nl"


@pytest.mark.parametrize("domain", ["gmail.com", "hotmail.nl", "outlook.com"])
def test_consumer_mailbox_providers_are_free_mail(domain: str) -> None:
    assert is_free_mail(domain)


def test_a_company_domain_is_not_free_mail() -> None:
    assert not is_free_mail("bakker-ict.nl")


def test_mailinator_is_disposable() -> None:
    assert is_disposable("mailinator.com")


def test_a_disposable_domain_is_not_counted_as_free_mail() -> None:
    """mailinator.com is on both package lists; it counts only as disposable."""
    assert not is_free_mail("mailinator.com")


def test_gmail_and_a_company_domain_are_not_disposable() -> None:
    assert not is_disposable("gmail.com")
    assert not is_disposable("bakker-ict.nl")


def test_normalise_text_collapses_whitespace() -> None:
    assert normalise_text("  Bakker \t ICT\n B.V. ") == "Bakker ICT B.V."


def test_normalise_text_turns_blank_into_none() -> None:
    assert normalise_text("   ") is None
    assert normalise_text(None) is None


def test_a_dutch_mobile_number_becomes_e164_with_country_nl() -> None:
    assert normalise_phone("06 12345678") == PhoneNumber("+31612345678", "NL")


def test_a_number_with_country_code_keeps_its_own_country() -> None:
    assert normalise_phone("+32 470 12 34 56") == PhoneNumber("+32470123456", "BE")


def test_a_belgian_number_is_read_with_the_leads_country() -> None:
    assert normalise_phone("0470 12 34 56", region="BE") == PhoneNumber(
        "+32470123456", "BE"
    )


def test_punctuation_in_a_phone_number_is_ignored() -> None:
    assert normalise_phone("(020) 123-45.67").e164 == "+31201234567"


@pytest.mark.parametrize("raw", ["bel me maar", "12", "+31 6 1234 5678 9012 3456"])
def test_a_value_that_is_no_phone_number_is_refused_quoting_it(raw: str) -> None:
    with pytest.raises(InvalidPhone, match=f'"{raw.replace("+", "[+]")}"'):
        normalise_phone(raw)


def test_a_company_name_keeps_its_case_with_single_spaces() -> None:
    assert normalise_company("  Bakker   ICT\tB.V. ") == "Bakker ICT B.V."


def test_a_blank_company_name_is_none() -> None:
    assert normalise_company("   ") is None


def test_a_stored_number_is_shown_in_international_format() -> None:
    assert format_phone("+31612345678") == "+31 6 12345678"


def test_an_old_unreadable_phone_is_shown_as_typed() -> None:
    assert format_phone("bel na 17u") == "bel na 17u"
