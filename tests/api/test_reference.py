"""Parties, sources, entities and predicates; an entity's timeline; a party's record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from claims.models import Verdict
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def names(response: Any, key: str = "name") -> list[str]:
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


def test_parties_list_filters_and_detail(world: World, consumer_client: APIClient) -> None:
    assert "Ilham Aliyev" in names(consumer_client.get("/api/v1/parties/"))
    assert names(consumer_client.get("/api/v1/parties/", {"side": world.armenia.pk})) == [
        "Armenia", "Armenian Ministry of Defence"
    ]  # fmt: skip
    assert names(consumer_client.get("/api/v1/parties/", {"parent": world.azerbaijan.pk})) == ["Ilham Aliyev"]
    assert names(consumer_client.get("/api/v1/parties/", {"kind": "media", "q": "south"})) == ["South Front"]
    detail = consumer_client.get(f"/api/v1/parties/{world.aliyev.pk}/").json()
    assert detail["parent"] == {"id": world.azerbaijan.pk, "name": "Azerbaijan"}
    assert detail["same_as"] == "https://www.wikidata.org/wiki/Q33960"


def test_sources_list_filters_by_normalised_url_and_republication(world: World, consumer_client: APIClient) -> None:
    found = consumer_client.get("/api/v1/sources/", {"url": "https://SOUTHFRONT.org/lachin/?fbclid=1"})
    assert names(found, "title") == [world.article.title]
    copies = consumer_client.get("/api/v1/sources/", {"republished_from": world.article.pk})
    assert names(copies, "title") == [world.republication.title]
    detail = consumer_client.get(f"/api/v1/sources/{world.republication.pk}/").json()
    assert detail["republished_from"] == world.article.pk and detail["url"] == "https://www.globalresearch.ca/lachin"


def test_entities_search_by_alias_accent_insensitively(world: World, consumer_client: APIClient) -> None:
    assert "Aghband" in names(consumer_client.get("/api/v1/entities/", {"q": "Ağbənd"}))
    assert "Aghband" in names(consumer_client.get("/api/v1/entities/", {"q": "agbend"}))
    assert names(consumer_client.get("/api/v1/entities/", {"within": world.district.pk})) == [
        "Aghband", "Zangilan district"
    ]  # fmt: skip
    detail = consumer_client.get(f"/api/v1/entities/{world.aghband.pk}/").json()
    assert detail["aliases"] == ["Ağbənd", "Agbend"] and detail["part_of"] == world.district.pk


def test_predicates_list_and_detail_by_slug(world: World, consumer_client: APIClient) -> None:
    assert "controlled by" in names(consumer_client.get("/api/v1/predicates/"), "label")
    assert names(consumer_client.get("/api/v1/predicates/", {"value_type": "quantity"}), "slug") == [
        "casualties", "settlements-lost"
    ]  # fmt: skip
    detail = consumer_client.get("/api/v1/predicates/controlled-by/").json()
    assert detail["single_valued"] is True and detail["value_type"] == "entity"
    assert consumer_client.get("/api/v1/predicates/no-such/").status_code == 404


def test_an_entity_timeline_orders_its_claims_by_period_and_includes_places_within(
    world: World, consumer_client: APIClient
) -> None:
    url = f"/api/v1/entities/{world.country.pk}/timeline/"
    rows = consumer_client.get(url).json()["results"]
    assert [r["valid_from"] for r in rows] == sorted(r["valid_from"] for r in rows)
    assert {r["id"] for r in rows} == {world.claims["aghband"].pk, world.claims["border_denied"].pk}
    assert consumer_client.get(url, {"include_parts": "false"}).json()["results"] == []
    hadrut = consumer_client.get(f"/api/v1/entities/{world.hadrut.pk}/timeline/").json()["results"]
    assert [r["valid_from"] for r in hadrut] == ["2020-10-09", "2020-10-09"]
    newest_first = consumer_client.get(f"/api/v1/entities/{world.hadrut.pk}/timeline/", {"ordering": "-valid_from"})
    assert newest_first.status_code == 200


def test_a_party_record_counts_claims_by_verdict_and_those_later_rated_false(
    world: World, consumer_client: APIClient, analyst: User
) -> None:
    url = f"/api/v1/parties/{world.armenian_mod.pk}/record/"
    record = consumer_client.get(url).json()

    assert record["party"] == {"id": world.armenian_mod.pk, "name": "Armenian Ministry of Defence"}
    assert record["claims"] == 2
    assert record["by_status"] == {
        "unrated": 1, "true": 0, "mostly_true": 0, "mixed": 0, "mostly_false": 0, "false": 1, "unproven": 0
    }  # fmt: skip
    assert record["rated_false"] == 1 and record["later_rated_false"] == 1

    # Rated false, then revised to true: no longer rated false now, but it was, later.
    denied = world.claims["border_denied"]
    Verdict.objects.create(claim=denied, rating="false", rationale="No.", reviewer=analyst,
                           recorded_at=dt.datetime(2020, 11, 1, tzinfo=dt.UTC))  # fmt: skip
    Verdict.objects.create(claim=denied, rating="true", rationale="Yes after all.", reviewer=analyst,
                           recorded_at=dt.datetime(2020, 11, 2, tzinfo=dt.UTC))  # fmt: skip
    record = consumer_client.get(url).json()
    assert record["rated_false"] == 1 and record["later_rated_false"] == 2

    side = consumer_client.get(f"/api/v1/parties/{world.armenia.pk}/record/", {"include_side": "true"}).json()
    assert side["claims"] == 2 and side["include_side"] is True
    assert consumer_client.get(f"/api/v1/parties/{world.armenia.pk}/record/").json()["claims"] == 0
