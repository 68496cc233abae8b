"""Typed, strict readers for environment variables.

Each reader takes the variable's name and a default that works on a laptop,
and raises ImproperlyConfigured naming the variable, the bad value and what
is accepted. ``READ_VARIABLES`` records every name read, so a test can check
``.env.example`` against it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

READ_VARIABLES: set[str] = set()

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    READ_VARIABLES.add(name)
    source = os.environ if environ is None else environ
    value = source.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(
    name: str, default: str, *, environ: Mapping[str, str] | None = None
) -> str:
    """A text value; the default when unset or empty."""
    value = _raw(name, environ)
    return default if value is None else value


def env_optional_str(
    name: str, *, environ: Mapping[str, str] | None = None
) -> str | None:
    """A text value, or None when unset or empty."""
    return _raw(name, environ)


def env_bool(
    name: str, *, default: bool, environ: Mapping[str, str] | None = None
) -> bool:
    """true/false/1/0/yes/no/on/off in any case."""
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f'{name} must be true or false (also accepted: 1/0, yes/no, on/off), got "{value}".'
    )


def _bounds(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {minimum} and {maximum}"
    if minimum is not None:
        return f"at least {minimum}"
    return f"at most {maximum}"


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """A whole number, optionally within minimum..maximum."""
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f'{name} must be a whole number, got "{value}".'
        ) from None
    if (minimum is not None and number < minimum) or (
        maximum is not None and number > maximum
    ):
        raise ImproperlyConfigured(
            f"{name} must be {_bounds(minimum, maximum)}, got {number}."
        )
    return number


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(
    name: str, default: Path, *, environ: Mapping[str, str] | None = None
) -> Path:
    """A filesystem path, made absolute."""
    value = _raw(name, environ)
    return (Path(value) if value is not None else default).expanduser().resolve()


def env_secret(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """A secret from ``NAME_FILE`` (a path, which wins) or from ``NAME``."""
    file_name = f"{name}_FILE"
    path = _raw(file_name, environ)
    value = _raw(name, environ)  # read both, so READ_VARIABLES lists both
    if path is not None:
        try:
            secret = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f'{file_name} points to "{path}", which cannot be read: {error.strerror}.'
            ) from None
        if not secret:
            raise ImproperlyConfigured(
                f'{file_name} points to "{path}", which is empty.'
            )
        return secret
    return value
