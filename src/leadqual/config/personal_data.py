"""Personal data in Django's own models, the job list and the API's stored answers.

See core/personal_data.py. The config app wires Django and the API together,
so it declares their models: Django's admin history and sessions, the
dead-letter list of background jobs, and the API's stored idempotent answers
(``intake.IdempotentRequest``, owned by api/idempotency.py, which erases them).
"""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from leadqual.api.idempotency import erase_answers
from leadqual.core.personal_data import (
    ERASED_MARK,
    ErasedPerson,
    Erasure,
    Matcher,
    PersonalFields,
)
from leadqual.leads.models import Lead


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


def _mentions(value: object, matcher: Matcher) -> bool:
    return any(matcher.mentions(text) for text in _strings(value))


def erase_admin_history(person: ErasedPerson) -> int:
    """Blank the name of the person's leads in the Django admin's history.

    The history names a lead by ``str(lead)``: their name or email.
    """
    rows = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id__in=[str(lead_id) for lead_id in person.lead_ids],
    )
    matcher = person.own_matcher()
    changed = 0
    for entry in rows:
        message = matcher.scrub_text(entry.change_message)
        if entry.object_repr != ERASED_MARK or message != entry.change_message:
            LogEntry.objects.filter(pk=entry.pk).update(
                object_repr=ERASED_MARK, change_message=message
            )
            changed += 1
    return changed


def erase_sessions(person: ErasedPerson) -> int:
    """Delete the sessions whose data mentions the person (a pending message).

    Session data is signed and encoded, so the sweep cannot read it; the
    staff member of such a session logs in again.
    """
    matcher = person.matcher()
    store = SessionStore()
    doomed = [
        session.pk
        for session in Session.objects.all()
        if _mentions(store.decode(session.session_data), matcher)
    ]
    deleted, _by_model = Session.objects.filter(pk__in=doomed).delete()
    return deleted


PERSONAL_DATA = (
    PersonalFields(
        "admin.LogEntry",
        personal=("object_repr", "change_message"),
        not_personal=("object_id",),
        erasure=Erasure.SCRUB,
        erase=erase_admin_history,
    ),
    # Staff and Django's bookkeeping: not about leads.
    PersonalFields("auth.Permission", not_personal=("name", "codename")),
    PersonalFields("auth.Group", not_personal=("name",)),
    PersonalFields(
        "auth.User",
        not_personal=("password", "username", "first_name", "last_name", "email"),
    ),
    PersonalFields("contenttypes.ContentType", not_personal=("app_label", "model")),
    PersonalFields(
        "sessions.Session",
        personal=("session_data",),
        erasure=Erasure.DELETE,
        erase=erase_sessions,
    ),
    # Task arguments are ids (STYLE.md), but an error text may quote a value.
    PersonalFields(
        "leadqual_config.FailedJob",
        personal=("args", "kwargs", "error", "traceback"),
        not_personal=("task_name", "task_id", "retried_task_id"),
    ),
    # An answer repeats the lead (email, name, company) or a feedback note.
    PersonalFields(
        "intake.IdempotentRequest",
        personal=("key", "request_digest", "response_body"),
        not_personal=("method", "path"),
        erasure=Erasure.CLEAR,
        erase=erase_answers,
    ),
)
