"""The KPIs of issue 13 from hand-built fact rows: rating, time to sales-ready, calibration."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from leadqual.core.kpis import (
    LeadFacts,
    MonthlyCost,
    RuleCount,
    ScoreBucket,
    average_rating,
    by_band,
    by_source,
    calibration,
    cost_per_qualified_lead,
    costs_in_period,
    kpi_set,
    mean_hours_to_sales_ready,
    most_common_rules,
    sales_ready_at,
)
from leadqual.core.sla import DUTCH_TIME

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DUTCH_TIME)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)


def _fact(lead_id: int, **fields: object) -> LeadFacts:
    values: dict[str, object] = {"arrived_at": MONDAY, "source": "website"}
    values.update(fields)
    return LeadFacts(lead_id=lead_id, **values)  # type: ignore[arg-type]


def test_the_average_rating_counts_only_rated_leads() -> None:
    facts = [_fact(1, rating=5), _fact(2, rating=2), _fact(3), _fact(4, rating=4)]
    assert average_rating(facts) == pytest.approx(11 / 3)
    kpis = kpi_set(facts, now=NOW)
    assert (kpis.rated, kpis.rating_total) == (3, 11)
    assert average_rating([_fact(1)]) is None


def test_the_rating_per_source_and_per_band() -> None:
    facts = [
        _fact(1, source="website", band="hot", rating=5),
        _fact(2, source="website", band="warm", rating=3),
        _fact(3, source="beurs", band="hot", rating=4),
        _fact(4, source="beurs", band="cold", rating=1),
        _fact(5, source="beurs", band=""),
    ]
    per_source = {s: k.average_rating for s, k in by_source(facts, now=NOW)}
    assert per_source == {"beurs": 2.5, "website": 4.0}
    per_band = [(band, k.average_rating) for band, k in by_band(facts, now=NOW)]
    assert per_band == [("hot", 4.5), ("warm", 3.0), ("cold", 1.0), ("", None)]


def test_sales_ready_is_the_first_hot_band_or_the_first_acceptance() -> None:
    hot_first = _fact(
        1,
        became_sales_ready_at=MONDAY + timedelta(hours=2),
        first_accepted_at=MONDAY + timedelta(hours=9),
    )
    accepted_while_warm = _fact(2, first_accepted_at=MONDAY + timedelta(hours=10))
    never = _fact(3, accepted=False, rejected_reason="no_fit")
    assert sales_ready_at(hot_first) == MONDAY + timedelta(hours=2)
    assert sales_ready_at(accepted_while_warm) == MONDAY + timedelta(hours=10)
    assert sales_ready_at(never) is None
    facts = [hot_first, accepted_while_warm, never]
    assert mean_hours_to_sales_ready(facts) == 6.0
    kpis = kpi_set(facts, now=NOW)
    assert (kpis.reached_sales_ready, kpis.mean_hours_to_sales_ready) == (2, 6.0)
    assert mean_hours_to_sales_ready([never]) is None


def test_calibration_counts_conversions_per_ten_points_of_score() -> None:
    facts = [
        _fact(1, score=5),
        _fact(2, score=9, opportunity_at=MONDAY),
        _fact(3, score=55),
        _fact(4, score=91, won_at=MONDAY),
        _fact(5, score=100, opportunity_at=MONDAY),
        _fact(6, score=100),
        _fact(7),  # unscored: left out
    ]
    buckets = calibration(facts)
    assert len(buckets) == 10
    assert buckets[0] == ScoreBucket(0, 9, leads=2, converted=1, conversion=0.5)
    assert buckets[5] == ScoreBucket(50, 59, leads=1, converted=0, conversion=0.0)
    assert buckets[9] == ScoreBucket(90, 100, leads=3, converted=2, conversion=2 / 3)
    assert buckets[3] == ScoreBucket(30, 39, leads=0, converted=0, conversion=None)
    assert sum(bucket.leads for bucket in buckets) == 6


def test_calibration_refuses_a_width_that_does_not_divide_100() -> None:
    with pytest.raises(ValueError, match="must divide 100, got 30"):
        calibration([], width=30)


def test_a_months_cost_is_spread_over_its_days() -> None:
    costs = [
        MonthlyCost("website", date(2026, 11, 1), 30_000),  # 30 days: 1,000 a day
        MonthlyCost("website", date(2026, 12, 1), 31_000),  # 31 days: 1,000 a day
        MonthlyCost("beurs", date(2026, 10, 1), 99_999),  # before the period
    ]
    # 21 to 30 November and 1 to 5 December: 10 + 5 days.
    assert costs_in_period(costs, date(2026, 11, 21), date(2026, 12, 5)) == {
        "website": 15_000.0
    }
    assert costs_in_period(costs, date(2026, 11, 1), date(2026, 11, 30)) == {
        "website": 30_000.0
    }


def test_cost_per_qualified_lead() -> None:
    assert cost_per_qualified_lead(15_000.0, 4) == 3_750.0
    assert cost_per_qualified_lead(15_000.0, 0) is None


def test_the_most_common_rules_count_each_rule_once_per_lead() -> None:
    rows = most_common_rules([["a", "b", "a"], ["b"], ["c", "b"]], limit=2)
    assert rows == [RuleCount("b", 3, 3, 1.0), RuleCount("a", 1, 3, 1 / 3)]
    assert most_common_rules([]) == []
