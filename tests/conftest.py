"""Shared scenes, built from factories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.factories import ApiTokenFactory

API_SECRET = "lq_tests-api-token-0123456789abcdefghij"


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language.

    A request activates its language in the thread and nothing switches it
    back: without this, messages made outside a request (an import run in
    the test's worker thread) would come out in the language of whichever
    test ran before.
    """
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def api_token(db: None) -> str:
    """The bearer secret of a valid API token."""
    ApiTokenFactory.create(secret=API_SECRET)
    return API_SECRET


@pytest.fixture
def api_client(api_token: str) -> Iterator[Client]:
    """A Django test client that sends a valid bearer token on every request."""
    yield Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
