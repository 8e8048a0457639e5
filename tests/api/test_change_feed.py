"""The change feed: commit-ordered, so a consumer who polls with its cursor misses nothing
and sees nothing twice, even while writers commit out of order.

These tests commit for real (transactional), since the feed only shows what committed.
The feed waits for every older transaction on the server to end, so polls retry for a
while: another database's long transaction can hold it back, never make it skip.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from rest_framework.test import APIClient

from claims.models import Claim, ClaimChange, ClaimSource
from claims.services import claim_retract, claim_update, verdict_publish, verdict_record
from tests.api.conftest import World, api_key, client_with_key, error_fields

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FEED = "/api/v1/changes/"


def poll(
    client: Any, cursor: str | None, *, until: Any = bool, timeout: float = 60
) -> tuple[list[dict[str, Any]], str]:
    """Poll from ``cursor`` (following has_more) until ``until(changes)`` holds."""
    changes: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        params = {"cursor": cursor} if cursor else {}
        body = client.get(FEED, params).json()
        changes += body["results"]
        cursor = body["cursor"]
        if body["has_more"]:
            continue
        if until(changes) or time.monotonic() > deadline:
            return changes, cursor
        time.sleep(0.05)


def drain(client: Any) -> str:
    """The cursor after everything committed so far. (The feed may hold recent rows back
    while an older transaction anywhere on the server is still open: wait for them.)"""
    last = ClaimChange.objects.order_by("-xid", "-claim_id").first()
    if last is None:
        return "0.0"
    target = (last.xid, last.claim_id)

    def caught_up(changes: list[dict[str, Any]]) -> bool:
        return bool(changes) and tuple(int(p) for p in changes[-1]["cursor"].split(".")) >= target

    changes, cursor = poll(client, None, until=caught_up)
    assert caught_up(changes), "the feed did not catch up with the committed changes"
    return cursor


@pytest.fixture
def reader(world: World, consumer: User) -> APIClient:
    return client_with_key(api_key(consumer))


def test_the_feed_covers_creation_content_sources_verdicts_publication_and_retraction(
    world: World, reader: APIClient, analyst: User
) -> None:
    cursor = drain(reader)
    claim = world.claims["aghband"]

    claim_update(claim=claim, data={"statement": "Azerbaijani forces took Aghband"})
    ClaimSource.objects.create(claim=claim, source=world.republication, role="republication")
    verdict = verdict_record(claim=claim, rating="mostly_true", rationale="Confirmed later.", reviewer=analyst)
    verdict_publish(verdict=verdict)
    claim_retract(claim=claim, reason="Withdrawn by the outlet.")

    changes, _ = poll(reader, cursor, until=lambda c: len(c) >= 5)
    assert [c["changes"] for c in changes] == [["content"], ["sources"], ["verdict"], ["published"], ["retracted"]]
    assert all(c["claim"] == claim.pk for c in changes)
    assert [c["status"] for c in changes] == ["unrated", "unrated", "mostly_true", "mostly_true", "mostly_true"]
    assert changes[-1]["retracted"] is True


def test_one_transaction_is_one_change_per_claim(world: World, reader: APIClient, analyst: User) -> None:
    cursor = drain(reader)
    with transaction.atomic():
        claim_update(claim=world.claims["hadrut"], data={"quote": "We took it."})
        verdict_record(
            claim=world.claims["hadrut"], rating="false", rationale="Retaken.", reviewer=analyst, publish=True
        )

    changes, _ = poll(reader, cursor)
    assert len(changes) == 1
    assert changes[0]["changes"] == ["content", "published", "verdict"]
    assert changes[0]["status"] == "false"


def test_polling_from_the_cursor_never_repeats_a_change(world: World, reader: APIClient) -> None:
    cursor = drain(reader)
    claim_update(claim=world.claims["hadrut"], data={"quote": "one"})
    first, cursor = poll(reader, cursor)
    claim_update(claim=world.claims["hadrut"], data={"quote": "two"})
    second, cursor = poll(reader, cursor)
    third = reader.get(FEED, {"cursor": cursor}).json()

    assert len(first) == len(second) == 1
    assert first[0]["cursor"] != second[0]["cursor"]
    assert third["results"] == [] and third["cursor"] == cursor and third["has_more"] is False


def test_the_feed_pages_with_has_more(world: World, reader: APIClient) -> None:
    cursor = drain(reader)
    for n in range(5):
        claim_update(claim=world.claims["hadrut"], data={"quote": f"take {n}"})
    deadline = time.monotonic() + 60
    while True:
        body = reader.get(FEED, {"cursor": cursor, "limit": 2}).json()  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union
        if body["has_more"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(body["results"]) == 2 and body["has_more"] is True
    assert body["next"].endswith(f"?cursor={body['cursor']}&limit=2")


def test_a_concurrent_writer_cannot_make_the_reader_skip_a_change(world: World, reader: APIClient) -> None:
    """Writer A changes claim 1 and stays open; writer B changes claim 2 and commits first.

    A reader that kept an updated_at high-water mark would now see B's change, move past
    B's time, and never see A's, committed later with an earlier updated_at. The feed holds
    B back until A ends, then gives A's change and B's, in that order, once each."""
    cursor = drain(reader)
    first, second = world.claims["aghband"], world.claims["hadrut"]
    a_wrote, a_may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer_a() -> None:
        try:
            with transaction.atomic():
                claim_update(claim=Claim.objects.get(pk=first.pk), data={"quote": "written first, committed last"})
                a_wrote.set()
                assert a_may_commit.wait(timeout=60)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
            a_wrote.set()
        finally:
            connection.close()

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert a_wrote.wait(timeout=60)
    claim_update(claim=second, data={"quote": "written second, committed first"})  # B commits

    seen_while_a_open = reader.get(FEED, {"cursor": cursor}).json()
    assert seen_while_a_open["results"] == []
    assert seen_while_a_open["cursor"] == cursor

    a_may_commit.set()
    thread.join(timeout=60)
    assert not errors, errors
    changes, cursor = poll(reader, cursor, until=lambda c: len(c) >= 2)

    assert [c["claim"] for c in changes] == [first.pk, second.pk]
    # Why updated_at cannot be the cursor: A's change carries the earlier time.
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.updated_at < second.updated_at
    assert reader.get(FEED, {"cursor": cursor}).json()["results"] == []


def test_under_concurrent_writers_a_polling_reader_sees_every_change_exactly_once(
    world: World, reader: APIClient
) -> None:
    start = drain(reader)
    claims = list(world.claims.values())
    reader_key = _reader_key(reader)
    stop_reading = threading.Event()
    seen: list[str] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        rng = random.Random(n)
        try:
            for step in range(8):
                with transaction.atomic():
                    claim = rng.choice(claims)
                    claim_update(claim=Claim.objects.get(pk=claim.pk), data={"quote": f"writer {n} step {step}"})
                    time.sleep(rng.random() * 0.03)  # commit out of order with the others
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def read() -> None:
        cursor = start
        try:
            client = client_with_key(reader_key)
            while True:
                done = stop_reading.is_set()
                body = client.get(FEED, {"cursor": cursor, "limit": 3}).json()  # type: ignore[arg-type]  # mypy cannot fit a mixed dict literal to the stubs' union
                seen.extend(change["cursor"] for change in body["results"])
                cursor = body["cursor"]
                if done and not body["has_more"] and not body["results"]:
                    return
                time.sleep(0.005)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    reading = threading.Thread(target=read)
    reading.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    # Everything is committed; the reader stops once the feed has caught up with it.
    deadline = time.monotonic() + 60
    xid, claim = (int(part) for part in start.split("."))
    written = {
        f"{row.xid}.{row.claim_id}" for row in ClaimChange.objects.after(xid, claim) if row.changes == ["content"]
    }
    while len(set(seen) & written) < len(written) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop_reading.set()
    reading.join(timeout=60)

    assert not errors, errors
    assert len(written) == 32
    assert len(seen) == len(set(seen)), "a change was delivered twice"
    assert written <= set(seen), f"missed: {written - set(seen)}"


def _reader_key(client: Any) -> str:
    return str(client._credentials["HTTP_AUTHORIZATION"].split(" ", 1)[1])


def test_a_bad_cursor_is_a_400(world: World, reader: APIClient) -> None:
    for cursor in ("abc", "1", "1.2.3", "-1.2", "99999999999999999999.1"):
        response = reader.get(FEED, {"cursor": cursor})
        assert response.status_code == 400, cursor
        assert "cursor" in error_fields(response)
    assert error_fields(reader.get(FEED, {"limit": "1001"})) == {"limit": ["max_value"]}
