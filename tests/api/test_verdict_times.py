"""A verdict's two times: when it was recorded (what ``as_of`` answers from) and the day
from which its rating holds, if the reviewer states it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import Verdict
from tests.api.conftest import World, error_fields

pytestmark = pytest.mark.django_db


def record(client: APIClient, claim_id: int, **fields: Any) -> Any:
    body = {"claim": claim_id, "rating": "false", "rationale": "Satellite images show otherwise.", **fields}
    return client.post("/api/v1/verdicts/", body, format="json")


def test_a_verdict_states_the_day_its_rating_holds_from(world: World, analyst_client: APIClient) -> None:
    claim = world.claims["aghband"]
    response = record(analyst_client, claim.pk, holds_from="2020-10-20")
    assert response.status_code == 201, response.content
    verdict = response.json()
    assert verdict["holds_from"] == "2020-10-20"
    assert verdict["recorded_at"]  # now: when Claimwatch gave the rating
    assert Verdict.objects.get(pk=verdict["id"]).holds_from == dt.date(2020, 10, 20)
    assert analyst_client.get(f"/api/v1/verdicts/{verdict['id']}/").json()["holds_from"] == "2020-10-20"
    history = analyst_client.get(f"/api/v1/claims/{claim.pk}/").json()["verdicts"]
    assert history[0]["holds_from"] == "2020-10-20" and history[0]["recorded_at"] == verdict["recorded_at"]


def test_holds_from_is_optional(world: World, analyst_client: APIClient) -> None:
    response = record(analyst_client, world.claims["aghband"].pk)
    assert response.status_code == 201, response.content
    assert response.json()["holds_from"] is None


def test_as_of_answers_from_when_verdicts_were_recorded_not_the_day_they_hold_from(
    world: World, analyst_client: APIClient, consumer_client: APIClient
) -> None:
    claim = world.claims["aghband"]
    assert record(analyst_client, claim.pk, holds_from="2020-10-20").status_code == 201
    # On 1 November 2020 Claimwatch had not rated the claim: the verdict recorded today,
    # back-dated to 20 October, does not rewrite what a consumer read then.
    then = consumer_client.get("/api/v1/status/", {"ids": claim.pk, "as_of": "2020-11-01T00:00:00Z"})  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union
    assert then.json()["results"][0]["status"] == "unrated"
    now = consumer_client.get("/api/v1/status/", {"ids": claim.pk})
    assert now.json()["results"][0]["status"] == "false"


@pytest.mark.parametrize("value", ["9999-12-31", "2020-13-01", "yesterday", 20201020])
def test_a_bad_holds_from_is_a_400_naming_it_and_records_nothing(
    world: World, analyst_client: APIClient, value: Any
) -> None:
    before = Verdict.objects.count()
    response = record(analyst_client, world.claims["aghband"].pk, holds_from=value)
    assert response.status_code == 400, response.content
    assert "holds_from" in error_fields(response)
    assert Verdict.objects.count() == before


def test_the_schema_says_which_time_as_of_uses(client: Client) -> None:
    document = client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/status/"]["get"]["parameters"]}
    assert "recorded" in parameters["as_of"]["description"]
    verdict = document["components"]["schemas"]["VerdictDocument"]["properties"]
    assert "holds_from" in verdict and "recorded_at" in verdict


def test_the_admin_records_holds_from_and_shows_both_times(world: World, analyst: User) -> None:
    claim = world.claims["aghband"]
    client = Client()
    client.force_login(analyst)
    response = client.post(
        reverse("admin:claims_verdict_add"),
        {"claim": claim.pk, "rating": "false", "rationale": "Disproved.", "holds_from": "2020-10-20"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    verdict = Verdict.objects.filter(claim=claim).latest()
    assert verdict.holds_from == dt.date(2020, 10, 20) and verdict.reviewer == analyst
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "Holds from" in page and "20 Oct 2020" in page
    bad = client.post(
        reverse("admin:claims_verdict_add"),
        {"claim": claim.pk, "rating": "false", "rationale": "Disproved.", "holds_from": "9999-12-31"},
    )
    assert bad.status_code == 200 and "holds_from" in bad.context["adminform"].form.errors
    assert Verdict.objects.filter(claim=claim).latest() == verdict
