"""The full scan: set-based reconciliation, its ScanRun record, the lock, the command and
beat's schedule (claims.detection.contradiction_scan)."""

from __future__ import annotations

import io
from typing import Any

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from claims import detection, tasks
from claims.models import Claim, Contradiction, ScanRun
from project.celery import app
from tests.engine_fixtures import D, War, check, flag_of, make_war, pairs


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


@pytest.fixture
def some_disputes(war: War) -> tuple[Claim, Claim, Claim]:
    """Two contradicting pairs, an agreement and a succession; no check has run yet."""
    said = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    denied = war.claim(by=war.am_mod, value=war.az, denies=True)
    held = war.claim(by=war.am_mod, value=war.artsakh, valid_from=D(2020, 10, 1), valid_until=D(2020, 10, 9))
    war.claim(by=war.south_front, value=war.az, valid_from=D(2020, 10, 20))  # agrees with said
    war.claim(
        by=war.am_mod, subject=war.fuzuli, value=war.artsakh, valid_from=D(2020, 10, 1), valid_until=D(2020, 10, 16)
    )
    war.claim(by=war.aliyev, subject=war.fuzuli, value=war.az, valid_from=D(2020, 10, 17), valid_until=None)
    return said, denied, held


def test_a_scan_opens_the_missing_flags_and_records_the_run(some_disputes: tuple[Claim, Claim, Claim]) -> None:
    said, denied, held = some_disputes

    run = detection.contradiction_scan(triggered_by="test")
    assert run is not None

    assert pairs() == {tuple(sorted([said.pk, denied.pk])), tuple(sorted([said.pk, held.pk]))}
    assert flag_of(said, denied).kind == Contradiction.Kind.NEGATION
    assert flag_of(said, held).kind == Contradiction.Kind.CONFLICTING_VALUE  # they overlap on 9 October
    assert run.status == ScanRun.Status.FINISHED
    assert (run.claims_scanned, run.flags_opened, run.flags_closed, run.flags_reopened) == (6, 2, 0, 0)
    assert run.triggered_by == "test"
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert run.duration is not None


def test_a_second_scan_changes_nothing(some_disputes: tuple[Claim, Claim, Claim]) -> None:
    detection.contradiction_scan(triggered_by="test")
    history = sum(flag.events.count() for flag in Contradiction.objects.all())  # type: ignore[attr-defined]  # pghistory's reverse accessor

    run = detection.contradiction_scan(triggered_by="test")
    assert run is not None

    assert (run.flags_opened, run.flags_closed, run.flags_reopened, run.flags_resolved) == (0, 0, 0, 0)
    assert sum(flag.events.count() for flag in Contradiction.objects.all()) == history  # type: ignore[attr-defined]  # pghistory's reverse accessor


def test_a_scan_finds_what_the_incremental_checks_found(some_disputes: tuple[Claim, Claim, Claim]) -> None:
    check(*Claim.objects.all())
    checked = {
        (f.claim_a_id, f.claim_b_id, f.kind, f.relation, f.state, f.explanation) for f in Contradiction.objects.all()
    }

    run = detection.contradiction_scan(triggered_by="test")
    assert run is not None

    assert (run.flags_opened, run.flags_closed, run.flags_reopened) == (0, 0, 0)
    assert {
        (f.claim_a_id, f.claim_b_id, f.kind, f.relation, f.state, f.explanation) for f in Contradiction.objects.all()
    } == checked


def test_a_scan_closes_a_flag_made_stale_behind_the_engines_back_and_reopens_the_same_row(
    some_disputes: tuple[Claim, Claim, Claim],
) -> None:
    said, denied, _ = some_disputes
    detection.contradiction_scan(triggered_by="test")
    flag = flag_of(said, denied)

    # A bulk edit in SQL: no service ran, so no check was enqueued.
    Claim.objects.filter(pk=denied.pk).update(polarity=Claim.Polarity.AFFIRMS)
    closing = detection.contradiction_scan(triggered_by="test")
    assert closing is not None
    flag.refresh_from_db()
    assert (closing.flags_closed, flag.state) == (1, "closed")
    assert flag.state_reason == "The negation rule no longer holds: after an edit the claims no longer disagree."

    Claim.objects.filter(pk=denied.pk).update(polarity=Claim.Polarity.DENIES)
    reopening = detection.contradiction_scan(triggered_by="test")
    assert reopening is not None

    assert reopening.flags_reopened == 1
    assert flag_of(said, denied).pk == flag.pk
    assert flag_of(said, denied).state == Contradiction.State.OPEN
    assert Contradiction.objects.filter(claim_a=flag.claim_a, claim_b=flag.claim_b).count() == 1


def test_the_claims_a_scan_reports_include_those_written_in_sql_and_the_retracted(
    some_disputes: tuple[Claim, Claim, Claim],
) -> None:
    """The whole scan takes its figure from the ledger of claim counts, not by counting the
    claims: it must still be every claim, however it was written."""
    said, _, _ = some_disputes
    with connection.cursor() as cursor:  # a copy of a claim, in SQL
        columns = [f.column for f in Claim._meta.concrete_fields if f.column != "id" and not f.generated]
        cursor.execute(
            f"INSERT INTO claims_claim ({', '.join(columns)}) SELECT {', '.join(columns)} "  # noqa: S608
            "FROM claims_claim WHERE id = %s",
            [said.pk],
        )
    Claim.objects.filter(pk=said.pk).update(retracted_at=said.created_at, retraction_reason="test")

    run = detection.contradiction_scan(triggered_by="test")
    assert run is not None
    assert run.claims_scanned == Claim.objects.count() == 7


def test_a_scan_refreshes_the_explanation_of_a_claim_edited_behind_the_engines_back(
    some_disputes: tuple[Claim, Claim, Claim],
) -> None:
    said, denied, _ = some_disputes
    detection.contradiction_scan(triggered_by="test")

    Claim.objects.filter(pk=denied.pk).update(valid_until=D(2020, 10, 30))
    detection.contradiction_scan(triggered_by="test")

    assert "from 23 Oct 2020 to 30 Oct 2020" in flag_of(said, denied).explanation


def test_a_scan_does_nothing_while_another_scan_holds_the_lock(some_disputes: tuple[Claim, Claim, Claim]) -> None:
    other = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=connection.settings_dict["USER"],
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"],
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [detection.SCAN_LOCK])

        assert detection.contradiction_scan(triggered_by="test") is None
        assert pairs() == set()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [detection.SCAN_LOCK])
    finally:
        other.close()

    assert detection.contradiction_scan(triggered_by="test") is not None


def test_a_run_left_running_by_a_killed_scan_is_marked_failed_by_the_next(
    some_disputes: tuple[Claim, Claim, Claim],
) -> None:
    abandoned = ScanRun.objects.create(triggered_by="beat")

    detection.contradiction_scan(triggered_by="test")

    abandoned.refresh_from_db()
    assert abandoned.status == ScanRun.Status.FAILED
    assert abandoned.error.startswith("Abandoned")


def test_the_command_runs_the_scan_and_shows_its_progress(some_disputes: tuple[Claim, Claim, Claim]) -> None:
    out = io.StringIO()

    call_command("scan_contradictions", stdout=out)

    output = out.getvalue()
    assert "[2/4] finding the pairs the rules flag and the flags that change: done (2 changes)" in output
    assert "2 opened, 0 closed, 0 reopened" in output
    assert ScanRun.objects.get().triggered_by == "command"


def test_beat_runs_the_scan_at_the_configured_interval() -> None:
    entry = app.conf.beat_schedule["contradiction-scan"]

    assert entry["task"] == tasks.contradiction_scan.name
    assert entry["schedule"] == settings.CONTRADICTION_SCAN_INTERVAL_SECONDS
    assert entry["kwargs"] == {"triggered_by": "beat"}
