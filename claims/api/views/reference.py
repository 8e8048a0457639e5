"""Entities (read, and created and changed by analysts), predicates and a party's record."""

from __future__ import annotations

from typing import Any

from django.db.models import FloatField, Value
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from claims import selectors
from claims.api import documents
from claims.api.entity_inputs import EntityInput
from claims.api.filters import EntityFilter, PredicateFilter
from claims.api.serializers import (
    ClaimSummaryDocument,
    EntitySerializer,
    PartyRecordDocument,
    PredicateSerializer,
)
from claims.api.views.common import VIEW_CLAIM, parse_input
from claims.models import (
    Claim,
    Entity,
    Predicate,
    Status,
)
from claims.services import entity_save
from project.api.records import (
    RecordCreateMixin,
    RecordDetailView,
    RecordKind,
    record_create_schema,
    record_detail_schema,
)
from project.api.schema import link
from project.api.views import APIView, GenericAPIView
from sources.models import Party

# --- Entities and predicates ----------------------------------------------------------


ENTITIES = RecordKind(
    name="entities", noun="entity", model=Entity, body=EntityInput, document_serializer=EntitySerializer,
    queryset=Entity.objects.all, save=lambda entity: entity_save(entity=entity), route="api:entity-detail",
)  # fmt: skip


@record_create_schema(ENTITIES, "Add an entity (analysts), e.g. a village part of its district.")
class EntityListView(RecordCreateMixin, GenericAPIView[Entity]):
    record_kind = ENTITIES
    # relevance: how well an entity matches ?q= (see EntityQuerySet.search); 0 without q.
    queryset = Entity.objects.annotate(relevance=Value(0.0, output_field=FloatField()))
    serializer_class = EntitySerializer
    filterset_class = EntityFilter
    ordering_fields = ("relevance", "name", "id")
    default_ordering = "name"
    search_ordering = ("q", "-relevance")
    required_permissions = {"GET": ("claims.view_entity",), "POST": ("claims.add_entity",)}

    @extend_schema(operation_id="entities_list", tags=["entities"], responses=EntitySerializer(many=True))
    def get(self, request: Request) -> Response:
        """Places, people, units and events that claims are about."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EntitySerializer(page, many=True).data)


for _target in ("entities_retrieve", "entities_timeline"):
    link("entities_list", "200", _target, _target, {"id": "$response.body#/results/0/id"})


@record_detail_schema(ENTITIES, "An entity, with its aliases, the place it is part of and its coordinates.")
class EntityDetailView(RecordDetailView):
    record_kind = ENTITIES
    required_permissions = {
        "GET": ("claims.view_entity",), "PUT": ("claims.change_entity",), "PATCH": ("claims.change_entity",),
    }  # fmt: skip


class IncludePartsInput(serializers.Serializer[Any]):
    include_parts = serializers.BooleanField(default=True)


class EntityTimelineView(GenericAPIView[Claim]):
    queryset = Claim.objects.all()
    ordering_fields = ("valid_from",)
    default_ordering = "valid_from"
    required_permissions = {"GET": ("claims.view_entity", *VIEW_CLAIM)}

    @extend_schema(
        operation_id="entities_timeline", tags=["entities"], responses=ClaimSummaryDocument(many=True),
        parameters=[OpenApiParameter("include_parts", OpenApiTypes.BOOL, OpenApiParameter.QUERY,
                                     description="Also claims about places within it (default true).")],
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        """The entity's claims ordered by the period they are about."""
        entity = get_object_or_404(Entity, pk=pk)
        include_parts = parse_input(IncludePartsInput, request.query_params.dict())["include_parts"]
        claims = selectors.entity_timeline(entity, include_parts=include_parts)
        rows = self.paginate_queryset(claims.values_list(*documents.CLAIM_FIELDS))  # type: ignore[arg-type]
        return self.get_paginated_response(documents.claim_summaries(rows))  # type: ignore[arg-type]


class PredicateListView(GenericAPIView[Predicate]):
    queryset = Predicate.objects.all()
    serializer_class = PredicateSerializer
    filterset_class = PredicateFilter
    ordering_fields = ("label", "id")
    default_ordering = "label"
    required_permissions = {"GET": ("claims.view_predicate",)}

    @extend_schema(operation_id="predicates_list", tags=["predicates"], responses=PredicateSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The relations claims assert: controlled by, captured by, casualties…"""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PredicateSerializer(page, many=True).data)


link("predicates_list", "200", "GetPredicate", "predicates_retrieve", {"slug": "$response.body#/results/0/slug"})


class PredicateDetailView(APIView):
    required_permissions = {"GET": ("claims.view_predicate",)}

    @extend_schema(operation_id="predicates_retrieve", tags=["predicates"], responses=PredicateSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(PredicateSerializer(get_object_or_404(Predicate, slug=slug)).data)


# --- A party's record -----------------------------------------------------------------


class IncludeSideInput(serializers.Serializer[Any]):
    include_side = serializers.BooleanField(default=False)


class PartyRecordView(APIView):
    required_permissions = {"GET": ("sources.view_party", *VIEW_CLAIM)}

    @extend_schema(
        operation_id="parties_record", tags=["parties"], responses=PartyRecordDocument,
        parameters=[OpenApiParameter("include_side", OpenApiTypes.BOOL, OpenApiParameter.QUERY,
                                     description="Count the claims of every party under this one too.")],
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        """A party's record: its claims by current verdict, and how many were later rated false."""
        party = get_object_or_404(Party, pk=pk)
        include_side = parse_input(IncludeSideInput, request.query_params.dict())["include_side"]
        counts = selectors.party_record(party, include_side=include_side)
        return Response(
            {
                "party": {"id": party.pk, "name": party.name},
                "include_side": include_side,
                "claims": counts["claims"],
                "retracted": counts["retracted"],
                "by_status": {value: counts[f"status_{value}"] for value in Status.values},
                "rated_false": counts["rated_false"],
                "later_rated_false": counts["later_rated_false"],
            }
        )
