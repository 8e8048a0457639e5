"""A small war for the engine's tests: places, sides, parties, and a way to log claims.

Claims are logged through ``claims.services`` (as an analyst would), then checked by calling
the engine directly; inside a test's transaction nothing is published to a broker. Each test
module defines its own ``war`` fixture from ``make_war()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from claims import detection
from claims.models import Claim, Contradiction, Entity, Predicate
from claims.services import claim_create
from sources.models import Party
from tests import factories
from tests.factories import predicate

D = dt.date
ASSERTED_AT = dt.datetime(2020, 10, 23, 12, tzinfo=dt.UTC)
REPORTED = D(2020, 10, 23)  # the day of the example article
SAME = object()  # valid_until: the same day as valid_from


@dataclass
class War:
    """Azerbaijan's and Armenia's sides, with a ministry and a leader each, and the places."""

    azerbaijan: Party
    aliyev: Party
    az_mod: Party
    armenia: Party
    am_mod: Party
    south_front: Party
    az: Entity  # the values of "controlled by"
    am: Entity
    artsakh: Entity
    hadrut: Entity
    fuzuli: Entity
    numbers: dict[str, int] = field(default_factory=dict)

    def claim(
        self,
        *,
        by: Party,
        subject: Entity | None = None,
        predicate_slug: str = "controlled-by",
        value: Entity | Decimal | int | str | tuple[Decimal, Decimal, Decimal] | None = None,
        denies: bool = False,
        valid_from: dt.date = REPORTED,
        valid_until: Any = SAME,
        from_precision: str = "day",
        until_precision: str = "day",
        statement: str = "",
    ) -> Claim:
        """Log a claim through the service. ``value`` is an entity, a quantity (a number,
        or (low, best, high)) or a text, as the predicate takes."""
        values: dict[str, Any] = {}
        if isinstance(value, Entity):
            values["object_entity"] = value
        elif isinstance(value, tuple):
            values["quantity_low"], values["quantity_best"], values["quantity_high"] = value
        elif isinstance(value, Decimal | int):
            values["quantity_best"] = Decimal(value)
        elif isinstance(value, str):
            values["text_value"] = value
        return claim_create(
            subject=subject or self.hadrut,
            predicate=predicate(predicate_slug),
            asserted_by=by,
            asserted_at=ASSERTED_AT,
            statement=statement or f"{by} on {subject or self.hadrut}",
            polarity=Claim.Polarity.DENIES if denies else Claim.Polarity.AFFIRMS,
            valid_from=valid_from,
            valid_from_precision=from_precision,
            valid_until=valid_from if valid_until is SAME else valid_until,
            valid_until_precision=until_precision,
            **values,
        )


def make_war() -> War:
    azerbaijan = factories.PartyFactory(name="Azerbaijan", kind=Party.Kind.STATE)
    armenia = factories.PartyFactory(name="Armenia", kind=Party.Kind.STATE)
    return War(
        azerbaijan=azerbaijan,
        aliyev=factories.PartyFactory(name="Ilham Aliyev", kind=Party.Kind.OFFICIAL, parent=azerbaijan),
        az_mod=factories.PartyFactory(
            name="Azerbaijan's Ministry of Defence", kind=Party.Kind.MILITARY, parent=azerbaijan
        ),
        armenia=armenia,
        am_mod=factories.PartyFactory(name="Armenia's Ministry of Defence", kind=Party.Kind.MILITARY, parent=armenia),
        south_front=factories.PartyFactory(name="South Front", kind=Party.Kind.MEDIA),
        az=factories.EntityFactory(name="Azerbaijan", kind=Entity.Kind.ORGANISATION),
        am=factories.EntityFactory(name="Armenia", kind=Entity.Kind.ORGANISATION),
        artsakh=factories.EntityFactory(name="Republic of Artsakh", kind=Entity.Kind.ORGANISATION),
        hadrut=factories.EntityFactory(name="Hadrut"),
        fuzuli=factories.EntityFactory(name="Fuzuli"),
    )


def check(*claims: Claim) -> detection.Outcome:
    """Run the incremental check for each claim, as the worker would after each save."""
    outcome = detection.Outcome()
    for claim in claims:
        step = detection.claim_check(claim_id=claim.pk)
        outcome = detection.Outcome(
            opened=outcome.opened + step.opened,
            closed=outcome.closed + step.closed,
            reopened=outcome.reopened + step.reopened,
            resolved=outcome.resolved + step.resolved,
            updated=outcome.updated + step.updated,
        )
    return outcome


def flag_of(first: Claim, second: Claim) -> Contradiction:
    """The one flag of the pair, whatever the order."""
    low, high = sorted([first.pk, second.pk])
    return Contradiction.objects.get(claim_a_id=low, claim_b_id=high)


def pairs() -> set[tuple[int, int]]:
    return set(Contradiction.objects.values_list("claim_a_id", "claim_b_id"))


def single_valued_text_predicate() -> Predicate:
    """The starter vocabulary has no single-valued text predicate; a status report is one."""
    return Predicate.objects.create(
        slug="front-status", label="front status", value_type=Predicate.ValueType.TEXT, single_valued=True
    )
