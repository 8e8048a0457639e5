"""Claims: list, create, detail, edit (If-Match), retract, status, ClaimReview."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from claims import selectors
from claims.api import documents
from claims.api.claimreview import claim_review
from claims.api.filters import ClaimFilter
from claims.api.serializers import (
    AsOfInput,
    ClaimCreateInput,
    ClaimDetailDocument,
    ClaimStatusDocument,
    ClaimSummaryDocument,
    ClaimUpdateInput,
    RetractInput,
)
from claims.api.views.common import (
    AS_OF,
    ETAG_HEADER,
    IF_MATCH,
    VIEW_CLAIM,
    claim_document,
    document_etag,
    parse_input,
    parse_query,
)
from claims.api.views.status import CORROBORATION, wants_corroboration
from claims.models import (
    Claim,
)
from claims.services import (
    claim_create,
    claim_retract,
    claim_update,
)
from project.api.conditional import check_if_match, if_match_tags
from project.api.renderers import JSONLDRenderer
from project.api.schema import link
from project.api.views import APIView, GenericAPIView

# --- Claims ---------------------------------------------------------------------------


class ClaimListView(GenericAPIView[Claim]):
    queryset = Claim.objects.all()
    filterset_class = ClaimFilter
    ordering_fields = ("asserted_at", "updated_at", "valid_from", "id")
    default_ordering = "-asserted_at"
    required_permissions = {"GET": VIEW_CLAIM, "POST": ("claims.add_claim", "claims.add_claimsource")}

    @extend_schema(operation_id="claims_list", tags=["claims"], responses=ClaimSummaryDocument(many=True))
    def get(self, request: Request) -> Response:
        """Claims, newest first by default, filtered and ordered; keyset-paginated."""
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values_list(*documents.CLAIM_FIELDS))
        return self.get_paginated_response(documents.claim_summaries(rows))  # type: ignore[arg-type]

    @extend_schema(
        operation_id="claims_create", tags=["claims"], request=ClaimCreateInput,
        responses={201: ClaimDetailDocument}, parameters=[
            OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201]),
            OpenApiParameter("ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[201]),
        ],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        """Log a claim with the sources it appears in (analysts). All or nothing."""
        data = parse_query(ClaimCreateInput, request.data)
        claim = claim_create(**ClaimCreateInput.service_kwargs(data, created_by=request.user))  # type: ignore[arg-type]
        document = documents.claim_created(claim)
        location = request.build_absolute_uri(reverse("api:claim-detail", args=[claim.pk]))
        return Response(document, status=201, headers={"Location": location, "ETag": document_etag(document)})


for _target in ("claims_retrieve", "claims_status", "claims_claim_review", "claims_partial_update"):
    link("claims_list", "200", _target, _target, {"id": "$response.body#/results/0/id"})
link("claims_create", "201", "GetClaim", "claims_retrieve", {"id": "$response.body#/id"})
link("claims_create", "201", "PatchClaim", "claims_partial_update",
     {"id": "$response.body#/id", "header.If-Match": "$response.header.ETag"})  # fmt: skip
link("claims_create", "201", "ClaimStatus", "claims_status", {"id": "$response.body#/id"})
link("claims_create", "201", "RetractClaim", "claims_retract", {"id": "$response.body#/id"})
link("claims_retrieve", "200", "PutClaim", "claims_update",
     {"id": "$request.path.id", "header.If-Match": "$response.header.ETag"})  # fmt: skip
link("claims_retrieve", "200", "PatchClaim", "claims_partial_update",
     {"id": "$request.path.id", "header.If-Match": "$response.header.ETag"})  # fmt: skip
link("claims_retrieve", "200", "ClaimReview", "claims_claim_review", {"id": "$request.path.id"})


class ClaimDetailView(APIView):
    required_permissions = {"GET": VIEW_CLAIM, "PUT": ("claims.change_claim",), "PATCH": ("claims.change_claim",)}

    @extend_schema(
        operation_id="claims_retrieve", tags=["claims"], responses=ClaimDetailDocument,
        parameters=[ETAG_HEADER, CORROBORATION],
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        """A claim with its party, sources and excerpts, verdict history and open contradictions
        (and, if asked for, its corroboration by independent origins)."""
        document = claim_document(pk)
        etag = document_etag(document)  # of the claim itself: the corroboration is about others
        if wants_corroboration(request):
            found = selectors.claim_corroborations([pk]).get(pk)
            document = {**document, "corroboration": documents.corroboration_document(found)}
        return Response(document, headers={"ETag": etag})

    @extend_schema(
        operation_id="claims_update", tags=["claims"], request=ClaimUpdateInput, responses=ClaimDetailDocument,
        parameters=[IF_MATCH, ETAG_HEADER],
    )  # fmt: skip
    def put(self, request: Request, pk: int) -> Response:
        """Replace a claim's editable fields (analysts). Requires If-Match."""
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="claims_partial_update", tags=["claims"], request=ClaimUpdateInput,
        responses=ClaimDetailDocument, parameters=[IF_MATCH, ETAG_HEADER],
    )  # fmt: skip
    def patch(self, request: Request, pk: int) -> Response:
        """Change some of a claim's fields (analysts). Requires If-Match."""
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        if not Claim.objects.filter(pk=pk).exists():
            raise NotFound("No claim with this id.")
        tags = if_match_tags(request)
        serializer = ClaimUpdateInput(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            # The row lock makes "compare the ETag, then write" one step: a second writer
            # holding the same ETag waits here, then finds it stale (412).
            claim = Claim.objects.select_for_update().get(pk=pk)
            check_if_match(tags, document_etag(claim_document(pk)))
            serializer.check_period_and_quantity(serializer.validated_data, claim)
            claim_update(claim=claim, data=dict(serializer.validated_data))
        document = claim_document(pk)
        return Response(document, headers={"ETag": document_etag(document)})


class ClaimRetractView(APIView):
    required_permissions = {"POST": ("claims.change_claim",)}

    @extend_schema(operation_id="claims_retract", tags=["claims"], request=RetractInput, responses=ClaimDetailDocument)
    def post(self, request: Request, pk: int) -> Response:
        """Withdraw a claim (analysts). It stays on record; its status history is kept."""
        claim = get_object_or_404(Claim, pk=pk)
        data = parse_input(RetractInput, request.data)
        claim_retract(claim=claim, reason=data["reason"])
        return Response(claim_document(pk))


class ClaimStatusView(APIView):
    throttle_scope = "status"
    required_permissions = {"GET": VIEW_CLAIM}

    @extend_schema(operation_id="claims_status", tags=["status"], responses=ClaimStatusDocument, parameters=[AS_OF])
    def get(self, request: Request, pk: int) -> Response:
        """One claim's compact verification status, now or as of a moment."""
        as_of = parse_query(AsOfInput, request.query_params.dict()).get("as_of")
        found = documents.statuses(selectors.claim_statuses(Claim.objects.filter(pk=pk), as_of))
        if not found:
            raise NotFound("No claim with this id.")
        return Response(found[0])


CLAIM_REVIEW_SCHEMA = {
    "type": "object",
    "description": "schema.org ClaimReview (JSON-LD).",
    "required": ["@context", "@type", "url", "claimReviewed", "itemReviewed", "reviewRating", "datePublished",
                 "author", "reviewBody"],
    "properties": {
        "@context": {"type": "string", "enum": ["https://schema.org"]},
        "@type": {"type": "string", "enum": ["ClaimReview"]},
        "url": {"type": "string", "format": "uri"},
        "claimReviewed": {"type": "string"},
        "reviewBody": {"type": "string"},
        "datePublished": {"type": "string", "format": "date"},
        "author": {"type": "object", "required": ["@type", "name"],
                   "properties": {"@type": {"type": "string"}, "name": {"type": "string"}}},
        "itemReviewed": {
            "type": "object",
            "required": ["@type", "author", "datePublished", "appearance"],
            "properties": {
                "@type": {"type": "string", "enum": ["Claim"]},
                "author": {"type": "object", "required": ["@type", "name"], "properties": {
                    "@type": {"type": "string", "enum": ["Person", "Organization"]},
                    "name": {"type": "string"}, "sameAs": {"type": "string"}}},
                "datePublished": {"type": "string", "format": "date"},
                "appearance": {"type": "array", "items": {"type": "object"}},
                "firstAppearance": {"type": "object"},
            },
        },
        "reviewRating": {
            "type": "object",
            "required": ["@type", "bestRating", "worstRating", "alternateName"],
            "properties": {
                "@type": {"type": "string", "enum": ["Rating"]},
                "ratingValue": {"type": "integer", "minimum": 1, "maximum": 5},
                "bestRating": {"type": "integer"},
                "worstRating": {"type": "integer"},
                "alternateName": {"type": "string"},
            },
        },
    },
}  # fmt: skip


class ClaimReviewView(APIView):
    renderer_classes = [JSONLDRenderer]
    required_permissions = {"GET": (*VIEW_CLAIM, "claims.view_verdict")}

    @extend_schema(operation_id="claims_claim_review", tags=["claims"], responses={200: CLAIM_REVIEW_SCHEMA})
    def get(self, request: Request, pk: int) -> Response:
        """The schema.org ClaimReview of the claim's latest published verdict; 404 if none."""
        claim = get_object_or_404(
            Claim.objects.select_related("asserted_by").prefetch_related("appearances__source__publisher"), pk=pk
        )
        verdict = claim.verdicts.published().order_by("-published_at", "-id").first()
        if verdict is None:
            raise NotFound("This claim has no published verdict.")
        return Response(claim_review(claim=claim, verdict=verdict, url=request.build_absolute_uri()))
