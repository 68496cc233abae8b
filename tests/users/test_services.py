"""Users get exactly one role; tokens are stored only as digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections

from leadqual.users.models import ApiToken
from leadqual.users.roles import Role
from leadqual.users.services import (
    DuplicateName,
    authenticate_token,
    create_token,
    create_user,
    role_of,
)

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_migrate_creates_the_three_role_groups_with_permissions() -> None:
    groups = {group.name: group for group in Group.objects.all()}
    assert set(groups) >= {"sales", "marketing", "admin"}
    sales = {p.codename for p in groups["sales"].permissions.all()}
    assert {"view_lead", "add_feedback"} <= sales
    assert "add_scoringmodelversion" not in sales
    assert "add_scoringmodelversion" in {
        p.codename for p in groups["marketing"].permissions.all()
    }


def test_a_sales_user_can_give_feedback_but_not_change_the_scoring_model() -> None:
    user = create_user("sanne", role=Role.SALES, password="a long enough password")
    assert role_of(user) is Role.SALES
    assert user.has_perm("triage.add_feedback")
    assert not user.has_perm("scoring.add_scoringmodelversion")


def test_an_admin_is_a_superuser() -> None:
    user = create_user("beheer", role=Role.ADMIN)
    assert user.is_superuser and role_of(user) is Role.ADMIN
    assert not user.has_usable_password()


def test_a_username_is_used_once() -> None:
    create_user("sanne", role=Role.SALES)
    with pytest.raises(DuplicateName, match="already exists"):
        create_user("Sanne", role=Role.MARKETING)


def test_only_the_digest_of_a_token_is_stored() -> None:
    issued = create_token("mailtool")
    stored = ApiToken.objects.get()
    assert issued.secret not in (stored.digest, stored.prefix, stored.name)
    assert authenticate_token(issued.secret, now=NOW) == stored


def test_a_revoked_or_expired_token_does_not_authenticate() -> None:
    revoked = create_token("old")
    ApiToken.objects.filter(pk=revoked.token.pk).update(revoked_at=NOW)
    expired = create_token("temp", expires_at=NOW - timedelta(seconds=1))
    assert authenticate_token(revoked.secret, now=NOW) is None
    assert authenticate_token(expired.secret, now=NOW) is None
    assert authenticate_token("lq_made-up", now=NOW) is None


def test_the_token_of_a_deactivated_user_does_not_authenticate() -> None:
    seller = create_user("sanne", role=Role.SALES)
    issued = create_token("sanne's crm", user=seller)
    seller.is_active = False
    seller.save(update_fields=["is_active"])
    assert authenticate_token(issued.secret, now=NOW) is None


@pytest.mark.django_db(transaction=True)
def test_a_locked_token_row_does_not_fail_the_request() -> None:
    """Another writer holds the token's row: the token still authenticates."""
    issued = create_token("busy integration")
    other = connections.create_connection("default")
    try:
        holder = other.cursor()
        if connection.vendor == "postgresql":
            holder.execute("BEGIN")
            holder.execute(
                f"SELECT id FROM {ApiToken._meta.db_table} WHERE id = %s FOR UPDATE",
                [issued.token.pk],
            )
            wait = "SET lock_timeout = '200ms'"
        else:
            # SQLite locks the whole database for a writer.
            holder.execute("BEGIN IMMEDIATE")
            wait = "PRAGMA busy_timeout = 200"
        with connection.cursor() as cursor:
            cursor.execute(wait)
        token = authenticate_token(issued.secret, now=NOW)
        assert token is not None and token.pk == issued.token.pk
        assert token.last_used_at is None
        holder.execute("ROLLBACK")
    finally:
        other.close()
        connection.close()  # drop the short lock timeout with the session
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert stored.last_used_at is None
    # With the row free again the next use is noted.
    assert authenticate_token(issued.secret, now=NOW) is not None
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == NOW
