"""The engine's rules as units (claims.rules): a pair of claims matches at most one rule."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection

from claims.admin import period_text
from claims.models import Claim, Contradiction
from claims.models.expressions import PeriodPhrase
from claims.rules import RULES, Polarities, Rule, kind_sql, overlapping_rules
from tests import factories


def test_every_kind_has_exactly_one_rule() -> None:
    assert sorted(rule.kind for rule in RULES) == sorted(Contradiction.Kind.values)


def test_no_two_rules_apply_to_the_same_polarities_and_value_type() -> None:
    assert overlapping_rules() == []


def test_two_rules_for_the_same_polarities_and_value_type_are_reported_as_overlapping() -> None:
    negation = RULES[0]
    rival = Rule(
        kind="rival",
        name="rival",
        polarities=Polarities.OPPOSITE,
        value_types=("text",),
        condition="true",
        phrase="rival",
    )

    assert overlapping_rules((*RULES, rival)) == [(negation, rival)]


# A grid of representative claims: every polarity and value type, with values that are
# equal, different (accents and case aside or not), and quantity ranges that overlap or not.
_VALUES: dict[str, list[tuple[Any, ...]]] = {
    # (object_entity_id, text_value, quantity_low, quantity_best, quantity_high)
    "entity": [(1, "", None, None, None), (2, "", None, None, None)],
    "text": [
        (None, "Ağbənd", None, None, None),
        (None, " agbend ", None, None, None),
        (None, "Hadrut", None, None, None),
    ],
    "quantity": [(None, "", 10, 12, 15), (None, "", 10, 12, 15), (None, "", 14, 16, 20), (None, "", 30, 31, 32)],
    "none": [(None, "", None, None, None)],
}


def _grid() -> list[tuple[Any, ...]]:
    claims = [
        (polarity, value_type, *value)
        for polarity in ("affirms", "denies")
        for value_type, values in _VALUES.items()
        for value in values
    ]
    return [
        (*a, *b, single_valued)
        for a, b in itertools.product(claims, repeat=2)
        if a[1] == b[1]  # a pair shares its predicate, so its value type
        for single_valued in (True, False)
    ]


@pytest.mark.django_db
def test_over_a_grid_of_pairs_at_most_one_rule_holds_and_it_is_the_kind_found() -> None:
    columns = "polarity, value_type, object_entity_id, text_value, quantity_low, quantity_best, quantity_high"
    rows = _grid()
    holds = ", ".join(f"coalesce(({rule.sql}), false)" for rule in RULES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT {holds}, {kind_sql()}
            FROM (VALUES {
                ", ".join(
                    [
                        "(%s, %s, %s::bigint, %s, %s::numeric, %s::numeric, %s::numeric,"
                        " %s, %s, %s::bigint, %s, %s::numeric, %s::numeric, %s::numeric, %s)"
                    ]
                    * len(rows)
                )
            })
                AS g(a_polarity, a_value_type, a_object_entity_id, a_text_value, a_quantity_low, a_quantity_best,
                     a_quantity_high, b_polarity, b_value_type, b_object_entity_id, b_text_value, b_quantity_low,
                     b_quantity_best, b_quantity_high, single_valued)
            CROSS JOIN LATERAL (SELECT {", ".join(f"g.a_{c} AS {c}" for c in columns.split(", "))}) a
            CROSS JOIN LATERAL (SELECT {", ".join(f"g.b_{c} AS {c}" for c in columns.split(", "))}) b
            CROSS JOIN LATERAL (SELECT g.single_valued) p
            """,  # noqa: S608 - the rules' constant SQL
            [value for row in rows for value in row],
        )
        results = cursor.fetchall()

    matched = [[rule.kind for rule, held in zip(RULES, result[:-1], strict=True) if held] for result in results]
    assert all(len(kinds) <= 1 for kinds in matched)
    assert [kinds[0] if kinds else None for kinds in matched] == [result[-1] for result in results]
    # The grid exercises every rule.
    assert {kinds[0] for kinds in matched if kinds} == set(Contradiction.Kind.values)


# --- The lifecycle (claims.models.ContradictionLifecycle) -----------------------------

Lifecycle = Contradiction.Lifecycle
State = Contradiction.State


def test_a_reviewer_moves_an_open_confirmed_or_dismissed_flag_to_confirmed_or_dismissed() -> None:
    allowed = {
        (state, to)
        for state in State.values
        for to in State.values
        if Lifecycle.review_refusal(state=state, to=to) is None
    }

    assert allowed == {
        (State.OPEN, State.CONFIRMED),
        (State.OPEN, State.DISMISSED),
        (State.CONFIRMED, State.DISMISSED),
        (State.DISMISSED, State.CONFIRMED),
    }


def test_a_resolved_or_closed_flag_is_the_engines_to_move() -> None:
    assert Lifecycle.review_refusal(state=State.RESOLVED, to=State.CONFIRMED) == (
        "A resolved by a verdict contradiction cannot be reviewed."
    )
    assert (
        Lifecycle.review_refusal(state=State.OPEN, to=State.OPEN) == "A reviewer cannot move a contradiction to open."
    )


def test_every_state_the_engine_leaves_alone_or_moves_is_a_state() -> None:
    named = {*Lifecycle.LIVE, *Lifecycle.CLOSED_WHEN_GONE, *Lifecycle.REOPENED_WHEN_FOUND, *Lifecycle.REVIEWABLE}
    assert named == set(State.values)


# --- A period in words (claims.models.expressions.PeriodPhrase) -----------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("valid_from", "from_precision", "valid_until", "until_precision", "words"),
    [
        (dt.date(2020, 10, 9), "day", None, "day", "from 9 Oct 2020"),
        (dt.date(2020, 10, 23), "day", dt.date(2020, 10, 23), "day", "on 23 Oct 2020"),
        (dt.date(2020, 10, 1), "month", dt.date(2020, 10, 1), "month", "in Oct 2020"),
        (dt.date(2020, 1, 1), "year", dt.date(2020, 1, 1), "year", "in 2020"),
        (dt.date(2020, 9, 1), "day", dt.date(2020, 10, 9), "day", "from 1 Sep 2020 to 9 Oct 2020"),
        (dt.date(2020, 9, 1), "month", dt.date(2020, 11, 10), "day", "from Sep 2020 to 10 Nov 2020"),
    ],
)
def test_a_period_has_one_wording_for_the_admin_and_the_engine(
    valid_from: dt.date, from_precision: str, valid_until: dt.date | None, until_precision: str, words: str
) -> None:
    claim = factories.ClaimFactory(
        valid_from=valid_from,
        valid_from_precision=from_precision,
        valid_until=valid_until,
        valid_until_precision=until_precision,
    )

    assert period_text(claim) == words
    assert Claim.objects.annotate(words=PeriodPhrase()).values_list("words", flat=True).get(pk=claim.pk) == words
