"""Requalification: which leads are due to be rescored on the cycle.

Every lead is rescored when its scoring model changes and when an event
arrives; on top of that, a lead nobody has heard from is rescored once per
cycle, so decay can cool it down. Leads with an open deal or a final outcome
have left qualification and are never requalified into the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadqual.core.lifecycle import FINAL_STATUSES, LeadStatus

# The cycle in days: the article's "reassess every 30-90 days".
DEFAULT_CYCLE_DAYS = 30
MIN_CYCLE_DAYS = 30
MAX_CYCLE_DAYS = 90

# An open deal is followed up in the sales pipeline; won and lost are final.
NOT_REQUALIFIED_STATUSES: frozenset[LeadStatus] = FINAL_STATUSES | {
    LeadStatus.OPPORTUNITY
}


def requalification_cutoff(now: datetime, *, cycle_days: int) -> datetime:
    """The moment before which a score is stale: ``now`` minus the cycle.

    Raises ValueError when ``cycle_days`` is outside 30..90.
    """
    if not MIN_CYCLE_DAYS <= cycle_days <= MAX_CYCLE_DAYS:
        raise ValueError(
            f"A requalification cycle must be {MIN_CYCLE_DAYS} to {MAX_CYCLE_DAYS} "
            f"days, got {cycle_days}."
        )
    return now - timedelta(days=cycle_days)
