"""Verdicts: appended, listed, published."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from claims import selectors
from claims.api.filters import VerdictFilter
from claims.api.serializers import (
    VerdictDocument,
    VerdictInput,
)
from claims.api.views.common import parse_input
from claims.models import (
    Verdict,
)
from claims.services import (
    verdict_publish,
    verdict_record,
)
from project.api.schema import link
from project.api.views import APIView, GenericAPIView

# --- Verdicts -------------------------------------------------------------------------


def _verdict_documents(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    evidence = selectors.verdict_evidence(row["id"] for row in rows)
    return [
        {"id": row["id"], "claim": row["claim_id"], "rating": row["rating"], "rationale": row["rationale"],
         "reviewer": row["reviewer__username"], "recorded_at": row["recorded_at"], "holds_from": row["holds_from"],
         "published_at": row["published_at"], "evidence": evidence.get(row["id"], [])}
        for row in rows
    ]  # fmt: skip


VERDICT_FIELDS = (
    "id", "claim_id", "rating", "rationale", "reviewer__username", "recorded_at", "holds_from", "published_at"
)  # fmt: skip


def _verdict_document(pk: int) -> dict[str, Any]:
    rows = list(Verdict.objects.filter(pk=pk).values(*VERDICT_FIELDS))
    if not rows:
        raise NotFound("No verdict with this id.")
    return _verdict_documents(rows)[0]


class VerdictListView(GenericAPIView[Verdict]):
    queryset = Verdict.objects.all()
    filterset_class = VerdictFilter
    ordering_fields = ("recorded_at", "id")
    default_ordering = "-recorded_at"
    required_permissions = {"GET": ("claims.view_verdict",), "POST": ("claims.add_verdict",)}

    @extend_schema(operation_id="verdicts_list", tags=["verdicts"], responses=VerdictDocument(many=True))
    def get(self, request: Request) -> Response:
        """Verdicts, newest first. They are append-only: nobody edits one."""
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values(*VERDICT_FIELDS))
        return self.get_paginated_response(_verdict_documents(rows))  # type: ignore[arg-type]

    @extend_schema(
        operation_id="verdicts_create", tags=["verdicts"], request=VerdictInput, responses={201: VerdictDocument},
        parameters=[OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201])],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        """Append a verdict (analysts). It becomes the claim's status; earlier ones are kept."""
        data = parse_input(VerdictInput, request.data)
        verdict = verdict_record(
            claim=data["claim"], rating=data["rating"], rationale=data["rationale"], reviewer=request.user,  # type: ignore[arg-type]
            evidence=data.get("evidence", []), publish=data["publish"], holds_from=data.get("holds_from"),
        )  # fmt: skip
        location = request.build_absolute_uri(reverse("api:verdict-detail", args=[verdict.pk]))
        return Response(_verdict_document(verdict.pk), status=201, headers={"Location": location})


link("verdicts_list", "200", "GetVerdict", "verdicts_retrieve", {"id": "$response.body#/results/0/id"})
link("verdicts_create", "201", "GetVerdict", "verdicts_retrieve", {"id": "$response.body#/id"})
link("verdicts_create", "201", "PublishVerdict", "verdicts_publish", {"id": "$response.body#/id"})
link("verdicts_create", "201", "ClaimReview", "claims_claim_review", {"id": "$response.body#/claim"})


class VerdictDetailView(APIView):
    required_permissions = {"GET": ("claims.view_verdict",)}

    @extend_schema(operation_id="verdicts_retrieve", tags=["verdicts"], responses=VerdictDocument)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_verdict_document(pk))


class VerdictPublishView(APIView):
    required_permissions = {"POST": ("claims.add_verdict",)}

    @extend_schema(operation_id="verdicts_publish", tags=["verdicts"], request=None, responses=VerdictDocument)
    def post(self, request: Request, pk: int) -> Response:
        """Publish a verdict, once (analysts). A published verdict gives its claim a ClaimReview."""
        verdict_publish(verdict=get_object_or_404(Verdict, pk=pk))
        return Response(_verdict_document(pk))
