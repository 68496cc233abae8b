"""Amounts of money as each language writes them.

Deal values are stored in cents. A manager reads whole euros ("€12,500",
"€ 12.500"); cents appear only when an amount has them.
"""

from __future__ import annotations

from leadqual.core.reason_text import Texts


def _grouped(whole_euros: int, separator: str) -> str:
    return f"{whole_euros:,}".replace(",", separator)


def euro_texts(value_cents: int) -> Texts:
    """The amount in English and Dutch: €12,500 and € 12.500.

    Whole euros have no decimals; other amounts have two: €12,500.50 and
    € 12.500,50. A negative amount keeps its sign before the euro sign.
    """
    sign = "-" if value_cents < 0 else ""
    euros, cents = divmod(abs(value_cents), 100)
    en = _grouped(euros, ",")
    nl = _grouped(euros, ".")
    if cents:
        en = f"{en}.{cents:02d}"
        nl = f"{nl},{cents:02d}"
    return Texts(en=f"{sign}€{en}", nl=f"{sign}€ {nl}")
