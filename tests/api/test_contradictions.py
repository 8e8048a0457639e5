"""Contradictions for journalists: filters, both claims side by side, review actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from claims.models import Contradiction
from tests.api.conftest import World, error_fields, make_claim, make_contradiction, predicate
from tests.factories import EntityFactory, PartyFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/contradictions/"


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_each_contradiction_shows_both_claims_with_parties_sources_and_statuses(
    world: World, journalist_client: APIClient
) -> None:
    response = journalist_client.get(f"{LIST}{world.contradictions['border'].pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "negation" and body["relation"] == "dispute" and body["state"] == "open"
    assert body["explanation"] == world.contradictions["border"].explanation
    a, b = body["claim_a"], body["claim_b"]
    assert (a["id"], b["id"]) == (world.claims["aghband"].pk, world.claims["border_denied"].pk)
    assert a["asserted_by"] == {"id": world.aliyev.pk, "name": "Ilham Aliyev",
                                "side": {"id": world.azerbaijan.pk, "name": "Azerbaijan"}}  # fmt: skip
    assert b["asserted_by"]["side"] == {"id": world.armenia.pk, "name": "Armenia"}
    assert [s["source"]["title"] for s in a["appearances"]] == [world.article.title, world.republication.title]
    assert b["appearances"][0]["excerpt"] == "the Armenian side denied"
    assert (a["status"], b["status"], b["polarity"]) == ("unrated", "unrated", "denies")
    listed = journalist_client.get(LIST).json()["results"]
    assert next(row for row in listed if row["id"] == body["id"]) == body


def test_filter_by_entity_includes_places_within_it(world: World, journalist_client: APIClient) -> None:
    assert ids(journalist_client.get(LIST, {"entity": world.country.pk})) == [world.contradictions["border"].pk]
    assert ids(journalist_client.get(LIST, {"entity": world.aghband.pk})) == [world.contradictions["border"].pk]
    assert ids(journalist_client.get(LIST, {"entity": world.hadrut.pk})) == [world.contradictions["hadrut"].pk]


def test_filter_by_party_or_by_side(world: World, journalist_client: APIClient) -> None:
    both = {world.contradictions["border"].pk, world.contradictions["hadrut"].pk}
    assert set(ids(journalist_client.get(LIST, {"party": world.aliyev.pk}))) == both
    assert ids(journalist_client.get(LIST, {"party": world.azerbaijan.pk})) == []
    assert set(ids(journalist_client.get(LIST, {"side": world.armenia.pk}))) == both
    outsider = PartyFactory(name="Observer")
    assert ids(journalist_client.get(LIST, {"side": outsider.pk})) == []


def test_filter_by_kind_state_relation_and_period(world: World, journalist_client: APIClient, journalist: User) -> None:
    other = make_claim(subject=world.hadrut, predicate=predicate("controlled-by"), asserted_by=world.aliyev,
                       object_entity=EntityFactory(kind="organisation"), valid_from=dt.date(2020, 12, 1),
                       valid_until=dt.date(2020, 12, 31), asserted_at=dt.datetime(2020, 12, 1, tzinfo=dt.UTC))  # fmt: skip
    late = make_contradiction(world.claims["hadrut"], other, kind="conflicting_value", state="confirmed",
                              reviewed_by=journalist)  # fmt: skip

    assert ids(journalist_client.get(LIST, {"kind": "conflicting_value"})) == [late.pk]
    assert set(ids(journalist_client.get(LIST, {"state": "open"}))) == {
        world.contradictions["border"].pk, world.contradictions["hadrut"].pk
    }  # fmt: skip
    assert ids(journalist_client.get(LIST, {"relation": "self"})) == [late.pk]
    december = ids(journalist_client.get(LIST, {"period_start": "2020-12-15", "period_end": "2020-12-20"}))
    assert december == [late.pk]
    assert world.contradictions["border"].pk in ids(journalist_client.get(LIST, {"period_start": "2020-10-23"}))


def test_a_journalist_confirms_and_dismisses_with_a_reason(
    world: World, journalist_client: APIClient, journalist: User
) -> None:
    url = f"{LIST}{world.contradictions['hadrut'].pk}/"

    confirmed = journalist_client.post(url + "confirm/", {"note": "Both cannot hold."}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "confirmed" and confirmed.json()["state_reason"] == "Both cannot hold."
    assert Contradiction.objects.get(pk=world.contradictions["hadrut"].pk).reviewed_by == journalist

    no_reason = journalist_client.post(url + "dismiss/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in error_fields(no_reason)
    dismissed = journalist_client.post(url + "dismiss/", {"reason": "Different periods."}, format="json")
    assert dismissed.json()["state"] == "dismissed" and dismissed.json()["state_reason"] == "Different periods."
    again = journalist_client.post(url + "dismiss/", {"reason": "Still wrong."}, format="json")
    assert again.status_code == 400


def test_review_needs_the_review_permission(
    world: World, consumer_client: APIClient, analyst_client: APIClient
) -> None:
    url = f"{LIST}{world.contradictions['border'].pk}/confirm/"
    assert consumer_client.post(url, {}, format="json").status_code == 403
    assert analyst_client.post(url, {}, format="json").status_code == 200


def test_unknown_contradictions_are_404s(world: World, journalist_client: APIClient) -> None:
    assert journalist_client.get(f"{LIST}999999/").status_code == 404
    assert journalist_client.post(f"{LIST}999999/confirm/", {}, format="json").status_code == 404
