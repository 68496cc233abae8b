"""An account (everyone known at one company) scored as a whole.

B2B purchases are made by a buying group, not by one person: three active
people at one company say more than one. The account score rolls the
contacts up:

- A contact is **engaged** when it did something that shows interest (any
  event except ``unsubscribe`` and ``bounce``) in the last
  ``ENGAGED_WITHIN_DAYS`` (30) days, counted back from ``now``.
- The **account score** is the highest score of any contact, plus
  ``BONUS_PER_EXTRA_ENGAGED_CONTACT`` (5) points for every engaged contact
  beyond the first, capped at 100. An account without any scored contact has
  no account score (None).

Example: contacts scored 62, 40 and 15, of whom two were active this month:
62 + 1 x 5 = 67.

The contacts' own scores may use the account's score and engaged contacts in
rules (``account_score``, ``account_engaged_contacts``); those points then
reach the account score through the best contact's score at the next roll-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadqual.core.events import EventType

ENGAGED_WITHIN_DAYS = 30
BONUS_PER_EXTRA_ENGAGED_CONTACT = 5
ACCOUNT_SCORE_MAX = 100

# Events that do not show interest: they never make a contact engaged.
NOT_INTEREST_EVENTS = frozenset({EventType.UNSUBSCRIBE, EventType.BOUNCE})
INTEREST_EVENTS = tuple(
    event_type for event_type in EventType if event_type not in NOT_INTEREST_EVENTS
)


@dataclass(frozen=True, slots=True)
class Contact:
    """One lead of the account as the roll-up sees it.

    ``score`` is the lead's latest total (None if never scored);
    ``last_interest_at`` the moment of its latest interest event, if any.
    """

    lead_id: int
    score: int | None
    last_interest_at: datetime | None


@dataclass(frozen=True, slots=True)
class AccountScore:
    """The roll-up and the parts that explain it.

    ``score`` = ``best_contact_score`` + ``bonus_points``, clamped to 100
    (``is_capped`` says it was); None when no contact is scored.
    """

    score: int | None
    contacts: int
    engaged_contacts: int
    best_contact_id: int | None
    best_contact_score: int | None
    bonus_points: int
    is_capped: bool


def is_engaged(contact: Contact, *, now: datetime) -> bool:
    """True when the contact showed interest within the last 30 days of ``now``."""
    if contact.last_interest_at is None:
        return False
    return contact.last_interest_at >= now - timedelta(days=ENGAGED_WITHIN_DAYS)


def score_account(contacts: Sequence[Contact], *, now: datetime) -> AccountScore:
    """Roll the contacts up into the account score (see the module docstring).

    Returns an AccountScore whose ``score`` is None when no contact is scored;
    ``engaged_contacts`` is counted either way.
    """
    engaged = sum(1 for contact in contacts if is_engaged(contact, now=now))
    scored = [contact for contact in contacts if contact.score is not None]
    if not scored:
        return AccountScore(
            score=None,
            contacts=len(contacts),
            engaged_contacts=engaged,
            best_contact_id=None,
            best_contact_score=None,
            bonus_points=0,
            is_capped=False,
        )
    # The lowest id wins a tie, so the explanation names the same contact each time.
    best = max(scored, key=lambda contact: (contact.score or 0, -contact.lead_id))
    best_score = best.score or 0
    score, bonus, capped = rolled_up_score(best_score, engaged)
    return AccountScore(
        score=score,
        contacts=len(contacts),
        engaged_contacts=engaged,
        best_contact_id=best.lead_id,
        best_contact_score=best_score,
        bonus_points=bonus,
        is_capped=capped,
    )


def rolled_up_score(
    best_contact_score: int | None, engaged_contacts: int
) -> tuple[int | None, int, bool]:
    """(account score, bonus points, is_capped) from the best contact's score.

    The one formula of the module docstring, for ``score_account`` and for a
    database that sums the contacts up itself (``AccountTotals``).
    """
    if best_contact_score is None:
        return None, 0, False
    bonus = BONUS_PER_EXTRA_ENGAGED_CONTACT * max(0, engaged_contacts - 1)
    raw = best_contact_score + bonus
    return min(raw, ACCOUNT_SCORE_MAX), bonus, raw > ACCOUNT_SCORE_MAX


@dataclass(frozen=True, slots=True)
class AccountTotals:
    """A company's contacts summed up: all the stored roll-up needs.

    ``best_contact_score`` is the highest score of a contact (None when none
    is scored); ``engaged_contacts`` counts contacts engaged as ``is_engaged``
    says. ``score`` equals ``score_account(contacts).score`` for those contacts.
    """

    contacts: int
    engaged_contacts: int
    best_contact_score: int | None

    @property
    def score(self) -> int | None:
        return rolled_up_score(self.best_contact_score, self.engaged_contacts)[0]
