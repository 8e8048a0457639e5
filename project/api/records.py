"""Writing a reference record through the API: a party, a source, an entity.

Such a record is written the same way whatever its kind: a ``RecordKind`` names its
model, body, service and document; ``RecordCreateMixin`` gives a list view its POST and
``RecordDetailView`` is the detail with PUT and PATCH (If-Match: 428 without one, 412 if
stale, compared under the row lock); ``record_create_schema`` and ``record_detail_schema``
document them under the kind's operation ids. Nothing here knows an app's models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from project.api.conditional import IF_MATCH_PATTERN, check_if_match, etag_for, if_match_tags
from project.api.renderers import dumps
from project.api.schema import link
from project.api.serializers import InputSerializer
from project.api.views import APIView

RECORD_ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
    description="The version of this representation: send it back as If-Match to change the record.",
)  # fmt: skip
RECORD_CREATED_HEADERS = [
    OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201]),
    OpenApiParameter("ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[201]),
]
RECORD_IF_MATCH = OpenApiParameter(
    "If-Match", {"type": "string", "pattern": IF_MATCH_PATTERN}, OpenApiParameter.HEADER, required=True,
    description="The ETag from your GET. A stale tag gets 412 (someone changed the record); none gets 428.",
)  # fmt: skip


@dataclass(frozen=True)
class RecordKind:
    """One kind of reference record, as the API writes it."""

    name: str  # the URL segment and the operation ids' prefix: "parties"
    noun: str  # "party"
    model: type[models.Model]
    body: type[InputSerializer]
    document_serializer: type[serializers.Serializer[Any]]
    queryset: Callable[[], models.QuerySet[Any]]  # what the document reads
    save: Callable[[Any], Any]  # the service that validates and saves one record
    route: str  # the detail's URL name

    def document(self, pk: int) -> dict[str, Any]:
        """The record's detail document, or a 404."""
        return self.document_serializer(get_object_or_404(self.queryset(), pk=pk)).data  # type: ignore[return-value]


def record_etag(document: dict[str, Any]) -> str:
    """The ETag of a document as the API renders it."""
    return etag_for(dumps(document))


def record_response(document: dict[str, Any], **kwargs: Any) -> Response:
    """The document with its ETag."""
    headers = {"ETag": record_etag(document), **kwargs.pop("headers", {})}
    return Response(document, headers=headers, **kwargs)


def record_create(request: Request, kind: RecordKind) -> Response:
    """Create a record from the request body (a 400 names each field at fault): 201 with
    its document, ``Location`` and ``ETag``."""
    body = kind.body(data=request.data)
    body.is_valid(raise_exception=True)
    record = kind.save(kind.model(**body.validated_data))
    location = request.build_absolute_uri(reverse(kind.route, args=[record.pk]))
    return record_response(kind.document(record.pk), status=201, headers={"Location": location})


def record_update(request: Request, kind: RecordKind, pk: int, *, partial: bool) -> Response:
    """Change a record (``partial``: only the fields given), if ``If-Match`` names its
    current ETag: 428 without one, 412 if stale."""
    if not kind.model._default_manager.filter(pk=pk).exists():
        raise NotFound(f"No {kind.noun} with this id.")
    tags = if_match_tags(request)
    with transaction.atomic():
        # The row lock makes "compare the ETag, then write" one step: a second writer
        # holding the same ETag waits here, then finds it stale (412).
        record = kind.model._default_manager.select_for_update().get(pk=pk)
        # The body is checked against the locked record (a source's URL may be its own).
        body = kind.body(record, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        check_if_match(tags, record_etag(kind.document(pk)))
        for name, value in body.validated_data.items():
            setattr(record, name, value)
        kind.save(record)
    return record_response(kind.document(pk))


class RecordCreateMixin:
    """POST on a list view: create a record of ``record_kind`` (document it with
    ``record_schemas``)."""

    record_kind: RecordKind

    def post(self, request: Request) -> Response:
        return record_create(request, self.record_kind)


class RecordDetailView(APIView):
    """A record's detail, with its ETag; PUT and PATCH with If-Match. Nothing is deleted."""

    record_kind: RecordKind

    def get(self, request: Request, pk: int) -> Response:
        return record_response(self.record_kind.document(pk))

    def put(self, request: Request, pk: int) -> Response:
        return record_update(request, self.record_kind, pk, partial=False)

    def patch(self, request: Request, pk: int) -> Response:
        return record_update(request, self.record_kind, pk, partial=True)


def record_create_schema(kind: RecordKind, description: str) -> Any:
    """Document a list view's POST as ``<name>_create``."""
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"{kind.name}_create", tags=[kind.name], request=kind.body,
            responses={201: kind.document_serializer}, parameters=RECORD_CREATED_HEADERS, description=description,
        )
    )  # fmt: skip


def record_detail_schema(kind: RecordKind, description: str) -> Any:
    """Document a detail view's GET, PUT and PATCH as ``<name>_retrieve``, ``_update`` and
    ``_partial_update``, with the links from a created or read record to its detail and
    its edits (If-Match taken from the ETag)."""
    name, noun, document = kind.name, kind.noun, kind.document_serializer
    title = noun.title().replace(" ", "")
    by_id, with_tag = {"id": "$response.body#/id"}, {"header.If-Match": "$response.header.ETag"}
    link(f"{name}_create", "201", f"Get{title}", f"{name}_retrieve", by_id)
    link(f"{name}_create", "201", f"Patch{title}", f"{name}_partial_update", {**by_id, **with_tag})
    for verb, target in (("Put", f"{name}_update"), ("Patch", f"{name}_partial_update")):
        link(f"{name}_retrieve", "200", f"{verb}{title}", target, {"id": "$request.path.id", **with_tag})
    edit = [RECORD_IF_MATCH, RECORD_ETAG]
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"{name}_retrieve", tags=[name], responses=document, parameters=[RECORD_ETAG],
            description=description,
        ),
        put=extend_schema(
            operation_id=f"{name}_update", tags=[name], request=kind.body, responses=document, parameters=edit,
            description=f"Replace the {noun}'s fields given (analysts). Requires If-Match.",
        ),
        patch=extend_schema(
            operation_id=f"{name}_partial_update", tags=[name], request=kind.body, responses=document,
            parameters=edit, description=f"Change some of the {noun}'s fields (analysts). Requires If-Match.",
        ),
    )  # fmt: skip
