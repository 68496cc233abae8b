"""The KPI page reads its per-lead rows through partial indexes, on SQLite and
PostgreSQL: the contacted leads of the period, and only the first-contact
tasks not yet due (not every overdue one, which grow with the leads)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadqual.insights.queries import contacted_leads, waiting_first_contacts
from tests.web.test_list_indexes import assert_reads_index

pytestmark = pytest.mark.django_db

START, END = date(2026, 9, 1), date(2026, 11, 30)
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("source", [None, "website"])
def test_the_times_to_first_contact_are_read_from_the_contacted_leads_index(
    source: str | None,
) -> None:
    assert_reads_index(
        lambda: contacted_leads(START, END, source=source).values_list(
            "arrival_day",
            "source",
            "band",
            "microseconds_to_first_contact",
            "working_hours_to_first_contact",
        ),
        "lead_kpi_fact_contact_times",
        sorted_by_index=False,
    )


@pytest.mark.parametrize("source", [None, "website"])
def test_waiting_first_contacts_are_read_from_now_on_by_their_due_time(
    source: str | None,
) -> None:
    assert_reads_index(
        lambda: waiting_first_contacts(START, END, source=source, now=NOW),
        "lead_kpi_fact_waiting",
        sorted_by_index=False,
    )
