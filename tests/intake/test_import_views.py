"""The upload page imports CRM exports for marketing and admin users."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from leadqual.intake.models import ImportJob
from leadqual.leads.models import Lead
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EXPORT = (
    b"Email,First Name,Company Name,Number of Employees,Record ID\n"
    b"jan@bakker-ict.nl,Jan,Bakker ICT,25,1\n"
    b"not-an-address,Piet,Piet BV,10,2\n"
)


def signed_in(role: Role) -> Client:
    client = Client()
    client.force_login(make_user(f"user-{role.value}", role=role))
    return client


def upload(client: Client, data: bytes = EXPORT, name: str = "hubspot.csv") -> str:
    response = client.post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile(name, data), "source": "beurs"},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_sales_users_may_not_import() -> None:
    response = signed_in(Role.SALES).get(reverse("imports:upload"))

    assert response.status_code == 403


def test_the_first_pass_shows_the_detected_mapping_per_column() -> None:
    page = upload(signed_in(Role.MARKETING))

    assert "Recognised as a HubSpot export." in page
    assert re.search(r'<option value="company" selected>', page)
    assert 'name="map-4"' in page  # "Record ID", ignored unless chosen
    assert not Lead.objects.exists()


def test_importing_keeps_good_rows_and_says_so() -> None:
    client = signed_in(Role.ADMIN)
    page = upload(client)
    stored = re.search(r'name="stored" value="([^"]+)"', page)
    assert stored is not None

    response = client.post(
        reverse("imports:upload"),
        {
            "stored": stored.group(1),
            "original": "hubspot.csv",
            "source": "beurs",
            "map-2": "ignore",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Created 1, updated 0, rejected 1 of 2 rows." in page
    assert "The 1 good rows were kept." in page
    assert "Row 3, column &quot;Email&quot;" in page
    lead = Lead.objects.get()
    assert lead.company is None and lead.source == "beurs"
    assert ImportJob.objects.get().status == "done"


def test_a_dry_run_from_the_page_writes_nothing() -> None:
    client = signed_in(Role.MARKETING)
    stored = re.search(r'name="stored" value="([^"]+)"', upload(client))
    assert stored is not None

    response = client.post(
        reverse("imports:upload"),
        {"stored": stored.group(1), "original": "hubspot.csv", "dry_run": "on"},
    )

    assert (
        "would create 1, update 0 and reject 1 of 2 rows" in response.content.decode()
    )
    assert not Lead.objects.exists() and not ImportJob.objects.exists()


def test_a_file_that_is_not_csv_or_xlsx_is_refused_with_422() -> None:
    response = signed_in(Role.MARKETING).post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile("leads.pdf", b"%PDF-1.4")},
    )

    assert response.status_code == 422
    assert "is not a CSV or XLSX file" in response.content.decode()


def test_the_job_page_shows_progress_while_running() -> None:
    job = ImportJob.objects.create(
        file_name="crm.csv", file_sha256="0" * 64, total_rows=5000, rows_done=1200
    )

    response = signed_in(Role.MARKETING).get(
        reverse("imports:job", args=[job.pk]), HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert "1,200 of 5,000 rows" in page
    assert 'hx-trigger="every 2s"' in page
