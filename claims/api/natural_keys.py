"""Claim input that names things the way an analyst does: an entity or a party by its id
or by its name (or an alias), a source by its id or by its URL.

A name must match exactly once folding is applied (case and accents ignored, as
``cw_fold`` does: "agbend" names Ağbənd). A name that matches nothing is a 400 offering
the closest names; a name that matches several is a 400 listing them with their ids, so
that the client can send the id instead. The search endpoints' fuzzy match is only used
for those suggestions, never to pick what a claim is about.

A URL is normalised as sources are stored. A URL of no known source becomes an unsaved
``Source``, which ``claims.services.claim_create`` creates in the claim's own transaction
(so a refused claim leaves no source behind).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, ClassVar

from django.db import models
from django.db.models import F, Func, Q
from django.db.models.lookups import Exact
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from claims.models import Entity, EntityQuerySet, Fold, FoldedNames
from project.api.fields import MAX_ID
from project.api.loading import instance_where, instances_where
from sources.models import Party, Source

NAME_MAX_LENGTH = 200  # as Entity.name, Party.name and each alias
CANDIDATES = 5


class AliasFoldsTo(Func):
    """``AliasFoldsTo(aliases, folded_text)``: whether one of ``aliases``, folded, equals
    ``folded_text``. (The joiner closes ``unnest(`` and opens the comparison, so the two
    arguments land on either side of it.)"""

    template = "EXISTS (SELECT 1 FROM unnest(%(expressions)s)"
    arg_joiner = ") AS alias WHERE cw_fold(alias) = "
    arity = 2
    output_field = models.BooleanField()
    conditional = True


def named(queryset: models.QuerySet[Any], text: str) -> models.QuerySet[Any]:
    """The rows of ``queryset`` whose name or one of whose aliases is ``text``, once both
    are folded (an exact match, not a fuzzy one)."""
    folded = Fold(models.Value(text))
    return queryset.filter(Q(Exact(Fold(F("name")), folded)) | Q(AliasFoldsTo(F("aliases"), folded)))


def entities_named(text: str) -> models.QuerySet[Entity]:
    # The LIKE on the folded names lets the trigram index (entity_names_trgm) find the few
    # rows worth the exact test.
    names = Entity.objects.annotate(_names=FoldedNames(F("name"), F("aliases")))
    return named(names.filter(_names__contains=Fold(models.Value(text))), text)


def parties_named(text: str) -> models.QuerySet[Party]:
    return named(Party.objects.all(), text)


def entity_suggestions(text: str) -> list[Entity]:
    return list(Entity.objects.search(text)[:CANDIDATES])


def party_suggestions(text: str) -> list[Party]:
    names = FoldedNames(F("name"), F("aliases"))
    similarity = Func(Fold(models.Value(text)), names, function="word_similarity", output_field=models.FloatField())
    return list(
        Party.objects.annotate(_similarity=similarity)
        .filter(_similarity__gte=EntityQuerySet.FUZZY_THRESHOLD)  # as entities are suggested
        .order_by("-_similarity", "name")[:CANDIDATES]
    )


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Rows loaded ahead for the body being read (``rows_loaded_together``), by (model, id).
_loaded: ContextVar[Mapping[tuple[type[models.Model], int], models.Model] | None] = ContextVar(
    "natural_key_rows", default=None
)


@contextlib.contextmanager
def rows_loaded_together(model: type[models.Model], values: Iterable[Any]) -> Iterator[None]:
    """Within the block, the ``NaturalKeyField``s of ``model`` given one of the ids among
    ``values`` take its row from one query made here, not one each (a claim's subject and
    its value are both entities). An id of no row is looked up again by its field, which
    reports it."""
    ids = {value for value in values if _is_id(value) and 1 <= value <= MAX_ID}
    if len(ids) < 2:
        yield  # nothing to share
        return
    found = instances_where(model._default_manager.all(), ["pk"], [ids])
    token = _loaded.set({**(_loaded.get() or {}), **{(model, row.pk): row for row in found}})
    try:
        yield
    finally:
        _loaded.reset(token)


class NaturalKeyField(serializers.Field):  # type: ignore[type-arg]
    """An object given by its id (a whole number) or by its name or an alias (a string).

    Resolves to the model instance, in one query either way.
    """

    model: ClassVar[type[models.Model]]
    noun: ClassVar[str]
    default_error_messages = {
        "incorrect_type": "Give an id (a whole number) or a name (a string), not {data_type}.",
        "does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.',
        "blank": "Give an id or a name; this name is empty.",
        "max_length": f"A name has at most {NAME_MAX_LENGTH} characters.",
        "null_characters": "A name cannot contain NUL characters.",
        "unknown_name": "{message}",
        "ambiguous_name": "{message}",
    }

    def to_internal_value(self, data: Any) -> models.Model:
        if _is_id(data):
            if not 1 <= data <= MAX_ID:
                self.fail("does_not_exist", pk_value=data)
            found = (_loaded.get() or {}).get((self.model, data)) or instance_where(
                self.model._default_manager.all(), "pk", data
            )
            if found is None:
                self.fail("does_not_exist", pk_value=data)
            return found  # type: ignore[return-value]
        if not isinstance(data, str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        text = data.strip()
        if not text:
            self.fail("blank")
        if len(text) > NAME_MAX_LENGTH:
            self.fail("max_length")
        if "\x00" in text:
            self.fail("null_characters")
        matches = list(self.named(text)[: CANDIDATES + 1])
        if len(matches) == 1:
            return matches[0]  # type: ignore[no-any-return]
        if matches:
            listed = ", ".join(self.describe(match) for match in matches[:CANDIDATES])
            more = " and more" if len(matches) > CANDIDATES else ""
            message = f'"{text}" names more than one {self.noun}: {listed}{more}. Give the id of the one you mean.'
            self.fail("ambiguous_name", message=message)
        suggestions = self.suggestions(text)
        message = f'No {self.noun} is named "{text}" (ignoring case and accents).'
        if suggestions:
            listed = ", ".join(self.describe(suggestion) for suggestion in suggestions)
            message += f" Close names: {listed}. Give one of these names or ids."
        self.fail("unknown_name", message=message)

    def to_representation(self, value: Any) -> Any:
        return value.pk

    def named(self, text: str) -> models.QuerySet[Any]:
        raise NotImplementedError

    def suggestions(self, text: str) -> Sequence[models.Model]:
        raise NotImplementedError

    def describe(self, obj: Any) -> str:
        return f"{obj.name} (id {obj.pk})"


def _key_schema(noun: str, example: str) -> dict[str, Any]:
    return {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": f"The {noun}'s id."},
            {
                "type": "string",
                "minLength": 1,
                "maxLength": NAME_MAX_LENGTH,
                "description": f"The {noun}'s name or one of its aliases, matched exactly but ignoring case "
                "and accents. A name no one or several have is a 400 listing the candidates.",
            },
        ],
        "example": example,
    }


@extend_schema_field(_key_schema("entity", "Aghband"))
class EntityKeyField(NaturalKeyField):
    model = Entity
    noun = "entity"

    def named(self, text: str) -> models.QuerySet[Entity]:
        return entities_named(text).order_by("name", "pk")

    def suggestions(self, text: str) -> Sequence[Entity]:
        return entity_suggestions(text)

    def describe(self, obj: Any) -> str:
        return f"{obj.name} ({obj.kind}, id {obj.pk})"


@extend_schema_field(_key_schema("party", "Ilham Aliyev"))
class PartyKeyField(NaturalKeyField):
    model = Party
    noun = "party"

    def named(self, text: str) -> models.QuerySet[Party]:
        return parties_named(text).order_by("name", "pk")

    def suggestions(self, text: str) -> Sequence[Party]:
        return party_suggestions(text)


# --- Sources by id or URL -------------------------------------------------------------


def appearance_sources_resolve(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each appearance with its ``source`` resolved, in one query for them all: the
    ``Source`` of its id or of its (normalised) ``url``, or for a URL no source has, an
    unsaved ``Source`` of that URL (``kind`` "other" and the URL as ``title`` unless given).

    Raises ``ValidationError`` as a list aligned with ``items``, naming each unknown id.
    """
    ids = {item["source"] for item in items if "source" in item}
    urls = {item["url"] for item in items if "url" in item}
    if not ids and not urls:
        return [dict(item) for item in items]
    found = instances_where(Source.objects.all(), ["pk", "url"], [ids, urls])
    by_id = {source.pk: source for source in found}
    by_url = {source.url: source for source in found if source.url}
    resolved: list[dict[str, Any]] = []
    errors: list[dict[str, list[ErrorDetail]]] = []
    for item in items:
        appearance = {name: value for name, value in item.items() if name not in ("url", "kind", "title")}
        error: dict[str, list[ErrorDetail]] = {}
        if "source" in item:
            source = by_id.get(item["source"])
            if source is None:
                message = f'Invalid pk "{item["source"]}" - object does not exist.'
                error["source"] = [ErrorDetail(message, code="does_not_exist")]
        else:
            url = item["url"]
            source = by_url.get(url) or Source(
                url=url, kind=item.get("kind", Source.Kind.OTHER), title=item.get("title") or url[:500]
            )
        appearance["source"] = source
        resolved.append(appearance)
        errors.append(error)
    if any(errors):
        raise serializers.ValidationError(errors)  # type: ignore[arg-type]
    return resolved
