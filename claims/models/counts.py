"""Claim counts kept as claims are written, for the pages that would otherwise count
hundreds of thousands of rows on every request (a side's track record)."""

from __future__ import annotations

import pgtrigger
from django.db import models

from claims import sql
from claims.models.claim import Claim
from claims.models.vocabulary import Status
from project.db import choices_check
from sources.models import Party


class PartyClaimCount(models.Model):
    """A ledger of claim counts by party and status. Every statement that writes claims
    appends what it changed (statement-level triggers on the claims, ``claims.sql``
    PARTY_CLAIM_COUNTS_*: +1 for a claim now in a (party, status), -1 for one that left it),
    and ``claims.services.party_claim_counts_fold`` folds the rows into one per (party,
    status) from time to time. A party's counts are the sums of its rows.

    Appending, rather than adding to one row per party, keeps writers of the same party
    from queueing on that row's lock until their transactions end (a long import would
    hold it for minutes). Derived data: no history; ``party_claim_counts_rebuild`` makes
    it again from the claims."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    claims = models.BigIntegerField(help_text="Claims added to (or, negative, taken from) this party and status.")
    retracted = models.BigIntegerField(help_text="Of those, retracted.")

    class Meta:
        constraints = [choices_check("status", Status, "partyclaimcount")]
        indexes = [
            # A party's track record sums its rows (claims.selectors.party_record).
            models.Index(fields=["party", "status"], include=["claims", "retracted"], name="partyclaimcount_party"),
        ]

    def __str__(self) -> str:
        return f"party #{self.party_id}, {self.status}: {self.claims:+} claims ({self.retracted:+} retracted)"


pgtrigger.register(
    *(
        pgtrigger.Trigger(
            name=f"claim_counts_{name}",
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=operation,
            referencing=pgtrigger.Referencing(**tables),  # type: ignore[no-untyped-call]
            func=func,
        )
        for name, operation, tables, func in [
            ("inserted", pgtrigger.Insert, {"new": "new_rows"}, sql.PARTY_CLAIM_COUNTS_INSERTED),
            ("updated", pgtrigger.Update, {"old": "old_rows", "new": "new_rows"}, sql.PARTY_CLAIM_COUNTS_UPDATED),
            ("deleted", pgtrigger.Delete, {"old": "old_rows"}, sql.PARTY_CLAIM_COUNTS_DELETED),
        ]
    )
)(Claim)
