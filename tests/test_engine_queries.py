"""The incremental check's cost follows the claim's candidates, not the size of the tables (claims, parties)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import detection
from claims.models import Claim, Contradiction
from sources.sql import PARTY_SIDE
from tests import factories
from tests.engine_fixtures import ASSERTED_AT, D, War, check, make_war, pairs
from tests.factories import predicate


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


def grow_the_table(war: War, *, claims: int) -> None:
    """Many claims about other places, and about this place under other predicates: none
    of them a candidate of a Hadrut "controlled by" claim."""
    places = [factories.EntityFactory() for _ in range(50)]
    controlled_by, present_near = predicate("controlled-by"), predicate("present-near")
    rows = []
    for n in range(claims):
        other_place = n % 5 != 0
        rows.append(
            Claim(
                subject=places[n % len(places)] if other_place else war.hadrut,
                predicate=controlled_by if other_place else present_near,
                value_type="entity",
                object_entity=war.am if n % 2 else war.az,
                polarity=Claim.Polarity.DENIES if n % 7 == 0 else Claim.Polarity.AFFIRMS,
                valid_from=D(2020, 9, 1) + dt.timedelta(days=n % 90),
                valid_until=D(2020, 9, 1) + dt.timedelta(days=n % 90 + n % 4),
                asserted_by=war.south_front if n % 3 else war.am_mod,
                asserted_at=ASSERTED_AT,
                statement=f"Claim {n}",
            )
        )
    Claim.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")


def test_the_incremental_check_makes_as_many_queries_on_a_large_table_as_on_a_small_one(war: War) -> None:
    war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    first_denial = war.claim(by=war.am_mod, value=war.az, denies=True)
    with CaptureQueriesContext(connection) as small:
        outcome_small = check(first_denial)

    grow_the_table(war, claims=3000)
    second_denial = war.claim(by=war.armenia, value=war.az, denies=True, valid_from=D(2020, 10, 24))
    with CaptureQueriesContext(connection) as large:
        outcome_large = check(second_denial)

    assert Claim.objects.count() > 3000
    assert outcome_small.opened == outcome_large.opened == 1
    # Savepoint (the test's transaction), engine lock, group locks, the reconciling
    # statement, release.
    assert len(large) == len(small) == 5


def test_the_incremental_check_reads_the_claims_through_an_index_not_the_whole_table(war: War) -> None:
    grow_the_table(war, claims=3000)
    claim = war.claim(by=war.am_mod, value=war.az, denies=True)

    plans = {}
    with connection.cursor() as cursor:
        for name, statement in [("lock", detection.LOCK_CLAIM_GROUPS), ("reconcile", detection.RECONCILE_CLAIM)]:
            cursor.execute("EXPLAIN " + statement, {"claim_id": claim.pk, "explain_since": "-infinity"})
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())

    assert "Seq Scan on claims_claim" not in plans["lock"]
    assert "Seq Scan on claims_claim" not in plans["reconcile"]
    assert "claim_candidates_gist" in plans["reconcile"] or "claim_subject_predicate" in plans["reconcile"]
    assert pairs() == set()


def claims_read(statement: str, params: dict[str, Any]) -> int:
    """How many claims rows running ``statement`` reads (emitted or filtered out by any scan
    of claims_claim, in every loop), from PostgreSQL's own account of the run."""

    def walk(node: dict[str, Any]) -> int:
        own = 0
        if node.get("Relation Name") == "claims_claim":
            read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            own = (read + node.get("Rows Removed by Index Recheck", 0)) * node["Actual Loops"]
        return own + sum(walk(child) for child in node.get("Plans", []))

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off; EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
        return walk(cursor.fetchone()[0][0]["Plan"])


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_the_containment_check_reads_as_many_claims_on_a_large_table_as_on_a_small_one(war: War, batch: bool) -> None:
    # Hadrut lies within a district, so the check walks part_of: the claims about the
    # district are candidates, the many "controlled by" claims about other places in the
    # same weeks are not, and must not be read (the planner once read every one of them
    # and asked the walk about each afterwards).
    district = factories.EntityFactory(name="Hadrut district")
    war.hadrut.part_of = district
    war.hadrut.save()
    war.claim(by=war.aliyev, subject=district, value=war.az, valid_from=D(2020, 9, 1), valid_until=None)
    claim = war.claim(by=war.am_mod, value=war.artsakh)
    statement = detection.RECONCILE_BATCH if batch else detection.RECONCILE_CLAIM
    params = {"claim_id": claim.pk, "claim_ids": [claim.pk], "explain_since": "-infinity", "reexplain": False}

    claims_read(statement, params)
    assert len(pairs()) == 1  # the containment flag; from here on each run changes nothing
    small = claims_read(statement, params)
    grow_the_table(war, claims=3000)
    large = claims_read(statement, params)

    assert len(pairs()) == 1
    assert large == small, f"the check read {small} claims on a small table and {large} on a large one"


def party_sides_worked_out(run: Any) -> int:
    """How many times running ``run()`` called ``cw_party_side`` (PostgreSQL's count of the
    function's calls in this transaction, before and after)."""
    calls = "SELECT coalesce(pg_stat_get_xact_function_calls(%s::regproc), 0)"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")
        cursor.execute(calls, [PARTY_SIDE])
        before = cursor.fetchone()[0]
        run()
        cursor.execute(calls, [PARTY_SIDE])
        return int(cursor.fetchone()[0]) - int(before)


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_the_check_works_out_the_sides_of_its_pairs_parties_not_of_every_party(war: War, batch: bool) -> None:
    # A record with many parties (a monitoring desk logs hundreds of outlets and officials):
    # the check of one claim works out the side of the parties of its pairs, not of every
    # party. It once did every party's, and took 4 s a check with 20,000 parties.
    war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    denial = war.claim(by=war.am_mod, value=war.az, denies=True)
    factories.PartyFactory.create_batch(100, parent=war.armenia)
    outcomes = []

    def run() -> None:
        if batch:
            outcomes.append(detection.claims_check(claim_ids=[denial.pk]))
        else:
            outcomes.append(check(denial))

    calls = party_sides_worked_out(run)

    assert outcomes[0].opened == 1
    assert Contradiction.objects.get().relation == "dispute"  # the sides were worked out
    assert calls <= 2, f"the check worked out {calls} parties' sides for a pair of two parties"
