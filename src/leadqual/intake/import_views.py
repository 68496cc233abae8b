"""The upload page for CRM exports (/imports/) and the page of one import job.

The page reads the file (streamed, within the reader's limits) to show the
detected mapping; the import itself runs in the worker
(``jobs.run_import_job``), while the job page polls its progress with htmx.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from leadqual.core.errors import LeadqualError
from leadqual.intake.imports import (
    DEFAULT_SOURCE,
    IGNORE,
    TARGET_FIELDS,
    TOOL_LABELS,
    ImportReport,
    RowProblem,
    import_leads_file,
    job_report,
    map_columns,
    read_table,
)
from leadqual.intake.jobs import run_import_job
from leadqual.intake.models import ImportJob
from leadqual.intake.uploads import discard_upload, store_upload, upload_dir
from leadqual.users.permissions import role_required
from leadqual.users.roles import Role

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Problems of rejected rows listed on one page of an import's report.
PROBLEMS_PER_PAGE = 100
_STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(csv|xlsx)$")


def _render_form(
    request: HttpRequest, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "intake/import_upload.html",
        {"error": error, "default_source": DEFAULT_SOURCE, "step": "upload"},
        status=status,
    )


def _problem_text(problem: RowProblem) -> str:
    """Where and what, in the page's language."""
    if problem.column is None:
        return _("Row %(row)s: %(message)s") % {
            "row": problem.row,
            "message": problem.message,
        }
    return _('Row %(row)s, column "%(column)s": %(message)s') % {
        "row": problem.row,
        "column": problem.column,
        "message": problem.message,
    }


def _report_context(
    report: ImportReport, *, page: str | None = None, paged: bool = False
) -> dict[str, object]:
    """The report, with one page of its problems (PROBLEMS_PER_PAGE).

    A file of up to ReadLimits.rows rows can have a problem in every row. An
    import job's page pages them (``?page=``, htmx swaps the report); a dry
    run's report is the answer to a POST, so it lists the first page only and
    says how many more there are.
    """
    problems = Paginator(report.problems, PROBLEMS_PER_PAGE).get_page(page)
    return {
        "report": report,
        "problems": [_problem_text(problem) for problem in problems],
        "problems_page": problems if paged else None,
        "problems_total": problems.paginator.count,
        "problems_hidden": 0 if paged else problems.paginator.count - len(problems),
        "kept_despite_rejections": bool(report.rejected) and report.kept > 0,
        "rejected_count": len(report.rejected),
    }


def _store_upload(request: HttpRequest) -> tuple[Path, str] | str:
    """The stored file and its original name, or an error message."""
    upload = request.FILES.get("file")
    if upload is None:
        return _("Choose a CSV or XLSX file to import.")
    name = upload.name or ""
    suffix = Path(name).suffix.casefold().lstrip(".")
    if suffix not in ("csv", "xlsx"):
        return _(
            'The file "%(name)s" is not a CSV or XLSX file. Export it from your '
            "CRM as CSV or Excel and upload that."
        ) % {"name": name}
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        return _(
            'The file "%(name)s" is larger than %(limit)s MB. Split it into '
            "smaller files or use the command leadqual import-leads."
        ) % {"name": name, "limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
    return store_upload(upload.chunks(), suffix=suffix), name


@role_required(Role.MARKETING, Role.ADMIN)
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a file, check the detected mapping, then import or dry-run it."""
    if request.method != "POST":
        return _render_form(request)
    source = request.POST.get("source", "").strip() or DEFAULT_SOURCE
    dry_run = request.POST.get("dry_run") == "on"
    stored = request.POST.get("stored", "")
    if not stored:
        result = _store_upload(request)
        if isinstance(result, str):
            return _render_form(request, error=result, status=422)
        path, original = result
    else:
        if not _STORED_NAME.match(stored) or not (upload_dir() / stored).exists():
            return _render_form(
                request,
                error=_("The uploaded file is gone. Upload it again."),
                status=422,
            )
        path, original = upload_dir() / stored, request.POST.get("original", stored)
    try:
        table = read_table(path)
        header = [name.strip() for name in table.header]
        overrides = {
            name: request.POST[f"map-{index}"]
            for index, name in enumerate(header)
            if name and f"map-{index}" in request.POST
        }
        columns = map_columns(header, file_name=original, overrides=overrides)
    except LeadqualError as error:
        # A refused file is of no further use: nothing of it is kept.
        discard_upload(path)
        return _render_form(request, error=error.message, status=422)
    if not stored:
        rows = [
            {
                "index": index,
                "header": name,
                "target": columns.by_header.get(name, IGNORE),
            }
            for index, name in enumerate(header)
            if name
        ]
        return render(
            request,
            "intake/import_upload.html",
            {
                "step": "mapping",
                "rows": rows,
                "targets": [*TARGET_FIELDS, IGNORE],
                "stored": path.name,
                "original": original,
                "source": source,
                "dry_run": dry_run,
                "tool": TOOL_LABELS.get(columns.tool, columns.tool),
                "row_count": number_format(table.row_count, force_grouping=True),
            },
        )
    if dry_run:
        report = import_leads_file(
            path, dry_run=True, now=timezone.now(), source=source, mapping=overrides
        )
        return render(
            request,
            "intake/import_upload.html",
            {"step": "report", **_report_context(report)},
        )
    job = ImportJob.objects.create(
        file_name=original[:255],
        file_sha256=table.digest,
        source=source,
        total_rows=table.row_count,
        # The columns chosen on the mapping step, and the uploader's language
        # for the report's messages, for the worker.
        mapping={"overrides": overrides, "language": get_language()},
        started_by=request.user if request.user.is_authenticated else None,
    )
    run_import_job(job.pk)
    return redirect("imports:job", pk=job.pk)


@role_required(Role.MARKETING, Role.ADMIN)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's progress while it runs (polled every 2 s), its report when done."""
    job = get_object_or_404(ImportJob, pk=pk)
    context: dict[str, object] = {
        "job": job,
        "is_running": job.status == "running",
        "progress": _("%(done)s of %(total)s rows")
        % {
            "done": number_format(job.rows_done, force_grouping=True),
            "total": number_format(job.total_rows, force_grouping=True),
        },
        **_report_context(job_report(job), page=request.GET.get("page"), paged=True),
    }
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    template = "intake/import_job_progress.html" if htmx else "intake/import_job.html"
    return render(request, template, context)
