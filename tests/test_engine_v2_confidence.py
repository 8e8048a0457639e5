"""Engine v2: every flag's confidence, from the hedges, provenance and grades of its claims
and its rule (claims.rules, "Confidence")."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client

from claims import detection
from claims.models import Claim, ClaimSource, Contradiction, Entity
from claims.services import Appearance, claim_create, claim_update
from sources.models import Party, Reliability
from tests import factories
from tests.api.conftest import api_key, client_with_key, error_fields
from tests.engine_fixtures import ASSERTED_AT, REPORTED, War, check, flag_of, make_war
from tests.factories import predicate

HIGH, MEDIUM, LOW = (Contradiction.Confidence.HIGH, Contradiction.Confidence.MEDIUM, Contradiction.Confidence.LOW)


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


def control_claim(
    war: War,
    *,
    by: Party,
    value: Entity,
    denies: bool = False,
    hedge: str = Claim.Hedge.STATED,
    credibility: int = Claim.Credibility.CANNOT_BE_JUDGED,
    role: str | None = None,
    subject: Entity | None = None,
) -> Claim:
    """A Hadrut "controlled by" claim on the day of the article, logged as an analyst would:
    with its hedge, its credibility and, if ``role`` is given, one appearance in that role."""
    appearances = [Appearance(source=factories.SourceFactory(), role=role)] if role else []
    return claim_create(
        subject=subject or war.hadrut,
        predicate=predicate("controlled-by"),
        asserted_by=by,
        asserted_at=ASSERTED_AT,
        statement=f"{by} on Hadrut",
        object_entity=value,
        polarity=Claim.Polarity.DENIES if denies else Claim.Polarity.AFFIRMS,
        valid_from=REPORTED,
        valid_until=REPORTED,
        hedge=hedge,
        credibility=credibility,
        appearances=appearances,
    )


def test_a_reframing_reported_second_hand_and_hedged_claimed_is_less_firm_than_a_direct_denial(war: War) -> None:
    said = control_claim(war, by=war.aliyev, value=war.az, role=ClaimSource.Role.ORIGINAL)
    denial = control_claim(war, by=war.am_mod, value=war.az, denies=True, role=ClaimSource.Role.ORIGINAL)
    # A third party reports that Armenia "claimed" Artsakh holds Hadrut.
    reframing = control_claim(
        war, by=war.armenia, value=war.artsakh, hedge=Claim.Hedge.CLAIMED, role=ClaimSource.Role.REPORT
    )

    check(denial, reframing)

    direct, reframed = flag_of(said, denial), flag_of(said, reframing)
    assert direct.confidence == HIGH
    assert reframed.confidence < direct.confidence
    assert reframed.confidence == MEDIUM
    assert direct.explanation.endswith(" Confidence: high.")
    assert reframed.explanation.endswith(
        ' Confidence: medium: the claim of Armenia is hedged "claimed" and known only from a third party\'s report.'
    )


def test_the_review_queue_puts_the_firmest_flags_first(war: War) -> None:
    said = control_claim(war, by=war.aliyev, value=war.az, role=ClaimSource.Role.ORIGINAL)
    rumour = control_claim(war, by=war.south_front, value=war.artsakh, hedge=Claim.Hedge.UNCONFIRMED)
    denial = control_claim(war, by=war.am_mod, value=war.az, denies=True, role=ClaimSource.Role.ORIGINAL)

    check(rumour, denial)

    queue = list(Contradiction.objects.open().order_by("-confidence", "-detected_at", "-id"))
    assert [flag.pk for flag in queue] == [flag_of(said, denial).pk, flag_of(said, rumour).pk]
    assert [flag.confidence for flag in queue] == [HIGH, LOW]


@pytest.mark.parametrize(
    ("reliability", "credibility", "expected"),
    [
        (Reliability.A, Claim.Credibility.PROBABLY_TRUE, HIGH),
        (Reliability.F, Claim.Credibility.CANNOT_BE_JUDGED, HIGH),  # "cannot be judged" says nothing
        (Reliability.D, Claim.Credibility.CANNOT_BE_JUDGED, MEDIUM),
        (Reliability.C, Claim.Credibility.IMPROBABLE, MEDIUM),
        (Reliability.E, Claim.Credibility.DOUBTFUL, LOW),
    ],
)
def test_the_admiralty_grades_of_the_party_and_the_claim_lower_the_confidence(
    war: War, reliability: str, credibility: int, expected: int
) -> None:
    Party.objects.filter(pk=war.am_mod.pk).update(reliability=reliability)
    said = control_claim(war, by=war.aliyev, value=war.az)
    denial = control_claim(war, by=war.am_mod, value=war.az, denies=True, credibility=credibility)

    check(denial)

    assert flag_of(said, denial).confidence == expected


def test_an_edit_of_a_hedge_moves_the_confidence_and_its_explanation(war: War) -> None:
    said = control_claim(war, by=war.aliyev, value=war.az)
    denial = control_claim(war, by=war.am_mod, value=war.az, denies=True)
    check(denial)
    assert flag_of(said, denial).confidence == HIGH

    claim_update(claim=denial, data={"hedge": Claim.Hedge.ALLEGED})
    outcome = check(denial)

    flag = flag_of(said, denial)
    assert outcome.updated == 1
    assert flag.confidence == MEDIUM
    assert flag.explanation.endswith(
        ' Confidence: medium: the claim of Armenia\'s Ministry of Defence is hedged "alleged".'
    )


@pytest.mark.parametrize("split", [False, True], ids=["one statement", "split into parts"])
def test_the_scan_gives_a_flag_the_confidence_the_check_gives_it(war: War, split: bool) -> None:
    said = control_claim(war, by=war.aliyev, value=war.az, role=ClaimSource.Role.ORIGINAL)
    reframing = control_claim(war, by=war.armenia, value=war.artsakh, hedge=Claim.Hedge.CLAIMED, role="report")
    check(reframing)
    checked = flag_of(said, reframing)
    # A flag written before there were levels carries the column's default until rescanned.
    Contradiction.objects.filter(pk=checked.pk).update(confidence=HIGH)

    if split:
        run = detection.contradiction_scan_split(parts=2, triggered_by="test")
        assert run is not None
        for part in range(2):
            detection.contradiction_scan_part(run_id=run.pk, part=part)
    else:
        run = detection.contradiction_scan(triggered_by="test")

    assert run is not None
    rescanned = flag_of(said, reframing)
    assert (rescanned.confidence, rescanned.explanation) == (checked.confidence, checked.explanation)


def test_the_database_refuses_a_confidence_outside_the_levels(war: War) -> None:
    said = control_claim(war, by=war.aliyev, value=war.az)
    denial = control_claim(war, by=war.am_mod, value=war.az, denies=True)
    check(denial)

    with pytest.raises(IntegrityError, match="contradiction_confidence_valid"), transaction.atomic():
        Contradiction.objects.filter(pk=flag_of(said, denial).pk).update(confidence=7)


# --- The API and the admin ----------------------------------------------------------------

LIST = "/api/v1/contradictions/"


def test_the_api_shows_filters_and_orders_by_confidence(war: War, journalist: User) -> None:
    said = control_claim(war, by=war.aliyev, value=war.az, role=ClaimSource.Role.ORIGINAL)
    rumour = control_claim(war, by=war.south_front, value=war.artsakh, hedge=Claim.Hedge.UNCONFIRMED)
    denial = control_claim(war, by=war.am_mod, value=war.az, denies=True, role=ClaimSource.Role.ORIGINAL)
    check(rumour, denial)
    firm, weak = flag_of(said, denial), flag_of(said, rumour)
    client = client_with_key(api_key(journalist))

    queue = client.get(LIST, {"ordering": "-confidence"}).json()["results"]
    assert [(row["id"], row["confidence"]) for row in queue] == [(firm.pk, HIGH), (weak.pk, LOW)]
    assert [row["id"] for row in client.get(LIST, {"ordering": "confidence"}).json()["results"]] == [weak.pk, firm.pk]
    assert [row["id"] for row in client.get(LIST, {"confidence": LOW}).json()["results"]] == [weak.pk]
    both = client.get(LIST, {"confidence": [HIGH, LOW]}).json()["results"]
    assert {row["id"] for row in both} == {firm.pk, weak.pk}
    detail = client.get(f"{LIST}{weak.pk}/").json()
    assert detail["confidence"] == LOW and "Confidence: low" in detail["explanation"]
    claim = client.get(f"/api/v1/claims/{said.pk}/").json()
    assert {(flag["id"], flag["confidence"]) for flag in claim["contradictions"]} == {(firm.pk, HIGH), (weak.pk, LOW)}


def test_an_unknown_confidence_is_a_400_naming_the_parameter(war: War, journalist: User) -> None:
    response = client_with_key(api_key(journalist)).get(LIST, {"confidence": "certain"})

    assert response.status_code == 400
    assert "confidence" in error_fields(response)


def test_the_admin_lists_the_firmest_flags_first_and_filters_by_confidence(war: War, superuser: User) -> None:
    said = control_claim(war, by=war.aliyev, value=war.az, role=ClaimSource.Role.ORIGINAL)
    rumour = control_claim(war, by=war.south_front, value=war.artsakh, hedge=Claim.Hedge.UNCONFIRMED)
    denial = control_claim(war, by=war.am_mod, value=war.az, denies=True, role=ClaimSource.Role.ORIGINAL)
    check(denial, rumour)  # the weak flag is the newer one
    client = Client()
    client.force_login(superuser)

    listing = client.get("/admin/claims/contradiction/")
    weak = client.get("/admin/claims/contradiction/", {"confidence__exact": LOW})

    assert listing.status_code == 200
    shown = list(listing.context["cl"].result_list)
    assert [flag.pk for flag in shown] == [flag_of(said, denial).pk, flag_of(said, rumour).pk]
    assert [flag.pk for flag in weak.context["cl"].result_list] == [flag_of(said, rumour).pk]
