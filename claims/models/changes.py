"""The change feed: one row per claim per transaction, written by triggers."""

from __future__ import annotations

import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from claims import sql
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


pgtrigger.register(
    pgtrigger.Trigger(
        name="claim_change_feed",
        when=pgtrigger.After,
        operation=pgtrigger.Update,
        func=sql.CLAIM_CHANGE_FEED,
    ),
    pgtrigger.Trigger(
        name="claim_created_change_feed",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=pgtrigger.Referencing(new="new_rows"),  # type: ignore[no-untyped-call]
        func=sql.CLAIM_CREATED_CHANGE_FEED,
    ),
)(Claim)

pgtrigger.register(
    pgtrigger.Trigger(
        name="claimsource_change_feed",
        when=pgtrigger.After,
        operation=pgtrigger.Update | pgtrigger.Delete,
        func=sql.CLAIMSOURCE_CHANGE_FEED,
    ),
    pgtrigger.Trigger(
        name="claimsource_created_change_feed",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=pgtrigger.Referencing(new="new_rows"),  # type: ignore[no-untyped-call]
        func=sql.CLAIMSOURCE_CREATED_CHANGE_FEED,
    ),
)(ClaimSource)

pgtrigger.register(
    pgtrigger.Trigger(
        name="verdict_change_feed",
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update,
        func=sql.VERDICT_CHANGE_FEED,
    )
)(Verdict)
