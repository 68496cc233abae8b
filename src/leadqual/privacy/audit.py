"""The audit log: one ``audit()`` call per action on a lead's personal data.

Views, commands and services call it explicitly (no signals). ``detail``
must not hold personal data: name fields and counts, never values.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from leadqual.privacy.models import AuditAction, AuditEntry

MAX_ACTOR_LENGTH = 150
MAX_DETAIL_LENGTH = 300


def audit(
    actor: User | AnonymousUser | str | None,
    action: AuditAction,
    lead_id: int | None,
    *,
    detail: str = "",
) -> AuditEntry:
    """Record that ``actor`` (a user, an API token's name or a label) did ``action``.

    Returns the new AuditEntry. Anonymous or missing actors are recorded as
    "anonymous".
    """
    user = None
    if isinstance(actor, User):
        user = actor
        name = actor.get_username()
    elif isinstance(actor, str) and actor:
        name = actor
    else:
        name = "anonymous"
    return AuditEntry.objects.create(
        actor=name[:MAX_ACTOR_LENGTH],
        user=user if user is not None and user.pk is not None else None,
        action=action,
        lead_id=lead_id,
        detail=detail[:MAX_DETAIL_LENGTH],
        at=timezone.now(),
    )


__all__ = ["AuditAction", "audit"]
