"""Privacy records: the audit log, suppressions of erased people, consent history.

None of these rows holds a name, email address or phone number in plain text:
the audit log and suppressions must outlive the erasure of the person they
are about.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leadqual.leads.models import Lead


class AuditAction(models.TextChoices):
    """What someone did with a lead's personal data, or with the scoring model."""

    VIEWED = "viewed", _("Viewed")
    EXPORTED = "exported", _("Exported")
    CHANGED = "changed", _("Changed")
    MERGED = "merged", _("Merged")
    ERASED = "erased", _("Erased")
    ANONYMISED = "anonymised", _("Anonymised")
    # Decisions on the scoring model that scores every lead (no lead_id).
    MODEL_APPROVED = "model_approved", _("Scoring model approved")
    MODEL_REJECTED = "model_rejected", _("Scoring model rejected")


class LawfulBasis(models.TextChoices):
    """The GDPR article 6 ground a lead's data is processed on."""

    CONSENT = "consent", _("Consent")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    CONTRACT = "contract", _("Contract")


class AuditEntry(models.Model):
    """Who viewed, exported, changed or erased which lead, and when.

    ``lead_id`` is a plain number, not a foreign key, so the entry survives
    the erasure (and deletion) of the lead. ``detail`` never holds personal
    data: it names fields and counts, not values.
    """

    actor = models.CharField(
        _("who"),
        max_length=150,
        help_text=_("A username, an API token's name or the command line."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    lead_id = models.BigIntegerField(_("lead id"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        # The audit log page, newest first, unfiltered and by each of its
        # filters (tests/web/test_paging_everywhere.py). Each also serves what
        # a single-column index on its first field did (erasure by lead id,
        # retention by age).
        indexes = [
            models.Index(fields=["at", "id"], name="audit_log"),
            models.Index(fields=["lead_id", "at", "id"], name="audit_log_by_lead"),
            models.Index(fields=["actor", "at", "id"], name="audit_log_by_actor"),
            models.Index(fields=["action", "at", "id"], name="audit_log_by_action"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} lead {self.lead_id}"

    @property
    def shown_detail(self) -> str:
        """The detail in the page's language when the app wrote it; else as stored.

        The stored detail is the record and stays in English.
        """
        label = _AUDIT_DETAIL_LABELS.get(self.detail)
        if label is not None:
            return str(label)
        for pattern, template in _AUDIT_DETAIL_PATTERNS:
            found = pattern.fullmatch(self.detail)
            if found:
                return str(template) % found.groupdict()
        return self.detail


# The fixed details the app writes (pages viewed, lead page panels changed).
_AUDIT_DETAIL_LABELS = {
    "lead page": pgettext_lazy("audit detail", "lead page"),
    "privacy page": pgettext_lazy("audit detail", "privacy page"),
    "reopened": pgettext_lazy("audit detail", "reopened"),
    "reopen undone": pgettext_lazy("audit detail", "reopen undone"),
    "bant": pgettext_lazy("audit detail", "qualification checklist"),
    "first_contact": pgettext_lazy("audit detail", "first contact"),
    "feedback": pgettext_lazy("audit detail", "sales feedback"),
    "outcome": pgettext_lazy("audit detail", "outcome"),
    "notes": pgettext_lazy("audit detail", "note or call"),
    "owner": pgettext_lazy("audit detail", "owner"),
}
_AUDIT_DETAIL_PATTERNS = [
    (
        re.compile(r"lead (?P<lead>\d+) merged in \(merge (?P<merge>\d+)\)"),
        pgettext_lazy("audit detail", "lead %(lead)s merged in (merge %(merge)s)"),
    ),
    (
        re.compile(r"format (?P<format>\w+)"),
        pgettext_lazy("audit detail", "format %(format)s"),
    ),
    (
        re.compile(r"corrected (?P<fields>.+)"),
        pgettext_lazy("audit detail", "corrected %(fields)s"),
    ),
    # Decisions on the scoring model (web/model_pages.py); a rejection's
    # reason is shown as it was written.
    (
        re.compile(r"scoring model v(?P<version>\d+)"),
        pgettext_lazy("audit detail", "scoring model v%(version)s"),
    ),
    (
        re.compile(r"scoring model v(?P<version>\d+): imported"),
        pgettext_lazy("audit detail", "scoring model v%(version)s: imported"),
    ),
    (
        re.compile(r"scoring model v(?P<version>\d+): points of (?P<rules>.+)"),
        pgettext_lazy(
            "audit detail", "scoring model v%(version)s: points of %(rules)s"
        ),
    ),
    (
        re.compile(r"scoring model v(?P<version>\d+): (?P<reason>.+)", re.DOTALL),
        pgettext_lazy("audit detail", "scoring model v%(version)s: %(reason)s"),
    ),
]


class Suppression(models.Model):
    """An erased person who must not come back through any way in.

    Only keyed hashes (HMAC-SHA256 with SECRET_KEY, 64 hex digits) of the
    normalised email and of the E.164 phone are stored, never the values.
    """

    email_hash = models.CharField(_("email hash"), max_length=64, unique=True)
    phone_hash = models.CharField(
        _("phone hash"), max_length=64, blank=True, db_index=True
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")

    def __str__(self) -> str:
        return f"{self.email_hash[:12]}…"


class ConsentRecord(models.Model):
    """One answer to the consent question, or one lawful basis, per lead and source.

    Rows are only ever added: the latest row per lead and source is the
    current state, the earlier ones are its history.
    """

    # No index of its own: privacy_consent_lead_at leads with it.
    lead = models.ForeignKey(
        Lead,
        on_delete=models.CASCADE,
        related_name="consent_records",
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    lawful_basis = models.CharField(
        _("lawful basis"), max_length=30, choices=LawfulBasis.choices
    )
    text_version = models.CharField(
        _("consent text version"), max_length=50, blank=True
    )
    given = models.BooleanField(_("given"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="privacy_consent_lead_at")]

    def __str__(self) -> str:
        state = "given" if self.given else "not given"
        return f"{self.lawful_basis} ({state}) v{self.text_version}"
