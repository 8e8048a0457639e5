"""The JSON documents of the API's read paths, built from ``.values()`` rows.

The status lookup, the claim lists and the contradiction list are the hot paths: a
page is one query for the rows plus one per related collection (sources, sides), never
one per row, and no serializer runs per row. ``claims.api.serializers`` describes each
document for the OpenAPI schema; ``tests/api`` checks the two agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import connection

from claims import selectors
from claims.selectors import StatusRow
from sources.sql import PARTY_SIDES

CLAIM_FIELDS = (
    "id", "statement", "quote", "status", "polarity",
    "subject_id", "subject__name", "predicate__slug", "predicate__label",
    "object_entity_id", "object_entity__name", "quantity_low", "quantity_best", "quantity_high", "text_value",
    "valid_from", "valid_from_precision", "valid_until", "valid_until_precision",
    "asserted_by_id", "asserted_by__name", "asserted_at", "hedge", "credibility", "review_state",
    "retracted_at", "updated_at",
)  # fmt: skip

CONTRADICTION_FIELDS = (
    "id", "kind", "relation", "state", "state_reason", "explanation", "rule", "rule_version",
    "detected_at", "state_changed_at", "updated_at",
)  # fmt: skip


def party_sides(party_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each party's side (its top-most ancestor) as {"id", "name"}, in one query.

    A party with no parent is its own side; ``sources.sql.PARTY_SIDE`` walks up (and stops
    at a cycle in ``parent``, which the admin does not prevent beyond one step).
    """
    ids = sorted(set(party_ids))
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(PARTY_SIDES, [ids])
        return {party: {"id": side_id, "name": name} for party, side_id, name in cursor.fetchall()}


def _ref(pk: int | None, name: str | None) -> dict[str, Any] | None:
    return None if pk is None else {"id": pk, "name": name}


def claim_summary(r: Sequence[Any], sides: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A claim's list document from a row of ``CLAIM_FIELDS``, in that order (positions,
    not names: this runs for every row of every page)."""
    return {
        "id": r[0], "statement": r[1], "quote": r[2],
        "subject": {"id": r[5], "name": r[6]},
        "predicate": {"slug": r[7], "label": r[8]},
        "object_entity": None if r[9] is None else {"id": r[9], "name": r[10]},
        "quantity": None if r[12] is None else {"low": r[11], "best": r[12], "high": r[13]},
        "text_value": r[14], "polarity": r[4],
        "valid_from": r[15], "valid_from_precision": r[16], "valid_until": r[17], "valid_until_precision": r[18],
        "asserted_by": {"id": r[19], "name": r[20], "side": sides.get(r[19])},
        "asserted_at": r[21], "hedge": r[22], "credibility": r[23], "status": r[3], "review_state": r[24],
        "retracted_at": r[25], "updated_at": r[26],
    }  # fmt: skip


PARTY = CLAIM_FIELDS.index("asserted_by_id")


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
    row = selectors.claim_row(claim_id, (*CLAIM_FIELDS, "retraction_reason", "created_at"))
    if row is None:
        return None
    verdicts = list(
        selectors.verdict_history(claim_id).values(
            "id", "rating", "rationale", "reviewer__username", "recorded_at", "holds_from", "published_at"
        )
    )
    evidence = selectors.claim_verdict_evidence(claim_id)
    live = selectors.live_contradictions_of(claim_id).values(
        "id", "kind", "relation", "state", "explanation", "detected_at", "claim_a_id", "claim_b_id",
        "claim_a__statement", "claim_b__statement", "claim_a__status", "claim_b__status",
        "claim_a__asserted_by_id", "claim_b__asserted_by_id", "claim_a__asserted_by__name", "claim_b__asserted_by__name",
    )  # fmt: skip
    flags = cast(list[dict[str, Any]], list(live))
    sides = party_sides([row[PARTY]])
    document = claim_summary(row, sides)
    document["retraction_reason"], document["created_at"] = row[len(CLAIM_FIELDS) :]
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
             "explanation": flag["explanation"], "detected_at": flag["detected_at"],
             "other_claim": {"id": flag[f"claim_{other}_id"], "statement": flag[f"claim_{other}__statement"],
                             "status": flag[f"claim_{other}__status"],
                             "asserted_by": _ref(flag[f"claim_{other}__asserted_by_id"],
                                                 flag[f"claim_{other}__asserted_by__name"])}}
        )  # fmt: skip
    return document


# --- Verification status --------------------------------------------------------------


def status_document(pk: int, status: str, verdict_id: int | None, rated_at: Any, retracted_at: Any) -> dict[str, Any]:
    """A claim's compact status from a status row (``claims.selectors.STATUS_VALUES``)."""
    return {"id": pk, "status": status, "verdict_id": verdict_id, "rated_at": rated_at,
            "retracted": retracted_at is not None}  # fmt: skip


def statuses(rows: Iterable[StatusRow]) -> list[dict[str, Any]]:
    """The compact statuses of status rows (``claims.selectors.claim_statuses``)."""
    return [status_document(*row) for row in rows]
