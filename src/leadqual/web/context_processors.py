"""Template context for every page: the queue badge in the menu."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from leadqual.triage.queries import QueueBadge, queue_badge


def queue_badge_context(request: HttpRequest) -> dict[str, object]:
    """``queue_badge``: the signed-in user's counts, queried once when shown."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}

    def badge() -> QueueBadge:
        return queue_badge(user.pk, now=timezone.now())

    return {"queue_badge": SimpleLazyObject(badge)}
