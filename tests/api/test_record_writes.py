"""Analysts create and change entities, parties and sources through the API: roles as in
the admin, If-Match against lost updates, history that names the key holder, and bad
input answered with a 400 naming the field, nothing written."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from claims.models import Entity
from claims.models.vocabulary import PART_OF_TOO_DEEP
from project.db import TREE_MAX_DEPTH
from sources.models import PARENT_TOO_DEEP, Party, Source
from tests.api.conftest import World, api_key, client_with_key, error_fields

pytestmark = pytest.mark.django_db

RECORDS: dict[str, type[Entity] | type[Party] | type[Source]] = {
    "entities": Entity,
    "parties": Party,
    "sources": Source,
}


def new_body(w: World, resource: str) -> dict[str, Any]:
    return {
        "entities": {
            "name": "Mahmudlu", "kind": "place", "aliases": ["Mahmudlu village", "Махмудлу"],
            "part_of": w.district.pk, "latitude": "39.3102", "longitude": 46.9711, "coordinate_precision_km": 1.5,
            "same_as": "https://www.wikidata.org/wiki/Q4066311", "description": "A village in Jabrayil.",
        },
        "parties": {
            "name": "Azerbaijani Ministry of Defence", "kind": "military", "parent": w.azerbaijan.pk,
            "aliases": ["MoD AZ"], "same_as": "https://www.wikidata.org/wiki/Q4211417", "reliability": "C",
            "description": "Daily front-line bulletins.",
        },
        "sources": {
            "kind": "statement", "title": "Statement on Mahmudlu", "url": "HTTPS://Mod.gov.az/news/1/?utm_source=x",
            "publisher": w.azerbaijan.pk, "author": "Press service", "language": "az",
            "published_at": "2020-10-20T10:00:00+04:00", "published_precision": "minute",
            "republished_from": w.article.pk, "archive_url": "https://web.archive.org/web/2020/https://mod.gov.az/1",
            "content_hash": "sha256:abc", "retrieved_at": "2020-10-21T00:00:00Z",
        },
    }[resource]  # fmt: skip


def existing(w: World, resource: str) -> Any:
    return {"entities": w.aghband, "parties": w.aliyev, "sources": w.article}[resource]


def url_of(resource: str, pk: int | None = None) -> str:
    return f"/api/v1/{resource}/" + (f"{pk}/" if pk is not None else "")


# --- Create ---------------------------------------------------------------------------


@pytest.mark.parametrize("resource", list(RECORDS))
def test_an_analyst_creates_a_record_and_gets_its_location_and_etag(
    world: World, analyst_client: APIClient, resource: str
) -> None:
    response = analyst_client.post(url_of(resource), new_body(world, resource), format="json")

    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response["Location"] == f"http://testserver{url_of(resource, pk)}"
    read = analyst_client.get(response["Location"])
    assert read.json() == response.json()
    assert read["ETag"] == response["ETag"]


def test_a_created_entity_keeps_every_field(world: World, analyst_client: APIClient) -> None:
    body = analyst_client.post(url_of("entities"), new_body(world, "entities"), format="json").json()

    entity = Entity.objects.get(pk=body["id"])
    assert (entity.name, entity.kind, entity.aliases, entity.part_of) == (
        "Mahmudlu", "place", ["Mahmudlu village", "Махмудлу"], world.district
    )  # fmt: skip
    assert (str(entity.latitude), str(entity.longitude), str(entity.coordinate_precision_km)) == (
        "39.310200", "46.971100", "1.500"
    )  # fmt: skip
    assert world.district in Entity.objects.filter(pk__in=Entity.objects.within(world.country))


def test_a_created_party_is_on_its_parents_side(world: World, analyst_client: APIClient) -> None:
    body = analyst_client.post(url_of("parties"), new_body(world, "parties"), format="json").json()

    party = Party.objects.get(pk=body["id"])
    assert party.side == world.azerbaijan
    assert body["parent"] == {"id": world.azerbaijan.pk, "name": "Azerbaijan"}
    assert (party.aliases, party.reliability) == (["MoD AZ"], "C")


def test_a_created_source_has_its_url_normalised(world: World, analyst_client: APIClient) -> None:
    body = analyst_client.post(url_of("sources"), new_body(world, "sources"), format="json").json()

    source = Source.objects.get(pk=body["id"])
    assert source.url == body["url"] == "https://mod.gov.az/news/1"
    assert source.origin() == world.article
    assert body["published_at"] == "2020-10-20T06:00:00Z"


@pytest.mark.parametrize("resource", list(RECORDS))
def test_the_smallest_body_takes_the_defaults(world: World, analyst_client: APIClient, resource: str) -> None:
    body = {"entities": {"name": "Somewhere"}, "parties": {"name": "Someone"}, "sources": {"title": "Something"}}

    response = analyst_client.post(url_of(resource), body[resource], format="json")

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("resource", list(RECORDS))
@pytest.mark.parametrize("role", ["journalist", "consumer"])
def test_only_analysts_write_records(
    world: World, role_clients: dict[str, APIClient], resource: str, role: str
) -> None:
    client = role_clients[role]
    target = existing(world, resource)
    count = RECORDS[resource].objects.count()

    created = client.post(url_of(resource), new_body(world, resource), format="json")
    changed = client.patch(url_of(resource, target.pk), {}, format="json", HTTP_IF_MATCH="*")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert RECORDS[resource].objects.count() == count


@pytest.mark.parametrize("resource", list(RECORDS))
def test_records_are_never_deleted_through_the_api(world: World, analyst_client: APIClient, resource: str) -> None:
    response = analyst_client.delete(url_of(resource, existing(world, resource).pk))

    assert response.status_code == 405
    assert RECORDS[resource].objects.filter(pk=existing(world, resource).pk).exists()


# --- Change: ETag and If-Match ---------------------------------------------------------

CHANGES = {
    "entities": ({"aliases": ["Ağbənd", "Agbend", "Aghbend"]}, "aliases", ["Ağbənd", "Agbend", "Aghbend"]),
    "parties": ({"reliability": "B"}, "reliability", "B"),
    "sources": ({"archive_url": "https://archive.ph/abc"}, "archive_url", "https://archive.ph/abc"),
}


@pytest.mark.parametrize("resource", list(RECORDS))
def test_a_change_needs_if_match_and_refuses_a_stale_tag(
    world: World, analyst_client: APIClient, resource: str
) -> None:
    url = url_of(resource, existing(world, resource).pk)
    change, field, value = CHANGES[resource]
    etag = analyst_client.get(url)["ETag"]

    missing = analyst_client.patch(url, change, format="json")
    assert missing.status_code == 428
    assert error_fields(missing) == {"If-Match": ["precondition_required"]}

    ok = analyst_client.patch(url, change, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200, ok.content
    assert ok.json()[field] == value
    assert ok["ETag"] != etag and ok["ETag"] == analyst_client.get(url)["ETag"]

    stale = analyst_client.patch(url, {field: ok.json()[field]}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert error_fields(stale) == {"If-Match": ["precondition_failed"]}
    assert getattr(RECORDS[resource].objects.get(pk=existing(world, resource).pk), field) == value


@pytest.mark.parametrize("resource", list(RECORDS))
def test_put_replaces_the_fields_given(world: World, analyst_client: APIClient, resource: str) -> None:
    url = url_of(resource, existing(world, resource).pk)
    body = new_body(world, resource)
    if resource == "sources":
        body["republished_from"] = world.republication.pk  # the article may not copy itself

    response = analyst_client.put(url, body, format="json", HTTP_IF_MATCH=analyst_client.get(url)["ETag"])

    assert response.status_code == 200, response.content
    assert response.json()["id"] == existing(world, resource).pk
    name_field = "title" if resource == "sources" else "name"
    assert response.json()[name_field] == body[name_field]


@pytest.mark.parametrize("resource", list(RECORDS))
def test_a_change_to_a_missing_record_is_a_404(analyst_client: APIClient, resource: str) -> None:
    response = analyst_client.patch(url_of(resource, 10**12), {}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 404


# --- History --------------------------------------------------------------------------


@pytest.mark.parametrize("resource", list(RECORDS))
def test_the_history_of_a_record_write_names_the_key_holder(
    world: World, analyst_client: APIClient, analyst: User, resource: str
) -> None:
    created = analyst_client.post(url_of(resource), new_body(world, resource), format="json")
    pk = created.json()["id"]
    change, _, _ = CHANGES[resource]
    analyst_client.patch(url_of(resource, pk), change, format="json", HTTP_IF_MATCH=created["ETag"])

    history = event_model(resource).objects.filter(pgh_obj_id=pk).select_related("pgh_context").order_by("pgh_id")
    assert [event.pgh_label for event in history] == ["insert", "update"]
    for event in history:
        assert event.pgh_context.metadata["user"] == analyst.pk
    assert [event.pgh_context.metadata["url"] for event in history] == [url_of(resource), url_of(resource, pk)]


def event_model(resource: str) -> Any:
    """The history table pghistory made for the resource's model (at runtime)."""
    from claims.models import EntityEvent  # type: ignore[attr-defined]
    from sources.models import PartyEvent, SourceEvent  # type: ignore[attr-defined]

    return {"entities": EntityEvent, "parties": PartyEvent, "sources": SourceEvent}[resource]


# --- Bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "overrides", "field"),
    [
        ("entities", {"part_of": 10**12}, "part_of"),
        ("entities", {"part_of": "1"}, "part_of"),
        ("entities", {"aliases": [f"name {i}" for i in range(51)]}, "aliases"),
        ("entities", {"aliases": "Agbend"}, "aliases"),
        ("entities", {"aliases": [""]}, "aliases.0"),
        ("entities", {"latitude": 91}, "latitude"),
        ("entities", {"latitude": "1e2"}, "latitude"),
        ("entities", {"latitude": True}, "latitude"),
        ("entities", {"latitude": "39.1234567"}, "latitude"),
        ("entities", {"longitude": None}, "longitude"),  # one coordinate without the other
        ("entities", {"kind": "village"}, "kind"),
        ("entities", {"name": ""}, "name"),
        ("entities", {"name": "x" * 201}, "name"),
        ("entities", {"same_as": "wikidata Q1"}, "same_as"),
        ("parties", {"parent": 10**12}, "parent"),
        ("parties", {"reliability": "G"}, "reliability"),
        ("parties", {"name": "Azerbaijan"}, "name"),  # taken
        ("parties", {"same_as": "ftp://example.org/"}, "same_as"),
        ("sources", {"url": "not a url"}, "url"),
        ("sources", {"url": "https://SouthFront.org/lachin/?utm_medium=x"}, "url"),  # taken, once normalised
        ("sources", {"published_at": "9999-01-01T00:00:00Z"}, "published_at"),
        ("sources", {"published_at": "9999-12-31T23:59:59-05:00"}, "published_at"),
        ("sources", {"retrieved_at": "2020-10-21T00:00:00"}, "retrieved_at"),
        ("sources", {"republished_from": 10**12}, "republished_from"),
        ("sources", {"publisher": True}, "publisher"),
        ("sources", {"published_precision": "week"}, "published_precision"),
    ],
)
def test_bad_record_input_is_a_400_naming_the_field_and_writes_nothing(
    world: World, analyst_client: APIClient, resource: str, overrides: dict[str, Any], field: str
) -> None:
    count = RECORDS[resource].objects.count()

    response = analyst_client.post(url_of(resource), {**new_body(world, resource), **overrides}, format="json")

    assert response.status_code == 400, response.content
    assert field in error_fields(response), error_fields(response)
    assert RECORDS[resource].objects.count() == count


@pytest.mark.parametrize(
    ("resource", "field"), [("entities", "part_of"), ("parties", "parent"), ("sources", "republished_from")]
)
def test_a_record_cannot_point_to_itself(world: World, analyst_client: APIClient, resource: str, field: str) -> None:
    target = existing(world, resource)
    url = url_of(resource, target.pk)

    response = analyst_client.patch(url, {field: target.pk}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 400, response.content
    assert field in error_fields(response), error_fields(response)
    assert getattr(RECORDS[resource].objects.get(pk=target.pk), f"{field}_id") != target.pk


@pytest.mark.parametrize(("resource", "field"), [("entities", "part_of"), ("parties", "parent")])
def test_a_record_cannot_be_put_under_one_of_its_own_parts(
    world: World, analyst_client: APIClient, resource: str, field: str
) -> None:
    # A loop (the district within a village within the district) would have the tree walks,
    # sides and the split scan's topmost place go round it.
    model: Any = RECORDS[resource]
    top = model.objects.create(name="Top", **({"kind": "place"} if resource == "entities" else {}))
    middle = model.objects.create(name="Middle", **{field: top})
    bottom = model.objects.create(name="Bottom", **{field: middle})

    response = analyst_client.patch(url_of(resource, top.pk), {field: bottom.pk}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 400, response.content
    assert field in error_fields(response), error_fields(response)
    assert getattr(model.objects.get(pk=top.pk), f"{field}_id") is None
    # Under a record outside its own tree, it may go.
    other = model.objects.create(name="Elsewhere", **({"kind": "place"} if resource == "entities" else {}))
    response = analyst_client.patch(url_of(resource, top.pk), {field: other.pk}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.content


def chain(model: Any, field: str, steps: int, *, top: Any = None, name: str = "Level") -> list[Any]:
    """``steps`` + 1 records, each under the one before (under ``top`` if given)."""
    kind = {"kind": "place"} if model is Entity else {}
    rows = [top or model.objects.create(name=f"{name} 0", **kind)]
    for level in range(1, steps + 1):
        rows.append(model.objects.create(name=f"{name} {level}", **kind, **{field: rows[-1]}))
    return rows


@pytest.mark.parametrize(("resource", "field"), [("entities", "part_of"), ("parties", "parent")])
def test_a_tree_deeper_than_the_walks_go_is_refused(
    world: World, analyst_client: APIClient, resource: str, field: str
) -> None:
    # The walks up and down the trees (sides, places within places, the split scan's topmost
    # place) stop after TREE_MAX_DEPTH steps: a deeper tree would be walked only in part.
    model: Any = RECORDS[resource]
    levels = chain(model, field, TREE_MAX_DEPTH - 1)  # 31 steps from the top to the bottom
    body = {**new_body(world, resource), field: levels[-1].pk}
    count = model.objects.count()

    # One more level is the deepest allowed; then a level below that is refused.
    deepest = analyst_client.post(url_of(resource), {**body, "name": "Deepest"}, format="json")
    assert deepest.status_code == 201, deepest.content
    too_deep = analyst_client.post(
        url_of(resource), {**body, "name": "Too deep", field: deepest.json()["id"]}, format="json"
    )
    assert too_deep.status_code == 400, too_deep.content
    assert error_fields(too_deep)[field] == [f"{model._meta.model_name}_tree_depth"]
    assert [error["message"] for error in too_deep.json()["errors"]] == [
        PART_OF_TOO_DEEP if model is Entity else PARENT_TOO_DEEP
    ]
    assert model.objects.count() == count + 1

    # A record with a tree of its own below it, moved under a deep one: each is fine alone,
    # together they are too deep.
    branch = chain(model, field, 2, name="Branch")
    moved = analyst_client.patch(
        url_of(resource, branch[0].pk), {field: levels[-3].pk}, format="json", HTTP_IF_MATCH="*"
    )
    assert moved.status_code == 200, moved.content  # 29 + 1 + 2 = 32 steps
    moved = analyst_client.patch(
        url_of(resource, branch[0].pk), {field: levels[-2].pk}, format="json", HTTP_IF_MATCH="*"
    )
    assert moved.status_code == 400, moved.content  # 30 + 1 + 2 = 33 steps
    assert field in error_fields(moved), error_fields(moved)
    assert getattr(model.objects.get(pk=branch[0].pk), f"{field}_id") == levels[-3].pk


@pytest.mark.parametrize(("resource", "field"), [("entities", "part_of"), ("parties", "parent")])
def test_a_record_in_a_tree_stored_deeper_before_the_rule_can_still_be_edited(
    world: World, analyst_client: APIClient, resource: str, field: str
) -> None:
    # A tree stored before depth was refused (or with triggers off): an edit that leaves the
    # record's place in it as it was changes no tree, so it is not refused for the depth.
    model: Any = RECORDS[resource]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        levels = chain(model, field, TREE_MAX_DEPTH + 3)
        cursor.execute("SET session_replication_role = DEFAULT")
    deepest = levels[-1]

    renamed = analyst_client.patch(
        url_of(resource, deepest.pk), {"name": "Renamed", field: levels[-2].pk}, format="json", HTTP_IF_MATCH="*"
    )
    assert renamed.status_code == 200, renamed.content
    with connection.cursor() as cursor:  # and in raw SQL, past the trigger
        cursor.execute(f"UPDATE {model._meta.db_table} SET name = 'Raw' WHERE id = %s", [deepest.pk])

    moved = analyst_client.patch(url_of(resource, deepest.pk), {field: levels[-3].pk}, format="json", HTTP_IF_MATCH="*")
    assert moved.status_code == 400, moved.content  # a move is checked: still too deep
    assert error_fields(moved)[field] == [f"{model._meta.model_name}_tree_depth"]


def test_an_entity_with_the_name_and_kind_of_another_in_the_same_place_is_refused(
    world: World, analyst_client: APIClient
) -> None:
    body = {"name": "Aghband", "kind": "place", "part_of": world.district.pk}

    response = analyst_client.post(url_of("entities"), body, format="json")

    assert response.status_code == 400, response.content
    assert Entity.objects.filter(name="Aghband").count() == 1
    assert analyst_client.post(url_of("entities"), {**body, "part_of": None}, format="json").status_code == 201


def test_changing_a_sources_url_to_anothers_is_refused(world: World, analyst_client: APIClient) -> None:
    url = url_of("sources", world.republication.pk)

    response = analyst_client.patch(url, {"url": "https://SouthFront.org/lachin/"}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 400, response.content
    assert "url" in error_fields(response), error_fields(response)
    assert Source.objects.get(pk=world.republication.pk).url == "https://www.globalresearch.ca/lachin"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_writers_holding_the_same_party_etag_exactly_one_wins(world: World, analyst: User) -> None:
    """The row lock makes compare-and-write one step for records as for claims."""
    url = url_of("parties", world.aliyev.pk)
    key = api_key(analyst)
    etag = client_with_key(key).get(url)["ETag"]
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def write(description: str) -> None:
        try:
            client = client_with_key(key)
            barrier.wait(timeout=10)
            response = client.patch(url, {"description": description}, format="json", HTTP_IF_MATCH=etag)
            statuses[description] = response.status_code
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(f"Writer {n}",)) for n in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=30)

    assert sorted(statuses.values()) == [200, 412], statuses
    winner = next(description for description, status in statuses.items() if status == 200)
    assert Party.objects.get(pk=world.aliyev.pk).description == winner
