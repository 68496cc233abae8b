"""The public intake form: four questions, consent, honeypot, embedding."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from leadqual.core.model_file import parse_scoring_model
from leadqual.core.scoring import FieldIn
from leadqual.intake.forms import CONSENT_TEXT_VERSION, OTHER_SECTOR, SECTOR_CHOICES
from leadqual.intake.models import FormAttempt, PendingFormSubmission
from leadqual.leads.models import Event, Lead
from leadqual.scoring.services import default_model_source
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

FORM_URL = "/form/"
THANKS_URL = "/form/thanks/"


def answers(**changes: str) -> dict[str, str]:
    """A complete, valid submission; keyword arguments replace or remove answers."""
    data = {
        "first_name": "Eva",
        "last_name": "de Boer",
        "email": "eva@logistiek-partners.nl",
        "company": "Logistiek Partners B.V.",
        "phone": "+31 6 12345678",
        "sector": "logistics",
        "employees": "10-49",
        "budget": "10000-25000",
        "urgency": "within_3_months",
        "consent": "on",
        "website": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != "<absent>"}


class _Elements(HTMLParser):
    """Collects every element that has an id: id -> (tag, attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, tuple[str, dict[str, str]]] = {}
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes)
            if tag not in ("input", "select"):
                self._open.append(attributes["id"])
                self.text[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and self.by_id[self._open[-1]][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            self.text[element_id] += data


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def assert_field_error(html: str, field: str) -> str:
    """The field is marked invalid and described by its error; returns that error."""
    page = elements(html)
    _tag, attributes = page.by_id[f"id_{field}"]
    assert attributes.get("aria-invalid") == "true"
    assert f"id_{field}_error" in attributes.get("aria-describedby", "").split()
    assert f"id_{field}_error" in page.text
    return page.text[f"id_{field}_error"]


def test_a_dutch_visitor_sending_a_valid_form_is_thanked_and_the_lead_is_scored() -> (
    None
):
    response = Client().post(FORM_URL, answers(), HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    assert response.wsgi_request.LANGUAGE_CODE == "nl"
    lead = Lead.objects.get()
    assert lead.email == "eva@logistiek-partners.nl"
    assert (lead.sector, lead.employees, lead.budget_euros) == ("logistics", 25, 15_000)
    assert lead.urgency == "within_3_months" and lead.source == "website_form"
    assert lead.consent_given and lead.consent_text_version == CONSENT_TEXT_VERSION
    assert lead.consent_at is not None
    assert lead.score_total is not None and lead.score_total > 0


def test_the_form_shows_every_question_with_a_label() -> None:
    response = Client().get(FORM_URL)

    assert response.status_code == 200
    page = elements(response.content.decode())
    for field in ("first_name", "last_name", "email", "company", "phone"):
        assert page.by_id[f"id_{field}"][0] == "input"
    for field in ("sector", "employees", "budget", "urgency"):
        assert page.by_id[f"id_{field}"][0] == "select"
    assert page.by_id["id_consent"][1]["type"] == "checkbox"
    assert 'for="id_budget"' in response.content.decode()


def test_a_bad_email_is_shown_next_to_the_email_field_in_the_visitors_language() -> (
    None
):
    response = Client().post(
        FORM_URL, answers(email="eva-at-logistiek"), HTTP_ACCEPT_LANGUAGE="nl"
    )

    assert response.status_code == 422
    error = assert_field_error(response.content.decode(), "email")
    assert "Voer een geldig e-mailadres in." in error
    assert Lead.objects.count() == 0


def test_an_email_the_pipeline_refuses_is_shown_on_the_email_field() -> None:
    """Django accepts a quoted local part; lead hygiene does not."""
    response = Client().post(FORM_URL, answers(email='"eva"@logistiek-partners.nl'))

    assert response.status_code == 422
    assert "cannot be used" in assert_field_error(response.content.decode(), "email")
    assert Lead.objects.count() == 0


def test_a_lead_without_a_budget_indication_is_refused() -> None:
    response = Client().post(FORM_URL, answers(budget="<absent>"))

    assert response.status_code == 422
    assert "budget" in assert_field_error(response.content.decode(), "budget")
    assert Lead.objects.count() == 0


def test_a_lead_without_consent_is_refused() -> None:
    response = Client().post(FORM_URL, answers(consent="<absent>"))

    assert response.status_code == 422
    assert "consent" in assert_field_error(response.content.decode(), "consent")
    assert Lead.objects.count() == 0


def test_a_refused_form_keeps_the_answers_typed() -> None:
    response = Client().post(FORM_URL, answers(budget="<absent>"))

    page = elements(response.content.decode())
    assert page.by_id["id_company"][1]["value"] == "Logistiek Partners B.V."
    assert "selected" in response.content.decode().split('value="logistics"')[1][:12]


def test_a_filled_honeypot_stores_nothing_but_thanks_the_sender() -> None:
    response = Client().post(FORM_URL, answers(website="https://cheap-pills.example"))

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    assert Lead.objects.count() == 0


def test_the_honeypot_is_hidden_from_people_and_skipped_by_the_tab_key() -> None:
    response = Client().get(FORM_URL)

    _tag, attributes = elements(response.content.decode()).by_id["id_website"]
    assert attributes["tabindex"] == "-1"
    assert attributes["autocomplete"] == "off"
    html = response.content.decode()
    assert '<div class="visually-hidden" aria-hidden="true">' in html


def test_a_second_submission_with_the_same_email_changes_nothing_at_once() -> None:
    """The email is now a lead's: the second answers wait for confirmation."""
    Client().post(FORM_URL, answers(phone=""))
    Client().post(FORM_URL, answers(phone="+31 6 87654321", budget="gt-25000"))

    lead = Lead.objects.get()
    assert (lead.phone, lead.budget_euros) == ("", 15_000)
    assert PendingFormSubmission.objects.get().lead == lead


def test_a_new_lead_has_its_submission_as_an_event_on_its_timeline() -> None:
    Client().post(FORM_URL, answers())

    lead = Lead.objects.get()
    event = Event.objects.get(lead=lead)
    assert (event.type, event.source) == ("form_submit", "form")
    assert event.properties == {
        "form": "website_form",
        "sector": "logistics",
        "employees": "10-49",
        "budget": "10000-25000",
        "urgency": "within_3_months",
        "consent": True,
    }
    admin = Client()
    admin.force_login(make_user("ada", role=Role.ADMIN))
    page = admin.get(f"/leads/{lead.pk}/").content.decode()
    assert "Form submitted" in page and "No events yet." not in page


def test_an_embedding_site_names_the_source_stored_with_the_lead() -> None:
    response = Client().post(f"{FORM_URL}?source=partner_site", answers())

    assert response.status_code == 302
    assert Lead.objects.get().source == "partner_site"


def test_an_unusable_source_falls_back_to_the_form_source() -> None:
    Client().post(f"{FORM_URL}?source=<script>", answers())

    assert Lead.objects.get().source == "website_form"


def test_the_form_posts_back_to_its_own_source() -> None:
    response = Client().get(f"{FORM_URL}?source=partner_site")

    _tag, attributes = elements(response.content.decode()).by_id["lead-form"]
    assert attributes["action"] == "/form/?source=partner_site"


def test_with_htmx_a_refused_form_returns_only_the_form_with_status_422() -> None:
    response = Client().post(FORM_URL, answers(budget=""), HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="lead-form"')
    assert_field_error(html, "budget")


def test_with_htmx_a_stored_lead_redirects_the_page_to_thanks() -> None:
    response = Client().post(FORM_URL, answers(), HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == THANKS_URL
    assert Lead.objects.count() == 1


def test_an_embedded_form_is_accepted_without_a_csrf_cookie() -> None:
    """A cross-site iframe gets no CSRF cookie, so the public form needs none."""
    response = Client(enforce_csrf_checks=True).post(FORM_URL, answers())

    assert response.status_code == 302
    assert Lead.objects.count() == 1


def test_the_form_and_thank_you_page_may_be_framed_by_other_sites() -> None:
    client = Client()

    assert "X-Frame-Options" not in client.get(FORM_URL)
    assert "X-Frame-Options" not in client.get(THANKS_URL)
    assert "X-Frame-Options" not in client.post(FORM_URL, answers(budget=""))


def test_other_pages_may_not_be_framed() -> None:
    admin = make_user("ada", role=Role.ADMIN)
    client = Client()
    client.force_login(admin)

    assert client.get("/form/embed-code/")["X-Frame-Options"] == "DENY"
    assert Client().get("/form/embed-code/")["X-Frame-Options"] == "DENY"


def test_the_embed_code_shows_an_iframe_of_the_form_to_admins() -> None:
    client = Client()
    client.force_login(make_user("ada", role=Role.ADMIN))

    response = client.get("/form/embed-code/")

    assert response.status_code == 200
    page = elements(response.content.decode())
    assert page.by_id["embed-snippet"][0] == "pre"
    snippet = page.text["embed-snippet"]
    assert '<iframe src="http://testserver/form/embed/?source=website"' in snippet


@pytest.mark.parametrize("role", [Role.SALES, Role.MARKETING])
def test_the_embed_code_is_for_admins_only(role: Role) -> None:
    client = Client()
    client.force_login(make_user("sam", role=role))

    assert client.get("/form/embed-code/").status_code == 403


def test_the_embed_code_asks_anonymous_visitors_to_log_in() -> None:
    response = Client().get("/form/embed-code/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_every_sector_but_other_is_one_the_default_model_scores() -> None:
    model = parse_scoring_model(default_model_source())
    scored = {
        str(value)
        for rule in model.rules
        if isinstance(rule.condition, FieldIn) and rule.condition.field == "sector"
        for value in rule.condition.values
    }

    assert set(SECTOR_CHOICES) - {OTHER_SECTOR} <= scored


def test_a_form_submission_is_counted_for_the_rate_limit() -> None:
    Client().post(FORM_URL, answers())

    assert FormAttempt.objects.count() == 1


def test_the_public_form_never_overwrites_an_existing_leads_details(
    client: Client,
) -> None:
    """Anyone can type any address; what the lead already told us stays."""
    lead = LeadFactory.create(
        email="bestaand@bakker-ict.nl", first_name="Jan", sector="software"
    )
    client.post(
        FORM_URL, answers(email=lead.email, first_name="Indringer", sector="retail")
    )
    lead.refresh_from_db()
    assert (lead.first_name, lead.sector) == ("Jan", "software")
