"""Engine v2: an edit of the vocabulary re-checks the claims it touches, after commit
(claims.services.entity_save, predicate_save), on a real worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from claims.models import Claim, Contradiction, Entity, Predicate
from claims.services import entity_save, predicate_save
from sources.services import party_save
from tests import factories
from tests.conftest import WorkerProcess
from tests.engine_fixtures import War, make_war, pairs
from tests.factories import predicate
from tests.test_engine_worker import wait_for

# Each test saves through the services, which commit and then publish the checks and
# re-checks to a real worker; the test waits for what the worker writes.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@dataclass
class Engine:
    worker: WorkerProcess

    def until(self, condition: Callable[[], Any], what: str) -> Any:
        return wait_for(condition, what=f"{what}; worker log:\n{self.worker.log()}")

    def flag(self, first: Claim, second: Claim, **state: str) -> Contradiction:
        low, high = sorted([first.pk, second.pk])
        wanted = Contradiction.objects.filter(claim_a_id=low, claim_b_id=high, **state)
        return self.until(wanted.first, f"the flag of #{low} and #{high} {state}")  # type: ignore[no-any-return]


@pytest.fixture
def engine(celery_worker_process: Callable[..., WorkerProcess], migration_data: None) -> Engine:
    # The data migration that makes "controlled by" spread ran before the flush.
    Predicate.objects.filter(slug="controlled-by").update(spreads_to_parts=True)
    return Engine(worker=celery_worker_process())


@pytest.fixture
def war(engine: Engine) -> War:
    return make_war()


def district_and_village(engine: Engine, war: War) -> tuple[Entity, Entity, Claim, Claim]:
    """A district and a village, not yet within it, with conflicting control claims about
    each; returns once the worker has checked both claims (a canary checked after them)."""
    district = factories.EntityFactory(name="Zangilan district")
    village = factories.EntityFactory(name="Aghband")
    whole = war.claim(by=war.aliyev, subject=district, value=war.az)
    part = war.claim(by=war.armenia, subject=village, value=war.artsakh)
    canary = war.claim(by=war.am_mod, value=war.az, denies=True)
    engine.flag(war.claim(by=war.aliyev, value=war.az), canary)
    assert (whole.pk, part.pk) not in pairs()
    return district, village, whole, part


def test_moving_a_village_into_a_district_and_out_again_opens_and_closes_its_flag(engine: Engine, war: War) -> None:
    district, village, whole, part = district_and_village(engine, war)

    village.part_of = district
    entity_save(entity=village)

    flag = engine.flag(whole, part, state="open")
    assert flag.kind == "conflicting_value"
    assert "Aghband, which lies within Zangilan district" in flag.explanation

    village.part_of = None
    entity_save(entity=village)

    closed = engine.flag(whole, part, state="closed")
    assert closed.state_reason.endswith("no longer share a subject and a predicate, nor is one place within the other.")


def test_a_predicate_that_starts_to_spread_or_stops_being_single_valued_re_checks_its_claims(
    engine: Engine, war: War
) -> None:
    district = factories.EntityFactory(name="Zangilan district")
    village = factories.EntityFactory(name="Aghband", part_of=district)
    governed = Predicate.objects.create(
        slug="governed-by", label="governed by", value_type="entity", single_valued=True
    )
    whole = war.claim(by=war.aliyev, subject=district, predicate_slug="governed-by", value=war.az)
    part = war.claim(by=war.armenia, subject=village, predicate_slug="governed-by", value=war.artsakh)

    governed.spreads_to_parts = True
    predicate_save(predicate=governed)
    engine.flag(whole, part, state="open")

    governed.single_valued = False  # now two governors are no conflict
    predicate_save(predicate=governed)
    engine.flag(whole, part, state="closed")


def test_renaming_a_place_re_renders_the_explanations_that_name_it(engine: Engine, war: War) -> None:
    said = war.claim(by=war.aliyev, value=war.az)
    denied = war.claim(by=war.am_mod, value=war.az, denies=True)
    assert engine.flag(said, denied).explanation.startswith("Both claims concern Hadrut · controlled by")

    war.hadrut.name = "Hadrut (Khojavend)"
    entity_save(entity=war.hadrut)
    war.az.name = "the Republic of Azerbaijan"
    entity_save(entity=war.az)

    renamed = engine.until(
        lambda: (
            Contradiction.objects.filter(explanation__contains="Hadrut (Khojavend)")
            .filter(explanation__contains="says not the Republic of Azerbaijan")
            .first()
        ),
        "the explanation under the new names",
    )
    assert renamed.explanation.startswith("Both claims concern Hadrut (Khojavend) · controlled by")


def test_an_edit_that_changes_nothing_the_engine_reads_enqueues_nothing(
    engine: Engine, war: War, django_capture_on_commit_callbacks: Any
) -> None:
    war.hadrut.description = "A town in the south of Nagorno-Karabakh."
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entity_save(entity=war.hadrut)
        predicate_save(predicate=predicate("controlled-by"))

    assert callbacks == []


def test_a_bad_predicate_edit_is_refused_and_writes_nothing(engine: Engine, war: War) -> None:
    none = predicate("collapsing")
    none.single_valued = True  # a predicate without a value cannot be single-valued

    with pytest.raises(ValidationError) as refused:
        predicate_save(predicate=none)

    assert "single_valued" in refused.value.message_dict
    assert not predicate("collapsing").single_valued


def test_moving_a_place_re_checks_the_claims_about_the_places_within_it(engine: Engine, war: War) -> None:
    region = factories.EntityFactory(name="Southern region")
    district = factories.EntityFactory(name="Zangilan district")
    village = factories.EntityFactory(name="Aghband", part_of=district)
    whole = war.claim(by=war.aliyev, subject=region, value=war.az)
    part = war.claim(by=war.armenia, subject=village, value=war.artsakh)

    district.part_of = region  # the village moves with its district
    entity_save(entity=district)

    flag = engine.flag(whole, part, state="open")
    assert "Aghband, which lies within Southern region" in flag.explanation
    assert isinstance(Entity.objects.get(pk=village.pk).part_of, Entity)


def test_moving_a_place_or_making_a_predicate_stop_spreading_in_the_admin_re_checks_too(
    engine: Engine, war: War
) -> None:

    analyst = Client()
    analyst.force_login(factories.UserFactory(username="analyst", role="Analyst"))
    district, village, whole, part = district_and_village(engine, war)

    response = analyst.post(
        reverse("admin:claims_entity_change", args=[village.pk]),
        {"name": village.name, "kind": village.kind, "part_of": district.pk, "aliases": "", "same_as": ""},
    )
    assert response.status_code == 302, response.content

    flag = engine.flag(whole, part, state="open")
    assert "Aghband, which lies within Zangilan district" in flag.explanation

    # The vocabulary's keeper makes the predicate stop spreading to the parts (analysts may
    # only read predicates): the flag through containment closes.
    keeper = Client()
    keeper.force_login(factories.UserFactory(username="keeper", is_superuser=True))
    controlled = predicate("controlled-by")
    response = keeper.post(
        reverse("admin:claims_predicate_change", args=[controlled.pk]),
        {
            "slug": controlled.slug, "label": controlled.label, "value_type": controlled.value_type,
            "single_valued": "on", "unit": controlled.unit, "description": controlled.description,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content
    engine.flag(whole, part, state="closed")


def test_a_party_moved_to_the_other_side_or_renamed_re_checks_its_flags(engine: Engine, war: War) -> None:

    said = war.claim(by=war.aliyev, value=war.az)
    denied = war.claim(by=war.am_mod, value=war.az, denies=True)
    flag = engine.flag(said, denied, relation="dispute")
    assert "Armenia's Ministry of Defence says not Azerbaijan" in flag.explanation

    # The ministry turns out to speak for the other side: the dispute is a self-contradiction.
    war.am_mod.parent = war.azerbaijan
    party_save(party=war.am_mod)
    engine.flag(said, denied, relation="self")

    war.am_mod.name = "Ministry of Defence (defected)"
    party_save(party=war.am_mod)
    renamed = engine.until(
        lambda: Contradiction.objects.filter(pk=flag.pk, explanation__contains="(defected) says").first(),
        "the explanation to name the party anew",
    )
    assert "Armenia's Ministry of Defence" not in renamed.explanation
