"""Claims in bulk: up to 10,000 in one request, all written or none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from claims.ingest import BULK_MAX_ROWS, BulkRefused, claims_bulk_create
from claims.ingest.formats import BadLine
from project.api.errors import ErrorSerializer, error_body
from project.api.renderers import ORJSONParser
from project.api.views import APIView

# 10,000 claims with their quotes and excerpts fit well within this.
BULK_MAX_BYTES = 64 * 1024 * 1024


class NDJSONParser(BaseParser):
    """One claim per line (``application/x-ndjson``). A line that is not JSON becomes that
    row's error, so that every bad line is reported at once."""

    media_type = "application/x-ndjson"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        lines = (stream.read() if stream is not None else b"").split(b"\n")
        while lines and not lines[-1].strip():
            lines.pop()
        rows: list[Any] = []
        for line in lines:
            if not line.strip():
                rows.append(BadLine("This line is empty; give one claim per line."))
                continue
            try:
                rows.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                rows.append(BadLine(f"This line is not JSON: {exc}."))
        return rows


class BulkCreatedDocument(serializers.Serializer[Any]):
    import_id = serializers.IntegerField(help_text="The record of this import (its claims' history names it).")
    created = serializers.IntegerField(help_text="How many claims were created.")
    claims = serializers.ListField(child=serializers.IntegerField(), help_text="Their ids, in the order given.")
    sources_created = serializers.IntegerField(help_text="Sources created for URLs no source had.")


EXAMPLE = [
    {
        "subject": "Aghband", "predicate": "controlled-by", "object_entity": "Azerbaijan",
        "asserted_by": "Ilham Aliyev", "asserted_at": "2020-10-26T10:00:00Z",
        "statement": "Azerbaijan controls Aghband",
        "appearances": [{"url": "https://president.az/en/articles/view/45700", "role": "original"}],
    }
]  # fmt: skip


class ClaimBulkView(APIView):
    parser_classes = [ORJSONParser, NDJSONParser]
    throttle_scope = "write"
    required_permissions = {"POST": ("claims.add_claim", "claims.add_claimsource")}

    @extend_schema(
        operation_id="claims_bulk_create",
        tags=["claims"],
        request={
            # The claims' own component, as POST /api/v1/claims/ declares it.
            "application/json": {
                "type": "array", "minItems": 1, "maxItems": BULK_MAX_ROWS,
                "items": {"$ref": "#/components/schemas/ClaimCreateInputRequest"},
            },
            "application/x-ndjson": {"type": "string", "description": "One claim (a JSON object) per line."},
        },
        responses={201: BulkCreatedDocument, 400: ErrorSerializer, 413: ErrorSerializer},
        examples=[OpenApiExample("One claim", value=EXAMPLE, request_only=True)],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        """Log up to 10,000 claims (analysts): a JSON array or NDJSON, each claim as
        ``POST /api/v1/claims/`` takes one (names or ids, sources by id or URL). Every row is
        checked first; if any is wrong, nothing is written and the 400 lists every error,
        its field named by its row from 1 (the array's item, or the line): ``4.subject``. The contradiction check of the batch runs after commit."""
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > BULK_MAX_BYTES:
            body = error_body(
                status_code=413, code="too_large",
                detail=f"The body is over {BULK_MAX_BYTES // (1024 * 1024)} MB: send at most {BULK_MAX_ROWS:,} claims.",
            )  # fmt: skip
            return Response(body, status=413)
        rows = request.data
        if not isinstance(rows, list):
            raise ValidationError({"rows": ["Give an array of claims (or NDJSON: one claim per line)."]})
        if not rows:
            raise ValidationError({"rows": ["Give at least one claim."]})
        if len(rows) > BULK_MAX_ROWS:
            message = f"At most {BULK_MAX_ROWS:,} claims per request; this has {len(rows):,}. Split it."
            raise ValidationError({"rows": [message]})
        try:
            written = claims_bulk_create(rows, created_by=request.user)  # type: ignore[arg-type]
        except BulkRefused as refused:
            # The API's one error shape; each field is named by its row, from 1 (the item of
            # the array, or the line): "4.subject".
            errors = [
                {"field": f"{error.row}.{error.field}", "code": error.code, "message": error.message}
                for error in refused.errors
            ]
            bad = len({error.row for error in refused.errors})
            summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
            more = f" (and {len(errors) - 3:,} more)" if len(errors) > 3 else ""
            detail = f"{summary}{more}. {bad:,} of {len(rows):,} claims are refused, so none was written."
            return Response(error_body(status_code=400, code="invalid", detail=detail, errors=errors), status=400)
        document = {
            "import_id": written.import_id,
            "created": len(written.claim_ids),
            "claims": written.claim_ids,
            "sources_created": written.sources_created,
        }
        return Response(document, status=201)
