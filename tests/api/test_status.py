"""Verification status, the consumers' hot path: by ids (up to 1000), by source URL,
now or as of a moment in the verdict history."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from claims.models import Verdict
from claims.services import claim_retract
from tests.api.conftest import World, error_fields

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/status/"


def test_statuses_by_id_say_what_is_not_found(world: World, consumer_client: APIClient) -> None:
    hadrut, denied = world.claims["hadrut"], world.claims["hadrut_denied"]
    response = consumer_client.get(STATUS, {"ids": f"{denied.pk},{hadrut.pk},999999"})

    assert response.status_code == 200
    verdict = Verdict.objects.get(claim=hadrut)
    assert response.json() == {
        "as_of": None,
        "results": [
            {"id": hadrut.pk, "status": "true", "verdict_id": verdict.pk,
             "rated_at": verdict.recorded_at.isoformat().replace("+00:00", "Z"), "retracted": False},
            {"id": denied.pk, "status": "false", "verdict_id": Verdict.objects.get(claim=denied).pk,
             "rated_at": response.json()["results"][1]["rated_at"], "retracted": False},
        ],
        "not_found": {"ids": [999999], "urls": []},
    }  # fmt: skip


def test_a_thousand_ids_in_one_request_but_not_more(world: World, consumer_client: APIClient) -> None:
    many = list(range(1, 1001))
    assert consumer_client.post(STATUS, {"ids": many}, format="json").status_code == 200
    assert consumer_client.get(STATUS, {"ids": ",".join(map(str, many))}).status_code == 200

    too_many = consumer_client.post(STATUS, {"ids": [*many, 1001]}, format="json")
    assert too_many.status_code == 400 and "ids" in error_fields(too_many)
    assert consumer_client.get(STATUS, {"ids": ",".join(map(str, [*many, 1001]))}).status_code == 400


def test_the_lookup_by_source_url_normalises_it_as_sources_are_stored(world: World, consumer_client: APIClient) -> None:
    response = consumer_client.get(STATUS, {"url": "HTTPS://southfront.org/lachin/?utm_campaign=x#top"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == sorted(
        [world.claims["aghband"].pk, world.claims["border_denied"].pk]
    )
    unknown = consumer_client.get(STATUS, {"url": "https://nowhere.example.org/a"}).json()
    assert unknown["results"] == [] and unknown["not_found"]["urls"] == ["https://nowhere.example.org/a"]


def test_status_as_of_a_moment_comes_from_the_verdict_history(
    world: World, consumer_client: APIClient, analyst: User
) -> None:
    claim = world.claims["aghband"]
    day = dt.datetime(2020, 11, 1, tzinfo=dt.UTC)
    # Verdicts appended over time (recorded_at set, as a test's one transaction has one now()).
    first = Verdict.objects.create(claim=claim, rating="true", rationale="Reported.", reviewer=analyst, recorded_at=day)
    second = Verdict.objects.create(
        claim=claim,
        rating="false",
        rationale="Later disproved.",
        reviewer=analyst,
        recorded_at=day + dt.timedelta(days=10),
    )

    def status_at(moment: dt.datetime) -> dict[str, Any]:
        response = consumer_client.get(STATUS, {"ids": claim.pk, "as_of": moment.isoformat()})  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union
        assert response.status_code == 200
        return cast(dict[str, Any], response.json()["results"][0])

    assert status_at(day - dt.timedelta(seconds=1))["status"] == "unrated"
    assert status_at(day + dt.timedelta(days=1)) == {
        "id": claim.pk, "status": "true", "verdict_id": first.pk, "rated_at": "2020-11-01T00:00:00Z", "retracted": False
    }  # fmt: skip
    assert status_at(timezone.now())["verdict_id"] == second.pk
    assert consumer_client.get(STATUS, {"ids": claim.pk}).json()["results"][0]["status"] == "false"
    single = consumer_client.get(
        f"/api/v1/claims/{claim.pk}/status/", {"as_of": (day + dt.timedelta(days=1)).isoformat()}
    )
    assert single.json()["status"] == "true"
    bulk = consumer_client.post(STATUS, {"ids": [claim.pk], "as_of": "2020-11-05T00:00:00Z"}, format="json")
    assert bulk.json()["as_of"] == "2020-11-05T00:00:00Z" and bulk.json()["results"][0]["status"] == "true"


def test_a_retraction_shows_in_the_status_from_when_it_happened(world: World, consumer_client: APIClient) -> None:
    claim = claim_retract(claim=world.claims["aghband"], reason="Withdrawn by the outlet.")
    assert claim.retracted_at is not None
    now = consumer_client.get(STATUS, {"ids": claim.pk}).json()["results"][0]
    assert now["retracted"] is True
    before = consumer_client.get(
        STATUS,
        {"ids": claim.pk, "as_of": (claim.retracted_at - dt.timedelta(seconds=1)).isoformat()},  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union
    ).json()["results"][0]
    assert before["retracted"] is False


@pytest.mark.parametrize(
    "params",
    [{}, {"ids": "1,,2"}, {"ids": "a"}, {"ids": "0"}, {"ids": "99999999999999999999"}, {"url": "not a url"},
     {"ids": "1", "as_of": "2020-13-01"}, {"ids": ""}],
)  # fmt: skip
def test_bad_lookups_are_400s_naming_the_parameter(
    world: World, consumer_client: APIClient, params: dict[str, str]
) -> None:
    response = consumer_client.get(STATUS, params)
    assert response.status_code == 400
    assert error_fields(response)


@pytest.mark.parametrize(
    "body", [{}, {"ids": "1,2"}, {"ids": ["1"]}, {"ids": [1.5]}, {"ids": [True]}, {"url": 5}, [], "x"]
)
def test_bad_bulk_bodies_are_400s(world: World, consumer_client: APIClient, body: Any) -> None:
    response = consumer_client.post(STATUS, body, format="json")
    assert response.status_code == 400, response.content


def test_the_single_status_of_an_unknown_claim_is_a_404(world: World, consumer_client: APIClient) -> None:
    assert consumer_client.get("/api/v1/claims/999999/status/").status_code == 404
