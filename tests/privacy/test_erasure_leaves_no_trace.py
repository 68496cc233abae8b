"""One person through every way in, erased, then searched for byte by byte: no trace.

A real `leadqual serve` (with its background worker on the SQLite queue) on
a data directory of its own takes the person in through the API (a lead and
an event batch, both with an Idempotency-Key), the tracking script (a visitor
stitched to them by the form), the public form, every mail-tool webhook, a
CSV and an XLSX import on the upload page (and a third upload left at the
mapping step), a duplicate record merged into them, and outbound webhooks
(one delivered to a local receiver, others queued for a receiver that is
down). Then `leadqual privacy erase EMAIL --yes`, and every file under the
data directory, every row of every table and a fresh `leadqual backup` are
searched for the email, the name, the phone number and the company name.
On SQLite, and on a scratch PostgreSQL database when DATABASE_URL points at
one (the backup is then a pg_dump, searched as SQL text).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.cookiejar
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
import pytest
from openpyxl import Workbook

from leadqual.intake.inbound_webhooks import generic_signature, mandrill_signature
from tests.intake import inbound_webhook_payloads as payloads
from tests.integrations.http_receiver import Receiver, running
from tests.live_server import LiveServer
from tests.subprocesses import LEADQUAL, free_port

EMAIL = "wilhelmina.zwanenburg@kaaspakhuis.nl"
SECOND_EMAIL = "w.zwanenburg@gmail.com"
FIRST_NAME = "Wilhelmina"
LAST_NAME = "Zwanenburg-Oosterhout"
FULL_NAME = f"{FIRST_NAME} {LAST_NAME}"
PHONE_TYPED = "06 23456789"
PHONE = "+31623456789"
COMPANY = "Kaaspakhuis Noël B.V."
# Searched for in every notation a value can be stored in.
NEEDLES = (EMAIL, SECOND_EMAIL, FULL_NAME, PHONE, "623456789", COMPANY)

ORIGIN = "https://www.kaasmakerij.nl"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ADMIN, PASSWORD = "annet", "a long and unguessable test password"
SECRETS = {
    "LEADQUAL_WEBHOOK_MAILCHIMP_KEY": "mc-key-0123456789",
    "LEADQUAL_WEBHOOK_MANDRILL_KEY": "mandrill-key-abcdef",
    "LEADQUAL_WEBHOOK_BREVO_TOKEN": "brevo-token-0123456789",
    "LEADQUAL_WEBHOOK_MAUTIC_SECRET": "mautic-secret-0123456789",
    "LEADQUAL_WEBHOOK_GENERIC_SECRET": "generic-secret-0123456789",
}
HUBSPOT_HEADER = ["Email", "First Name", "Last Name", "Phone Number", "Company Name"]
WAIT_SECONDS = 60


# --- searching bytes -------------------------------------------------------------------


def _variants(text: str) -> list[bytes]:
    """The text as UTF-8 and as JSON writes it with ASCII escapes, lower case."""
    lowered = text.lower()
    return list(dict.fromkeys([lowered.encode(), json.dumps(lowered)[1:-1].encode()]))


NEEDLE_BYTES = [(text, variant) for text in NEEDLES for variant in _variants(text)]


def hits(where: str, data: bytes) -> list[tuple[str, str]]:
    """(where, needle) for every needle in ``data``."""
    lowered = data.lower()
    return sorted({(where, text) for text, needle in NEEDLE_BYTES if needle in lowered})


def content_hits(where: str, data: bytes) -> list[tuple[str, str]]:
    """Hits in ``data``, and inside it when it is a zip file (an XLSX workbook)."""
    found = hits(where, data)
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                found += hits(f"{where}/{name}", archive.read(name))
    return found


def file_hits(folder: Path) -> list[tuple[str, str]]:
    """Hits in every file under ``folder``."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            found += content_hits(str(path.relative_to(folder)), path.read_bytes())
    return found


def sqlite_rows(path: Path) -> list[tuple[str, bytes]]:
    """(table, row as text) of every row of every table of a SQLite file."""
    rows = []
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as database:
        tables = [
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        ]
        for table in tables:
            for row in database.execute(f'SELECT * FROM "{table}"'):
                rows.append((table, repr(row).encode() + str(row).encode()))
    return rows


def postgres_rows(url: str) -> list[tuple[str, bytes]]:
    """(table, row as text) of every row of every table of a PostgreSQL database."""
    rows = []
    with psycopg.connect(url) as database:
        tables = [
            str(name)
            for (name,) in database.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        for table in tables:
            for (text,) in database.execute(f'SELECT t::text FROM "{table}" t'):
                rows.append((table, str(text).encode()))
    return rows


# --- a browser of sorts ----------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Browser:
    """HTTP to the live server with cookies, and without following redirects."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())

    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        raise AssertionError("no CSRF cookie")

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def post_file(
        self, path: str, fields: dict[str, str], name: str, content: bytes
    ) -> Answer:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            f"{value}\r\n".encode()
            for key, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST",
            path,
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def log_in(self, username: str, password: str) -> None:
        assert self.request("GET", "/login/").status == 200
        answer = self.post_form(
            "/login/",
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.csrf_token(),
            },
        )
        assert answer.status == 302, answer.body[:500]


# --- the installation ------------------------------------------------------------------


@dataclass
class Installation:
    """A running leadqual with the person in it, and how to read its database."""

    server: LiveServer
    browser: Browser
    receiver: Receiver
    table_rows: Callable[[], list[tuple[str, bytes]]]
    database_url: str | None

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    def leadqual(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LEADQUAL), *args],
            env=self.server.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _setup_script(receiver: Receiver) -> str:
    return (
        "from leadqual.users.roles import Role\n"
        "from leadqual.users.services import create_user\n"
        "from leadqual.intake.models import TrackedSite\n"
        "from leadqual.integrations.models import WebhookEndpoint\n"
        f"create_user({ADMIN!r}, role=Role.ADMIN, email='annet@example.nl', "
        f"password={PASSWORD!r})\n"
        "create_user('sanne', role=Role.SALES, email='sanne@example.nl')\n"
        f"TrackedSite.objects.create(name='Kaasmakerij', origin={ORIGIN!r})\n"
        f"WebhookEndpoint.objects.create(name='CRM', url='{receiver.url}/hooks', "
        "allow_private_network=True)\n"
        "WebhookEndpoint.objects.create(name='Down', "
        f"url='http://127.0.0.1:{free_port()}/hooks', allow_private_network=True)\n"
    )


def _installation(tmp_path: Path, database_url: str | None) -> Iterator[Installation]:
    with running() as receiver:
        extra = {
            "LEADQUAL_WORKER_IN_PROCESS": "true",
            # Uploads are kept after their import, so the erasure must find them.
            "LEADQUAL_IMPORT_FILE_RETENTION_HOURS": "24",
            **SECRETS,
        }
        if database_url is not None:
            extra["DATABASE_URL"] = database_url
        server = LiveServer(tmp_path / "site", threads=4, extra_env=extra)
        server.data_dir.mkdir()
        server.prepare()
        subprocess.run(
            [str(LEADQUAL), "shell", "--command", _setup_script(receiver)],
            env=server.env,
            check=True,
            timeout=120,
            capture_output=True,
        )
        server.start()
        database = server.data_dir / "leadqual.sqlite3"
        try:
            yield Installation(
                server=server,
                browser=Browser(f"http://127.0.0.1:{server.port}"),
                receiver=receiver,
                table_rows=(
                    (lambda: postgres_rows(database_url))
                    if database_url is not None
                    else (lambda: sqlite_rows(database))
                ),
                database_url=database_url,
            )
        finally:
            server.stop()


@pytest.fixture
def sqlite_installation(tmp_path: Path) -> Iterator[Installation]:
    yield from _installation(tmp_path, None)


@pytest.fixture
def postgres_installation(tmp_path: Path) -> Iterator[Installation]:
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    name = f"leadqual_erasure_test_{os.getpid()}"
    assert dj_database_url.parse(server_url)["NAME"] != name
    scratch_url = server_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield from _installation(tmp_path, scratch_url)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- every way in ----------------------------------------------------------------------


def _api(site: Installation, path: str, body: object, key: str | None) -> Any:
    answer = site.server.post(path, body, key=key)
    assert answer.status in (200, 201), answer.body
    return answer.body


def _track_and_fill_in_the_form(site: Installation) -> None:
    """A visit before the person is known, stitched to them by the form."""
    visitor_id = uuid.uuid4().hex
    visit = {
        "visitor_id": visitor_id,
        "consent": True,
        "events": [
            {
                "id": "visit-0001",
                "type": "page_view",
                "properties": {
                    "url": f"{ORIGIN}/prijzen",
                    "title": f"Welkom terug, {FULL_NAME}",
                },
            }
        ],
    }
    collected = site.browser.request(
        "POST",
        "/t/collect",
        json.dumps(visit).encode(),
        {"Origin": ORIGIN, "User-Agent": BROWSER, "Content-Type": "text/plain"},
    )
    assert collected.status == 200, collected.body
    form = site.browser.post_form(
        "/form/",
        {
            "first_name": FIRST_NAME,
            "last_name": LAST_NAME,
            "email": EMAIL,
            "company": COMPANY,
            "phone": PHONE_TYPED,
            "sector": "retail",
            "employees": "10-49",
            "budget": "10000-25000",
            "urgency": "immediate",
            "consent": "on",
            "website": "",
            "lq_vid": visitor_id,
        },
    )
    assert form.status == 302, form.body[:2000]


def _post_webhooks(site: Installation) -> None:
    """One signed request from each mail tool, shaped as its documentation shows."""
    browser = site.browser
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    mailchimp = browser.request(
        "POST",
        f"/webhooks/mailchimp/{SECRETS['LEADQUAL_WEBHOOK_MAILCHIMP_KEY']}/",
        urllib.parse.urlencode(payloads.mailchimp_unsubscribe(EMAIL)).encode(),
        form,
    )
    params = {"mandrill_events": payloads.mandrill_events(EMAIL)}
    mandrill_url = f"{browser.base_url}/webhooks/mandrill/"
    mandrill = browser.request(
        "POST",
        "/webhooks/mandrill/",
        urllib.parse.urlencode(params).encode(),
        form
        | {
            "X-Mandrill-Signature": mandrill_signature(
                mandrill_url, params, SECRETS["LEADQUAL_WEBHOOK_MANDRILL_KEY"]
            )
        },
    )
    brevo = browser.request(
        "POST",
        "/webhooks/brevo/",
        json.dumps(
            payloads.brevo_transactional("click", EMAIL, link="https://x.nl/prijzen")
        ).encode(),
        {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {SECRETS['LEADQUAL_WEBHOOK_BREVO_TOKEN']}",
        },
    )
    mautic_body = json.dumps(payloads.mautic_email_on_open(EMAIL)).encode()
    mautic_signature = hmac.new(
        SECRETS["LEADQUAL_WEBHOOK_MAUTIC_SECRET"].encode(), mautic_body, hashlib.sha256
    ).digest()
    mautic = browser.request(
        "POST",
        "/webhooks/mautic/",
        mautic_body,
        {
            "Content-Type": "application/json",
            "Webhook-Signature": base64.b64encode(mautic_signature).decode(),
        },
    )
    generic_body = json.dumps(
        {
            "events": [
                {
                    "id": "crm-771",
                    "email": EMAIL,
                    "type": "email_reply",
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "properties": {"subject": f"Re: offerte {COMPANY}"},
                }
            ]
        }
    ).encode()
    stamp = int(time.time())
    generic = browser.request(
        "POST",
        "/webhooks/generic/",
        generic_body,
        {
            "Content-Type": "application/json",
            "X-Leadqual-Timestamp": str(stamp),
            "X-Leadqual-Signature": generic_signature(
                generic_body,
                SECRETS["LEADQUAL_WEBHOOK_GENERIC_SECRET"],
                timestamp=stamp,
            ),
        },
    )
    for answer in (mailchimp, mandrill, brevo, mautic, generic):
        assert answer.status == 200, answer.body
        assert answer.json()["accepted"] >= 1, answer.body


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode("utf-8")


def _upload(site: Installation, name: str, content: bytes, *, confirm: bool) -> None:
    """Upload a file on the import page; confirm the detected mapping to import it."""
    browser = site.browser
    assert browser.request("GET", "/imports/").status == 200
    token = browser.csrf_token()
    mapping = browser.post_file(
        "/imports/", {"csrfmiddlewaretoken": token, "source": "beurs"}, name, content
    )
    assert mapping.status == 200, mapping.body[:2000]
    stored = re.search(rb'name="stored" value="([^"]+)"', mapping.body)
    assert stored is not None, mapping.body[:2000]
    if not confirm:
        return
    imported = browser.post_form(
        "/imports/",
        {
            "csrfmiddlewaretoken": token,
            "stored": stored.group(1).decode(),
            "original": name,
            "source": "beurs",
        },
    )
    assert imported.status == 302, imported.body[:2000]


def _import_files(site: Installation) -> None:
    person = [EMAIL, FIRST_NAME, LAST_NAME, PHONE_TYPED, COMPANY]
    other = ["piet@bakkerij-de-vries.nl", "Piet", "de Vries", "", "Bakkerij de Vries"]
    _upload(site, "hubspot.csv", _csv([HUBSPOT_HEADER, person, other]), confirm=True)
    _upload(site, "hubspot.xlsx", _xlsx([HUBSPOT_HEADER, person]), confirm=True)
    # A second record of the same person: merged into the lead below.
    duplicate = [SECOND_EMAIL, FIRST_NAME, LAST_NAME, "+31 6 23456789", ""]
    _upload(site, "beurs.csv", _csv([HUBSPOT_HEADER, duplicate]), confirm=True)
    # Uploaded, never imported: the file waits at the mapping step.
    _upload(site, "later.csv", _csv([HUBSPOT_HEADER, person]), confirm=False)


def _lead_id(site: Installation, email: str) -> int:
    found = site.leadqual(
        "shell",
        "--command",
        "from leadqual.leads.models import Lead\n"
        f"print(Lead.objects.get(email={email!r}).pk)",
    )
    assert found.returncode == 0, found.stderr
    return int(found.stdout.strip().splitlines()[-1])


def _wait_for_a_delivery(site: Installation) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not any(EMAIL.encode() in request.body for request in site.receiver.received):
        assert time.monotonic() < deadline, "no webhook reached the receiver"
        time.sleep(0.2)


def take_in_the_person(site: Installation) -> None:
    """The person through every way in, a merge, and outbound webhooks."""
    _track_and_fill_in_the_form(site)
    lead = {
        "email": EMAIL,
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
        "company": COMPANY,
        "phone": PHONE_TYPED,
        "job_title": "Directeur",
        "sector": "retail",
        "employees": 25,
        "budget": 20_000,
    }
    created = _api(site, "/api/v1/leads", lead, key=str(uuid.uuid4()))
    assert created["company"] == COMPANY
    batch = {
        "events": [
            {
                "lead_email": EMAIL,
                "type": "download",
                "occurred_at": datetime.now(UTC).isoformat(),
                "properties": {"file": f"offerte-{LAST_NAME}.pdf"},
            }
        ]
    }
    _api(site, "/api/v1/events", batch, key=str(uuid.uuid4()))
    _post_webhooks(site)
    site.browser.log_in(ADMIN, PASSWORD)
    _import_files(site)
    survivor, duplicate = _lead_id(site, EMAIL), _lead_id(site, SECOND_EMAIL)
    merged = site.browser.post_form(
        f"/leads/{survivor}/merge/",
        {
            "csrfmiddlewaretoken": site.browser.csrf_token(),
            "duplicate": str(duplicate),
        },
    )
    assert merged.status == 302, merged.body[:2000]
    _wait_for_a_delivery(site)


def _assert_the_person_is_everywhere(site: Installation) -> None:
    """Before the erasure: the search finds every value (the test can fail)."""
    rows = [hit for table, row in site.table_rows() for hit in hits(table, row)]
    assert {needle for _table, needle in rows} == set(NEEDLES)
    tables = {table for table, _needle in rows}
    for table in (
        "leads_lead",
        "leads_event",
        "leads_leadmerge",
        "intake_visitorevent",
        "intake_idempotentrequest",
        "integrations_webhookdelivery",
    ):
        assert table in tables, table
    uploads = sorted((site.data_dir / "imports").iterdir())
    assert len(uploads) == 4
    assert all(content_hits(path.name, path.read_bytes()) for path in uploads)
    sources = site.leadqual(
        "shell",
        "--command",
        "from leadqual.leads.models import Event\n"
        f"print(sorted(set(Event.objects.filter(lead__email={EMAIL!r})"
        ".values_list('source', flat=True))))",
    )
    for source in ("mailchimp", "mandrill", "brevo", "mautic", "generic", "api"):
        assert f"'{source}'" in sources.stdout, sources.stdout


def _backup_hits(site: Installation) -> list[tuple[str, str]]:
    """Hits in a fresh `leadqual backup`; a pg_dump is searched as SQL text."""
    made = site.leadqual("backup")
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    assert backup.is_relative_to(site.data_dir)
    found = hits("backup", backup.read_bytes())
    with tarfile.open(backup) as archive:
        for member in archive.getmembers():
            extracted = archive.extractfile(member)
            assert extracted is not None
            data = extracted.read()
            if member.name.endswith(".pgdump"):
                pg_restore = shutil.which("pg_restore")
                assert pg_restore is not None
                dump = site.data_dir.parent / "database.pgdump"
                dump.write_bytes(data)
                data = subprocess.run(
                    [pg_restore, "--file=-", str(dump)],
                    capture_output=True,
                    check=True,
                    timeout=120,
                ).stdout
                assert b"COPY public.leads_lead" in data
            found += hits(f"backup/{member.name}", data)
    return found


def _erase_and_search(site: Installation) -> None:
    take_in_the_person(site)
    _assert_the_person_is_everywhere(site)

    erased = site.leadqual("privacy", "erase", EMAIL, "--yes")

    assert erased.returncode == 0, erased.stderr
    assert "Erased lead" in erased.stdout
    # While the server still runs, as after any erasure.
    assert file_hits(site.data_dir) == []
    site.server.stop()
    table_hits = [hit for table, row in site.table_rows() for hit in hits(table, row)]
    assert table_hits == []
    assert _backup_hits(site) == []
    assert file_hits(site.data_dir) == []
    assert list((site.data_dir / "imports").iterdir()) == []
    record = (site.data_dir / "erasures.jsonl").read_text()
    assert len(record.splitlines()) == 1


def test_an_erased_person_leaves_no_byte_behind_on_sqlite(
    sqlite_installation: Installation,
) -> None:
    _erase_and_search(sqlite_installation)


@pytest.mark.postgres
def test_an_erased_person_leaves_no_byte_behind_on_postgres(
    postgres_installation: Installation,
) -> None:
    _erase_and_search(postgres_installation)
