"""Writes of parties and sources. The admin and the example loader write through here,
as claims are written through ``claims.services``: each write is validated against the
model (its constraints included) and is one ``transaction.atomic`` unit, so a refused
write leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.db import transaction

from sources.models import Party, Source


class PartyEdited(Protocol):
    """What an app built on sources does when a saved party changed: called in the
    transaction that saved it, with the party as saved and what it was before."""

    def __call__(self, *, party: Party, old_name: str, old_parent_id: int | None, old_reliability: str) -> None: ...


# The apps that act on a party's edit (claims re-checks the flags of its claims: their
# relation, confidence and wording follow the party's side, grade and name). sources
# cannot import them, so they register here (claims.apps.ClaimsConfig.ready).
_party_edited: list[PartyEdited] = []


def party_edited_call(action: PartyEdited) -> Callable[..., None]:
    """Register ``action`` to be called by ``party_save`` when a saved party changed."""
    if action not in _party_edited:
        _party_edited.append(action)
    return action


@transaction.atomic
def party_save(*, party: Party) -> Party:
    """Create ``party`` or save its changes, after validating it (a ValidationError names
    the field at fault). A change of its name, side (``parent``) or reliability is passed
    to the actions registered with ``party_edited_call``."""
    party.full_clean()
    before = (
        Party.objects.filter(pk=party.pk).values_list("name", "parent_id", "reliability").first() if party.pk else None
    )
    party.save()
    if before is not None and before != (party.name, party.parent_id, party.reliability):
        for action in _party_edited:
            action(party=party, old_name=before[0], old_parent_id=before[1], old_reliability=before[2])
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
