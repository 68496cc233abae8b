from __future__ import annotations

from django.contrib import admin

from leadqual.accounts.models import ApiToken, OwnerProfile


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are issued with `leadqual create-token`; here they can be revoked."""

    list_display = (
        "name",
        "prefix",
        "user",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    # Scopes are chosen when the token is issued; for others, issue a new token.
    readonly_fields = ("prefix", "scopes", "created_at", "last_used_at")
    fields = (
        "name",
        "prefix",
        "user",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(OwnerProfile)
class OwnerProfileAdmin(admin.ModelAdmin[OwnerProfile]):
    """Where admins set who is away, capacities and who covers which region or sector."""

    list_display = (
        "user",
        "is_away",
        "capacity",
        "regions",
        "sectors",
        "last_assigned_at",
    )
    list_editable = ("is_away", "capacity")
    readonly_fields = ("last_assigned_at",)
