"""Owners are chosen by specialism, then in turn, never when away or full."""

from __future__ import annotations

from datetime import UTC, datetime

from leadqual.core.assignment import AssignmentReason, OwnerState, choose_owner

EARLIER = datetime(2026, 11, 20, tzinfo=UTC)
LATER = datetime(2026, 11, 26, tzinfo=UTC)


def test_the_owner_who_waited_longest_gets_the_next_lead() -> None:
    owners = [
        OwnerState(1, last_assigned_at=LATER),
        OwnerState(2, last_assigned_at=EARLIER),
    ]
    chosen = choose_owner(owners, region=None, sector=None)
    assert chosen is not None and (chosen.owner_id, chosen.reason) == (
        2,
        AssignmentReason.ROUND_ROBIN,
    )


def test_an_owner_who_never_had_a_lead_goes_first() -> None:
    owners = [OwnerState(1, last_assigned_at=EARLIER), OwnerState(2)]
    assert choose_owner(owners, region=None, sector=None) == choose_owner(
        [OwnerState(2)], region=None, sector=None
    )


def test_a_specialist_for_the_region_wins_over_the_turn() -> None:
    owners = [
        OwnerState(1),
        OwnerState(2, regions=frozenset({"Utrecht"}), last_assigned_at=LATER),
    ]
    chosen = choose_owner(owners, region="utrecht", sector=None)
    assert chosen is not None and (chosen.owner_id, chosen.reason) == (
        2,
        AssignmentReason.SPECIALIST,
    )


def test_an_owner_marked_away_is_never_chosen() -> None:
    owners = [
        OwnerState(1, is_away=True, sectors=frozenset({"software"})),
        OwnerState(2, last_assigned_at=LATER),
    ]
    chosen = choose_owner(owners, region=None, sector="software")
    assert chosen is not None and chosen.owner_id == 2


def test_an_owner_at_capacity_is_skipped_and_nobody_left_means_none() -> None:
    full = OwnerState(1, open_tasks=5, capacity=5)
    assert choose_owner([full], region=None, sector=None) is None
    chosen = choose_owner([full, OwnerState(2, open_tasks=9)], region=None, sector=None)
    assert chosen is not None and chosen.owner_id == 2
