"""The JSON API v1: one NinjaAPI at /api/v1/, one router module per resource.

Every operation needs ``Authorization: Bearer <token>``; every 4xx answer has
the shape ``{"error": {"code", "message", "fields"}}`` (see api/errors.py and
api/schemas.py). The interactive docs at /api/v1/docs use Ninja's bundled
Swagger files, served by the app itself: they work offline.
"""

from __future__ import annotations

from ninja import Swagger

from leadqual.api import events, leads
from leadqual.api.auth import BearerToken
from leadqual.api.errors import LeadqualAPI, install_error_handlers
from leadqual.users.scopes import Scope

api = LeadqualAPI(
    title="leadqual API",
    version="1",
    description=(
        "Leads, events and sales feedback, scored in real time. Authenticate with "
        "`Authorization: Bearer <token>`. Errors: "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    urls_namespace="api-v1",
    # Each operation declares its scope (api/scopes.py); one that forgets needs admin.
    auth=BearerToken(scope=Scope.ADMIN),
    docs=Swagger(),
)
install_error_handlers(api)
api.add_router("/leads", leads.router)
api.add_router("/events", events.router)

__all__ = ["api"]
