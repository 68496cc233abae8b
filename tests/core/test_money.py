"""Amounts as each language writes them: whole euros without cents."""

from __future__ import annotations

import pytest

from leadqual.core.money import euro_texts
from leadqual.core.reason_text import Texts


@pytest.mark.parametrize(
    ("value_cents", "english", "dutch"),
    [
        (0, "€0", "€ 0"),
        (1_250_000, "€12,500", "€ 12.500"),
        (750_050, "€7,500.50", "€ 7.500,50"),
        (5, "€0.05", "€ 0,05"),
        (123_456_789_00, "€123,456,789", "€ 123.456.789"),
        (-250_000, "-€2,500", "-€ 2.500"),
    ],
)
def test_an_amount_in_english_and_dutch(
    value_cents: int, english: str, dutch: str
) -> None:
    assert euro_texts(value_cents) == Texts(en=english, nl=dutch)
