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

    @property
    def sql(self) -> str:
        """The whole condition: the rule holds for the pair ``a``, ``b``."""
        parts = [self.polarities.sql]
        if set(self.value_types) != set(ALL_VALUE_TYPES):
            parts.append("a.value_type IN (" + ", ".join(f"'{value_type}'" for value_type in self.value_types) + ")")
        parts.append(f"({self.condition})")
        return " AND ".join(parts)


RULES: tuple[Rule, ...] = (
    Rule(
        kind=Contradiction.Kind.NEGATION,
        name="negation",
        polarities=Polarities.OPPOSITE,
        value_types=ALL_VALUE_TYPES,
        condition=SAME_VALUE,
        phrase="negation",
    ),
    Rule(
        kind=Contradiction.Kind.CONFLICTING_VALUE,
        name="conflicting-value",
        polarities=Polarities.BOTH_AFFIRM,
        value_types=(Predicate.ValueType.ENTITY, Predicate.ValueType.TEXT),
        condition=f"p.single_valued AND NOT {SAME_VALUE}",
        phrase="conflicting value",
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


def by_kind_sql(column: str, attribute: str) -> str:
    """A CASE over the kind in ``column`` giving each rule's ``attribute`` (name, version,
    phrase) as SQL."""
    whens = []
    for rule in RULES:
        value = getattr(rule, attribute)
        literal = str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
        whens.append(f"WHEN '{rule.kind}' THEN {literal}")
    return f"CASE {column} " + " ".join(whens) + " END"
