"""The ledger of claim counts by party and status (claims.models.PartyClaimCount), kept by
the claim writes themselves: it agrees with counting the claims after every kind of write,
folds without losing a count, and stays right beside a write in another transaction."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import psycopg2
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, Sum

from claims import services
from claims.models import Claim, PartyClaimCount
from claims.selectors import party_record
from tests import factories
from tests.engine_fixtures import War, make_war

pytestmark = pytest.mark.django_db


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


def ledger() -> dict[tuple[int, str], tuple[int, int]]:
    rows = PartyClaimCount.objects.values_list("party_id", "status").annotate(n=Sum("claims"), r=Sum("retracted"))
    return {(party, status): (int(n), int(r)) for party, status, n, r in rows if n or r}


def counted() -> dict[tuple[int, str], tuple[int, int]]:
    rows = Claim.objects.values_list("asserted_by_id", "status").annotate(n=Count("*"), r=Count("retracted_at"))
    return {(party, status): (n, r) for party, status, n, r in rows}


def claim(war: War, by: Any, **fields: Any) -> Claim:
    return factories.ClaimFactory(subject=war.hadrut, asserted_by=by, object_entity=war.az, **fields)


def test_the_ledger_agrees_with_counting_the_claims_after_every_kind_of_write(war: War, analyst: User) -> None:
    first, second = claim(war, war.aliyev), claim(war, war.aliyev)
    claim(war, war.am_mod)
    assert ledger() == counted() == {(war.aliyev.pk, "unrated"): (2, 0), (war.am_mod.pk, "unrated"): (1, 0)}

    services.verdict_record(claim=first, rating="false", rationale="The town was held.", reviewer=analyst)
    services.claim_retract(claim=second, reason="Logged twice.")
    services.claim_update(claim=first, data={"asserted_by": war.az_mod})
    assert ledger() == counted()
    assert ledger()[(war.az_mod.pk, "false")] == (1, 0)
    assert ledger()[(war.aliyev.pk, "unrated")] == (1, 1)

    # Writes that bypass the services: a bulk UPDATE, a multi-row INSERT in raw SQL.
    Claim.objects.filter(asserted_by=war.am_mod).update(asserted_by=war.armenia)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO claims_claim (subject_id, predicate_id, value_type, object_entity_id, text_value, polarity,
                   valid_from, valid_from_precision, valid_until_precision, asserted_by_id, asserted_at, statement,
                   quote, hedge, credibility, status, review_state, retraction_reason, created_at, updated_at)
               SELECT subject_id, predicate_id, value_type, object_entity_id, text_value, polarity, valid_from,
                   valid_from_precision, valid_until_precision, %s, asserted_at, statement, quote, hedge,
                   credibility, 'unrated', review_state, '', now(), now()
               FROM claims_claim WHERE retracted_at IS NULL""",
            [war.south_front.pk],
        )
    assert ledger() == counted()
    assert ledger()[(war.south_front.pk, "unrated")] == (2, 0)


def test_an_edit_that_moves_no_count_writes_nothing_to_the_ledger(war: War) -> None:
    first = claim(war, war.aliyev)
    rows = PartyClaimCount.objects.count()

    services.claim_update(claim=first, data={"statement": "Hadrut is ours, says the president."})
    Claim.objects.filter(pk=first.pk).update(valid_from=dt.date(2020, 10, 1))

    assert PartyClaimCount.objects.count() == rows


def test_folding_keeps_every_count_in_one_row_per_party_and_status(war: War, analyst: User) -> None:
    claims = [claim(war, war.aliyev) for _ in range(5)] + [claim(war, war.am_mod) for _ in range(3)]
    for each in claims[:2]:
        services.verdict_record(claim=each, rating="false", rationale="Filmed in the town.", reviewer=analyst)
    before = ledger()
    assert PartyClaimCount.objects.count() > len(before)

    assert services.party_claim_counts_fold() == len(before)

    assert ledger() == before == counted()
    assert Counter(PartyClaimCount.objects.values_list("party_id", "status")) == Counter(before.keys())


def test_the_rebuild_repairs_counts_after_writes_that_bypassed_the_triggers(war: War) -> None:
    claim(war, war.aliyev)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE claims_claim SET status = 'unproven'")
        cursor.execute("SET session_replication_role = DEFAULT")
    assert ledger() != counted()

    services.party_claim_counts_rebuild()

    assert ledger() == counted() == {(war.aliyev.pk, "unproven"): (1, 0)}


def test_a_party_record_reads_what_counting_its_claims_gives(war: War, analyst: User) -> None:
    rated = [claim(war, war.aliyev), claim(war, war.az_mod), claim(war, war.am_mod)]
    claim(war, war.aliyev)
    for each in rated:
        services.verdict_record(claim=each, rating="false", rationale="Filmed in the town.", reviewer=analyst)
    services.party_claim_counts_fold()
    claim(war, war.az_mod)  # after the fold: a row of the ledger not folded yet

    side = party_record(war.azerbaijan, include_side=True)
    alone = party_record(war.aliyev, include_side=False)

    assert (side["claims"], side["status_false"], side["status_unrated"], side["rated_false"]) == (4, 2, 2, 2)
    assert (alone["claims"], alone["status_false"], alone["status_unrated"]) == (2, 1, 1)
    assert all(isinstance(value, int) for value in side.values())


@pytest.mark.django_db(transaction=True)
def test_a_fold_beside_a_write_in_another_transaction_loses_neither(migration_data: None) -> None:
    war = make_war()
    claim(war, war.aliyev)
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    try:
        with other.cursor() as cursor:  # another writer appends to the ledger, not yet committed
            cursor.execute(
                "UPDATE claims_claim SET asserted_by_id = %s WHERE asserted_by_id = %s",
                [war.south_front.pk, war.aliyev.pk],
            )
        services.party_claim_counts_fold()  # does not wait for it, nor fold what it cannot see
        other.commit()
    finally:
        other.close()

    assert ledger() == counted() == {(war.south_front.pk, "unrated"): (1, 0)}
    services.party_claim_counts_fold()
    assert PartyClaimCount.objects.count() == 1
