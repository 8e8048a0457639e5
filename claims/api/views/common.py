"""What the claims API's views share: parsing input, ETags, the common parameters."""

from __future__ import annotations

import functools
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from claims.api import documents
from claims.api.serializers import (
    AS_OF_HELP,
)
from project.api.conditional import IF_MATCH_PATTERN
from project.api.records import record_etag

VIEW_CLAIM = ("claims.view_claim",)

ETAG_HEADER = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
    description="The version of this representation: send it back as If-Match to change the claim.",
)  # fmt: skip
IF_MATCH = OpenApiParameter(
    "If-Match", {"type": "string", "pattern": IF_MATCH_PATTERN}, OpenApiParameter.HEADER, required=True,
    description="The ETag from your GET. A stale tag gets 412 (someone changed the claim); none gets 428.",
)  # fmt: skip
AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATETIME, OpenApiParameter.QUERY,
    description=AS_OF_HELP + " Default: now.",
)  # fmt: skip


def claim_document(pk: int) -> dict[str, Any]:
    """The claim's detail document, or a 404."""
    document = documents.claim_detail(pk)
    if document is None:
        raise NotFound("No claim with this id.")
    return document


document_etag = record_etag  # the ETag of a document as the API renders it


def parse_input(serializer_class: type[serializers.Serializer[Any]], data: Any, **kwargs: Any) -> dict[str, Any]:
    """``data`` validated by ``serializer_class`` (a 400 naming each field at fault)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@functools.cache
def _prototype(serializer_class: type[serializers.Serializer[Any]]) -> serializers.Serializer[Any]:
    return serializer_class()


def parse_query(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    """``parse_input`` for the hot paths' input serializers (a query, or a claim's body with
    its nested appearances): one instance per process runs the same validation, instead of
    a new serializer deep-copying its fields per request. (Validation keeps no state on the
    instance; ``is_valid`` would.)"""
    return dict(_prototype(serializer_class).run_validation(data))
