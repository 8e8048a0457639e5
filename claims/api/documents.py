"""The JSON documents of the API's read paths, built from ``.values()`` rows.

The status lookup, the claim lists and the contradiction list are the hot paths: a
page is one query for the rows plus one per related collection (sources, sides), never
one per row, and no serializer runs per row. ``claims.api.serializers`` describes each
document for the OpenAPI schema; ``tests/api`` checks the two agree.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, cast

from django.db import models

from claims import selectors
from claims.models import Claim
from claims.selectors import StatusRow, party_sides

# A claim's document, declared once: each entry is a key of the document and the column
# (a ``values_list`` name) its value comes from, in the document's order. A dotted key
# nests: "subject.id" is the "id" of the document's "subject". Claim rows are tuples of
# CLAIM_FIELDS (these columns, in this order) and are read by name (CLAIM_COLUMN), never
# by a literal position. ``claims.api.serializers.ClaimSummaryDocument`` describes the
# same document for the schema (tests/api/test_claim_shape.py checks that they agree), and
# bench/raw.py selects these columns in SQL.
CLAIM_DOCUMENT: tuple[tuple[str, str], ...] = (
    ("id", "id"),
    ("statement", "statement"),
    ("quote", "quote"),
    ("subject.id", "subject_id"),
    ("subject.name", "subject__name"),
    ("predicate.slug", "predicate__slug"),
    ("predicate.label", "predicate__label"),
    ("object_entity.id", "object_entity_id"),
    ("object_entity.name", "object_entity__name"),
    ("quantity.low", "quantity_low"),
    ("quantity.best", "quantity_best"),
    ("quantity.high", "quantity_high"),
    ("text_value", "text_value"),
    ("polarity", "polarity"),
    ("valid_from", "valid_from"),
    ("valid_from_precision", "valid_from_precision"),
    ("valid_until", "valid_until"),
    ("valid_until_precision", "valid_until_precision"),
    ("asserted_by.id", "asserted_by_id"),  # then "asserted_by.side", from party_sides
    ("asserted_by.name", "asserted_by__name"),
    ("asserted_at", "asserted_at"),
    ("hedge", "hedge"),
    ("credibility", "credibility"),
    ("status", "status"),
    ("review_state", "review_state"),
    ("retracted_at", "retracted_at"),
    ("updated_at", "updated_at"),
)
# A nested object that is null when this column is: a claim has an entity value or a
# quantity only if its predicate takes one.
CLAIM_NULL_WITHOUT = {"object_entity": "object_entity_id", "quantity": "quantity_best"}
# The claim detail's columns beyond the summary's, which are its document keys as well.
CLAIM_DETAIL_EXTRA = ("retraction_reason", "created_at")

CLAIM_FIELDS = tuple(column for _, column in CLAIM_DOCUMENT)
CLAIM_COLUMN = {column: at for at, column in enumerate(CLAIM_FIELDS)}  # a claim row's index of each column
PARTY = CLAIM_COLUMN["asserted_by_id"]


class _Step(NamedTuple):
    """One top-level key of the claim document, as ``claim_summary`` fills it."""

    key: str
    at: int  # a plain value: its index in the row
    parts: tuple[tuple[str, int], ...] | None  # a nested object: (key, index) of each part
    without: int | None  # the index of the column without which the nested object is null


def _claim_plan() -> tuple[_Step, ...]:
    """``CLAIM_DOCUMENT`` grouped into the document's top-level keys, once."""
    plain: dict[str, int] = {}
    nested: dict[str, list[tuple[str, int]]] = {}
    for at, (key, _column) in enumerate(CLAIM_DOCUMENT):
        name, _, part = key.partition(".")
        if part:
            nested.setdefault(name, []).append((part, at))
        else:
            plain[name] = at
    plan = []
    for name in dict.fromkeys(key.partition(".")[0] for key, _column in CLAIM_DOCUMENT):
        if name in plain:
            plan.append(_Step(name, plain[name], None, None))
        else:
            without = CLAIM_NULL_WITHOUT.get(name)
            plan.append(_Step(name, -1, tuple(nested[name]), None if without is None else CLAIM_COLUMN[without]))
    return tuple(plan)


_CLAIM_PLAN = _claim_plan()

CONTRADICTION_FIELDS = (
    "id", "kind", "relation", "state", "state_reason", "explanation", "rule", "rule_version", "confidence",
    "detected_at", "state_changed_at", "updated_at",
)  # fmt: skip


def _ref(pk: int | None, name: str | None) -> dict[str, Any] | None:
    return None if pk is None else {"id": pk, "name": name}


def claim_summary(row: Sequence[Any], sides: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A claim's list document (``CLAIM_DOCUMENT``) from a row of ``CLAIM_FIELDS``. It runs
    for every row of every page, so it walks a plan made once from the declaration."""
    document: dict[str, Any] = {}
    for key, at, parts, without in _CLAIM_PLAN:
        if parts is None:
            document[key] = row[at]
        elif without is not None and row[without] is None:
            document[key] = None
        else:
            document[key] = {part: row[i] for part, i in parts}
    document["asserted_by"]["side"] = sides.get(row[PARTY])
    return document


def claim_summaries(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """A page of claims (rows of ``CLAIM_FIELDS``), plus one query for the parties' sides."""
    sides = party_sides(row[PARTY] for row in rows)
    return [claim_summary(row, sides) for row in rows]


def appearances_of(claim_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The sources each claim appears in, with role and excerpt: one precompiled query."""
    by_claim: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for claim_id, source_id, url, title, kind, role, excerpt, locator in selectors.appearance_rows(claim_ids):
        by_claim[claim_id].append(
            {"source": {"id": source_id, "url": url, "title": title, "kind": kind},
             "role": role, "excerpt": excerpt, "locator": locator}
        )  # fmt: skip
    return by_claim


# --- Contradictions -------------------------------------------------------------------

CONTRADICTION_VALUES = (*CONTRADICTION_FIELDS, "claim_a_id", "claim_b_id")


def contradictions(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page of contradictions, each with both claims side by side, with their parties,
    sources and statuses: the page's own query, then one each for the claims, their
    sources and their parties' sides, whatever the page size. (A single query joining the
    eleven tables took longer to plan than to run.)"""
    claim_ids = sorted({row[f"claim_{x}_id"] for row in rows for x in "ab"})
    claims = selectors.claim_rows_by_id(claim_ids, CLAIM_FIELDS)
    sources = appearances_of(claim_ids)
    sides = party_sides(claim[PARTY] for claim in claims.values())
    documents = []
    for row in rows:
        document = {name: row[name] for name in CONTRADICTION_FIELDS}
        for x in "ab":
            claim = claim_summary(claims[row[f"claim_{x}_id"]], sides)
            claim["appearances"] = sources.get(claim["id"], [])
            document[f"claim_{x}"] = claim
        documents.append(document)
    return documents


# --- Claim detail ---------------------------------------------------------------------


def claim_detail(claim_id: int) -> dict[str, Any] | None:
    """Everything about one claim: the summary, its sources with excerpts, its verdict
    history (newest first) and its live (open or confirmed) contradictions."""
    row = selectors.claim_row(claim_id, (*CLAIM_FIELDS, *CLAIM_DETAIL_EXTRA))
    if row is None:
        return None
    verdicts = list(
        selectors.verdict_history(claim_id).values(
            "id", "rating", "rationale", "reviewer__username", "recorded_at", "holds_from", "published_at"
        )
    )
    evidence = selectors.claim_verdict_evidence(claim_id)
    live = selectors.live_contradictions_of(claim_id).values(
        "id", "kind", "relation", "state", "confidence", "explanation", "detected_at", "claim_a_id", "claim_b_id",
        "claim_a__statement", "claim_b__statement", "claim_a__status", "claim_b__status",
        "claim_a__asserted_by_id", "claim_b__asserted_by_id", "claim_a__asserted_by__name", "claim_b__asserted_by__name",
    )  # fmt: skip
    flags = cast(list[dict[str, Any]], list(live))
    sides = party_sides([row[PARTY]])
    document = claim_summary(row, sides)
    document.update(zip(CLAIM_DETAIL_EXTRA, row[len(CLAIM_FIELDS) :], strict=True))
    document["appearances"] = appearances_of([claim_id]).get(claim_id, [])
    document["verdicts"] = [
        {"id": v["id"], "rating": v["rating"], "rationale": v["rationale"], "reviewer": v["reviewer__username"],
         "recorded_at": v["recorded_at"], "holds_from": v["holds_from"], "published_at": v["published_at"],
         "evidence": evidence.get(v["id"], [])}
        for v in verdicts
    ]  # fmt: skip
    document["contradictions"] = []
    for flag in flags:
        other = "b" if flag["claim_a_id"] == claim_id else "a"
        document["contradictions"].append(
            {"id": flag["id"], "kind": flag["kind"], "relation": flag["relation"], "state": flag["state"],
             "confidence": flag["confidence"], "explanation": flag["explanation"], "detected_at": flag["detected_at"],
             "other_claim": {"id": flag[f"claim_{other}_id"], "statement": flag[f"claim_{other}__statement"],
                             "status": flag[f"claim_{other}__status"],
                             "asserted_by": _ref(flag[f"claim_{other}__asserted_by_id"],
                                                 flag[f"claim_{other}__asserted_by__name"])}}
        )  # fmt: skip
    return document


def corroboration_document(corroboration: selectors.Corroboration | None) -> dict[str, Any]:
    """A claim's corroboration (a claim that has none yet, just created, agrees with itself)."""
    if corroboration is None:
        return {"summary": "0 reports, 0 origins, 0 sides", "reports": 0, "origins": 0, "sides": 0,
                "agreeing_claims": [], "confirming_claims": [], "suggested_credibility": None}  # fmt: skip
    return {"summary": corroboration.summary, "reports": corroboration.reports, "origins": corroboration.origins,
            "sides": corroboration.sides, "agreeing_claims": list(corroboration.agreeing_claims),
            "confirming_claims": list(corroboration.confirming_claims),
            "suggested_credibility": corroboration.suggested_credibility}  # fmt: skip


def _stored(value: Any) -> Any:
    """A value as it reads back from the database: a date-time in UTC, a choice as its
    plain value."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _column_value(claim: Claim, column: str) -> Any:
    relation, _, name = column.rpartition("__")
    holder = getattr(claim, relation) if relation else claim
    if holder is None:
        return None
    value = getattr(holder, name)
    if isinstance(value, Decimal):  # as the column's scale keeps it: 20 reads back as 20.00
        field = cast("models.DecimalField[Any, Any]", holder._meta.get_field(name))
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return _stored(value)


def claim_created(claim: Claim) -> dict[str, Any]:
    """``claim_detail`` of a claim ``claims.services.claim_create`` has just written, from
    the saved instance and the rows it was given (its subject, predicate, party...), plus
    a query each for its party's side and its appearances. A new claim has no verdict and
    no contradiction yet: its check runs after the commit."""
    row = tuple(_column_value(claim, column) for column in (*CLAIM_FIELDS, *CLAIM_DETAIL_EXTRA))
    document = claim_summary(row, party_sides([claim.asserted_by_id]))
    document.update(zip(CLAIM_DETAIL_EXTRA, row[len(CLAIM_FIELDS) :], strict=True))
    document["appearances"] = appearances_of([claim.pk]).get(claim.pk, [])
    document["verdicts"] = []
    document["contradictions"] = []
    return document


# --- Verification status --------------------------------------------------------------


def status_document(pk: int, status: str, verdict_id: int | None, rated_at: Any, retracted_at: Any) -> dict[str, Any]:
    """A claim's compact status from a status row (``claims.selectors.STATUS_VALUES``)."""
    return {"id": pk, "status": status, "verdict_id": verdict_id, "rated_at": rated_at,
            "retracted": retracted_at is not None}  # fmt: skip


def statuses(rows: Iterable[StatusRow]) -> list[dict[str, Any]]:
    """The compact statuses of status rows (``claims.selectors.claim_statuses``)."""
    return [status_document(*row) for row in rows]
