"""Drift and bias reports on data built to drift and to be biased, and on data
that is stable and fair (no alert there)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from leadqual.predictive.monitoring import (
    MISSING,
    FeatureDrift,
    Level,
    MonitoringReport,
    Value,
    bias_by_segment,
    drift_reference,
    feature_drift,
    level_of,
    population_stability,
    reference_from_json,
    reference_json,
    report_json,
    score_drift,
    score_reference,
)

SECTORS = ("software", "bouw", "zorg", "horeca")


def _leads(
    rows: int,
    *,
    seed: int,
    budget_mean: float = 10_000,
    sector_weights: tuple[int, ...] = (4, 3, 2, 1),
    budget_missing: float = 0.1,
) -> dict[str, list[Value]]:
    generator = random.Random(seed)
    budgets: list[Value] = []
    for _ in range(rows):
        if generator.random() < budget_missing:
            budgets.append(None)
        else:
            budgets.append(round(generator.lognormvariate(0, 0.5) * budget_mean))
    return {
        "budget_euros": budgets,
        "sector": generator.choices(SECTORS, weights=sector_weights, k=rows),
        "has_phone": [generator.random() < 0.6 for _ in range(rows)],
    }


def _by_name(drifts: Sequence[FeatureDrift]) -> dict[str, FeatureDrift]:
    return {drift.name: drift for drift in drifts}


def test_the_same_population_does_not_drift() -> None:
    reference = drift_reference(_leads(2_000, seed=1))
    drifts = _by_name(feature_drift(reference, _leads(1_000, seed=2)))
    assert {drift.level for drift in drifts.values()} == {Level.STABLE}
    assert all(drift.psi < 0.05 for drift in drifts.values())


def test_budgets_ten_times_as_high_drift_past_the_alert_limit() -> None:
    reference = drift_reference(_leads(2_000, seed=1))
    drifts = _by_name(
        feature_drift(reference, _leads(1_000, seed=2, budget_mean=100_000))
    )
    assert drifts["budget_euros"].level is Level.ALERT
    assert drifts["sector"].level is Level.STABLE
    shift = drifts["budget_euros"].largest_shift
    assert shift is not None and shift.label.startswith(">")


def test_a_new_mix_of_sectors_drifts() -> None:
    reference = drift_reference(_leads(2_000, seed=1))
    drifts = _by_name(
        feature_drift(reference, _leads(1_000, seed=2, sector_weights=(1, 1, 2, 8)))
    )
    assert drifts["sector"].level is Level.ALERT
    assert drifts["budget_euros"].level is Level.STABLE


def test_a_field_nobody_fills_in_any_more_drifts_through_its_missing_bin() -> None:
    reference = drift_reference(_leads(2_000, seed=1))
    drifts = _by_name(
        feature_drift(reference, _leads(1_000, seed=2, budget_missing=0.9))
    )
    budget = drifts["budget_euros"]
    assert budget.level is Level.ALERT
    shift = budget.largest_shift
    assert shift is not None and shift.label == MISSING


def test_a_feature_absent_from_the_new_rows_counts_as_missing_everywhere() -> None:
    reference = drift_reference(_leads(2_000, seed=1))
    new = _leads(500, seed=2)
    del new["has_phone"]
    assert _by_name(feature_drift(reference, new))["has_phone"].level is Level.ALERT


def test_unseen_categories_land_in_the_other_bin() -> None:
    reference = drift_reference({"source": ["web"] * 90 + ["beurs"] * 10})
    (drift,) = feature_drift(reference, {"source": ["tiktok"] * 50})
    assert dict((b.label, b.actual) for b in drift.bins)["(other)"] == 1.0
    assert drift.level is Level.ALERT


def test_too_few_new_rows_raise_no_alarm_whatever_the_index() -> None:
    reference = drift_reference(_leads(2_000, seed=1))
    drifts = feature_drift(reference, _leads(10, seed=2, budget_mean=100_000))
    assert {drift.level for drift in drifts} == {Level.TOO_FEW_ROWS}


def test_the_limits_read_as_stable_watch_and_alert() -> None:
    assert level_of(0.05) is Level.STABLE
    assert level_of(0.10) is Level.WATCH
    assert level_of(0.25) is Level.WATCH
    assert level_of(0.26) is Level.ALERT


def test_psi_is_zero_for_equal_distributions_and_grows_with_the_shift() -> None:
    assert population_stability([0.5, 0.5], [0.5, 0.5]) == 0
    small = population_stability([0.5, 0.5], [0.45, 0.55])
    large = population_stability([0.5, 0.5], [0.1, 0.9])
    assert 0 < small < large
    # An empty bin is rare, not impossible: the index stays finite.
    assert population_stability([0.5, 0.5, 0.0], [0.4, 0.4, 0.2]) < 10


def test_bins_of_different_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="same bins"):
        population_stability([0.5, 0.5], [1.0])


def test_a_column_of_one_value_gets_one_bin_beside_missing() -> None:
    reference = drift_reference({"employees": [10] * 50})
    (feature,) = reference.features
    assert feature.labels == ("all", MISSING)
    assert feature.shares == (1.0, 0.0)


def test_scores_shifted_upwards_drift() -> None:
    generator = random.Random(3)
    training = [min(100, max(0, generator.gauss(40, 15))) for _ in range(1_000)]
    reference = score_reference(training)
    same = [min(100, max(0, generator.gauss(40, 15))) for _ in range(500)]
    higher = [min(100, max(0, generator.gauss(70, 15))) for _ in range(500)]
    assert score_drift(reference, same).level is Level.STABLE
    assert score_drift(reference, higher).level is Level.ALERT


def test_the_reference_survives_a_trip_through_json() -> None:
    reference = drift_reference(_leads(300, seed=1))
    assert reference_from_json(reference_json(reference)) == reference


def test_a_reference_of_another_format_is_refused() -> None:
    stored = reference_json(drift_reference(_leads(50, seed=1)))
    stored["format"] = 99
    with pytest.raises(ValueError, match="format 99"):
        reference_from_json(stored)


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        drift_reference({"a": [1, 2], "b": [1]})


# --- bias ----------------------------------------------------------------------------


def _segment_data(
    *, biased: bool, seed: int = 5, per_sector: int = 400
) -> tuple[list[Value], list[float], list[bool | None], list[bool]]:
    """Leads per sector whose true conversion rate is 0.3; the model says 0.3
    for everyone, except (when biased) it says 0.6 for horeca."""
    generator = random.Random(seed)
    sectors: list[Value] = []
    probabilities: list[float] = []
    outcomes: list[bool | None] = []
    for sector in SECTORS:
        for _ in range(per_sector):
            sectors.append(sector)
            probability = 0.6 if biased and sector == "horeca" else 0.3
            probabilities.append(probability + generator.uniform(-0.05, 0.05))
            outcomes.append(generator.random() < 0.3)
    hot = [probability >= 0.5 for probability in probabilities]
    return sectors, probabilities, outcomes, hot


def test_a_fair_model_has_no_biased_segment() -> None:
    sectors, probabilities, outcomes, hot = _segment_data(biased=False)
    report = bias_by_segment("sector", sectors, probabilities, outcomes, hot=hot)
    assert report.biased == []
    assert {stats.value for stats in report.values} == set(SECTORS)
    for stats in report.values:
        assert stats.outcomes == 400
        assert stats.gap is not None and abs(stats.gap) < 0.1


def test_a_model_too_hopeful_about_one_sector_is_biased_there() -> None:
    sectors, probabilities, outcomes, hot = _segment_data(biased=True)
    report = bias_by_segment("sector", sectors, probabilities, outcomes, hot=hot)
    (horeca,) = report.biased
    assert horeca.value == "horeca"
    assert horeca.gap is not None and horeca.gap > 0.2
    assert horeca.hot_share > 0.9
    assert horeca.observed is not None
    assert horeca.observed_low < horeca.observed < horeca.observed_high


def test_a_gap_on_too_few_outcomes_is_not_called_bias() -> None:
    sectors, probabilities, outcomes, hot = _segment_data(biased=True, per_sector=20)
    report = bias_by_segment("sector", sectors, probabilities, outcomes, hot=hot)
    assert report.biased == []


def test_leads_without_an_outcome_count_for_the_hot_share_only() -> None:
    report = bias_by_segment(
        "source",
        ["web", "web", "web", None],
        [0.9, 0.9, 0.1, 0.5],
        [True, None, None, None],
        hot=[True, True, False, False],
    )
    web = next(stats for stats in report.values if stats.value == "web")
    assert web.leads == 3 and web.outcomes == 1
    assert web.hot_share == pytest.approx(2 / 3)
    assert web.mean_predicted == pytest.approx(0.9)
    missing = next(stats for stats in report.values if stats.value == MISSING)
    assert missing.outcomes == 0 and missing.gap is None


def test_bias_input_of_different_lengths_is_refused() -> None:
    with pytest.raises(ValueError, match="one entry per lead"):
        bias_by_segment("sector", ["a"], [0.1, 0.2], [True], hot=[True])


def test_the_report_needs_attention_only_for_alerts_and_bias() -> None:
    reference = drift_reference(_leads(2_000, seed=1))
    scores = score_reference([float(i % 100) for i in range(1_000)])
    stable = feature_drift(reference, _leads(1_000, seed=2))
    same_scores = score_drift(scores, [float(i % 100) for i in range(500)])
    fair = bias_by_segment(
        "sector", *_segment_data(biased=False)[:3], hot=_segment_data(biased=False)[3]
    )
    calm = MonitoringReport(tuple(stable), same_scores, (fair,))
    assert not calm.needs_attention
    unfair = bias_by_segment(
        "sector", *_segment_data(biased=True)[:3], hot=_segment_data(biased=True)[3]
    )
    worried = MonitoringReport(tuple(stable), same_scores, (unfair,))
    assert worried.needs_attention
    assert [value.value for _, value in worried.biased] == ["horeca"]
    stored = report_json(worried)
    assert stored["needs_attention"] is True
