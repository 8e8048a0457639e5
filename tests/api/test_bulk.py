"""POST /api/v1/claims/bulk/: up to 10,000 claims, all written or none, errors per row."""

from __future__ import annotations

from typing import Any

import orjson
import pghistory.models
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims.ingest import BULK_MAX_ROWS
from claims.models import Claim, ClaimChange, ClaimImport, ClaimSource, Contradiction, Entity
from sources.models import Source
from tests import factories
from tests.api.conftest import World

URL = "/api/v1/claims/bulk/"


def row(world: World, number: int, **overrides: Any) -> dict[str, Any]:
    return {
        "subject": "agbend",  # an alias, folded: Aghband
        "predicate": "controlled-by",
        "object_entity": "Hadrut",
        "asserted_by": "ilham aliyev",
        "asserted_at": "2020-10-26T10:00:00Z",
        "statement": f"Bulk claim {number}",
        "appearances": [{"url": f"https://news.example.org/bulk/{number % 3}?utm_source=x", "excerpt": "As said."}],
        **overrides,
    }


def post(client: APIClient, rows: Any, *, ndjson: bool = False) -> Any:
    if ndjson:
        body = "\n".join(orjson.dumps(item).decode() for item in rows) + "\n"
        return client.generic("POST", URL, body, content_type="application/x-ndjson")
    return client.post(URL, rows, format="json")


def row_errors(response: Any) -> set[tuple[int, str, str]]:
    """(row, field, code) of each error: the API names a field by its row, "4.subject"."""
    found = set()
    for error in response.json()["errors"]:
        row, field = error["field"].split(".", 1)
        found.add((int(row), field, error["code"]))
    return found


def counts() -> tuple[int, int, int, int, int]:
    return (
        Claim.objects.count(), ClaimSource.objects.count(), Source.objects.count(), ClaimChange.objects.count(),
        ClaimImport.objects.count(),
    )  # fmt: skip


def test_an_analyst_creates_claims_in_bulk_by_name_with_history_and_change_feed(
    world: World, analyst_client: APIClient
) -> None:
    response = post(analyst_client, [row(world, n) for n in range(5)])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 5 and len(body["claims"]) == 5
    assert body["sources_created"] == 3  # three URLs, normalised (the tracking parameter dropped)
    claims = list(Claim.objects.filter(pk__in=body["claims"]).order_by("pk"))
    assert [c.statement for c in claims] == [f"Bulk claim {n}" for n in range(5)]
    assert {(c.subject_id, c.object_entity_id, c.asserted_by_id) for c in claims} == {
        (world.aghband.pk, world.hadrut.pk, world.aliyev.pk)
    }
    assert all(c.valid_from.isoformat() == "2020-10-26" and c.value_type == "entity" for c in claims)
    assert Source.objects.filter(url="https://news.example.org/bulk/0").exists()
    assert ClaimSource.objects.filter(claim__in=claims).count() == 5
    # The change feed: one row per claim, created with its sources, in the same transaction.
    changes = ClaimChange.objects.filter(claim__in=claims)
    assert sorted(tuple(c.changes) for c in changes) == [("created", "sources")] * 5
    # History: every claim and appearance has its insert event, under the import's context.
    events = pghistory.models.Events.objects.filter(
        pgh_model="claims.ClaimEvent", pgh_obj_id__in=[str(c.pk) for c in claims]
    )
    assert events.count() == 5
    assert {e.pgh_context["claim_import"] for e in events} == {body["import_id"]}  # type: ignore[index]
    run = ClaimImport.objects.get(pk=body["import_id"])
    assert (run.origin, run.state, run.claims_created, run.created_by.username) == ("api", "published", 5, "analyst")  # type: ignore[union-attr]


def test_ndjson_is_taken_too(world: World, analyst_client: APIClient) -> None:
    response = post(analyst_client, [row(world, n) for n in range(3)], ndjson=True)
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 3


def test_one_bad_row_refuses_them_all_naming_each_row_and_field(world: World, analyst_client: APIClient) -> None:
    before = counts()
    rows = [row(world, n) for n in range(6)]
    rows[1]["subject"] = "Atlantis"
    rows[2]["asserted_at"] = "2020-10-26T10:00:00"  # no time zone
    rows[3]["quantity_best"] = "12"  # controlled-by takes an entity
    rows[4] = dict(rows[0])  # repeats row 1
    rows[5]["appearances"] = [{"source": 999_999_999}]
    response = post(analyst_client, rows)
    assert response.status_code == 400
    body = response.json()
    assert row_errors(response) == {
        (2, "subject", "unknown_name"),
        (3, "asserted_at", "naive_datetime"),
        (4, "quantity_best", "invalid"),
        (5, "row", "duplicate"),
        (6, "appearances.0.source", "does_not_exist"),
    }
    assert "5 of 6 claims are refused, so none was written" in body["detail"]
    duplicate = next(e for e in body["errors"] if e["code"] == "duplicate")
    assert "repeats row 1" in duplicate["message"]
    assert counts() == before  # nothing written: no claim, link, source, change or import record


def test_an_ambiguous_name_lists_the_candidates_with_their_ids(world: World, analyst_client: APIClient) -> None:
    other = factories.EntityFactory(name="Hadrut", kind="organisation")
    response = post(analyst_client, [row(world, 1, object_entity="hadrut")])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("1.object_entity", "ambiguous_name")
    assert f"id {world.hadrut.pk}" in error["message"] and f"id {other.pk}" in error["message"]


def test_an_unknown_name_offers_the_closest_names(world: World, analyst_client: APIClient) -> None:
    response = post(analyst_client, [row(world, 1, subject="Aghbandd")])
    [error] = response.json()["errors"]
    assert error["code"] == "unknown_name" and "Aghband" in error["message"]


def test_malformed_rows_are_errors_not_500s(world: World, analyst_client: APIClient) -> None:
    bad: list[Any] = [
        "not an object",
        row(world, 1, credibility=9),
        row(world, 2, statement="x" * 2001),
        row(world, 3, valid_until="9999-01-01"),
        row(world, 4, unknown="x"),
        row(world, 5, statement="nul \x00 byte"),
        row(world, 6, valid_from="2020-11-01", valid_until="2020-10-01"),
    ]
    response = post(analyst_client, bad)
    assert response.status_code == 400
    found = {(row, field) for row, field, _ in row_errors(response)}
    assert found == {(1, "row"), (2, "credibility"), (3, "statement"), (4, "valid_until"), (5, "unknown"),
                     (6, "statement"), (7, "valid_until")}  # fmt: skip
    lines = post(analyst_client, [row(world, 1)], ndjson=True).status_code
    assert lines == 201
    broken = analyst_client.generic("POST", URL, '{"subject": \n', content_type="application/x-ndjson")
    assert broken.status_code == 400 and broken.json()["errors"][0]["code"] == "parse_error"
    bodies: list[Any] = [{"subject": "x"}, []]
    for body in bodies:
        response = analyst_client.post(URL, body, format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "rows"


def test_more_than_ten_thousand_claims_is_a_400(world: World, analyst_client: APIClient) -> None:
    response = post(analyst_client, [{"statement": "x"}] * (BULK_MAX_ROWS + 1))
    assert response.status_code == 400
    assert "At most 10,000 claims" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("role", "status"), [("journalist", 403), ("consumer", 403), ("anonymous", 401)])
def test_only_analysts_write_in_bulk(world: World, role_clients: dict[str, APIClient], role: str, status: int) -> None:
    before = counts()
    assert post(role_clients[role], [row(world, 1)]).status_code == status
    assert counts() == before


def test_a_bulk_write_makes_the_same_number_of_queries_for_one_row_as_for_a_thousand(
    world: World, analyst_client: APIClient
) -> None:
    post(analyst_client, [row(world, 0, statement="warm-up")])  # key verification, content types
    measured = {}
    for size in (1, 1000):
        rows = [row(world, n, statement=f"Size {size} claim {n}",
                    appearances=[{"url": f"https://news.example.org/{size}/{n}"}, {"source": world.article.pk}])
                for n in range(size)]  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            response = post(analyst_client, rows)
        assert response.status_code == 201, response.json()
        measured[size] = len(queries.captured_queries)
    assert measured[1] == measured[1000], measured


def test_the_batch_is_checked_for_contradictions_in_one_statement(world: World, analyst_client: APIClient) -> None:
    from claims import detection

    denied = [row(world, n, polarity="denies", statement=f"Aghband is not held, report {n}") for n in range(3)]
    response = post(analyst_client, [row(world, 100), *denied])
    ids = response.json()["claims"]
    with CaptureQueriesContext(connection) as queries:
        outcome = detection.claims_check(claim_ids=ids)
    assert outcome.opened == 3  # the affirmation against each denial
    statements = [q["sql"] for q in queries.captured_queries if "claims_contradiction" in q["sql"]]
    assert len(statements) == 1
    flags = Contradiction.objects.filter(claim_a_id=ids[0])
    assert flags.count() == 3 and all("Aghband" in flag.explanation for flag in flags)
    assert detection.claims_check(claim_ids=ids).opened == 0  # idempotent


def test_entities_named_by_a_bulk_row_are_never_created(world: World, analyst_client: APIClient) -> None:
    before = Entity.objects.count()
    post(analyst_client, [row(world, 1, subject="Brand new place")])
    assert Entity.objects.count() == before


def test_a_retried_bulk_request_with_an_idempotency_key_writes_nothing_twice(
    world: World, analyst_client: APIClient
) -> None:
    rows = [row(world, n, statement=f"Retried claim {n}") for n in range(3)]
    first = analyst_client.post(URL, rows, format="json", HTTP_IDEMPOTENCY_KEY="bulk-retry-1")
    again = analyst_client.post(URL, rows, format="json", HTTP_IDEMPOTENCY_KEY="bulk-retry-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert Claim.objects.filter(statement__startswith="Retried claim").count() == 3


def test_a_body_over_the_size_limit_is_a_413_before_it_is_read(world: World, analyst_client: APIClient) -> None:
    before = counts()
    response = analyst_client.generic("POST", URL, "[]", content_type="application/json", CONTENT_LENGTH="70000000")
    assert response.status_code == 413
    assert "over 64 MB" in response.json()["detail"]
    assert counts() == before


def test_a_batch_naming_hundreds_of_places_resolves_them_as_one_name_does(
    world: World, analyst_client: APIClient
) -> None:
    places = [factories.EntityFactory(name=f"Village {n}", kind="place", aliases=[f"Kənd {n}"]) for n in range(250)]
    twin = factories.EntityFactory(name="Kend 7", kind="organisation")  # folds as place 7's alias
    rows = [row(world, n, subject=f"kend {n}", statement=f"Many names {n}") for n in range(250)]
    refused = post(analyst_client, rows)
    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("8.subject", "ambiguous_name")
    assert f"id {places[7].pk}" in error["message"] and f"id {twin.pk}" in error["message"]
    rows[7]["subject"] = places[7].pk
    response = post(analyst_client, rows)
    assert response.status_code == 201, response.json()
    created = Claim.objects.filter(pk__in=response.json()["claims"]).order_by("pk")
    assert [claim.subject_id for claim in created] == [place.pk for place in places]
