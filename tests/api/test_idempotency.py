"""Idempotency-Key on POST: a retry gets the first answer and writes nothing twice, also
when two retries race (accounts.api.idempotency)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import IdempotentRequest
from claims.models import Claim
from tests import factories
from tests.api.conftest import World, api_key, claim_payload, client_with_key, error_fields
from tests.test_engine_concurrency import run_together

CLAIMS = "/api/v1/claims/"
MIDDLEWARE = "accounts.api.idempotency.IdempotencyMiddleware"


def post(client: APIClient, body: dict[str, Any], key: str | None = "retry-1", path: str = CLAIMS) -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(path, body, format="json", headers=headers)


def test_a_retried_claim_create_returns_the_first_answer_and_writes_one_claim(
    world: World, analyst_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as without_key:
        assert post(analyst_client, claim_payload(world, statement="Logged once"), key=None).status_code == 201
    claims_before = Claim.objects.count()

    with django_capture_on_commit_callbacks() as with_key:
        first = post(analyst_client, claim_payload(world))
        retry = post(analyst_client, claim_payload(world))

    assert first.status_code == retry.status_code == 201, first.content
    assert retry.content == first.content
    assert retry["Location"] == first["Location"] and retry["ETag"] == first["ETag"]
    assert retry["Content-Type"] == first["Content-Type"]
    assert retry["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Claim.objects.count() == claims_before + 1
    # The contradiction check (and whatever else a create schedules) is enqueued once.
    assert len(with_key) == len(without_key) >= 1


def test_the_same_key_with_another_body_or_path_is_a_422_naming_the_header(
    world: World, analyst_client: APIClient
) -> None:
    assert post(analyst_client, claim_payload(world)).status_code == 201
    claims = Claim.objects.count()

    other_body = post(analyst_client, claim_payload(world, statement="Something else"))
    other_path = post(analyst_client, claim_payload(world), path=CLAIMS + "?x=1")

    for response in (other_body, other_path):
        assert response.status_code == 422
        assert error_fields(response) == {"Idempotency-Key": ["idempotency_key_reused"]}
    assert Claim.objects.count() == claims


def test_a_400_is_replayed_too(world: World, analyst_client: APIClient) -> None:
    body = claim_payload(world, subject=10**9)
    first = post(analyst_client, body)
    retry = post(analyst_client, body)

    assert first.status_code == retry.status_code == 400
    assert "subject" in error_fields(first)
    assert retry.content == first.content and retry["Idempotent-Replayed"] == "true"


def test_keys_are_scoped_per_credential(world: World, analyst_client: APIClient, analyst: User) -> None:
    colleague = factories.UserFactory(username="colleague", role="Analyst")
    first = post(analyst_client, claim_payload(world))

    from_colleague = post(client_with_key(api_key(colleague)), claim_payload(world))
    from_another_key = post(client_with_key(api_key(analyst, name="second")), claim_payload(world))
    session = APIClient()
    session.force_login(analyst)
    from_session = post(session, claim_payload(world))
    session_retry = post(session, claim_payload(world))

    assert first.status_code == from_colleague.status_code == from_another_key.status_code == 201
    assert from_session.status_code == 201
    for response in (from_colleague, from_another_key, from_session):
        assert "Idempotent-Replayed" not in response
        assert response["Location"] != first["Location"]
    assert session_retry["Idempotent-Replayed"] == "true" and session_retry["Location"] == from_session["Location"]
    assert IdempotentRequest.objects.count() == 4


def test_a_key_that_does_not_authenticate_replays_nothing(world: World, analyst_client: APIClient) -> None:
    assert post(analyst_client, claim_payload(world)).status_code == 201
    prefix = analyst_client._credentials["HTTP_AUTHORIZATION"].split()[1].partition(".")[0]  # type: ignore[attr-defined]

    response = post(client_with_key(f"{prefix}.not-the-secret"), claim_payload(world))

    assert response.status_code == 401 and "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "tab\there"])
def test_a_malformed_key_is_a_400_naming_the_header(world: World, analyst_client: APIClient, key: str) -> None:
    response = post(analyst_client, claim_payload(world), key=key)

    assert response.status_code == 400
    assert error_fields(response) == {"Idempotency-Key": ["invalid"]}
    assert not Claim.objects.filter(statement="Azerbaijani forces control Aghband").exists()


def test_a_key_of_255_characters_is_accepted(world: World, analyst_client: APIClient) -> None:
    assert post(analyst_client, claim_payload(world), key="k" * 255).status_code == 201
    assert post(analyst_client, claim_payload(world), key="k" * 255)["Idempotent-Replayed"] == "true"


def test_an_expired_answer_is_not_replayed_and_old_answers_are_deleted(
    world: World, analyst_client: APIClient, settings: Any
) -> None:
    settings.IDEMPOTENCY_TTL_HOURS = 24
    first = post(analyst_client, claim_payload(world))
    post(analyst_client, claim_payload(world), key="other")
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))

    again = post(analyst_client, claim_payload(world))

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again["Location"] != first["Location"]
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["retry-1"]


def test_a_request_without_the_header_costs_no_query(world: World, analyst_client: APIClient, settings: Any) -> None:
    def queries(statement: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert post(analyst_client, claim_payload(world, statement=statement), key=None).status_code == 201
        return [query["sql"] for query in captured.captured_queries]

    post(analyst_client, claim_payload(world, statement="warm-up"), key=None)
    with_middleware = queries("one")
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]
    without_middleware = queries("two")

    assert len(with_middleware) == len(without_middleware)
    assert not any("idempotent" in sql or "advisory" in sql for sql in with_middleware)


def test_the_key_is_not_remembered_for_creating_an_api_key(analyst_client: APIClient) -> None:
    first = post(analyst_client, {"name": "dashboard"}, path="/api/v1/keys/")
    retry = post(analyst_client, {"name": "dashboard"}, path="/api/v1/keys/")

    assert first.status_code == retry.status_code == 201
    assert first.json()["key"] != retry.json()["key"]  # the secret is never stored
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as the suite's other API race tests
def test_four_racing_retries_write_one_claim_and_replay_it_three_times(
    migration_data: None, world: World, analyst: User
) -> None:
    key = api_key(analyst)
    body = claim_payload(world, statement="Raced")
    responses: list[Any] = []

    def retry() -> None:
        responses.append(post(client_with_key(key), body, key="raced"))

    run_together([retry] * 4)  # at the same moment, each on its own connection

    assert [response.status_code for response in responses] == [201] * 4
    assert len({response.content for response in responses}) == 1
    assert sorted(response.get("Idempotent-Replayed", "") for response in responses) == ["", "true", "true", "true"]
    assert Claim.objects.filter(statement="Raced").count() == 1
    assert IdempotentRequest.objects.count() == 1
