"""A claim may name its subject, object and party by name or alias (exactly, ignoring case
and accents) and give its sources by URL; an unknown or ambiguous name is a 400 that lists
the candidates, and an unknown URL creates the source with the claim."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from claims.models import Claim, ClaimSource
from sources.models import Source
from tests import factories
from tests.api.conftest import World, api_key, claim_payload, client_with_key, error_fields
from tests.test_engine_concurrency import run_together

pytestmark = pytest.mark.django_db

LIST = "/api/v1/claims/"


def messages(response: Any, field: str) -> str:
    return " ".join(error["message"] for error in response.json()["errors"] if error["field"] == field)


def post(client: APIClient, w: World, **overrides: Any) -> Any:
    return client.post(LIST, claim_payload(w, **overrides), format="json")


def test_a_claim_names_its_subject_object_and_party_ignoring_case_and_accents(
    world: World, analyst_client: APIClient
) -> None:
    response = post(
        analyst_client, world, subject="AĞBƏND", object_entity="azerbaijani ARMED forces", asserted_by="ilham aliyev"
    )

    assert response.status_code == 201, response.content
    claim = Claim.objects.get(pk=response.json()["id"])
    assert claim.subject == world.aghband  # by its alias Ağbənd
    assert claim.object_entity_id == world.claims["aghband"].object_entity_id
    assert claim.asserted_by == world.aliyev


def test_a_name_is_matched_by_an_alias_folded(world: World, analyst_client: APIClient) -> None:
    response = post(analyst_client, world, subject="agbend")

    assert response.status_code == 201, response.content
    assert response.json()["subject"] == {"id": world.aghband.pk, "name": "Aghband"}


def test_a_party_is_named_by_an_alias(world: World, analyst_client: APIClient) -> None:
    world.armenian_mod.aliases = ["MoD Armenia"]
    world.armenian_mod.save()

    response = post(analyst_client, world, asserted_by="mod armenia")

    assert response.status_code == 201, response.content
    assert response.json()["asserted_by"]["id"] == world.armenian_mod.pk


def test_a_near_name_is_not_taken_for_the_name_and_the_400_offers_it(world: World, analyst_client: APIClient) -> None:
    """The search endpoints' fuzzy match finds Aghband for "Aghbend"; a claim must not."""
    response = post(analyst_client, world, subject="Aghbend")

    assert response.status_code == 400
    assert error_fields(response) == {"subject": ["unknown_name"]}
    assert f"Aghband (place, id {world.aghband.pk})" in messages(response, "subject")
    assert Claim.objects.count() == len(world.claims)


def test_an_unknown_party_lists_close_parties(world: World, analyst_client: APIClient) -> None:
    response = post(analyst_client, world, asserted_by="Ilham Aliev")

    assert response.status_code == 400
    assert error_fields(response) == {"asserted_by": ["unknown_name"]}
    assert f"Ilham Aliyev (id {world.aliyev.pk})" in messages(response, "asserted_by")


def test_a_name_nothing_resembles_is_a_400_without_suggestions(world: World, analyst_client: APIClient) -> None:
    response = post(analyst_client, world, object_entity="Qqqxxzz")

    assert error_fields(response) == {"object_entity": ["unknown_name"]}
    assert messages(response, "object_entity") == 'No entity is named "Qqqxxzz" (ignoring case and accents).'


def test_an_ambiguous_name_is_a_400_listing_each_candidate_with_its_id(world: World, analyst_client: APIClient) -> None:
    town = factories.EntityFactory(name="Shusha", kind="place")
    battle = factories.EntityFactory(name="Shusha", kind="event")

    response = post(analyst_client, world, subject="shusha")

    assert response.status_code == 400
    assert error_fields(response) == {"subject": ["ambiguous_name"]}
    message = messages(response, "subject")
    assert f"Shusha (place, id {town.pk})" in message and f"Shusha (event, id {battle.pk})" in message
    # The id settles it.
    assert post(analyst_client, world, subject=battle.pk).status_code == 201


def test_a_name_that_is_one_entitys_alias_and_anothers_name_is_ambiguous(
    world: World, analyst_client: APIClient
) -> None:
    other = factories.EntityFactory(name="Hadrud", kind="organisation")

    response = post(analyst_client, world, object_entity="Hadrud")  # Hadrut's alias too

    assert error_fields(response) == {"object_entity": ["ambiguous_name"]}
    assert f"id {other.pk}" in messages(response, "object_entity")
    assert f"id {world.hadrut.pk}" in messages(response, "object_entity")


@pytest.mark.parametrize(("value", "code"), [(1.5, "incorrect_type"), (True, "incorrect_type"), ([1], "incorrect_type"),
                                             ("  ", "blank"), ("x" * 201, "max_length"), ("a\x00b", "null_characters"),
                                             (10**12, "does_not_exist"), (0, "does_not_exist")])  # fmt: skip
def test_a_key_of_the_wrong_shape_is_a_400_naming_the_field(
    world: World, analyst_client: APIClient, value: Any, code: str
) -> None:
    response = post(analyst_client, world, subject=value)

    assert response.status_code == 400
    assert error_fields(response) == {"subject": [code]}


def test_a_claim_is_changed_by_names(world: World, analyst_client: APIClient) -> None:
    url = f"{LIST}{world.claims['aghband'].pk}/"
    etag = analyst_client.get(url)["ETag"]

    response = analyst_client.patch(
        url, {"subject": "Hadrut", "asserted_by": "Armenian Ministry of Defence"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200, response.content
    claim = Claim.objects.get(pk=world.claims["aghband"].pk)
    assert (claim.subject, claim.asserted_by) == (world.hadrut, world.armenian_mod)


# --- Sources by URL -------------------------------------------------------------------


def test_an_appearance_by_the_url_of_a_known_source_links_that_source(world: World, analyst_client: APIClient) -> None:
    sources = Source.objects.count()

    response = post(analyst_client, world, appearances=[{"url": "HTTPS://SouthFront.org/lachin/?utm_source=x"}])

    assert response.status_code == 201, response.content
    assert [a["source"]["id"] for a in response.json()["appearances"]] == [world.article.pk]
    assert Source.objects.count() == sources


def test_an_unknown_url_creates_the_source_of_kind_other_titled_by_its_url(
    world: World, analyst_client: APIClient
) -> None:
    response = post(analyst_client, world, appearances=[{"url": "https://Example.org/news/1/", "excerpt": "ours"}])

    assert response.status_code == 201, response.content
    source = Source.objects.get(url="https://example.org/news/1")
    assert (source.kind, source.title) == ("other", "https://example.org/news/1")
    assert response.json()["appearances"][0]["source"]["id"] == source.pk


def test_an_unknown_url_creates_the_source_with_the_kind_and_title_given(
    world: World, analyst_client: APIClient
) -> None:
    appearance = {"url": "https://t.me/mod/1", "kind": "social_post", "title": "MoD channel, post 1"}

    response = post(analyst_client, world, appearances=[appearance])

    assert response.status_code == 201, response.content
    source = Source.objects.get(url="https://t.me/mod/1")
    assert (source.kind, source.title) == ("social_post", "MoD channel, post 1")


def test_one_new_url_in_two_roles_creates_one_source(world: World, analyst_client: APIClient) -> None:
    url = "https://example.org/statement"
    body = [{"url": url, "role": "original"}, {"url": url + "/", "role": "evidence"}]

    response = post(analyst_client, world, appearances=body)

    assert response.status_code == 201, response.content
    source = Source.objects.get(url=url)
    assert ClaimSource.objects.filter(claim=response.json()["id"], source=source).count() == 2


def test_a_refused_claim_leaves_no_source_behind(world: World, analyst_client: APIClient) -> None:
    counts = Source.objects.count(), Claim.objects.count()
    appearance = {"url": "https://example.org/new"}

    # A casualties claim needs a quantity, not an entity: refused by the service.
    response = post(analyst_client, world, predicate="casualties", appearances=[appearance])
    assert response.status_code == 400
    # The same source twice in one role: refused after the source was created.
    response = post(analyst_client, world, appearances=[appearance, appearance])
    assert response.status_code == 400

    assert (Source.objects.count(), Claim.objects.count()) == counts


@pytest.mark.parametrize(
    ("appearance", "fields"),
    [
        ({"source": 1, "url": "https://example.org/a"}, {"appearances.1.source": ["required"]}),
        ({"role": "report"}, {"appearances.1.source": ["required"]}),
        ({"source": 1, "kind": "video"}, {"appearances.1.kind": ["invalid"]}),
        ({"url": "mailto:x@example.org"}, {"appearances.1.url": ["invalid"]}),
        ({"url": "https://example.org/a", "kind": "rumour"}, {"appearances.1.kind": ["invalid_choice"]}),
        ({"source": 10**12}, {"appearances.1.source": ["does_not_exist"]}),
        ({"source": "1"}, {"appearances.1.source": ["invalid"]}),
    ],
)
def test_a_bad_appearance_is_a_400_naming_it(
    world: World, analyst_client: APIClient, appearance: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    first = {"source": world.article.pk}
    if appearance.get("source") == 1:
        appearance = {**appearance, "source": world.republication.pk}
    sources = Source.objects.count()

    response = post(analyst_client, world, appearances=[first, appearance])

    assert response.status_code == 400, response.content
    assert error_fields(response) == fields
    assert Source.objects.count() == sources


def test_the_create_costs_the_same_queries_for_one_appearance_or_six(world: World, analyst_client: APIClient) -> None:
    known = [factories.SourceFactory(url=f"https://example.org/known/{n}") for n in range(3)]
    post(analyst_client, world)  # the API key is verified once, then remembered

    def queries(appearances: list[dict[str, Any]]) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = post(analyst_client, world, subject="Agbend", asserted_by="Ilham Aliyev",
                            appearances=appearances)  # fmt: skip
        assert response.status_code == 201, response.content
        return len(captured)

    one = queries([{"source": world.article.pk}])
    six = queries(
        [{"source": world.article.pk}, {"source": world.republication.pk}, {"source": known[0].pk}]
        + [{"url": f"{source.url}/", "role": "evidence"} for source in known]
    )
    assert six == one


def test_the_schema_gives_each_key_as_an_id_or_a_name() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]  # drf-spectacular is not annotated
    components = schema["components"]["schemas"]
    for body in ("ClaimCreateInputRequest", "ClaimUpdateInputRequest", "PatchedClaimUpdateInputRequest"):
        properties = components[body]["properties"]
        for name in ("subject", "object_entity", "asserted_by"):
            types = [option["type"] for option in properties[name]["oneOf"]]
            assert types == ["integer", "string"], (body, name)
            assert isinstance(properties[name]["example"], str)
        assert properties["object_entity"]["nullable"] is True
    appearance = components["AppearanceInputRequest"]["properties"]
    assert {"source", "url", "kind", "title"} <= set(appearance)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as the suite's other API race tests
def test_two_claims_racing_to_create_the_same_new_url_share_one_source(migration_data: None, analyst: Any) -> None:
    subject, party = factories.EntityFactory(name="Talish"), factories.PartyFactory(name="Armenian MoD")
    clients = [client_with_key(api_key(analyst, name=f"tool {n}")) for n in range(2)]
    body = {
        "subject": "talish", "predicate": "controlled-by", "object_entity": subject.pk, "asserted_by": "Armenian MoD",
        "asserted_at": "2020-10-22T12:00:00Z", "statement": "Talish holds",
        "appearances": [{"url": "https://example.org/talish", "title": "Talish"}],
    }  # fmt: skip
    statuses: list[int] = []

    def create(client: APIClient) -> Callable[[], None]:
        return lambda: statuses.append(client.post(LIST, body, format="json").status_code)

    run_together([create(client) for client in clients])

    assert statuses == [201, 201]
    source = Source.objects.get(url="https://example.org/talish")
    assert ClaimSource.objects.filter(source=source).count() == 2
    assert Claim.objects.filter(asserted_by=party).count() == 2
