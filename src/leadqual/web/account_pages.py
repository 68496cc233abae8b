"""The accounts list and the account page.

An account is a company with everyone known there. Sellers see the accounts
that have at least one lead they may see, and of each account only those
leads; the account score and counts are the account's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_stubs_ext import StrOrPromise

from leadqual.core.accounts import (
    BONUS_PER_EXTRA_ENGAGED_CONTACT,
    ENGAGED_WITHIN_DAYS,
    Contact,
    is_engaged,
    score_account,
)
from leadqual.intake.forms import SECTOR_CHOICES
from leadqual.leads.accounts import (
    AccountFilters,
    account_choices,
    account_contacts,
    accounts_by_score,
    contacts_of,
    visible_accounts,
)
from leadqual.leads.models import Company, Lead
from leadqual.leads.queries import visible_leads, visible_owners
from leadqual.paging import CappedPaginator
from leadqual.users.permissions import role_required
from leadqual.web.helpers import (
    ALL_ROLES,
    HtmxHttpRequest,
    display_name,
    signed_in_user,
)

ACCOUNTS_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class AccountRow:
    company_id: int
    name: str
    domain: str
    sector: str
    country: str
    account_score: int | None
    engaged_contacts: int
    contacts: int
    last_activity_at: datetime | None


def sector_label(sector: str) -> str:
    """A stored sector in the page's language: the form's label, else as stored."""
    label = SECTOR_CHOICES.get(sector.casefold())
    return str(label) if label is not None else sector


def _read_filters(
    request: HttpRequest, *, sectors: list[str], countries: list[str]
) -> AccountFilters:
    sector = request.GET.get("sector", "")
    country = request.GET.get("country", "")
    return AccountFilters(
        q=request.GET.get("q", "").strip()[:200],
        sector=sector if sector in sectors else "",
        country=country if country in countries else "",
        engaged_only=request.GET.get("engaged") == "1",
    )


def _account_row(company: Company) -> AccountRow:
    return AccountRow(
        company_id=company.pk,
        name=company.name,
        domain=company.domain,
        sector=sector_label(company.sector),
        country=company.country,
        account_score=company.account_score,
        engaged_contacts=company.engaged_contacts,
        contacts=company.contact_count,  # type: ignore[attr-defined]
        last_activity_at=company.last_activity_at,  # type: ignore[attr-defined]
    )


@role_required(*ALL_ROLES)
def account_list(request: HtmxHttpRequest) -> HttpResponse:
    """Accounts by account score, highest first; with htmx only the table."""
    user = signed_in_user(request)
    accounts = visible_accounts(visible_leads(user))
    sectors, countries = account_choices(visible_owners(user))
    filters = _read_filters(request, sectors=sectors, countries=countries)
    ordered = accounts_by_score(accounts, filters)
    page = CappedPaginator(ordered, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "rows": [_account_row(company) for company in page.object_list],
        "page": page,
        "filters": filters,
        "sector_choices": [(sector, sector_label(sector)) for sector in sectors],
        "country_choices": countries,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "leads/_account_table.html", context)
    return render(request, "leads/account_list.html", context)


def _explanation(
    contacts: list[Contact], names: dict[int, str], *, now: datetime
) -> list[StrOrPromise]:
    """The roll-up in words, one line per part, as of ``now``."""
    rolled = score_account(contacts, now=now)
    if rolled.score is None or rolled.best_contact_id is None:
        return [gettext("No contact of this account has a score yet.")]
    best_name = names.get(rolled.best_contact_id, gettext("a contact you cannot see"))
    lines: list[StrOrPromise] = [
        gettext("%(score)s: the highest score of a contact (%(name)s).")
        % {"score": rolled.best_contact_score, "name": best_name}
    ]
    extra = max(0, rolled.engaged_contacts - 1)
    if extra:
        lines.append(
            ngettext(
                "+%(points)s: %(count)s more engaged contact, %(bonus)s points each.",
                "+%(points)s: %(count)s more engaged contacts, %(bonus)s points each.",
                extra,
            )
            % {
                "points": rolled.bonus_points,
                "count": extra,
                "bonus": BONUS_PER_EXTRA_ENGAGED_CONTACT,
            }
        )
    if rolled.is_capped:
        lines.append(gettext("Capped at 100."))
    lines.append(
        gettext(
            "A contact is engaged when it did something other than unsubscribe "
            "or bounce in the last %(days)s days."
        )
        % {"days": ENGAGED_WITHIN_DAYS}
    )
    return lines


@role_required(*ALL_ROLES)
def account_detail(request: HtmxHttpRequest, company_id: int) -> HttpResponse:
    """One account: its score with the roll-up, and the contacts the user may see.

    An account without a lead the user may see is a 404.
    """
    leads = visible_leads(signed_in_user(request))
    company = get_object_or_404(visible_accounts(leads), pk=company_id)
    # Explain the stored score as of when it was rolled up.
    now = company.account_scored_at or timezone.now()
    contacts = account_contacts(company, now=now)
    engaged_ids = {c.lead_id for c in contacts if is_engaged(c, now=now)}
    shown: list[Lead] = list(contacts_of(company, leads))
    names = {lead.pk: lead.shown_name for lead in shown}
    context = {
        "account": {
            "id": company.pk,
            "name": company.name,
            "domain": company.domain,
            "sector": sector_label(company.sector),
            "size_band": company.size_band,
            "country": company.country,
            "enrichment_source": company.enrichment_source,
            "enriched_at": company.enriched_at,
            "score": company.account_score,
            "scored_at": company.account_scored_at,
            "engaged_contacts": company.engaged_contacts,
            "contacts": len(contacts),
        },
        "explanation": _explanation(contacts, names, now=now),
        "contacts": [
            {
                "lead_id": lead.pk,
                "name": names[lead.pk],
                "job_title": lead.job_title,
                "band": lead.band,
                "band_label": lead.get_band_display() if lead.band else "",
                "score": lead.score_total,
                "owner": display_name(lead.owner),
                "is_engaged": lead.pk in engaged_ids,
            }
            for lead in shown
        ],
        "hidden_contacts": len(contacts) - len(shown),
    }
    return render(request, "leads/account_detail.html", context)
