"""Request bodies of the sources API: a party or a source as an analyst writes it.

Each body checks the JSON types and the lengths the columns keep; the rules that need
the database (a unique name, a URL that another source has after normalisation, a party
that would be its own parent) are the model's, checked by ``sources.services`` and
reported against the field in a 400 all the same.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from project.api.fields import (
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictPrimaryKeyRelatedField,
    StrictRegexField,
)
from project.api.filters import URL_PATTERN
from project.api.serializers import InputSerializer
from project.db import MAX_ALIASES
from sources.models import DatePrecision, Party, Reliability, Source
from sources.urlnorm import InvalidURL, normalize_url

ALIAS_MAX_LENGTH = 200


def aliases_input(help_text: str) -> serializers.ListField:
    """Other names: a list of at most ``MAX_ALIASES`` non-empty names."""
    return serializers.ListField(
        child=StrictCharField(max_length=ALIAS_MAX_LENGTH),
        max_length=MAX_ALIASES,
        required=False,
        help_text=help_text,
    )


class SourceURLField(StrictRegexField):
    """An absolute http(s) URL, given back normalised as sources are stored
    (``sources.urlnorm``): what every body that names a source by URL takes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        super().__init__(URL_PATTERN, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return normalize_url(value)
        except InvalidURL:
            raise serializers.ValidationError("Give an absolute http(s) URL.", code="invalid") from None


def url_input(*, max_length: int, help_text: str, **kwargs: Any) -> StrictRegexField:
    """An absolute http(s) URL (the model validates it fully)."""
    return StrictRegexField(URL_PATTERN, max_length=max_length, required=False, help_text=help_text, **kwargs)


class PartyInput(InputSerializer):
    """A party as an analyst writes it; on PATCH, only the fields given change."""

    name = StrictCharField(max_length=200, help_text="Unique.")
    kind = StrictChoiceField(choices=Party.Kind.choices, required=False)
    # A field named like Field.parent: the serializer's metaclass takes it off the class.
    parent = StrictPrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Party.objects.all(), allow_null=True, required=False,
        help_text="The id of the party this one belongs to (its side is the top-most).",
    )  # fmt: skip
    aliases = aliases_input("Other names and spellings.")
    same_as = url_input(max_length=200, allow_blank=True, help_text="An authority link, e.g. a Wikidata URL.")
    reliability = StrictChoiceField(choices=Reliability.choices, required=False, help_text="The Admiralty scale.")
    description = StrictCharField(allow_blank=True, required=False, max_length=10_000)


class SourceInput(InputSerializer):
    """A source as an analyst writes it; on PATCH, only the fields given change."""

    kind = StrictChoiceField(choices=Source.Kind.choices, required=False)
    title = StrictCharField(max_length=500)
    url = SourceURLField(
        allow_null=True, required=False,
        help_text="Stored normalised; a second source with the same normalised URL is refused. Null for none.",
    )  # fmt: skip
    publisher = StrictPrimaryKeyRelatedField(
        queryset=Party.objects.all(), allow_null=True, required=False, help_text="The id of the publishing party."
    )
    author = StrictCharField(allow_blank=True, required=False, max_length=200)
    language = StrictCharField(allow_blank=True, required=False, max_length=16, help_text="BCP 47, e.g. en, hy, az.")
    published_at = StrictDateTimeField(allow_null=True, required=False, help_text="With its time zone.")
    published_precision = StrictChoiceField(choices=DatePrecision.choices, required=False)
    republished_from = StrictPrimaryKeyRelatedField(
        queryset=Source.objects.all(), allow_null=True, required=False, help_text="The id of the source this copies."
    )
    archive_url = url_input(max_length=2000, allow_blank=True, help_text="An archived copy, or empty.")
    content_hash = StrictCharField(allow_blank=True, required=False, max_length=128, help_text="e.g. sha256:…")
    retrieved_at = StrictDateTimeField(allow_null=True, required=False, help_text="With its time zone.")

    def validate_url(self, value: str | None) -> str | None:
        """The URL normalised, if no other source has it (the model's unique constraint,
        reported here against the field rather than as a rule of the whole record)."""
        if value is None:
            return None
        others = Source.objects.filter(url=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                "A source with this URL (after normalisation) already exists.", code="unique"
            )
        return value
