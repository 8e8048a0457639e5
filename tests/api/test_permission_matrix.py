"""Every operation of the API, for every role: anonymous requests get 401, a role without
the permission gets 403, and a role with it gets past both (to a 2xx, or to a 4xx about
the input or the object). Unlisted methods get 405. The table must name every operation
in the OpenAPI schema, so a new endpoint cannot be left out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from drf_spectacular.generators import SchemaGenerator

from tests import factories
from tests.api.conftest import World, api_key, claim_payload, client_with_key

pytestmark = pytest.mark.django_db

A, J, C, N = "analyst", "journalist", "consumer", "norole"
READERS = {A, J, C}
# operationId -> the roles allowed to call it
ALLOWED: dict[str, set[str]] = {
    "claims_list": READERS, "claims_create": {A}, "claims_bulk_create": {A}, "claims_retrieve": READERS, "claims_update": {A},
    "claims_partial_update": {A}, "claims_retract": {A}, "claims_status": READERS, "claims_claim_review": READERS,
    "status_lookup": READERS, "status_lookup_bulk": READERS, "changes_list": READERS,
    "verdicts_list": READERS, "verdicts_create": {A}, "verdicts_retrieve": READERS, "verdicts_publish": {A},
    "contradictions_list": READERS, "contradictions_retrieve": READERS,
    "contradictions_confirm": {A, J}, "contradictions_dismiss": {A, J},
    "entities_list": READERS, "entities_retrieve": READERS, "entities_timeline": READERS,
    "predicates_list": READERS, "predicates_retrieve": READERS,
    "parties_list": READERS, "parties_retrieve": READERS, "parties_record": READERS,
    "sources_list": READERS, "sources_retrieve": READERS,
    # Analysts keep the reference records, as in the admin (claims.add_entity, sources.change_party…).
    "entities_create": {A}, "entities_update": {A}, "entities_partial_update": {A},
    "parties_create": {A}, "parties_update": {A}, "parties_partial_update": {A},
    "sources_create": {A}, "sources_update": {A}, "sources_partial_update": {A},
    # Keys belong to whoever is signed in, whatever the role.
    "keys_list": {A, J, C, N}, "keys_create": {A, J, C, N}, "keys_retrieve": {A, J, C, N}, "keys_revoke": {A, J, C, N},
}  # fmt: skip
METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]  # drf-spectacular is not annotated
    return [
        (method.upper(), path, operation["operationId"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_table_names_every_operation_in_the_schema() -> None:
    assert {operation_id for _, _, operation_id in operations()} == set(ALLOWED)


@pytest.fixture
def clients(world: World, analyst: User, journalist: User, consumer: User) -> dict[str, Any]:
    norole = factories.UserFactory(username="norole", is_staff=False)
    users = {A: analyst, J: journalist, C: consumer, N: norole}
    found: dict[str, Any] = {role: client_with_key(api_key(user)) for role, user in users.items()}
    found["anonymous"] = client_with_key(None)
    # A second key of each user, for the revoke operation (a key cannot revoke itself).
    found["spare_prefix"] = {role: api_key(user, "spare").split(".")[0] for role, user in users.items()}
    return found


def url_for(path: str, world: World, role: str, clients: dict[str, Any]) -> str:
    values = {
        "/api/v1/claims/{id}": world.claims["aghband"].pk,
        "/api/v1/verdicts/{id}": world.claims["hadrut"].verdicts.get().pk,
        "/api/v1/contradictions/{id}": world.contradictions["hadrut"].pk,
        "/api/v1/entities/{id}": world.aghband.pk,
        "/api/v1/parties/{id}": world.aliyev.pk,
        "/api/v1/sources/{id}": world.article.pk,
        "/api/v1/predicates/{slug}": "controlled-by",
        "/api/v1/keys/{prefix}": clients["spare_prefix"].get(role, "nokey"),
    }
    for prefix, value in values.items():
        if path.startswith(prefix):
            return path.replace(prefix.rsplit("/", 1)[1], str(value), 1)
    return path


BODIES = {
    "claims_create": lambda w: claim_payload(w),
    "claims_bulk_create": lambda w: [claim_payload(w, statement="A claim in bulk")],
    "claims_update": lambda w: claim_payload(w, appearances=None),
    "claims_partial_update": lambda w: {"quote": "changed"},
    "claims_retract": lambda w: {"reason": "test"},
    "status_lookup_bulk": lambda w: {"ids": [w.claims["aghband"].pk]},
    "verdicts_create": lambda w: {"claim": w.claims["aghband"].pk, "rating": "true", "rationale": "x"},
    "contradictions_confirm": lambda w: {"note": ""},
    "contradictions_dismiss": lambda w: {"reason": "test"},
    "keys_create": lambda w: {"name": "matrix"},
    "entities_create": lambda w: {"name": "Matrix village", "part_of": w.district.pk},
    "entities_update": lambda w: {"name": "Aghband"},
    "entities_partial_update": lambda w: {"description": "changed"},
    "parties_create": lambda w: {"name": "Matrix party"},
    "parties_update": lambda w: {"name": "Ilham Aliyev"},
    "parties_partial_update": lambda w: {"description": "changed"},
    "sources_create": lambda w: {"title": "Matrix source", "url": "https://example.org/matrix"},
    "sources_update": lambda w: {"title": "Changed"},
    "sources_partial_update": lambda w: {"author": "changed"},
}
QUERIES = {"status_lookup": lambda w: {"ids": w.claims["aghband"].pk}}


@pytest.mark.parametrize("role", [A, J, C, N, "anonymous"])
def test_every_operation_for_every_role(world: World, clients: dict[str, Any], role: str) -> None:
    client = clients[role]
    for method, path, operation_id in operations():
        url = url_for(path, world, role, clients)
        body = BODIES.get(operation_id, lambda w: None)(world)
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if v is not None}
        kwargs: dict[str, Any] = {"format": "json"} if body is not None else {}
        if method in ("PUT", "PATCH"):
            kwargs["HTTP_IF_MATCH"] = "*"
        params = QUERIES.get(operation_id, lambda w: None)(world)
        if params:
            url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        response = getattr(client, method.lower())(url, body, **kwargs)
        label = f"{role} {method} {url} -> {response.status_code} {response.content[:200]!r}"

        if role == "anonymous":
            assert response.status_code == 401, label
            assert response["WWW-Authenticate"] == "Api-Key", label
        elif role in ALLOWED[operation_id]:
            assert response.status_code not in (401, 403, 405), label
            assert response.status_code < 500, label
        else:
            assert response.status_code == 403, label
            assert response.json()["code"] == "permission_denied", label


def test_methods_an_endpoint_does_not_offer_are_405_with_allow(world: World, clients: dict[str, Any]) -> None:
    client = clients[A]
    documented: dict[str, set[str]] = {}
    for method, path, _ in operations():
        documented.setdefault(path, set()).add(method)
    for path, methods in documented.items():
        url = url_for(path, world, A, clients)
        for method in set(m.upper() for m in METHODS) - methods:
            response = getattr(client, method.lower())(url, {}, format="json")
            assert response.status_code == 405, f"{method} {url} -> {response.status_code}"
            allowed = set(re.split(r",\s*", response["Allow"]))
            assert methods <= allowed, (path, allowed)
            assert response.json()["code"] == "method_not_allowed"


def test_a_superuser_may_do_everything_an_analyst_may(world: World, superuser: User) -> None:
    client = client_with_key(api_key(superuser))
    assert client.post("/api/v1/claims/", claim_payload(world), format="json").status_code == 201
    assert (
        client.post(
            f"/api/v1/contradictions/{world.contradictions['border'].pk}/confirm/", {}, format="json"
        ).status_code
        == 200
    )
