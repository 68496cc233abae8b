"""Admin for the dead-letter list: failed background jobs, with "Retry"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadqual.config.background import RetryRefusedError, retry_failed_job
from leadqual.config.models import FailedJob
from leadqual.users.admin import CheckedLookupsAdmin


class RetriedFilter(admin.SimpleListFilter):
    """Jobs not retried yet, or retried already."""

    title = gettext_lazy("retried")
    parameter_name = "retried"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("no", _("Not yet")), ("yes", _("Yes"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any] | None:
        if self.value() == "no":
            return queryset.filter(retried_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(retried_at__isnull=False)
        return None


@admin.action(description=gettext_lazy("Retry"), permissions=["change"])
def retry_selected(
    modeladmin: admin.ModelAdmin[FailedJob],
    request: HttpRequest,
    queryset: QuerySet[FailedJob],
) -> None:
    """Queue the selected jobs again; jobs retried already are skipped and named."""
    now = timezone.now()
    queued = 0
    for job in queryset:
        try:
            retry_failed_job(job, now=now)
        except RetryRefusedError as refused:
            modeladmin.message_user(request, f"{job}: {refused}", messages.WARNING)
        else:
            queued += 1
    if queued:
        modeladmin.message_user(
            request,
            _("%(count)s jobs were queued again.") % {"count": queued},
            messages.SUCCESS,
        )


@admin.action(description=gettext_lazy("Mark as resolved"), permissions=["change"])
def mark_resolved(
    modeladmin: admin.ModelAdmin[FailedJob],
    request: HttpRequest,
    queryset: QuerySet[FailedJob],
) -> None:
    """Close jobs that need no retry, for example after fixing the data by hand."""
    count = queryset.filter(resolved=False).update(resolved=True)
    modeladmin.message_user(
        request,
        _("%(count)s jobs were marked resolved.") % {"count": count},
        messages.SUCCESS,
    )


@admin.register(FailedJob)
class FailedJobAdmin(CheckedLookupsAdmin[FailedJob]):
    """The dead-letter list: read-only, retried from the list or the job's page.

    Only admins (superusers) see it: no role is given its permissions.
    """

    list_display = (
        "short_task_name",
        "error",
        "attempts",
        "failed_at",
        "retried",
        "resolved",
    )
    list_filter = (RetriedFilter, "resolved", "task_name", "failed_at")
    search_fields = ("task_name", "task_id", "retried_task_id")
    date_hierarchy = "failed_at"
    actions = (retry_selected, mark_resolved)
    change_form_template = "admin/leadqual_config/failedjob/change_form.html"
    readonly_fields = tuple(
        field.name for field in FailedJob._meta.get_fields() if field.concrete
    )

    @admin.display(description=gettext_lazy("task"), ordering="task_name")
    def short_task_name(self, job: FailedJob) -> str:
        return job.short_task_name

    @admin.display(description=gettext_lazy("retried"), boolean=True)
    def retried(self, job: FailedJob) -> bool:
        return job.is_retried

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        retry = path(
            "<path:object_id>/retry/",
            self.admin_site.admin_view(self.retry_view),
            name="leadqual_config_failedjob_retry",
        )
        return [retry, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The job's page: read-only, with a "Retry" button while it may be retried."""
        context = dict(extra_context or {})
        job = self.get_object(request, object_id)
        context.update(show_save=False, show_save_and_continue=False)
        if (
            job is not None
            and not job.is_retried
            and self.has_change_permission(request, job)
        ):
            context["retry_url"] = reverse(
                "admin:leadqual_config_failedjob_retry", args=[job.pk]
            )
        return super().change_view(request, object_id, form_url, context)

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: queue one job again, then back to its page with a message."""
        if not object_id.isdigit():
            raise Http404
        job = get_object_or_404(FailedJob, pk=int(object_id))
        if not self.has_change_permission(request, job):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            task_id = retry_failed_job(job, now=timezone.now())
        except RetryRefusedError as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.message_user(
                request,
                _("The job was queued again as task %(task_id)s.")
                % {"task_id": task_id},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:leadqual_config_failedjob_change", args=[job.pk])
        )
