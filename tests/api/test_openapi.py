"""The OpenAPI schema and the offline interactive docs."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.api.helpers import body_of

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/leads", "get"): "list_leads",
    ("/api/v1/leads", "post"): "create_or_update_lead",
    ("/api/v1/leads/{lead_id}", "get"): "get_lead",
    ("/api/v1/leads/{lead_id}/feedback", "post"): "give_feedback",
    ("/api/v1/events", "post"): "post_events",
}


def test_the_schema_lists_every_path_with_its_stable_operation_id() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = body_of(response)
    assert schema["info"]["title"] == "leadqual API"
    found = {
        (path, method): operation["operationId"]
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert found == OPERATIONS


def test_every_operation_needs_the_bearer_token_and_declares_its_errors() -> None:
    schema = body_of(Client().get("/api/v1/openapi.json"))
    scheme = schema["components"]["securitySchemes"]["BearerToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for (path, method), _name in OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"BearerToken": []}]
        for status in ("401", "422"):
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
        if "{lead_id}" in path:
            assert "404" in operation["responses"]


def test_the_event_item_shape_is_documented_with_an_example() -> None:
    schema = body_of(Client().get("/api/v1/openapi.json"))
    events = schema["components"]["schemas"]["EventBatchIn"]["properties"]["events"]
    assert events["maxItems"] == 1000
    assert events["items"]["required"] == ["lead_email", "type", "occurred_at"]
    assert "demo_request" in events["items"]["properties"]["type"]["enum"]
    assert events["items"]["examples"][0]["type"] == "page_view"


def test_the_docs_work_offline() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "/static/ninja/swagger-ui.css" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert "/api/v1/openapi.json" in page


def test_the_docs_assets_are_served_by_the_app() -> None:
    response = Client().get("/static/ninja/swagger-ui-bundle.js")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/api/v1/leads", "/api/v1/leads/1", "/api/v1/leads/1/feedback", "/api/v1/events"],
)
def test_the_documented_paths_answer_without_a_trailing_slash(path: str) -> None:
    """Each path exists literally: unauthenticated calls get 401, not 404."""
    client = Client()
    response = (
        client.get(path)
        if "feedback" not in path and "events" not in path
        else client.post(path)
    )
    assert response.status_code == 401
