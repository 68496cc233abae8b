"""Rows the intake app keeps for itself: attempts counted by the form's rate limit."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class FormAttempt(models.Model):
    """One accepted submission of the public form, by a hash of the sender's address.

    Only a salted hash is stored, never the address itself; rows older than the
    rate-limit window are deleted as new ones arrive (see intake.ratelimit).
    """

    # HMAC-SHA256 of the client address, keyed with SECRET_KEY: 64 hex digits.
    address_hash = models.CharField(_("address hash"), max_length=64)
    attempted_at = models.DateTimeField(_("attempted at"), db_index=True)

    class Meta:
        verbose_name = _("form attempt")
        verbose_name_plural = _("form attempts")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["address_hash", "attempted_at"],
                name="intake_attempt_address_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.address_hash[:12]}… at {self.attempted_at:%Y-%m-%d %H:%M}"
