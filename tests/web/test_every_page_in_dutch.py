"""No English left on a Dutch page: every page, rendered in Dutch, against the catalogue.

The pages are found by walking the URLconf, so a page added later is checked
without editing this test. Each is opened with a realistic data set (a scored
lead with an IDN address, notes, a deal value; a won lead; a merge; an import
with a rejected row; a webhook delivery) by an admin and by a seller, with
the Dutch language cookie. Its visible text (tags, scripts and styles left out;
placeholders, titles and button values kept) must contain no English phrase of
the Dutch catalogue: every msgid whose Dutch differs and that is long enough
to be unambiguous (two words or more, or 12 characters or more).

Skipped by rule, each for one reason:
- the JSON API (namespace ``api-v1``) and Django's admin site (``admin``): not
  pages of this app's catalogue (the admin has Django's own translation);
- routes the access matrix (tests/test_access_matrix.py ``ROUTES``) lists as
  POST-only, and any route that answers GET with 405: they render nothing
  on their own;
- answers that are not HTML (the tracker script, JSON or CSV exports) and
  redirects (their target is a page of its own, checked as such);
- unnamed routes (only the admin site has them).

A page whose URL takes a parameter the scene has no value for fails the test
with the parameter's name: add a real object of that kind to the scene.
Answers of 403 and 404 are pages too and are checked.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from leadqual.core.lifecycle import (
    CallResult,
    Decision,
    NoteKind,
    OutcomeKind,
    RejectionReason,
)
from leadqual.hygiene.merging import merge_leads
from leadqual.intake.models import ImportJob
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.leads.models import Lead
from leadqual.triage.optimiser import run_optimiser, store_proposal
from leadqual.triage.services import (
    add_note,
    record_feedback,
    record_first_contact,
    record_outcome,
)
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user
from tests.test_access_matrix import POST, ROUTES, Api, all_routes
from tests.test_translations import PO_FILE, Entry, parse_po, untranslated

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SKIPPED_NAMESPACES = ("admin", "api-v1")
# Phrases whose English is also what a Dutch page says (names, loanwords).
ALSO_DUTCH: frozenset[str] = frozenset()
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
_TAG = re.compile(r"<[^>]+>")
_VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


# --- the catalogue --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phrase:
    english: str
    pattern: re.Pattern[str]


def _literal_words(text: str) -> str:
    return " ".join(_PLACEHOLDER.sub(" ", _TAG.sub(" ", text)).split())


def _is_unambiguous(literal: str) -> bool:
    return len(literal.split()) >= 2 or len(literal) >= 12


def _pattern(msgid: str) -> re.Pattern[str]:
    """The msgid as the page shows it: placeholders stand for a few words."""
    text = " ".join(_TAG.sub(" ", msgid).split())
    parts = [re.escape(part) for part in _PLACEHOLDER.split(text)]
    return re.compile(r"(?<!\w)" + r"\S.{0,40}?".join(parts) + r"(?!\w)")


def english_phrases(entries: list[Entry]) -> list[Phrase]:
    phrases = []
    for entry in entries:
        if entry.is_header:
            continue
        msgids = [entry.fields["msgid"], entry.fields.get("msgid_plural", "")]
        for msgid in filter(None, msgids):
            literal = _literal_words(msgid)
            if (
                msgid in entry.msgstrs
                or literal in ALSO_DUTCH
                or not _is_unambiguous(literal)
            ):
                continue
            phrases.append(Phrase(msgid, _pattern(msgid)))
    return phrases


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return parse_po(PO_FILE.read_text(encoding="utf-8"))


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry(
    catalogue: list[Entry],
) -> None:
    assert untranslated(catalogue) == [], f"Translate these in {PO_FILE}"


# --- visible text ---------------------------------------------------------------------


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        self.parts += [
            values[name] or "" for name in _VISIBLE_ATTRIBUTES if name in values
        ]
        if tag == "input" and values.get("type") in ("submit", "button"):
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(" ".join(part.split()) for part in parser.parts if part.strip())


# --- the data set ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scene:
    admin: User
    seller: User
    # URL parameter -> the values to try: each lead page is seen open, won and rejected.
    values: dict[str, list[object]]


def _scored_lead(email: str, fields: dict[str, str], *, now: datetime) -> Lead:
    submit_lead(email, fields, source="form", now=now)
    return Lead.objects.get(email=email)


def _import_with_a_rejected_row(admin: User) -> ImportJob:
    client = Client()
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    export = (
        b"Email,First Name,Company Name,Budget\n"
        b"jan@bakker-ict.nl,Jan,Bakker ICT,12500\n"
        b"not-an-address,Anna,De Vries,veel\n"
    )
    response = client.post(
        reverse("imports:upload"), {"file": SimpleUploadedFile("crm.csv", export)}
    )
    stored = re.search(r'name="stored" value="([^"]+)"', response.content.decode())
    assert stored is not None, response.content.decode()
    client.post(
        reverse("imports:upload"), {"stored": stored.group(1), "original": "crm.csv"}
    )
    return ImportJob.objects.get()


@pytest.fixture
def scene(settings: Settings, tmp_path: Path) -> Iterator[Scene]:
    settings.DATA_DIR = tmp_path
    with time_machine.travel(NOW, tick=False):
        admin = make_user("ada", role=Role.ADMIN)
        seller = make_user("sanne", role=Role.SALES)
        kees = _scored_lead(
            "kees@xn--bcher-kva.nl",
            {
                "first_name": "Kees",
                "last_name": "Bakker",
                "company": "Bücher Groothandel B.V.",
                "sector": "wholesale",
                "employees": "25",
                "budget_euros": "8500",
                "urgency": "immediate",
                "job_title": "Directeur",
                "country": "NL",
                "phone": "+31 20 123 4567",
            },
            now=NOW - timedelta(days=3),
        )
        submit_events(
            [
                RawEvent(kees.email, "demo_request", NOW.isoformat(), {}, "demo-1"),
                RawEvent(
                    kees.email,
                    "page_view",
                    (NOW - timedelta(hours=2)).isoformat(),
                    {"url": "https://example.nl/prijzen"},
                    "pv-1",
                ),
            ],
            now=NOW,
            source="api",
        )
        won = _scored_lead(
            "marieke@devries-logistiek.nl",
            {
                "first_name": "Marieke",
                "company": "De Vries Logistiek",
                "sector": "logistics",
            },
            now=NOW - timedelta(days=20),
        )
        rejected = _scored_lead(
            "info@gmail.com", {"first_name": "Piet"}, now=NOW - timedelta(days=5)
        )
        Lead.objects.filter(pk__in=[kees.pk, won.pk, rejected.pk]).update(owner=seller)
        kees.refresh_from_db()
        won.refresh_from_db()
        rejected.refresh_from_db()
        record_first_contact(kees, by=seller, now=NOW)
        record_feedback(kees, Decision.ACCEPTED, reason=None, given_by=seller, now=NOW)
        add_note(
            kees,
            NoteKind.NOTE,
            "Wil een offerte voor 12 licenties.",
            by=seller,
            now=NOW,
        )
        add_note(
            kees,
            NoteKind.CALL,
            "",
            call_result=CallResult.VOICEMAIL,
            by=seller,
            now=NOW,
        )
        record_outcome(
            kees,
            OutcomeKind.OPPORTUNITY,
            value_cents=1_250_000,
            recorded_by=seller,
            now=NOW,
        )
        record_feedback(won, Decision.ACCEPTED, reason=None, given_by=seller, now=NOW)
        record_outcome(
            won, OutcomeKind.WON, value_cents=4_500_000, recorded_by=seller, now=NOW
        )
        record_feedback(
            rejected,
            Decision.REJECTED,
            reason=RejectionReason.NO_FIT,
            given_by=seller,
            now=NOW,
        )
        twin = LeadFactory.create(
            first_name="Kees", last_name="Bakker", email="k.bakker@xn--bcher-kva.nl"
        )
        LeadFactory.create(
            first_name="Kees", last_name="Bakker", email="kees@bakker.nl"
        )
        merge = merge_leads(kees, twin, by=admin, now=NOW).merge
        job = _import_with_a_rejected_row(admin)
        endpoint = WebhookEndpoint.objects.create(
            name="CRM", url="https://crm.example.nl/hooks"
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type="lead.created",
            payload={"lead": kees.pk},
            message_id="msg-1",
            lead_id=kees.pk,
            sequence=1,
            status=DeliveryStatus.FAILED,
        )
        # The optimiser's proposal on these leads, as a draft to review.
        draft = store_proposal(
            run_optimiser(now=NOW, weeks=4, capacity_per_week=3), now=NOW
        )
        assert kees.company is not None
        yield Scene(
            admin=admin,
            seller=seller,
            values={
                "lead_id": [kees.pk, won.pk, rejected.pk],
                "company_id": [kees.company.pk],
                "merge_id": [merge.pk],
                "pk": [job.pk],
                "endpoint_id": [endpoint.pk],
                "delivery_id": [delivery.pk],
                "file_format": ["json"],
                "token": ["not-a-confirmation-token"],
                "version": [1, draft.version],
            },
        )


# --- the pages ------------------------------------------------------------------------


def page_routes() -> list[tuple[str, tuple[str, ...]]]:
    """(URL name, its parameters) of every route that may render a page on GET."""
    routes = []
    for route in all_routes():
        if not route.is_named or route.name.split(":")[0] in SKIPPED_NAMESPACES:
            continue
        access = ROUTES.get(route.name)
        if isinstance(access, Api) or (access is not None and access.method == POST):
            continue
        routes.append((route.name, route.parameters))
    return routes


def _urls(
    name: str, parameters: tuple[str, ...], values: dict[str, list[object]]
) -> list[str]:
    missing = [parameter for parameter in parameters if parameter not in values]
    assert not missing, (
        f"{name}: add a value for URL parameter(s) {missing} to the scene of "
        f"{Path(__file__).name}, so the page renders with real data"
    )
    return [
        reverse(name, kwargs=dict(zip(parameters, combination, strict=True)))
        for combination in itertools.product(*(values[p] for p in parameters))
    ]


def _dutch_client(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    if user is not None:
        client.force_login(user)
    return client


def test_the_walk_finds_the_pages() -> None:
    names = {name for name, _parameters in page_routes()}
    assert {"triage:queue", "leads:lead-detail", "imports:job", "intake:form"} <= names
    assert "triage:lead-outcome" not in names  # POST-only
    assert not any(name.startswith("api-v1:") for name in names)


def _rendered_in_dutch(url: str, user: User | None) -> str | None:
    """The page's visible text, or None when it is no page (skipped by rule)."""
    response = _dutch_client(user).get(url)
    content_type = response.headers.get("Content-Type", "")
    if response.status_code in (301, 302, 303, 405):
        return None
    if not content_type.startswith("text/html"):
        return None
    return visible_text(response.content.decode())


def test_no_english_on_any_dutch_page(scene: Scene, catalogue: list[Entry]) -> None:
    phrases = english_phrases(catalogue)
    assert len(phrases) > 200
    visitors = {"admin": scene.admin, "sales": scene.seller, "anonymous": None}
    found: list[str] = []
    checked: list[str] = []
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        pages = [
            (name, url)
            for name, parameters in page_routes()
            for url in _urls(name, parameters, scene.values)
        ]
        for (name, url), (visitor, user) in itertools.product(pages, visitors.items()):
            text = _rendered_in_dutch(url, user)
            if text is None:
                continue
            checked.append(f"{url} ({visitor})")
            found += [
                f"{url} [{name}] as {visitor}: {phrase.english!r} in {match.group(0)!r}"
                for phrase in phrases
                if (match := phrase.pattern.search(text))
            ]
    assert len(checked) >= 30, checked
    assert found == [], "English on Dutch pages:\n" + "\n".join(found)
