"""Users, roles and API tokens: the only code that creates or changes them."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group, Permission, User
from django.db import OperationalError, transaction

from leadqual.core.errors import LeadqualError
from leadqual.users.models import ApiToken
from leadqual.users.roles import ROLE_PERMISSIONS, Role
from leadqual.users.scopes import (
    DEFAULT_SCOPES,
    ROLE_SCOPES,
    Scope,
    ScopeBeyondRole,
)

TOKEN_PREFIX = "lq_"


class DuplicateName(LeadqualError):
    code = "duplicate_name"


def sync_role_groups() -> None:
    """Create the sales, marketing and admin groups with exactly their permissions.

    Safe to run any number of times; runs after every ``migrate``.
    """
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)


def create_user(
    username: str,
    *,
    role: Role,
    email: str = "",
    password: str | None = None,
) -> User:
    """Create a user in one role. Admins are also staff and superusers.

    Without a password the user cannot log in until one is set. Raises
    DuplicateName when the username is taken.
    """
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise DuplicateName(
                f'A user named "{username}" already exists. Choose another name.'
            )
        sync_role_groups()
        user = User(username=username, email=email)
        # Sales work in the app; marketing and admins also use the admin site.
        user.is_staff = role in (Role.ADMIN, Role.MARKETING)
        user.is_superuser = role is Role.ADMIN
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
    return user


def role_of(user: User) -> Role | None:
    """The user's role, or None when the user has none."""
    names = set(user.groups.values_list("name", flat=True))
    for role in (Role.ADMIN, Role.MARKETING, Role.SALES):
        if role.value in names:
            return role
    return Role.ADMIN if user.is_superuser else None


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(
    name: str,
    *,
    user: User | None = None,
    expires_at: datetime | None = None,
    scopes: Sequence[Scope] = DEFAULT_SCOPES,
) -> IssuedToken:
    """Issue a new API token. Only its digest is stored; the secret is returned once.

    The token may do what ``scopes`` allow (by default read, write_events and
    write_leads), and, with a ``user``, at most what the user's role allows.
    Raises DuplicateName when a token with this name exists, ScopeBeyondRole
    when the user is deactivated or their role does not allow a scope.
    """
    if ApiToken.objects.filter(name=name).exists():
        raise DuplicateName(
            f'A token named "{name}" already exists. Choose another name.'
        )
    if user is not None:
        _check_scopes_of(user, scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        digest=token_digest(secret),
        prefix=secret[:10],
        user=user,
        expires_at=expires_at,
        scopes=[scope.value for scope in Scope if scope in scopes],
    )
    return IssuedToken(token=token, secret=secret)


def _check_scopes_of(user: User, scopes: Sequence[Scope]) -> None:
    if not user.is_active:
        raise ScopeBeyondRole(
            f'The user "{user.get_username()}" is deactivated; a token for them would '
            "not work. Issue it for an active user, or without --user."
        )
    role = role_of(user)
    allowed = ROLE_SCOPES[role] if role is not None else frozenset()
    beyond = [
        scope.value for scope in Scope if scope in scopes and scope not in allowed
    ]
    if beyond:
        role_name = f"the role {role.value}" if role is not None else "no role"
        raise ScopeBeyondRole(
            f'The user "{user.get_username()}" has {role_name}, which does not allow '
            f"the scope {', '.join(beyond)}: a token acts with at most its user's "
            "rights. Leave that scope out, or issue the token for a user who has it."
        )


def authenticate_token(secret: str, *, now: datetime) -> ApiToken | None:
    """The usable token with this secret, or None.

    None when the token is unknown, revoked or expired, or belongs to a
    deactivated user (a token dies with its user).
    """
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret))
        .first()
    )
    if token is None or not token.is_usable(now=now):
        return None
    if token.user is not None and not token.user.is_active:
        return None
    # Write the last use at most once a minute: a busy integration must not
    # turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        _note_last_use(token, now)
    return token


def _note_last_use(token: ApiToken, now: datetime) -> None:
    """Store when the token was last used, if the row can be written now.

    The last use is a hint for the admin, not part of the request: when another
    request holds the row (or SQLite's write lock) past the lock timeout, the
    request goes on rather than failing on it. The savepoint keeps the
    request's own transaction usable after the failed write.
    """
    try:
        with transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    except OperationalError:
        return
    token.last_used_at = now


def is_token_of_deactivated_user(secret: str) -> bool:
    """Whether this secret is a token whose user is deactivated (to say so)."""
    return ApiToken.objects.filter(
        digest=token_digest(secret), user__is_active=False
    ).exists()
