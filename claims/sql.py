"""The SQL the models are built from: trigger bodies, generated-column expressions.

One home for the SQL that lives in the database rather than in a query: the models name
these constants (``pgtrigger.Trigger(func=...)``, ``RawSQLExpression.sql``) and the
migrations hold what they compiled to. Editing a trigger body here changes the model, so
``makemigrations`` then writes the migration that installs it. The SQL functions the engine
calls (``cw_fold``, ``cw_period_phrase``, ``cw_quantity_phrase``) are created by the
migrations that introduced them (0001, 0006); the party-side function by ``sources.sql``.

The texts are kept byte for byte as the migrations have them (their odd indentation is
the models' former nesting), so moving them here changed no migration.
"""

from __future__ import annotations

# --- Generated columns (claims.models.expressions) -------------------------------------

# ``Claim.period``: the half-open date range a claim is about, widened to the precision of
# each bound. Immutable functions only, so it can be a stored generated column.
CLAIM_PERIOD = """daterange(
            CASE valid_from_precision
                WHEN 'year' THEN date_trunc('year', valid_from::timestamp)::date
                WHEN 'month' THEN date_trunc('month', valid_from::timestamp)::date
                ELSE valid_from END,
            CASE
                WHEN valid_until IS NULL THEN NULL
                WHEN valid_until_precision = 'year'
                    THEN (date_trunc('year', valid_until::timestamp) + interval '1 year')::date
                WHEN valid_until_precision = 'month'
                    THEN (date_trunc('month', valid_until::timestamp) + interval '1 month')::date
                ELSE valid_until + 1 END,
            '[)')"""


# ``Claim.settling_verdict_id`` and ``Claim.alert_verdict_id``: the claim's current verdict
# if it rates the claim ``rating`` (false: it settles the claim's flags; true: two claims
# flagged together both rated true raise the integrity alert), else NULL. What the
# contradiction engine reads of a claim's verdict beside each pair.
def verdict_rating(rating: str) -> str:
    return f"CASE WHEN status = '{rating}' THEN current_verdict_id END"


# ``Claim.search_vector``: the full-text document over the statement and the quote.
CLAIM_SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(statement, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(quote, '')), 'B')"
)

# --- Claims and verdicts (claims.models.claim, claims.models.verdict) ------------------

# Constraint trigger on claims: the status is the latest verdict's rating; any write that
# makes the two disagree is refused.
CLAIM_STATUS_IS_LATEST_VERDICT = """
                    DECLARE latest_id bigint; latest_rating text;
                    BEGIN
                        SELECT id, rating INTO latest_id, latest_rating FROM claims_verdict
                        WHERE claim_id = NEW.id ORDER BY recorded_at DESC, id DESC LIMIT 1;
                        IF NEW.status IS DISTINCT FROM coalesce(latest_rating, 'unrated')
                           OR NEW.current_verdict_id IS DISTINCT FROM latest_id THEN
                            -- A check that spans two tables, so it reports as a CHECK violation.
                            RAISE EXCEPTION 'a claim''s status is its latest verdict (%): record a verdict instead',
                                coalesce(latest_rating, 'unrated')
                                USING ERRCODE = 'check_violation';
                        END IF;
                        RETURN NULL;
                    END;
                """

# Verdicts are append-only: the only change allowed is publishing one, once.
VERDICT_APPEND_ONLY = """
                    DECLARE unpublished claims_verdict;
                    BEGIN
                        unpublished := NEW;
                        unpublished.published_at := OLD.published_at;
                        IF unpublished IS DISTINCT FROM OLD OR OLD.published_at IS NOT NULL THEN
                            RAISE EXCEPTION 'verdicts are append-only: record a new verdict instead'
                                USING ERRCODE = 'integrity_constraint_violation';
                        END IF;
                        RETURN NEW;
                    END;
                """

# A new verdict sets its claim's status: the one place that writes it.
VERDICT_SETS_CLAIM_STATUS = """
                    UPDATE claims_claim c
                    SET status = v.rating, current_verdict_id = v.id, review_state = 'decided',
                        updated_at = now()
                    FROM (
                        SELECT id, rating FROM claims_verdict
                        WHERE claim_id = NEW.claim_id
                        ORDER BY recorded_at DESC, id DESC LIMIT 1
                    ) v
                    WHERE c.id = NEW.claim_id AND c.current_verdict_id IS DISTINCT FROM v.id;
                    RETURN NULL;
                """

# --- The change feed (claims.models.changes) -------------------------------------------


def record_change(claim_ids: str, kinds: str) -> str:
    """SQL that records ``kinds`` (a text[] expression) for the claims ``claim_ids`` (a
    bigint[] expression) in the current transaction's change-feed rows. Both are fixed SQL
    written in this module, never input."""
    return record_changes(f"claims_claim c WHERE c.id = ANY({claim_ids})", kinds)


def record_changes(claims: str, kinds: str) -> str:
    """SQL that records ``kinds`` for each claim ``c`` of ``claims`` (a FROM clause naming
    claims once each, as ``c`` with the claim's columns), in one statement however many."""
    return f"""
        INSERT INTO claims_claimchange (xid, claim_id, changes, status, retracted, changed_at)
        SELECT pg_current_xact_id()::text::bigint, c.id, {kinds}, c.status, c.retracted_at IS NOT NULL, now()
        FROM {claims}
        ON CONFLICT ON CONSTRAINT claimchange_xid_claim_unique DO UPDATE SET
            changes = ARRAY(SELECT DISTINCT k FROM unnest(claims_claimchange.changes || EXCLUDED.changes) k ORDER BY k),
            status = EXCLUDED.status,
            retracted = EXCLUDED.retracted;
    """  # noqa: S608


CLAIM_CHANGE_FEED = f"""
            DECLARE
                kinds text[] := '{{}}';
                -- Columns kept by triggers or derived from others; their own kinds cover them.
                derived text[] := ARRAY['updated_at', 'status', 'current_verdict_id', 'review_state',
                                        'retracted_at', 'retraction_reason', 'search_vector', 'period',
                                        'own_statement', 'doubt_points', 'settling_verdict_id',
                                        'alert_verdict_id'];
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    IF NEW.current_verdict_id IS DISTINCT FROM OLD.current_verdict_id
                       OR NEW.status IS DISTINCT FROM OLD.status THEN
                        kinds := kinds || 'verdict'::text;
                    END IF;
                    IF NEW.retracted_at IS DISTINCT FROM OLD.retracted_at THEN
                        kinds := kinds || 'retracted'::text;
                    END IF;
                    IF (to_jsonb(NEW) - derived) IS DISTINCT FROM (to_jsonb(OLD) - derived) THEN
                        kinds := kinds || 'content'::text;
                    END IF;
                END IF;
                IF cardinality(kinds) > 0 THEN
                    {record_change("ARRAY[NEW.id]", "kinds")}
                END IF;
                RETURN NULL;
            END;
        """

# New claims and new appearances, once per statement from its transition table ``new_rows``
# (a bulk import inserts a million rows in one statement; a row trigger would run a million
# upserts).
CLAIM_CREATED_CHANGE_FEED = f"""
            BEGIN
                {record_changes("new_rows c", "ARRAY['created']")}
                RETURN NULL;
            END;
        """
CLAIMSOURCE_CREATED_CHANGE_FEED = f"""
            BEGIN
                {record_changes("claims_claim c WHERE c.id IN (SELECT claim_id FROM new_rows)", "ARRAY['sources']")}
                RETURN NULL;
            END;
        """  # noqa: S608 - constant fragments

CLAIMSOURCE_CHANGE_FEED = f"""
            DECLARE ids bigint[] := '{{}}';
            BEGIN
                IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
                    RETURN NULL;
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    ids := ids || NEW.claim_id;
                END IF;
                IF TG_OP = 'DELETE' OR OLD.claim_id IS DISTINCT FROM NEW.claim_id THEN
                    ids := ids || OLD.claim_id;
                END IF;
                {record_change("ids", "ARRAY['sources']")}
                RETURN NULL;
            END;
        """

VERDICT_CHANGE_FEED = f"""
            DECLARE kinds text[] := '{{}}';
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    kinds := ARRAY['verdict'];
                END IF;
                IF NEW.published_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.published_at IS NULL) THEN
                    kinds := kinds || 'published'::text;
                END IF;
                IF cardinality(kinds) > 0 THEN
                    {record_change("ARRAY[NEW.claim_id]", "kinds")}
                END IF;
                RETURN NULL;
            END;
        """

# --- Claim counts by party (claims.models.counts.PartyClaimCount) -----------------------

# What a statement changed in the counts: +1 for each claim now in a (party, status), -1
# for each claim that was in one before the statement ("old_rows", "new_rows": its
# transition tables; an insert has no old rows, a delete no new ones). Claims an update
# left where they were cancel out and write nothing.
_PARTY_CLAIM_COUNTS_DELTA = """
            INSERT INTO claims_partyclaimcount (party_id, status, claims, retracted)
            SELECT party_id, status, sum(claims), sum(retracted) FROM (
                {rows}
            ) d
            GROUP BY party_id, status HAVING sum(claims) <> 0 OR sum(retracted) <> 0;
            RETURN NULL;"""
_NEW = (
    "SELECT asserted_by_id AS party_id, status, 1 AS claims, (retracted_at IS NOT NULL)::int AS retracted FROM new_rows"
)
_OLD = (
    "SELECT asserted_by_id AS party_id, status, -1 AS claims, -(retracted_at IS NOT NULL)::int AS retracted "
    "FROM old_rows"
)
PARTY_CLAIM_COUNTS_INSERTED = _PARTY_CLAIM_COUNTS_DELTA.format(rows=_NEW)
PARTY_CLAIM_COUNTS_UPDATED = _PARTY_CLAIM_COUNTS_DELTA.format(rows=f"{_NEW} UNION ALL {_OLD}")
PARTY_CLAIM_COUNTS_DELETED = _PARTY_CLAIM_COUNTS_DELTA.format(rows=_OLD)

# The ledger folded into one row per (party, status). Rows appended by transactions that
# commit meanwhile are not in this statement's snapshot, so they stay as they are.
PARTY_CLAIM_COUNTS_FOLD = """
WITH folded AS (
    DELETE FROM claims_partyclaimcount RETURNING party_id, status, claims, retracted
)
INSERT INTO claims_partyclaimcount (party_id, status, claims, retracted)
SELECT party_id, status, sum(claims), sum(retracted) FROM folded
GROUP BY party_id, status HAVING sum(claims) <> 0 OR sum(retracted) <> 0"""

# The ledger made again from the claims (after writes that bypassed the triggers, such as
# a load with session_replication_role = replica); claim writes wait meanwhile.
PARTY_CLAIM_COUNTS_REBUILD = """
LOCK TABLE claims_claim IN SHARE MODE;
DELETE FROM claims_partyclaimcount;
INSERT INTO claims_partyclaimcount (party_id, status, claims, retracted)
SELECT asserted_by_id, status, count(*), count(retracted_at) FROM claims_claim GROUP BY asserted_by_id, status"""


def own_statement_of(role: str) -> str:
    """The aggregate over a claim's appearances (their ``role`` column) that gives its
    ``own_statement``: true if one is the party's own statement (``ClaimSource.Role.ORIGINAL``),
    false if none is, NULL over no appearance."""
    return f"bool_or({role} = 'original')"


# ``Claim.own_statement``, kept from the claim's appearances by statement-level triggers on
# claims_claimsource: true if one is the party's own statement (role ``original``), false
# if there are only others' reports, NULL if there is none. ``{claims}`` selects the ids of
# the claims a statement touched, from its transition tables. Only claims whose value
# changes are written (a bulk import writes it with the claims, so then none is).
CLAIM_OWN_STATEMENT = f"""
            BEGIN
                UPDATE claims_claim c SET own_statement = o.own
                FROM (
                    SELECT t.claim_id, s.own
                    FROM ({{claims}}) t
                    CROSS JOIN LATERAL (
                        SELECT {own_statement_of("s.role")} AS own FROM claims_claimsource s WHERE s.claim_id = t.claim_id
                    ) s
                ) o
                WHERE c.id = o.claim_id AND c.own_statement IS DISTINCT FROM o.own;
                RETURN NULL;
            END;
        """  # noqa: S608 - constant fragments

# A claim update from anywhere but the appearances' trigger (which runs one level down)
# keeps the stored own_statement.
CLAIM_OWN_STATEMENT_KEPT = """
            BEGIN
                IF pg_trigger_depth() < 2 THEN
                    NEW.own_statement := OLD.own_statement;
                END IF;
                RETURN NEW;
            END;
        """

# Every claim's ``own_statement`` from its appearances, for loads that bypass the triggers
# (``bench/generate.py``; migration 0027 ran the same).
CLAIM_OWN_STATEMENT_REBUILD = f"""
UPDATE claims_claim c SET own_statement = o.own
FROM (SELECT claim_id, {own_statement_of("role")} AS own FROM claims_claimsource GROUP BY claim_id) o
WHERE c.id = o.claim_id AND c.own_statement IS DISTINCT FROM o.own
"""  # noqa: S608 - constant fragments
