"""Suspected duplicates: the same person at the same company, or the same phone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadqual.core.duplicates import (
    MAX_BLOCK_SIZE,
    NAME_MATCH_THRESHOLD,
    BlockingKeys,
    DuplicatePair,
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


def _pairs_with(pairs: list[DuplicatePair], ids: set[int]) -> list[DuplicatePair]:
    return [pair for pair in pairs if pair.first_id in ids or pair.second_id in ids]


# A few names, companies and phones, so random leads share groups often.
identity = st.tuples(
    st.sampled_from(["Jan de Vries", "Jan de Vreis", "Anna Smit", "Anne Smit", ""]),
    st.sampled_from(["bakker-ict.nl", "gmail.com", "smitbouw.nl"]),
    st.sampled_from([None, "Bakker ICT B.V.", "bakker ict", "Smit Bouw"]),
    st.sampled_from([None, "+31612345678", "06 12345678", "12"]),
)


@given(st.lists(identity, max_size=25), st.sets(st.integers(0, 30)))
def test_the_pairs_involving_some_leads_are_those_of_a_search_over_everyone(
    identities: list[tuple[str, str, str | None, str | None]], chosen: set[int]
) -> None:
    leads = [
        _lead(number, name, f"lead{number}@{domain}", company, phone)
        for number, (name, domain, company, phone) in enumerate(identities)
    ]
    assert find_duplicates(leads, involving=chosen) == _pairs_with(
        find_duplicates(leads), chosen
    )


@given(st.lists(identity, max_size=25))
def test_keys_given_in_advance_find_the_same_pairs(
    identities: list[tuple[str, str, str | None, str | None]],
) -> None:
    leads = [
        _lead(number, name, f"lead{number}@{domain}", company, phone)
        for number, (name, domain, company, phone) in enumerate(identities)
    ]
    stored = {
        lead.lead_id: BlockingKeys.from_parts(
            company=company_key(lead.company_name) or "",
            domain=work_domain(lead.email) or "",
            phone=phone_key(lead.phone) or "",
        )
        for lead in leads
    }
    assert stored == {lead.lead_id: BlockingKeys.of(lead) for lead in leads}
    assert find_duplicates(leads, keys=stored) == find_duplicates(leads)


def test_a_group_larger_than_a_block_gives_a_lead_the_pairs_of_its_slice() -> None:
    """In a company of 1,100 contacts a lead is compared with its slice of 500 only."""
    leads = [
        # Every 50th contact has a twin 3 places later, in the same slice.
        _lead(number, f"Person {number // 50:03d} Jansen", f"p{number}@big.nl", "Big")
        if number % 50 in (0, 3)
        else _lead(number, f"Colleague {number:05d} Quist", f"p{number}@big.nl", "Big")
        for number in range(2 * MAX_BLOCK_SIZE + 100)
    ]
    everyone = find_duplicates(leads)
    assert {(pair.first_id, pair.second_id) for pair in everyone} >= {
        (0, 3),
        (550, 553),
    }
    for chosen in ({0}, {3, 550}, {499, 500, 1099}, set(range(0, 1100, 7))):
        assert find_duplicates(leads, involving=chosen) == _pairs_with(everyone, chosen)
