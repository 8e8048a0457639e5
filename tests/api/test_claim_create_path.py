"""The fast single-claim write path (POST /api/v1/claims/, issue 9 "Fast single writes").

A create resolves its body in a query per kind of row it names (the subject and the
value together, the predicate, the party, and all its sources in one), writes the claim and its appearances in one INSERT each,
leaves the CHECK constraints to the database (a violation is still a 400 naming the
field), and builds the 201 document from what it wrote: its queries do not grow with the
number of appearances, and the document is the one a GET then reads.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

import psycopg2
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims.models import Claim, ClaimSource, Entity, Predicate
from claims.services import claim_create
from project.database_url import database_url
from sources.models import Source
from tests import factories
from tests.api.conftest import World, claim_payload, error_fields

LIST = "/api/v1/claims/"
# 4 to resolve the body (subject and value together, predicate, party, the sources), the
# transaction (a savepoint here, inside the test's transaction) around the two INSERTs,
# then the document's two (the party's side, the appearances).
CREATE_QUERIES = 10


def detail(pk: int) -> str:
    return f"/api/v1/claims/{pk}/"


def sources(count: int) -> list[Source]:
    return [factories.SourceFactory(title=f"Report {n}") for n in range(count)]


def with_appearances(world: World, linked: list[Source], statement: str) -> dict[str, Any]:
    appearances = [{"source": source.pk, "excerpt": f"excerpt {n}"} for n, source in enumerate(linked)]
    return claim_payload(world, statement=statement, appearances=appearances)


def test_a_claim_with_ten_appearances_takes_the_queries_of_a_claim_with_one(
    world: World, analyst_client: APIClient
) -> None:
    one, ten = sources(1), sources(10)
    # The key's first use looks it up; later requests within API_KEY_CACHE_SECONDS do not.
    assert analyst_client.post(LIST, with_appearances(world, one, "warm-up"), format="json").status_code == 201

    counts = []
    for linked in (one, ten):
        with CaptureQueriesContext(connection) as captured:
            response = analyst_client.post(LIST, with_appearances(world, linked, "counted"), format="json")
        assert response.status_code == 201, response.content
        assert len(response.json()["appearances"]) == len(linked)
        counts.append(len(captured.captured_queries))

    assert counts == [CREATE_QUERIES, CREATE_QUERIES], "\n".join(q["sql"][:200] for q in captured.captured_queries)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        # a quantity given as whole numbers reads back with the column's two decimals
        {"predicate": "casualties", "object_entity": None, "quantity_best": 20, "quantity_low": 5,
         "quantity_high": "30.5"},
        {"predicate": "casualties", "object_entity": None, "quantity_best": "17"},
        {"predicate": "losses", "object_entity": None, "text_value": "two tanks"},
        # an offset reads back in UTC; an explicit open-ended period
        {"asserted_at": "2020-10-22T23:30:00.123456+04:00", "valid_from": "2020-10-01", "valid_until": None,
         "valid_from_precision": "month", "credibility": 2, "polarity": "denies"},
        # a source by a URL no source has yet, created with the claim
        {"appearances": [{"url": "https://example.org/new-report?utm_source=x", "title": "New", "kind": "video",
                          "role": "original", "excerpt": "Aghband", "locator": "00:01:02"}]},
        {"appearances": []},
    ],
)  # fmt: skip
def test_the_201_document_is_the_claim_as_a_get_then_reads_it(
    world: World, analyst_client: APIClient, overrides: dict[str, Any]
) -> None:
    created = analyst_client.post(LIST, claim_payload(world, **overrides), format="json")
    assert created.status_code == 201, created.content

    read = analyst_client.get(detail(created.json()["id"]))

    assert created.json() == read.json()
    assert created["ETag"] == read["ETag"]
    assert created.content == read.content


def test_a_claim_created_in_a_party_under_another_shows_its_side(world: World, analyst_client: APIClient) -> None:
    body = claim_payload(world, asserted_by=world.armenian_mod.pk)
    created = analyst_client.post(LIST, body, format="json").json()
    assert created["asserted_by"] == {
        "id": world.armenian_mod.pk, "name": "Armenian Ministry of Defence",
        "side": {"id": world.armenia.pk, "name": "Armenia"},
    }  # fmt: skip


def test_a_check_the_database_keeps_is_the_field_error_model_validation_gives(world: World) -> None:
    """The service leaves the CHECKs to the database as it writes, and reports one it
    breaks as ``full_clean`` did: against the constraint's field, with its message and code."""
    with pytest.raises(ValidationError) as excinfo:
        claim_create(
            subject=world.aghband, predicate=Predicate.objects.get(slug="casualties"), asserted_by=world.aliyev,
            asserted_at=dt.datetime(2020, 10, 22, tzinfo=dt.UTC), statement="Casualties",
            quantity_low=Decimal(50), quantity_best=Decimal(20), quantity_high=Decimal(40),
            appearances=[],
        )  # fmt: skip

    [error] = excinfo.value.error_dict["quantity_best"]
    assert error.code == "claim_quantity_ordered"
    assert "low ≤ best ≤ high" in error.message
    assert not Claim.objects.filter(statement="Casualties").exists()


def test_a_period_ending_before_it_starts_is_a_field_error_of_the_service_too(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        claim_create(
            subject=world.aghband, predicate=Predicate.objects.get(slug="controlled-by"), asserted_by=world.aliyev,
            object_entity=world.hadrut, asserted_at=dt.datetime(2020, 10, 22, tzinfo=dt.UTC), statement="Backwards",
            valid_from=dt.date(2020, 10, 10), valid_until=dt.date(2020, 10, 1),
        )  # fmt: skip

    [error] = excinfo.value.error_dict["valid_until"]
    assert (error.code, error.message) == ("claim_period_ordered", "The period's end is before its start.")
    assert not Claim.objects.filter(statement="Backwards").exists()


def waits_for_a_lock(timeout: float = 60) -> bool:
    """Whether a session of the test database comes to wait for a lock within ``timeout``."""
    watcher = psycopg2.connect(database_url(connection.settings_dict))
    watcher.autocommit = True
    deadline = time.monotonic() + timeout
    try:
        with watcher.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    return True
                time.sleep(0.05)
        return False
    finally:
        watcher.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("idempotency_key", [None, "deleted-meanwhile"])
def test_a_row_deleted_while_the_claim_is_written_is_a_400_naming_the_field(
    world: World, analyst_client: APIClient, idempotency_key: str | None
) -> None:
    """The claim's foreign keys are checked as its transaction commits: an entity the body
    names, found when the body was read but deleted by another transaction before the
    commit, is a 400 against the field, and nothing is written."""
    doomed = Entity.objects.create(name="Doomed village", kind="place")
    deleting = psycopg2.connect(database_url(connection.settings_dict))
    with deleting.cursor() as cursor:  # holds the row until it commits: the create waits for it
        cursor.execute("DELETE FROM claims_entity WHERE id = %s", [doomed.pk])
    claims = Claim.objects.count()
    answer: dict[str, Any] = {}

    def create() -> None:
        try:
            headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
            body = claim_payload(world, subject=doomed.pk, statement="About a village deleted meanwhile")
            answer["response"] = analyst_client.post(LIST, body, format="json", headers=headers)
        finally:
            connection.close()

    thread = threading.Thread(target=create)
    thread.start()
    # The create reads the entity (not yet deleted for it), writes, then waits at its commit
    # for the deleting transaction's row lock: let that one commit once the create waits.
    assert waits_for_a_lock(), "the create never waited for the deleted row at its commit"
    deleting.commit()
    deleting.close()
    thread.join(timeout=60)

    response = answer["response"]
    assert response.status_code == 400, response.content
    assert error_fields(response) == {"subject": ["does_not_exist"]}
    assert Claim.objects.count() == claims
    assert not ClaimSource.objects.filter(claim__statement="About a village deleted meanwhile").exists()
