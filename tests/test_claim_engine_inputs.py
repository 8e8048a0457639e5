"""What a claim keeps for the contradiction engine (stored generated columns): its row's
doubt points, and its current verdict when that settles or alerts its flags. The database
works them out from the claim's own columns however the row is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction

from claims.models import Claim, ClaimSource
from claims.services import verdict_record
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def kept(claim: Claim) -> tuple[Any, ...]:
    return tuple(Claim.objects.values_list("doubt_points", "settling_verdict_id", "alert_verdict_id").get(pk=claim.pk))


def test_the_doubt_points_follow_the_hedge_the_credibility_and_the_appearances() -> None:
    claim = ClaimFactory()  # stated, credibility cannot be judged, no appearance recorded
    assert kept(claim)[0] == 0

    with connection.cursor() as cursor:  # raw SQL, as a bulk edit would
        cursor.execute("UPDATE claims_claim SET hedge = 'claimed', credibility = 5 WHERE id = %s", [claim.pk])
    assert kept(claim)[0] == 1 + 2

    report = ClaimSource.objects.create(claim=claim, source=SourceFactory(), role=ClaimSource.Role.REPORT)
    assert kept(claim)[0] == 1 + 2 + 1  # known only from a third party's report
    ClaimSource.objects.create(claim=claim, source=SourceFactory(), role=ClaimSource.Role.ORIGINAL)
    assert kept(claim)[0] == 1 + 2
    ClaimSource.objects.filter(pk=report.pk).delete()
    assert kept(claim)[0] == 1 + 2


def test_the_verdict_columns_follow_the_current_verdict(analyst: User) -> None:
    claim = ClaimFactory()
    assert kept(claim)[1:] == (None, None)

    false = verdict_record(claim=claim, rating="false", rationale="Footage shows otherwise.", reviewer=analyst)
    assert kept(claim)[1:] == (false.pk, None)  # settles its flags

    verdict_record(claim=claim, rating="mostly_false", rationale="Partly so.", reviewer=analyst)
    assert kept(claim)[1:] == (None, None)  # a person decides

    true = verdict_record(claim=claim, rating="true", rationale="Confirmed on the ground.", reviewer=analyst)
    assert kept(claim)[1:] == (None, true.pk)  # with another claim rated true: the alert


def test_they_cannot_be_written_by_hand() -> None:
    claim = ClaimFactory()
    with pytest.raises(DatabaseError, match="generated"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE claims_claim SET doubt_points = 0 WHERE id = %s", [claim.pk])
