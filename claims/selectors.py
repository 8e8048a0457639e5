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
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from claims.models import Claim, ClaimQuerySet, Status, Verdict

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
