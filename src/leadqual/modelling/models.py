"""Predictive model versions trained on leadqual's own outcomes, and their monitoring."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModelStatus(models.TextChoices):
    """Where a version stands. Only an approved version predicts."""

    TRAINING = "training", _("Training")
    FAILED = "failed", _("Training failed")
    DRAFT = "draft", _("Draft, waiting for review")
    APPROVED = "approved", _("Approved, in use")
    REJECTED = "rejected", _("Rejected")
    RETIRED = "retired", _("Retired")


class PredictiveModelVersion(models.Model):
    """One trained predictive model: its file, its card and people's decision.

    ``artefact`` is the model file as leadqual wrote it (predictive's safe
    format), ``card`` the model card and the validation on newer leads as
    JSON, ``reference`` the training data's distributions that weekly drift
    monitoring compares with. At most one version is approved.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ModelStatus.choices,
        default=ModelStatus.TRAINING,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Progress of the training task, shown on the page while it runs.
    progress_step = models.CharField(_("step"), max_length=200, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    trained_at = models.DateTimeField(_("trained at"), null=True, blank=True)
    artefact = models.BinaryField(_("model file"), null=True, blank=True)
    card = models.JSONField(_("model card"), default=dict, blank=True)
    reference = models.JSONField(_("training distributions"), default=dict, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("predictive model")
        verbose_name_plural = _("predictive models")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="approved"),
                name="one_approved_predictive_model",
            ),
        ]

    def __str__(self) -> str:
        return f"predictive model v{self.version} ({self.status})"


class MonitoringRun(models.Model):
    """One weekly check of the model in use: drift and bias, as JSON.

    ``alerted_at`` is set once the admins were told (only when the report
    needs attention), so a rerun of the same week tells them once.
    """

    # No index of its own: one_monitoring_run_a_week leads with it.
    model_version = models.ForeignKey(
        PredictiveModelVersion,
        on_delete=models.CASCADE,
        related_name="monitoring_runs",
        db_index=False,
    )
    computed_at = models.DateTimeField(_("computed at"))
    week = models.DateField(_("week"))
    rows = models.PositiveIntegerField(_("leads compared"))
    report = models.JSONField(_("report"), default=dict)
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    alerted_at = models.DateTimeField(_("admins told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monitoring run")
        verbose_name_plural = _("monitoring runs")
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "week"], name="one_monitoring_run_a_week"
            ),
        ]

    def __str__(self) -> str:
        return f"monitoring of v{self.model_version_id}, week of {self.week}"
