"""The KPI page's figures from the stored daily sums equal the figures computed
from every lead's fact row, after varied histories through the real write paths."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.queries import kpi_sources, lead_sources
from leadqual.insights.views import (
    period_kpis_from_facts,
    stored_period_kpis,
    stored_team_kpis,
    team_kpis_from_facts,
)
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.services import (
    rate_lead_quality,
    reassign_owner,
    record_feedback,
    record_first_contact,
    record_outcome,
    reopen_lead,
)
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# Monday 5 October 2026, 08:00 in Utrecht: the leads arrive over six weeks
# that hold the end of summer time (25 October).
FIRST_ARRIVAL = datetime(2026, 10, 5, 8, 0, tzinfo=DUTCH_TIME)
FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}


@dataclass(frozen=True, slots=True)
class History:
    """What happens to one lead, in hours after its arrival (None: never)."""

    arrival_hours: int
    source: str
    cold: bool
    hot_after: int | None
    contact_after: float | None
    feedback: str | None
    rating: int | None
    outcome: OutcomeKind | None
    value_cents: int | None
    reopened: bool


_histories = st.builds(
    History,
    arrival_hours=st.integers(0, 42 * 24),
    source=st.sampled_from(["website", "event", ""]),
    cold=st.booleans(),
    hot_after=st.none() | st.integers(0, 100),
    contact_after=st.none() | st.floats(0, 200, allow_nan=False),
    feedback=st.none() | st.sampled_from(["accepted", "no_fit", "no_budget"]),
    rating=st.none() | st.integers(1, 5),
    outcome=st.none() | st.sampled_from(list(OutcomeKind)),
    value_cents=st.none() | st.integers(0, 5_000_000),
    reopened=st.booleans(),
)


def _live(index: int, history: History, seller: User) -> None:
    arrived = FIRST_ARRIVAL + timedelta(hours=history.arrival_hours)
    email = f"lead{index}@bedrijf{index}.nl"
    fields = {"source": history.source} if history.source else {}
    if not history.cold:
        fields.update(FIELDS)
    lead = submit_lead(email, fields, now=arrived).lead
    if history.hot_after is not None:
        moment = arrived + timedelta(hours=history.hot_after)
        submit_events(
            [
                RawEvent(email, "demo_request", moment.isoformat(), {}, "demo"),
                RawEvent(email, "email_reply", moment.isoformat(), {}, "reply"),
            ],
            now=moment,
            source="api",
        )
    lead = Lead.objects.get(pk=lead.pk)
    if history.contact_after is not None:
        moment = arrived + timedelta(hours=history.contact_after)
        record_first_contact(lead, by=seller, now=moment)
    later = arrived + timedelta(hours=201)
    if history.feedback is not None:
        accepted = history.feedback == "accepted"
        record_feedback(
            lead,
            Decision.ACCEPTED if accepted else Decision.REJECTED,
            reason=None if accepted else RejectionReason(history.feedback),
            given_by=seller,
            now=later,
        )
        if history.rating is not None:
            rate_lead_quality(lead, history.rating)
    if history.outcome is not None and history.feedback in (None, "accepted"):
        record_outcome(
            lead,
            history.outcome,
            value_cents=history.value_cents,
            recorded_by=seller,
            now=later + timedelta(hours=1),
        )
        if history.reopened and history.outcome is not OutcomeKind.OPPORTUNITY:
            reopen_lead(lead, by=seller, now=later + timedelta(hours=2))


PERIODS = [
    (date(2026, 10, 5), date(2026, 11, 20)),  # every arrival
    (date(2026, 10, 19), date(2026, 10, 27)),  # the week of the clock change
    (date(2026, 9, 1), date(2026, 10, 9)),  # a trend of 12 weeks before the period
]


def _assert_the_same_figures(*, now: datetime) -> None:
    assert kpi_sources() == lead_sources()
    for start, end in PERIODS:
        for source in (None, "event"):
            stored = stored_period_kpis(start, end, source=source, now=now)
            reference = period_kpis_from_facts(start, end, source=source, now=now)
            assert stored == reference, (start, end, source, now)
    # The rules behind "no fit" rejections are named in the page's language.
    start, end = PERIODS[0]
    with translation.override("nl"):
        stored = stored_period_kpis(start, end, source=None, now=now)
        reference = period_kpis_from_facts(start, end, source=None, now=now)
    assert stored.no_fit_rules == reference.no_fit_rules
    # The team page: per owner (who owns each lead now), per source, in all.
    for start, end in PERIODS:
        assert stored_team_kpis(start, end, now=now) == team_kpis_from_facts(
            start, end, now=now
        ), (start, end, now)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=st.lists(_histories, min_size=1, max_size=8))
def test_the_stored_sums_give_the_figures_of_every_lead(
    histories: list[History],
) -> None:
    with transaction.atomic():
        seller = make_user("sanne", role=Role.SALES)
        # Two sellers: the team page groups by owner.
        make_user("daan", role=Role.SALES)
        for index, history in enumerate(histories):
            _live(index, history, seller)
        # Read while first contacts are still waiting, and long after.
        _assert_the_same_figures(now=FIRST_ARRIVAL + timedelta(days=20))
        _assert_the_same_figures(now=FIRST_ARRIVAL + timedelta(days=90))
        transaction.set_rollback(True)


def test_the_stored_no_fit_rules_give_the_table_of_every_rejected_lead() -> None:
    """Ties, leads without the full fields, two sources and a lead accepted
    after its rejection: the same rows, counts, shares and names."""
    seller = make_user("sanne", role=Role.SALES)
    rejected = History(
        arrival_hours=0,
        source="website",
        cold=False,
        hot_after=None,
        contact_after=None,
        feedback="no_fit",
        rating=None,
        outcome=None,
        value_cents=None,
        reopened=False,
    )
    histories = [
        rejected,
        replace(rejected, arrival_hours=5, source="event", cold=True),
        replace(
            rejected,
            arrival_hours=30,
            source="event",
            hot_after=10,
            contact_after=3.0,
            rating=2,
        ),
        replace(rejected, arrival_hours=50, source="", feedback="no_budget"),
        replace(rejected, arrival_hours=80, hot_after=1),
    ]
    for index, history in enumerate(histories):
        _live(index, history, seller)
    accepted_later = Lead.objects.get(email="lead0@bedrijf0.nl")
    record_feedback(
        accepted_later,
        Decision.ACCEPTED,
        reason=None,
        given_by=seller,
        now=FIRST_ARRIVAL + timedelta(days=12),
    )

    now = FIRST_ARRIVAL + timedelta(days=20)
    start, end = PERIODS[0]
    stored = stored_period_kpis(start, end, source=None, now=now)
    assert stored.no_fit_rules, "the rejected warm leads had rules with points"
    # Three leads stay rejected as no fit: two warm ones share their rules.
    assert stored.no_fit_rules[0].leads == "2 of 3"
    _assert_the_same_figures(now=now)


def test_the_team_page_follows_a_lead_to_its_new_owner() -> None:
    """The sums are not kept per owner: a reassigned or unassigned lead is
    counted with whoever owns it now, as the per-lead computation does."""
    seller = make_user("sanne", role=Role.SALES)
    colleague = make_user("daan", role=Role.SALES)
    hot = History(
        arrival_hours=2,
        source="website",
        cold=False,
        hot_after=1,
        contact_after=3.5,
        feedback="accepted",
        rating=4,
        outcome=OutcomeKind.WON,
        value_cents=250_000,
        reopened=False,
    )
    for index in range(4):
        _live(index, replace(hot, arrival_hours=2 + 30 * index), seller)
    now = FIRST_ARRIVAL + timedelta(days=40)
    start, end = PERIODS[0]
    leads = list(Lead.objects.order_by("pk"))
    reassign_owner(leads[0], colleague, by=None, now=now)
    reassign_owner(leads[1], None, by=None, now=now)

    stored = stored_team_kpis(start, end, now=now)

    assert stored == team_kpis_from_facts(start, end, now=now)
    owners = list(Lead.objects.order_by("pk").values_list("owner_id", flat=True))
    assert owners[:2] == [colleague.pk, None]
    for owner in {*owners}:
        assert stored.per_owner[owner].leads_in == owners.count(owner)
        assert stored.per_owner[owner].won_value_cents == 250_000 * owners.count(owner)
    assert stored.total.leads_in == 4
