"""Parties and sources as the API shows them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sources.models import Party, Source


class PartyRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PartySerializer(serializers.ModelSerializer[Party]):
    parent = PartyRef(allow_null=True, help_text="The party this one belongs to (its side is the top-most).")
    same_as = serializers.CharField(allow_blank=True, help_text="An authority link (a URL, e.g. Wikidata), or empty.")

    class Meta:
        model = Party
        fields = ["id", "name", "kind", "parent", "aliases", "same_as", "reliability", "description", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields


class SourceSerializer(serializers.ModelSerializer[Source]):
    publisher = PartyRef(allow_null=True)
    url = serializers.URLField(allow_null=True, help_text="Normalised; null for a source without one.")
    archive_url = serializers.CharField(allow_blank=True, help_text="An archived copy (a URL), or empty.")

    class Meta:
        model = Source
        fields = ["id", "kind", "url", "title", "publisher", "author", "language", "published_at",
                  "published_precision", "republished_from", "archive_url", "content_hash", "retrieved_at",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields
