"""Each reader page makes as many queries for many rows as for one: the sides, the periods
in words, the sources and the verdicts come in the page's own fixed set of queries."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import detection, services
from tests import factories
from tests.test_reader_fixtures import ReaderWorld, claim_pair, reader_world

pytestmark = pytest.mark.django_db

_numbers = itertools.count()
DEBUG_QUERIES = False


@pytest.fixture
def world(analyst: User) -> ReaderWorld:
    return reader_world(analyst)


@pytest.fixture
def reader(journalist: User) -> Client:
    client = Client()
    client.force_login(journalist)
    return client


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200, response
    if DEBUG_QUERIES:
        print("\n".join(q["sql"][:300] for q in captured.captured_queries))
    return len(captured)


def more_pairs(world: ReaderWorld, count: int) -> None:
    """More flagged pairs about places in the district, by the same two parties."""
    for _ in range(count):
        n = next(_numbers)
        place = factories.EntityFactory(name=f"Village {n}", part_of=world.district)
        source = factories.SourceFactory()
        claim_pair(
            subject=place, forces=world.forces, yes_by=world.aliyev, no_by=world.armenian_mod,
            day=dt.date(2020, 10, 1) + dt.timedelta(days=n % 300), source=source,
        )  # fmt: skip
    detection.contradiction_scan(triggered_by="test")


def more_sources_and_verdicts(world: ReaderWorld, analyst: User, count: int) -> None:
    for n in range(count):
        world.town_no.appearances.create(source=factories.SourceFactory(publisher=None), excerpt=f"excerpt {n}")
        services.verdict_record(claim=world.town_no, rating="false", rationale=f"again {n}", reviewer=analyst)


PAGES: dict[str, Callable[[ReaderWorld], str]] = {
    "search contradictions": lambda w: "/?q=village",
    "search claims": lambda w: f"/?show=claims&side={w.armenia.pk}",
    "place": lambda w: f"/places/{w.district.pk}/",
    "party": lambda w: f"/parties/{w.armenia.pk}/",
    "export csv": lambda w: f"/export.csv?place={w.district.pk}",
    "export json": lambda w: f"/export.json?show=claims&place={w.district.pk}",
}


@pytest.mark.parametrize("name", PAGES)
def test_a_list_page_makes_as_many_queries_for_many_rows_as_for_one(
    reader: Client, world: ReaderWorld, name: str
) -> None:
    more_pairs(world, 1)
    url = PAGES[name](world)
    few = queries_for(reader, url)
    more_pairs(world, 6)
    assert queries_for(reader, url) == few


DETAIL_PAGES: dict[str, Callable[[ReaderWorld], str]] = {
    "contradiction": lambda w: f"/contradictions/{w.town_flag.pk}/",
    "claim": lambda w: f"/claims/{w.town_no.pk}/",
    "claim as of": lambda w: f"/claims/{w.town_no.pk}/?as_of={timezone.now().date().isoformat()}",
    "claim card": lambda w: f"/claims/{w.town_no.pk}/card/",
    "contradiction card": lambda w: f"/contradictions/{w.town_flag.pk}/card/",
}


@pytest.mark.parametrize("name", DETAIL_PAGES)
def test_a_detail_page_makes_as_many_queries_for_many_sources_and_verdicts_as_for_one(
    reader: Client, world: ReaderWorld, analyst: User, name: str
) -> None:
    url = DETAIL_PAGES[name](world)
    more_sources_and_verdicts(world, analyst, 1)
    few = queries_for(reader, url)
    more_sources_and_verdicts(world, analyst, 5)
    assert queries_for(reader, url) == few
