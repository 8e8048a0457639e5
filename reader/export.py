"""The reader's lists as CSV and JSON rows: the same filters as the page, every row (up to
``EXPORT_LIMIT``), streamed in index order so memory stays flat."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from typing import Any

import orjson
from django.urls import reverse

from claims.models import Claim, Contradiction
from reader.forms import CLAIMS, Filters
from reader.selectors import CLAIM_RELATED, ORDER_FIELD, claims_matching, complete, contradictions_matching

EXPORT_LIMIT = 100_000
CHUNK = 2000

CLAIM_COLUMNS = [
    "id", "asserted_at", "party", "side", "subject", "proposition", "statement", "quote", "period",
    "hedge", "credibility", "status", "review_state", "retracted", "url",
]  # fmt: skip
CONTRADICTION_COLUMNS = [
    "id", "detected_at", "kind", "relation", "state", "explanation",
    "claim_a", "party_a", "side_a", "statement_a", "status_a",
    "claim_b", "party_b", "side_b", "statement_b", "status_b", "url",
]  # fmt: skip


def claim_row(claim: Claim, base: str) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "asserted_at": claim.asserted_at.isoformat(),
        "party": str(claim.asserted_by),
        "side": getattr(claim, "side_name", "") or "",
        "subject": str(claim.subject),
        "proposition": claim.proposition,
        "statement": claim.statement,
        "quote": claim.quote,
        "period": getattr(claim, "period_phrase", ""),
        "hedge": claim.hedge,
        "credibility": claim.credibility,
        "status": claim.status,
        "review_state": claim.review_state,
        "retracted": claim.retracted_at is not None,
        "url": base + reverse("reader:claim", args=[claim.pk]),
    }


def contradiction_row(flag: Contradiction, base: str) -> dict[str, Any]:
    a, b = flag.claim_a, flag.claim_b
    return {
        "id": flag.pk,
        "detected_at": flag.detected_at.isoformat(),
        "kind": flag.kind,
        "relation": flag.relation,
        "state": flag.state,
        "explanation": flag.explanation,
        "claim_a": a.pk,
        "party_a": str(a.asserted_by),
        "side_a": getattr(flag, "side_a", "") or "",
        "statement_a": a.statement,
        "status_a": a.status,
        "claim_b": b.pk,
        "party_b": str(b.asserted_by),
        "side_b": getattr(flag, "side_b", "") or "",
        "statement_b": b.statement,
        "status_b": b.status,
        "url": base + reverse("reader:contradiction", args=[flag.pk]),
    }


def rows(filters: Filters, base: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The columns and the rows of the list ``filters`` select, newest first."""
    field = ORDER_FIELD[filters.show]
    if filters.show == CLAIMS:
        claims = claims_matching(filters, related=CLAIM_RELATED).order_by(f"-{field}", "-id")[:EXPORT_LIMIT]
        return CLAIM_COLUMNS, (claim_row(c, base) for c in _named(claims.iterator(chunk_size=CHUNK)))
    flags = contradictions_matching(filters).order_by(f"-{field}", "-id")[:EXPORT_LIMIT]
    return CONTRADICTION_COLUMNS, (contradiction_row(f, base) for f in _named(flags.iterator(chunk_size=CHUNK)))


def _named(items: Iterator[Any]) -> Iterator[Any]:
    """``items`` with their sides named, a query per chunk of rows."""
    while chunk := list(itertools.islice(items, CHUNK)):
        yield from complete(chunk)


def csv_chunks(columns: list[str], items: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writeheader()
    yield flush()
    for n, item in enumerate(items, 1):
        writer.writerow(item)
        if n % 500 == 0:
            yield flush()
    yield flush()


def json_chunks(items: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    yield b"["
    first = True
    for item in items:
        yield (b"" if first else b",") + orjson.dumps(item)
        first = False
    yield b"]"
