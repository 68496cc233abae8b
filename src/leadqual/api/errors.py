"""One JSON error shape for every 4xx answer of the API.

``{"error": {"code": "...", "message": "...", "fields": {"path": "message"}}}``

Domain errors (LeadqualError), Ninja's validation errors, authentication
errors, HttpError and Http404 are each translated here, once.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import (
    AuthenticationError,
    HttpError,
    ValidationError,
    ValidationErrorContext,
)
from pydantic import BaseModel

from leadqual.core.errors import LeadNotFound, LeadqualError, NoActiveScoringModel
from leadqual.users.scopes import MissingScope, RoleNotAllowed

# Every operation names its body parameter "payload"; clients never see the name,
# so it is dropped from error paths (tests/api/test_error_shape.py checks this).
BODY_PARAMETER = "payload"
_MAX_QUOTED_CHARS = 80


def error_body(
    code: str, message: str, fields: Mapping[str, str] | None = None
) -> dict[str, dict[str, object]]:
    """The common error shape as a JSON-ready dict."""
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def quote(value: object) -> str:
    """A client's value as JSON, shortened, for use inside a message."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        text = repr(value)
    if len(text) > _MAX_QUOTED_CHARS:
        text = text[: _MAX_QUOTED_CHARS - 1] + "…"
    return text


# --- validation errors -------------------------------------------------------------


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models inside a type annotation (Optional, list, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in typing.get_args(annotation):
        found.extend(_models_in(argument))
    return found


def _known_fields(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    """The field names of the schema found at ``path`` below ``model``."""
    current: type[BaseModel] | None = model
    for step in path:
        if current is None:
            return []
        if isinstance(step, int):
            continue
        field = current.model_fields.get(step)
        if field is None:
            return []
        candidates = _models_in(field.annotation)
        current = candidates[0] if candidates else None
    return list(current.model_fields) if current is not None else []


def _field_message(error: Mapping[str, Any], known: Sequence[str]) -> str:
    """A message for one pydantic error that quotes the bad value."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    has_input = "input_value" in error
    value = quote(error.get("input_value")) if has_input else ""
    if kind == "missing":
        return _("is required.")
    if kind == "extra_forbidden":
        return _("is not a known field; remove it. Known fields: %(known)s.") % {
            "known": ", ".join(known) or _("see /api/v1/docs")
        }
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("%(value)s is not a whole number. Use digits, for example 25.") % {
            "value": value
        }
    if kind in ("too_long", "string_too_long"):
        if kind == "too_long":
            return _(
                "has %(actual)s items; at most %(limit)s are allowed. "
                "Split them over several requests."
            ) % {
                "actual": f"{ctx.get('actual_length', '?'):,}",
                "limit": f"{ctx.get('max_length', '?'):,}",
            }
        return _("is %(actual)s characters long; at most %(limit)s are allowed.") % {
            "actual": len(str(error.get("input_value", ""))),
            "limit": ctx.get("max_length", "?"),
        }
    if kind == "greater_than_equal":
        return _("must be %(limit)s or more, got %(value)s.") % {
            "limit": ctx.get("ge"),
            "value": value,
        }
    if kind == "less_than_equal":
        return _("must be %(limit)s or less, got %(value)s.") % {
            "limit": ctx.get("le"),
            "value": value,
        }
    if kind == "enum":
        return _("%(value)s is not allowed. Use one of %(expected)s.") % {
            "value": value,
            "expected": ctx.get("expected", ""),
        }
    if kind == "timezone_aware":
        return _(
            "%(value)s has no time zone. Add an offset, for example "
            "2026-11-27T10:15:00+01:00, or Z for UTC."
        ) % {"value": value}
    if kind.startswith(("datetime_", "date_")):
        return _(
            "%(value)s is not a date and time. Use ISO 8601, for example "
            "2026-11-27T10:15:00+01:00."
        ) % {"value": value}
    if kind.startswith("bool_"):
        return _("%(value)s is not true or false.") % {"value": value}
    if kind == "string_type":
        return _("must be text, got %(value)s.") % {"value": value}
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("must be a JSON object, got %(value)s.") % {"value": value}
    if kind == "list_type":
        return _("must be a list, got %(value)s.") % {"value": value}
    message = str(error.get("msg", _("is not valid")))
    if has_input:
        return _("%(problem)s (got %(value)s).") % {"problem": message, "value": value}
    return message


def _field_path(loc: Sequence[str | int]) -> tuple[str, tuple[str | int, ...]]:
    """The client-facing dotted path of a Ninja error location, and its model path.

    Ninja prefixes the source ("body", "query", "path"); a body also carries the
    parameter name, which the client never sent.
    """
    source, *rest = loc
    if source == "body" and rest and rest[0] == BODY_PARAMETER:
        model_path = tuple(rest)
        rest = rest[1:]
    else:
        model_path = tuple(rest)
    path = ".".join(str(step) for step in rest) or str(source)
    return path, model_path


class LeadqualAPI(NinjaAPI):
    """NinjaAPI that keeps the rejected input, so messages can quote it."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        """Build one ValidationError whose items carry ``field`` and ``message``."""
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            for item in context.pydantic_validation_error.errors(include_url=False):
                raw_loc = tuple(item["loc"])
                flat_loc = model.__ninja_flatten_map_reverse__.get(raw_loc, raw_loc)
                loc = (model.__ninja_param_source__, *flat_loc)
                path, model_path = _field_path(loc)
                error: dict[str, Any] = {
                    "type": item["type"],
                    "loc": loc,
                    "msg": item["msg"],
                    "ctx": {
                        key: value
                        if isinstance(value, (int, str, float))
                        else str(value)
                        for key, value in (item.get("ctx") or {}).items()
                    },
                }
                if "input" in item and item["type"] != "missing":
                    error["input_value"] = item["input"]
                known = (
                    _known_fields(model, model_path[:-1])
                    if item["type"] == "extra_forbidden"
                    else []
                )
                error["field"] = path
                error["message"] = _field_message(error, known)
                # The raw input may not be JSON-serialisable; it has served its purpose.
                error.pop("input_value", None)
                errors.append(error)
        return ValidationError(errors)


# --- handlers ----------------------------------------------------------------------

HTTP_ERROR_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    429: "too_many_requests",
}


def status_for(error: LeadqualError) -> int:
    """The HTTP status of a domain error: 404 unknown lead, 403 missing scope or
    role, 503 no model, else 422."""
    if isinstance(error, LeadNotFound):
        return 404
    if isinstance(error, MissingScope | RoleNotAllowed):
        return 403
    if isinstance(error, NoActiveScoringModel):
        return 503
    return 422


def not_authenticated_message() -> str:
    """What to do when the bearer token is missing or unusable."""
    return _(
        'Send a valid API token in the header "Authorization: Bearer <token>". '
        "Ask an admin for a new token if yours was revoked or has expired."
    )


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the translation of every error the API can answer with."""

    def respond(
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        return api.create_response(
            request, error_body(code, message, fields), status=status
        )

    @api.exception_handler(LeadqualError)
    def on_leadqual_error(request: HttpRequest, exc: LeadqualError) -> HttpResponse:
        return respond(request, status_for(exc), exc.code, exc.message, exc.fields)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, str] = {}
        for item in exc.errors:
            path = str(item.get("field") or ".".join(map(str, item.get("loc", ()))))
            message = str(item.get("message") or item.get("msg", ""))
            fields.setdefault(path, message)
        # Each field message is a sentence; joined, they read as a paragraph.
        summary = " ".join(f"{path}: {message}" for path, message in fields.items())
        message = _(
            "The request was not accepted. Fix these fields and send it again: "
            "%(summary)s"
        ) % {"summary": summary}
        return respond(request, 422, "invalid_request", message, fields)

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(
        request: HttpRequest, exc: AuthenticationError
    ) -> HttpResponse:
        message = exc.message
        if message == AuthenticationError().message:
            message = _("The request has no usable API token. %(hint)s") % {
                "hint": not_authenticated_message()
            }
        response = respond(request, exc.status_code, "not_authenticated", message)
        response["WWW-Authenticate"] = 'Bearer realm="leadqual"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # Ninja wraps the JSON parser's error; its position helps the client.
            message = _(
                "The request body is not valid JSON (%(problem)s). "
                'Send a JSON object with "Content-Type: application/json".'
            ) % {"problem": str(exc.__cause__)}
            return respond(request, 400, "malformed_json", message)
        code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
        return respond(request, exc.status_code, code, exc.message)

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        message = str(exc) or _("Nothing was found at %(path)s.") % {
            "path": request.path
        }
        return respond(request, 404, "not_found", message)

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        message = _(
            "The request body is larger than this server accepts. "
            "Send fewer events per request (at most 1,000)."
        )
        return respond(request, 413, "request_too_large", message)


__all__ = [
    "BODY_PARAMETER",
    "LeadqualAPI",
    "error_body",
    "install_error_handlers",
    "quote",
    "status_for",
]
