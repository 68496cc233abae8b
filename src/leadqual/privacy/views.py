"""Admin pages: a lead's privacy page (export, erase) and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_stubs_ext import StrOrPromise

from leadqual.leads.models import Lead
from leadqual.paging import cursor, keyset_page
from leadqual.privacy.audit import audit
from leadqual.privacy.models import AuditAction, ConsentRecord
from leadqual.privacy.queries import (
    AUDIT_PAGE_SIZE,
    AuditFilters,
    audit_actors,
    audit_entries,
)
from leadqual.privacy.records import ErasureRecordError
from leadqual.privacy.services import (
    erase_person,
    export_person,
    is_anonymised,
    person_counts,
)
from leadqual.users.permissions import role_required
from leadqual.users.roles import Role

CONTENT_TYPES = {"json": "application/json", "csv": "text/csv"}

# What each kind of stored data is called on the page (person_data's keys).
STORED_DATA_LABELS: dict[str, StrOrPromise] = {
    "consent_records": pgettext_lazy("stored data", "Consent records"),
    "events": pgettext_lazy("stored data", "Events"),
    "scores": pgettext_lazy("stored data", "Scores"),
    "band_changes": pgettext_lazy("stored data", "Band changes"),
    "feedback": pgettext_lazy("stored data", "Feedback"),
    "outcomes": pgettext_lazy("stored data", "Outcomes"),
    "tasks": pgettext_lazy("stored data", "Tasks"),
    "qualification": pgettext_lazy("stored data", "Qualification"),
    "notes": pgettext_lazy("stored data", "Notes and calls"),
    "sales_actions": pgettext_lazy("stored data", "Sales actions"),
    "alerts": pgettext_lazy("stored data", "Alerts"),
    "webhook_deliveries": pgettext_lazy("stored data", "Webhook deliveries"),
    "visitors": pgettext_lazy("stored data", "Website visitors"),
    "visitor_events": pgettext_lazy("stored data", "Website visits"),
    "pending_form_submissions": pgettext_lazy(
        "stored data", "Unconfirmed form submissions"
    ),
    "merges": pgettext_lazy("stored data", "Merges"),
    "audit_entries": pgettext_lazy("stored data", "Audit log lines"),
}


def _page_context(lead: Lead, *, error: str = "") -> dict[str, object]:
    counts = [
        {"table": STORED_DATA_LABELS.get(table, table), "count": count}
        for table, count in person_counts(lead).items()
    ]
    return {
        "lead": lead,
        "is_anonymised": is_anonymised(lead),
        "counts": counts,
        "consent_records": ConsentRecord.objects.filter(lead=lead).order_by(
            "-at", "-pk"
        ),
        "audit_entries": audit_entries(AuditFilters(lead_id=lead.pk))[:50],
        "error": error,
    }


@role_required(Role.ADMIN)
@require_GET
def lead_privacy(request: HttpRequest, lead_id: int) -> HttpResponse:
    """One lead's privacy page: what is stored, consent history, export and erase."""
    lead = get_object_or_404(Lead.objects.select_related("company"), pk=lead_id)
    audit(request.user, AuditAction.VIEWED, lead.pk, detail="privacy page")
    return render(request, "privacy/lead_privacy.html", _page_context(lead))


@role_required(Role.ADMIN)
@require_GET
def lead_export(request: HttpRequest, lead_id: int, file_format: str) -> HttpResponse:
    """Download everything about the person as JSON or CSV (audited)."""
    if file_format not in CONTENT_TYPES:
        raise Http404("Unknown export format; use .json or .csv.")
    lead = get_object_or_404(Lead.objects.select_related("company"), pk=lead_id)
    body = export_person(
        lead, actor=request.user, now=timezone.now(), file_format=file_format
    )
    response = HttpResponse(
        body, content_type=f"{CONTENT_TYPES[file_format]}; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="lead-{lead.pk}-personal-data.{file_format}"'
    )
    return response


@role_required(Role.ADMIN)
@require_POST
def lead_erase(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Erase the person behind the lead, after the admin ticked the confirmation."""
    lead = get_object_or_404(Lead.objects.select_related("company"), pk=lead_id)
    if request.POST.get("confirm") != "yes":
        error = gettext(
            "Nothing was erased. Tick the box to confirm that this person asked "
            "to be erased, then press Erase again."
        )
        return render(
            request,
            "privacy/lead_privacy.html",
            _page_context(lead, error=error),
            status=422,
        )
    try:
        result = erase_person(lead, actor=request.user, now=timezone.now())
    except ErasureRecordError:
        error = gettext(
            "Nothing was erased: leadqual cannot write its erasure record "
            "(erasures.jsonl) in its data directory. Make the data directory "
            "writable for leadqual, then press Erase again."
        )
        return render(
            request,
            "privacy/lead_privacy.html",
            _page_context(lead, error=error),
            status=422,
        )
    messages.success(
        request,
        gettext(
            "Lead %(lead_id)s was erased: %(events)s events cleared, %(visitors)s "
            "visitors deleted. Their email and phone are suppressed."
        )
        % {
            "lead_id": result.lead_id,
            "events": result.events_cleared,
            "visitors": result.visitors_deleted,
        },
    )
    return redirect("privacy:lead-privacy", lead_id=lead.pk)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@role_required(Role.ADMIN)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, filtered by lead id, who and action.

    Paged by keyset (``?before=<entry id>``): the log grows with every page
    view, so neither a count of it nor an offset into it stays fast.
    """
    filters = AuditFilters(
        lead_id=_int_or_none(request.GET.get("lead")),
        actor=request.GET.get("who") or None,
        action=request.GET.get("action") or None,
    )
    page = keyset_page(
        audit_entries(filters),
        time_field="at",
        before=cursor(request.GET.get("before")),
        size=AUDIT_PAGE_SIZE,
    )
    return render(
        request,
        "privacy/audit_log.html",
        {
            "entries": page.rows,
            "page": page,
            "filters": filters,
            "actors": audit_actors(),
            "actions": AuditAction.choices,
            "page_size": AUDIT_PAGE_SIZE,
        },
    )
