"""What the data migration installs: the starter predicate vocabulary and the three roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from claims.models import Predicate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("slug", "value_type", "single_valued"),
    [
        ("controlled-by", "entity", True),
        ("captured-by", "entity", False),
        ("present-near", "entity", False),
        ("casualties", "quantity", False),
    ],
)
def test_the_starter_vocabulary_is_installed_by_migration(slug: str, value_type: str, single_valued: bool) -> None:
    found = Predicate.objects.get(slug=slug)

    assert (found.value_type, found.single_valued) == (value_type, single_valued)


def test_every_value_type_has_a_starter_predicate() -> None:
    assert set(Predicate.objects.values_list("value_type", flat=True)) == {"entity", "quantity", "text", "none"}


def permissions_of(group: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=group).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_three_roles_are_created_by_migration() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"Analyst", "Journalist", "API consumer"}


def test_analysts_log_and_correct_but_never_hard_delete_claims_or_verdicts() -> None:
    granted = permissions_of("Analyst")

    assert {"claims.add_claim", "claims.change_claim", "claims.add_verdict", "sources.add_source"} <= granted
    assert {"claims.delete_claim", "claims.delete_verdict", "claims.change_verdict"}.isdisjoint(granted)


@pytest.mark.parametrize("group", ["Journalist", "API consumer"])
def test_readers_can_only_view_and_review(group: str) -> None:
    granted = permissions_of(group)

    assert "claims.view_claim" in granted and "claims.view_contradiction" in granted
    writes = {p for p in granted if p.split(".")[1].split("_")[0] in {"add", "change", "delete"}}
    assert writes == set()


def test_api_consumers_cannot_review_contradictions() -> None:
    assert "claims.review_contradiction" not in permissions_of("API consumer")
