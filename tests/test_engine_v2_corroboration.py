"""Engine v2: corroboration counted by independent origin (claims.selectors.Corroboration)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from claims import detection
from claims.models import Claim, ClaimSource, Entity
from claims.selectors import claim_corroborations
from claims.services import Appearance, claim_create
from sources.models import Party, Source
from tests import factories
from tests.api.conftest import api_key, client_with_key, error_fields
from tests.engine_fixtures import ASSERTED_AT, REPORTED, War, flag_of, make_war
from tests.factories import predicate


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


@pytest.fixture
def press(war: War) -> dict[str, Source]:
    """South Front's article, republished by Global Research and copied again from there,
    and an independent report by a wire agency."""
    outlet = factories.PartyFactory(name="Global Research", kind=Party.Kind.MEDIA)
    original = factories.SourceFactory(title="South Front: Hadrut", publisher=war.south_front)
    copy = factories.SourceFactory(title="GR: Hadrut", publisher=outlet, republished_from=original)
    copy_of_copy = factories.SourceFactory(title="Blog: Hadrut", publisher=None, republished_from=copy)
    wire = factories.SourceFactory(title="Wire: Hadrut", publisher=factories.PartyFactory(name="Wire agency"))
    return {"original": original, "copy": copy, "copy_of_copy": copy_of_copy, "wire": wire}


def control(war: War, *, by: Party, sources: list[Source], value: Entity | None = None, denies: bool = False) -> Claim:
    return claim_create(
        subject=war.hadrut,
        predicate=predicate("controlled-by"),
        asserted_by=by,
        asserted_at=ASSERTED_AT,
        statement=f"{by} on Hadrut",
        object_entity=value or war.az,
        polarity=Claim.Polarity.DENIES if denies else Claim.Polarity.AFFIRMS,
        valid_from=REPORTED,
        valid_until=REPORTED,
        appearances=[Appearance(source=source, role=ClaimSource.Role.REPORT) for source in sources],
    )


def test_copies_of_one_article_are_four_reports_of_one_origin_and_confirm_nothing(
    war: War, press: dict[str, Source]
) -> None:
    claim = control(war, by=war.aliyev, sources=[press["original"], press["copy"], press["copy_of_copy"]])
    # Someone else saying the same, known only from a copy of the same article.
    echo = control(war, by=war.south_front, sources=[press["copy"]])

    corroboration = claim_corroborations([claim.pk])[claim.pk]

    assert (corroboration.reports, corroboration.origins, corroboration.sides) == (4, 1, 2)
    assert corroboration.summary == "4 reports, 1 origin, 2 sides"
    assert corroboration.agreeing_claims == (echo.pk,)
    assert corroboration.confirming_claims == ()
    assert corroboration.suggested_credibility is None


def test_another_side_through_an_independent_origin_confirms_the_claim(war: War, press: dict[str, Source]) -> None:
    claim = control(war, by=war.aliyev, sources=[press["original"]])
    same_side = control(war, by=war.az_mod, sources=[press["wire"]])
    independent = control(war, by=war.south_front, sources=[press["wire"]])

    corroboration = claim_corroborations([claim.pk])[claim.pk]

    assert corroboration.agreeing_claims == tuple(sorted([same_side.pk, independent.pk]))
    assert corroboration.confirming_claims == (independent.pk,)  # not Azerbaijan's own ministry
    assert (corroboration.origins, corroboration.sides) == (2, 2)
    assert corroboration.suggested_credibility == Claim.Credibility.CONFIRMED


def test_only_the_same_proposition_with_the_same_polarity_for_overlapping_periods_agrees(
    war: War, press: dict[str, Source]
) -> None:
    claim = control(war, by=war.aliyev, sources=[press["original"]])
    control(war, by=war.south_front, sources=[press["wire"]], denies=True)
    control(war, by=war.south_front, sources=[press["wire"]], value=war.artsakh)
    later = control(war, by=war.south_front, sources=[press["wire"]])
    Claim.objects.filter(pk=later.pk).update(valid_from=REPORTED.replace(day=24), valid_until=REPORTED.replace(day=25))

    corroboration = claim_corroborations([claim.pk])[claim.pk]

    assert corroboration.agreeing_claims == ()
    assert (corroboration.reports, corroboration.origins, corroboration.sides) == (1, 1, 1)


def test_a_claim_without_a_source_of_its_own_is_never_confirmed(war: War, press: dict[str, Source]) -> None:
    claim = control(war, by=war.aliyev, sources=[])
    control(war, by=war.south_front, sources=[press["wire"]])

    corroboration = claim_corroborations([claim.pk])[claim.pk]

    assert corroboration.suggested_credibility is None
    assert (corroboration.reports, corroboration.origins) == (1, 1)


def test_corroborations_of_many_claims_take_one_query(war: War, press: dict[str, Source]) -> None:
    claims = [control(war, by=war.aliyev, sources=[press["original"]]) for _ in range(5)]

    with CaptureQueriesContext(connection) as queries:
        found = claim_corroborations([claim.pk for claim in claims])

    assert len(queries) == 1
    assert {pk: c.agreeing_claims for pk, c in found.items()} == {
        claim.pk: tuple(other.pk for other in claims if other != claim) for claim in claims
    }


# --- The API ------------------------------------------------------------------------------


def test_the_claim_detail_and_the_status_lookup_show_the_corroboration(
    war: War, press: dict[str, Source], consumer: User
) -> None:
    claim = control(war, by=war.aliyev, sources=[press["original"], press["copy"]])
    independent = control(war, by=war.south_front, sources=[press["wire"]])
    client = client_with_key(api_key(consumer))

    plain_detail = client.get(f"/api/v1/claims/{claim.pk}/")
    detail_response = client.get(f"/api/v1/claims/{claim.pk}/", {"corroboration": "true"})
    detail = detail_response.json()
    plain = client.get("/api/v1/status/", {"ids": str(claim.pk)}).json()
    counted = client.get("/api/v1/status/", {"ids": str(claim.pk), "corroboration": "true"}).json()
    posted = client.post("/api/v1/status/", {"ids": [claim.pk], "corroboration": True}, format="json").json()

    expected = {
        "summary": "3 reports, 2 origins, 2 sides", "reports": 3, "origins": 2, "sides": 2,
        "agreeing_claims": [independent.pk], "confirming_claims": [independent.pk], "suggested_credibility": 1,
    }  # fmt: skip
    assert detail["corroboration"] == expected
    # The claim's own document, and its ETag, do not move when other claims agree with it.
    assert "corroboration" not in plain_detail.json()
    assert detail_response["ETag"] == plain_detail["ETag"]
    assert "corroboration" not in plain["results"][0]
    assert counted["results"][0]["corroboration"] == expected
    assert posted["results"][0]["corroboration"] == expected


def test_a_corroboration_flag_that_is_not_a_boolean_is_a_400(war: War, consumer: User) -> None:
    claim = control(war, by=war.aliyev, sources=[])
    client = client_with_key(api_key(consumer))

    for response in (
        client.get("/api/v1/status/", {"ids": str(claim.pk), "corroboration": "maybe"}),
        client.post("/api/v1/status/", {"ids": [claim.pk], "corroboration": "yes"}, format="json"),
        client.get(f"/api/v1/claims/{claim.pk}/", {"corroboration": "1x"}),
    ):
        assert response.status_code == 400
        assert "corroboration" in error_fields(response)


def test_the_flags_admin_page_shows_each_claims_corroboration(
    war: War, press: dict[str, Source], superuser: User
) -> None:
    said = control(war, by=war.aliyev, sources=[press["original"], press["copy"]])
    control(war, by=war.south_front, sources=[press["wire"]])
    denied = control(war, by=war.am_mod, sources=[press["copy_of_copy"]], denies=True)
    detection.claim_check(claim_id=denied.pk)
    client = Client()
    client.force_login(superuser)

    page = client.get(f"/admin/claims/contradiction/{flag_of(said, denied).pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert f"Claim A (#{said.pk}): 3 reports, 2 origins, 2 sides; confirmed by other sources" in text
    assert f"Claim B (#{denied.pk}): 1 report, 1 origin, 1 side; not confirmed by an independent origin" in text
