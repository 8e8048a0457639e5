"""Reviewing a contradiction from its own page, and finding the flags to review."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages

from claims.admin import period_text
from claims.models import Claim, Contradiction, Entity
from claims.services import contradiction_dismiss
from sources.models import Party
from tests import factories, test_admin
from tests.test_admin import logged_in, page_text, url

pytestmark = pytest.mark.django_db

# The claim-logging fixtures of the main admin tests.
world = test_admin.world
flagged = test_admin.flagged


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- From the flag's page -------------------------------------------------------------


def test_the_contradiction_page_offers_confirm_and_dismiss_to_a_reviewer(flagged: Contradiction, analyst: User) -> None:
    page = page_text(logged_in(analyst).get(url(Contradiction, "change", flagged.pk)))

    assert url(Contradiction, "confirm", flagged.pk) in page
    assert url(Contradiction, "dismiss", flagged.pk) in page


def test_an_analyst_confirms_from_the_page_and_is_back_on_it_with_a_message(
    flagged: Contradiction, analyst: User
) -> None:
    response = logged_in(analyst).post(url(Contradiction, "confirm", flagged.pk))

    assert response.status_code == 302 and response["Location"] == url(Contradiction, "change", flagged.pk)
    flagged.refresh_from_db()
    assert (flagged.state, flagged.reviewed_by) == (Contradiction.State.CONFIRMED, analyst)
    assert messages_of(response) == [f"Confirmed: {flagged}."]


def test_confirm_is_not_offered_on_a_confirmed_flag_but_dismiss_is(flagged: Contradiction, analyst: User) -> None:
    client = logged_in(analyst)
    client.post(url(Contradiction, "confirm", flagged.pk))

    page = page_text(client.get(url(Contradiction, "change", flagged.pk)))

    assert url(Contradiction, "confirm", flagged.pk) not in page
    assert url(Contradiction, "dismiss", flagged.pk) in page


def test_the_reason_page_shows_both_claims_side_by_side(flagged: Contradiction, journalist: User) -> None:
    page = page_text(logged_in(journalist).get(url(Contradiction, "dismiss", flagged.pk)))

    for claim in (flagged.claim_a, flagged.claim_b):
        assert str(claim.asserted_by) in page  # party
        assert claim.statement in page  # statement
        assert claim.proposition in page  # subject · predicate · value
        assert period_text(claim) in page  # period
    assert "Why is this not a contradiction?" in page


def test_a_journalist_dismisses_from_the_page_with_a_reason(flagged: Contradiction, journalist: User) -> None:
    response = logged_in(journalist).post(url(Contradiction, "dismiss", flagged.pk), {"reason": "Two villages."})

    assert response.status_code == 302 and response["Location"] == url(Contradiction, "change", flagged.pk)
    flagged.refresh_from_db()
    assert (flagged.state, flagged.state_reason, flagged.reviewed_by) == (
        Contradiction.State.DISMISSED,
        "Two villages.",
        journalist,
    )
    assert messages_of(response) == [f"Dismissed: {flagged}."]


def test_a_dismissal_without_a_reason_is_a_form_error_and_changes_nothing(
    flagged: Contradiction, analyst: User
) -> None:
    response = logged_in(analyst).post(url(Contradiction, "dismiss", flagged.pk), {"reason": "   "})

    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    flagged.refresh_from_db()
    assert flagged.state == Contradiction.State.OPEN


def test_confirm_is_a_post_not_a_link(flagged: Contradiction, analyst: User) -> None:
    assert logged_in(analyst).get(url(Contradiction, "confirm", flagged.pk)).status_code == 405
    flagged.refresh_from_db()
    assert flagged.state == Contradiction.State.OPEN


def test_someone_who_may_not_review_gets_no_buttons_and_a_403(flagged: Contradiction) -> None:
    reader = factories.UserFactory(username="reader", role="API consumer")
    client = logged_in(reader)

    page = page_text(client.get(url(Contradiction, "change", flagged.pk)))

    assert url(Contradiction, "confirm", flagged.pk) not in page
    assert url(Contradiction, "dismiss", flagged.pk) not in page
    assert client.post(url(Contradiction, "confirm", flagged.pk)).status_code == 403
    assert client.post(url(Contradiction, "dismiss", flagged.pk), {"reason": "x"}).status_code == 403
    flagged.refresh_from_db()
    assert flagged.state == Contradiction.State.OPEN


def test_an_unknown_flag_is_a_404(analyst: User) -> None:
    assert logged_in(analyst).post(url(Contradiction, "confirm", 999_999)).status_code == 404


def test_the_list_action_asks_for_a_reason_showing_both_claims(flagged: Contradiction, analyst: User) -> None:
    asked = logged_in(analyst).post(
        url(Contradiction, "changelist"), {"action": "dismiss", "_selected_action": [flagged.pk]}
    )

    page = page_text(asked)
    assert flagged.claim_a.statement in page and flagged.claim_b.statement in page


# --- Finding the flags ----------------------------------------------------------------


@pytest.fixture
def flags(world: dict[str, Any]) -> dict[str, Contradiction]:
    """An open flag about Aghband (in Zangilan district), a dismissed one about Hadrut."""
    hadrut = factories.EntityFactory(name="Hadrut")
    other = factories.PartyFactory(name="Armenian Ministry of Defence", kind=Party.Kind.MILITARY)

    def flag(subject: Entity, text: str) -> Contradiction:
        a = factories.ClaimFactory(subject=subject, asserted_by=world["aliyev"], statement=f"{text} affirmed")
        b = factories.ClaimFactory(
            subject=subject, asserted_by=other, polarity=Claim.Polarity.DENIES, statement=f"{text} denied"
        )
        return Contradiction.objects.create(
            claim_a=a, claim_b=b, kind=Contradiction.Kind.NEGATION, relation=Contradiction.Relation.DISPUTE,
            explanation=f"About {subject}.", rule="negation",
        )  # fmt: skip

    dismissed = flag(hadrut, "Hadrut")
    contradiction_dismiss(contradiction=dismissed, user=factories.UserFactory(), reason="Not the same town.")
    return {"aghband": flag(world["aghband"], "Aghband"), "hadrut": dismissed}


def listed(client: Any, query: str = "") -> set[int]:
    response = client.get(url(Contradiction, "changelist") + query)
    assert response.status_code == 200
    return {flag.pk for flag in response.context["cl"].result_list}


def test_the_list_opens_on_open_flags_and_all_states_shows_the_rest(
    flags: dict[str, Contradiction], analyst: User
) -> None:
    client = logged_in(analyst)

    assert listed(client) == {flags["aghband"].pk}
    assert listed(client, "?state=all") == {flags["aghband"].pk, flags["hadrut"].pk}
    assert listed(client, "?state=dismissed") == {flags["hadrut"].pk}
    assert "?state=all" in page_text(client.get(url(Contradiction, "changelist")))


def test_the_list_filters_by_subject(flags: dict[str, Contradiction], world: dict[str, Any], analyst: User) -> None:
    client = logged_in(analyst)
    hadrut = flags["hadrut"].claim_a.subject

    assert listed(client, f"?state=all&subject={hadrut.pk}") == {flags["hadrut"].pk}
    assert listed(client, f"?state=all&subject={world['aghband'].pk}") == {flags["aghband"].pk}


def test_the_list_filters_by_a_district_and_the_places_within_it(
    flags: dict[str, Contradiction], world: dict[str, Any], analyst: User
) -> None:
    client = logged_in(analyst)
    zangilan = world["aghband"].part_of

    assert listed(client, f"?state=all&within={zangilan.pk}") == {flags["aghband"].pk}
    assert f"within={zangilan.pk}" in page_text(client.get(url(Contradiction, "changelist")))


@pytest.mark.parametrize("query", ["?state=bogus", "?subject=abc", "?within=abc", "?within=999999"])
def test_a_bad_filter_value_is_not_a_server_error(flags: dict[str, Contradiction], analyst: User, query: str) -> None:
    response = logged_in(analyst).get(url(Contradiction, "changelist") + query, follow=True)

    assert response.status_code == 200
