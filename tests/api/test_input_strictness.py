"""Request bodies are taken at their word: a field the endpoint does not know, or a
date-time without a time zone, is a 400 naming the field, never silently dropped or
guessed at. The walk goes over every write operation in the OpenAPI schema, so a new
endpoint cannot forget it."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from claims.models import Claim
from tests.api.conftest import World, claim_payload, error_fields

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")
NAIVE = "2020-10-20T10:00:00"


OPERATIONS = (
    "claims_create", "claims_bulk_create", "claims_update", "claims_partial_update", "claims_retract", "status_lookup_bulk",
    "verdicts_create", "contradictions_confirm", "contradictions_dismiss", "keys_create",
    "entities_create", "entities_update", "entities_partial_update",
    "parties_create", "parties_update", "parties_partial_update",
    "sources_create", "sources_update", "sources_partial_update",
)  # fmt: skip


@functools.cache
def body_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, request body schema) for every write that takes a JSON body."""
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]  # drf-spectacular is not annotated
    components = schema["components"]["schemas"]
    found = {}
    for path, item in schema["paths"].items():
        for method in WRITE_METHODS:
            operation = item.get(method)
            if operation is None or "requestBody" not in operation:
                continue
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            # A bulk write takes an array of bodies: walk the body of one item.
            ref = body["items"]["$ref"] if body.get("type") == "array" else body["$ref"]
            found[operation["operationId"]] = (method, path, components[ref.rsplit("/", 1)[1]])
    return found


# Writes whose body is an array of bodies; the API names a field of one by its row: "1.name".
ARRAY_BODIES = frozenset({"claims_bulk_create"})


def field_of(operation_id: str, name: str) -> str:
    """How an error names the body's field ``name``."""
    return f"1.{name}" if operation_id in ARRAY_BODIES else name


def valid_body(w: World, operation_id: str) -> dict[str, Any]:
    """A body the operation accepts."""
    create = claim_payload(w)
    return {
        "claims_create": create,
        "claims_bulk_create": claim_payload(w, statement="Azerbaijani forces hold Aghband, in bulk"),
        "claims_update": {name: value for name, value in create.items() if name != "appearances"},
        "claims_partial_update": {
            "statement": "Azerbaijani forces hold Aghband",
            "asserted_at": "2020-10-22T12:00:00Z",
        },
        "claims_retract": {"reason": "The minister withdrew it."},
        "status_lookup_bulk": {"ids": [w.claims["hadrut"].pk], "as_of": "2020-10-22T12:00:00+04:00"},
        "verdicts_create": {"claim": w.claims["aghband"].pk, "rating": "true", "rationale": "Confirmed."},
        "contradictions_confirm": {"note": "Both cannot hold."},
        "contradictions_dismiss": {"reason": "Different villages."},
        "keys_create": {"name": "dashboard", "expiry_date": "2099-01-01T00:00:00Z"},
        "entities_create": {"name": "Mahmudlu", "part_of": w.district.pk, "latitude": 39.31, "longitude": "46.97"},
        "entities_update": {"name": "Aghband", "kind": "place", "part_of": w.district.pk, "aliases": ["Agbend"]},
        "entities_partial_update": {"aliases": ["Ağbənd", "Agbend", "Aghbend"]},
        "parties_create": {"name": "Azerbaijani Ministry of Defence", "kind": "military", "parent": w.azerbaijan.pk},
        "parties_update": {"name": "Ilham Aliyev", "kind": "person", "parent": w.azerbaijan.pk},
        "parties_partial_update": {"reliability": "B"},
        "sources_create": {"title": "Statement", "url": "https://mod.gov.az/news/1",
                           "published_at": "2020-10-20T10:00:00+04:00", "retrieved_at": "2020-10-21T00:00:00Z"},
        "sources_update": {"title": "Lachin", "url": "https://southfront.org/lachin",
                           "published_at": "2020-10-20T10:00:00Z", "retrieved_at": "2020-10-21T00:00:00Z"},
        "sources_partial_update": {"retrieved_at": "2020-10-21T00:00:00Z"},
    }[operation_id]  # fmt: skip


def send(client: APIClient, w: World, operation_id: str, body: dict[str, Any]) -> Any:
    method, path, _ = body_operations()[operation_id]
    pk = w.contradictions["border"].pk if path.startswith("/api/v1/contradictions/") else w.claims["aghband"].pk
    for prefix, record in (("entities", w.aghband), ("parties", w.aliyev), ("sources", w.article)):
        if path.startswith(f"/api/v1/{prefix}/"):
            pk = record.pk
    url = path.replace("{id}", str(pk))
    headers = {}
    if method in ("put", "patch"):
        headers["HTTP_IF_MATCH"] = client.get(url)["ETag"]
    data: Any = [body] if operation_id in ARRAY_BODIES else body
    return getattr(client, method)(url, data, format="json", **headers)


def test_every_write_operation_with_a_body_is_walked() -> None:
    assert set(body_operations()) == set(OPERATIONS)


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_it_accepts_the_valid_body(world: World, analyst_client: APIClient, operation_id: str) -> None:
    """So that, below, the unknown field or the naive date-time alone is what is refused."""
    response = send(analyst_client, world, operation_id, valid_body(world, operation_id))
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_it_rejects_an_unknown_field_in_every_write_body(
    world: World, analyst_client: APIClient, operation_id: str
) -> None:
    body = {**valid_body(world, operation_id), "asserted_on": "2020-10-20T10:00:00Z"}
    response = send(analyst_client, world, operation_id, body)
    assert response.status_code == 400, response.content
    assert error_fields(response) == {field_of(operation_id, "asserted_on"): ["unknown_field"]}
    assert response.json()["detail"].startswith(f"{field_of(operation_id, 'asserted_on')}: ")
    assert Claim.objects.count() == len(world.claims)  # nothing was written


def test_it_rejects_an_unknown_field_in_a_nested_object(world: World, analyst_client: APIClient) -> None:
    body = claim_payload(world)
    body["appearances"][0]["page"] = 3
    response = analyst_client.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"appearances.0.page": ["unknown_field"]}


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_it_rejects_a_date_time_without_a_time_zone_in_every_write_body(
    world: World, analyst_client: APIClient, operation_id: str
) -> None:
    _, _, schema = body_operations()[operation_id]
    for name, prop in schema["properties"].items():
        if prop.get("format") != "date-time":
            continue
        body = {**valid_body(world, operation_id), name: NAIVE}
        response = send(analyst_client, world, operation_id, body)
        assert response.status_code == 400, (name, response.content)
        assert error_fields(response) == {field_of(operation_id, name): ["naive_datetime"]}, name


def test_the_date_time_walk_covers_the_date_times_of_the_bodies() -> None:
    found = {
        (operation_id, name)
        for operation_id, (_, _, schema) in body_operations().items()
        for name, prop in schema["properties"].items()
        if prop.get("format") == "date-time"
    }
    assert {("claims_create", "asserted_at"), ("claims_update", "asserted_at"),
            ("claims_partial_update", "asserted_at"), ("status_lookup_bulk", "as_of"),
            ("keys_create", "expiry_date"), ("sources_create", "published_at"), ("sources_create", "retrieved_at"),
            ("sources_update", "published_at"), ("sources_partial_update", "retrieved_at")} <= found  # fmt: skip


@pytest.mark.parametrize("value", ["2020-10-20T10:00:00Z", "2020-10-20T10:00:00+04:00", "2020-10-20T10:00:00.5-03:30"])
def test_it_accepts_a_date_time_with_a_time_zone(world: World, analyst_client: APIClient, value: str) -> None:
    response = analyst_client.post("/api/v1/claims/", claim_payload(world, asserted_at=value), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/claims/", "asserted_after"),
        ("/api/v1/claims/", "asserted_before"),
        ("/api/v1/claims/", "updated_since"),
        ("/api/v1/contradictions/", "detected_since"),
        ("/api/v1/status/", "as_of"),
        ("/api/v1/claims/{id}/status/", "as_of"),
    ],
)
def test_query_parameter_date_times_refuse_a_naive_value_too(
    world: World, consumer_client: APIClient, url: str, parameter: str
) -> None:
    pk = world.claims["hadrut"].pk
    url, other = url.replace("{id}", str(pk)), ({"ids": pk} if url == "/api/v1/status/" else {})
    naive = consumer_client.get(url, {**other, parameter: NAIVE})  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union
    assert naive.status_code == 400, naive.content
    assert error_fields(naive) == {parameter: ["naive_datetime"]}
    assert consumer_client.get(url, {**other, parameter: "2020-10-20T10:00:00Z"}).status_code == 200  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union


def test_a_model_serializer_for_input_maps_date_times_to_the_strict_field() -> None:
    from project.api.fields import StrictDateTimeField
    from project.api.serializers import InputModelSerializer

    class ClaimInput(InputModelSerializer[Claim]):
        class Meta:
            model = Claim
            fields = ["asserted_at", "statement"]

    serializer = ClaimInput(data={"asserted_at": NAIVE, "statement": "x", "extra": 1})
    assert isinstance(serializer.fields["asserted_at"], StrictDateTimeField)
    assert not serializer.is_valid()
    assert {name: [e.code for e in errors] for name, errors in serializer.errors.items()} == {
        "asserted_at": ["naive_datetime"], "extra": ["unknown_field"]
    }  # fmt: skip
