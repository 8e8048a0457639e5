"""Keyset pagination, and the number of queries a list makes: the same for 1 row as for
100, on every list endpoint. No COUNT(*), no OFFSET."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import UserAPIKey
from claims.models import ClaimChange, ClaimSource, Predicate, Verdict, VerdictEvidence
from tests import factories
from tests.api.conftest import World, api_key, client_with_key, make_claim, make_contradiction

pytestmark = pytest.mark.django_db


def queries_for(client: Any, url: str, params: dict[str, Any]) -> tuple[int, list[str], Any]:
    client.get(url, params)  # once first: the key lookup is prepared and cached per process
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), [q["sql"] for q in captured.captured_queries], response.json()


def rows_of(body: Any) -> list[Any]:
    return cast(list[Any], body["results"] if isinstance(body, dict) and "results" in body else body)


Setup = Callable[[Any, Any, int], tuple[str, dict[str, Any]]]


def claims_about(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    subject = factories.EntityFactory()
    party = factories.PartyFactory(parent=world.armenia)
    for i in range(n):
        make_claim(subject=subject, asserted_by=party, statement=f"claim {i}",
                   appearances=[(world.article, f"excerpt {i}"), (world.republication, "")])  # fmt: skip
    return "/api/v1/claims/", {"subject": subject.pk}


def contradictions_about(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    subject = factories.EntityFactory(part_of=world.country)
    for i in range(n):
        a = make_claim(subject=subject, asserted_by=factories.PartyFactory(parent=world.azerbaijan),
                       appearances=[(world.article, f"a {i}")])  # fmt: skip
        b = make_claim(subject=subject, asserted_by=factories.PartyFactory(parent=world.armenia), polarity="denies",
                       appearances=[(world.republication, f"b {i}")])  # fmt: skip
        make_contradiction(a, b)
    return "/api/v1/contradictions/", {"entity": subject.pk}


def verdicts_on(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    claim = make_claim(subject=world.hadrut, asserted_by=world.aliyev)
    for i in range(n):
        verdict = Verdict.objects.create(claim=claim, rating="true", rationale=f"r{i}", reviewer=analyst,
                                         recorded_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC) + dt.timedelta(i))  # fmt: skip
        VerdictEvidence.objects.create(verdict=verdict, source=world.article)
    return "/api/v1/verdicts/", {"claim": claim.pk}


def entities_in(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    region = factories.EntityFactory()
    for _ in range(n):
        factories.EntityFactory(part_of=region, aliases=["x", "y"])
    return "/api/v1/entities/", {"part_of": region.pk}


def parties_under(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    side = factories.PartyFactory()
    for _ in range(n):
        factories.PartyFactory(parent=side)
    return "/api/v1/parties/", {"parent": side.pk}


def sources_by(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    outlet = factories.PartyFactory(kind="media")
    for _ in range(n):
        factories.SourceFactory(publisher=outlet, republished_from=world.article)
    return "/api/v1/sources/", {"publisher": outlet.pk}


def text_predicates(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    # The vocabulary has one text predicate ("losses suffered"); add the rest.
    Predicate.objects.bulk_create(
        Predicate(slug=f"text-{i}", label=f"text {i}", value_type="text") for i in range(n - 1)
    )
    return "/api/v1/predicates/", {"value_type": "text"}


def timeline_of(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    town = factories.EntityFactory()
    street = factories.EntityFactory(part_of=town)
    for i in range(n):
        make_claim(subject=street if i % 2 else town, asserted_by=world.aliyev,
                   valid_from=dt.date(2020, 1, 1) + dt.timedelta(i), valid_until=None)  # fmt: skip
    return f"/api/v1/entities/{town.pk}/timeline/", {}


def changes(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    # Rows of long-finished transactions (low xids), as the triggers write them.
    ClaimChange.objects.all().delete()
    ClaimChange.objects.bulk_create(
        ClaimChange(xid=i + 1, claim=world.claims["hadrut"], changes=["content"], status="true") for i in range(n)
    )
    return "/api/v1/changes/", {"limit": 100}


def keys(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    UserAPIKey.objects.filter(user=analyst).exclude(name="counting").delete()
    for i in range(n - 1):
        api_key(analyst, f"extra {i}")
    return "/api/v1/keys/", {}


def statuses(world: World, analyst: User, n: int) -> tuple[str, dict[str, Any]]:
    claims = [make_claim(subject=world.hadrut, asserted_by=world.aliyev) for _ in range(n)]
    return "/api/v1/status/", {"ids": ",".join(str(c.pk) for c in claims)}


UNPAGED = {"/api/v1/changes/", "/api/v1/status/", "/api/v1/keys/"}


@pytest.mark.parametrize(
    "setup",
    [claims_about, contradictions_about, verdicts_on, entities_in, parties_under, sources_by, text_predicates,
     timeline_of, changes, keys, statuses],
)  # fmt: skip
def test_a_list_makes_as_many_queries_for_100_rows_as_for_1(world: World, analyst: User, setup: Setup) -> None:
    client = client_with_key(api_key(analyst, "counting"))

    def measure(n: int) -> tuple[int, list[str], Any]:
        url, params = setup(world, analyst, n)
        if url not in UNPAGED:
            params = {**params, "page_size": 100}
        return queries_for(client, url, params)

    one, _, body = measure(1)
    assert len(rows_of(body)) == 1
    hundred, sql, body = measure(100)

    assert len(rows_of(body)) == 100
    assert hundred == one, "\n".join(sql)
    assert not any("COUNT(" in q.upper() or " OFFSET " in q.upper() for q in sql), sql


def test_walking_the_pages_sees_every_row_once_in_order_even_with_ties(
    world: World, consumer_client: APIClient
) -> None:
    moment = dt.datetime(2021, 5, 1, tzinfo=dt.UTC)
    party = factories.PartyFactory()
    made = {make_claim(asserted_by=party, asserted_at=moment).pk for _ in range(23)}

    seen: list[int] = []
    response = consumer_client.get("/api/v1/claims/", {"party": party.pk, "page_size": 5})
    pages = 0
    while True:
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        pages += 1
        if not body["next"]:
            break
        response = consumer_client.get(body["next"])
    assert pages == 5
    assert seen == sorted(made, reverse=True)  # same asserted_at: the id breaks the tie, newest first


def test_previous_links_walk_back(world: World, consumer_client: APIClient) -> None:
    party = factories.PartyFactory()
    made = sorted((make_claim(asserted_by=party).pk for _ in range(12)), reverse=True)
    first = consumer_client.get("/api/v1/claims/", {"party": party.pk, "page_size": 5}).json()
    assert first["previous"] is None
    second = consumer_client.get(first["next"]).json()
    third = consumer_client.get(second["next"]).json()
    assert [r["id"] for r in third["results"]] == made[10:] and third["next"] is None
    back = consumer_client.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == made[5:10]
    back_again = consumer_client.get(back["previous"]).json()
    assert [r["id"] for r in back_again["results"]] == made[:5] and back_again["previous"] is None


def test_a_cursor_belongs_to_its_ordering(world: World, consumer_client: APIClient) -> None:
    party = factories.PartyFactory()
    for _ in range(3):
        make_claim(asserted_by=party)
    first = consumer_client.get("/api/v1/claims/", {"party": party.pk, "page_size": 1}).json()
    cursor = first["next"].split("cursor=")[1]
    response = consumer_client.get("/api/v1/claims/", {"party": party.pk, "cursor": cursor, "ordering": "id"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"


def test_the_page_size_is_capped(world: World, consumer_client: APIClient, settings: Any) -> None:
    assert consumer_client.get("/api/v1/claims/", {"page_size": 200}).status_code == 200
    assert consumer_client.get("/api/v1/claims/", {"page_size": 201}).status_code == 400
    default = consumer_client.get("/api/v1/claims/").json()
    assert len(default["results"]) <= settings.API_PAGE_SIZE


def test_a_deep_page_is_a_keyset_seek_not_an_offset(world: World, consumer_client: APIClient) -> None:
    party = factories.PartyFactory()
    for _ in range(30):
        make_claim(asserted_by=party, appearances=[(world.article, "x")])
    url = consumer_client.get("/api/v1/claims/", {"party": party.pk, "page_size": 10}).json()["next"]
    url = consumer_client.get(url).json()["next"]
    with CaptureQueriesContext(connection) as captured:
        consumer_client.get(url)
    page_query = next(q["sql"] for q in captured.captured_queries if "claims_claim" in q["sql"] and "LIMIT" in q["sql"])
    assert "OFFSET" not in page_query
    assert '"claims_claim"."asserted_at" <' in page_query
    assert ClaimSource.objects.filter(claim__asserted_by=party).count() == 30
