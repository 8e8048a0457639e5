"""Names, ids and URLs of a batch of rows, resolved in a fixed number of queries.

An entity or a party given by name matches its name or one of its aliases exactly once
both are folded (case and accents ignored, as ``cw_fold`` does: "agbend" names Ağbənd),
as a single claim's names do (``claims.api.natural_keys``). A name that matches nothing
is an error offering the closest names; one that matches several lists them with their
ids. A predicate is named by its slug. A source is given by its id or by its normalised
URL; a URL of no known source becomes a new source when the batch is written.

Whatever the batch's size, resolving it takes at most one query per kind of thing named
(entities, parties, sources) plus the predicates once, and one more per unknown name for
its suggestions (those are errors: the batch will not be written).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from claims.ingest.rows import ClaimRow, Key, RowError
from claims.models import EntityQuerySet

CANDIDATES = 5

# Each asked-for name with up to CANDIDATES + 1 rows it names. The LIKE on the folded names
# lets the trigram index (entity_names_trgm) find the few rows worth the exact test.
_ENTITIES_NAMED = f"""
SELECT q.text, e.id, e.name, e.kind
FROM unnest(%s::text[]) AS q(text)
CROSS JOIN LATERAL (
    SELECT e.id, e.name, e.kind FROM claims_entity e
    WHERE cw_fold_names(e.name, e.aliases) LIKE '%%' || replace(replace(replace(
              cw_fold(q.text), '\\', '\\\\'), '%%', '\\%%'), '_', '\\_') || '%%'
      AND (cw_fold(e.name) = cw_fold(q.text)
           OR EXISTS (SELECT 1 FROM unnest(e.aliases) alias WHERE cw_fold(alias) = cw_fold(q.text)))
    ORDER BY e.name, e.id LIMIT {CANDIDATES + 1}
) e
"""  # noqa: S608 - constant fragments
_PARTIES_NAMED = f"""
SELECT q.text, p.id, p.name, NULL
FROM unnest(%s::text[]) AS q(text)
CROSS JOIN LATERAL (
    SELECT p.id, p.name FROM sources_party p
    WHERE cw_fold(p.name) = cw_fold(q.text)
       OR EXISTS (SELECT 1 FROM unnest(p.aliases) alias WHERE cw_fold(alias) = cw_fold(q.text))
    ORDER BY p.name, p.id LIMIT {CANDIDATES + 1}
) p
"""  # noqa: S608 - constant fragments
# Many names at once (a sheet's first batch names most of the vocabulary): every name and
# alias of the table folded once, joined by hash with the folded names asked for. The
# same exact match as the queries above, set-based instead of one index probe per name.
_ALL_NAMED = """
WITH asked AS (SELECT DISTINCT text, cw_fold(text) AS folded FROM unnest(%s::text[]) AS q(text)),
known AS (
    SELECT id, name, {kind} AS kind, cw_fold(name) AS folded FROM {table}
    UNION
    SELECT t.id, t.name, {kind_t}, cw_fold(alias) FROM {table} t, unnest(t.aliases) alias
)
SELECT asked.text, known.id, known.name, known.kind
FROM asked JOIN known USING (folded)
ORDER BY asked.text, known.name, known.id
"""  # noqa: S608 - constant fragments
# Above this many names in a batch, _ALL_NAMED is the cheaper plan.
MANY_NAMES = 200

# The closest names to one unknown name, as entity search ranks them.
_SUGGESTIONS = f"""
SELECT id, name, {{kind}} FROM {{table}}
WHERE word_similarity(cw_fold(%(text)s), cw_fold_names(name, aliases)) >= {EntityQuerySet.FUZZY_THRESHOLD}
ORDER BY word_similarity(cw_fold(%(text)s), cw_fold_names(name, aliases)) DESC, name LIMIT {CANDIDATES}
"""  # noqa: S608 - constant fragments


@dataclass(frozen=True)
class Named:
    """What a name or an id resolved to: one id, or an error's code and message."""

    id: int | None
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Predicate:
    id: int
    slug: str
    label: str
    value_type: str


def _describe(row: tuple[Any, ...]) -> str:
    _, pk, name, kind = row
    return f"{name} ({kind}, id {pk})" if kind else f"{name} (id {pk})"


class Resolver:
    """Resolves batch after batch, remembering what it found (a sheet names the same few
    places and parties on every row)."""

    def __init__(self) -> None:
        self._entities: dict[Any, Named] = {}
        self._parties: dict[Any, Named] = {}
        self._predicates: dict[str, Predicate] | None = None
        self._sources: dict[Any, int | None] = {}

    # --- Entities and parties -------------------------------------------------------

    def _resolve(self, keys: Iterable[Key], known: dict[Any, Named], *, table: str, noun: str) -> None:
        ids = {key.id for key in keys if key.id is not None and key.id not in known}
        names = {key.name for key in keys if key.name is not None and key.name not in known}
        if ids:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s)", [sorted(ids)])  # noqa: S608 - constant
                found = {row[0] for row in cursor.fetchall()}
            for pk in ids:
                message = f'Invalid pk "{pk}" - object does not exist.'
                known[pk] = Named(pk) if pk in found else Named(None, "does_not_exist", message)
        if not names:
            return
        by_name: dict[str, list[tuple[Any, ...]]] = {name: [] for name in names}
        with connection.cursor() as cursor:
            if len(names) > MANY_NAMES:
                kind = "kind" if table == "claims_entity" else "NULL"
                kind_t = "t.kind" if table == "claims_entity" else "NULL"
                cursor.execute(_ALL_NAMED.format(kind=kind, kind_t=kind_t, table=table), [sorted(names)])
            else:
                cursor.execute(_ENTITIES_NAMED if table == "claims_entity" else _PARTIES_NAMED, [sorted(names)])
            for row in cursor.fetchall():
                if len(by_name[row[0]]) <= CANDIDATES:
                    by_name[row[0]].append(row)
        for name, rows in by_name.items():
            if len(rows) == 1:
                known[name] = Named(rows[0][1])
            elif rows:
                listed = ", ".join(_describe(row) for row in rows[:CANDIDATES])
                more = " and more" if len(rows) > CANDIDATES else ""
                message = f'"{name}" names more than one {noun}: {listed}{more}. Give the id of the one you mean.'
                known[name] = Named(None, "ambiguous_name", message)
            else:
                known[name] = Named(None, "unknown_name", self._unknown(name, table=table, noun=noun))

    def _unknown(self, name: str, *, table: str, noun: str) -> str:
        message = f'No {noun} is named "{name}" (ignoring case and accents).'
        with connection.cursor() as cursor:
            kind = "kind" if table == "claims_entity" else "NULL"
            cursor.execute(_SUGGESTIONS.format(kind=kind, table=table), {"text": name})
            close = [_describe((None, *row)) for row in cursor.fetchall()]
        if close:
            message += f" Close names: {', '.join(close)}. Give one of these names or ids."
        return message

    def predicates(self) -> dict[str, Predicate]:
        if self._predicates is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT id, slug, label, value_type FROM claims_predicate")
                self._predicates = {row[1]: Predicate(*row) for row in cursor.fetchall()}
        return self._predicates

    # --- Sources ----------------------------------------------------------------------

    def _resolve_sources(self, rows: Sequence[ClaimRow]) -> None:
        ids, urls = set(), set()
        for row in rows:
            for appearance in row.appearances:
                if appearance.source_id is not None and appearance.source_id not in self._sources:
                    ids.add(appearance.source_id)
                elif appearance.url is not None and appearance.url not in self._sources:
                    urls.add(appearance.url)
        if not ids and not urls:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, url FROM sources_source WHERE id = ANY(%s) OR url = ANY(%s)", [sorted(ids), sorted(urls)]
            )
            found = cursor.fetchall()
        for pk, url in found:
            self._sources[pk] = pk
            if url is not None:
                self._sources[url] = pk
        for key in ids | urls:
            self._sources.setdefault(key, None)  # an unknown id is an error; an unknown URL a new source

    # --- A batch ----------------------------------------------------------------------

    def resolve(self, rows: Sequence[ClaimRow]) -> list[RowError]:
        """Resolve every name, id and URL of ``rows`` in place (each ``Key`` gets its id,
        each appearance given by a known URL its source id) and check each value against
        its predicate's value type. Returns the errors, naming row and field."""
        entity_keys = [row.subject for row in rows] + [row.object_entity for row in rows if row.object_entity]
        self._resolve(entity_keys, self._entities, table="claims_entity", noun="entity")
        self._resolve([row.asserted_by for row in rows], self._parties, table="sources_party", noun="party")
        self._resolve_sources(rows)
        predicates = self.predicates()
        errors: list[RowError] = []
        for row in rows:
            for name, key, known in (("subject", row.subject, self._entities),
                                     ("object_entity", row.object_entity, self._entities),
                                     ("asserted_by", row.asserted_by, self._parties)):  # fmt: skip
                if key is None:
                    continue
                named = known[key.id if key.id is not None else key.name]
                if named.id is None:
                    errors.append(RowError(row.number, name, named.code, named.message))
                else:
                    key.id = named.id
            predicate = predicates.get(row.predicate)
            if predicate is None:
                listed = ", ".join(sorted(predicates))
                message = f'No predicate has the slug "{row.predicate}". The predicates are: {listed}.'
                errors.append(RowError(row.number, "predicate", "does_not_exist", message))
            else:
                row.predicate_id, row.value_type = predicate.id, predicate.value_type
                errors.extend(value_errors(row, predicate))
            errors.extend(self._appearance_errors(row))
        return errors

    def name_errors(self, named: Sequence[tuple[int, str, Key]]) -> list[RowError]:
        """The errors of names given on rows that could not be read whole (``(row, field,
        key)``), so that a row's unknown place is reported with its other errors."""
        entities = [key for _, field, key in named if field != "asserted_by"]
        self._resolve(entities, self._entities, table="claims_entity", noun="entity")
        self._resolve([key for _, field, key in named if field == "asserted_by"], self._parties,
                      table="sources_party", noun="party")  # fmt: skip
        errors = []
        for number, field, key in named:
            known = self._parties if field == "asserted_by" else self._entities
            found = known[key.id if key.id is not None else key.name]
            if found.id is None:
                errors.append(RowError(number, field, found.code, found.message))
        return errors

    def _appearance_errors(self, row: ClaimRow) -> list[RowError]:
        errors = []
        seen: set[tuple[int, str]] = set()
        for appearance in row.appearances:
            field = appearance.label
            if appearance.source_id is not None:
                if self._sources.get(appearance.source_id) is None:
                    message = f'Invalid pk "{appearance.source_id}" - object does not exist.'
                    errors.append(RowError(row.number, field, "does_not_exist", message))
                    continue
            elif appearance.url is not None:
                appearance.source_id = self._sources.get(appearance.url)
            if appearance.source_id is not None:
                if (appearance.source_id, appearance.role) in seen:  # by its id and by its URL
                    message = "This source is already linked to the claim in this role."
                    errors.append(RowError(row.number, field, "duplicate", message))
                seen.add((appearance.source_id, appearance.role))
        return errors


_VALUE_LABEL = {"entity": "an entity", "quantity": "a quantity", "text": "a text value", "none": "no value"}
_VALUE_FIELD = {"entity": "object_entity", "quantity": "quantity_best", "text": "text_value"}


def value_errors(row: ClaimRow, predicate: Predicate) -> list[RowError]:
    """The row's value against its predicate's value type, worded as a single claim's
    (``claims.services.claim_validate``)."""
    given = {
        "entity": row.object_entity is not None,
        "quantity": row.quantity_best is not None,
        "text": bool(row.text_value),
    }
    expected = predicate.value_type
    errors = [
        RowError(row.number, _VALUE_FIELD[kind], "invalid",
                 f'"{predicate.label}" takes {_VALUE_LABEL[expected]}, not {_VALUE_LABEL[kind]}.')
        for kind, present in given.items() if present and kind != expected
    ]  # fmt: skip
    if expected in _VALUE_FIELD and not given[expected]:
        message = f'"{predicate.label}" needs {_VALUE_LABEL[expected]}.'
        errors.append(RowError(row.number, _VALUE_FIELD[expected], "required", message))
    return errors
