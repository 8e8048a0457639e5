"""The analysts' change lists make the same number of queries for one row as for many:
the period column is worded by the database in the list's own query, not once per row."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from tests import factories
from tests.api.conftest import make_contradiction

pytestmark = pytest.mark.django_db


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_pairs(count: int) -> None:
    for _ in range(count):
        a = factories.ClaimFactory(valid_until=None)
        b = factories.ClaimFactory(subject=a.subject, object_entity=a.object_entity, polarity=Claim.Polarity.DENIES)
        make_contradiction(a, b)


@pytest.mark.parametrize("url", ["/admin/claims/claim/", "/admin/claims/contradiction/"])
def test_a_change_list_makes_as_many_queries_for_one_row_as_for_many(analyst: User, url: str) -> None:
    client = Client()
    client.force_login(analyst)
    add_pairs(1)
    few = queries_for(client, url)
    add_pairs(6)
    assert queries_for(client, url) == few


def test_the_claim_list_words_each_period_as_the_engine_does(analyst: User) -> None:
    client = Client()
    client.force_login(analyst)
    factories.ClaimFactory(valid_from="2020-09-01", valid_until="2020-10-09")
    page = client.get("/admin/claims/claim/").content.decode()
    assert "from 1 Sep 2020 to 9 Oct 2020" in page
