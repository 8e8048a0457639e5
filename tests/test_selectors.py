"""The shared reads in ``claims.selectors``: a claim's status as of a moment, for one
claim and for many."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from claims.models import Claim, Status, Verdict
from claims.selectors import claim_status_as_of, claim_statuses, claim_statuses_by_id
from claims.services import claim_retract
from tests import factories

pytestmark = pytest.mark.django_db

DAY_1 = dt.datetime(2020, 11, 1, tzinfo=dt.UTC)


def rate(claim: Claim, rating: str, recorded_at: dt.datetime, reviewer: User) -> Verdict:
    return Verdict.objects.create(claim=claim, rating=rating, rationale="Checked.", reviewer=reviewer,
                                  recorded_at=recorded_at)  # fmt: skip


def test_each_claims_status_as_of_a_moment_is_its_latest_verdict_recorded_by_then(analyst: User) -> None:
    rated, unrated = factories.ClaimFactory(), factories.ClaimFactory()
    first = rate(rated, Status.UNPROVEN, DAY_1, analyst)
    second = rate(rated, Status.FALSE, DAY_1 + dt.timedelta(days=2), analyst)
    claims = Claim.objects.filter(pk__in=[rated.pk, unrated.pk])

    before, between, after = (
        DAY_1 - dt.timedelta(seconds=1),
        DAY_1 + dt.timedelta(days=1),
        DAY_1 + dt.timedelta(days=30),
    )
    assert claim_statuses(claims, before) == [(rated.pk, "unrated", None, None, None),
                                              (unrated.pk, "unrated", None, None, None)]  # fmt: skip
    assert claim_statuses(claims, between)[0] == (rated.pk, Status.UNPROVEN, first.pk, DAY_1, None)
    assert claim_statuses(claims, after)[0] == (rated.pk, Status.FALSE, second.pk, second.recorded_at, None)
    for moment in (before, between, after):
        assert [row[1] for row in claim_statuses(claims, moment)] == [
            claim_status_as_of(claim=rated, moment=moment),
            claim_status_as_of(claim=unrated, moment=moment),
        ]


def test_a_retraction_counts_from_the_moment_it_was_made(analyst: User) -> None:
    claim = factories.ClaimFactory()
    before = timezone.now()
    claim_retract(claim=claim, reason="Misattributed.")
    claim.refresh_from_db()
    assert claim.retracted_at is not None

    (then,) = claim_statuses(Claim.objects.filter(pk=claim.pk), before)
    (now,) = claim_statuses(Claim.objects.filter(pk=claim.pk), claim.retracted_at)
    assert then[4] is None
    assert now[4] == claim.retracted_at


def test_the_current_statuses_by_id_are_the_claims_own_and_skip_unknown_ids(analyst: User) -> None:
    rated, unrated = factories.ClaimFactory(), factories.ClaimFactory()
    verdict = rate(rated, Status.TRUE, DAY_1, analyst)

    rows = claim_statuses_by_id([unrated.pk, rated.pk, 0])

    assert rows == [(rated.pk, Status.TRUE, verdict.pk, DAY_1, None), (unrated.pk, "unrated", None, None, None)]
    assert rows == claim_statuses(Claim.objects.filter(pk__in=[rated.pk, unrated.pk]))
