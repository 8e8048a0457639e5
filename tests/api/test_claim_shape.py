"""A claim's document is declared once (``claims.api.documents.CLAIM_DOCUMENT``): the
schema's serializers describe the same keys in the same order, and the API serves them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from claims.api.documents import CLAIM_DETAIL_EXTRA, CLAIM_DOCUMENT, CLAIM_FIELDS, CLAIM_NULL_WITHOUT
from claims.api.serializers import ClaimDetailDocument, ClaimSummaryDocument
from tests.api.conftest import World

# Filled in from elsewhere than the claim's own row.
COMPUTED = {"asserted_by": ["side"]}


def declared() -> dict[str, list[str] | None]:
    """The declaration's top-level keys, in order, each with its nested keys (or None)."""
    keys: dict[str, list[str] | None] = {}
    for key, _column in CLAIM_DOCUMENT:
        name, _, part = key.partition(".")
        if part:
            keys.setdefault(name, [])
            keys[name].append(part)  # type: ignore[union-attr]
        else:
            keys[name] = None
    for name, parts in COMPUTED.items():
        keys[name] = [*(keys[name] or []), *parts]
    return keys


def described(serializer: serializers.Serializer[Any]) -> dict[str, list[str] | None]:
    return {
        name: list(field.fields) if isinstance(field, serializers.Serializer) else None
        for name, field in serializer.fields.items()
    }


def test_the_schema_describes_the_declared_claim_summary_key_for_key() -> None:
    assert described(ClaimSummaryDocument()) == declared()
    assert list(described(ClaimSummaryDocument())) == list(declared())


def test_the_claim_detail_is_the_summary_and_its_extra_columns_first() -> None:
    detail = list(described(ClaimDetailDocument()))
    assert detail[: len(declared()) + len(CLAIM_DETAIL_EXTRA)] == [*declared(), *CLAIM_DETAIL_EXTRA]


def test_each_column_is_read_once_and_nullable_objects_name_one_of_theirs() -> None:
    assert len(set(CLAIM_FIELDS)) == len(CLAIM_FIELDS)
    columns = dict(CLAIM_DOCUMENT)
    for name, column in CLAIM_NULL_WITHOUT.items():
        assert column in {columns[key] for key in columns if key.startswith(f"{name}.")}


@pytest.mark.django_db
def test_the_api_serves_the_claim_keys_in_the_declared_order(world: World, consumer_client: APIClient) -> None:
    listed = orjson.loads(consumer_client.get("/api/v1/claims/").content)["results"][0]
    detail = orjson.loads(consumer_client.get(f"/api/v1/claims/{listed['id']}/").content)

    assert list(listed) == list(declared())
    assert list(detail)[: len(listed)] == list(declared())
    assert list(listed["asserted_by"]) == declared()["asserted_by"]
