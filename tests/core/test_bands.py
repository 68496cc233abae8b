"""Bands follow from the total and the thresholds of the scoring model."""

from __future__ import annotations

import pytest

from leadqual.core.bands import Band, Thresholds, band_for, is_sales_ready
from leadqual.core.errors import InvalidScoringModel, OverlappingThresholds


def test_a_total_below_warm_is_cold() -> None:
    assert band_for(39, Thresholds(warm=40, hot=70)) is Band.COLD


def test_the_warm_threshold_itself_is_warm() -> None:
    assert band_for(40, Thresholds(warm=40, hot=70)) is Band.WARM


def test_a_total_just_below_hot_is_warm() -> None:
    assert band_for(69, Thresholds(warm=40, hot=70)) is Band.WARM


def test_the_hot_threshold_itself_is_hot() -> None:
    assert band_for(70, Thresholds(warm=40, hot=70)) is Band.HOT


def test_zero_is_cold_and_hundred_is_hot() -> None:
    thresholds = Thresholds()
    assert band_for(0, thresholds) is Band.COLD
    assert band_for(100, thresholds) is Band.HOT


def test_custom_thresholds_move_the_band_edges() -> None:
    assert band_for(55, Thresholds(warm=20, hot=50)) is Band.HOT


def test_default_thresholds_are_forty_and_seventy() -> None:
    assert Thresholds() == Thresholds(warm=40, hot=70)


@pytest.mark.parametrize(
    ("warm", "hot"), [(70, 70), (80, 70), (0, 70), (40, 101), (-5, 30)]
)
def test_thresholds_outside_zero_warm_hot_hundred_are_refused(
    warm: int, hot: int
) -> None:
    with pytest.raises(OverlappingThresholds, match=f"warm={warm} and hot={hot}"):
        Thresholds(warm=warm, hot=hot)


def test_overlapping_thresholds_are_an_invalid_scoring_model() -> None:
    with pytest.raises(InvalidScoringModel):
        Thresholds(warm=50, hot=40)


def test_only_the_hot_band_is_sales_ready() -> None:
    assert is_sales_ready(Band.HOT)
    assert not is_sales_ready(Band.WARM)
    assert not is_sales_ready(Band.COLD)
