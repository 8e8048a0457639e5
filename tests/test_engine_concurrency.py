"""Several workers at once: concurrent scans and incremental checks, each on its own
database connection, still make exactly one row per pair and agree on every state."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from claims import detection
from claims.models import Claim, Contradiction
from tests import factories
from tests.engine_fixtures import D, War, make_war
from tests.factories import predicate

pytestmark = pytest.mark.django_db(transaction=True)

PLACES = 4
# Per place, all on the same day: k affirm Azerbaijan, m deny it, n affirm Armenia.
AFFIRM_AZ, DENY_AZ, AFFIRM_AM = 5, 3, 4
EXPECTED_PER_PLACE = AFFIRM_AZ * DENY_AZ + AFFIRM_AZ * AFFIRM_AM  # negations + conflicting values


def lay_out_claims(war: War) -> list[Claim]:
    """Written straight to the table, so that no check is published to a broker."""
    claims = []
    parties = [war.aliyev, war.az_mod, war.am_mod, war.armenia, war.south_front]
    for place in range(PLACES):
        subject = factories.EntityFactory(name=f"Village {place}")
        for n, (value, polarity) in enumerate(
            [(war.az, "affirms")] * AFFIRM_AZ + [(war.az, "denies")] * DENY_AZ + [(war.am, "affirms")] * AFFIRM_AM
        ):
            claims.append(
                factories.ClaimFactory(
                    subject=subject,
                    predicate=predicate("controlled-by"),
                    object_entity=value,
                    polarity=polarity,
                    asserted_by=parties[n % len(parties)],
                    valid_from=D(2020, 10, 23),
                    valid_until=D(2020, 10, 23),
                )
            )
    return claims


def run_together(jobs: list[Callable[[], object]]) -> None:
    """Start the jobs at the same moment, each in a thread with its own connection."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a job hung"
    if errors:
        raise errors[0]


def checks_of(claims: list[Claim], seed: int) -> Callable[[], None]:
    order = [claim.pk for claim in claims]
    random.Random(seed).shuffle(order)

    def job() -> None:
        for claim_id in order:
            detection.claim_check(claim_id=claim_id)

    return job


def scan() -> None:
    detection.contradiction_scan(triggered_by="test")


def test_concurrent_scans_and_checks_make_exactly_one_row_per_pair(migration_data: None) -> None:
    war = make_war()
    claims = lay_out_claims(war)

    run_together([scan, checks_of(claims, 1), checks_of(claims, 2), scan, checks_of(claims, 3)])

    rows = list(Contradiction.objects.values_list("claim_a_id", "claim_b_id", "state"))
    assert len(rows) == PLACES * EXPECTED_PER_PLACE
    assert len({(a, b) for a, b, _ in rows}) == len(rows)
    assert {state for _, _, state in rows} == {"open"}
    final = detection.contradiction_scan(triggered_by="test")
    assert final is not None
    assert (final.flags_opened, final.flags_closed, final.flags_reopened) == (0, 0, 0)


def test_concurrent_work_after_an_edit_closes_and_reopens_the_same_rows(migration_data: None) -> None:
    war = make_war()
    claims = lay_out_claims(war)
    detection.contradiction_scan(triggered_by="test")
    before = dict(Contradiction.objects.values_list("id", "state"))

    # Every denial now affirms Azerbaijan: its negations no longer hold, and it now
    # conflicts with the claims that Armenia holds the place.
    denials = [claim for claim in claims if claim.polarity == "denies"]
    Claim.objects.filter(pk__in=[claim.pk for claim in denials]).update(polarity="affirms")
    run_together([checks_of(denials, 4), scan, checks_of(claims, 5), scan])

    assert Contradiction.objects.filter(state="closed").count() == PLACES * AFFIRM_AZ * DENY_AZ
    assert Contradiction.objects.filter(state="open").count() == PLACES * (AFFIRM_AZ + DENY_AZ) * AFFIRM_AM

    Claim.objects.filter(pk__in=[claim.pk for claim in denials]).update(polarity="denies")
    run_together([scan, checks_of(denials, 6), checks_of(claims, 7), scan])

    after = dict(Contradiction.objects.values_list("id", "state"))
    assert {pk: after[pk] for pk in before} == before  # the same rows, all open again
    assert sorted(state for pk, state in after.items() if pk not in before) == ["closed"] * (
        PLACES * DENY_AZ * AFFIRM_AM
    )
