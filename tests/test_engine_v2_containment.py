"""Engine v2: a claim about a place conflicts with a claim about a place within it, when
the predicate spreads to the parts (Predicate.spreads_to_parts, Entity.part_of)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import detection
from claims.models import Contradiction, Entity, Predicate
from claims.services import claim_retract
from tests import factories
from tests.engine_fixtures import D, War, check, flag_of, make_war, pairs
from tests.factories import predicate
from tests.test_engine_queries import grow_the_table


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


@pytest.fixture
def zangilan(war: War) -> dict[str, Entity]:
    """Zangilan district, the village of Aghband in it, and a hamlet within the village."""
    district = factories.EntityFactory(name="Zangilan district")
    village = factories.EntityFactory(name="Aghband", part_of=district)
    hamlet = factories.EntityFactory(name="Upper Aghband", part_of=village)
    return {"district": district, "village": village, "hamlet": hamlet}


def test_the_starter_vocabulary_spreads_control_to_the_parts_but_not_presence(db: Any) -> None:
    assert predicate("controlled-by").spreads_to_parts
    assert not predicate("present-near").spreads_to_parts
    assert not predicate("casualties").spreads_to_parts


def test_who_controls_a_district_conflicts_with_another_controller_of_a_village_in_it(
    war: War, zangilan: dict[str, Entity]
) -> None:
    district = war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    village = war.claim(by=war.armenia, subject=zangilan["village"], value=war.artsakh)

    outcome = check(village)

    flag = flag_of(district, village)
    assert outcome.opened == 1
    assert (flag.kind, flag.rule, flag.relation, flag.state) == (
        "conflicting_value", "conflicting-value", "dispute", "open",
    )  # fmt: skip
    assert flag.explanation == (
        "Both claims concern Zangilan district · controlled by (which holds for every place within it) and "
        "Aghband, which lies within Zangilan district, on 23 Oct 2020: Ilham Aliyev says Azerbaijan (of Zangilan "
        "district); Armenia says Republic of Artsakh (of Aghband). Confidence: medium: the conflict is inferred "
        "from Aghband lying within Zangilan district."
    )
    assert flag.confidence == Contradiction.Confidence.MEDIUM


def test_containment_reaches_a_place_at_any_depth_and_is_found_from_either_claim(
    war: War, zangilan: dict[str, Entity]
) -> None:
    hamlet = war.claim(by=war.armenia, subject=zangilan["hamlet"], value=war.artsakh)
    district = war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)

    check(district)  # the claim about the whole, logged second

    assert pairs() == {(hamlet.pk, district.pk)}
    assert "Upper Aghband, which lies within Zangilan district" in flag_of(hamlet, district).explanation


def test_affirming_the_whole_and_denying_the_part_is_a_negation_but_not_the_other_way_round(
    war: War, zangilan: dict[str, Entity]
) -> None:
    whole = war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    part_denied = war.claim(by=war.am_mod, subject=zangilan["village"], value=war.az, denies=True)
    # Azerbaijan not holding all of the district says nothing about one village in it.
    whole_denied = war.claim(by=war.am_mod, subject=zangilan["district"], value=war.am, denies=True)
    part = war.claim(by=war.armenia, subject=zangilan["village"], value=war.am)

    check(part_denied, whole_denied, part)

    assert flag_of(whole, part_denied).kind == "negation"
    assert (min(whole_denied.pk, part.pk), max(whole_denied.pk, part.pk)) not in pairs()


def test_the_same_controller_of_the_whole_and_the_part_is_no_conflict(war: War, zangilan: dict[str, Entity]) -> None:
    war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    village = war.claim(by=war.az_mod, subject=zangilan["village"], value=war.az)

    check(village)

    assert pairs() == set()


def test_a_predicate_that_does_not_spread_does_not_reach_the_parts(war: War, zangilan: dict[str, Entity]) -> None:
    # Forces present near the district are not, for that, near each village in it; and a
    # single-valued predicate that does not spread compares only claims about one place.
    single = Predicate.objects.create(
        slug="governed-by", label="governed by", value_type=Predicate.ValueType.ENTITY, single_valued=True
    )
    war.claim(by=war.aliyev, subject=zangilan["district"], predicate_slug="present-near", value=war.hadrut)
    near = war.claim(by=war.am_mod, subject=zangilan["village"], predicate_slug="present-near", value=war.fuzuli)
    war.claim(by=war.aliyev, subject=zangilan["district"], predicate_slug=single.slug, value=war.az)
    governed = war.claim(by=war.armenia, subject=zangilan["village"], predicate_slug=single.slug, value=war.am)

    check(near, governed)

    assert pairs() == set()


def test_a_place_changing_hands_over_time_is_still_no_conflict(war: War, zangilan: dict[str, Entity]) -> None:
    war.claim(by=war.armenia, subject=zangilan["district"], value=war.artsakh,
              valid_from=D(2020, 9, 1), valid_until=D(2020, 10, 22))  # fmt: skip
    taken = war.claim(by=war.aliyev, subject=zangilan["village"], value=war.az, valid_from=D(2020, 10, 23))

    check(taken)

    assert pairs() == set()


def test_the_scan_finds_the_containment_flags_the_checks_find(war: War, zangilan: dict[str, Entity]) -> None:
    district = war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    hamlet = war.claim(by=war.armenia, subject=zangilan["hamlet"], value=war.artsakh)
    denied = war.claim(by=war.am_mod, subject=zangilan["village"], value=war.az, denies=True)
    check(district, hamlet, denied)
    checked = {(f.claim_a_id, f.claim_b_id): (f.kind, f.explanation) for f in Contradiction.objects.all()}
    assert len(checked) == 2

    run = detection.contradiction_scan(triggered_by="test")

    assert run is not None and (run.flags_opened, run.flags_closed, run.flags_reopened) == (0, 0, 0)
    assert {(f.claim_a_id, f.claim_b_id): (f.kind, f.explanation) for f in Contradiction.objects.all()} == checked


def test_the_scan_opens_a_containment_flag_the_checks_missed(war: War, zangilan: dict[str, Entity]) -> None:
    district = war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    village = war.claim(by=war.armenia, subject=zangilan["village"], value=war.artsakh)

    run = detection.contradiction_scan(triggered_by="test")
    scanned = flag_of(district, village)
    outcome = check(village)  # the check finds the same flag and has nothing to change

    assert run is not None and run.flags_opened == 1
    assert outcome == detection.Outcome()
    assert pairs() == {(district.pk, village.pk)}
    assert "which lies within Zangilan district" in scanned.explanation


def test_a_batch_check_finds_containment_pairs_once(war: War, zangilan: dict[str, Entity]) -> None:
    district = war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    village = war.claim(by=war.armenia, subject=zangilan["village"], value=war.artsakh)

    outcome = detection.claims_check(claim_ids=[district.pk, village.pk])

    assert outcome.opened == 1
    assert pairs() == {(district.pk, village.pk)}


def test_retracting_the_claim_about_the_part_closes_the_flag(war: War, zangilan: dict[str, Entity]) -> None:
    district = war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    village = war.claim(by=war.armenia, subject=zangilan["village"], value=war.artsakh)
    check(village)

    claim_retract(claim=village, reason="Misreported")
    outcome = check(village)

    flag = flag_of(district, village)
    assert outcome.closed == 1 and flag.state == "closed"
    assert "was retracted (Misreported)" in flag.state_reason


def test_the_containment_check_makes_as_many_queries_on_a_large_table_as_on_a_small_one(
    war: War, zangilan: dict[str, Entity]
) -> None:
    war.claim(by=war.aliyev, subject=zangilan["district"], value=war.az)
    first = war.claim(by=war.armenia, subject=zangilan["village"], value=war.artsakh)
    with CaptureQueriesContext(connection) as small:
        outcome_small = check(first)

    grow_the_table(war, claims=3000)
    second = war.claim(by=war.am_mod, subject=zangilan["hamlet"], value=war.am, valid_from=D(2020, 10, 23))
    with CaptureQueriesContext(connection) as large:
        outcome_large = check(second)

    assert outcome_small.opened == 1 and outcome_large.opened == 2  # the district and the village
    assert len(large) == len(small) == 5


def test_the_containment_check_reads_the_claims_through_an_index(war: War, zangilan: dict[str, Entity]) -> None:
    grow_the_table(war, claims=3000)
    claim = war.claim(by=war.armenia, subject=zangilan["village"], value=war.artsakh)

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + detection.RECONCILE_CLAIM, {"claim_id": claim.pk, "explain_since": "-infinity"})
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + detection.LOCK_CLAIM_GROUPS, {"claim_id": claim.pk})
        lock_plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Seq Scan on claims_claim" not in plan
    assert "Seq Scan on claims_claim" not in lock_plan
