"""Views of the claims API. Each checks the role (``required_permissions``), parses the
input, makes one service or QuerySet call, and renders a document.

The hot read paths (status lookup, claim and contradiction lists) render ``.values()``
rows through ``claims.api.documents`` and the orjson renderer; the OpenAPI schema still
describes every field, parameter and error (``claims.api.serializers``).
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.db.models import FloatField, Q, Value
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from claims import selectors
from claims.api import documents
from claims.api.claimreview import claim_review
from claims.api.filters import ClaimFilter, ContradictionFilter, EntityFilter, PredicateFilter, VerdictFilter
from claims.api.serializers import (
    AS_OF_HELP,
    AsOfInput,
    ChangeFeedDocument,
    ChangeFeedInput,
    ClaimCreateInput,
    ClaimDetailDocument,
    ClaimStatusDocument,
    ClaimSummaryDocument,
    ClaimUpdateInput,
    ConfirmInput,
    ContradictionDocument,
    DismissInput,
    EntitySerializer,
    PartyRecordDocument,
    PredicateSerializer,
    RetractInput,
    StatusLookupDocument,
    StatusLookupInput,
    VerdictDocument,
    VerdictInput,
)
from claims.models import (
    Claim,
    ClaimChange,
    Contradiction,
    Entity,
    Predicate,
    Status,
    Verdict,
)
from claims.services import (
    claim_create,
    claim_retract,
    claim_update,
    contradiction_confirm,
    contradiction_dismiss,
    verdict_publish,
    verdict_record,
)
from project.api.conditional import IF_MATCH_PATTERN, check_if_match, etag_for, if_match_tags
from project.api.filters import URL_PATTERN
from project.api.renderers import JSONLDRenderer, dumps
from project.api.schema import link
from project.api.views import APIView, GenericAPIView
from sources.models import Party, Source

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


def _claim_document(pk: int) -> dict[str, Any]:
    document = documents.claim_detail(pk)
    if document is None:
        raise NotFound("No claim with this id.")
    return document


def _etag(document: dict[str, Any]) -> str:
    return etag_for(dumps(document))


def _parse(serializer_class: type[serializers.Serializer[Any]], data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@functools.cache
def _prototype(serializer_class: type[serializers.Serializer[Any]]) -> serializers.Serializer[Any]:
    return serializer_class()


def _parse_fast(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    """``_parse`` for the hot paths' flat input serializers: one instance per process runs
    the same validation, instead of a new serializer deep-copying its fields per request.
    (Validation keeps no state on the instance; ``is_valid`` would.)"""
    return dict(_prototype(serializer_class).run_validation(data))


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
        serializer = ClaimCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claim_create(**serializer.service_kwargs(created_by=request.user))  # type: ignore[arg-type]
        document = _claim_document(claim.pk)
        location = request.build_absolute_uri(reverse("api:claim-detail", args=[claim.pk]))
        return Response(document, status=201, headers={"Location": location, "ETag": _etag(document)})


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
        operation_id="claims_retrieve", tags=["claims"], responses=ClaimDetailDocument, parameters=[ETAG_HEADER]
    )
    def get(self, request: Request, pk: int) -> Response:
        """A claim with its party, sources and excerpts, verdict history and open contradictions."""
        document = _claim_document(pk)
        return Response(document, headers={"ETag": _etag(document)})

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
            check_if_match(tags, _etag(_claim_document(pk)))
            serializer.check_period_and_quantity(serializer.validated_data, claim)
            claim_update(claim=claim, data=dict(serializer.validated_data))
        document = _claim_document(pk)
        return Response(document, headers={"ETag": _etag(document)})


class ClaimRetractView(APIView):
    required_permissions = {"POST": ("claims.change_claim",)}

    @extend_schema(operation_id="claims_retract", tags=["claims"], request=RetractInput, responses=ClaimDetailDocument)
    def post(self, request: Request, pk: int) -> Response:
        """Withdraw a claim (analysts). It stays on record; its status history is kept."""
        claim = get_object_or_404(Claim, pk=pk)
        data = _parse(RetractInput, request.data)
        claim_retract(claim=claim, reason=data["reason"])
        return Response(_claim_document(pk))


class ClaimStatusView(APIView):
    throttle_scope = "status"
    required_permissions = {"GET": VIEW_CLAIM}

    @extend_schema(operation_id="claims_status", tags=["status"], responses=ClaimStatusDocument, parameters=[AS_OF])
    def get(self, request: Request, pk: int) -> Response:
        """One claim's compact verification status, now or as of a moment."""
        as_of = _parse_fast(AsOfInput, request.query_params.dict()).get("as_of")
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


# --- Verification status --------------------------------------------------------------


STATUS_PARAMETERS = [
    OpenApiParameter(
        "ids", {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, "maxItems": 1000},
        OpenApiParameter.QUERY, style="form", explode=False,
        description="Up to 1000 claim ids, comma-separated. For longer lists, POST.",
    ),
    OpenApiParameter(
        "url", {"type": "string", "maxLength": 2000, "pattern": URL_PATTERN}, OpenApiParameter.QUERY,
        description="The claims appearing in the source with this URL (normalised as sources are stored).",
    ),
    AS_OF,
]  # fmt: skip


class StatusLookupView(APIView):
    """The consumers' hot path: compact statuses for many claims in one request."""

    throttle_scope = "status"
    read_only_post = True
    extra_error_statuses = {"GET": ["414"]}
    required_permissions = {"GET": VIEW_CLAIM, "POST": VIEW_CLAIM}

    @extend_schema(operation_id="status_lookup", tags=["status"], parameters=STATUS_PARAMETERS,
                   responses=StatusLookupDocument)  # fmt: skip
    def get(self, request: Request) -> Response:
        """Statuses by claim ids and/or source URL, now or as of a moment. Give ids or url."""
        data: dict[str, Any] = {}
        ids = ",".join(request.query_params.getlist("ids"))
        if ids:
            # Text by nature: digits become ids; anything else is left for the serializer to refuse.
            data["ids"] = [int(part) if part.isdigit() and len(part) <= 19 else part for part in ids.split(",")]
        for name in ("url", "as_of"):
            if name in request.query_params:
                data[name] = request.query_params[name]
        return self._lookup(_parse_fast(StatusLookupInput, data))

    @extend_schema(operation_id="status_lookup_bulk", tags=["status"], request=StatusLookupInput,
                   responses=StatusLookupDocument)  # fmt: skip
    def post(self, request: Request) -> Response:
        """The same lookup with the ids in the body (a read: nothing is written)."""
        return self._lookup(_parse_fast(StatusLookupInput, request.data))

    def _lookup(self, data: dict[str, Any]) -> Response:
        ids: list[int] = data.get("ids", [])
        url: str | None = data.get("url")
        as_of = data.get("as_of")
        if url or as_of is not None:
            wanted = Q(pk__in=ids)
            if url:
                wanted |= Q(pk__in=selectors.claim_ids_in_source(url))
            results = documents.statuses(selectors.claim_statuses(Claim.objects.filter(wanted), as_of))
        else:
            results = documents.statuses(selectors.claim_statuses_by_id(ids))  # the hot path: one precompiled query
        found = {row["id"] for row in results}
        unknown_urls = [url] if url and not Source.objects.filter(url=url).exists() else []
        return Response(
            {"as_of": as_of, "results": results, "not_found": {"ids": sorted(set(ids) - found), "urls": unknown_urls}}
        )


# --- Change feed ----------------------------------------------------------------------


class ChangeFeedView(APIView):
    """What changed, in commit order. Poll with the cursor of your last poll: you miss
    nothing and see nothing twice, even while writers commit out of order."""

    throttle_scope = "feed"
    required_permissions = {"GET": VIEW_CLAIM}

    @extend_schema(
        operation_id="changes_list", tags=["status"], responses=ChangeFeedDocument,
        parameters=[
            OpenApiParameter("cursor", {"type": "string", "pattern": r"^[0-9]{1,19}\.[0-9]{1,19}$"},
                             OpenApiParameter.QUERY,
                             description="The cursor from your last poll; leave out to start at the beginning."),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, OpenApiParameter.QUERY,
                             description="At most this many changes (default 100)."),
        ],
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        """Claims whose content, sources, verdicts, publication or retraction changed."""
        data = _parse(ChangeFeedInput, request.query_params.dict())
        xid, claim = data.get("cursor", (0, 0))
        limit = data["limit"]
        rows = list(
            ClaimChange.objects.committed()
            .after(xid, claim)
            .order_by("xid", "claim_id")
            .values_list("xid", "claim_id", "changes", "status", "retracted", "changed_at")[: limit + 1]
        )
        more = len(rows) > limit
        rows = rows[:limit]
        results = [
            {"cursor": f"{x}.{c}", "claim": c, "changes": changes, "status": status, "retracted": retracted,
             "changed_at": changed_at}
            for x, c, changes, status, retracted, changed_at in rows
        ]  # fmt: skip
        cursor = results[-1]["cursor"] if results else f"{xid}.{claim}"
        next_url = request.build_absolute_uri(request.path) + f"?cursor={cursor}&limit={limit}"
        return Response({"results": results, "cursor": cursor, "has_more": more, "next": next_url})


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
        data = _parse(VerdictInput, request.data)
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


# --- Contradictions -------------------------------------------------------------------


def _contradiction_document(pk: int) -> dict[str, Any]:
    rows = list(Contradiction.objects.filter(pk=pk).values(*documents.CONTRADICTION_VALUES))
    if not rows:
        raise NotFound("No contradiction with this id.")
    return documents.contradictions(rows)[0]


class ContradictionListView(GenericAPIView[Contradiction]):
    queryset = Contradiction.objects.all()
    filterset_class = ContradictionFilter
    ordering_fields = ("detected_at", "updated_at", "id")
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
        data = _parse(ConfirmInput, request.data)
        contradiction_confirm(contradiction=contradiction, user=request.user, note=data["note"])  # type: ignore[arg-type]
        return Response(_contradiction_document(pk))


class ContradictionDismissView(APIView):
    required_permissions = {"POST": ("claims.review_contradiction",)}

    @extend_schema(operation_id="contradictions_dismiss", tags=["contradictions"], request=DismissInput,
                   responses=ContradictionDocument)  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        """Judge the flag wrong, with a reason (journalists, analysts). Rescans keep it dismissed."""
        contradiction = get_object_or_404(Contradiction, pk=pk)
        data = _parse(DismissInput, request.data)
        contradiction_dismiss(contradiction=contradiction, user=request.user, reason=data["reason"])  # type: ignore[arg-type]
        return Response(_contradiction_document(pk))


# --- Entities and predicates ----------------------------------------------------------


class EntityListView(GenericAPIView[Entity]):
    # relevance: how well an entity matches ?q= (see EntityQuerySet.search); 0 without q.
    queryset = Entity.objects.annotate(relevance=Value(0.0, output_field=FloatField()))
    serializer_class = EntitySerializer
    filterset_class = EntityFilter
    ordering_fields = ("relevance", "name", "id")
    default_ordering = "name"
    search_ordering = ("q", "-relevance")
    required_permissions = {"GET": ("claims.view_entity",)}

    @extend_schema(operation_id="entities_list", tags=["entities"], responses=EntitySerializer(many=True))
    def get(self, request: Request) -> Response:
        """Places, people, units and events that claims are about."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EntitySerializer(page, many=True).data)


for _target in ("entities_retrieve", "entities_timeline"):
    link("entities_list", "200", _target, _target, {"id": "$response.body#/results/0/id"})


class EntityDetailView(APIView):
    required_permissions = {"GET": ("claims.view_entity",)}

    @extend_schema(operation_id="entities_retrieve", tags=["entities"], responses=EntitySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(EntitySerializer(get_object_or_404(Entity, pk=pk)).data)


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
        include_parts = _parse(IncludePartsInput, request.query_params.dict())["include_parts"]
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
        include_side = _parse(IncludeSideInput, request.query_params.dict())["include_side"]
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
