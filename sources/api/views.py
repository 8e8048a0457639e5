"""Parties and sources: list and detail, for every role that reads."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from project.api.schema import link
from project.api.views import APIView, GenericAPIView
from sources.api.filters import PartyFilter, SourceFilter
from sources.api.serializers import PartySerializer, SourceSerializer
from sources.models import Party, Source


class PartyListView(GenericAPIView[Party]):
    queryset = Party.objects.select_related("parent")
    serializer_class = PartySerializer
    filterset_class = PartyFilter
    ordering_fields = ("name", "id")
    default_ordering = "name"
    required_permissions = {"GET": ("sources.view_party",)}

    @extend_schema(operation_id="parties_list", tags=["parties"], responses=PartySerializer(many=True))
    def get(self, request: Request) -> Response:
        """Who asserts claims: governments, ministries, outlets, people."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PartySerializer(page, many=True).data)


for _target in ("parties_retrieve", "parties_record"):
    link("parties_list", "200", _target, _target, {"id": "$response.body#/results/0/id"})


class PartyDetailView(APIView):
    required_permissions = {"GET": ("sources.view_party",)}

    @extend_schema(operation_id="parties_retrieve", tags=["parties"], responses=PartySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PartySerializer(get_object_or_404(Party.objects.select_related("parent"), pk=pk)).data)


class SourceListView(GenericAPIView[Source]):
    queryset = Source.objects.select_related("publisher")
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    ordering_fields = ("created_at", "id")
    default_ordering = "-created_at"
    required_permissions = {"GET": ("sources.view_source",)}

    @extend_schema(operation_id="sources_list", tags=["sources"], responses=SourceSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Documents and media in which claims appear, with republication links."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(SourceSerializer(page, many=True).data)


link("sources_list", "200", "GetSource", "sources_retrieve", {"id": "$response.body#/results/0/id"})


class SourceDetailView(APIView):
    required_permissions = {"GET": ("sources.view_source",)}

    @extend_schema(operation_id="sources_retrieve", tags=["sources"], responses=SourceSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SourceSerializer(get_object_or_404(Source.objects.select_related("publisher"), pk=pk)).data)
