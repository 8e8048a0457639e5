"""Reads of claims, verdicts and contradictions that the API, the admin and the services
share. Writes live in ``claims.services``; the JSON documents built from these rows live
in ``claims.api.documents``.

Each function returns rows (tuples, in the order its docstring or ``*_VALUES`` names) or a
QuerySet to chain on. The hot paths' queries are compiled once (``by_ids_sql``) and run
with a fresh array of ids.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from claims.models import (
    Claim,
    ClaimQuerySet,
    ClaimSource,
    Contradiction,
    ContradictionQuerySet,
    Entity,
    Rating,
    Status,
    Verdict,
    VerdictEvidence,
    VerdictQuerySet,
)
from sources.models import Party

UNRATED: str = Status.UNRATED.value


def by_ids_sql(queryset: QuerySet[Any, Any], column: str) -> str:
    """``queryset`` restricted to ``column = ANY(%s)``, compiled to SQL by the ORM once.

    The hot paths run these with a fresh array of ids each time: the SQL is the same for
    one id or a thousand, so it is not rebuilt (or re-planned on a cold path) per request.
    ``column`` is a quoted column name from the models, never input.
    """
    wanted = RawSQL(f"{column} = ANY(%s)", [[]], output_field=BooleanField())  # noqa: S611
    sql, params = queryset.filter(wanted).query.sql_with_params()
    if params != ([],):  # the query must take exactly the ids
        raise RuntimeError(f"unexpected parameters in a by-ids query: {params!r}")
    return str(sql)


def run_by_ids(sql: str, ids: Iterable[int]) -> list[tuple[Any, ...]]:
    """The rows of a ``by_ids_sql`` query for ``ids``."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(ids)])
        return cursor.fetchall()  # type: ignore[no-any-return]


# --- Verification status --------------------------------------------------------------

# A status row: (claim id, status, verdict id, when that verdict was recorded, retracted_at).
STATUS_VALUES = ("id", "status", "current_verdict_id", "current_verdict__recorded_at", "retracted_at")
StatusRow = tuple[int, str, int | None, dt.datetime | None, dt.datetime | None]


def latest_verdicts_as_of(claim_ids: Iterable[int], moment: dt.datetime) -> dict[int, tuple[int, str, dt.datetime]]:
    """Each claim's latest verdict recorded by ``moment`` (what Claimwatch said at that
    moment, whatever day a rating holds from), as (verdict id, rating, recorded_at), by
    claim id; a claim with none by then is missing. One query."""
    rows = (
        Verdict.objects.as_of(moment)
        .filter(claim_id__in=list(claim_ids))
        .order_by("claim_id", "-recorded_at", "-id")
        .distinct("claim_id")
        .values_list("claim_id", "id", "rating", "recorded_at")
    )
    return {claim_id: (verdict_id, rating, recorded_at) for claim_id, verdict_id, rating, recorded_at in rows}


def claim_status_as_of(*, claim: Claim, moment: dt.datetime) -> str:
    """The claim's verification status at ``moment``: its latest verdict recorded by then."""
    latest = latest_verdicts_as_of([claim.pk], moment).get(claim.pk)
    return UNRATED if latest is None else latest[1]


def claim_statuses(claims: ClaimQuerySet, as_of: dt.datetime | None = None) -> list[StatusRow]:
    """The status row of each claim, by id: one query, or two with ``as_of`` (then the
    status is the latest verdict recorded by that moment, and a later retraction does not
    count yet)."""
    if as_of is None:
        return list(claims.order_by("id").values_list(*STATUS_VALUES))
    found = list(claims.order_by("id").values_list("id", "retracted_at"))
    latest = latest_verdicts_as_of([pk for pk, _ in found], as_of)
    rows: list[StatusRow] = []
    for pk, retracted_at in found:
        verdict_id, rating, recorded_at = latest.get(pk, (None, UNRATED, None))
        retracted_then = retracted_at if retracted_at is not None and retracted_at <= as_of else None
        rows.append((pk, rating, verdict_id, recorded_at, retracted_then))
    return rows


@functools.cache
def _status_by_id_sql() -> str:
    return by_ids_sql(Claim.objects.order_by("id").values_list(*STATUS_VALUES), f'"{Claim._meta.db_table}"."id"')


def claim_statuses_by_id(ids: Sequence[int]) -> list[StatusRow]:
    """The current status row of each existing claim among ``ids``, by id: one
    precompiled query (the consumers' hot path)."""
    return run_by_ids(_status_by_id_sql(), ids)  # type: ignore[return-value]


# --- Claims ---------------------------------------------------------------------------


@functools.cache
def _claim_rows_by_id_sql(columns: tuple[str, ...]) -> str:
    # Unordered: the rows go into a dict by id.
    return by_ids_sql(Claim.objects.order_by().values_list(*columns), f'"{Claim._meta.db_table}"."id"')


def claim_rows_by_id(ids: Iterable[int], columns: tuple[str, ...]) -> dict[int, tuple[Any, ...]]:
    """Rows of ``columns`` (which include "id") of the claims among ``ids``, by id: one
    query, compiled once per column list."""
    at = columns.index("id")
    return {row[at]: row for row in run_by_ids(_claim_rows_by_id_sql(columns), ids)}


def claim_row(claim_id: int, columns: Sequence[str]) -> tuple[Any, ...] | None:
    """One claim's row of ``columns``, or None if there is no such claim."""
    return Claim.objects.filter(pk=claim_id).values_list(*columns).first()


def entity_timeline(entity: Entity, *, include_parts: bool) -> ClaimQuerySet:
    """The claims about ``entity`` (and, with ``include_parts``, about any place within it)."""
    return Claim.objects.about(entity) if include_parts else Claim.objects.filter(subject=entity)


def claim_ids_in_source(url: str) -> QuerySet[ClaimSource, Any]:
    """The ids of the claims appearing in the source with this (normalised) URL, as a
    subquery (``pk__in=``)."""
    return ClaimSource.objects.filter(source__url=url).values("claim_id")


# A claim's appearance: (claim id, source id, url, title, kind, role, excerpt, locator).
APPEARANCE_VALUES = (
    "claim_id", "source_id", "source__url", "source__title", "source__kind", "role", "excerpt", "locator"
)  # fmt: skip


@functools.cache
def _appearances_sql() -> str:
    queryset = ClaimSource.objects.order_by("claim_id", "id").values_list(*APPEARANCE_VALUES)
    return by_ids_sql(queryset, f'"{ClaimSource._meta.db_table}"."claim_id"')


def appearance_rows(claim_ids: Iterable[int]) -> list[tuple[Any, ...]]:
    """The sources the claims appear in (rows of ``APPEARANCE_VALUES``), by claim, in the
    order they were linked: one precompiled query."""
    return run_by_ids(_appearances_sql(), claim_ids)


# --- Verdicts -------------------------------------------------------------------------


def verdict_history(claim: Claim | int) -> VerdictQuerySet:
    """The claim's verdicts, newest first: the API's claim detail and the admin's history."""
    return Verdict.objects.filter(claim_id=claim.pk if isinstance(claim, Claim) else claim).order_by(
        "-recorded_at", "-id"
    )


def _sources_by_verdict(links: QuerySet[VerdictEvidence]) -> dict[int, list[int]]:
    evidence: dict[int, list[int]] = defaultdict(list)
    for verdict_id, source_id in links.order_by("source_id").values_list("verdict_id", "source_id"):
        evidence[verdict_id].append(source_id)
    return evidence


def verdict_evidence(verdict_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids of the sources each verdict cites, in id order, by verdict: one query."""
    return _sources_by_verdict(VerdictEvidence.objects.filter(verdict_id__in=list(verdict_ids)))


def claim_verdict_evidence(claim_id: int) -> dict[int, list[int]]:
    """``verdict_evidence`` of all the claim's verdicts: one query."""
    return _sources_by_verdict(VerdictEvidence.objects.filter(verdict__claim_id=claim_id))


# --- Contradictions -------------------------------------------------------------------


def live_contradictions_of(claim_id: int) -> ContradictionQuerySet:
    """The claim's open or confirmed contradictions, newest first."""
    return Contradiction.objects.live().involving(claim_id).order_by("-detected_at", "-id")


# --- A party's record -----------------------------------------------------------------

FALSE_RATINGS = (Rating.FALSE, Rating.MOSTLY_FALSE)


def party_record(party: Party, *, include_side: bool) -> dict[str, int]:
    """Counts of the party's claims (with ``include_side``, of every party under it too):
    "claims", "retracted", "rated_false" (now), "later_rated_false" (a false verdict
    recorded after the claim was made) and "status_<status>" for each status. One query."""
    claims = Claim.objects.asserted_by_side(party) if include_side else Claim.objects.filter(asserted_by=party)
    rated_false_later = Verdict.objects.filter(
        claim=OuterRef("pk"), rating__in=FALSE_RATINGS, recorded_at__gt=OuterRef("asserted_at")
    )
    counts: dict[str, int] = claims.aggregate(
        claims=Count("id"),
        retracted=Count("id", filter=Q(retracted_at__isnull=False)),
        rated_false=Count("id", filter=Q(status__in=FALSE_RATINGS)),
        later_rated_false=Count("id", filter=Q(Exists(rated_false_later))),
        **{f"status_{value}": Count("id", filter=Q(status=value)) for value in Status.values},
    )
    return counts
