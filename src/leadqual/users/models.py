"""API tokens. Users are Django's; roles are Django groups (see roles.py)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadqual.users.scopes import Scope, default_scopes, grants


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a SHA-256 digest of it is stored."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        _("prefix"),
        max_length=16,
        editable=False,
        help_text=_("The first characters, to recognise it."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text=_(
            "The token acts for this user, with at most their rights: it sees "
            "their leads, and stops working when they are deactivated. Empty: a "
            "machine token."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    scopes = models.JSONField(
        _("scopes"),
        default=default_scopes,
        blank=True,
        help_text=_(
            "What the token may do: read, write_events, write_leads, admin "
            "(admin includes the others)."
        ),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, *, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now

    def has_scope(self, scope: Scope) -> bool:
        """Whether the token may use operations that need ``scope``."""
        return grants(self.scopes if isinstance(self.scopes, list) else [], scope)


class OwnerProfile(models.Model):
    """How a salesperson takes leads: availability, capacity and specialisms."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owner_profile"
    )
    is_away = models.BooleanField(
        _("away"), default=False, help_text=_("Away owners get no new leads.")
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("The most open follow-up tasks at once; empty: no limit."),
    )
    regions = models.JSONField(
        _("regions"),
        default=list,
        blank=True,
        help_text=_("Regions this owner covers."),
    )
    sectors = models.JSONField(
        _("sectors"),
        default=list,
        blank=True,
        help_text=_("Sectors this owner covers."),
    )
    last_assigned_at = models.DateTimeField(
        _("last assigned at"), null=True, blank=True
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Gets escalations when this owner misses an SLA."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of alert emails; empty: the site's language."),
    )

    class Meta:
        verbose_name = _("owner profile")
        verbose_name_plural = _("owner profiles")

    def __str__(self) -> str:
        return str(self.user)


class LoginFailure(models.Model):
    """One failed login, kept for an hour to throttle password guessing.

    Only the lower-cased username and a salted hash of the client address are
    stored; rows older than the window are deleted as new ones arrive (see
    users.throttling).
    """

    username = models.CharField(_("username"), max_length=150)
    # HMAC-SHA256 of the client address, keyed with SECRET_KEY: 64 hex digits.
    address_hash = models.CharField(_("address hash"), max_length=64)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("login failure")
        verbose_name_plural = _("login failures")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["username", "at"], name="accounts_failure_user_idx"),
            models.Index(
                fields=["address_hash", "at"], name="accounts_failure_address_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} at {self.at:%Y-%m-%d %H:%M}"
