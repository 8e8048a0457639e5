"""A party's side (sources.sql.PARTY_SIDE): the one walk up the parent links that the
model, the API, the engine and the benchmark all use."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from claims.selectors import party_sides
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_party_without_a_parent_is_its_own_side() -> None:
    armenia = factories.PartyFactory(name="Armenia")

    assert armenia.side == armenia
    assert party_sides([armenia.pk]) == {armenia.pk: {"id": armenia.pk, "name": "Armenia"}}


def test_a_party_speaks_for_its_topmost_ancestor() -> None:
    armenia = factories.PartyFactory(name="Armenia")
    ministry = factories.PartyFactory(name="Ministry of Defence", parent=armenia)
    spokesperson = factories.PartyFactory(name="Spokesperson", parent=ministry)

    assert spokesperson.side == armenia
    assert ministry.side == armenia
    assert party_sides([spokesperson.pk, ministry.pk]) == {
        spokesperson.pk: {"id": armenia.pk, "name": "Armenia"},
        ministry.pk: {"id": armenia.pk, "name": "Armenia"},
    }


def test_a_cycle_in_the_parent_links_stops_the_walk_before_it_comes_back() -> None:
    first = factories.PartyFactory(name="First")
    second = factories.PartyFactory(name="Second", parent=first)
    # A loop is refused now (party_parent_no_loop); one stored before that rule, or with
    # triggers off, must still not send the walk round for ever.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE sources_party SET parent_id = %s WHERE id = %s", [second.pk, first.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    first.refresh_from_db()

    assert first.side == second
    assert second.side == first
    assert party_sides([first.pk, second.pk]) == {
        first.pk: {"id": second.pk, "name": "Second"},
        second.pk: {"id": first.pk, "name": "First"},
    }


def test_the_walk_stops_after_32_steps() -> None:
    # A tree deeper than 32 levels is refused now (party_parent_depth); one stored before
    # that rule, or with triggers off, must still not send the walk further.
    chain: list[Any] = [factories.PartyFactory(name="Top")]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        for depth in range(1, 40):
            chain.append(factories.PartyFactory(name=f"Level {depth}", parent=chain[-1]))
        cursor.execute("SET session_replication_role = DEFAULT")

    assert chain[39].side == chain[39 - 32]
    assert chain[32].side == chain[0]


def test_unknown_parties_have_no_side() -> None:
    assert party_sides([]) == {}
    assert party_sides([10**12]) == {}
