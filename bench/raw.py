"""The raw endpoint bench/api.py measures the API against: the same documents from the
same rows, read with psycopg2 and served with orjson, with no framework and no
authentication. It runs inside the benchmark's gunicorn workers, next to the project.

The SQL is written here on purpose, apart from the ORM's: it is the baseline, the least
work that serves these documents (or, for ``POST /raw/claims/``, that writes a create
body's claim and appearance, with the same triggers firing). The documents themselves are built by the project's own
functions (``claims.api.documents``, ``project.api.renderers.dumps``), so the two sides can
only differ in how they get the rows; bench/api.py checks that they serve the same JSON.

Import this module after Django is set up (``claims.api.documents`` imports the models).
"""

from __future__ import annotations

import base64
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import orjson
import psycopg2

from claims.api.documents import (
    CLAIM_COLUMN,
    CLAIM_FIELDS,
    CONTRADICTION_FIELDS,
    PARTY,
    claim_summary,
    status_document,
)
from project.api.renderers import dumps
from sources.sql import PARTY_SIDES

PAGE = 50
ASSERTED_AT, CLAIM_ID = CLAIM_COLUMN["asserted_at"], CLAIM_COLUMN["id"]
DETECTED_AT, CONTRADICTION_ID = CONTRADICTION_FIELDS.index("detected_at"), CONTRADICTION_FIELDS.index("id")

_connection: Any = None


def _cursor() -> Any:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(os.environ["DATABASE_URL"])
        _connection.autocommit = True
        with _connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
    return _connection.cursor()


# The columns of claims.api.documents.CLAIM_FIELDS, in that order (claim_summary reads the
# rows through its declaration), with the joins the ORM makes for them: each relation of
# a field is read from its alias below ("subject__name" is {s}.name), the claim's own
# columns from {c}.
ALIAS_OF = {"": "c", "subject": "s", "predicate": "p", "object_entity": "o", "asserted_by": "t"}
CLAIM_COLUMNS = ", ".join(
    "{" + ALIAS_OF[relation] + "}." + column
    for relation, _, column in (field.rpartition("__") for field in CLAIM_FIELDS)
)
CLAIM_JOINS = """
    JOIN claims_entity {s} ON {s}.id = {c}.subject_id
    JOIN claims_predicate {p} ON {p}.id = {c}.predicate_id
    LEFT JOIN claims_entity {o} ON {o}.id = {c}.object_entity_id
    JOIN sources_party {t} ON {t}.id = {c}.asserted_by_id
"""


def _aliases(c: str) -> dict[str, str]:
    return {"c": c, "s": f"{c}_s", "p": f"{c}_p", "o": f"{c}_o", "t": f"{c}_t"}


def _sides(cursor: Any, party_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    # The query of claims.selectors.party_sides, on this endpoint's own connection.
    cursor.execute(PARTY_SIDES, [sorted(set(party_ids))])
    return {party: {"id": side, "name": name} for party, side, name in cursor.fetchall()}


def _next_link(environ: dict[str, Any], ordering: str, value: Any, pk: int) -> str:
    # The cursor token of project.api.pagination (built there from DRF's request).
    token = (
        base64.urlsafe_b64encode(orjson.dumps({"o": ordering, "d": "n", "v": value.isoformat(), "k": pk}))
        .decode()
        .rstrip("=")
    )
    host = environ.get("HTTP_HOST", "localhost")
    return f"http://{host}{environ['PATH_INFO']}?page_size={PAGE}&cursor={token}"


def raw_status(environ: dict[str, Any], cursor: Any) -> dict[str, Any]:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    ids = [int(part) for part in ",".join(query.get("ids", [])).split(",") if part]
    cursor.execute(
        """
        SELECT c.id, c.status, c.current_verdict_id, v.recorded_at, c.retracted_at
        FROM claims_claim c LEFT JOIN claims_verdict v ON v.id = c.current_verdict_id
        WHERE c.id = ANY(%s) ORDER BY c.id
        """,
        [ids],
    )
    results = [status_document(*row) for row in cursor.fetchall()]
    found = {row["id"] for row in results}
    return {"as_of": None, "results": results, "not_found": {"ids": sorted(set(ids) - found), "urls": []}}


def raw_claims(environ: dict[str, Any], cursor: Any) -> dict[str, Any]:
    a = _aliases("c")
    cursor.execute(
        f"SELECT {CLAIM_COLUMNS.format(**a)} FROM claims_claim c {CLAIM_JOINS.format(**a)} "
        "ORDER BY c.asserted_at DESC, c.id DESC LIMIT %s",
        [PAGE + 1],
    )
    rows = cursor.fetchall()
    more, rows = len(rows) > PAGE, rows[:PAGE]
    sides = _sides(cursor, {r[PARTY] for r in rows})
    last = rows[-1] if rows else None
    return {
        "next": _next_link(environ, "-asserted_at", last[ASSERTED_AT], last[CLAIM_ID]) if more and last else None,
        "previous": None,
        "results": [claim_summary(r, sides) for r in rows],
    }


def raw_contradictions(environ: dict[str, Any], cursor: Any) -> dict[str, Any]:
    width = len(CONTRADICTION_FIELDS)  # then claim_a_id, claim_b_id
    cursor.execute(
        f"SELECT {', '.join(CONTRADICTION_FIELDS)}, claim_a_id, claim_b_id FROM claims_contradiction "
        "ORDER BY detected_at DESC, id DESC LIMIT %s",
        [PAGE + 1],
    )
    rows = cursor.fetchall()
    more, rows = len(rows) > PAGE, rows[:PAGE]
    claim_ids = sorted({r[width] for r in rows} | {r[width + 1] for r in rows})
    a = _aliases("c")
    cursor.execute(
        f"SELECT {CLAIM_COLUMNS.format(**a)} FROM claims_claim c {CLAIM_JOINS.format(**a)} WHERE c.id = ANY(%s)",
        [claim_ids],
    )
    claims = {r[CLAIM_ID]: r for r in cursor.fetchall()}
    cursor.execute(
        """
        SELECT cs.claim_id, s.id, s.url, s.title, s.kind, cs.role, cs.excerpt, cs.locator
        FROM claims_claimsource cs JOIN sources_source s ON s.id = cs.source_id
        WHERE cs.claim_id = ANY(%s) ORDER BY cs.claim_id, cs.id
        """,
        [claim_ids],
    )
    # As claims.api.documents.appearances_of and .contradictions build them (both read
    # through Django's connection, so they cannot be called with these rows).
    appearances: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for claim_id, source_id, url, title, kind, role, excerpt, locator in cursor.fetchall():
        appearances[claim_id].append(
            {"source": {"id": source_id, "url": url, "title": title, "kind": kind},
             "role": role, "excerpt": excerpt, "locator": locator}
        )  # fmt: skip
    sides = _sides(cursor, {claim[PARTY] for claim in claims.values()})
    results = []
    for r in rows:
        document = dict(zip(CONTRADICTION_FIELDS, r[:width], strict=True))
        for x, claim_id in (("a", r[width]), ("b", r[width + 1])):
            claim = claim_summary(claims[claim_id], sides)
            claim["appearances"] = appearances.get(claim_id, [])
            document[f"claim_{x}"] = claim
        results.append(document)
    last = rows[-1] if rows else None
    return {
        "next": _next_link(environ, "-detected_at", last[DETECTED_AT], last[CONTRADICTION_ID])
        if more and last
        else None,
        "previous": None,
        "results": results,
    }


# --- Creating a claim -----------------------------------------------------------------

_writer: Any = None


def _write_connection() -> Any:
    """A connection of its own for the writes: one transaction per create, as the API's."""
    global _writer
    if _writer is None or _writer.closed:
        _writer = psycopg2.connect(os.environ["DATABASE_URL"])
        with _writer.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        _writer.commit()
    return _writer


# The row the API writes for bench/api.py's create body (the period is the day it was
# said, credibility 6, unrated, new), its value type from its predicate, and the same
# history context the API's middleware sets: the same triggers fire (history, change feed,
# the status check).
INSERT_CLAIM = """
    SELECT set_config('pghistory.context_id', %(context)s, true),
           set_config('pghistory.context_metadata', %(metadata)s, true);
    INSERT INTO claims_claim (subject_id, predicate_id, value_type, object_entity_id, text_value, polarity,
                              valid_from, valid_from_precision, valid_until, valid_until_precision, asserted_by_id,
                              asserted_at, statement, quote, hedge, credibility, status, review_state,
                              retraction_reason, created_at, updated_at)
    SELECT %(subject)s, p.id, p.value_type, %(object_entity)s, '', 'affirms',
           (%(asserted_at)s::timestamptz AT TIME ZONE 'UTC')::date, 'day',
           (%(asserted_at)s::timestamptz AT TIME ZONE 'UTC')::date, 'day', %(asserted_by)s,
           %(asserted_at)s, %(statement)s, '', %(hedge)s, 6, 'unrated', 'new', '', now(), now()
    FROM claims_predicate p WHERE p.slug = %(predicate)s
    RETURNING id
"""
INSERT_APPEARANCE = """
    SELECT set_config('pghistory.context_id', %(context)s, true),
           set_config('pghistory.context_metadata', %(metadata)s, true);
    INSERT INTO claims_claimsource (claim_id, source_id, role, excerpt, locator)
    VALUES (%(claim)s, %(source)s, %(role)s, %(excerpt)s, '')
"""


def raw_create(environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The least work that writes the claim of a create body and its appearance: no
    validation, no lookups, one transaction of two INSERTs. Answers its id."""
    body = orjson.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    context = {"context": str(uuid.uuid4()), "metadata": orjson.dumps({"url": environ["PATH_INFO"]}).decode()}
    writer = _write_connection()
    try:
        with writer.cursor() as cursor:
            cursor.execute(INSERT_CLAIM, {**context, **body})
            claim = cursor.fetchone()[0]
            for appearance in body["appearances"]:
                cursor.execute(
                    INSERT_APPEARANCE, {**context, "claim": claim, "role": "report", "excerpt": "", **appearance}
                )
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    return "201 Created", {"id": claim}


ROUTES: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "/raw/status/": raw_status,
    "/raw/claims/": raw_claims,
    "/raw/contradictions/": raw_contradictions,
}


def raw_application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/raw/claims/":
        status, document = raw_create(environ)
        body = dumps(document)
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    with _cursor() as cursor:
        body = dumps(handler(environ, cursor))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
