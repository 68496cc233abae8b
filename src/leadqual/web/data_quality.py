"""The data-quality page: missing fields, stale leads, suspected duplicates, merges.

Merging and undoing are POSTs; with htmx the duplicates section is rendered
again in place, without htmx the page is reloaded with a message.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from leadqual.core.errors import LeadqualError
from leadqual.hygiene.merging import UNDO_WINDOW, merge_leads, undo_merge
from leadqual.hygiene.quality import (
    LIST_LIMIT,
    leads_missing_key_fields,
    missing_field_counts,
    recent_merges,
    stale_leads,
    suspected_duplicates,
)
from leadqual.leads.models import Lead, LeadMerge
from leadqual.users.permissions import role_required
from leadqual.users.roles import Role
from leadqual.web.helpers import HtmxHttpRequest, signed_in_user

QUALITY_ROLES = (Role.MARKETING, Role.ADMIN)
UNPROCESSABLE = 422


def _duplicates_context(
    *, page: str | None = None, notice: str = "", error: str = ""
) -> dict[str, object]:
    return {
        "duplicates": suspected_duplicates(page=page),
        "merges": recent_merges(now=timezone.now()),
        "undo_days": UNDO_WINDOW.days,
        "list_limit": LIST_LIMIT,
        "notice": notice,
        "error": error,
    }


@require_GET
@role_required(*QUALITY_ROLES)
def data_quality(request: HtmxHttpRequest) -> HttpResponse:
    """Leads with gaps, stale leads and suspected duplicates, each list capped.

    The duplicates are paged; with htmx a page of them is rendered alone.
    """
    page = request.GET.get("page")
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "leads/_duplicates.html", _duplicates_context(page=page))
    now = timezone.now()
    days = int(settings.STALE_AFTER_DAYS)
    context = {
        "missing_counts": missing_field_counts(),
        "missing": leads_missing_key_fields(),
        "stale": stale_leads(now=now, days=days),
        "stale_days": days,
        **_duplicates_context(page=page),
    }
    return render(request, "leads/data_quality.html", context)


def _answer(
    request: HtmxHttpRequest, *, notice: str = "", error: str = ""
) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            "leads/_duplicates.html",
            _duplicates_context(notice=notice, error=error),
            status=UNPROCESSABLE if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return HttpResponseRedirect(reverse("leads:data-quality") + "#duplicates")


@require_POST
@role_required(*QUALITY_ROLES)
def lead_merge(request: HtmxHttpRequest, lead_id: int) -> HttpResponse:
    """Merge the lead named in the form field ``duplicate`` into this one."""
    survivor = get_object_or_404(Lead, pk=lead_id)
    duplicate_id = request.POST.get("duplicate", "")
    duplicate = (
        Lead.objects.filter(pk=int(duplicate_id)).first()
        if duplicate_id.isdigit()
        else None
    )
    if duplicate is None:
        return _answer(
            request,
            error=gettext(
                "The lead to merge no longer exists; it may have been merged already."
            ),
        )
    try:
        merge_leads(
            survivor,
            duplicate,
            by=signed_in_user(request),
            now=timezone.now(),
            reason=request.POST.get("reason", "")[:200],
        )
    except LeadqualError as problem:
        return _answer(request, error=problem.message)
    return _answer(
        request,
        notice=gettext("%(duplicate)s was merged into %(survivor)s.")
        % {
            "duplicate": duplicate.shown_name,
            "survivor": survivor.shown_name,
        },
    )


@require_POST
@role_required(*QUALITY_ROLES)
def merge_undo(request: HtmxHttpRequest, merge_id: int) -> HttpResponse:
    """Undo a merge (within 30 days), bringing the merged lead back."""
    merge = get_object_or_404(LeadMerge, pk=merge_id)
    try:
        result = undo_merge(merge, by=signed_in_user(request), now=timezone.now())
    except LeadqualError as problem:
        return _answer(request, error=problem.message)
    restored = result.restored
    return _answer(
        request,
        notice=gettext("The merge was undone: %(lead)s is back.")
        % {"lead": restored.shown_name},
    )
