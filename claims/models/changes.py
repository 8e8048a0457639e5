"""The change feed: one row per claim per transaction, written by triggers."""

from __future__ import annotations

import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from claims.models.claim import Claim, ClaimSource
from claims.models.verdict import Verdict
from claims.models.vocabulary import Status
from project.db import choices_check

# --- The change feed (API) ------------------------------------------------------------


class ClaimChangeQuerySet(models.QuerySet["ClaimChange"]):
    def committed(self) -> ClaimChangeQuerySet:
        """Rows of transactions that have all ended, as seen by this statement's snapshot.

        ``pg_snapshot_xmin`` is the oldest transaction still running. Every row below it is
        final: a transaction that has not committed yet has a higher id, so it can only add
        rows after these in (xid, claim) order. A reader that pages through this set in that
        order therefore never skips a row and never sees one twice, however writers commit.
        """
        return self.filter(
            xid__lt=models.expressions.RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [])
        )

    def after(self, xid: int, claim_id: int) -> ClaimChangeQuerySet:
        """Rows after the position (xid, claim) in feed order."""
        return self.filter(Q(xid__gte=xid) & (Q(xid__gt=xid) | Q(claim_id__gt=claim_id)))


class ClaimChangeKind(models.TextChoices):
    CREATED = "created", "Created"
    CONTENT = "content", "Content changed"
    SOURCES = "sources", "Sources changed"
    VERDICT = "verdict", "Verdict recorded"
    PUBLISHED = "published", "Verdict published"
    RETRACTED = "retracted", "Retracted"


class ClaimChange(models.Model):
    """One transaction's changes to one claim, written by triggers, read by the API's change feed.

    ``xid`` is the writing transaction's id (``pg_current_xact_id()``). Rows are read in
    (xid, claim) order and only below the oldest running transaction (see
    ``ClaimChangeQuerySet.committed``), so the feed follows commit order, not clock order.
    """

    Kind = ClaimChangeKind

    xid = models.BigIntegerField(help_text="The id of the transaction that made the change.")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="changes")
    changes = ArrayField(models.CharField(max_length=12, choices=Kind.choices))
    status = models.CharField(max_length=20, choices=Status.choices, help_text="The status after the change.")
    retracted = models.BooleanField(default=False)
    changed_at = models.DateTimeField(db_default=models.functions.Now())

    objects = ClaimChangeQuerySet.as_manager()

    class Meta:
        ordering = ["xid", "claim"]
        constraints = [
            # One row per claim per transaction (triggers merge into it), and the feed's
            # keyset: WHERE (xid, claim_id) > cursor AND xid < snapshot xmin ORDER BY xid, claim_id.
            models.UniqueConstraint(fields=["xid", "claim"], name="claimchange_xid_claim_unique"),
            choices_check("status", Status, "claimchange"),
            models.CheckConstraint(
                condition=Q(changes__contained_by=ClaimChangeKind.values),
                name="claimchange_changes_valid",
                violation_error_message=f"changes must be among: {', '.join(ClaimChangeKind.values)}.",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim #{self.claim_id}: {', '.join(self.changes)} (transaction {self.xid})"


def _record_change(claim_ids: str, kinds: str) -> str:
    """SQL that records ``kinds`` (a text[] expression) for the claims ``claim_ids`` (a
    bigint[] expression) in the current transaction's change-feed rows. Both are fixed SQL
    written in this module, never input."""
    return f"""
        INSERT INTO claims_claimchange (xid, claim_id, changes, status, retracted, changed_at)
        SELECT pg_current_xact_id()::text::bigint, c.id, {kinds}, c.status, c.retracted_at IS NOT NULL, now()
        FROM claims_claim c WHERE c.id = ANY({claim_ids})
        ON CONFLICT ON CONSTRAINT claimchange_xid_claim_unique DO UPDATE SET
            changes = ARRAY(SELECT DISTINCT k FROM unnest(claims_claimchange.changes || EXCLUDED.changes) k ORDER BY k),
            status = EXCLUDED.status,
            retracted = EXCLUDED.retracted;
    """  # noqa: S608


pgtrigger.register(
    pgtrigger.Trigger(
        name="claim_change_feed",
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update,
        func=f"""
            DECLARE
                kinds text[] := '{{}}';
                -- Columns kept by triggers or derived from others; their own kinds cover them.
                derived text[] := ARRAY['updated_at', 'status', 'current_verdict_id', 'review_state',
                                        'retracted_at', 'retraction_reason', 'search_vector', 'period'];
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    kinds := ARRAY['created'];
                ELSE
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
                    {_record_change("ARRAY[NEW.id]", "kinds")}
                END IF;
                RETURN NULL;
            END;
        """,
    )
)(Claim)

pgtrigger.register(
    pgtrigger.Trigger(
        name="claimsource_change_feed",
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        func=f"""
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
                {_record_change("ids", "ARRAY['sources']")}
                RETURN NULL;
            END;
        """,
    )
)(ClaimSource)

pgtrigger.register(
    pgtrigger.Trigger(
        name="verdict_change_feed",
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update,
        func=f"""
            DECLARE kinds text[] := '{{}}';
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    kinds := ARRAY['verdict'];
                END IF;
                IF NEW.published_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.published_at IS NULL) THEN
                    kinds := kinds || 'published'::text;
                END IF;
                IF cardinality(kinds) > 0 THEN
                    {_record_change("ARRAY[NEW.claim_id]", "kinds")}
                END IF;
                RETURN NULL;
            END;
        """,
    )
)(Verdict)
