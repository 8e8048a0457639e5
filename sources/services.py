"""Writes of parties and sources. The admin and the example loader write through here,
as claims are written through ``claims.services``: each write is validated against the
model (its constraints included) and is one ``transaction.atomic`` unit, so a refused
write leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sources.models import Party, Source


@transaction.atomic
def party_save(*, party: Party) -> Party:
    """Create ``party`` or save its changes, after validating it (a ValidationError names
    the field at fault)."""
    party.full_clean()
    party.save()
    return party


@transaction.atomic
def source_save(*, source: Source) -> Source:
    """Create ``source`` or save its changes, after validating it (the URL is stored
    normalised; a second source with the same normalised URL is refused)."""
    source.full_clean()
    source.save()
    return source


def party_get_or_create(*, name: str, defaults: dict[str, Any]) -> tuple[Party, bool]:
    """The party named ``name``, created from ``defaults`` if there is none."""
    existing = Party.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    return party_save(party=Party(**{"name": name, **defaults})), True


def source_get_or_create(*, lookup: dict[str, Any], defaults: dict[str, Any]) -> tuple[Source, bool]:
    """The source matching ``lookup`` (e.g. its URL), created from it and ``defaults`` if
    there is none."""
    existing = Source.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    return source_save(source=Source(**{**lookup, **defaults})), True
