"""The requalification cycle: 30 to 90 days, and who takes part.

Which leads are due is one rule, stated as a query in
``triage.requalification.leads_to_requalify`` and tested there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.core.lifecycle import LeadStatus
from leadqual.core.requalification import (
    NOT_REQUALIFIED_STATUSES,
    requalification_cutoff,
)

NOW = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)


def test_the_cutoff_is_one_cycle_before_now() -> None:
    assert requalification_cutoff(NOW, cycle_days=45) == NOW - timedelta(days=45)


def test_rejected_leads_are_still_requalified() -> None:
    """Sales rejected them, but decay keeps their score honest for a later look."""
    assert LeadStatus.REJECTED not in NOT_REQUALIFIED_STATUSES


@pytest.mark.parametrize("days", [29, 91, 0])
def test_a_cycle_outside_30_to_90_days_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match=f"30 to 90 days, got {days}"):
        requalification_cutoff(NOW, cycle_days=days)
