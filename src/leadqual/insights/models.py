"""Which weekly reports went to whom, so each recipient gets each week once."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WeeklyReportSent(models.Model):
    """One recipient's weekly report of one week: claimed, then sent.

    The row is created (claimed) before the mail goes out, and the unique
    (week, recipient) pair makes a second claim fail, so two workers, a retry
    or a cron run beside the periodic job never send one report twice.
    ``sent_at`` stays empty until the mail server took the mail; a claim
    whose mail failed is deleted so the next try sends it. Internal
    bookkeeping, shown nowhere, hence no translated labels.
    """

    # The Monday of the reported week, in local time.
    week_start = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["week_start", "recipient"],
                name="insights_weekly_report_once_per_week",
            )
        ]

    def __str__(self) -> str:
        return f"weekly report of {self.week_start} to user {self.recipient_id}"


class CampaignCost(models.Model):
    """What marketing spent on one source in one month, for the cost per qualified lead.

    ``month`` is the first day of the month; one amount per source and
    month, entered again it replaces the old one.
    """

    source = models.CharField(_("source"), max_length=100)
    month = models.DateField(_("month"))
    amount_cents = models.PositiveBigIntegerField(_("amount (cents)"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["source", "month"], name="insights_campaign_cost_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="insights_cost_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.month:%Y-%m}: {self.amount_cents} cents"
