"""The contradiction engine: the rules, the incremental check and the full scan.

**The rules** (``DESIGN.md``, "Contradiction rules"). Two live claims are compared only when
they share a subject and a predicate and their periods overlap (``period && period``; the
stored period is half-open and widened to the precision of each bound, so touching periods
do not overlap, a month covers the month and an empty end is open-ended). Then:

- *negation*: the same value with opposite polarity;
- *conflicting value*: a single-valued predicate affirmed with different values (entity or
  text; text compared accent- and case-insensitively);
- *quantity mismatch*: two affirmed quantities whose ranges (low..high) do not overlap.

Each rule is one entry of ``claims.rules.RULES``, from which the SQL below is generated. A
pair matches at most one rule (negation needs opposite polarities, the other two need both
claims to affirm and take different value types), as ``claims.rules`` states and checks.
A *verdict conflict* (both claims rated true) is an integrity alert on the pair's flag,
not a fourth kind: see ``claims.models.Contradiction``.

**State is derived, not accumulated.** The same SQL (``PLAN``, then ``APPLY``) compares
what the rules find now with the stored flags and moves each flag to where it belongs (the
moves are stated once, in ``claims.models.ContradictionLifecycle``, and generated from it):

- a new pair opens a flag (or a resolved one, if a verdict already settles it);
- a flag whose rule no longer holds (an edit, a retraction) is closed, with the reason;
- a closed flag whose rule holds again reopens: the same row, never a duplicate;
- an open or confirmed flag is resolved while one of its claims is rated false, naming
  that verdict, and reopens if that verdict is superseded;
- a dismissed flag stays dismissed;
- the verdict-conflict alert is raised while both claims are rated true and cleared after.

Because every run computes the same target from the same data, running it twice changes
nothing (idempotent), a run killed half-way leaves nothing behind (one transaction), and
the incremental check and the full scan agree by construction: they run the same SQL,
over one claim's pairs (one prepared statement, ``RECONCILE_CLAIM``) or over all of them
(``PLAN_ALL`` finds the pairs with a parallel hash self-join and keeps only the flags that
change, usually none; ``APPLY_ALL`` writes those).

**Concurrency.** The pair is unique in the table and inserts use ``ON CONFLICT DO NOTHING``,
so two writers can never make two rows for one pair. An update applies only if the row is
unchanged since it was read (``xmin``), so a reviewer's dismissal is never overwritten by
a run that read the flag before it. Incremental checks serialise per (subject, predicate)
group with transaction advisory locks, so two checks of the same group cannot interleave
their reads and writes; the full scan holds the engine lock exclusively (checks hold it
shared, so they wait for a scan and run after it, on fresh data), and a session lock lets
only one scan run at a time. A split scan's parts hold the engine lock shared too, and
the locks of their own buckets (hash ranges of the subjects' topmost places) exclusively;
a check takes its claim's bucket locks shared, so it waits only for the part covering it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pghistory
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from claims.models import Contradiction, ScanRun, Verdict
from claims.models.claim import SETTLING_RATING
from claims.models.contradiction import states_sql
from claims.rules import (
    CONTAINMENT_DOUBT,
    by_kind_sql,
    claim_doubt_sql,
    confidence_label_sql,
    confidence_sql,
    contained_kind_sql,
    doubt_reasons_sql,
    kind_sql,
    party_doubt_sql,
)
from claims.rules import RULE_VERSION as RULE_VERSION  # the engine's, re-exported
from sources.sql import PARTY_SIDE

logger = logging.getLogger(__name__)

# Where each flag moves, and when: ``Contradiction.Lifecycle`` states it; the SQL below uses it.
LIFECYCLE = Contradiction.Lifecycle


# Advisory lock keys. Single-bigint keys for the engine, and (class, hash) pairs for the
# (subject, predicate) groups of the incremental check; PostgreSQL keeps the two key spaces apart.
ENGINE_LOCK = 0x6377_656E_6769_6E65  # "cwengine": a scan holds it exclusively, checks shared
SCAN_LOCK = 0x6377_7363_616E_0001  # one full scan at a time (session lock, tried, not awaited)
GROUP_LOCK_CLASS = 0x6377  # pg_advisory_xact_lock(GROUP_LOCK_CLASS, hashtext('subject:predicate'))
# The split scan (``contradiction_scan_split``): the hash of a subject's topmost place
# (``cw_entity_root``) falls in one of SCAN_BUCKETS ranges; a part of the scan takes its
# ranges' locks (BUCKET_LOCK_CLASS, bucket) exclusively, a claim's check takes those of the
# claims it reads shared. Pairs never cross topmost places (a pair shares a subject, or one
# subject lies within the other), so the parts are independent.
SCAN_BUCKET_BITS = 6
SCAN_BUCKETS = 1 << SCAN_BUCKET_BITS
BUCKET_LOCK_CLASS = 0x6378
SCAN_PART_LOCK = 0x6377_7061_0000_0000  # + parent run * SCAN_BUCKETS + part: one worker per part (session lock)


def bucket_sql(root: str) -> str:
    """The SQL of the hash range (0 .. SCAN_BUCKETS - 1) the topmost place ``root`` is in."""
    return f"((hashint8({root})::bigint + 2147483648) >> {32 - SCAN_BUCKET_BITS})::int"


def part_buckets(part: int, parts: int) -> tuple[int, int]:
    """The first and last bucket of part ``part`` (from 0) of a scan split into ``parts``."""
    return part * SCAN_BUCKETS // parts, (part + 1) * SCAN_BUCKETS // parts - 1


# --- The rules, in SQL ----------------------------------------------------------------
# Over a pair of claims ``a`` and ``b`` (a.id < b.id) with the same subject and predicate
# ``p``, so with the same value type. The rules are the entries of ``claims.rules.RULES``.

_KIND = kind_sql()


# What a found pair's flag depends on, over the pair ``a``, ``b`` and its kind ``k``: of
# each claim, what it keeps for the engine (its row's doubt points and the verdicts that
# settle or alert, stored generated columns), its party and when it last changed. (Not what
# follows from the kind: ``k.kind`` is the rules' CASE, inlined, and would be evaluated
# again for each use.)
#
# First, the columns the pair was matched on (of ``b``, which the self-join hashes). The full
# scan materialises ``found`` (see ``_ALL_SOURCES``), so these stay in its output, and the
# hashed claims keep their columns in the order the output first names them: a probe of
# the hash table then reads (deforms) these few columns, instead of every column before
# them (the varying-length ones included). It was a tenth of the scan's instructions at
# 100k claims.
_PAIR_COLUMNS = """b.subject_id AS matched_subject_id, b.predicate_id AS matched_predicate_id,
       b.period AS matched_period, a.id AS claim_a_id, b.id AS claim_b_id, k.kind,
       a.asserted_by_id AS party_a_id, b.asserted_by_id AS party_b_id,
       least(a.settling_verdict_id, b.settling_verdict_id) AS settled_by_id,
       CASE WHEN a.alert_verdict_id IS NOT NULL AND b.alert_verdict_id IS NOT NULL
            THEN greatest(a.alert_verdict_id, b.alert_verdict_id) END AS alert_by_id,
       greatest(a.updated_at, b.updated_at) AS claims_changed_at,
       a.doubt_points AS doubt_a, b.doubt_points AS doubt_b"""

# The pairs the rules flag now, with what the flag's state depends on. ``{scope}`` narrows
# it to one claim's pairs; the full scan uses ``true``. ``whole_is_a`` is NULL: both claims
# are about the same subject (see CONTAINED_PAIRS).
PAIRS = f"""
SELECT {_PAIR_COLUMNS}, NULL::boolean AS whole_is_a
FROM claims_claim a
JOIN claims_claim b
    ON b.subject_id = a.subject_id AND b.predicate_id = a.predicate_id
   AND b.id > a.id AND b.period && a.period
JOIN claims_predicate p ON p.id = a.predicate_id
CROSS JOIN LATERAL (SELECT {_KIND} AS kind) k
WHERE a.retracted_at IS NULL AND b.retracted_at IS NULL AND k.kind IS NOT NULL AND {{scope}}
"""  # noqa: S608 - constant fragments

# Containment: a claim about a place against a claim about a place within it (``part_of``,
# at any depth), for a predicate that spreads to the parts (``Predicate.spreads_to_parts``)
# and overlapping periods, under the rules that spread (``claims.rules``). ``{candidates}``
# gives (x_id, y_id, x_whole): claim x, claim y about a place within x's subject (x_whole)
# or containing it, same predicate, overlapping periods. ``whole_is_a`` says which claim
# of the stored pair (lower id first) is about the whole.
CONTAINED_PAIRS = f"""
SELECT {_PAIR_COLUMNS}, c.whole_is_a
FROM (
    SELECT DISTINCT least(cand.x_id, cand.y_id) AS a_id, greatest(cand.x_id, cand.y_id) AS b_id,
           cand.x_whole = (cand.x_id < cand.y_id) AS whole_is_a
    FROM ({{candidates}}) cand
) c
JOIN claims_claim a ON a.id = c.a_id
JOIN claims_claim b ON b.id = c.b_id
JOIN claims_predicate p ON p.id = a.predicate_id
CROSS JOIN LATERAL (SELECT {contained_kind_sql()} AS kind) k
WHERE a.retracted_at IS NULL AND b.retracted_at IS NULL AND k.kind IS NOT NULL
"""  # noqa: S608 - constant fragments

# The candidates of the claims ``{scope}`` selects (as ``x``): through the entity functions
# of migration 0018, which walk part_of from the claim's subject by its index, so the cost
# follows the claim's places and candidates, not the table. Each place's claims are read
# by the index, a place at a time: the subquery is parameterised by the place (LATERAL)
# and kept from being merged into the join (OFFSET 0). Joined freely, the planner read
# every claim of the predicate in the period first (it estimates one row for that; 2,700
# a claim at 100k claims, so a 700-claim batch took 66 s), or the whole table by a hash
# join, and asked the walk about each place afterwards.
CLAIM_CONTAINMENT = """
SELECT x.id AS x_id, y.id AS y_id, r.x_whole
FROM claims_claim x
JOIN claims_predicate px ON px.id = x.predicate_id AND px.spreads_to_parts
CROSS JOIN LATERAL (
    SELECT entity_id, true AS x_whole FROM cw_entity_parts(x.subject_id)
    UNION ALL
    SELECT entity_id, false FROM cw_entity_wholes(x.subject_id)
) r
CROSS JOIN LATERAL (
    SELECT y.id FROM claims_claim y
    WHERE y.subject_id = r.entity_id AND y.predicate_id = x.predicate_id AND y.period && x.period
      AND y.retracted_at IS NULL
    OFFSET 0
) y
WHERE x.retracted_at IS NULL AND {scope}
"""  # noqa: S608 - constant fragments

# Every candidate (the full scan, or the part of it ``{scope}`` selects), set-based: every
# (whole, part) pair of places from one recursive walk of part_of, joined with the claims
# about each by hash joins.
ALL_CONTAINMENT = """
SELECT x.id AS x_id, y.id AS y_id, true AS x_whole
FROM (
    WITH RECURSIVE containment(whole_id, part_id, depth) AS (
        SELECT part_of_id, id, 1 FROM claims_entity WHERE part_of_id IS NOT NULL
        UNION
        SELECT c.whole_id, e.id, c.depth + 1
        FROM containment c JOIN claims_entity e ON e.part_of_id = c.part_id WHERE c.depth < 32
    )
    SELECT DISTINCT whole_id, part_id FROM containment WHERE whole_id <> part_id
) r
JOIN claims_predicate px ON px.spreads_to_parts
JOIN claims_claim x ON x.subject_id = r.whole_id AND x.predicate_id = px.id
JOIN claims_claim y ON y.subject_id = r.part_id AND y.predicate_id = px.id AND y.period && x.period
WHERE x.retracted_at IS NULL AND y.retracted_at IS NULL AND {scope}
"""  # noqa: S608 - constant fragments


def _contained(candidates: str) -> str:
    return CONTAINED_PAIRS.format(candidates=candidates)


_RULE_OF_KIND = by_kind_sql("d.kind", "name")

# "Hadrut · controlled by, for overlapping periods from 9 Oct 2020 and on 23 Oct 2020:
# Ilham Aliyev says Azerbaijan; Armenia says not Azerbaijan." The earlier period comes first.


def _value_phrase(claim: str) -> str:
    """What a claim says its subject's predicate is: "Azerbaijan", "not Azerbaijan", "21
    settlements (19–23)", "collapsing". ``claim`` is the claim's SQL alias, ``n`` the names."""
    return f"""CASE WHEN {claim}.polarity = 'denies' THEN 'not ' ELSE '' END || CASE {claim}.value_type
        WHEN 'entity' THEN n.object_{claim}
        WHEN 'quantity' THEN cw_quantity_phrase(
            {claim}.quantity_low, {claim}.quantity_best, {claim}.quantity_high, n.unit)
        WHEN 'text' THEN {claim}.text_value
        ELSE n.predicate END"""


# Through containment: "Both claims concern Zangilan district · controlled by (which holds
# for every place within it) and Aghband, which lies within Zangilan district, for ...:
# Ilham Aliyev says Azerbaijan (of Zangilan district); Armenia says Republic of Artsakh (of Aghband)."
_EXPLANATION = """'Both claims concern ' || CASE WHEN d.whole_is_a IS NULL THEN n.subject || ' · ' || n.predicate
             ELSE ph.whole || ' · ' || n.predicate || ' (which holds for every place within it) and '
                  || ph.part || ', which lies within ' || ph.whole END || ', '
        || CASE WHEN ph.period_a = ph.period_b THEN ph.period_a
                WHEN ph.a_first THEN 'for overlapping periods ' || ph.period_a || ' and ' || ph.period_b
                ELSE 'for overlapping periods ' || ph.period_b || ' and ' || ph.period_a END
        || ': '
        || CASE WHEN ph.a_first THEN ph.saying_a || '; ' || ph.saying_b
                ELSE ph.saying_b || '; ' || ph.saying_a END
        || '.'"""

# "Confidence: medium: the claim of Armenia's Ministry of Defence is hedged "claimed" and known
# only from a third party's report." The claims in the order the explanation names them.
_CONFIDENCE = f"""'Confidence: ' || {confidence_label_sql("d.confidence")}
        || coalesce(': ' || nullif(concat_ws('; ', CASE WHEN ph.a_first THEN ph.why_a ELSE ph.why_b END,
                                               CASE WHEN ph.a_first THEN ph.why_b ELSE ph.why_a END,
                                               'the conflict is inferred from ' || ph.part || ' lying within '
                                                   || ph.whole), ''), '')
        || '.'"""


def _why(claim: str) -> str:
    """What lowers the confidence of claim ``a`` or ``b`` of a changed flag, or NULL."""
    reasons = doubt_reasons_sql(
        hedge=f"{claim}.hedge", own=f"{claim}.own_statement", reliability=f"d.reliability_{claim}",
        credibility=f"{claim}.credibility",
    )  # fmt: skip
    return f"'the claim of ' || n.party_{claim} || ' is ' || nullif({reasons}, '')"


_CLOSE_REASON = f"""'The ' || {by_kind_sql("d.old_kind", "phrase")} || ' rule no longer holds: ' || CASE
        WHEN a.retracted_at IS NOT NULL THEN format('claim #%%s was retracted (%%s).', a.id, a.retraction_reason)
        WHEN b.retracted_at IS NOT NULL THEN format('claim #%%s was retracted (%%s).', b.id, b.retraction_reason)
        WHEN a.subject_id <> b.subject_id OR a.predicate_id <> b.predicate_id
            THEN 'after an edit the claims no longer share a subject and a predicate' || CASE
                WHEN a.predicate_id = b.predicate_id
                     AND (SELECT spreads_to_parts FROM claims_predicate WHERE id = a.predicate_id)
                    THEN ', nor is one place within the other' ELSE '' END || '.'
        WHEN NOT a.period && b.period THEN 'after an edit their periods no longer overlap.'
        ELSE 'after an edit the claims no longer disagree.' END"""  # noqa: S608 - constant fragments

# Reconciling the stored flags with the pairs found takes two parts: PLAN works out which
# flags change and how (as CTEs: ``changed``), APPLY explains and writes them. ``{sources}``
# supplies ``found`` and ``existing``: one claim's pairs and flags (incremental) or all of
# them (full scan). %(explain_since)s: recompute the explanation of a flag whose claims
# changed after this moment (the incremental check: always; the scan: since its last run).
# %(reexplain)s: recompute every found flag's explanation (after a rename in the vocabulary,
# which changes the words but not the claims).
PLAN = f"""
{{sources}},
-- Each party's side: its topmost ancestor (a ministry belongs to its state), once per party,
-- and its reliability (for the flag's confidence). ``{{parties}}`` narrows it to the parties
-- of the pairs found (a check: its cost must not follow the number of parties).
sides AS (
    SELECT id AS party_id, {PARTY_SIDE}(id) AS side_id, reliability, {party_doubt_sql("reliability")} AS doubt
    FROM sources_party
    {{parties}}
),
-- What each pair's flag should become. A found pair whose flag was dismissed keeps only
-- its dismissal ("holds" is false for it: its facts are not refreshed).
target AS (
    SELECT e.id, e.row_xmin AS e_xmin,
           coalesce(f.claim_a_id, e.claim_a_id) AS claim_a_id,
           coalesce(f.claim_b_id, e.claim_b_id) AS claim_b_id,
           f.claim_a_id IS NOT NULL AND e.state IS DISTINCT FROM '{LIFECYCLE.DISMISSED}' AS holds,
           f.kind AS found_kind, f.party_a_id, f.party_b_id, f.settled_by_id, f.alert_by_id,
           f.claims_changed_at, f.whole_is_a, f.doubt_a, f.doubt_b,
           e.confidence AS old_confidence, e.state AS old_state, e.kind AS old_kind, e.relation AS old_relation,
           e.rule_version AS old_rule_version, e.resolved_by_verdict_id AS old_resolved_id,
           e.integrity_alert_verdict_id AS old_alert_id, e.updated_at AS old_updated_at,
           {LIFECYCLE.engine_state_sql(gone="f.claim_a_id IS NULL", settled="f.settled_by_id IS NOT NULL", state="e.state")}
               AS new_state
    FROM found f
    FULL JOIN existing e ON e.claim_a_id = f.claim_a_id AND e.claim_b_id = f.claim_b_id
    OFFSET 0  -- a fence: each row's new state is worked out once, not again in each test below
),
decided AS (
    SELECT t.*,
           CASE WHEN t.holds THEN t.found_kind ELSE t.old_kind END AS kind,
           CASE WHEN t.holds THEN CASE WHEN sa.side_id = sb.side_id THEN 'self' ELSE 'dispute' END
                ELSE t.old_relation END AS relation,
           CASE WHEN t.holds THEN {by_kind_sql("t.found_kind", "version")} ELSE t.old_rule_version END AS rule_version,
           CASE WHEN t.new_state = '{LIFECYCLE.RESOLVED}' THEN coalesce(t.settled_by_id, t.old_resolved_id) END AS new_resolved_id,
           CASE WHEN t.holds AND t.new_state IN {states_sql(LIFECYCLE.LIVE)} THEN t.alert_by_id END AS new_alert_id,
           sa.reliability AS reliability_a, sb.reliability AS reliability_b,
           CASE WHEN t.holds THEN {confidence_sql("g.doubt")} ELSE t.old_confidence END AS confidence
    FROM target t
    LEFT JOIN sides sa ON sa.party_id = t.party_a_id
    LEFT JOIN sides sb ON sb.party_id = t.party_b_id
    -- The flag's doubt: the weaker claim's, plus the rule's (``claims.rules``, "Confidence").
    CROSS JOIN LATERAL (
        SELECT greatest(
            {claim_doubt_sql(row="t.doubt_a", party="sa.doubt")},
            {claim_doubt_sql(row="t.doubt_b", party="sb.doubt")}
        ) + {by_kind_sql("t.found_kind", "doubt")}
          + CASE WHEN t.whole_is_a IS NOT NULL THEN {CONTAINMENT_DOUBT} ELSE 0 END AS doubt
    ) g
),
changed AS (
    SELECT d.* FROM decided d
    WHERE d.id IS NULL
       OR d.new_state IS DISTINCT FROM d.old_state
       OR d.new_resolved_id IS DISTINCT FROM d.old_resolved_id
       OR d.new_alert_id IS DISTINCT FROM d.old_alert_id
       OR (d.holds AND (d.kind <> d.old_kind OR d.relation <> d.old_relation
                        OR d.rule_version <> d.old_rule_version OR d.confidence <> d.old_confidence
                        OR (d.claims_changed_at > d.old_updated_at
                            AND d.claims_changed_at > %(explain_since)s::timestamptz)
                        OR %(reexplain)s))
)"""  # noqa: S608 - constant fragments

APPLY = f"""
explained AS (
    SELECT d.*,
           CASE WHEN d.holds THEN {_RULE_OF_KIND} END AS rule,
           CASE WHEN d.holds THEN {_EXPLANATION} || ' ' || {_CONFIDENCE} END AS explanation,
           CASE
               WHEN d.new_state IS NOT DISTINCT FROM d.old_state THEN NULL  -- keep the reason
               WHEN d.new_state = '{LIFECYCLE.CLOSED}' THEN {_CLOSE_REASON}
               WHEN d.new_state = '{LIFECYCLE.RESOLVED}' THEN format(
                   'Claim #%%s is rated {SETTLING_RATING} (verdict #%%s).',
                   CASE WHEN a.current_verdict_id = d.new_resolved_id THEN a.id ELSE b.id END, d.new_resolved_id)
               WHEN d.old_state = '{LIFECYCLE.CLOSED}' THEN 'The rule holds again after an edit.'
               WHEN d.old_state = '{LIFECYCLE.RESOLVED}'
                   THEN 'The verdict that resolved it is no longer the latest; the claims disagree again.'
               ELSE ''
           END AS new_reason
    FROM changed d
    JOIN claims_claim a ON a.id = d.claim_a_id
    JOIN claims_claim b ON b.id = d.claim_b_id
    -- The names, one primary-key lookup each: joins to these small tables let the planner
    -- gamble on a merge join that stops early, which stale statistics turn into a scan of
    -- every claim for every changed flag.
    CROSS JOIN LATERAL (
        SELECT (SELECT name FROM claims_entity WHERE id = a.subject_id) AS subject,
               (SELECT name FROM claims_entity WHERE id = b.subject_id) AS subject_b,
               (SELECT label FROM claims_predicate WHERE id = a.predicate_id) AS predicate,
               (SELECT unit FROM claims_predicate WHERE id = a.predicate_id) AS unit,
               (SELECT name FROM sources_party WHERE id = a.asserted_by_id) AS party_a,
               (SELECT name FROM sources_party WHERE id = b.asserted_by_id) AS party_b,
               (SELECT name FROM claims_entity WHERE id = a.object_entity_id) AS object_a,
               (SELECT name FROM claims_entity WHERE id = b.object_entity_id) AS object_b
    ) n
    -- Each claim's place, named only when they differ (containment).
    CROSS JOIN LATERAL (
        SELECT CASE WHEN d.whole_is_a IS NOT NULL THEN n.subject END AS subject_a,
               CASE WHEN d.whole_is_a IS NOT NULL THEN n.subject_b END AS subject_b
    ) w
    CROSS JOIN LATERAL (
        SELECT cw_period_phrase(a.valid_from, a.valid_from_precision, a.valid_until, a.valid_until_precision)
                   AS period_a,
               cw_period_phrase(b.valid_from, b.valid_from_precision, b.valid_until, b.valid_until_precision)
                   AS period_b,
               (lower(a.period), a.id) <= (lower(b.period), b.id) AS a_first,
               n.party_a || ' says ' || {_value_phrase("a")} || coalesce(' (of ' || w.subject_a || ')', '') AS saying_a,
               n.party_b || ' says ' || {_value_phrase("b")} || coalesce(' (of ' || w.subject_b || ')', '') AS saying_b,
               CASE WHEN d.whole_is_a THEN n.subject WHEN NOT d.whole_is_a THEN n.subject_b END AS whole,
               CASE WHEN d.whole_is_a THEN n.subject_b WHEN NOT d.whole_is_a THEN n.subject END AS part,
               {_why("a")} AS why_a,
               {_why("b")} AS why_b
    ) ph
),
inserted AS (
    INSERT INTO claims_contradiction (
        claim_a_id, claim_b_id, kind, relation, explanation, rule, rule_version, confidence, state, state_reason,
        state_changed_at, resolved_by_verdict_id, integrity_alert_verdict_id, integrity_alert_at, updated_at)
    SELECT x.claim_a_id, x.claim_b_id, x.kind, x.relation, x.explanation, x.rule, x.rule_version, x.confidence,
           x.new_state, coalesce(x.new_reason, ''), CASE WHEN x.new_state <> '{LIFECYCLE.NEW}' THEN now() END,
           x.new_resolved_id, x.new_alert_id, CASE WHEN x.new_alert_id IS NOT NULL THEN now() END, now()
    FROM explained x WHERE x.id IS NULL
    ON CONFLICT ON CONSTRAINT contradiction_pair_unique DO NOTHING
    RETURNING state
),
updated AS (
    UPDATE claims_contradiction c SET
        state = x.new_state,
        state_reason = coalesce(x.new_reason, c.state_reason),
        state_changed_at = CASE WHEN x.new_reason IS NULL THEN c.state_changed_at ELSE now() END,
        -- A reviewer's name stays with the review; the engine's moves are its own.
        reviewed_by_id = CASE WHEN x.new_reason IS NULL THEN c.reviewed_by_id END,
        resolved_by_verdict_id = x.new_resolved_id,
        integrity_alert_verdict_id = x.new_alert_id,
        integrity_alert_at = CASE WHEN x.new_alert_id IS NULL THEN NULL
                                  WHEN x.new_alert_id = c.integrity_alert_verdict_id THEN c.integrity_alert_at
                                  ELSE now() END,
        kind = x.kind, relation = x.relation, rule_version = x.rule_version, confidence = x.confidence,
        explanation = coalesce(x.explanation, c.explanation), rule = coalesce(x.rule, c.rule),
        updated_at = now()
    FROM explained x
    WHERE c.id = x.id
      AND c.xmin = x.e_xmin  -- unchanged since read; else a newer writer (or a reviewer) wins
      AND (c.state, c.resolved_by_verdict_id, c.integrity_alert_verdict_id, c.kind, c.relation,
           c.rule_version, c.confidence, c.explanation, c.rule)
          IS DISTINCT FROM (x.new_state, x.new_resolved_id, x.new_alert_id, x.kind, x.relation,
                            x.rule_version, x.confidence, coalesce(x.explanation, c.explanation),
                            coalesce(x.rule, c.rule))
    RETURNING x.old_state, c.state
)
SELECT (SELECT count(*) FROM inserted) AS opened,
       (SELECT count(*) FROM updated WHERE state = '{LIFECYCLE.CLOSED}') AS closed,
       (SELECT count(*) FROM updated
        WHERE old_state = '{LIFECYCLE.CLOSED}' OR (old_state = '{LIFECYCLE.RESOLVED}' AND state = '{LIFECYCLE.NEW}'))
           AS reopened,
       (SELECT count(*) FROM updated WHERE state = '{LIFECYCLE.RESOLVED}' AND old_state <> '{LIFECYCLE.RESOLVED}')
           + (SELECT count(*) FROM inserted WHERE state = '{LIFECYCLE.RESOLVED}') AS resolved,
       (SELECT count(*) FROM updated) AS updated
"""  # noqa: S608 - constant fragments

# Whose sides the plan works out. A check, or a batch, reads the parties of the pairs it
# found: working out every party's side took 9 ms a check with 2,000 parties, and 4 s with
# 20,000 (100k claims). The full scan and its parts read (nearly) every party anyway.
_FOUND_PARTIES = "WHERE id IN (SELECT party_a_id FROM found UNION SELECT party_b_id FROM found)"
_EVERY_PARTY = ""

# The flag columns the plan compares (not the explanation: the plan stays narrow).
_EXISTING = """SELECT c.id, c.xmin AS row_xmin, c.claim_a_id, c.claim_b_id, c.state, c.kind, c.relation,
           c.rule_version, c.confidence, c.resolved_by_verdict_id, c.integrity_alert_verdict_id, c.updated_at
    FROM claims_contradiction c"""

# The incremental check: one statement over one claim's pairs (it may be either member of
# a pair) and flags.
_CLAIM_SOURCES = f"""
found AS (
    {PAIRS.format(scope="a.id = %(claim_id)s")}
    UNION ALL
    {PAIRS.format(scope="b.id = %(claim_id)s")}
    UNION ALL
    {_contained(CLAIM_CONTAINMENT.format(scope="x.id = %(claim_id)s"))}
),
existing AS (
    {_EXISTING}
    WHERE c.claim_a_id = %(claim_id)s OR c.claim_b_id = %(claim_id)s
)"""  # noqa: S608 - constant fragments
# (A claim's own check re-explains its flags whenever their claims changed; a rename is
# re-explained by the batch check.)
RECONCILE_CLAIM = ("WITH " + PLAN.format(sources=_CLAIM_SOURCES, parties=_FOUND_PARTIES) + "," + APPLY).replace(
    "%(reexplain)s", "false"
)

# The full scan: the same SQL in two statements, through a temporary table. A plain
# CREATE TABLE AS may find the pairs with a parallel query (a statement that writes may
# not), and the writing statement is then planned from the real number of changed flags
# (usually none) instead of a guess that every pair changes. ``found`` is materialised, so
# that its column order holds (see ``_PAIR_COLUMNS``).
_ALL_SOURCES = (
    f"found AS MATERIALIZED ({PAIRS.format(scope='true')} UNION ALL {_contained(ALL_CONTAINMENT.format(scope='true'))}), "  # noqa: S608 - constants
    f"existing AS ({_EXISTING})"
)
PLAN_ALL = (
    "CREATE TEMPORARY TABLE cw_changed ON COMMIT DROP AS WITH "  # noqa: S608 - constants
    + PLAN.format(sources=_ALL_SOURCES, parties=_EVERY_PARTY)
    + " SELECT * FROM changed"
)

# A part of the split scan: the places whose topmost place hashes into the part's buckets
# (a place outside every other is its own topmost place, which saves walking part_of for
# most), the pairs both of whose claims are about one of them (pairs never cross topmost
# places), and the flags whose first claim is. Over the tables themselves, with semi-joins
# on the part's places (each part runs without parallel query: the parts are the parallelism).
_PART_PLACES = f"""SELECT id FROM claims_entity
    WHERE {bucket_sql("CASE WHEN part_of_id IS NULL THEN id ELSE cw_entity_root(id) END")} BETWEEN %(low)s AND %(high)s"""  # noqa: S608 - constants
_IN_PART = f"subject_id IN ({_PART_PLACES})"
COUNT_ALL = "SELECT coalesce(sum(claims), 0) FROM claims_partyclaimcount"
COUNT_PART = f"SELECT count(*) FROM claims_claim WHERE {_IN_PART}"  # noqa: S608 - constants
_PART_SOURCES = (
    f"found AS MATERIALIZED ({PAIRS.format(scope=f'a.{_IN_PART} AND b.{_IN_PART}')} "  # noqa: S608 - constants
    f"UNION ALL {_contained(ALL_CONTAINMENT.format(scope=f'x.{_IN_PART}'))}), "
    f"existing AS ({_EXISTING} JOIN claims_claim ca ON ca.id = c.claim_a_id WHERE ca.{_IN_PART})"
)
PLAN_PART = (
    "CREATE TEMPORARY TABLE cw_changed ON COMMIT DROP AS WITH "  # noqa: S608 - constants
    + PLAN.format(sources=_PART_SOURCES, parties=_EVERY_PARTY)
    + " SELECT * FROM changed"
)
APPLY_ALL = "WITH changed AS (SELECT * FROM cw_changed)," + APPLY  # noqa: S608 - constants

# The check of a batch of claims (a bulk write): the same statement over the pairs and flags
# of every claim in %(claim_ids)s at once. A pair of two claims of the batch is found by its
# first member only.
_BATCH_SOURCES = f"""
found AS (
    {PAIRS.format(scope="a.id = ANY(%(claim_ids)s::bigint[])")}
    UNION ALL
    {PAIRS.format(scope="b.id = ANY(%(claim_ids)s::bigint[]) AND a.id <> ALL(%(claim_ids)s::bigint[])")}
    UNION ALL
    {_contained(CLAIM_CONTAINMENT.format(scope="x.id = ANY(%(claim_ids)s::bigint[])"))}
),
existing AS (
    {_EXISTING} WHERE c.claim_a_id = ANY(%(claim_ids)s::bigint[])
    UNION ALL
    {_EXISTING} WHERE c.claim_b_id = ANY(%(claim_ids)s::bigint[]) AND c.claim_a_id <> ALL(%(claim_ids)s::bigint[])
)"""  # noqa: S608 - constant fragments
RECONCILE_BATCH = "WITH " + PLAN.format(sources=_BATCH_SOURCES, parties=_FOUND_PARTIES) + "," + APPLY

# Lock the (subject, predicate) groups a claim's check reads and writes: its own group,
# and those of the claims it is flagged with (which differ after an edit of its subject).
# For a predicate that spreads to the parts the group is the topmost place containing the
# subject, so that the checks of a claim about a district and of one about a village in
# it serialise too. Sorted, so that two checks always take their locks in the same order.
#
# First, shared, the split scan's bucket of each of those claims (a part of the scan that
# covers one holds it exclusively, so the check waits for that part). The buckets come
# first, then the groups, each sorted, in every check.
LOCK_CLAIM_GROUPS = f"""
SELECT count(CASE WHEN g.class = {BUCKET_LOCK_CLASS} THEN pg_advisory_xact_lock_shared(g.class, g.key)
                  ELSE pg_advisory_xact_lock(g.class, g.key) END) FROM (
    SELECT DISTINCT k.class, k.key
    FROM claims_claim c
    JOIN claims_predicate p ON p.id = c.predicate_id
    CROSS JOIN LATERAL (SELECT cw_entity_root(c.subject_id) AS root) r
    CROSS JOIN LATERAL (
        VALUES ({BUCKET_LOCK_CLASS}, {bucket_sql("r.root")}),
               ({GROUP_LOCK_CLASS}, hashtext(
                   CASE WHEN p.spreads_to_parts THEN r.root ELSE c.subject_id END || ':' || c.predicate_id))
    ) k(class, key)
    WHERE c.id IN (  -- a union, not ORs, so that each part reads an index
        SELECT %(claim_id)s::bigint
        UNION SELECT claim_b_id FROM claims_contradiction WHERE claim_a_id = %(claim_id)s
        UNION SELECT claim_a_id FROM claims_contradiction WHERE claim_b_id = %(claim_id)s
    )
    ORDER BY k.class DESC, k.key
) g
"""  # noqa: S608 - constant fragments


# Check foreign keys as each statement ends instead of at commit. Deferred checks queue up
# behind every history row the flag triggers write, and PostgreSQL revisits that queue
# after each of them: writing 200,000 flags took minutes instead of seconds.
IMMEDIATE_CONSTRAINTS = "SET CONSTRAINTS ALL IMMEDIATE"


@dataclass(frozen=True)
class Outcome:
    """What one check or scan changed."""

    opened: int = 0
    closed: int = 0
    reopened: int = 0
    resolved: int = 0
    updated: int = 0

    @classmethod
    def from_row(cls, row: tuple[Any, ...] | None) -> Outcome:
        if row is None:
            return cls()
        opened, closed, reopened, resolved, updated = (int(value) for value in row)
        return cls(opened=opened, closed=closed, reopened=reopened, resolved=resolved, updated=updated)


# The check's two big statements are prepared once per database connection: planning them
# took several times longer than running them. (A pooler in transaction mode, which hands
# a session's prepared statements to other clients, would need this turned into plain
# statements.) ``$1`` is the claim, ``$2`` the explain_since moment.
PREPARED: dict[str, str] = {
    "cw_lock_claim_groups": "PREPARE cw_lock_claim_groups(bigint) AS "
    + LOCK_CLAIM_GROUPS.replace("%(claim_id)s", "$1"),
    "cw_reconcile_claim": "PREPARE cw_reconcile_claim(bigint, timestamptz) AS "
    + RECONCILE_CLAIM.replace("%(claim_id)s", "$1").replace("%(explain_since)s", "$2"),
}
# Which of them each connection has prepared; None after a failure left that unknown.
_prepared: weakref.WeakKeyDictionary[Any, set[str] | None] = weakref.WeakKeyDictionary()


def _execute_prepared(cursor: Any, name: str, params: list[Any]) -> None:
    """Run a statement of ``PREPARED``, preparing it on this connection first if need be
    (in the same round trip)."""
    raw = connection.connection
    known = _prepared.get(raw, set())
    if known is None:  # a prepare went through, or not, before an error: ask the server
        cursor.execute("SELECT name FROM pg_prepared_statements")
        known = {row[0] for row in cursor.fetchall()}
    statement = f"EXECUTE {name}({', '.join(['%s'] * len(params))})"
    if name not in known:
        statement = f"{PREPARED[name]}; {statement}"
    _prepared[raw] = None
    cursor.execute(statement, params)
    _prepared[raw] = known | {name}


def claim_check(*, claim_id: int) -> Outcome:
    """Bring the flags of one claim up to date with the rules, after it was saved, edited,
    retracted or rated.

    Reads only the claim's candidates (same subject and predicate, overlapping period: the
    GiST index ``claim_candidates_gist``) and its own flags, in a fixed number of queries,
    whatever the size of the table. Idempotent; safe to run concurrently with other checks
    and with the full scan (see the module docstring). A missing claim checks nothing.
    """
    with pghistory.context(actor="contradiction-engine", check="claim", claim=claim_id), transaction.atomic():
        with connection.cursor() as cursor:
            # Wait for a running full scan, then for checks of the same groups.
            cursor.execute(f"{IMMEDIATE_CONSTRAINTS}; SELECT pg_advisory_xact_lock_shared(%s)", [ENGINE_LOCK])
            _execute_prepared(cursor, "cw_lock_claim_groups", [claim_id])
            # A new statement, so a fresh snapshot: it sees every write committed before the
            # locks were granted.
            _execute_prepared(cursor, "cw_reconcile_claim", [claim_id, "-infinity"])
            outcome = Outcome.from_row(cursor.fetchone())
    if outcome != Outcome():
        logger.info("contradiction check of claim %s: %s", claim_id, outcome)
    return outcome


def claims_check(*, claim_ids: Sequence[int], reexplain: bool = False) -> Outcome:
    """Bring the flags of many claims up to date at once (after a bulk write, or an edit of
    the vocabulary they use): one statement for the whole batch, not one check per claim.
    With ``reexplain`` every flag found gets its explanation written afresh (after a rename).

    It holds the engine lock exclusively, as the full scan does (a batch spans more
    (subject, predicate) groups than advisory locks are worth taking one by one), so
    single checks wait for it and then run on fresh data. Idempotent, like every check.
    """
    if not claim_ids:
        return Outcome()
    ids = sorted(set(claim_ids))
    with pghistory.context(actor="contradiction-engine", check="batch", claims=len(ids)), transaction.atomic():
        with connection.cursor() as cursor:
            # No JIT: the planner prices the batch's statement in the millions, and compiling
            # it took 9 s of a 9.4 s check of 200 claims.
            cursor.execute(
                f"{IMMEDIATE_CONSTRAINTS}; SET LOCAL jit = off; SELECT pg_advisory_xact_lock(%s)", [ENGINE_LOCK]
            )
            # A new statement, so a fresh snapshot: it sees every write committed before the lock.
            cursor.execute(RECONCILE_BATCH, {"claim_ids": ids, "explain_since": "-infinity", "reexplain": reexplain})
            outcome = Outcome.from_row(cursor.fetchone())
            cursor.execute("SET LOCAL jit TO DEFAULT")  # for a caller whose transaction goes on
    if outcome != Outcome():
        logger.info("contradiction check of %s claims: %s", len(ids), outcome)
    return outcome


def verdict_apply(*, verdict_id: int) -> Outcome:
    """Apply a new verdict to the flags of its claim: resolve them (rated false), raise or
    clear the verdict-conflict alert (rated true), or reopen them (a settling verdict
    superseded). The claim's status is already the verdict's, so this is a claim check."""
    claim_id = Verdict.objects.filter(pk=verdict_id).values_list("claim_id", flat=True).first()
    if claim_id is None:
        return Outcome()
    return claim_check(claim_id=claim_id)


Progress = Callable[[str, dict[str, Any]], None]


def _quiet(phase: str, figures: dict[str, Any]) -> None:
    pass


# A split scan whose parent run is still running after this long was abandoned (its parts
# are killed at their hard time limit, well within it, and a part that never ran was lost).
SPLIT_SCAN_ABANDONED_AFTER = dt.timedelta(hours=2)


def contradiction_scan(*, triggered_by: str = "", progress: Progress = _quiet) -> ScanRun | None:
    """Reconcile every flag with the rules, in the database, and record a ``ScanRun``.

    Catches whatever the incremental checks missed (a broker that was down, a worker
    killed mid-task, a bulk edit in SQL). Returns ``None`` without scanning when another
    scan (or a split scan's parts) is running. ``progress(phase, figures)`` is told about
    each phase as it ends. Call it outside a transaction (beat and the command do): then
    the run shows as running while it runs, and the scan itself is one transaction, so a
    scan that dies changes no flag. Inside a caller's transaction it still works, as part
    of that transaction.
    """
    with _session_lock(SCAN_LOCK) as free:
        if not free or _split_scan_running():
            logger.info("contradiction scan skipped: another scan is running")
            progress("skipped", {})
            return None
        _fail_abandoned_runs()
        run = ScanRun.objects.create(triggered_by=triggered_by[:100])
        return _scan_run(run, explain_since=_explain_since(before=None), buckets=None, progress=progress)


def contradiction_scan_split(*, parts: int, triggered_by: str = "") -> ScanRun | None:
    """Begin a full scan split into ``parts`` independent parts, for workers to run side by
    side: record its parent run and return it (``None`` when another scan is running).
    The caller runs ``contradiction_scan_part(run_id=run.pk, part=k)`` for each k (the
    Celery task enqueues them). Part k covers one range of the hash of the subjects'
    topmost places; each holds its own lock and records its own run, and the parent
    finishes with the sums of their figures when the last part does (or fails when one
    does)."""
    if not 1 <= parts <= SCAN_BUCKETS:
        raise ValueError(f"A scan splits into 1 to {SCAN_BUCKETS} parts, not {parts}.")
    with _session_lock(SCAN_LOCK) as free:
        if not free or _split_scan_running():
            logger.info("contradiction scan skipped: another scan is running")
            return None
        _fail_abandoned_runs()
        return ScanRun.objects.create(triggered_by=triggered_by[:100], parts=parts)


class PartBusy(Exception):
    """Another connection holds a split scan part's lock: a worker running the part (the
    message was delivered twice), or a worker that died mid-statement and whose connection
    PostgreSQL has not dropped yet. Either way the part is not done: try again later."""


def contradiction_scan_part(*, run_id: int, part: int, progress: Progress = _quiet) -> ScanRun | None:
    """Run part ``part`` of the split scan ``run_id`` (see ``contradiction_scan_split``):
    one transaction over the claims whose subject's topmost place hashes into the part's
    range, holding that range's locks, so that checks of its claims wait for it while the
    other parts and checks go on. Returns the part's run; ``None`` when there is nothing to
    do: the parent is no longer running, or the part already finished (then the parent is
    finished if this was the last, in case the worker that ran it died before it could).
    Raises ``PartBusy`` while another connection holds the part's lock."""
    parent = ScanRun.objects.filter(pk=run_id, parent__isnull=True).first()
    if parent is None or parent.status != ScanRun.Status.RUNNING or not 0 <= part < parent.parts:
        return None
    with _session_lock(SCAN_PART_LOCK + run_id * SCAN_BUCKETS + part) as free:
        if not free:
            raise PartBusy(f"Part {part + 1} of scan {run_id} is locked by another connection.")
        run, created = ScanRun.objects.get_or_create(
            parent=parent, part=part, defaults={"triggered_by": parent.triggered_by, "parts": parent.parts}
        )
        if not created:
            if run.status == ScanRun.Status.FINISHED:
                _split_scan_finish(run_id=parent.pk)
                return None
            # Its worker died mid-part or before it could fail the parent (its lock is
            # free): run it again, as new.
            ScanRun.objects.filter(pk=run.pk).update(
                status=ScanRun.Status.RUNNING, started_at=timezone.now(), finished_at=None, error=""
            )
            run.refresh_from_db()
        try:
            run = _scan_run(
                run,
                explain_since=_explain_since(before=parent.started_at),
                buckets=part_buckets(part, parent.parts),
                progress=progress,
            )
        except Exception as exc:
            split_scan_failed(run_id=parent.pk, error=f"Part {part + 1} of {parent.parts} failed: {exc}")
            raise
    _split_scan_finish(run_id=parent.pk)
    return run


def split_scan_failed(*, run_id: int, error: str) -> None:
    """Record that the split scan ``run_id`` failed (a part failed, or its parts could not
    be enqueued)."""
    ScanRun.objects.filter(pk=run_id, status=ScanRun.Status.RUNNING).update(
        status=ScanRun.Status.FAILED, finished_at=timezone.now(), error=error[:2000]
    )


def _split_scan_finish(*, run_id: int) -> None:
    """Finish the split scan's parent run if every part has finished, with their sums."""
    figures = ["claims_scanned", "flags_opened", "flags_closed", "flags_reopened", "flags_resolved"]
    with transaction.atomic():
        parent = ScanRun.objects.select_for_update().get(pk=run_id)
        done = parent.part_runs.filter(status=ScanRun.Status.FINISHED).aggregate(
            count=Count("pk"), **{name: Sum(name) for name in figures}
        )
        if parent.status != ScanRun.Status.RUNNING or done["count"] < parent.parts:
            return
        for name in figures:
            setattr(parent, name, done[name])
        parent.status = ScanRun.Status.FINISHED
        parent.finished_at = timezone.now()
        parent.save(update_fields=[*figures, "status", "finished_at"])
    logger.info("split contradiction scan %s finished: %s parts", run_id, parent.parts)


def split_scan_unfinished() -> tuple[int, list[int]] | None:
    """The running split scan's parent run id and the parts not finished yet, or ``None``
    when no split scan is running. Sending those parts again is how a split scan whose
    parts were lost (a worker killed before it sent them all, a part stopped at its time
    limit) goes on: a part that is running or finished is not run twice."""
    parent = _live_splits().order_by("-started_at").first()
    if parent is None:
        return None
    finished = set(parent.part_runs.filter(status=ScanRun.Status.FINISHED).values_list("part", flat=True))
    return parent.pk, [part for part in range(parent.parts) if part not in finished]


@contextmanager
def _session_lock(key: int) -> Iterator[bool]:
    """Try the session advisory lock ``key`` (never wait for it); yield whether it was got,
    and release it after."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        row = cursor.fetchone()
    got = bool(row and row[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _live_splits() -> QuerySet[ScanRun]:
    """The parent runs of split scans still running and not yet abandoned."""
    live_since = timezone.now() - SPLIT_SCAN_ABANDONED_AFTER
    return ScanRun.objects.filter(
        parent__isnull=True, parts__gt=1, status=ScanRun.Status.RUNNING, started_at__gte=live_since
    )


def _split_scan_running() -> bool:
    """Whether a split scan's parts are still to run or running (call holding SCAN_LOCK)."""
    return _live_splits().exists()


def _fail_abandoned_runs() -> None:
    """Mark failed the runs whose process stopped before they finished (call holding
    SCAN_LOCK, with no split scan running): a single scan still marked running (only one
    scan holds the lock at a time), and a split scan past SPLIT_SCAN_ABANDONED_AFTER with
    its parts still marked running."""
    abandoned = list(
        ScanRun.objects.filter(parent__isnull=True, status=ScanRun.Status.RUNNING).values_list("pk", flat=True)
    )
    if abandoned:
        ScanRun.objects.filter(Q(pk__in=abandoned) | Q(parent__in=abandoned), status=ScanRun.Status.RUNNING).update(
            status=ScanRun.Status.FAILED,
            finished_at=timezone.now(),
            error="Abandoned: the process running it stopped before it finished.",
        )


def _explain_since(*, before: dt.datetime | None) -> dt.datetime | str:
    """A flag whose claims changed after the previous whole scan began (before ``before``)
    gets its explanation recomputed; the margin covers transactions that were still open
    when it began."""
    runs = ScanRun.objects.filter(status=ScanRun.Status.FINISHED, parent__isnull=True)
    if before is not None:
        runs = runs.filter(started_at__lt=before)
    previous = runs.order_by("-started_at").values_list("started_at", flat=True).first()
    return previous - dt.timedelta(hours=1) if previous else "-infinity"


# The whole scan holds the engine lock alone. A part of a split scan runs beside the other
# parts (the engine lock shared) and alone in its buckets (%(low)s to %(high)s); the parts are
# the parallelism, so each runs on one core and none waits for parallel workers others took.
_WHOLE_SCAN_LOCK = f"SELECT pg_advisory_xact_lock({ENGINE_LOCK})"
_PART_SCAN_LOCK = (
    "SET LOCAL max_parallel_workers_per_gather = 0; "  # noqa: S608 - constants
    f"SELECT pg_advisory_xact_lock_shared({ENGINE_LOCK}), (SELECT count(pg_advisory_xact_lock({BUCKET_LOCK_CLASS}, b)) "
    "FROM generate_series(%(low)s, %(high)s) b)"
)


def _scan_run(
    run: ScanRun, *, explain_since: dt.datetime | str, buckets: tuple[int, int] | None, progress: Progress
) -> ScanRun:
    """Reconcile the flags of every claim (``buckets`` None), or of the claims whose
    subject's topmost place hashes into the buckets ``(first, last)``, in one transaction,
    and record the figures on ``run``."""
    started = time.perf_counter()
    part = {} if buckets is None else {"low": buckets[0], "high": buckets[1]}
    lock = _WHOLE_SCAN_LOCK if buckets is None else _PART_SCAN_LOCK
    try:
        with pghistory.context(actor="contradiction-engine", check="scan", scan=run.pk), transaction.atomic():
            with connection.cursor() as cursor:
                # The settings, the locks and the count in one round trip (the result is
                # the last statement's). Every claim is read: a retracted one to close its
                # flags. The whole scan's figure comes from the ledger of claim counts the
                # claim writes keep (PartyClaimCount: a few rows a party), in the same
                # transaction; counting the claims took 70 ms at 1M. A part counts its own.
                _scan_settings(cursor, then=f"{lock}; {COUNT_ALL if buckets is None else COUNT_PART}", params=part)
                scanned = int(cursor.fetchone()[0])  # type: ignore[index]
                progress("counted", {"claims": scanned, "seconds": time.perf_counter() - started})
                cursor.execute(
                    PLAN_ALL if buckets is None else PLAN_PART,
                    {"explain_since": explain_since, "reexplain": False, **part},
                )
                changing = cursor.rowcount
                progress("planned", {"changes": changing, "seconds": time.perf_counter() - started})
                outcome = Outcome()
                if changing:  # usually nothing changes, and then there is nothing to write
                    # Give the planner its usual choices back for the writes, which join a
                    # few changed flags with their claims.
                    cursor.execute(
                        "SET LOCAL enable_mergejoin TO DEFAULT; SET LOCAL enable_nestloop TO DEFAULT; ANALYZE cw_changed"
                    )
                    cursor.execute(APPLY_ALL, {})  # with parameters, so that %% reads as %
                    outcome = Outcome.from_row(cursor.fetchone())
                # Gone at commit anyway; dropped (and the settings put back) now for a caller
                # whose transaction goes on. The run is recorded as finished in the scan's
                # own transaction: both or neither.
                finished_at = timezone.now()
                cursor.execute(
                    f"DROP TABLE cw_changed; {_SCAN_SETTINGS_RESET}; "  # noqa: S608 - constants
                    "UPDATE claims_scanrun SET status = %s, finished_at = %s, claims_scanned = %s, flags_opened = %s, "
                    "flags_closed = %s, flags_reopened = %s, flags_resolved = %s WHERE id = %s",
                    [ScanRun.Status.FINISHED, finished_at, scanned, outcome.opened, outcome.closed, outcome.reopened,
                     outcome.resolved, run.pk],
                )  # fmt: skip
                progress("reconciled", {**outcome.__dict__, "seconds": time.perf_counter() - started})
    except Exception as exc:
        ScanRun.objects.filter(pk=run.pk).update(
            status=ScanRun.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    run.status, run.finished_at, run.claims_scanned = ScanRun.Status.FINISHED, finished_at, scanned
    run.flags_opened, run.flags_closed = outcome.opened, outcome.closed
    run.flags_reopened, run.flags_resolved = outcome.reopened, outcome.resolved
    logger.info("contradiction scan %s: %s claims, %s in %s", run, scanned, outcome, run.duration)
    progress("finished", {"run": run.pk, "seconds": time.perf_counter() - started})
    return run


def _scan_settings(cursor: Any, *, then: str = "", params: dict[str, Any] | None = None) -> None:
    """Session settings for the scan's transaction, and the statements ``then`` after them
    in the same round trip (with ``params``).

    The planner underestimates the self-join badly (subject and predicate are correlated,
    and it has no statistics for range overlap), so it picks a nested loop or a merge join
    that is several times slower than the hash join it should use. The memory lets that
    hash join, and the reconciliation's, run without spilling to disk. JIT compilation
    costs more than it saves on statements that run once.
    """
    cursor.execute(
        "SELECT set_config('work_mem', %(scan_work_mem)s, true); SET LOCAL enable_mergejoin = off; "
        f"SET LOCAL enable_nestloop = off; SET LOCAL jit = off; {IMMEDIATE_CONSTRAINTS}"
        + (f"; {then}" if then else ""),
        {"scan_work_mem": settings.CONTRADICTION_SCAN_WORK_MEM, **(params or {})},
    )


# What ``_scan_settings`` (and a part's parallel setting) changed, put back.
_SCAN_SETTINGS_RESET = (
    "SET LOCAL work_mem TO DEFAULT; SET LOCAL jit TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT; "
    "SET LOCAL enable_nestloop TO DEFAULT; SET LOCAL max_parallel_workers_per_gather TO DEFAULT"
)
