"""Which leads are due to be rescored on the requalification cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.core.lifecycle import LeadStatus
from leadqual.core.requalification import (
    NOT_REQUALIFIED_STATUSES,
    is_due_for_requalification,
    requalification_cutoff,
)

NOW = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)


def test_a_score_older_than_the_cycle_is_due() -> None:
    assert is_due_for_requalification(
        scored_at=NOW - timedelta(days=31),
        status=LeadStatus.NEW,
        now=NOW,
        cycle_days=30,
    )


def test_a_score_within_the_cycle_is_not_due() -> None:
    assert not is_due_for_requalification(
        scored_at=NOW - timedelta(days=29),
        status=LeadStatus.ACCEPTED,
        now=NOW,
        cycle_days=30,
    )


def test_a_score_exactly_one_cycle_old_waits_for_the_next_run() -> None:
    assert not is_due_for_requalification(
        scored_at=NOW - timedelta(days=30),
        status=LeadStatus.NEW,
        now=NOW,
        cycle_days=30,
    )


def test_a_longer_cycle_keeps_a_month_old_score() -> None:
    assert not is_due_for_requalification(
        scored_at=NOW - timedelta(days=45),
        status=LeadStatus.NEW,
        now=NOW,
        cycle_days=90,
    )


def test_a_lead_never_scored_is_due_at_once() -> None:
    assert is_due_for_requalification(
        scored_at=None, status=LeadStatus.NEW, now=NOW, cycle_days=30
    )


@pytest.mark.parametrize(
    "status", [LeadStatus.OPPORTUNITY, LeadStatus.WON, LeadStatus.LOST]
)
def test_leads_with_an_open_deal_or_an_outcome_are_never_due(
    status: LeadStatus,
) -> None:
    assert not is_due_for_requalification(
        scored_at=NOW - timedelta(days=365), status=status, now=NOW, cycle_days=30
    )


def test_rejected_leads_are_still_requalified() -> None:
    """Sales rejected them, but decay keeps their score honest for a later look."""
    assert LeadStatus.REJECTED not in NOT_REQUALIFIED_STATUSES


@pytest.mark.parametrize("days", [29, 91, 0])
def test_a_cycle_outside_30_to_90_days_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match=f"30 to 90 days, got {days}"):
        requalification_cutoff(NOW, cycle_days=days)


@given(
    age_days=st.integers(min_value=0, max_value=3650),
    cycle_days=st.integers(min_value=30, max_value=90),
    status=st.sampled_from(list(LeadStatus)),
)
def test_due_means_older_than_the_cycle_and_still_in_qualification(
    age_days: int, cycle_days: int, status: LeadStatus
) -> None:
    due = is_due_for_requalification(
        scored_at=NOW - timedelta(days=age_days),
        status=status,
        now=NOW,
        cycle_days=cycle_days,
    )
    assert due == (age_days > cycle_days and status not in NOT_REQUALIFIED_STATUSES)
