"""The account score: the best contact plus a bonus per extra engaged contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.core.accounts import Contact, is_engaged, score_account

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
RECENT = NOW - timedelta(days=3)
LONG_AGO = NOW - timedelta(days=31)


def test_a_contact_active_in_the_last_30_days_is_engaged() -> None:
    assert is_engaged(Contact(1, 40, NOW - timedelta(days=30)), now=NOW)
    assert not is_engaged(Contact(1, 40, LONG_AGO), now=NOW)
    assert not is_engaged(Contact(1, 40, None), now=NOW)


def test_the_account_score_is_the_best_contact_plus_five_per_extra_engaged() -> None:
    contacts = [Contact(1, 62, RECENT), Contact(2, 40, RECENT), Contact(3, 15, None)]

    rolled = score_account(contacts, now=NOW)

    assert (rolled.score, rolled.engaged_contacts, rolled.contacts) == (67, 2, 3)
    assert (rolled.best_contact_id, rolled.best_contact_score) == (1, 62)
    assert rolled.bonus_points == 5


def test_the_account_score_is_capped_at_100() -> None:
    contacts = [Contact(i, 98, RECENT) for i in range(1, 5)]

    rolled = score_account(contacts, now=NOW)

    assert rolled.score == 100
    assert rolled.is_capped


def test_an_account_without_scored_contacts_has_no_score() -> None:
    rolled = score_account([Contact(1, None, RECENT)], now=NOW)

    assert rolled.score is None
    assert rolled.engaged_contacts == 1


@settings(deadline=None)  # the first example pays for imports
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 100)),
            st.one_of(st.none(), st.integers(0, 90)),
        ),
        max_size=30,
    )
)
def test_the_account_score_stays_within_0_and_100(
    rows: list[tuple[int | None, int | None]],
) -> None:
    contacts = [
        Contact(i, score, None if days is None else NOW - timedelta(days=days))
        for i, (score, days) in enumerate(rows, start=1)
    ]

    rolled = score_account(contacts, now=NOW)

    assert rolled.score is None or 0 <= rolled.score <= 100
    assert rolled.engaged_contacts <= rolled.contacts == len(contacts)
