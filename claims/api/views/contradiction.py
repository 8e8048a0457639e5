"""Contradictions: list, detail, confirm, dismiss."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from claims.api import documents
from claims.api.filters import ContradictionFilter
from claims.api.serializers import (
    ConfirmInput,
    ContradictionDocument,
    DismissInput,
)
from claims.api.views.common import parse_input
from claims.models import (
    Contradiction,
)
from claims.services import (
    contradiction_confirm,
    contradiction_dismiss,
)
from project.api.schema import link
from project.api.views import APIView, GenericAPIView

# --- Contradictions -------------------------------------------------------------------


def _contradiction_document(pk: int) -> dict[str, Any]:
    rows = list(Contradiction.objects.filter(pk=pk).values(*documents.CONTRADICTION_VALUES))
    if not rows:
        raise NotFound("No contradiction with this id.")
    return documents.contradictions(rows)[0]


class ContradictionListView(GenericAPIView[Contradiction]):
    queryset = Contradiction.objects.all()
    filterset_class = ContradictionFilter
    # ``-confidence``: the review queue, firmest flags first.
    ordering_fields = ("detected_at", "updated_at", "confidence", "id")
    default_ordering = "-detected_at"
    required_permissions = {"GET": ("claims.view_contradiction",)}

    @extend_schema(operation_id="contradictions_list", tags=["contradictions"],
                   responses=ContradictionDocument(many=True))  # fmt: skip
    def get(self, request: Request) -> Response:
        """Pairs of claims that cannot both be true, with both claims side by side."""
        queryset = self.filter_queryset(self.get_queryset()).values(*documents.CONTRADICTION_VALUES)
        rows = self.paginate_queryset(queryset)  # type: ignore[arg-type]
        return self.get_paginated_response(documents.contradictions(rows))  # type: ignore[arg-type]


for _target in ("contradictions_retrieve", "contradictions_confirm", "contradictions_dismiss"):
    link("contradictions_list", "200", _target, _target, {"id": "$response.body#/results/0/id"})
    link("contradictions_retrieve", "200", _target, _target, {"id": "$request.path.id"})


class ContradictionDetailView(APIView):
    required_permissions = {"GET": ("claims.view_contradiction",)}

    @extend_schema(operation_id="contradictions_retrieve", tags=["contradictions"], responses=ContradictionDocument)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_contradiction_document(pk))


class ContradictionConfirmView(APIView):
    required_permissions = {"POST": ("claims.review_contradiction",)}

    @extend_schema(operation_id="contradictions_confirm", tags=["contradictions"], request=ConfirmInput,
                   responses=ContradictionDocument)  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        """Agree that the two claims cannot both be true (journalists, analysts)."""
        contradiction = get_object_or_404(Contradiction, pk=pk)
        data = parse_input(ConfirmInput, request.data)
        contradiction_confirm(contradiction=contradiction, user=request.user, note=data["note"])  # type: ignore[arg-type]
        return Response(_contradiction_document(pk))


class ContradictionDismissView(APIView):
    required_permissions = {"POST": ("claims.review_contradiction",)}

    @extend_schema(operation_id="contradictions_dismiss", tags=["contradictions"], request=DismissInput,
                   responses=ContradictionDocument)  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        """Judge the flag wrong, with a reason (journalists, analysts). Rescans keep it dismissed."""
        contradiction = get_object_or_404(Contradiction, pk=pk)
        data = parse_input(DismissInput, request.data)
        contradiction_dismiss(contradiction=contradiction, user=request.user, reason=data["reason"])  # type: ignore[arg-type]
        return Response(_contradiction_document(pk))
