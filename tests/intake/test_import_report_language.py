"""An import's report speaks the language of the person who uploaded the file.

The worker runs the import outside any request: the job carries the
uploader's language, so a Dutch marketer reads "Rij 3, kolom ...: ... is geen
geldig e-mailadres" and an English one the English report. The API and the
command line keep their English messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.fixtures import Settings

from leadqual.intake.cleaning import clean_lead_fields
from leadqual.intake.models import ImportJob
from leadqual.intake.uploads import run_uploaded_import, store_upload
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EXPORT = (
    b"Email,First Name,Phone,Budget\n"
    b"jan@bakker-ict.nl,Jan,,12500\n"
    b"not-an-address,Anna,12,veel\n"
)


@pytest.fixture(autouse=True)
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def _job_stored_by(language: str) -> ImportJob:
    """A job as the upload page leaves it for the worker, not yet run."""
    path = store_upload([EXPORT], suffix="csv")
    return ImportJob.objects.create(
        file_name="crm.csv",
        file_sha256=path.stem,
        total_rows=2,
        mapping={"overrides": {}, "language": language},
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nl",
            [
                'Rij 3, kolom "Email": "not-an-address" is geen geldig e-mailadres',
                '"veel" is geen heel getal',
                '"12" is geen telefoonnummer',
            ],
        ),
        (
            "en",
            [
                'Row 3, column "Email": "not-an-address" is not a valid email address',
                '"veel" is not a whole number',
                '"12" is not a phone number',
            ],
        ),
    ],
)
def test_the_worker_writes_the_report_in_the_uploaders_language(
    language: str, expected: list[str]
) -> None:
    job = _job_stored_by(language)

    # The worker: no request, the default language active.
    with translation.override(settings.LANGUAGE_CODE):
        run_uploaded_import(job.pk, now=job.started_at)

    job.refresh_from_db()
    assert (job.created, job.rejected) == (1, 1)
    client = Client()
    client.force_login(make_user("ada", role=Role.ADMIN))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    for text in expected:
        assert text.replace('"', "&quot;") in page


def test_messages_outside_a_page_stay_english() -> None:
    errors = clean_lead_fields("not-an-address", {"phone": "12"}).errors
    assert errors["email"].startswith('"not-an-address" is not a valid email address')
    assert errors["phone"].startswith('"12" is not a phone number')
