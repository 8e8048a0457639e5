"""Entity search ranks by match quality; the schema is served as JSON when asked for."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.test import Client
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def shusha(db: Any) -> None:
    town = factories.EntityFactory(name="Shusha", aliases=["Shushi", "Şuşa"])
    factories.EntityFactory(name="Battle of Shusha", kind="event", part_of=town)
    factories.EntityFactory(name="Shusha district")
    factories.EntityFactory(name="Aghband")


def test_entity_search_puts_the_best_match_first(shusha: None, consumer_client: APIClient) -> None:
    # By name alone "Battle of Shusha" sorts first; by match it is the town, whose alias this is.
    assert names(consumer_client.get("/api/v1/entities/", {"q": "Shushi"}))[0] == "Shusha"
    assert names(consumer_client.get("/api/v1/entities/", {"q": "Shusha"})) == [
        "Shusha", "Shusha district", "Battle of Shusha"
    ]  # fmt: skip
    assert names(consumer_client.get("/api/v1/entities/", {"q": "suşa"}))[0] == "Shusha"


def test_entity_search_pages_follow_the_ranking(shusha: None, consumer_client: APIClient) -> None:
    first = consumer_client.get("/api/v1/entities/", {"q": "Shusha", "page_size": 1}).json()  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union
    seen = [row["name"] for row in first["results"]]
    page = first
    while page["next"]:
        page = consumer_client.get(page["next"]).json()
        seen += [row["name"] for row in page["results"]]
    assert seen == ["Shusha", "Shusha district", "Battle of Shusha"]
    back = consumer_client.get(page["previous"]).json()
    assert [row["name"] for row in back["results"]] == ["Shusha district"]


def test_an_explicit_ordering_still_wins_over_the_ranking(shusha: None, consumer_client: APIClient) -> None:
    assert names(consumer_client.get("/api/v1/entities/", {"q": "Shusha", "ordering": "name"})) == [
        "Battle of Shusha", "Shusha", "Shusha district"
    ]  # fmt: skip
    # Without q every entity's relevance is 0: ordering by it is allowed and falls back to id.
    assert consumer_client.get("/api/v1/entities/", {"ordering": "-relevance"}).status_code == 200
    assert names(consumer_client.get("/api/v1/entities/"))[0] == "Aghband"


def test_the_schema_is_json_with_format_json_and_yaml_by_default(client: Client) -> None:
    as_json = client.get("/api/schema/", {"format": "json"})
    assert as_json.status_code == 200
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json") or as_json["Content-Type"].startswith(
        "application/json"
    )
    document = as_json.json()
    assert document["openapi"].startswith("3.")
    as_yaml = client.get("/api/schema/")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.content)["paths"] == document["paths"]
    assert client.get("/api/schema/", {"format": "yaml"}).content == as_yaml.content


def test_an_unknown_schema_format_is_a_400_naming_it(client: Client) -> None:
    response = client.get("/api/schema/", {"format": "xml"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "format", "code": "invalid_choice", "message": "Give json or yaml."}]


def test_the_schema_documents_the_entity_search_parameters(client: Client) -> None:
    document = client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/entities/"]["get"]["parameters"]}
    for name in ("q", "within", "part_of", "kind", "ordering"):
        assert parameters[name].get("description"), name
    assert "best match first" in parameters["ordering"]["description"]
