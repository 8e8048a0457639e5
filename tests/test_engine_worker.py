"""The engine behind a real broker and real worker processes: a saved claim gets its flag,
a killed worker loses nothing, and a broker outage loses no claim."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import psycopg2
import pytest
from django.db import connection

from claims import detection
from claims.models import Claim, Contradiction, Rating
from claims.services import verdict_record
from project.celery import app
from tests import factories
from tests.conftest import WorkerProcess
from tests.engine_fixtures import D, check, flag_of, make_war, pairs
from tests.factories import predicate


def wait_for(condition: Callable[[], Any], *, timeout: float = 60, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextlib.contextmanager
def broker(url: str) -> Iterator[None]:
    """Publish to another broker: the app's connection and producer pools are rebuilt."""
    previous = app.conf.broker_url, app.conf.broker_write_url

    def use(broker_url: str, write_url: str | None) -> None:
        app.conf.broker_url, app.conf.broker_write_url = broker_url, write_url
        app._pool = None  # type: ignore[attr-defined]  # private, not in celery-stubs
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    use(url, url)
    try:
        yield
    finally:
        use(*previous)


def other_connection() -> Any:
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    other.autocommit = True
    return other


@pytest.mark.worker
def test_a_claim_saved_through_the_service_is_flagged_by_a_real_worker(
    celery_worker_process: Callable[..., WorkerProcess], migration_data: None
) -> None:
    worker = celery_worker_process()
    war = make_war()
    said = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)

    denied = war.claim(by=war.am_mod, value=war.az, denies=True)  # commits, then publishes the check

    flag = wait_for(
        lambda: Contradiction.objects.filter(claim_a=said, claim_b=denied).first(),
        what=f"the flag; worker log:\n{worker.log()}",
    )
    assert (flag.kind, flag.relation, flag.state) == ("negation", "dispute", "open")

    reviewer = factories.UserFactory(username="reviewer")
    verdict = verdict_record(claim=denied, rating=Rating.FALSE, rationale="Hadrut had fallen.", reviewer=reviewer)

    wait_for(
        lambda: Contradiction.objects.filter(pk=flag.pk, state="resolved").exists(),
        what=f"the resolution; worker log:\n{worker.log()}",
    )
    assert flag_of(said, denied).resolved_by_verdict == verdict


@pytest.mark.worker
def test_a_check_whose_worker_process_is_killed_mid_task_is_delivered_again_and_completes(
    celery_worker_process: Callable[..., WorkerProcess], migration_data: None
) -> None:
    worker = celery_worker_process()
    war = make_war()
    # Written straight to the table, so that the only task is the check of the denial below.
    said = factories.ClaimFactory(
        subject=war.hadrut,
        predicate=predicate("controlled-by"),
        object_entity=war.az,
        asserted_by=war.aliyev,
        valid_from=D(2020, 10, 9),
        valid_until=None,
    )

    # A scan holds the engine lock, so the next check blocks in the middle of its task.
    scan = other_connection()
    scan.cursor().execute("SELECT pg_advisory_lock(%s)", [detection.ENGINE_LOCK])
    try:
        denied = war.claim(by=war.am_mod, value=war.az, denies=True)
        wait_for(lambda: _waiting_for_the_engine_lock(scan), what="the check to block on the lock")
        pool = psutil.Process(worker.process.pid).children()
        assert pool, "the worker has no pool process"
        for process in pool:
            process.send_signal(signal.SIGKILL)
        # Celery reports WorkerLostError only for a task that was running when its process died.
        wait_for(lambda: "WorkerLostError" in worker.log(), what=f"the task to be lost; worker log:\n{worker.log()}")
    finally:
        scan.close()  # the lock goes with the session

    flag = wait_for(
        lambda: Contradiction.objects.filter(claim_a=said, claim_b=denied).first(),
        what=f"the redelivered check; worker log:\n{worker.log()}",
    )
    assert flag.state == Contradiction.State.OPEN
    assert Contradiction.objects.count() == 1


def _waiting_for_the_engine_lock(other: Any) -> bool:
    """Is a session of this database waiting for the engine lock? (A bigint advisory key
    shows as classid = its high 32 bits, objid = its low 32 bits.)"""
    with other.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::bigint = %s AND objid::bigint = %s
            """,
            [detection.ENGINE_LOCK >> 32, detection.ENGINE_LOCK & 0xFFFFFFFF],
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db
def test_a_claim_saved_while_the_broker_is_down_is_kept_and_the_next_scan_flags_it(
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    war = make_war()
    said = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    with broker("redis://127.0.0.1:1/0"):  # nothing listens there
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True) as published:
            denied = war.claim(by=war.am_mod, value=war.az, denies=True)
        elapsed = time.monotonic() - started

    assert len(published) == 1  # the publish ran, and failed
    assert f"could not enqueue the contradiction check of claim {denied.pk}" in caplog.text
    assert elapsed < 2, f"saving took {elapsed:.1f} s with the broker down"
    assert Claim.objects.filter(pk=denied.pk).exists()
    assert pairs() == set()

    run = detection.contradiction_scan(triggered_by="beat")
    assert run is not None

    assert run.flags_opened == 1
    assert flag_of(said, denied).state == Contradiction.State.OPEN


@pytest.mark.django_db
def test_checking_a_claim_that_does_not_exist_does_nothing() -> None:
    assert check(Claim(pk=10**9)) == detection.Outcome()
    assert detection.verdict_apply(verdict_id=10**9) == detection.Outcome()
