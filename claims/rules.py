"""The contradiction rules, one entry each: what makes two claims unable to both be true.

Two live claims are compared only when they share a subject and a predicate and their
periods overlap (``claims.detection`` finds those pairs). Each rule then says, in SQL over
the pair ``a`` and ``b`` (``a.id < b.id``, so with the same value type) and their predicate
``p``, whether the pair contradicts, and the engine stores the rule's kind, name and
version on the flag. Everything the engine writes about rules (the kind it finds, the
rule's name and version, how a close reason names it) is generated from ``RULES``, so a
new rule is one entry here (and its kind in ``Contradiction.Kind``).

**A pair matches at most one rule**, by construction: each rule declares the polarities
and the value types it applies to, and no two rules share a (polarities, value type)
combination (``overlapping_rules`` finds any two that do; ``tests/test_engine_units.py``
checks it, and checks the SQL conditions over a grid of pairs in PostgreSQL too). So the
order of ``RULES`` does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

from claims.models import Contradiction, Predicate
from claims.models.claim import ClaimCredibility, ClaimHedge
from sources.models import Reliability

# The version every rule has today; a rule whose meaning changes gets a higher one.
RULE_VERSION = 1

ALL_VALUE_TYPES = tuple(Predicate.ValueType.values)


class Polarities(StrEnum):
    """Which polarities the two claims of a pair must have for a rule to apply."""

    OPPOSITE = "opposite"  # one affirms, the other denies
    BOTH_AFFIRM = "both affirm"  # two denials never contradict

    @property
    def sql(self) -> str:
        if self is Polarities.OPPOSITE:
            return "a.polarity <> b.polarity"
        return "a.polarity = 'affirms' AND b.polarity = 'affirms'"


# The two claims say the same value (text compared accent- and case-insensitively; a
# predicate without a value always "says the same").
SAME_VALUE = """CASE a.value_type
        WHEN 'entity' THEN a.object_entity_id = b.object_entity_id
        WHEN 'text' THEN cw_fold(btrim(a.text_value)) = cw_fold(btrim(b.text_value))
        WHEN 'quantity' THEN (a.quantity_low, a.quantity_best, a.quantity_high)
                           = (b.quantity_low, b.quantity_best, b.quantity_high)
        ELSE true END"""


# Of a pair about a whole and its part: the claim about the whole affirms, the other denies.
WHOLE_AFFIRMED_PART_DENIED = """CASE WHEN c.whole_is_a THEN a.polarity = 'affirms' AND b.polarity = 'denies'
              ELSE b.polarity = 'affirms' AND a.polarity = 'denies' END"""


@dataclass(frozen=True)
class Rule:
    """One contradiction rule.

    ``condition`` is SQL over ``a``, ``b`` and ``p``, evaluated only where ``polarities``
    and ``value_types`` hold (``sql`` joins the three). ``phrase`` names the rule in the
    reason a flag is closed with ("The negation rule no longer holds: ...").
    """

    kind: str
    name: str
    polarities: Polarities
    value_types: tuple[str, ...]
    condition: str
    phrase: str
    version: int = RULE_VERSION
    # How much the rule itself adds to a flag's doubt (see "Confidence" below).
    doubt: int = 0
    # Whether the rule also holds between a claim about a place and a claim about a place
    # within it, for a predicate that spreads to the parts (see "Containment" below).
    spreads: bool = False

    @property
    def sql(self) -> str:
        """The whole condition: the rule holds for the pair ``a``, ``b``."""
        parts = [self.polarities.sql]
        if set(self.value_types) != set(ALL_VALUE_TYPES):
            parts.append("a.value_type IN (" + ", ".join(f"'{value_type}'" for value_type in self.value_types) + ")")
        parts.append(f"({self.condition})")
        return " AND ".join(parts)

    @property
    def contained_sql(self) -> str | None:
        """The condition between a claim about a whole and one about its part (``c.whole_is_a``
        says which of ``a`` and ``b`` is about the whole), or None if the rule does not
        spread. What is said of the whole holds for the part, not the other way round: so
        opposite polarities contradict only when the whole is affirmed and the part denied."""
        if not self.spreads:
            return None
        if self.polarities is Polarities.OPPOSITE:
            return self.sql.replace(Polarities.OPPOSITE.sql, WHOLE_AFFIRMED_PART_DENIED, 1)
        return self.sql


RULES: tuple[Rule, ...] = (
    Rule(
        kind=Contradiction.Kind.NEGATION,
        name="negation",
        polarities=Polarities.OPPOSITE,
        value_types=ALL_VALUE_TYPES,
        condition=SAME_VALUE,
        phrase="negation",
        spreads=True,
    ),
    Rule(
        kind=Contradiction.Kind.CONFLICTING_VALUE,
        name="conflicting-value",
        polarities=Polarities.BOTH_AFFIRM,
        value_types=(Predicate.ValueType.ENTITY, Predicate.ValueType.TEXT),
        condition=f"p.single_valued AND NOT {SAME_VALUE}",
        phrase="conflicting value",
        spreads=True,
    ),
    Rule(
        kind=Contradiction.Kind.QUANTITY_MISMATCH,
        name="quantity-mismatch",
        polarities=Polarities.BOTH_AFFIRM,
        value_types=(Predicate.ValueType.QUANTITY,),
        condition="a.quantity_high < b.quantity_low OR b.quantity_high < a.quantity_low",
        phrase="quantity mismatch",
    ),
)

RULE_NAMES: dict[str, str] = {rule.kind: rule.name for rule in RULES}


def overlapping_rules(rules: tuple[Rule, ...] = RULES) -> list[tuple[Rule, Rule]]:
    """Pairs of rules that could both hold for one pair of claims: they apply to the same
    polarities and share a value type. Empty for ``RULES``."""
    return [
        (first, second)
        for first, second in combinations(rules, 2)
        if first.polarities == second.polarities and set(first.value_types) & set(second.value_types)
    ]


def kind_sql() -> str:
    """The kind of the one rule the pair ``a``, ``b`` matches, or NULL."""
    return (
        "CASE\n" + "".join(f"        WHEN {rule.sql}\n            THEN '{rule.kind}'\n" for rule in RULES) + "    END"
    )


def contained_kind_sql() -> str:
    """The kind of the one spreading rule a pair about a whole and its part matches, or NULL."""
    whens = "".join(
        f"        WHEN {rule.contained_sql}\n            THEN '{rule.kind}'\n" for rule in RULES if rule.contained_sql
    )
    return "CASE\n" + whens + "    END"


def by_kind_sql(column: str, attribute: str) -> str:
    """A CASE over the kind in ``column`` giving each rule's ``attribute`` (name, version,
    phrase) as SQL."""
    whens = []
    for rule in RULES:
        value = getattr(rule, attribute)
        literal = str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
        whens.append(f"WHEN '{rule.kind}' THEN {literal}")
    return f"CASE {column} " + " ".join(whens) + " END"


# --- Confidence -------------------------------------------------------------------------
# A flag is as firm as the weaker of its two claims, and its rule. Each claim gathers
# *doubt* points from what is recorded about it; the flag's doubt is the greater of the two
# plus the rule's, and its level follows (``confidence_sql``). A grade that "cannot be
# judged" (reliability F, credibility 6, the defaults) adds nothing: it says nothing.
# A claim keeps the points of its own row (``Claim.doubt_points``, see ``row_doubt_sql``):
# changing HEDGE_DOUBT, REPORTED_DOUBT or CREDIBILITY_DOUBT needs a migration that builds
# that column again.

HEDGE_DOUBT: dict[str, int] = {
    ClaimHedge.STATED: 0,
    ClaimHedge.CLAIMED: 1,
    ClaimHedge.ALLEGED: 2,
    ClaimHedge.UNCONFIRMED: 3,
}
# The claim is recorded only as a third party's report (its appearances have no
# ``original`` statement of the party). A claim with no appearance recorded adds nothing.
REPORTED_DOUBT = 1
RELIABILITY_DOUBT: dict[str, int] = {
    Reliability.A: 0, Reliability.B: 0, Reliability.C: 0, Reliability.D: 1, Reliability.E: 2, Reliability.F: 0,
}  # fmt: skip
CREDIBILITY_DOUBT: dict[int, int] = {
    ClaimCredibility.CONFIRMED: 0,
    ClaimCredibility.PROBABLY_TRUE: 0,
    ClaimCredibility.POSSIBLY_TRUE: 0,
    ClaimCredibility.DOUBTFUL: 1,
    ClaimCredibility.IMPROBABLE: 2,
    ClaimCredibility.CANNOT_BE_JUDGED: 0,
}
# A conflict found through containment (a claim about a place against one about a place
# within it) is an inference from the vocabulary, one step less firm than a direct one.
CONTAINMENT_DOUBT = 1
# The most doubt each level allows; more than the last is low.
HIGH_UP_TO, MEDIUM_UP_TO = 0, 2


def _points(column: str, table: dict[str, int] | dict[int, int]) -> str:
    # Every entry, in the table's order, the ones worth nothing too: the usual value (a
    # stated claim, an ungraded one) comes first and is matched by the first comparison.
    whens = " ".join(
        f"WHEN {value if isinstance(value, int) else repr(str(value))} THEN {points}" for value, points in table.items()
    )
    return f"CASE {column} {whens} ELSE 0 END"


def row_doubt_sql(*, hedge: str, credibility: str, own: str) -> str:
    """The doubt points of what a claim's own row records: its hedge, its credibility, and
    whether it is its party's own statement (``Claim.own_statement``). The claim keeps them
    as ``Claim.doubt_points``, a stored generated column built from this SQL over its own
    columns: a change to the tables above needs a migration that builds it again."""
    return (
        f"({_points(hedge, HEDGE_DOUBT)} + {_points(credibility, CREDIBILITY_DOUBT)}"
        f" + CASE WHEN {own} IS FALSE THEN {REPORTED_DOUBT} ELSE 0 END)"
    )


def party_doubt_sql(reliability: str) -> str:
    """The doubt points a claim takes from its party's reliability."""
    return _points(reliability, RELIABILITY_DOUBT)


def claim_doubt_sql(*, row: str, party: str) -> str:
    """A claim's doubt points, from SQL expressions for the points of its row
    (``row_doubt_sql``, which the claim keeps) and of its party (``party_doubt_sql``,
    worked out once a party)."""
    return f"({row} + {party})"


def confidence_sql(doubt: str) -> str:
    """The level (``Contradiction.Confidence``) for a flag's doubt points (never negative).
    ``doubt`` is written once (a simple CASE), so it is worked out once a row."""
    level = Contradiction.Confidence
    levels = " ".join(
        f"WHEN {points} THEN {level.HIGH.value if points <= HIGH_UP_TO else level.MEDIUM.value}"
        for points in range(MEDIUM_UP_TO + 1)
    )
    return f"CASE least({doubt}, {MEDIUM_UP_TO + 1}) {levels} ELSE {level.LOW.value} END"


def confidence_label_sql(column: str) -> str:
    level = Contradiction.Confidence
    return f"CASE {column} " + " ".join(f"WHEN {value} THEN '{label}'" for value, label in level.choices) + " END"


def doubt_reasons_sql(*, hedge: str, own: str, reliability: str, credibility: str) -> str:
    """What lowers a claim's confidence, as words ("hedged 'claimed' and known only from a
    third party's report"), or '' when nothing does. Generated from the same tables."""
    hedged = ", ".join(repr(str(value)) for value, points in HEDGE_DOUBT.items() if points)
    unreliable = ", ".join(repr(str(value)) for value, points in RELIABILITY_DOUBT.items() if points)
    doubtful = ", ".join(str(value) for value, points in CREDIBILITY_DOUBT.items() if points)
    return f"""concat_ws(' and ',
            CASE WHEN {hedge} IN ({hedged}) THEN 'hedged "' || {hedge} || '"' END,
            CASE WHEN {own} IS FALSE THEN 'known only from a third party''s report' END,
            CASE WHEN {reliability} IN ({unreliable}) THEN 'from a party graded ' || {reliability} || ' for reliability' END,
            CASE WHEN {credibility} IN ({doubtful}) THEN 'graded ' || {credibility} || ' for credibility' END)"""
