"""Rows on their way in: staged with COPY, then published with a few set-based statements.

Staging tables hold rows that read, resolved and checked cleanly, with the ids their
claims will have (drawn from the claims' own sequence as they are staged) and a digest
of each claim, so that a row repeating an earlier one is found by an index, however long
the file. Publishing moves the whole stage into the real tables in one transaction:

1. the sources that appearances name by a URL no source has (one INSERT);
2. the claims (one INSERT … SELECT);
3. their appearances (one INSERT … SELECT).

The real tables' triggers fire for every row, as for a single write: history
(django-pghistory, under the import's context), the change feed, the status guard. The
CHECKs and foreign keys hold as always: if one refuses a row that the checks here let
through, the publish fails as a whole and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from claims.ingest.rows import ClaimRow
from claims.sql import own_statement_of

CLAIM_COLUMNS = (
    "row_number", "claim_id", "digest", "subject_id", "predicate_id", "value_type", "object_entity_id",
    "quantity_low", "quantity_best", "quantity_high", "text_value", "polarity", "valid_from",
    "valid_from_precision", "valid_until", "valid_until_precision", "asserted_by_id", "asserted_at",
    "statement", "quote", "hedge", "credibility",
)  # fmt: skip
APPEARANCE_COLUMNS = ("row_number", "position", "source_id", "url", "kind", "title", "role", "excerpt", "locator")

_CREATE = """
CREATE {kind} TABLE {claims} (
    row_number integer NOT NULL,
    claim_id bigint NOT NULL,
    digest bigint NOT NULL,
    subject_id bigint NOT NULL,
    predicate_id bigint NOT NULL,
    value_type varchar(10) NOT NULL,
    object_entity_id bigint,
    quantity_low numeric(14, 2),
    quantity_best numeric(14, 2),
    quantity_high numeric(14, 2),
    text_value text NOT NULL,
    polarity varchar(10) NOT NULL,
    valid_from date NOT NULL,
    valid_from_precision varchar(10) NOT NULL,
    valid_until date,
    valid_until_precision varchar(10) NOT NULL,
    asserted_by_id bigint NOT NULL,
    asserted_at timestamptz NOT NULL,
    statement text NOT NULL,
    quote text NOT NULL,
    hedge varchar(12) NOT NULL,
    credibility smallint NOT NULL
) {on_commit};
-- A repeated row: the earlier row with this digest (see row_digest).
CREATE UNIQUE INDEX ON {claims} (digest);
CREATE {kind} TABLE {appearances} (
    row_number integer NOT NULL,
    position smallint NOT NULL,
    source_id bigint,
    url varchar(2000),
    kind varchar(20) NOT NULL,
    title varchar(500) NOT NULL,
    role varchar(20) NOT NULL,
    excerpt text NOT NULL,
    locator varchar(100) NOT NULL
) {on_commit};
"""

# New sources first: the appearances then find every URL in sources_source. The earliest
# row naming a URL gives the new source its kind and title.
_PUBLISH_SOURCES = """
INSERT INTO sources_source (kind, url, title, author, language, published_precision, archive_url,
                            content_hash, created_at, updated_at)
SELECT DISTINCT ON (a.url) a.kind, a.url, a.title, '', '', 'day', '', '', now(), now()
FROM {appearances} a
WHERE a.source_id IS NULL
ORDER BY a.url, a.row_number, a.position
ON CONFLICT ON CONSTRAINT source_url_unique DO NOTHING
"""
# Each claim comes with its ``own_statement`` from its staged appearances, so that the
# appearances' trigger, which keeps it, has nothing to write after them.
_PUBLISH_CLAIMS = """
INSERT INTO claims_claim (
    id, subject_id, predicate_id, value_type, object_entity_id, quantity_low, quantity_best, quantity_high,
    text_value, polarity, valid_from, valid_from_precision, valid_until, valid_until_precision,
    asserted_by_id, asserted_at, statement, quote, hedge, credibility, status, review_state,
    retraction_reason, created_by_id, created_at, updated_at, own_statement)
SELECT c.claim_id, c.subject_id, c.predicate_id, c.value_type, c.object_entity_id, c.quantity_low, c.quantity_best,
       c.quantity_high, c.text_value, c.polarity, c.valid_from, c.valid_from_precision, c.valid_until,
       c.valid_until_precision, c.asserted_by_id, c.asserted_at, c.statement, c.quote, c.hedge, c.credibility,
       'unrated', 'new', '', %(created_by)s, now(), now(), o.own
FROM {claims} c
LEFT JOIN (SELECT row_number, {own} AS own FROM {appearances} GROUP BY row_number) o
    USING (row_number)
ORDER BY c.row_number
"""
_PUBLISH_APPEARANCES = """
INSERT INTO claims_claimsource (claim_id, source_id, role, excerpt, locator)
SELECT c.claim_id, coalesce(a.source_id, s.id), a.role, a.excerpt, a.locator
FROM {appearances} a
JOIN {claims} c ON c.row_number = a.row_number
LEFT JOIN sources_source s ON a.source_id IS NULL AND s.url = a.url
ORDER BY a.row_number, a.position
"""


class Stage:
    """A pair of staging tables: ``<name>_claims`` and ``<name>_appearances``.

    ``temporary``: gone when the transaction ends (a bulk request, staged and published in
    one transaction). Otherwise unlogged tables that outlive the session, so that an
    import can be staged batch by batch, committed, and resumed.
    """

    def __init__(self, name: str, *, temporary: bool) -> None:
        self.claims = f"{name}_claims"
        self.appearances = f"{name}_appearances"
        self.temporary = temporary

    def create(self, cursor: Any) -> None:
        cursor.execute(
            _CREATE.format(
                kind="TEMPORARY" if self.temporary else "UNLOGGED",
                on_commit="ON COMMIT DROP" if self.temporary else "",
                claims=self.claims,
                appearances=self.appearances,
            )
        )

    def drop(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.claims}, {self.appearances}")

    def repeated(self, cursor: Any, digests: Sequence[int]) -> dict[int, int]:
        """The staged row of each digest already staged: digest -> row number."""
        cursor.execute(
            f"SELECT digest, row_number FROM {self.claims} WHERE digest = ANY(%s::bigint[])",  # noqa: S608
            [list(digests)],
        )
        return dict(cursor.fetchall())

    def add(self, cursor: Any, rows: Sequence[tuple[ClaimRow, int, int]]) -> None:
        """Stage ``rows``: each a resolved row, its claim's id and its digest."""
        claims = io.StringIO()
        appearances = io.StringIO()
        for row, claim_id, digest in rows:
            claims.write(
                _copy_line(
                    (
                        row.number, claim_id, digest, row.subject.id, row.predicate_id, row.value_type,
                        row.object_entity.id if row.object_entity else None, row.quantity_low, row.quantity_best,
                        row.quantity_high, row.text_value, row.polarity, row.valid_from, row.valid_from_precision,
                        row.valid_until, row.valid_until_precision, row.asserted_by.id, row.asserted_at,
                        row.statement, row.quote, row.hedge, row.credibility,
                    )
                )
            )  # fmt: skip
            for position, a in enumerate(row.appearances):
                appearances.write(
                    _copy_line((row.number, position, a.source_id, None if a.source_id else a.url, a.kind, a.title,
                                a.role, a.excerpt, a.locator))
                )  # fmt: skip
        for table, columns, data in ((self.claims, CLAIM_COLUMNS, claims),
                                     (self.appearances, APPEARANCE_COLUMNS, appearances)):  # fmt: skip
            if data.tell():
                data.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", data)

    def publish(self, cursor: Any, *, created_by: int | None) -> tuple[int, int]:
        """Write the stage into the real tables. Returns (claims, new sources)."""
        # Check each foreign key as its statement ends: deferred to commit, the checks queue
        # up behind every row the triggers write, and the queue is revisited for each.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(_PUBLISH_SOURCES.format(appearances=self.appearances))
        sources = cursor.rowcount
        cursor.execute(
            _PUBLISH_CLAIMS.format(claims=self.claims, appearances=self.appearances, own=own_statement_of("role")),
            {"created_by": created_by},
        )
        claims = cursor.rowcount
        cursor.execute(_PUBLISH_APPEARANCES.format(claims=self.claims, appearances=self.appearances))
        return claims, sources

    def index_claim_ids(self, cursor: Any) -> None:
        cursor.execute(f"CREATE INDEX ON {self.claims} (claim_id)")

    def claim_id_chunks(self, cursor: Any, *, size: int) -> Iterator[list[int]]:
        """The staged claims' ids in ascending chunks of ``size`` (by keyset)."""
        last = 0
        while True:
            cursor.execute(
                f"SELECT claim_id FROM {self.claims} WHERE claim_id > %s ORDER BY claim_id LIMIT %s",  # noqa: S608
                [last, size],
            )
            chunk = [row[0] for row in cursor.fetchall()]
            if not chunk:
                return
            yield chunk
            last = chunk[-1]


def claim_ids_reserve(cursor: Any, count: int) -> list[int]:
    """``count`` new claim ids from the claims' own sequence, in one query."""
    if not count:
        return []
    cursor.execute("SELECT nextval(pg_get_serial_sequence('claims_claim', 'id')) FROM generate_series(1, %s)", [count])
    return [row[0] for row in cursor.fetchall()]


def row_digest(row: ClaimRow) -> int:
    """A claim's identity as a signed 64-bit number: the same party, proposition, period,
    moment and statement give the same digest (a repeated row), in any process."""
    parts: Iterable[Any] = (
        row.subject.id, row.predicate_id, row.object_entity.id if row.object_entity else None, row.quantity_low,
        row.quantity_best, row.quantity_high, row.text_value, row.polarity, row.valid_from,
        row.valid_from_precision, row.valid_until, row.valid_until_precision, row.asserted_by.id,
        row.asserted_at.isoformat(), row.statement,
    )  # fmt: skip
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return int(struct.unpack("<q", hashlib.blake2b(text.encode(), digest_size=8).digest())[0])


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(f"cannot stage {type(value).__name__}")


def _copy_line(values: Iterable[Any]) -> str:
    return "\t".join(_copy_value(value) for value in values) + "\n"
