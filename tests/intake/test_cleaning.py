"""Lead fields are validated and normalised the same way for every way in."""

from __future__ import annotations

import pytest

from leadqual.intake.cleaning import (
    WRITABLE_FIELDS,
    FieldInput,
    clean_lead_fields,
    parse_whole_number,
)

EMAIL = "jan@bakker-ict.nl"


def test_a_valid_lead_has_no_errors_and_a_normalised_email() -> None:
    cleaned = clean_lead_fields("  Jan@Bakker-ICT.nl ", {"sector": "Software"})
    assert cleaned.errors == {}
    assert cleaned.email == "jan@bakker-ict.nl"
    assert cleaned.values == {"sector": "Software"}


@pytest.mark.parametrize("email", [None, "", "   "])
def test_the_email_is_required(email: FieldInput) -> None:
    cleaned = clean_lead_fields(email, {})
    assert cleaned.email is None
    assert "is required" in cleaned.errors["email"]


def test_an_invalid_email_is_refused_quoting_it() -> None:
    cleaned = clean_lead_fields("jan.bakker-ict.nl", {})
    assert cleaned.email is None
    assert '"jan.bakker-ict.nl" is not a valid email address' in cleaned.errors["email"]


def test_an_unknown_field_is_named_with_the_known_fields() -> None:
    cleaned = clean_lead_fields(EMAIL, {"industry": "software"})
    message = cleaned.errors["industry"]
    assert '"industry" is not a lead field' in message
    for known in ["email", *WRITABLE_FIELDS]:
        assert known in message
    assert "industry" not in cleaned.values


def test_a_bad_field_does_not_stop_the_other_fields() -> None:
    cleaned = clean_lead_fields(EMAIL, {"employees": "veel", "sector": "ICT"})
    assert set(cleaned.errors) == {"employees"}
    assert cleaned.values == {"sector": "ICT"}


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("25", 25),
        (" 25 ", 25),
        ("1.234", 1234),
        ("1,234", 1234),
        ("1 234", 1234),
        ("1.234.567", 1_234_567),
        ("10000.00", 10_000),
        ("10000,00", 10_000),
        ("€ 5.000", 5000),
        ("€5000", 5000),
        ("5\u00a0000", 5000),
        (25, 25),
        (25.0, 25),
    ],
)
def test_whole_numbers_are_parsed_as_people_write_them(
    raw: FieldInput, number: int
) -> None:
    cleaned = clean_lead_fields(EMAIL, {"budget_euros": raw})
    assert cleaned.errors == {}
    assert cleaned.values["budget_euros"] == number


def test_a_word_for_a_number_is_refused_quoting_it() -> None:
    cleaned = clean_lead_fields(EMAIL, {"employees": "veel"})
    assert cleaned.errors["employees"] == (
        '"veel" is not a whole number. Use digits, for example 10000.'
    )
    assert "employees" not in cleaned.values


@pytest.mark.parametrize("raw", ["12.5", "1.5k", 12.5, True, "10k-ish"])
def test_numbers_with_a_fraction_or_extra_text_are_refused(raw: FieldInput) -> None:
    cleaned = clean_lead_fields(EMAIL, {"employees": raw})
    assert "is not a whole number" in cleaned.errors["employees"]


@pytest.mark.parametrize("raw", ["-5", -5])
def test_a_negative_number_is_refused(raw: FieldInput) -> None:
    cleaned = clean_lead_fields(EMAIL, {"employees": raw})
    assert "-5 is out of range" in cleaned.errors["employees"]


def test_a_number_too_large_to_store_is_refused() -> None:
    cleaned = clean_lead_fields(EMAIL, {"budget_euros": "3000000000"})
    assert "out of range" in cleaned.errors["budget_euros"]


def test_parse_whole_number_raises_value_error_for_text() -> None:
    with pytest.raises(ValueError, match="veel"):
        parse_whole_number("veel")


@pytest.mark.parametrize(
    ("raw", "urgency"),
    [
        ("immediate", "immediate"),
        ("nu", "immediate"),
        ("NU", "immediate"),
        ("asap", "immediate"),
        ("binnen 3 maanden", "within_3_months"),
        (" Binnen 3 Maanden ", "within_3_months"),
        ("binnen 12 maanden", "within_12_months"),
        ("oriënterend", "exploring"),
    ],
)
def test_urgency_synonyms_are_mapped_to_the_vocabulary(raw: str, urgency: str) -> None:
    cleaned = clean_lead_fields(EMAIL, {"urgency": raw})
    assert cleaned.errors == {}
    assert cleaned.values["urgency"] == urgency


def test_an_unknown_urgency_is_refused_listing_the_allowed_values() -> None:
    cleaned = clean_lead_fields(EMAIL, {"urgency": "morgen"})
    assert cleaned.errors["urgency"] == (
        '"morgen" is not an urgency. Use one of immediate, within_3_months, '
        "within_12_months, exploring."
    )


def test_the_country_is_upper_cased() -> None:
    cleaned = clean_lead_fields(EMAIL, {"country": " nl "})
    assert cleaned.values["country"] == "NL"


@pytest.mark.parametrize("raw", ["Nederland", "N1", "NLD"])
def test_a_country_that_is_not_a_two_letter_code_is_refused(raw: str) -> None:
    cleaned = clean_lead_fields(EMAIL, {"country": raw})
    assert f'"{raw}" is not a two-letter country code' in cleaned.errors["country"]


def test_text_is_trimmed_and_whitespace_collapsed() -> None:
    cleaned = clean_lead_fields(EMAIL, {"company": "  Bakker   ICT\tB.V. "})
    assert cleaned.values["company"] == "Bakker ICT B.V."


def test_text_longer_than_the_field_allows_is_refused() -> None:
    cleaned = clean_lead_fields(EMAIL, {"job_title": "x" * 151})
    assert cleaned.errors["job_title"] == (
        "is 151 characters long; at most 150 are allowed."
    )


def test_text_at_the_length_limit_is_accepted() -> None:
    cleaned = clean_lead_fields(EMAIL, {"job_title": "x" * 150})
    assert cleaned.errors == {}


@pytest.mark.parametrize("field", ["sector", "employees", "urgency", "country"])
@pytest.mark.parametrize("raw", ["", "   ", None])
def test_an_empty_value_clears_the_field(field: str, raw: FieldInput) -> None:
    cleaned = clean_lead_fields(EMAIL, {field: raw})
    assert cleaned.errors == {}
    assert field in cleaned.values
    assert cleaned.values[field] is None
