"""``Claim.own_statement``: whether the claim appears as its party's own statement, kept
from its appearances by the database, however they are written; the engine reads it for
each flag's confidence."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from claims.models import Claim, ClaimChange, ClaimSource
from claims.sql import CLAIM_OWN_STATEMENT_REBUILD
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def own(claim: Claim) -> bool | None:
    return Claim.objects.values_list("own_statement", flat=True).get(pk=claim.pk)


def link(claim: Claim, role: str, **kwargs: Any) -> ClaimSource:
    return ClaimSource.objects.create(claim=claim, source=SourceFactory(), role=role, **kwargs)


def test_a_claim_with_no_appearance_has_no_value() -> None:
    assert own(ClaimFactory()) is None


def test_it_follows_the_appearances_as_they_are_added_changed_and_removed() -> None:
    claim = ClaimFactory()

    report = link(claim, ClaimSource.Role.REPORT)
    assert own(claim) is False  # known only from a third party's report

    original = link(claim, ClaimSource.Role.ORIGINAL)
    assert own(claim) is True

    ClaimSource.objects.filter(pk=original.pk).update(role=ClaimSource.Role.EVIDENCE)
    assert own(claim) is False

    ClaimSource.objects.filter(pk__in=[report.pk, original.pk]).delete()
    assert own(claim) is None


def test_an_appearance_moved_to_another_claim_changes_both() -> None:
    first, second = ClaimFactory(), ClaimFactory()
    moved = link(first, ClaimSource.Role.ORIGINAL)
    link(second, ClaimSource.Role.REPORT)

    ClaimSource.objects.filter(pk=moved.pk).update(claim=second)

    assert (own(first), own(second)) == (None, True)


def test_raw_sql_writes_of_many_appearances_are_kept_too() -> None:
    claims = [ClaimFactory() for _ in range(3)]
    source = SourceFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO claims_claimsource (claim_id, source_id, role, excerpt, locator) "
            "SELECT id, %s, CASE WHEN id = %s THEN 'original' ELSE 'report' END, '', '' FROM claims_claim "
            "WHERE id = ANY(%s)",
            [source.pk, claims[0].pk, [claim.pk for claim in claims]],
        )

    assert [own(claim) for claim in claims] == [True, False, False]


def test_a_stale_instance_saved_later_does_not_undo_it() -> None:
    claim = ClaimFactory()
    stale = Claim.objects.get(pk=claim.pk)
    link(claim, ClaimSource.Role.ORIGINAL)

    stale.statement = "An edit made from a copy read before the appearance was added"
    stale.save()

    assert own(claim) is True
    assert Claim.objects.get(pk=claim.pk).statement == stale.statement


def test_an_update_cannot_set_it_by_hand() -> None:
    claim = ClaimFactory()
    link(claim, ClaimSource.Role.REPORT)

    Claim.objects.filter(pk=claim.pk).update(own_statement=True)

    assert own(claim) is False


def test_its_changes_are_not_claim_history_or_content_changes() -> None:
    """The appearance's own history and the feed's "sources" record the change."""
    claim_events = apps.get_model("claims", "ClaimEvent")  # pghistory's, made at startup
    claim = ClaimFactory()
    events = claim_events.objects.filter(pgh_obj=claim).count()

    link(claim, ClaimSource.Role.ORIGINAL)

    assert own(claim) is True
    assert claim_events.objects.filter(pgh_obj=claim).count() == events
    # One transaction here (the test's): the feed's row for it merges the claim's creation
    # and the new appearance, and names no change of the claim's content.
    change = ClaimChange.objects.get(claim=claim)
    assert set(change.changes) == {"created", "sources"}


def test_the_rebuild_for_loads_without_triggers_gives_the_same_values() -> None:
    claims = [ClaimFactory() for _ in range(3)]
    link(claims[0], ClaimSource.Role.ORIGINAL)
    link(claims[1], ClaimSource.Role.REPORT)
    expected = [own(claim) for claim in claims]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # as bench/generate.py loads
        cursor.execute("UPDATE claims_claim SET own_statement = NULL WHERE id = ANY(%s)", [[c.pk for c in claims]])
        cursor.execute(CLAIM_OWN_STATEMENT_REBUILD)
        cursor.execute("SET session_replication_role = DEFAULT")

    assert [own(claim) for claim in claims] == expected == [True, False, None]
