"""Scoring model versions and the scores they produced, with explanations."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadqual.core.errors import ScoringModelInUse
from leadqual.leads.models import BAND_LABELS, Lead


class DraftDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ScoringModelVersion(models.Model):
    """One version of a scoring model, kept as its TOML source.

    Once a version has produced a score (``first_used_at`` is set) its source
    never changes: a change is a new version. At most one version is active.
    A draft (the optimiser's proposal) waits for a person's approval: it is
    never active and never scores, and ``proposal`` keeps the evidence the
    optimiser gave for it.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.TextField(_("model file (TOML)"))
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    first_used_at = models.DateTimeField(_("first used at"), null=True, blank=True)
    is_draft = models.BooleanField(_("draft"), default=False)
    # The optimiser's summary: points old and new per rule with their evidence,
    # candidate rules, the threshold curve and the backtest (optimiser_summary).
    proposal = models.JSONField(_("proposal"), default=dict, blank=True)
    # A person's decision on a draft: approved (it became active) or rejected
    # (it stays a draft, readable, and never scores).
    decision = models.CharField(
        _("decision"), max_length=10, choices=DraftDecision.choices, blank=True
    )
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
    # The Monday of the week whose weekly optimiser run stored this draft: one
    # proposal per week, however often the job runs (None: not a weekly run).
    week_of = models.DateField(
        _("weekly proposal of the week of"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_scoring_model",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_draft=True, is_active=True),
                name="draft_scoring_model_never_active",
            ),
            models.UniqueConstraint(
                fields=["week_of"], name="one_weekly_proposal_per_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            stored = (
                ScoringModelVersion.objects.filter(pk=self.pk)
                .values("source", "first_used_at")
                .first()
            )
            if (
                stored
                and stored["first_used_at"] is not None
                and stored["source"] != self.source
            ):
                raise ScoringModelInUse(
                    f"Scoring model v{self.version} has already produced scores and cannot be "
                    "changed. Load the changed file as a new version instead."
                )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_open_draft(self) -> bool:
        """A draft that still waits for someone's decision."""
        return self.is_draft and not self.decision


def rule_points_digest(points: Iterable[tuple[object, object]]) -> str:
    """A short digest of the (rule, points) of an explanation's lines, in order.

    Stored beside each score, so that a rescore sees an unchanged score
    without reading and decoding its explanation.
    """
    text = json.dumps(
        [[rule, points] for rule, points in points], separators=(",", ":")
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Score(models.Model):
    """A lead's score at one moment. A new row is written only when it changes."""

    # No index of its own: score_lead_time leads with it.
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    scoring_model = models.ForeignKey(
        ScoringModelVersion, on_delete=models.PROTECT, related_name="scores"
    )
    model_version = models.PositiveIntegerField(_("model version"))
    fit = models.PositiveSmallIntegerField(_("fit"))
    intent = models.PositiveSmallIntegerField(_("intent"))
    engagement = models.PositiveSmallIntegerField(_("engagement"))
    # The predictive model's group: 0 unless the scoring model has one.
    ai = models.PositiveSmallIntegerField(_("AI"), default=0)
    total = models.PositiveSmallIntegerField(_("total"))
    band = models.CharField(_("band"), max_length=10, choices=BAND_LABELS)
    # [{"rule", "group", "points", "reason", "is_adjustment"}], in the core's order.
    explanation = models.JSONField(_("explanation"), default=list)
    # rule_points_digest() of the explanation; empty on rows written before
    # it existed or by a writer that leaves it out: those are read and decoded.
    rule_points_digest = models.CharField(
        _("rule points digest"),
        max_length=32,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    trigger = models.CharField(_("trigger"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        indexes = [
            models.Index(fields=["lead", "-computed_at"], name="score_lead_time")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__lte=100), name="score_total_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.total} ({self.band}) v{self.model_version}"


class BandChange(models.Model):
    """A lead moved to another band. Triage works through the unhandled ones."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="band_changes"
    )
    score = models.OneToOneField(
        Score, on_delete=models.CASCADE, related_name="band_change"
    )
    from_band = models.CharField(
        _("from band"), max_length=10, choices=BAND_LABELS, blank=True
    )
    to_band = models.CharField(_("to band"), max_length=10, choices=BAND_LABELS)
    changed_at = models.DateTimeField(_("changed at"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("band change")
        verbose_name_plural = _("band changes")
        indexes = [
            models.Index(fields=["handled_at", "changed_at"], name="bandchange_queue")
        ]

    def __str__(self) -> str:
        return f"{self.from_band or 'new'} → {self.to_band}"
