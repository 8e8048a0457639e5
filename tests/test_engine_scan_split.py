"""The full scan split across workers (claims.detection.contradiction_scan_split and
contradiction_scan_part): parts by hash range of the subjects' topmost places, each with
its own lock and run, a parent run that records the whole, and checks that wait only for
the part that covers their claims."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from django.db import connection, connections
from django.utils import timezone

from claims import detection, tasks
from claims.models import Claim, Contradiction, Entity, Predicate, ScanRun
from tests import factories
from tests.conftest import WorkerProcess
from tests.engine_fixtures import War, make_war, pairs
from tests.test_engine_worker import wait_for

PLACES = 12


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


@pytest.fixture
def disputes(war: War) -> list[Claim]:
    """A negation and a conflicting value in each of PLACES places, and a district whose
    control is disputed by a claim about a village in it (containment)."""
    Predicate.objects.filter(slug="controlled-by").update(spreads_to_parts=True)
    claims = []
    for place in range(PLACES):
        subject = factories.EntityFactory(name=f"Village {place}")
        claims += [
            war.claim(by=war.aliyev, subject=subject, value=war.az),
            war.claim(by=war.am_mod, subject=subject, value=war.az, denies=True),
            war.claim(by=war.armenia, subject=subject, value=war.artsakh),
        ]
    district = factories.EntityFactory(name="Zangilan district")
    village = factories.EntityFactory(name="Aghband", part_of=district)
    claims += [war.claim(by=war.aliyev, subject=district, value=war.az)]
    claims += [war.claim(by=war.armenia, subject=village, value=war.artsakh)]
    return claims


def flags() -> set[tuple[Any, ...]]:
    return {
        (f.claim_a_id, f.claim_b_id, f.kind, f.relation, f.state, f.confidence, f.explanation)
        for f in Contradiction.objects.all()
    }


def split_scan(parts: int) -> ScanRun:
    parent = detection.contradiction_scan_split(parts=parts, triggered_by="test")
    assert parent is not None
    for part in range(parts):
        assert detection.contradiction_scan_part(run_id=parent.pk, part=part) is not None
    parent.refresh_from_db()
    return parent


def bucket_of(entity: Entity) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {detection.bucket_sql('cw_entity_root(%s)')}", [entity.pk])
        return int(cursor.fetchone()[0])


def test_a_split_scan_finds_what_the_single_scan_finds_and_its_parent_records_the_whole(
    disputes: list[Claim],
) -> None:
    parent = detection.contradiction_scan_split(parts=4, triggered_by="test")
    assert parent is not None
    runs = []
    for part in range(4):
        assert ScanRun.objects.get(pk=parent.pk).status == ScanRun.Status.RUNNING  # until the last part ends
        run = detection.contradiction_scan_part(run_id=parent.pk, part=part)
        assert run is not None
        runs.append(run)
    parent.refresh_from_db()
    found = flags()

    assert parent.status == ScanRun.Status.FINISHED
    assert parent.finished_at is not None
    assert [(run.parent_id, run.part, run.parts, run.status) for run in runs] == [
        (parent.pk, part, 4, ScanRun.Status.FINISHED) for part in range(4)
    ]
    assert sum(run.claims_scanned for run in runs) == parent.claims_scanned == len(disputes)
    assert sum(1 for run in runs if run.claims_scanned) > 1  # the places spread over the parts
    assert parent.flags_opened == sum(run.flags_opened for run in runs) == len(found) == 2 * PLACES + 1
    assert any("which lies within Zangilan district" in flag[-1] for flag in found)

    single = detection.contradiction_scan(triggered_by="test")
    assert single is not None
    assert (single.flags_opened, single.flags_closed, single.flags_reopened) == (0, 0, 0)
    assert flags() == found


def test_the_parts_cover_every_bucket_once() -> None:
    for parts in (1, 2, 3, 4, 7, 64):
        ranges = [detection.part_buckets(part, parts) for part in range(parts)]
        covered = [bucket for low, high in ranges for bucket in range(low, high + 1)]
        assert covered == list(range(detection.SCAN_BUCKETS)), parts


def test_a_flag_whose_claims_moved_into_different_parts_is_closed_by_the_part_of_its_first_claim(
    war: War, disputes: list[Claim]
) -> None:
    split_scan(2)
    first, second = disputes[0], disputes[1]
    flag = Contradiction.objects.get(claim_a=first, claim_b=second)
    elsewhere = next(
        place
        for place in (factories.EntityFactory(name=f"Town {n}") for n in range(64))
        if (bucket_of(place) < 32) != (bucket_of(first.subject) < 32)
    )

    # A bulk edit in SQL: no check ran.
    Claim.objects.filter(pk=second.pk).update(subject=elsewhere)
    parent = split_scan(2)

    flag.refresh_from_db()
    assert (parent.flags_closed, flag.state) == (1, Contradiction.State.CLOSED)


def test_no_other_scan_starts_while_a_split_scan_is_running(disputes: list[Claim]) -> None:
    parent = detection.contradiction_scan_split(parts=2, triggered_by="test")
    assert parent is not None

    assert detection.contradiction_scan(triggered_by="test") is None
    assert detection.contradiction_scan_split(parts=3, triggered_by="test") is None
    assert pairs() == set()

    for part in range(2):
        detection.contradiction_scan_part(run_id=parent.pk, part=part)
    assert detection.contradiction_scan(triggered_by="test") is not None


def test_a_part_delivered_twice_runs_once_and_a_part_of_a_finished_scan_not_at_all(
    disputes: list[Claim],
) -> None:
    parent = detection.contradiction_scan_split(parts=2, triggered_by="test")
    assert parent is not None

    assert detection.contradiction_scan_part(run_id=parent.pk, part=0) is not None
    assert detection.contradiction_scan_part(run_id=parent.pk, part=0) is None
    assert detection.contradiction_scan_part(run_id=parent.pk, part=1) is not None
    assert detection.contradiction_scan_part(run_id=parent.pk, part=1) is None
    assert detection.contradiction_scan_part(run_id=parent.pk, part=2) is None  # no such part

    assert ScanRun.objects.filter(parent=parent).count() == 2
    assert ScanRun.objects.get(pk=parent.pk).status == ScanRun.Status.FINISHED


def test_a_part_that_fails_fails_the_whole_and_writes_nothing(disputes: list[Claim]) -> None:
    parent = detection.contradiction_scan_split(parts=2, triggered_by="test")
    assert parent is not None

    def fail_once_planned(phase: str, figures: dict[str, Any]) -> None:
        if phase == "planned":
            raise RuntimeError("the database went away")

    assert detection.contradiction_scan_part(run_id=parent.pk, part=0) is not None
    opened = set(pairs())
    with pytest.raises(RuntimeError):
        detection.contradiction_scan_part(run_id=parent.pk, part=1, progress=fail_once_planned)

    parent.refresh_from_db()
    assert parent.status == ScanRun.Status.FAILED
    assert parent.error == "Part 2 of 2 failed: the database went away"
    assert ScanRun.objects.get(parent=parent, part=1).status == ScanRun.Status.FAILED
    assert pairs() == opened  # part 1 wrote nothing
    # The next scan is not held back by the failed one.
    assert detection.contradiction_scan(triggered_by="test") is not None


def test_a_split_scan_left_running_too_long_is_marked_failed_by_the_next_scan(disputes: list[Claim]) -> None:
    parent = detection.contradiction_scan_split(parts=2, triggered_by="beat")
    assert parent is not None
    ScanRun.objects.create(parent=parent, part=0, parts=2, triggered_by="beat")  # its worker died
    long_ago = timezone.now() - detection.SPLIT_SCAN_ABANDONED_AFTER - dt.timedelta(minutes=1)
    ScanRun.objects.filter(pk=parent.pk).update(started_at=long_ago)

    assert detection.contradiction_scan(triggered_by="test") is not None

    assert set(ScanRun.objects.filter(triggered_by="beat").values_list("status", flat=True)) == {"failed"}
    assert detection.contradiction_scan_part(run_id=parent.pk, part=1) is None


def test_the_last_part_delivered_again_after_it_finished_finishes_the_parent(disputes: list[Claim]) -> None:
    parent = detection.contradiction_scan_split(parts=2, triggered_by="test")
    assert parent is not None
    for part in range(2):
        detection.contradiction_scan_part(run_id=parent.pk, part=part)
    # Its worker died after the part's run was marked finished, before it finished the parent.
    ScanRun.objects.filter(pk=parent.pk).update(status=ScanRun.Status.RUNNING, finished_at=None)

    assert detection.contradiction_scan_part(run_id=parent.pk, part=1) is None

    parent.refresh_from_db()
    assert parent.status == ScanRun.Status.FINISHED
    assert parent.flags_opened == PLACES * 2 + 1


def test_a_failed_part_delivered_again_runs_as_new(disputes: list[Claim]) -> None:
    parent = detection.contradiction_scan_split(parts=2, triggered_by="test")
    assert parent is not None

    def fail(phase: str, figures: dict[str, Any]) -> None:
        if phase == "planned":
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        detection.contradiction_scan_part(run_id=parent.pk, part=0, progress=fail)
    # Its worker died before the parent was marked failed.
    ScanRun.objects.filter(pk=parent.pk).update(status=ScanRun.Status.RUNNING, finished_at=None, error="")

    assert detection.contradiction_scan_part(run_id=parent.pk, part=0) is not None
    assert detection.contradiction_scan_part(run_id=parent.pk, part=1) is not None

    part = ScanRun.objects.get(parent=parent, part=0)
    assert (part.status, part.error) == (ScanRun.Status.FINISHED, "")
    assert part.finished_at is not None and part.finished_at >= part.started_at
    assert ScanRun.objects.get(pk=parent.pk).status == ScanRun.Status.FINISHED
    assert len(pairs()) == PLACES * 2 + 1


def test_a_part_locked_by_another_connection_is_busy_not_skipped(disputes: list[Claim], other_connection: Any) -> None:
    parent = detection.contradiction_scan_split(parts=2, triggered_by="test")
    assert parent is not None
    key = detection.SCAN_PART_LOCK + parent.pk * detection.SCAN_BUCKETS + 0
    with other_connection.cursor() as cursor:  # a dead worker's connection, not dropped yet
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])

    with pytest.raises(detection.PartBusy):
        detection.contradiction_scan_part(run_id=parent.pk, part=0)
    assert not ScanRun.objects.filter(parent=parent, part=0).exists()

    other_connection.close()  # PostgreSQL drops it: the part runs when it is tried again
    assert detection.contradiction_scan_part(run_id=parent.pk, part=0) is not None


def test_split_scan_unfinished_names_the_parts_still_to_run(disputes: list[Claim]) -> None:
    assert detection.split_scan_unfinished() is None
    parent = detection.contradiction_scan_split(parts=3, triggered_by="test")
    assert parent is not None
    assert detection.split_scan_unfinished() == (parent.pk, [0, 1, 2])

    detection.contradiction_scan_part(run_id=parent.pk, part=1)
    assert detection.split_scan_unfinished() == (parent.pk, [0, 2])

    for part in (0, 2):
        detection.contradiction_scan_part(run_id=parent.pk, part=part)
    assert detection.split_scan_unfinished() is None


def test_the_split_scan_refuses_a_number_of_parts_it_cannot_make(db: Any) -> None:
    for parts in (0, detection.SCAN_BUCKETS + 1):
        with pytest.raises(ValueError, match="1 to 64 parts"):
            detection.contradiction_scan_split(parts=parts)


# --- Alongside checks and workers -----------------------------------------------------


def controlled(place: Entity, war: War) -> tuple[Claim, Claim]:
    """Two claims of who controls ``place`` that conflict, written straight to the table, so
    that no check is published to a broker."""
    return (
        factories.ClaimFactory(subject=place, asserted_by=war.aliyev, object_entity=war.az),
        factories.ClaimFactory(subject=place, asserted_by=war.armenia, object_entity=war.am),
    )


@pytest.fixture
def other_connection() -> Iterator[Any]:
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    yield other
    other.close()


def run_in_thread(job: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            job()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.django_db(transaction=True)
def test_a_check_waits_for_the_part_that_covers_its_claim_and_only_for_it(
    other_connection: Any, migration_data: None
) -> None:
    war = make_war()
    villages = [factories.EntityFactory(name=f"Village {n}") for n in range(64)]
    covered = villages[0]
    uncovered = next(v for v in villages if (bucket_of(v) < 32) != (bucket_of(covered) < 32))
    claims = {place.pk: controlled(place, war) for place in (covered, uncovered)}
    low, high = (0, 31) if bucket_of(covered) < 32 else (32, 63)
    # Another worker runs the part of the covered village: it holds that part's bucket locks.
    with other_connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s), "
            "(SELECT count(pg_advisory_xact_lock(%s, b)) FROM generate_series(%s, %s) b)",
            [detection.ENGINE_LOCK, detection.BUCKET_LOCK_CLASS, low, high],
        )

    elsewhere, errors = run_in_thread(lambda: detection.claim_check(claim_id=claims[uncovered.pk][1].pk))
    elsewhere.join(timeout=30)
    waiting, waiting_errors = run_in_thread(lambda: detection.claim_check(claim_id=claims[covered.pk][1].pk))
    time.sleep(1.0)

    assert not elsewhere.is_alive() and not errors  # another part's claims are checked at once
    assert tuple(sorted(c.pk for c in claims[uncovered.pk])) in pairs()
    assert waiting.is_alive()  # this one waits for the part
    assert tuple(sorted(c.pk for c in claims[covered.pk])) not in pairs()

    other_connection.rollback()  # the part ends
    waiting.join(timeout=30)
    assert not waiting.is_alive() and not waiting_errors
    assert tuple(sorted(c.pk for c in claims[covered.pk])) in pairs()


@pytest.mark.worker
def test_beats_scan_split_into_parts_runs_on_real_workers(
    celery_worker_process: Callable[..., WorkerProcess], migration_data: None
) -> None:
    war = make_war()
    for place in range(PLACES):
        controlled(factories.EntityFactory(name=f"Village {place}"), war)
    worker = celery_worker_process(concurrency=2)

    run_id = tasks.contradiction_scan.apply_async(kwargs={"triggered_by": "beat", "parts": 3}, ignore_result=False).get(
        timeout=60
    )
    assert run_id is not None

    try:
        parent = wait_for(
            lambda: ScanRun.objects.filter(pk=run_id).exclude(status=ScanRun.Status.RUNNING).first(),
            what="the split scan to finish",
        )
    except AssertionError as exc:
        runs = list(ScanRun.objects.values_list("pk", "parent_id", "status"))
        raise AssertionError(f"{exc} (run {run_id}; runs {runs}); worker log:\n{worker.log()}") from None
    assert parent.status == ScanRun.Status.FINISHED, parent.error
    assert (parent.parts, parent.claims_scanned, parent.flags_opened) == (3, 2 * PLACES, PLACES)
    assert sorted(parent.part_runs.values_list("part", "status")) == [(part, "finished") for part in range(3)]
    assert len(pairs()) == PLACES


@pytest.mark.worker
def test_the_next_scan_sends_again_the_parts_a_split_scan_lost(
    celery_worker_process: Callable[..., WorkerProcess], migration_data: None
) -> None:
    war = make_war()
    for place in range(PLACES):
        controlled(factories.EntityFactory(name=f"Village {place}"), war)
    # The task that began this split died before it sent any part.
    lost = detection.contradiction_scan_split(parts=3, triggered_by="beat")
    assert lost is not None
    worker = celery_worker_process(concurrency=2)

    # The next beat's scan finds it running and sends its parts again instead of waiting.
    assert (
        tasks.contradiction_scan.apply_async(kwargs={"triggered_by": "beat"}, ignore_result=False).get(timeout=60)
        is None
    )

    try:
        parent = wait_for(
            lambda: ScanRun.objects.filter(pk=lost.pk).exclude(status=ScanRun.Status.RUNNING).first(),
            what="the lost split scan to finish",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; worker log:\n{worker.log()}") from None
    assert parent.status == ScanRun.Status.FINISHED, parent.error
    assert sorted(parent.part_runs.values_list("part", "status")) == [(part, "finished") for part in range(3)]
    assert len(pairs()) == PLACES
