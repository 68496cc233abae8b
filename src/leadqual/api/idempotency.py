"""``Idempotency-Key``: a retried API write answers as the first time, writes nothing.

A client that sends ``Idempotency-Key: <up to 200 characters>`` on
``POST /api/v1/leads``, ``/api/v1/events`` or ``/api/v1/leads/{id}/feedback``
may send the same request again after a timeout or a crash, as often as it
likes, for 24 hours:

- The first successful (2xx) answer is stored with the token, the key and a
  SHA-256 digest of the method, path and body, in the same transaction as the
  write itself: after a crash either both exist or neither does.
- A retry with the same token, key and request gets that answer again (same
  status, same body) with ``Idempotent-Replayed: true`` and writes nothing.
- The same key with another request is refused: 422 ``idempotency_key_reused``.
- A retry that arrives while the first is still running waits for it and then
  gets the stored answer: on SQLite every write transaction takes the write
  lock at BEGIN (``transaction_mode="IMMEDIATE"``), on PostgreSQL the second
  insert of the key waits on the unique index until the first commits.
- Error answers are not stored: the failed request wrote nothing, so a retry
  (perhaps after fixing the cause) runs again.
- Erasing a person (privacy) wipes every stored answer about them: the body
  and the digest are emptied, and a retry with that key answers 422
  ``idempotency_key_erased`` and writes nothing, until the key expires.

The rows are an API concern and are kept here, beside the decorator that uses
them, rather than in an app's services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, Final, TypeVar

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.db.models import Field, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from leadqual.api.errors import error_body, quote
from leadqual.core.personal_data import ErasedPerson
from leadqual.intake.models import IdempotentRequest
from leadqual.privacy.erasure import mentioning
from leadqual.users.models import ApiToken
from leadqual.users.services import authenticate_token

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
MAX_KEY_LENGTH: Final = 200
KEY_LIFETIME: Final = timedelta(hours=24)
# Ninja's JSON renderer answers with this type; a replay must look the same.
JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
# The digest of a stored answer that was erased with the person it was about.
ERASED_DIGEST: Final = ""

HEADER_PARAMETER: Final[dict[str, object]] = {
    "in": "header",
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": (
        "Makes the request safe to retry: a unique value per request (for example a "
        "UUID), at most 200 characters. A retry with the same key and the same body "
        "within 24 hours returns the first answer (same status and body, header "
        "`Idempotent-Replayed: true`) and writes nothing. The same key with another "
        "body answers 422 `idempotency_key_reused`. A retry that arrives while the "
        "first request still runs waits for it. When the person the answer was about "
        "has been erased, a retry answers 422 `idempotency_key_erased`."
    ),
}

RunFunc = Callable[..., HttpResponseBase]
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


def idempotent(view_func: ViewFunc) -> ViewFunc:
    """Make a write operation honour ``Idempotency-Key``; put it below ``@router.post``.

    Wraps Ninja's whole run of the operation (authentication, parsing, the
    view and rendering) in one transaction, and documents the header in the
    OpenAPI schema.
    """
    operation: Operation | None = getattr(view_func, "_ninja_operation", None)
    if operation is not None:
        _document_header(operation)
    else:
        contribute_operation_callback(view_func, _document_header)
    return decorate_view(_run_once)(view_func)


def _document_header(operation: Operation) -> None:
    extra: dict[str, Any] = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), HEADER_PARAMETER]
    operation.openapi_extra = extra


def _run_once(run: RunFunc) -> RunFunc:
    """Ninja's ``Operation.run``, answered from the stored response on a retry."""

    @wraps(run)
    def run_once(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return run(request, **kwargs)
        token = _token_of(request)
        if token is None:
            # Ninja's authentication answers 401 with the reason.
            return run(request, **kwargs)
        problem = key_problem(key)
        if problem is not None:
            return _error(422, "invalid_idempotency_key", problem)
        try:
            digest = request_digest(request)
        except RequestDataTooBig:
            # Ninja's handler answers 413 with advice.
            return run(request, **kwargs)
        now = timezone.now()
        with transaction.atomic():
            prune_expired_keys(now=now)
            claimed = _claim(token, key.strip(), digest, request=request, now=now)
            if claimed.response_status != 0:
                return _replay(claimed, digest)
            response = run(request, **kwargs)
            if 200 <= response.status_code < 300 and isinstance(response, HttpResponse):
                claimed.response_status = response.status_code
                claimed.response_body = response.content.decode("utf-8")
                claimed.save(update_fields=["response_status", "response_body"])
            else:
                claimed.delete()
            return response

    return run_once


def _token_of(request: HttpRequest) -> ApiToken | None:
    """The usable token of the Authorization header, or None for Ninja to refuse."""
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return authenticate_token(secret.strip(), now=timezone.now())


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an idempotency key, or None when it can."""
    if not key.strip():
        return _(
            "The Idempotency-Key header is empty. Send a unique value per request, "
            "for example a UUID, or leave the header out."
        )
    if len(key.strip()) > MAX_KEY_LENGTH:
        return _(
            "The Idempotency-Key header is %(length)s characters long; at most "
            "%(limit)s are allowed. Use a shorter unique value, for example a UUID."
        ) % {"length": len(key.strip()), "limit": MAX_KEY_LENGTH}
    return None


def request_digest(request: HttpRequest) -> str:
    """SHA-256 of the method, path and body: what makes two requests the same."""
    digest = hashlib.sha256()
    digest.update(request.method.encode("ascii") if request.method else b"")
    digest.update(b"\n" + request.get_full_path().encode("utf-8") + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def prune_expired_keys(*, now: datetime) -> int:
    """Delete the stored answers older than 24 hours; returns how many."""
    deleted, _kinds = IdempotentRequest.objects.filter(
        created_at__lte=now - KEY_LIFETIME
    ).delete()
    return deleted


def _claim(
    token: ApiToken, key: str, digest: str, *, request: HttpRequest, now: datetime
) -> IdempotentRequest:
    """The stored answer for this key, or a new placeholder row (status 0) claiming it.

    Call inside the transaction of the write: the placeholder is visible to
    no one else until it holds the answer and commits.
    """
    while True:
        stored = IdempotentRequest.objects.filter(token=token, key=key).first()
        if stored is not None:
            return stored
        claim = IdempotentRequest(
            token=token,
            key=key,
            request_digest=digest,
            method=request.method or "",
            path=request.get_full_path()[:255],
            response_status=0,
            response_body="",
            created_at=now,
        )
        try:
            with transaction.atomic():
                claim.save(force_insert=True)
        except IntegrityError:
            # A request with the same key committed first (on PostgreSQL this
            # insert waited for it): read its answer on the next pass.
            continue
        return claim


def erase_answers(person: ErasedPerson) -> int:
    """Wipe the stored answers about an erased person; returns how many.

    An answer is about the person when it names one of their identifiers
    (a created lead, a rescored lead in an event batch) or its path names
    one of their leads (feedback). Its body and digest are emptied and its
    key stays, so a retry is answered ``idempotency_key_erased`` instead of
    running again. A key that itself names the person is deleted with its
    answer. Privacy calls this inside the erasure's transaction.
    """
    matcher = person.matcher()
    key_field = IdempotentRequest._meta.get_field("key")
    body_field = IdempotentRequest._meta.get_field("response_body")
    assert isinstance(key_field, Field) and isinstance(body_field, Field)
    rows = IdempotentRequest.objects.all()
    named = [
        row.pk
        for row in mentioning(rows, [key_field], matcher)
        if matcher.mentions(row.key)
    ]
    deleted, _by_model = IdempotentRequest.objects.filter(pk__in=named).delete()
    about = Q(
        pk__in=[
            row.pk
            for row in mentioning(rows, [body_field], matcher)
            if matcher.mentions(row.response_body)
        ]
    )
    for lead_id in person.lead_ids:
        about |= Q(path__contains=f"/leads/{lead_id}/") | Q(
            path__endswith=f"/leads/{lead_id}"
        )
    wiped = (
        IdempotentRequest.objects.filter(about)
        .exclude(request_digest=ERASED_DIGEST)
        .update(response_body="", request_digest=ERASED_DIGEST)
    )
    return deleted + wiped


def _replay(stored: IdempotentRequest, digest: str) -> HttpResponse:
    """The stored answer again, or 422 when the key was used for another request
    or its answer was erased."""
    if stored.request_digest == ERASED_DIGEST:
        message = _(
            "The answer to the request with Idempotency-Key %(key)s was erased, "
            "together with the person it was about, on their request. Nothing was "
            "written now. If this request is still needed, send it with a new key."
        ) % {"key": quote(stored.key)}
        return _error(422, "idempotency_key_erased", message)
    if stored.request_digest != digest:
        message = _(
            "The Idempotency-Key %(key)s was already used at %(used_at)s for another "
            "request (%(method)s %(path)s with a different body). Send a new key "
            "with every new request; a key is kept for 24 hours."
        ) % {
            "key": quote(stored.key),
            "used_at": stored.created_at.isoformat(timespec="seconds"),
            "method": stored.method,
            "path": stored.path,
        }
        return _error(422, "idempotency_key_reused", message)
    response = HttpResponse(
        stored.response_body,
        status=stored.response_status,
        content_type=JSON_CONTENT_TYPE,
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        error_body(code, message, {IDEMPOTENCY_HEADER: message}), status=status
    )


__all__ = [
    "IDEMPOTENCY_HEADER",
    "KEY_LIFETIME",
    "MAX_KEY_LENGTH",
    "REPLAYED_HEADER",
    "erase_answers",
    "idempotent",
    "key_problem",
    "prune_expired_keys",
    "request_digest",
]
