"""The contradiction rules and how periods behave (claims.detection)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from claims import detection
from claims.models import Contradiction
from claims.services import claim_retract
from tests import factories
from tests.engine_fixtures import D, War, check, flag_of, make_war, pairs, single_valued_text_predicate


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


# --- Negation -------------------------------------------------------------------------


def test_a_denial_of_what_another_party_affirms_is_a_negation_dispute(war: War) -> None:
    said = war.claim(by=war.aliyev, value=war.az)
    denied = war.claim(by=war.am_mod, value=war.az, denies=True)

    outcome = check(denied)

    flag = flag_of(said, denied)
    assert outcome.opened == 1
    assert (flag.kind, flag.relation, flag.state) == ("negation", "dispute", "open")
    assert (flag.rule, flag.rule_version) == ("negation", detection.RULE_VERSION)


def test_the_explanation_is_a_sentence_a_journalist_could_paste(war: War) -> None:
    aliyev = war.claim(by=war.az_mod, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    denial = war.claim(by=war.am_mod, value=war.az, denies=True)

    check(denial)

    assert flag_of(aliyev, denial).explanation == (
        "Both claims concern Hadrut · controlled by, for overlapping periods from 9 Oct 2020 and on "
        "23 Oct 2020: Azerbaijan's Ministry of Defence says Azerbaijan; Armenia's Ministry of Defence says "
        "not Azerbaijan. Confidence: high."
    )


def test_the_earlier_period_comes_first_in_the_explanation_whichever_claim_was_logged_first(war: War) -> None:
    denial = war.claim(by=war.am_mod, value=war.az, denies=True)
    aliyev = war.claim(by=war.az_mod, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)

    check(aliyev)

    assert flag_of(aliyev, denial).explanation.startswith(
        "Both claims concern Hadrut · controlled by, for overlapping periods from 9 Oct 2020 and on 23 Oct 2020: "
        "Azerbaijan's Ministry of Defence says Azerbaijan;"
    )


def test_a_denied_state_without_a_value_is_a_negation(war: War) -> None:
    lines = factories.EntityFactory(name="Southern defence lines")
    collapsing = war.claim(by=war.south_front, subject=lines, predicate_slug="collapsing")
    denial = war.claim(by=war.am_mod, subject=lines, predicate_slug="collapsing", denies=True)

    check(denial)

    assert flag_of(collapsing, denial).explanation == (
        "Both claims concern Southern defence lines · collapsing, on 23 Oct 2020: South Front says collapsing; "
        "Armenia's Ministry of Defence says not collapsing. Confidence: high."
    )


def test_denying_another_value_than_the_one_affirmed_is_no_contradiction(war: War) -> None:
    war.claim(by=war.aliyev, value=war.az)
    denial = war.claim(by=war.am_mod, value=war.am, denies=True)

    check(denial)

    assert pairs() == set()


def test_two_denials_never_contradict(war: War) -> None:
    first = war.claim(by=war.aliyev, value=war.am, denies=True)
    second = war.claim(by=war.am_mod, value=war.az, denies=True)

    check(first, second)

    assert pairs() == set()


# --- Conflicting value ----------------------------------------------------------------


def test_two_controllers_of_one_place_at_one_time_are_a_conflicting_value(war: War) -> None:
    azerbaijani = war.claim(by=war.aliyev, value=war.az)
    armenian = war.claim(by=war.am_mod, value=war.artsakh)

    check(armenian)

    flag = flag_of(azerbaijani, armenian)
    assert (flag.kind, flag.rule, flag.relation) == ("conflicting_value", "conflicting-value", "dispute")
    assert flag.explanation.endswith(
        "Ilham Aliyev says Azerbaijan; Armenia's Ministry of Defence says Republic of Artsakh. Confidence: high."
    )


def test_different_values_of_a_predicate_that_allows_several_do_not_conflict(war: War) -> None:
    # Forces can be present near two places at once: "present near" is not single-valued.
    forces = factories.EntityFactory(name="Azerbaijani Armed Forces")
    war.claim(by=war.south_front, subject=forces, predicate_slug="present-near", value=war.hadrut)
    other = war.claim(by=war.am_mod, subject=forces, predicate_slug="present-near", value=war.fuzuli)

    check(other)

    assert pairs() == set()


def test_text_values_conflict_unless_they_differ_only_in_case_and_accents(war: War) -> None:
    status = single_valued_text_predicate()
    calm = war.claim(by=war.aliyev, predicate_slug=status.slug, value="Calme")
    same = war.claim(by=war.az_mod, predicate_slug=status.slug, value="calmé")
    fighting = war.claim(by=war.am_mod, predicate_slug=status.slug, value="heavy fighting")

    check(calm, same, fighting)

    assert pairs() == {
        tuple(sorted([calm.pk, fighting.pk])),
        tuple(sorted([same.pk, fighting.pk])),
    }
    assert flag_of(calm, fighting).kind == Contradiction.Kind.CONFLICTING_VALUE


# --- Quantity mismatch ----------------------------------------------------------------


def test_casualty_ranges_that_do_not_overlap_are_a_quantity_mismatch(war: War) -> None:
    low = war.claim(by=war.aliyev, predicate_slug="casualties", value=(Decimal(10), Decimal(12), Decimal(15)))
    high = war.claim(by=war.am_mod, predicate_slug="casualties", value=(Decimal(40), Decimal(50), Decimal(60)))

    check(high)

    flag = flag_of(low, high)
    assert (flag.kind, flag.rule) == ("quantity_mismatch", "quantity-mismatch")
    assert flag.explanation.endswith(
        "Ilham Aliyev says 12 people (10–15); Armenia's Ministry of Defence says 50 people (40–60). Confidence: high."
    )


def test_casualty_ranges_that_overlap_are_compatible(war: War) -> None:
    war.claim(by=war.aliyev, predicate_slug="casualties", value=(Decimal(10), Decimal(12), Decimal(40)))
    other = war.claim(by=war.am_mod, predicate_slug="casualties", value=(Decimal(40), Decimal(50), Decimal(60)))

    check(other)

    assert pairs() == set()


def test_denying_the_very_figure_another_party_gives_is_a_negation(war: War) -> None:
    given = war.claim(by=war.aliyev, predicate_slug="settlements-lost", value=21)
    denied = war.claim(by=war.am_mod, predicate_slug="settlements-lost", value=21, denies=True)

    check(denied)

    assert flag_of(given, denied).kind == Contradiction.Kind.NEGATION


# --- What is compared -----------------------------------------------------------------


def test_claims_that_agree_are_not_flagged(war: War) -> None:
    first = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    second = war.claim(by=war.south_front, value=war.az)
    third = war.claim(by=war.am_mod, value=war.am, denies=True)

    check(first, second, third)

    assert pairs() == set()


def test_claims_about_other_places_or_predicates_are_not_compared(war: War) -> None:
    war.claim(by=war.aliyev, value=war.az)
    war.claim(by=war.am_mod, subject=war.fuzuli, value=war.az, denies=True)
    other = war.claim(by=war.am_mod, predicate_slug="captured-by", value=war.az, denies=True)

    check(other)

    assert pairs() == set()


def test_one_side_contradicting_itself_is_a_self_contradiction(war: War) -> None:
    # The leader and the ministry are both Azerbaijan's side.
    leader = war.claim(by=war.aliyev, value=war.az)
    ministry = war.claim(by=war.az_mod, value=war.az, denies=True)
    again = war.claim(by=war.aliyev, value=war.artsakh)

    check(ministry, again)

    assert pairs() == {tuple(sorted([leader.pk, ministry.pk])), tuple(sorted([leader.pk, again.pk]))}
    assert flag_of(leader, ministry).relation == Contradiction.Relation.SELF  # one side
    assert flag_of(leader, again).relation == Contradiction.Relation.SELF  # one party


def test_claims_of_unrelated_parties_make_a_dispute(war: War) -> None:
    outlet = war.claim(by=war.south_front, value=war.az)
    ministry = war.claim(by=war.az_mod, value=war.az, denies=True)

    check(ministry)

    assert flag_of(outlet, ministry).relation == Contradiction.Relation.DISPUTE


def test_a_retracted_claim_contradicts_nothing(war: War) -> None:
    said = war.claim(by=war.aliyev, value=war.az)
    claim_retract(claim=said, reason="Announced by mistake")
    denial = war.claim(by=war.am_mod, value=war.az, denies=True)

    check(said, denial)

    assert pairs() == set()


# --- Periods --------------------------------------------------------------------------


def test_an_open_ended_claim_overlaps_every_later_claim(war: War) -> None:
    since = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    years_later = war.claim(by=war.am_mod, value=war.az, denies=True, valid_from=D(2023, 9, 1))
    before = war.claim(by=war.am_mod, value=war.az, denies=True, valid_from=D(2020, 10, 8))

    check(years_later, before)

    assert pairs() == {tuple(sorted([since.pk, years_later.pk]))}


def test_a_period_known_to_the_month_covers_the_whole_month(war: War) -> None:
    october = war.claim(
        by=war.aliyev,
        value=war.az,
        valid_from=D(2020, 10, 1),
        from_precision="month",
        valid_until=D(2020, 10, 1),
        until_precision="month",
    )
    last_day = war.claim(by=war.am_mod, value=war.az, denies=True, valid_from=D(2020, 10, 31))
    next_month = war.claim(by=war.am_mod, value=war.az, denies=True, valid_from=D(2020, 11, 1))

    check(last_day, next_month)

    assert pairs() == {tuple(sorted([october.pk, last_day.pk]))}
    assert "in Oct 2020 and on 31 Oct 2020" in flag_of(october, last_day).explanation


def test_periods_that_only_touch_do_not_overlap(war: War) -> None:
    war.claim(by=war.am_mod, value=war.artsakh, valid_from=D(2020, 9, 27), valid_until=D(2020, 10, 8))
    after = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)

    check(after)

    assert pairs() == set()


def test_a_sequence_of_states_over_time_is_history_not_a_contradiction(war: War) -> None:
    # Held by Artsakh, captured, lost again, retaken: each state ends before the next begins.
    war.claim(by=war.am_mod, value=war.artsakh, valid_from=D(2020, 9, 1), valid_until=D(2020, 10, 8))
    war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=D(2020, 10, 20))
    war.claim(by=war.south_front, value=war.artsakh, valid_from=D(2020, 10, 21), valid_until=D(2020, 10, 25))
    last = war.claim(by=war.az_mod, value=war.az, valid_from=D(2020, 10, 26), valid_until=None)

    outcome = check(last)

    assert outcome.opened == 0
    assert pairs() == set()


def test_overlapping_states_of_the_same_sequence_are_flagged(war: War) -> None:
    held = war.claim(by=war.am_mod, value=war.artsakh, valid_from=D(2020, 9, 1), valid_until=D(2020, 10, 9))
    taken = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)

    check(taken)

    assert pairs() == {tuple(sorted([held.pk, taken.pk]))}
    assert "from 1 Sep 2020 to 9 Oct 2020 and from 9 Oct 2020" in flag_of(held, taken).explanation
