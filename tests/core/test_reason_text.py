"""The facts of a rule hit in plain words, in English and Dutch."""

from __future__ import annotations

import pytest

from leadqual.core import reason_text
from leadqual.core.events import EventType
from leadqual.core.profile import FieldValue
from leadqual.core.reason_text import Texts, event_within, field_range


def test_euros_are_written_the_english_and_the_dutch_way() -> None:
    assert reason_text.euros(1_250_000) == Texts("€1,250,000", "€ 1.250.000")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("budget_euros", 8500, Texts("budget €8,500", "budget € 8.500")),
        ("employees", 25, Texts("25 employees", "25 medewerkers")),
        ("urgency", "immediate", Texts("timing start now", "planning nu starten")),
        ("sector", "wholesale", Texts("sector wholesale", "sector groothandel")),
        ("sector", "Groothandel", Texts("sector Groothandel", "sector Groothandel")),
        ("job_title", "CEO", Texts('job title "CEO"', 'functie "CEO"')),
        (
            "email_is_free_mail",
            True,
            Texts("free-mail address", "gratis e-mailadres"),
        ),
        (
            "email_domain",
            "xn--bcher-kva.nl",
            Texts("email domain bücher.nl", "e-maildomein bücher.nl"),
        ),
        ("region", None, Texts("region unknown", "regio onbekend")),
    ],
)
def test_a_field_fact_uses_words_and_formatted_values(
    name: str, value: FieldValue, expected: Texts
) -> None:
    assert reason_text.field_fact(name, value) == expected


def test_event_counts_use_the_event_name_in_words_and_plurals() -> None:
    text = reason_text.event_count(EventType.PAGE_VIEW, 3, 30, 1)
    assert text == Texts(
        "3 page views in the last 30 days, last 1 day ago",
        "3 paginabezoeken in de afgelopen 30 dagen, laatste 1 dag geleden",
    )


def test_every_event_type_has_words_in_both_languages() -> None:
    for event_type in EventType:
        one = reason_text.event_count(event_type, 1, None, 0)
        assert "_" not in one.en + one.nl, event_type  # no raw names like page_view


def test_a_moment_under_half_an_hour_ago_is_just_now() -> None:
    text = reason_text.event_count(EventType.DEMO_REQUEST, 1, 90, 10 / (24 * 60))
    assert text == Texts(
        "1 demo request in the last 90 days, last just now",
        "1 demo-aanvraag in de afgelopen 90 dagen, laatste zojuist",
    )
    assert reason_text.last_activity(0) == Texts(
        "last activity just now", "laatste activiteit zojuist"
    )
    assert reason_text.last_activity(2 / 24) == Texts(
        "last activity 2 hours ago", "laatste activiteit 2 uur geleden"
    )


@pytest.mark.parametrize(
    ("name", "low", "high", "english", "dutch"),
    [
        ("employees", 10, 49, "10 to 49 employees", "10 tot en met 49 medewerkers"),
        (
            "budget_euros",
            5000,
            None,
            "budget at least €5,000",
            "budget minstens € 5.000",
        ),
        ("employees", None, 9, "at most 9 employees", "hoogstens 9 medewerkers"),
    ],
)
def test_a_range_of_a_number_field_reads_in_both_languages(
    name: str, low: int | None, high: int | None, english: str, dutch: str
) -> None:
    assert field_range(name, low, high) == Texts(english, dutch)


def test_an_event_in_a_window_reads_in_both_languages() -> None:
    assert event_within(EventType.DEMO_REQUEST, 30) == Texts(
        "demo request in the last 30 days", "demo-aanvraag in de afgelopen 30 dagen"
    )
