"""Verdicts are appended by analysts and never edited; a published verdict gives its
claim a schema.org ClaimReview, checked here with a JSON-LD processor (pyld)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from pyld import jsonld
from rest_framework.test import APIClient

from claims.models import Claim, Verdict
from tests.api.conftest import World, error_fields

pytestmark = pytest.mark.django_db

VERDICTS = "/api/v1/verdicts/"
SCHEMA = "http://schema.org/"
# The shape of https://schema.org/docs/jsonldcontext.jsonld that matters here (the real one
# is 300 KB and not reachable offline): a vocabulary, and URL-valued terms.
SCHEMA_ORG_CONTEXT = {
    "@context": {
        "@vocab": SCHEMA,
        "id": "@id",
        "type": "@type",
        "url": {"@id": "url", "@type": "@id"},
        "sameAs": {"@id": "sameAs", "@type": "@id"},
    }
}


def offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": SCHEMA_ORG_CONTEXT,
    }


def test_an_analyst_appends_a_verdict_and_it_becomes_the_status(
    world: World, analyst_client: APIClient, analyst: User
) -> None:
    claim = world.claims["aghband"]
    response = analyst_client.post(
        VERDICTS,
        {
            "claim": claim.pk,
            "rating": "mostly_false",
            "rationale": "Only the outskirts.",
            "evidence": [world.article.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reviewer"] == analyst.username and body["evidence"] == [world.article.pk]
    assert body["published_at"] is None
    assert Claim.objects.get(pk=claim.pk).status == "mostly_false"
    assert response["Location"].endswith(f"{VERDICTS}{body['id']}/")
    listed = analyst_client.get(VERDICTS, {"claim": claim.pk}).json()["results"]
    assert [v["id"] for v in listed] == [body["id"]]


def test_verdicts_cannot_be_edited_or_deleted(world: World, analyst_client: APIClient) -> None:
    verdict = Verdict.objects.filter(claim=world.claims["hadrut"]).get()
    url = f"{VERDICTS}{verdict.pk}/"
    for method in ("put", "patch", "delete"):
        response = getattr(analyst_client, method)(url, {"rating": "false"}, format="json")
        assert response.status_code == 405, method
        assert "GET" in response["Allow"] and method.upper() not in response["Allow"]


def test_a_verdict_is_published_once(world: World, analyst_client: APIClient) -> None:
    verdict = Verdict.objects.filter(claim=world.claims["hadrut"]).get()
    url = f"{VERDICTS}{verdict.pk}/publish/"
    assert analyst_client.post(url).json()["published_at"] is not None
    again = analyst_client.post(url)
    assert again.status_code == 400 and None in error_fields(again)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": "false", "rationale": "x"}, "claim"),
        ({"claim": 999999, "rating": "false", "rationale": "x"}, "claim"),
        ({"claim": 1, "rating": "fake", "rationale": "x"}, "rating"),
        ({"claim": 1, "rating": "false", "rationale": ""}, "rationale"),
        ({"claim": 1, "rating": "false", "rationale": "x", "evidence": [999999]}, "evidence"),
        ({"claim": 1, "rating": "false", "rationale": "x", "publish": "yes"}, "publish"),
    ],
)
def test_bad_verdicts_are_400s_naming_the_field(
    world: World, analyst_client: APIClient, body: dict[str, Any], field: str
) -> None:
    if body.get("claim") == 1:
        body["claim"] = world.claims["aghband"].pk
    response = analyst_client.post(VERDICTS, body, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)


def test_journalists_and_consumers_cannot_record_verdicts(
    world: World, journalist_client: APIClient, consumer_client: APIClient
) -> None:
    body = {"claim": world.claims["aghband"].pk, "rating": "true", "rationale": "x"}
    assert journalist_client.post(VERDICTS, body, format="json").status_code == 403
    assert consumer_client.post(VERDICTS, body, format="json").status_code == 403


def test_claimreview_json_ld_for_a_claim_with_a_published_verdict(world: World, consumer_client: APIClient) -> None:
    denied = world.claims["hadrut_denied"]
    response = consumer_client.get(f"/api/v1/claims/{denied.pk}/claim-review/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    document = response.json()
    expanded = jsonld.expand(document, {"documentLoader": offline_loader})
    assert len(expanded) == 1
    review = expanded[0]
    assert review["@type"] == [SCHEMA + "ClaimReview"]
    assert review[SCHEMA + "claimReviewed"] == [{"@value": "Hadrut is not in Azerbaijani hands"}]
    item = review[SCHEMA + "itemReviewed"][0]
    assert item["@type"] == [SCHEMA + "Claim"]
    author = item[SCHEMA + "author"][0]
    assert author["@type"] == [SCHEMA + "Organization"]
    assert author[SCHEMA + "name"] == [{"@value": "Armenian Ministry of Defence"}]
    assert item.get(SCHEMA + "appearance", []) == []  # this claim has no recorded source
    rating = review[SCHEMA + "reviewRating"][0]
    assert rating["@type"] == [SCHEMA + "Rating"]
    assert rating[SCHEMA + "ratingValue"] == [{"@value": 1}]
    assert rating[SCHEMA + "bestRating"] == [{"@value": 5}]
    assert rating[SCHEMA + "worstRating"] == [{"@value": 1}]
    assert rating[SCHEMA + "alternateName"] == [{"@value": "False"}]
    # It is well-formed linked data: it converts to RDF triples.
    triples = jsonld.to_rdf(document, {"documentLoader": offline_loader, "format": "application/n-quads"})
    assert f"<{SCHEMA}ClaimReview>" in triples


def test_claimreview_lists_where_the_claim_appeared(
    world: World, consumer_client: APIClient, analyst_client: APIClient
) -> None:
    claim = world.claims["aghband"]
    analyst_client.post(
        VERDICTS, {"claim": claim.pk, "rating": "true", "rationale": "Confirmed.", "publish": True}, format="json"
    )
    document = consumer_client.get(f"/api/v1/claims/{claim.pk}/claim-review/").json()
    expanded = jsonld.expand(document, {"documentLoader": offline_loader})[0]
    appearances = expanded[SCHEMA + "itemReviewed"][0][SCHEMA + "appearance"]
    assert [a[SCHEMA + "url"] for a in appearances] == [
        [{"@id": "https://southfront.org/lachin"}], [{"@id": "https://www.globalresearch.ca/lachin"}]
    ]  # fmt: skip
    aliyev = expanded[SCHEMA + "itemReviewed"][0][SCHEMA + "author"][0]
    assert aliyev["@type"] == [SCHEMA + "Person"] and aliyev[SCHEMA + "sameAs"] == [
        {"@id": "https://www.wikidata.org/wiki/Q33960"}
    ]  # fmt: skip
    assert document["reviewRating"]["alternateName"] == "True"


def test_no_claimreview_without_a_published_verdict(world: World, consumer_client: APIClient) -> None:
    response = consumer_client.get(f"/api/v1/claims/{world.claims['hadrut'].pk}/claim-review/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
