"""Company facts fill only what is empty, and say where they came from."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.core.enrichment import (
    CompanyFacts,
    SizeBand,
    enrichment_marks,
    fields_to_fill,
    learn_facts,
    parse_size_band,
    size_band_for,
    work_domain,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_facts_fill_only_the_empty_fields() -> None:
    facts = CompanyFacts(sector="software", size_band=SizeBand.SMALL, country="NL")

    filled = fields_to_fill(
        {"sector": "bouw", "employees": None, "country": ""}, facts.lead_values()
    )

    assert filled == {"employees": 25, "country": "NL"}


@settings(deadline=None)  # the first example pays for imports
@given(
    typed=st.dictionaries(
        st.sampled_from(["sector", "employees", "country"]),
        st.one_of(st.text(min_size=1), st.integers(min_value=1)),
    )
)
def test_a_typed_value_is_never_overwritten(typed: dict[str, str | int]) -> None:
    found: dict[str, str | int] = {"sector": "ict", "employees": 100, "country": "BE"}

    filled = fields_to_fill(typed, found)

    assert not set(filled) & set(typed)


def test_each_enriched_field_is_marked_with_source_and_moment() -> None:
    marks = enrichment_marks(["sector", "country"], source="offline", now=NOW)

    assert marks == {
        "sector": {"source": "offline", "at": "2026-11-27T10:00:00+00:00"},
        "country": {"source": "offline", "at": "2026-11-27T10:00:00+00:00"},
    }


def test_learned_facts_are_the_most_common_values() -> None:
    observations = [
        CompanyFacts(sector="Software", country="nl"),
        CompanyFacts(sector="software", size_band=SizeBand.SMALL, country="NL"),
        CompanyFacts(sector="bouw", size_band=SizeBand.MEDIUM, country="BE"),
        CompanyFacts(size_band=SizeBand.SMALL),
    ]

    assert learn_facts(observations) == CompanyFacts(
        sector="Software", size_band=SizeBand.SMALL, country="NL"
    )


def test_nothing_known_learns_nothing() -> None:
    assert learn_facts([CompanyFacts(), CompanyFacts(sector="")]) is None


def test_free_mail_and_disposable_addresses_have_no_work_domain() -> None:
    assert work_domain("jan@bakker-ict.nl") == "bakker-ict.nl"
    assert work_domain("jan@gmail.com") is None
    assert work_domain("jan@mailinator.com") is None


def test_employees_fall_into_size_bands() -> None:
    assert [size_band_for(n) for n in (1, 9, 10, 49, 50, 250, 1000)] == [
        SizeBand.MICRO,
        SizeBand.MICRO,
        SizeBand.SMALL,
        SizeBand.SMALL,
        SizeBand.MEDIUM,
        SizeBand.LARGE,
        SizeBand.ENTERPRISE,
    ]


def test_size_bands_are_read_with_a_dash_or_an_en_dash() -> None:
    assert parse_size_band("10\u201349") is SizeBand.SMALL
    assert parse_size_band(" 1000+ ") is SizeBand.ENTERPRISE
    assert parse_size_band("a few") is None
