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
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, QuerySet, Sum
from django.db.models.expressions import RawSQL

from claims.models import (
    Claim,
    ClaimQuerySet,
    ClaimSource,
    Contradiction,
    ContradictionQuerySet,
    Entity,
    PartyClaimCount,
    Rating,
    Status,
    Verdict,
    VerdictEvidence,
    VerdictQuerySet,
)
from claims.rules import SAME_VALUE
from sources.models import Party
from sources.sql import PARTY_SIDE, PARTY_SIDES

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
    recorded after the claim was made) and "status_<status>" for each status. Two queries:
    the claims by status from the ledger of counts (``PartyClaimCount``), and the false
    verdicts, read from the verdicts' side (few claims have one; testing every claim of a
    side for one took 250 ms at 100,000 claims)."""
    parties = Party.objects.within(party) if include_side else Party.objects.filter(pk=party.pk)
    counts = {"claims": 0, "retracted": 0, "rated_false": 0, "later_rated_false": 0}
    counts |= {f"status_{value}": 0 for value in Status.values}
    # From the ledger the claim writes keep (a few rows a party), not by counting the
    # claims (a side's 270,000 at 1M claims took 30 ms from a covering index).
    by_status = (
        PartyClaimCount.objects.filter(party__in=parties)
        .order_by()
        .values_list("status")
        .annotate(number=Sum("claims"), retracted=Sum("retracted"))
    )
    for status, summed, summed_retracted in by_status:
        number, retracted = int(summed), int(summed_retracted)  # sums of bigint are numeric
        counts["claims"] += number
        counts["retracted"] += retracted
        counts[f"status_{status}"] = number
        if status in FALSE_RATINGS:
            counts["rated_false"] += number
    counts["later_rated_false"] = (
        Verdict.objects.filter(
            claim__asserted_by__in=parties,
            claim__current_verdict__isnull=False,  # true of each: lets the planner read claim_rated_party
            rating__in=FALSE_RATINGS,
            recorded_at__gt=F("claim__asserted_at"),
        )
        .values("claim_id")
        .distinct()
        .count()
    )
    return counts


# --- Corroboration --------------------------------------------------------------------


@dataclass(frozen=True)
class Corroboration:
    """Who else says what a claim says, counted by independent origin.

    Two claims *agree* when they state the same proposition (subject, predicate, value, as
    the contradiction rules compare values) with the same polarity for overlapping
    periods. Each appearance reaches back to an *origin*: its source's root, following
    ``Source.republished_from`` (a copy is its original), and then the root's publisher
    when it has one (two articles of one outlet are one origin). A *side* is the asserting
    party's topmost ancestor. ``reports`` counts the appearances of the claim and of the
    claims that agree with it ("4 reports, 1 origin").

    An agreeing claim *confirms* the claim when it is asserted by another side and reaches
    us through an origin the claim's own appearances do not: a copy never confirms, nor
    does the claim's own side repeating it, nor anything a claim without a recorded
    appearance (whose origin is unknown). Credibility 1 ("confirmed by other sources")
    is suggested only then.
    """

    reports: int
    origins: int
    sides: int
    agreeing_claims: tuple[int, ...]
    confirming_claims: tuple[int, ...]

    @property
    def suggested_credibility(self) -> int | None:
        return int(Claim.Credibility.CONFIRMED) if self.confirming_claims else None

    @property
    def summary(self) -> str:
        def count(number: int, word: str) -> str:
            return f"{number} {word}{'' if number == 1 else 's'}"

        return f"{count(self.reports, 'report')}, {count(self.origins, 'origin')}, {count(self.sides, 'side')}"


# Each claim of %(ids)s with every claim agreeing with it (itself included), its side, and
# each appearance's origin (NULL for a claim without one). The agreeing claims are found
# as contradiction candidates are (same subject and predicate, overlapping periods: the
# GiST index claim_candidates_gist), so the cost follows them, not the table.
CORROBORATION_ROWS = f"""
WITH RECURSIVE agreeing AS (
    SELECT a.id AS claim_id, b.id AS agreeing_id, {PARTY_SIDE}(b.asserted_by_id) AS side_id
    FROM claims_claim a
    JOIN claims_claim b
        ON b.subject_id = a.subject_id AND b.predicate_id = a.predicate_id AND b.period && a.period
       AND b.polarity = a.polarity AND b.value_type = a.value_type AND b.retracted_at IS NULL
       AND ({SAME_VALUE})
    WHERE a.id = ANY(%(ids)s::bigint[])
),
appearance AS (
    SELECT g.claim_id, g.agreeing_id, cs.source_id
    FROM agreeing g JOIN claims_claimsource cs ON cs.claim_id = g.agreeing_id
),
chain(source_id, current_id, depth) AS (
    SELECT DISTINCT source_id, source_id, 0 FROM appearance
    UNION
    SELECT c.source_id, s.republished_from_id, c.depth + 1
    FROM chain c JOIN sources_source s ON s.id = c.current_id
    WHERE s.republished_from_id IS NOT NULL AND c.depth < 32  -- a copy of a copy, not a cycle
),
origin AS (
    SELECT DISTINCT ON (c.source_id) c.source_id,
           coalesce('party:' || s.publisher_id, 'source:' || s.id) AS origin
    FROM chain c JOIN sources_source s ON s.id = c.current_id
    ORDER BY c.source_id, c.depth DESC
)
SELECT g.claim_id, g.agreeing_id, g.side_id, p.source_id, o.origin
FROM agreeing g
LEFT JOIN appearance p ON p.claim_id = g.claim_id AND p.agreeing_id = g.agreeing_id
LEFT JOIN origin o ON o.source_id = p.source_id
"""  # noqa: S608 - constant fragments


def claim_corroborations(claim_ids: Sequence[int]) -> dict[int, Corroboration]:
    """The ``Corroboration`` of each existing claim among ``claim_ids``, by id: one query."""
    if not claim_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(CORROBORATION_ROWS, {"ids": sorted(set(claim_ids))})
        rows = cursor.fetchall()
    reports: dict[int, int] = defaultdict(int)
    origins: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))  # claim -> agreeing -> origins
    sides: dict[int, dict[int, int]] = defaultdict(dict)  # claim -> agreeing -> side
    for claim_id, agreeing_id, side_id, source_id, origin in rows:
        sides[claim_id][agreeing_id] = side_id
        origins[claim_id][agreeing_id]  # noqa: B018 - a claim without appearances still agrees
        if source_id is not None:
            reports[claim_id] += 1
            origins[claim_id][agreeing_id].add(origin)
    result = {}
    for claim_id, by_claim in origins.items():
        own_origins, own_side = by_claim.get(claim_id, set()), sides[claim_id].get(claim_id)
        others = sorted(pk for pk in by_claim if pk != claim_id)
        # Without an origin of its own nothing can be told apart from a copy of it.
        confirming = tuple(
            pk for pk in others if own_origins and sides[claim_id][pk] != own_side and by_claim[pk] - own_origins
        )
        result[claim_id] = Corroboration(
            reports=reports[claim_id],
            origins=len(set().union(*by_claim.values())),
            sides=len(set(sides[claim_id].values())),
            agreeing_claims=tuple(others),
            confirming_claims=confirming,
        )
    return result


def party_sides(party_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each party's side (its top-most ancestor) as {"id", "name"}, in one query.

    A party with no parent is its own side; ``sources.sql.PARTY_SIDE`` walks up (and stops
    at a cycle in ``parent``, should one have been stored before loops were refused). The
    API's documents and the reader's lists name sides through it: one walk a party, not
    one a claim.
    """
    ids = sorted(set(party_ids))
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(PARTY_SIDES, [ids])
        return {party: {"id": side_id, "name": name} for party, side_id, name in cursor.fetchall()}
