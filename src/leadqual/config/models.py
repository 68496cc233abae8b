"""The dead-letter list: background jobs that failed their last try.

A job lands here from the worker's error signal (``config.background``) once
Huey has no retries left for it. Admins see it in the admin site with its
error and retry it from there. Tasks take ids and plain values only, so the
arguments kept here carry no personal data.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How much of the error and the traceback is kept.
ERROR_MAX_LENGTH = 1000
TRACEBACK_MAX_LENGTH = 20_000


class FailedJob(models.Model):
    """One job that failed its last try, and whether it was retried since."""

    task_name = models.CharField(
        _("task"),
        max_length=200,
        help_text=_("Huey's name of the task: its module and function."),
    )
    task_id = models.CharField(_("task id"), max_length=64, db_index=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=ERROR_MAX_LENGTH)
    traceback = models.TextField(_("traceback"), blank=True)
    attempts = models.PositiveIntegerField(_("tries"), default=1)
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now)
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retried_task_id = models.CharField(
        _("task id of the retry"), max_length=64, blank=True, db_index=True
    )
    resolved = models.BooleanField(
        _("resolved"),
        default=False,
        help_text=_("The retry ran without an error, or an admin closed the job."),
    )

    class Meta:
        ordering = ["-failed_at", "-pk"]
        verbose_name = _("failed job")
        verbose_name_plural = _("failed jobs")

    def __str__(self) -> str:
        return f"{self.short_task_name} ({self.task_id})"

    @property
    def short_task_name(self) -> str:
        """The function name without its module: ``requalify_leads``."""
        return self.task_name.rpartition(".")[2]

    @property
    def is_retried(self) -> bool:
        """True once the job was queued again from the dead-letter list."""
        return self.retried_at is not None
