"""Parties and sources are written through sources.services: validated against the model
(constraints included), one transaction, nothing written when refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from sources import services
from sources.models import Party, Source

pytestmark = pytest.mark.django_db


def test_party_save_creates_and_updates_a_party() -> None:
    party = services.party_save(party=Party(name="Armenian Ministry of Defence", kind="military"))
    party.aliases = ["MoD Armenia"]
    services.party_save(party=party)
    assert Party.objects.get(pk=party.pk).aliases == ["MoD Armenia"]


def test_party_save_refuses_an_invalid_party_naming_the_field_and_writes_nothing() -> None:
    with pytest.raises(ValidationError) as refused:
        services.party_save(party=Party(name="Azerbaijan", kind="state", aliases=[f"A{i}" for i in range(51)]))
    assert "aliases" in refused.value.message_dict
    assert not Party.objects.exists()


def test_source_save_stores_the_url_normalised_and_refuses_a_second_copy() -> None:
    source = services.source_save(source=Source(kind="article", title="One", url="HTTPS://Example.org/a/?utm_source=x"))
    assert Source.objects.get(pk=source.pk).url == "https://example.org/a"
    with pytest.raises(ValidationError) as refused:
        services.source_save(source=Source(kind="article", title="Two", url="https://example.org/a/"))
    assert "url" in refused.value.message_dict or "__all__" in refused.value.message_dict
    assert Source.objects.count() == 1


def test_get_or_create_finds_the_existing_row() -> None:
    first, created = services.party_get_or_create(name="South Front", defaults={"kind": "media"})
    again, created_again = services.party_get_or_create(name="South Front", defaults={"kind": "media"})
    assert (created, created_again, again.pk) == (True, False, first.pk)
    url = {"url": "https://southfront.org/x"}
    source, made = services.source_get_or_create(lookup=url, defaults={"kind": "article", "title": "X"})
    same, made_again = services.source_get_or_create(lookup=url, defaults={"kind": "article", "title": "Y"})
    assert (made, made_again, same.pk, same.title) == (True, False, source.pk, "X")
