"""Accounts: a company with everyone known there, scored as a whole.

``rescore_account`` stores the roll-up of ``core.accounts`` on the company;
the read helpers serve the accounts pages and the lead page's account section.
An account is one Company row: leads join it by the company name they give,
or by their work domain when enrichment finds the company for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from leadqual.core.accounts import (
    ENGAGED_WITHIN_DAYS,
    INTEREST_EVENTS,
    AccountTotals,
    Contact,
)
from leadqual.db import bulk_update
from leadqual.leads.models import Company, Event, Lead
from leadqual.leads.queries import (
    Condition,
    VisibleOwners,
    distinct_values_in_order,
    owner_conditions,
)


def _contacts_by_company(
    company_ids: Sequence[int], *, now: datetime
) -> dict[int, list[Contact]]:
    """Every contact of these companies as the roll-up sees them, in one query."""
    rows = (
        Lead.objects.filter(company_id__in=company_ids)
        .annotate(
            last_interest_at=Max(
                "events__occurred_at",
                filter=Q(
                    events__type__in=[
                        event_type.value for event_type in INTEREST_EVENTS
                    ],
                    events__occurred_at__lte=now,
                ),
            )
        )
        .order_by("company_id", "id")
        .values_list("company_id", "id", "score_total", "last_interest_at")
    )
    contacts: dict[int, list[Contact]] = {}
    for company_id, lead_id, score, last_interest_at in rows:
        contacts.setdefault(company_id, []).append(
            Contact(lead_id=lead_id, score=score, last_interest_at=last_interest_at)
        )
    return contacts


def account_contacts(company: Company, *, now: datetime) -> list[Contact]:
    """The company's leads as the roll-up sees them, in one query."""
    return _contacts_by_company([company.pk], now=now).get(company.pk, [])


def _totals_by_company(
    company_ids: Sequence[int], *, now: datetime
) -> dict[int, AccountTotals]:
    """Each company's contacts summed up by the database: two grouped queries.

    One row per company instead of one per contact: an import touches
    hundreds of companies with thousands of leads between them.
    """
    counted = (
        Lead.objects.filter(company_id__in=company_ids)
        .order_by()
        .values("company_id")
        .annotate(contacts=Count("id"), best=Max("score_total"))
        .values_list("company_id", "contacts", "best")
    )
    # is_engaged: an interest event in the 30 days up to now.
    engaged = dict(
        Lead.objects.filter(
            company_id__in=company_ids,
            events__type__in=[event_type.value for event_type in INTEREST_EVENTS],
            events__occurred_at__gte=now - timedelta(days=ENGAGED_WITHIN_DAYS),
            events__occurred_at__lte=now,
        )
        .order_by()
        .values("company_id")
        .annotate(engaged=Count("id", distinct=True))
        .values_list("company_id", "engaged")
    )
    return {
        company_id: AccountTotals(
            contacts=contacts,
            engaged_contacts=engaged.get(company_id, 0),
            best_contact_score=best,
        )
        for company_id, contacts, best in counted
    }


def rescore_accounts(
    companies: Iterable[Company], *, now: datetime
) -> dict[int, AccountTotals]:
    """Roll each company's contacts up and store its account score, per batch.

    Updates the given Company instances in place too, so leads that hold them
    are scored with the new values. Three queries whatever the batch size;
    companies are written in id order. Returns the totals by company id (their
    ``score`` is the account score stored).
    """
    by_id = {company.pk: company for company in companies}
    if not by_id:
        return {}
    ids = sorted(by_id)
    totals = _totals_by_company(ids, now=now)
    empty = AccountTotals(contacts=0, engaged_contacts=0, best_contact_score=None)
    for company_id in ids:
        company = by_id[company_id]
        rolled = totals.setdefault(company_id, empty)
        company.account_score = rolled.score
        company.engaged_contacts = rolled.engaged_contacts
        company.account_scored_at = now
    bulk_update(
        [by_id[company_id] for company_id in ids],
        ["account_score", "engaged_contacts", "account_scored_at"],
    )
    return totals


def rescore_account(company: Company, *, now: datetime) -> AccountTotals:
    """Roll one company's contacts up: ``rescore_accounts`` with a batch of one."""
    return rescore_accounts([company], now=now)[company.pk]


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountFilters:
    """The accounts list's filters; ``engaged_only`` keeps accounts with an
    engaged contact."""

    q: str = ""
    sector: str = ""
    country: str = ""
    engaged_only: bool = False

    @property
    def is_active(self) -> bool:
        return bool(self.q or self.sector or self.country or self.engaged_only)


def visible_accounts(leads: QuerySet[Lead]) -> QuerySet[Company]:
    """Companies with at least one of ``leads`` (the leads a user may see)."""
    # EXISTS per company, not IN (all their company ids): the accounts list
    # reads one page of companies in index order and checks just those.
    return Company.objects.filter(Exists(leads.filter(company_id=OuterRef("pk"))))


def account_choices(owners: VisibleOwners) -> tuple[list[str], list[str]]:
    """The sectors and countries of the accounts with a lead of ``owners``
    (``visible_owners``: the accounts a user sees), sorted, for the filters.

    A lookup per value in ``company_sector`` and ``company_country``, each
    checking that the company found has such a lead: it costs the number of
    values, not the number of companies.
    """
    if owners is not None and not owners:
        return [], []
    table = Company._meta.db_table
    has_lead = account_conditions(owners)
    return (
        distinct_values_in_order(table, "sector", has_lead),
        distinct_values_in_order(table, "country", has_lead),
    )


def account_conditions(owners: VisibleOwners) -> list[Condition]:
    """The condition of ``distinct_values_in_order`` over companies that keeps
    those with a lead of ``owners`` (at least one owner, or None for all)."""
    lead_table = connection.ops.quote_name(Lead._meta.db_table)
    # One lookup per company and owner in lead_company_owner, OR-ed: a filter
    # on each company read in index order. A scalar subquery with LIMIT 1,
    # not EXISTS: PostgreSQL may turn EXISTS into a hash of every lead of
    # those owners, or a join from them.
    has_lead = [
        f"(SELECT l.id FROM {lead_table} AS l "
        f"WHERE l.company_id = item.id AND {condition} LIMIT 1) IS NOT NULL"
        for condition, _params, _fixed in owner_conditions(owners, column="l.owner_id")
    ]
    params = [
        param
        for _condition, values, _fixed in owner_conditions(owners)
        for param in values
    ]
    return [(" OR ".join(has_lead), params, [])]


def accounts_by_score(
    accounts: QuerySet[Company], filters: AccountFilters
) -> QuerySet[Company]:
    """The accounts that pass the filters, highest account score first, with
    ``contact_count`` and ``last_activity_at`` (latest event of any contact)."""
    if filters.sector:
        accounts = accounts.filter(sector=filters.sector)
    if filters.country:
        accounts = accounts.filter(country=filters.country)
    if filters.engaged_only:
        accounts = accounts.filter(engaged_contacts__gte=1)
    # Every word must appear in the company name or its domain.
    for word in filters.q.split():
        accounts = accounts.filter(Q(name__icontains=word) | Q(domain__icontains=word))
    # Subqueries, not a GROUP BY over every company's leads and events: the
    # database computes them for the rows of the page only.
    contacts = (
        Lead.objects.filter(company_id=OuterRef("pk"))
        .order_by()
        .values("company_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    latest_event = (
        Event.objects.filter(lead__company_id=OuterRef("pk"))
        .order_by()
        .values("lead__company_id")
        .annotate(at=Max("occurred_at"))
        .values("at")
    )
    return accounts.annotate(
        contact_count=Coalesce(Subquery(contacts), 0),
        last_activity_at=Subquery(latest_event),
    ).order_by(F("account_score").desc(nulls_last=True), "name", "id")


def contacts_of(company: Company, leads: QuerySet[Lead]) -> Sequence[Lead]:
    """The company's leads among ``leads``, highest score first."""
    return list(
        leads.filter(company=company)
        .select_related("owner")
        .order_by(F("score_total").desc(nulls_last=True), "id")
    )


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """The lead page's account section."""

    company_id: int
    name: str
    account_score: int | None
    engaged_contacts: int
    contacts: int


def account_summary(company: Company) -> AccountSummary:
    """The company's stored account score with its number of contacts (one query)."""
    return AccountSummary(
        company_id=company.pk,
        name=company.name,
        account_score=company.account_score,
        engaged_contacts=company.engaged_contacts,
        contacts=Lead.objects.filter(company=company).count(),
    )
