"""Parties and sources: list and detail for every role that reads; create and change
(with If-Match) for analysts, through ``project.api.records``. Nothing is deleted through
the API.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from project.api.records import (
    RecordCreateMixin,
    RecordDetailView,
    RecordKind,
    record_create_schema,
    record_detail_schema,
)
from project.api.schema import link
from project.api.views import GenericAPIView
from sources.api.filters import PartyFilter, SourceFilter
from sources.api.inputs import PartyInput, SourceInput
from sources.api.serializers import PartySerializer, SourceSerializer
from sources.models import Party, Source
from sources.services import party_save, source_save

# --- Parties --------------------------------------------------------------------------

PARTIES = RecordKind(
    name="parties", noun="party", model=Party, body=PartyInput, document_serializer=PartySerializer,
    queryset=lambda: Party.objects.select_related("parent"), save=lambda party: party_save(party=party),
    route="api:party-detail",
)  # fmt: skip


@record_create_schema(PARTIES, "Add a party (analysts). Its name is unique.")
class PartyListView(RecordCreateMixin, GenericAPIView[Party]):
    record_kind = PARTIES
    queryset = Party.objects.select_related("parent")
    serializer_class = PartySerializer
    filterset_class = PartyFilter
    ordering_fields = ("name", "id")
    default_ordering = "name"
    required_permissions = {"GET": ("sources.view_party",), "POST": ("sources.add_party",)}

    @extend_schema(operation_id="parties_list", tags=["parties"], responses=PartySerializer(many=True))
    def get(self, request: Request) -> Response:
        """Who asserts claims: governments, ministries, outlets, people."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PartySerializer(page, many=True).data)


for _target in ("parties_retrieve", "parties_record"):
    link("parties_list", "200", _target, _target, {"id": "$response.body#/results/0/id"})


@record_detail_schema(PARTIES, "A party, with its parent and aliases.")
class PartyDetailView(RecordDetailView):
    record_kind = PARTIES
    required_permissions = {
        "GET": ("sources.view_party",), "PUT": ("sources.change_party",), "PATCH": ("sources.change_party",),
    }  # fmt: skip


# --- Sources --------------------------------------------------------------------------

SOURCES = RecordKind(
    name="sources", noun="source", model=Source, body=SourceInput, document_serializer=SourceSerializer,
    queryset=lambda: Source.objects.select_related("publisher"), save=lambda source: source_save(source=source),
    route="api:source-detail",
)  # fmt: skip


@record_create_schema(SOURCES, "Add a source (analysts). Its URL is stored normalised, and is unique.")
class SourceListView(RecordCreateMixin, GenericAPIView[Source]):
    record_kind = SOURCES
    queryset = Source.objects.select_related("publisher")
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    ordering_fields = ("created_at", "id")
    default_ordering = "-created_at"
    required_permissions = {"GET": ("sources.view_source",), "POST": ("sources.add_source",)}

    @extend_schema(operation_id="sources_list", tags=["sources"], responses=SourceSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Documents and media in which claims appear, with republication links."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(SourceSerializer(page, many=True).data)


link("sources_list", "200", "GetSource", "sources_retrieve", {"id": "$response.body#/results/0/id"})


@record_detail_schema(SOURCES, "A source, with its publisher and the source it copies, if any.")
class SourceDetailView(RecordDetailView):
    record_kind = SOURCES
    required_permissions = {
        "GET": ("sources.view_source",), "PUT": ("sources.change_source",), "PATCH": ("sources.change_source",),
    }  # fmt: skip
