"""Bands: cold (nurture) < warm (marketing nurture) < hot (sales outreach)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from leadqual.core.errors import OverlappingThresholds


class Band(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


BAND_ORDER: dict[Band, int] = {Band.COLD: 0, Band.WARM: 1, Band.HOT: 2}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Lowest total score of the warm and the hot band (0-100)."""

    warm: int = 40
    hot: int = 70

    def __post_init__(self) -> None:
        if not 0 < self.warm < self.hot <= 100:
            raise OverlappingThresholds(
                f"Band thresholds must satisfy 0 < warm < hot <= 100, got "
                f"warm={self.warm} and hot={self.hot}. "
                "For example: warm = 40, hot = 70."
            )


def band_for(total: int, thresholds: Thresholds) -> Band:
    """Return the band of a total score under the given thresholds."""
    if total >= thresholds.hot:
        return Band.HOT
    if total >= thresholds.warm:
        return Band.WARM
    return Band.COLD


def is_sales_ready(band: Band) -> bool:
    """True for the band that goes to sales outreach."""
    return band is Band.HOT
