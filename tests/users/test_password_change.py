"""Every role changes its own password on /password/, reached from the top bar."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

OLD, NEW = "correct horse battery", "staple paper lamp 42"


def _signed_in(user: User, *, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_a_seller_changes_their_password_and_stays_signed_in() -> None:
    seller = make_user("sanne", role=Role.SALES, password=OLD)
    client = _signed_in(seller)

    response = client.post(
        reverse("password-change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )

    assert response.redirect_chain[0] == (reverse("home"), 302)
    assert "Your password has been changed." in response.content.decode()
    seller.refresh_from_db()
    assert seller.check_password(NEW)
    assert client.get(reverse("triage:queue")).status_code == 200


def test_a_wrong_old_password_changes_nothing_and_says_so_in_dutch() -> None:
    seller = make_user("sanne", role=Role.SALES, password=OLD)
    client = _signed_in(seller, language="nl")

    response = client.post(
        reverse("password-change"),
        {"old_password": "guess", "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Wijzig je wachtwoord</h1>" in html
    assert "Je oude wachtwoord klopt niet." in html
    # The app says "je"; Django's own Dutch says "u".
    assert "Uw " not in html and " uw " not in html
    seller.refresh_from_db()
    assert seller.check_password(OLD)


def test_the_name_in_the_top_bar_links_to_the_password_page() -> None:
    client = _signed_in(make_user("mark", role=Role.MARKETING))

    html = client.get(reverse("leads:lead-list")).content.decode()

    assert f'<a href="{reverse("password-change")}" id="nav-account"' in html
