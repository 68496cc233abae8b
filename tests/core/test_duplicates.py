"""Suspected duplicates: the same person at the same company, or the same phone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadqual.core.duplicates import (
    NAME_MATCH_THRESHOLD,
    DuplicateReason,
    LeadIdentity,
    company_key,
    find_duplicates,
    name_similarity,
    phone_key,
    work_domain,
)


def _lead(
    lead_id: int,
    name: str,
    email: str,
    company: str | None = None,
    phone: str | None = None,
) -> LeadIdentity:
    return LeadIdentity(
        lead_id=lead_id,
        full_name=name,
        email=email,
        company_name=company,
        phone=phone,
    )


def is_same_person(first: LeadIdentity, second: LeadIdentity) -> bool:
    """Whether ``find_duplicates`` calls the two the same person at one company."""
    return any(
        DuplicateReason.SAME_PERSON_AT_COMPANY in pair.reasons
        for pair in find_duplicates([first, second])
    )


def test_a_typo_in_the_name_at_the_same_company_is_the_same_person() -> None:
    first = _lead(1, "Jan de Vries", "jan@bakker-ict.nl", "Bakker ICT B.V.")
    second = _lead(2, "Jan de Vreis", "j.devries@bakker-ict.nl", "Bakker ICT")
    assert name_similarity(first.full_name, second.full_name) >= NAME_MATCH_THRESHOLD
    assert is_same_person(first, second)


def test_a_colleague_with_the_same_surname_is_another_person() -> None:
    first = _lead(1, "Jan de Vries", "jan@bakker-ict.nl", "Bakker ICT")
    second = _lead(2, "Piet de Vries", "piet@bakker-ict.nl", "Bakker ICT")
    assert not is_same_person(first, second)


def test_a_colleague_whose_name_differs_by_one_letter_stays_apart() -> None:
    """Short names differ little: "Tim Smit" and "Tom Smit" are two people."""
    first = _lead(1, "Tim Smit", "tim@bakker-ict.nl", "Bakker ICT")
    second = _lead(2, "Tom Smit", "tom@bakker-ict.nl", "Bakker ICT")
    assert not is_same_person(first, second)


def test_the_same_name_at_another_company_is_another_person() -> None:
    first = _lead(1, "Jan de Vries", "jan@bakker-ict.nl", "Bakker ICT")
    second = _lead(2, "Jan de Vries", "jan@jansen-bouw.nl", "Jansen Bouw")
    assert not is_same_person(first, second)


def test_the_work_email_domain_counts_as_the_same_company() -> None:
    first = _lead(1, "Jan de Vries", "jan@bakker-ict.nl", None)
    second = _lead(2, "de Vries, Jan", "jdv@bakker-ict.nl", "Bakker ICT")
    assert is_same_person(first, second)


def test_a_free_mail_domain_says_nothing_about_the_company() -> None:
    first = _lead(1, "Jan de Vries", "jan.devries@gmail.com")
    second = _lead(2, "Jan de Vries", "jdevries@gmail.com")
    assert work_domain(first.email) is None
    assert find_duplicates([first, second]) == []


def test_names_are_compared_without_accents_and_case() -> None:
    assert name_similarity("José Müller", "jose muller") == 100.0


def test_an_empty_name_matches_nobody() -> None:
    assert name_similarity("", "Jan de Vries") == 0.0


def test_company_key_drops_legal_form_and_punctuation() -> None:
    assert company_key("Bakker ICT B.V.") == company_key("bakker  ict") == "bakker ict"


def test_phone_key_reads_a_dutch_number_in_any_spelling() -> None:
    assert phone_key("06-12345678") == phone_key("+31 6 1234 5678") == "+31612345678"
    assert phone_key("bel me") is None


def test_find_duplicates_reports_a_pair_with_its_reason_and_similarity() -> None:
    leads = [
        _lead(1, "Jan de Vries", "jan@bakker-ict.nl", "Bakker ICT"),
        _lead(2, "Piet de Vries", "piet@bakker-ict.nl", "Bakker ICT"),
        _lead(3, "Jan de Vreis", "jdv@bakker-ict.nl", "Bakker ICT B.V."),
    ]
    pairs = find_duplicates(leads)
    assert [(p.first_id, p.second_id) for p in pairs] == [(1, 3)]
    assert pairs[0].reasons == (DuplicateReason.SAME_PERSON_AT_COMPANY,)
    assert pairs[0].similarity == 91.7


def test_the_same_phone_number_is_a_suspected_duplicate_across_companies() -> None:
    leads = [
        _lead(1, "Anna Jansen", "anna@gmail.com", phone="06 12345678"),
        _lead(2, "A. Jansen", "info@jansen-bouw.nl", "Jansen Bouw", "+31612345678"),
    ]
    pairs = find_duplicates(leads)
    assert [(p.first_id, p.second_id, p.reasons) for p in pairs] == [
        (1, 2, (DuplicateReason.SAME_PHONE,))
    ]


def test_a_pair_found_both_ways_lists_both_reasons_once() -> None:
    leads = [
        _lead(5, "Jan de Vries", "jan@bakker-ict.nl", "Bakker ICT", "0612345678"),
        _lead(2, "Jan de Vries", "jdv@bakker-ict.nl", "Bakker ICT", "+31612345678"),
    ]
    pairs = find_duplicates(leads)
    assert len(pairs) == 1
    assert (pairs[0].first_id, pairs[0].second_id) == (2, 5)
    assert set(pairs[0].reasons) == set(DuplicateReason)


names = st.text(alphabet="abcdeijklmnoprstv ", min_size=1, max_size=20)


@given(names, names)
def test_name_similarity_is_symmetric_and_within_0_to_100(a: str, b: str) -> None:
    assert name_similarity(a, b) == name_similarity(b, a)
    assert 0.0 <= name_similarity(a, b) <= 100.0
