"""Companies, leads and the events they produce."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadqual.core.bands import Band
from leadqual.core.display import unicode_email
from leadqual.core.events import EventType
from leadqual.core.lifecycle import LeadStatus
from leadqual.core.profile import Urgency
from leadqual.db import NullsLastIndex

BAND_LABELS = {Band.COLD: _("Cold"), Band.WARM: _("Warm"), Band.HOT: _("Hot")}
STATUS_LABELS = {
    LeadStatus.NEW: _("New"),
    LeadStatus.ACCEPTED: _("Accepted"),
    LeadStatus.REJECTED: _("Rejected"),
    LeadStatus.OPPORTUNITY: _("Opportunity"),
    LeadStatus.WON: _("Won"),
    LeadStatus.LOST: _("Lost"),
}
URGENCY_LABELS = {
    Urgency.IMMEDIATE: _("Now"),
    Urgency.WITHIN_3_MONTHS: _("Within 3 months"),
    Urgency.WITHIN_12_MONTHS: _("Within 12 months"),
    Urgency.EXPLORING: _("Just exploring"),
}
EVENT_TYPE_LABELS = {
    EventType.PAGE_VIEW: _("Page view"),
    EventType.FORM_SUBMIT: _("Form submitted"),
    EventType.EMAIL_OPEN: _("Email opened"),
    EventType.EMAIL_CLICK: _("Email link clicked"),
    EventType.EMAIL_REPLY: _("Email reply"),
    EventType.DOWNLOAD: _("Download"),
    EventType.DEMO_REQUEST: _("Demo request"),
    EventType.MEETING: _("Meeting"),
    EventType.WEBINAR: _("Webinar or event"),
    EventType.CHAT: _("Chat"),
    EventType.UNSUBSCRIBE: _("Unsubscribed"),
    EventType.BOUNCE: _("Bounced"),
    EventType.INTENT_SIGNAL: _("Intent signal"),
}


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    # Normalised for matching: lower case, no legal form ("B.V."), single spaces.
    normalised_name = models.CharField(max_length=200, db_index=True, editable=False)
    domain = models.CharField(_("domain"), max_length=253, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # Company facts from enrichment (intake.enrichment), with where and when.
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    size_band = models.CharField(_("size band"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    enrichment_source = models.CharField(
        _("enrichment source"), max_length=100, blank=True
    )
    enriched_at = models.DateTimeField(_("enriched at"), null=True, blank=True)

    # The account (everyone we know at this company) as a whole.
    account_score = models.PositiveSmallIntegerField(
        _("account score"), null=True, blank=True
    )
    engaged_contacts = models.PositiveSmallIntegerField(
        _("engaged contacts"), default=0
    )
    account_scored_at = models.DateTimeField(
        _("account scored at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        # The accounts list: highest account score first, then by name.
        indexes = [
            NullsLastIndex(
                fields=["-account_score", "name", "id"], name="account_list"
            ),
            # The accounts list's filter choices: one lookup per value.
            models.Index(fields=["sector"], name="company_sector"),
            models.Index(fields=["country"], name="company_country"),
        ]

    def __str__(self) -> str:
        return self.name


# A lead lacking one of the key fields the data-quality page counts.
LACKS_FIELD = {
    "company": models.Q(company__isnull=True),
    "sector": models.Q(sector=""),
    "budget": models.Q(budget_euros__isnull=True),
    "phone": models.Q(phone=""),
}
LACKS_KEY_FIELD = (
    LACKS_FIELD["company"]
    | LACKS_FIELD["sector"]
    | LACKS_FIELD["budget"]
    | LACKS_FIELD["phone"]
)


class Lead(models.Model):
    """A person we may sell to. ``email`` is stored normalised and is unique."""

    email = models.CharField(_("email"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    # No index of its own: lead_company_owner leads with it.
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        db_index=False,
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    budget_euros = models.PositiveIntegerField(
        _("budget (euros)"), null=True, blank=True
    )
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=URGENCY_LABELS, blank=True
    )
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. NL")
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)

    phone_country = models.CharField(_("phone country"), max_length=2, blank=True)
    # Contactability, set by unsubscribe and hard-bounce events.
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    hard_bounced_at = models.DateTimeField(_("email bounced at"), null=True, blank=True)
    # Fields filled by enrichment rather than typed by the lead:
    # {"sector": {"source": "offline", "at": "2026-11-27T10:00:00+00:00"}}.
    enriched_fields = models.JSONField(_("enriched fields"), default=dict, blank=True)
    # Set when the person was erased or anonymised (privacy): the row stays for
    # the KPIs, but scoring and triage leave it alone.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    consent_given = models.BooleanField(_("consent given"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_text_version = models.CharField(
        _("consent text version"), max_length=50, blank=True
    )

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=STATUS_LABELS,
        default=LeadStatus.NEW,
    )
    # No index of its own: lead_list_by_owner leads with it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_leads",
        db_index=False,
    )

    # The latest score, copied from scoring.Score for sorting and filtering.
    score_total = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    band = models.CharField(_("band"), max_length=10, choices=BAND_LABELS, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    # The approved predictive model's chance that the lead converts, in whole
    # percent (modelling refreshes it); rules of the ai group read it.
    ai_probability = models.PositiveSmallIntegerField(
        _("predicted chance (%)"), null=True, blank=True
    )
    # When requalification last looked at the lead, whether or not its score
    # changed (scored_at moves only with a changed score).
    requalified_at = models.DateTimeField(_("requalified at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    # Blocking keys of duplicate detection (core.duplicates), "" for none: an
    # arriving lead is compared only with the leads sharing one of them.
    # Written by leads.duplicates.refresh_duplicate_candidates only.
    company_match_key = models.CharField(max_length=200, blank=True, editable=False)
    domain_match_key = models.CharField(max_length=253, blank=True, editable=False)
    phone_match_key = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            # The lead list: highest score first, whole or by one filter; its
            # page of 25 is read from the index, never sorted (docs/performance.md).
            NullsLastIndex(fields=["-score_total", "-id"], name="lead_list"),
            NullsLastIndex(
                fields=["band", "-score_total", "-id"], name="lead_list_by_band"
            ),
            NullsLastIndex(
                fields=["status", "-score_total", "-id"], name="lead_list_by_status"
            ),
            NullsLastIndex(
                fields=["source", "-score_total", "-id"], name="lead_list_by_source"
            ),
            NullsLastIndex(
                fields=["owner", "-score_total", "-id"], name="lead_list_by_owner"
            ),
            # A seller's source choices: one lookup per source and owner.
            models.Index(fields=["owner", "source"], name="lead_sources_by_owner"),
            # A seller's sector and country choices: whether a company has a
            # lead of theirs, without walking all their leads.
            models.Index(fields=["company", "owner"], name="lead_company_owner"),
            # The data-quality page: stale leads, longest untouched first.
            models.Index(fields=["updated_at", "id"], name="lead_stale"),
            # Only the leads lacking a field are indexed.
            models.Index(
                fields=["-created_at", "-id"],
                condition=LACKS_KEY_FIELD,
                name="lead_lacking_key_field",
            ),
            # The company's foreign-key index counts leads without a company.
            *(
                models.Index(
                    fields=["id"], condition=condition, name=f"lead_lacking_{name}"
                )
                for name, condition in LACKS_FIELD.items()
                if name != "company"
            ),
            models.Index(fields=["company_match_key"], name="lead_company_match_key"),
            models.Index(fields=["domain_match_key"], name="lead_domain_match_key"),
            models.Index(fields=["phone_match_key"], name="lead_phone_match_key"),
        ]

    def __str__(self) -> str:
        return self.shown_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def shown_name(self) -> str:
        """The name, or else the address with its domain in Unicode."""
        return self.full_name or unicode_email(self.email)


class Event(models.Model):
    """Something a lead did.

    ``external_id`` makes a replayed event a no-op, but only among events of
    the same lead from the same sender: two integrations may number their
    events alike, and one integration may reuse a number for another lead.
    """

    # No index of its own: event_lead_time leads with it.
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    type = models.CharField(_("type"), max_length=30, choices=EVENT_TYPE_LABELS)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    # Who numbered external_id when the source alone does not say: the API
    # token ("token:12"). Empty where the source is the sender (a webhook
    # tool, the tracker, an import).
    sender = models.CharField(_("sender"), max_length=100, blank=True, default="")
    # NULL, not "", means "no id": only events with an id take part in the
    # unique constraint below.
    external_id = models.CharField(  # noqa: DJ001
        _("external id"), max_length=200, null=True, blank=True
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["lead", "occurred_at"], name="event_lead_time"),
            # A lead's latest event of a type, and its events of a type in a
            # window, without reading the rest of its history.
            models.Index(
                fields=["lead", "type", "occurred_at"], name="event_lead_type_time"
            ),
            models.Index(fields=["external_id"], name="event_external_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "source", "sender", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="event_external_id_per_lead_and_sender",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M}"


class LeadMerge(models.Model):
    """A duplicate lead merged into another, reversible for 30 days.

    The duplicate's own fields are kept in ``snapshot`` and the ids of the rows
    moved to the survivor in ``moved_rows`` ({"events": [1, 2], ...}), so
    undoing the merge recreates the duplicate and moves exactly those rows back.
    """

    survivor = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="merges")
    merged_email = models.CharField(_("merged email"), max_length=254)
    snapshot = models.JSONField(_("snapshot"), default=dict)
    moved_rows = models.JSONField(_("moved rows"), default=dict)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead merge")
        verbose_name_plural = _("lead merges")

    def __str__(self) -> str:
        return f"{self.merged_email} → {self.survivor_id}"


class DuplicateCandidate(models.Model):
    """Two leads that may be one person (core.duplicates), kept as leads arrive.

    ``first`` has the lower id. Rows are written only by leads.duplicates,
    per arriving batch, and go with either lead (merge, erasure).
    ``reasons`` lists DuplicateReason values; ``reason_count`` is their number,
    stored for the page's order: most reasons, then most similar, first.
    """

    # No index of its own: duplicate_candidate_once_per_pair leads with it.
    first = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    second = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(_("similarity"))
    reasons = models.JSONField(_("reasons"), default=list)
    reason_count = models.PositiveSmallIntegerField(default=1)
    found_at = models.DateTimeField(_("found at"), default=timezone.now)

    class Meta:
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["first", "second"], name="duplicate_candidate_once_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")),
                name="duplicate_candidate_first_is_older",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-reason_count", "-similarity", "first", "second"],
                name="duplicate_candidate_rank",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"
