"""The API consumers' hot paths: verification status by ids or URL, and the change feed."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from claims import selectors
from claims.api import documents
from claims.api.serializers import (
    ChangeFeedDocument,
    ChangeFeedInput,
    CorroborationInput,
    StatusLookupDocument,
    StatusLookupInput,
)
from claims.api.views.common import AS_OF, VIEW_CLAIM, parse_input, parse_query
from claims.models import (
    Claim,
    ClaimChange,
)
from project.api.filters import URL_PATTERN
from project.api.views import APIView
from sources.models import Source

# --- Verification status --------------------------------------------------------------

CORROBORATION = OpenApiParameter(
    "corroboration", {"type": "boolean", "default": False}, OpenApiParameter.QUERY,
    description="Also count each claim's agreeing claims by independent origin (one more query).",
)  # fmt: skip


def corroboration_flag(request: Request) -> Any:
    """The ``corroboration`` query parameter as given: true/false as booleans, anything
    else left for the input serializer to refuse (a 400 naming it)."""
    text = request.query_params["corroboration"]
    return {"true": True, "false": False}.get(text, text)


def wants_corroboration(request: Request) -> bool:
    """Whether a GET asks for the corroboration (``?corroboration=true``)."""
    if "corroboration" not in request.query_params:
        return False
    return bool(parse_query(CorroborationInput, {"corroboration": corroboration_flag(request)})["corroboration"])


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
    CORROBORATION,
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
        if "corroboration" in request.query_params:
            data["corroboration"] = corroboration_flag(request)
        return self._lookup(parse_query(StatusLookupInput, data))

    @extend_schema(operation_id="status_lookup_bulk", tags=["status"], request=StatusLookupInput,
                   responses=StatusLookupDocument)  # fmt: skip
    def post(self, request: Request) -> Response:
        """The same lookup with the ids in the body (a read: nothing is written)."""
        return self._lookup(parse_query(StatusLookupInput, request.data))

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
        if data.get("corroboration"):
            corroborations = selectors.claim_corroborations([row["id"] for row in results])
            for row in results:
                row["corroboration"] = documents.corroboration_document(corroborations.get(row["id"]))
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
        data = parse_input(ChangeFeedInput, request.query_params.dict())
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
