"""The benchmarks' data: a database of their own, and synthetic claims in it.

bench/contradictions.py and bench/api.py both measure against the claims ``generate``
writes; bench/api.py then adds the sources, excerpts and contradictions its endpoints
serve. Each benchmark works in its own database (``bench_database``), on the server of
``DATABASE_URL``, and leaves it there for a rerun.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from project.database_url import on_same_server

SIDES = ["Azerbaijan", "Armenia", "Russia", "Turkey"]
OUTLETS = ["Wire A", "Wire B", "Daily C", "Channel D", "Blog E", "Outlet F"]
# slug, share of the claims: the starter vocabulary.
PREDICATE_SHARES = [
    ("controlled-by", 0.30),
    ("captured-by", 0.10),
    ("present-near", 0.14),
    ("advance-reached", 0.06),
    ("casualties", 0.16),
    ("settlements-lost", 0.06),
    ("losses", 0.06),
    ("collapsing", 0.05),
    ("attack-repelled", 0.04),
    ("ceasefire-in-force", 0.03),
]


def bench_database(name: str | None, *, benchmark: str) -> str:
    """The URL of the benchmark's database on the server of ``DATABASE_URL``, created if
    missing: ``name``, or by default DATABASE_URL's database name + ``_bench_<benchmark>``
    (so that the two benchmarks never overwrite each other's data)."""
    import psycopg2

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server; the benchmark makes its own database there.")
    parts = urlsplit(url)
    name = name or f"{parts.path.lstrip('/') or 'claimwatch'}_bench_{benchmark}"
    server = psycopg2.connect(on_same_server(url, "postgres"))
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", flush=True)
    server.close()
    return on_same_server(url, name)


def generate(cursor: Any, *, claims: int, seed: float = 0.42) -> dict[str, Any]:
    """Empty the claim tables and fill them with ``claims`` synthetic claims, in SQL.

    Loading runs with ``session_replication_role = replica``: the history, change-feed and
    status-guard triggers are skipped, because this measures the engine, not the loading.
    The data is consistent all the same: foreign keys point at real rows, and each claim's
    status is its latest verdict.
    """
    subjects = max(10, claims // 12)  # about 12 claims a place, also in a tiny run
    places = 500
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        "TRUNCATE claims_contradiction, claims_contradictionevent, claims_verdictevidence, claims_verdict, "
        "claims_claimsource, claims_claim, claims_claimevent, claims_scanrun CASCADE"
    )
    cursor.execute("DELETE FROM claims_entity WHERE name LIKE 'Bench %%'")
    cursor.execute("DELETE FROM sources_party WHERE name LIKE 'Bench %%'")
    cursor.execute("SELECT setseed(%s)", [seed])
    # Parties: each side has a government, a ministry, a leader and an outlet; and there
    # are independent outlets. ``side`` is the government a party speaks for.
    cursor.execute(
        """
        CREATE TEMP TABLE bench_party ON COMMIT DROP AS
        WITH sides AS (
            INSERT INTO sources_party (name, kind, aliases, same_as, reliability, description, created_at, updated_at)
            SELECT 'Bench ' || s, 'state', '{}', '', 'F', '', now(), now() FROM unnest(%s::text[]) s
            RETURNING id, name
        ), members AS (
            INSERT INTO sources_party (name, kind, parent_id, aliases, same_as, reliability, description,
                                       created_at, updated_at)
            SELECT sides.name || ' ' || m, 'official', sides.id, '{}', '', 'F', '', now(), now()
            FROM sides CROSS JOIN unnest(ARRAY['ministry', 'leader', 'outlet']) m
            RETURNING id, parent_id
        ), outlets AS (
            INSERT INTO sources_party (name, kind, aliases, same_as, reliability, description, created_at, updated_at)
            SELECT 'Bench ' || o, 'media', '{}', '', 'C', '', now(), now() FROM unnest(%s::text[]) o
            RETURNING id
        )
        SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, side FROM (
            SELECT id, id AS side FROM sides
            UNION ALL SELECT id, parent_id FROM members
            UNION ALL SELECT id, NULL FROM outlets
        ) p
        """,
        [SIDES, OUTLETS],
    )
    # One organisation per side: the values of "controlled by" and "captured by".
    cursor.execute(
        """
        CREATE TEMP TABLE bench_side ON COMMIT DROP AS
        WITH e AS (
            INSERT INTO claims_entity (name, kind, aliases, same_as, description, created_at, updated_at)
            SELECT 'Bench ' || s, 'organisation', '{}', '', '', now(), now() FROM unnest(%s::text[]) s
            RETURNING id, name
        )
        SELECT row_number() OVER (ORDER BY e.id) - 1 AS n, e.id AS entity_id, p.id AS party_id
        FROM e JOIN sources_party p ON p.name = e.name
        """,
        [SIDES],
    )
    cursor.execute(
        """
        INSERT INTO claims_entity (name, kind, aliases, same_as, description, created_at, updated_at)
        SELECT 'Bench place ' || g, 'place', '{}', '', '', now(), now() FROM generate_series(1, %s) g
        """,
        [subjects + places],
    )
    cursor.execute("SELECT min(id) FROM claims_entity WHERE name LIKE 'Bench place %%'")
    first_place = cursor.fetchone()[0]
    bounds, total = [], 0.0
    for _, share in PREDICATE_SHARES:
        total += share
        bounds.append(round(total, 4))
    bounds[-1] = 1.0
    cursor.execute(
        """
        CREATE TEMP TABLE bench_predicate ON COMMIT DROP AS
        SELECT p.id, p.slug, p.value_type, b.upper_bound,
               coalesce(lag(b.upper_bound) OVER (ORDER BY b.ord), 0) AS lower_bound
        FROM unnest(%s::text[], %s::float8[]) WITH ORDINALITY AS b(slug, upper_bound, ord)
        JOIN claims_predicate p ON p.slug = b.slug
        """,
        [[slug for slug, _ in PREDICATE_SHARES], bounds],
    )
    cursor.execute("SELECT count(*) FROM bench_party")
    parties = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO claims_claim (
            subject_id, predicate_id, value_type, object_entity_id, quantity_low, quantity_best,
            quantity_high, text_value, polarity, valid_from, valid_from_precision, valid_until,
            valid_until_precision, asserted_by_id, asserted_at, statement, quote, hedge, credibility,
            status, review_state, retracted_at, retraction_reason, created_at, updated_at)
        SELECT
            r.subject_id, p.id, p.value_type,
            CASE p.value_type WHEN 'entity' THEN
                CASE WHEN p.slug IN ('controlled-by', 'captured-by') THEN
                    -- A party names its own side three times in four; outlets pick any side.
                    (SELECT entity_id FROM bench_side s
                     WHERE s.n = CASE WHEN r.r_value < 0.75 AND pa.side IS NOT NULL
                                      THEN (SELECT n FROM bench_side WHERE party_id = pa.side)
                                      ELSE floor(r.r_value2 * 4)::int END)
                ELSE %(first_place)s + %(subjects)s + floor(r.r_value * r.r_value * %(places)s)::int END
            END,
            CASE WHEN p.value_type = 'quantity' THEN round(r.best * (1 - 0.2 * r.r_value2)) END,
            CASE WHEN p.value_type = 'quantity' THEN r.best END,
            CASE WHEN p.value_type = 'quantity' THEN round(r.best * (1 + 0.3 * r.r_value)) END,
            CASE WHEN p.value_type = 'text'
                THEN (ARRAY['heavy', 'light', 'moderate', 'none'])[1 + floor(r.r_value * 4)::int] ELSE '' END,
            CASE WHEN r.r_polarity < 0.15 THEN 'denies' ELSE 'affirms' END,
            r.day, r.precision, r.until, r.precision,
            pa.id, r.day + time '12:00', 'Bench claim ' || r.g, '', 'stated', 3,
            'unrated', 'new',
            CASE WHEN r.r_retract < 0.01 THEN now() END,
            CASE WHEN r.r_retract < 0.01 THEN 'withdrawn' ELSE '' END,
            now(), now()
        FROM (
            SELECT g, subject_id, r_predicate, r_value, r_value2, r_polarity, r_retract, r_party,
                   CASE WHEN kind < 0.10 THEN date_trunc('month', d)::date
                        WHEN kind < 0.13 THEN date_trunc('year', d)::date ELSE d END AS day,
                   CASE WHEN kind < 0.10 THEN 'month' WHEN kind < 0.13 THEN 'year' ELSE 'day' END AS precision,
                   CASE WHEN kind < 0.10 THEN date_trunc('month', d)::date             -- a month
                        WHEN kind < 0.13 THEN date_trunc('year', d)::date              -- a year
                        WHEN kind < 0.58 THEN d                                        -- one day
                        WHEN kind < 0.85 THEN d + (1 + floor(random() * 30))::int      -- days to weeks
                        ELSE NULL END AS until,                                       -- open-ended
                   greatest(1, floor(exp(random() * 6)))::numeric AS best
            FROM (
                SELECT g, subject_id, random() AS r_predicate, random() AS r_value, random() AS r_value2,
                       random() AS r_polarity, random() AS r_retract, random() AS r_party, random() AS kind,
                       -- A place is in the news for a few months: its claims bunch up in time.
                       date '2020-01-01' + ((subject_id * 7919) %% 1300)::int + floor(random() * 150)::int AS d
                FROM (
                    -- Skewed: a few places get hundreds of claims, most get a handful.
                    SELECT g, %(first_place)s + floor(%(subjects)s * power(random(), 1.6))::bigint AS subject_id
                    FROM generate_series(1, %(claims)s) g
                ) s
            ) t
        ) r
        JOIN bench_predicate p ON r.r_predicate >= p.lower_bound AND r.r_predicate < p.upper_bound
        JOIN bench_party pa ON pa.n = floor(r.r_party * %(parties)s)::int
        """,
        {"first_place": first_place, "subjects": subjects, "places": places, "claims": claims, "parties": parties},
    )
    # Verdicts on 3% of the claims, so that resolution and integrity alerts have work.
    cursor.execute(
        """
        INSERT INTO auth_user (username, password, is_superuser, first_name, last_name, email, is_staff,
                               is_active, date_joined)
        VALUES ('bench-reviewer', '!', false, '', '', '', false, false, now())
        ON CONFLICT (username) DO NOTHING
        """
    )
    cursor.execute(
        """
        WITH v AS (
            INSERT INTO claims_verdict (claim_id, rating, rationale, reviewer_id, recorded_at)
            SELECT c.id, (ARRAY['true', 'false', 'mostly_true', 'unproven'])[1 + floor(random() * 4)::int],
                   'bench', (SELECT id FROM auth_user WHERE username = 'bench-reviewer'), now()
            FROM claims_claim c WHERE random() < 0.03
            RETURNING id, claim_id, rating
        )
        UPDATE claims_claim c SET status = v.rating, current_verdict_id = v.id, review_state = 'decided'
        FROM v WHERE c.id = v.claim_id
        """
    )
    cursor.execute("DROP TABLE bench_party, bench_side, bench_predicate")
    appearances = _appearances(cursor, claims=claims)
    cursor.execute("SET session_replication_role = DEFAULT")
    # The triggers were off: the ledger of claim counts by party is made again from the claims.
    from claims.sql import PARTY_CLAIM_COUNTS_REBUILD

    cursor.execute(PARTY_CLAIM_COUNTS_REBUILD)
    cursor.execute(
        """
        SELECT count(*), count(DISTINCT subject_id), avg((polarity = 'denies')::int), avg((valid_until IS NULL)::int)
        FROM claims_claim
        """
    )
    total, distinct_subjects, denials, open_ended = cursor.fetchone()
    cursor.execute(
        "SELECT count(*), max(n) FROM (SELECT count(*) AS n FROM claims_claim GROUP BY subject_id, predicate_id) g"
    )
    groups, largest = cursor.fetchone()
    return {
        "claims": total,
        "subjects": distinct_subjects,
        "groups": groups,
        "largest_group": largest,
        "parties": parties,
        "denials": float(denials),
        "open_ended": float(open_ended),
        "appearances": appearances,
    }


def _appearances(cursor: Any, *, claims: int) -> int:
    """Sources, and every claim's appearances in them: each claim in its party's own
    statement, and a third of them also in a report (as a real record has them: the
    engine reads them for each flag's confidence, and the reader and API show them).
    Returns how many appearances there are."""
    cursor.execute("DELETE FROM sources_source WHERE title LIKE 'Bench source %%'")
    cursor.execute(
        """
        INSERT INTO sources_source (kind, url, title, publisher_id, author, language, published_at,
                                    published_precision, archive_url, content_hash, created_at, updated_at)
        SELECT 'article', 'https://bench.example.org/report-' || g, 'Bench source ' || g,
               (SELECT id FROM sources_party WHERE name LIKE 'Bench %%' ORDER BY id LIMIT 1),
               '', 'en', timestamptz '2020-01-01' + g * interval '1 hour', 'day', '', '', now(), now()
        FROM generate_series(1, greatest(100, %s / 10)) g
        """,
        [claims],
    )
    cursor.execute("SELECT min(id), max(id) FROM sources_source WHERE title LIKE 'Bench source %%'")
    first, last = cursor.fetchone()
    cursor.execute(
        """
        INSERT INTO claims_claimsource (claim_id, source_id, role, excerpt, locator)
        SELECT c.id, %s + (c.id * 7 + k) %% (%s - %s + 1), (ARRAY['original', 'report'])[k],
               'Excerpt ' || k || ' of claim ' || c.id || ': "' || c.statement || '", as reported.', '¶' || k
        FROM claims_claim c CROSS JOIN generate_series(1, 2) k
        WHERE k = 1 OR c.id %% 3 = 0
        """,
        [first, last, first],
    )
    appearances = int(cursor.rowcount)
    # The triggers that keep each claim's own_statement are off: it is made from the appearances.
    from claims.sql import CLAIM_OWN_STATEMENT_REBUILD

    cursor.execute(CLAIM_OWN_STATEMENT_REBUILD)
    return appearances
