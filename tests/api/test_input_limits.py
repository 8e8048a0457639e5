"""Oversized text and dates the database cannot give back: a 400 naming the field, never a
500, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from claims.models import Claim, ClaimSource, Verdict
from tests.api.conftest import World, claim_payload, error_fields

pytestmark = pytest.mark.django_db

LIST = "/api/v1/claims/"
VERDICTS = "/api/v1/verdicts/"


def varied_words(size: int) -> str:
    """About ``size`` characters of distinct words (the worst case for a full-text index)."""
    words, length, n = [], 0, 0
    while length < size:
        word = format(n * 2654435761 % 2**32, "x")
        words.append(word)
        length += len(word) + 1
        n += 1
    return " ".join(words)[:size]


def counts() -> tuple[int, int, int]:
    return Claim.objects.count(), ClaimSource.objects.count(), Verdict.objects.count()


def test_a_one_megabyte_statement_is_a_400_naming_the_statement_and_nothing_is_written(
    world: World, analyst_client: APIClient
) -> None:
    before = counts()

    response = analyst_client.post(LIST, claim_payload(world, statement=varied_words(1_000_000)), format="json")

    assert response.status_code == 400, response.content[:500]
    assert "statement" in error_fields(response)
    assert counts() == before


def test_a_three_megabyte_statement_is_refused_too(world: World, analyst_client: APIClient) -> None:
    response = analyst_client.post(LIST, claim_payload(world, statement="x" * 3_000_000), format="json")

    assert response.status_code == 400
    assert "statement" in error_fields(response)


def test_a_statement_at_the_limit_is_accepted(world: World, analyst_client: APIClient) -> None:
    response = analyst_client.post(LIST, claim_payload(world, statement=varied_words(2000)), format="json")

    assert response.status_code == 201, response.content[:500]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quote": "q" * 20_001}, "quote"),
        ({"predicate": "losses", "object_entity": None, "text_value": "t" * 2001}, "text_value"),
    ],
    ids=["quote", "text value"],
)
def test_an_oversized_claim_field_is_a_400_naming_it(
    world: World, analyst_client: APIClient, overrides: dict[str, Any], field: str
) -> None:
    before = counts()

    response = analyst_client.post(LIST, claim_payload(world, **overrides), format="json")

    assert response.status_code == 400, response.content[:500]
    assert field in error_fields(response)
    assert counts() == before


@pytest.mark.parametrize(
    ("appearance", "field"),
    [({"excerpt": "e" * 20_001}, "appearances.0.excerpt"), ({"locator": "¶" * 101}, "appearances.0.locator")],
    ids=["excerpt", "locator"],
)
def test_an_oversized_excerpt_or_locator_is_a_400_naming_it(
    world: World, analyst_client: APIClient, appearance: dict[str, str], field: str
) -> None:
    before = counts()
    body = claim_payload(world)
    body["appearances"] = [{**body["appearances"][0], **appearance}]

    response = analyst_client.post(LIST, body, format="json")

    assert response.status_code == 400, response.content[:500]
    assert field in error_fields(response)
    assert counts() == before


def test_an_oversized_edit_of_the_statement_is_a_400_and_changes_nothing(
    world: World, analyst_client: APIClient
) -> None:
    claim = world.claims["aghband"]
    tag = analyst_client.get(f"{LIST}{claim.pk}/")["ETag"]

    response = analyst_client.patch(
        f"{LIST}{claim.pk}/", {"statement": varied_words(1_000_000)}, format="json", HTTP_IF_MATCH=tag
    )

    assert response.status_code == 400
    assert "statement" in error_fields(response)
    assert Claim.objects.get(pk=claim.pk).statement == claim.statement


def test_an_oversized_rationale_is_a_400_naming_it(world: World, analyst_client: APIClient) -> None:
    before = counts()
    body = {"claim": world.claims["aghband"].pk, "rating": "false", "rationale": varied_words(1_000_000)}

    response = analyst_client.post(VERDICTS, body, format="json")

    assert response.status_code == 400
    assert "rationale" in error_fields(response)
    assert counts() == before


# --- Dates the claim's period cannot represent ----------------------------------------


@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_period_ending_in_the_year_9999_is_a_400_naming_valid_until(
    world: World, analyst_client: APIClient, precision: str
) -> None:
    before = counts()
    body = claim_payload(world, valid_from="2020-10-22", valid_until="9999-12-31", valid_until_precision=precision)

    response = analyst_client.post(LIST, body, format="json")

    assert response.status_code == 400, response.content[:500]
    assert "valid_until" in error_fields(response)
    assert counts() == before


@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_period_starting_in_the_year_9999_is_a_400_naming_valid_from(
    world: World, analyst_client: APIClient, precision: str
) -> None:
    body = claim_payload(world, valid_from="9999-06-15", valid_from_precision=precision, valid_until=None)

    response = analyst_client.post(LIST, body, format="json")

    assert response.status_code == 400, response.content[:500]
    assert "valid_from" in error_fields(response)


def test_an_assertion_in_the_year_9999_is_a_400_naming_asserted_at(world: World, analyst_client: APIClient) -> None:
    for moment in ("9999-12-31T12:00:00Z", "9999-12-31T23:00:00-05:00"):
        response = analyst_client.post(LIST, claim_payload(world, asserted_at=moment), format="json")

        assert response.status_code == 400, (moment, response.content[:500])
        assert "asserted_at" in error_fields(response)
    assert not Claim.objects.filter(statement=claim_payload(world)["statement"]).exists()


def test_an_edit_to_a_period_ending_in_the_year_9999_is_a_400(world: World, analyst_client: APIClient) -> None:
    claim = world.claims["aghband"]
    tag = analyst_client.get(f"{LIST}{claim.pk}/")["ETag"]

    response = analyst_client.patch(
        f"{LIST}{claim.pk}/", {"valid_until": "9999-12-31", "valid_until_precision": "year"}, format="json",
        HTTP_IF_MATCH=tag,
    )  # fmt: skip

    assert response.status_code == 400, response.content[:500]
    assert "valid_until" in error_fields(response)
    assert Claim.objects.get(pk=claim.pk).valid_until == claim.valid_until


@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_period_in_the_year_1_is_stored_and_read_back(
    world: World, analyst_client: APIClient, precision: str
) -> None:
    body = claim_payload(
        world, asserted_at="0001-01-01T00:00:00Z", valid_from="0001-01-01", valid_from_precision=precision,
        valid_until="0001-03-01", valid_until_precision=precision,
    )  # fmt: skip

    response = analyst_client.post(LIST, body, format="json")

    assert response.status_code == 201, response.content[:500]
    again = analyst_client.get(response["Location"])
    assert again.status_code == 200
    assert (again.json()["valid_from"], again.json()["valid_until"]) == ("0001-01-01", "0001-03-01")
    assert analyst_client.get(LIST, {"period_start": "0001-01-01", "period_end": "0001-12-31"}).status_code == 200


def test_a_time_before_the_year_1_is_a_400_naming_asserted_at(world: World, analyst_client: APIClient) -> None:
    response = analyst_client.post(LIST, claim_payload(world, asserted_at="0001-01-01T00:00:00+05:00"), format="json")

    assert response.status_code == 400, response.content[:500]
    assert "asserted_at" in error_fields(response)
