"""Who follows up a lead: specialists first, then round robin, within capacity.

``choose_owner`` is a pure function over the owners' current state, so the
same choice can be replayed in a backtest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AssignmentReason(StrEnum):
    SPECIALIST = "specialist"  # covers the lead's region or sector
    ROUND_ROBIN = "round_robin"  # next in turn among available owners


@dataclass(frozen=True, slots=True)
class OwnerState:
    """A salesperson as assignment sees them at one moment."""

    owner_id: int
    open_tasks: int = 0
    capacity: int | None = None  # most open tasks at once; None: no limit
    is_away: bool = False
    regions: frozenset[str] = field(default_factory=frozenset)
    sectors: frozenset[str] = field(default_factory=frozenset)
    last_assigned_at: datetime | None = None

    def has_room(self) -> bool:
        return self.capacity is None or self.open_tasks < self.capacity

    def covers(self, *, region: str | None, sector: str | None) -> bool:
        """True when the owner specialises in the lead's region or sector."""
        regions = {r.casefold() for r in self.regions}
        sectors = {s.casefold() for s in self.sectors}
        return bool(
            (region and region.casefold() in regions)
            or (sector and sector.casefold() in sectors)
        )


@dataclass(frozen=True, slots=True)
class Assignment:
    owner_id: int
    reason: AssignmentReason


def choose_owner(
    owners: Sequence[OwnerState], *, region: str | None, sector: str | None
) -> Assignment | None:
    """Pick the owner for a lead, or None when nobody is available.

    Owners who are away or at capacity are never chosen. Among the rest,
    specialists for the lead's region or sector go first; within the chosen
    group the one who waited longest since their last assignment gets it
    (round robin that survives restarts), then the one with fewest open tasks.
    """
    available = [owner for owner in owners if not owner.is_away and owner.has_room()]
    if not available:
        return None
    specialists = [
        owner for owner in available if owner.covers(region=region, sector=sector)
    ]
    pool = specialists or available

    def waiting_order(owner: OwnerState) -> tuple[int, float, int, int]:
        never = owner.last_assigned_at is None
        stamp = owner.last_assigned_at.timestamp() if owner.last_assigned_at else 0.0
        return (0 if never else 1, stamp, owner.open_tasks, owner.owner_id)

    chosen = min(pool, key=waiting_order)
    reason = (
        AssignmentReason.SPECIALIST if specialists else AssignmentReason.ROUND_ROBIN
    )
    return Assignment(chosen.owner_id, reason)
