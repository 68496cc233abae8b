"""Admin pages of users and access, and the base every leadqual admin page builds on.

``CheckedLookupsAdmin`` refuses list filters whose value no integer column can
hold: ``/admin/leads/lead/?owner=99999999999999999999999`` made SQLite raise
OverflowError and PostgreSQL a DataError, a 500 either way. Such a filter now
goes the way of any bad filter in Django's admin: back to the list, with
``?e=1``. Every registered admin page (Django's user and group pages too) uses
it; tests/users/test_admin.py checks that.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.models import Field, ForeignObject, IntegerField, Model
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from leadqual.users.models import ApiToken, OwnerProfile

ModelT = TypeVar("ModelT", bound=Model)

# Lookups whose value is compared as a number of the column; others (isnull,
# year, contains, ...) are left to Django.
_NUMBER_LOOKUPS = {"exact", "in", "gt", "gte", "lt", "lte", "range"}
_LIST_LOOKUPS = {"in", "range"}


def filtered_field(
    model: type[Model], lookup: str
) -> tuple[Field[object, object] | None, str]:
    """The column a list-filter lookup compares, and its operator.

    ``owner`` and ``owner__id__exact`` both compare the user's id column; a
    relation compares the field it points at. None when the path names no field.
    """
    field: Field[object, object] | None = None
    opts = model._meta
    parts = lookup.split(LOOKUP_SEP)
    operator = "exact"
    for index, part in enumerate(parts):
        try:
            found = opts.get_field(part)
        except FieldDoesNotExist:
            # The rest is an operator or a transform: "exact", "in", "year".
            operator = LOOKUP_SEP.join(parts[index:])
            break
        related = found.related_model
        if isinstance(related, type) and issubclass(related, Model):
            opts = related._meta
            target = found.target_field if isinstance(found, ForeignObject) else None
            field = target if target is not None else opts.pk
        else:
            field = found if isinstance(found, Field) else None
    return field, operator


def check_integer_filter(model: type[Model], lookup: str, value: str) -> None:
    """Raise IncorrectLookupParameters when ``value`` overflows the column filtered.

    Values that are not whole numbers are left to Django, which refuses them.
    """
    field, operator = filtered_field(model, lookup)
    if not isinstance(field, IntegerField) or operator not in _NUMBER_LOOKUPS:
        return
    connection = connections[router.db_for_read(model)]
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    values = value.split(",") if operator in _LIST_LOOKUPS else [value]
    for text in values:
        try:
            number = int(text.strip())
        except ValueError:
            continue
        if (low is not None and number < low) or (high is not None and number > high):
            raise IncorrectLookupParameters(
                f"{lookup}={text[:40]} is outside the range of {field.name}."
            )


class CheckedLookupsAdmin(admin.ModelAdmin[ModelT]):
    """A ModelAdmin whose list filters never send the database a number it refuses."""

    def lookup_allowed(
        self, lookup: str, value: str, request: HttpRequest | None = None
    ) -> bool:
        allowed = super().lookup_allowed(lookup, value, request)
        if allowed:
            check_integer_filter(self.model, lookup, value)
        return allowed


# Django's own user and group pages, with the same check.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(CheckedLookupsAdmin[User], auth_admin.UserAdmin[User]):
    pass


@admin.register(Group)
class GroupAdmin(CheckedLookupsAdmin[Group], auth_admin.GroupAdmin):
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(CheckedLookupsAdmin[ApiToken]):
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
class OwnerProfileAdmin(CheckedLookupsAdmin[OwnerProfile]):
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
