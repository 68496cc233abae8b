"""Shared scenes, built from factories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import ApiTokenFactory

API_SECRET = "lq_tests-api-token-0123456789abcdefghij"


@pytest.fixture(autouse=True)
def default_language_after_each_test() -> Iterator[None]:
    """A request in Dutch leaves Dutch active in the thread (LocaleMiddleware).

    Without this reset the next test in the same worker reads Dutch where it
    expects the default language, and fails only in some test orders.
    """
    yield
    translation.deactivate()


@pytest.fixture
def api_token(db: None) -> str:
    """The bearer secret of a valid API token."""
    ApiTokenFactory.create(secret=API_SECRET)
    return API_SECRET


@pytest.fixture
def api_client(api_token: str) -> Iterator[Client]:
    """A Django test client that sends a valid bearer token on every request."""
    yield Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
