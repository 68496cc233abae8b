"""Script files that other websites include from leadqual, at stable URLs.

The tracking script (``/t.js``) and the form's embed script (``/form/embed.js``)
are pasted into the business's website once, so their addresses carry no
version: browsers and proxies keep them an hour, and an ETag lets them check
for a new release cheaply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse

# Browsers and proxies may keep a script an hour; a new release reaches
# every site within that hour without a version in the URL.
SCRIPT_MAX_AGE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class ScriptFile:
    content: bytes
    etag: str


@cache
def read_script(path: Path) -> ScriptFile:
    """The file's bytes and a strong ETag over them, read once per process."""
    content = path.read_bytes()
    return ScriptFile(content, f'"{hashlib.sha256(content).hexdigest()[:32]}"')


def script_response(request: HttpRequest, path: Path) -> HttpResponse:
    """The script at ``path`` for any site to include, or 304 if the ETag matches."""
    script = read_script(path)
    if request.headers.get("If-None-Match") == script.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(
            script.content, content_type="text/javascript; charset=utf-8"
        )
    response["ETag"] = script.etag
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE_SECONDS}"
    # Loaded by other sites' pages, also those that set Cross-Origin-Embedder-Policy.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
