"""Verdicts: append-only ratings of a claim, and the sources they cite."""

from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from claims import sql
from claims.models.claim import RATIONALE_MAX_LENGTH, Claim
from claims.models.vocabulary import Rating
from project.db import (
    FieldChecks,
    choices_check,
    date_range_validators,
    field_check,
    history_tracked,
    in_range_check,
    max_length_check,
    text_field,
)
from sources.models import Source

# --- Verdicts -------------------------------------------------------------------------


class VerdictQuerySet(models.QuerySet["Verdict"]):
    def as_of(self, moment: dt.datetime) -> VerdictQuerySet:
        """Verdicts recorded up to ``moment``."""
        return self.filter(recorded_at__lte=moment)

    def published(self) -> VerdictQuerySet:
        return self.filter(published_at__isnull=False)


@history_tracked()
class Verdict(FieldChecks):
    """A reviewer's rating of a claim. Append-only: a new verdict supersedes the last."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verdicts")
    rating = models.CharField(max_length=20, choices=Rating.choices)
    rationale = text_field(RATIONALE_MAX_LENGTH)
    evidence: models.ManyToManyField[Source, VerdictEvidence] = models.ManyToManyField(
        Source, through="VerdictEvidence", related_name="evidence_for", blank=True
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verdicts")
    # Two times. ``recorded_at`` is when Claimwatch gave this rating: a claim's status as of a
    # moment (the API's ``as_of``) is its latest verdict recorded by then. ``holds_from`` is
    # the day from which the rating is true of the world, when the reviewer says so: a claim
    # rated false on 20 November may have been false since the 9th.
    recorded_at = models.DateTimeField(
        db_default=models.functions.Now(),
        help_text="When the verdict was recorded. A status as of a moment is the latest verdict recorded by then.",
    )
    holds_from = models.DateField(
        null=True,
        blank=True,
        validators=date_range_validators(),
        help_text="The day from which the rating holds, if the reviewer knows it "
        "(it may be before the verdict was recorded). Empty: not stated.",
    )
    published_at = models.DateTimeField(null=True, blank=True)

    objects = VerdictQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        get_latest_by = ["recorded_at", "id"]
        constraints = [
            choices_check("rating", Rating, "verdict"),
            field_check(
                "rationale",
                condition=~Q(rationale=""),
                name="verdict_has_rationale",
                message="A verdict needs a rationale.",
            ),
            max_length_check("rationale", "verdict", RATIONALE_MAX_LENGTH),
            in_range_check("holds_from", "verdict", nullable=True, time=False),
        ]
        indexes = [
            # Status history: the latest verdict of a claim as of a date.
            models.Index(fields=["claim", "-recorded_at", "-id"], name="verdict_claim_recorded"),
        ]
        triggers = [
            pgtrigger.Protect(name="verdict_protect_delete", operation=pgtrigger.Delete),
            # Append-only: the only change allowed is publishing it, once.
            pgtrigger.Trigger(
                name="verdict_append_only",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                func=sql.VERDICT_APPEND_ONLY,
            ),
            # The claim's status is its latest verdict, kept in this one place.
            pgtrigger.Trigger(
                name="verdict_sets_claim_status",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                func=sql.VERDICT_SETS_CLAIM_STATUS,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} — {self.claim.statement}"


@history_tracked()
class VerdictEvidence(models.Model):
    """A source cited as evidence for a verdict. Fixed once the verdict is recorded."""

    verdict = models.ForeignKey(Verdict, on_delete=models.PROTECT, related_name="evidence_links")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "verdict evidence"
        constraints = [
            models.UniqueConstraint(fields=["verdict", "source"], name="verdictevidence_unique"),
        ]
        triggers = [
            pgtrigger.Protect(name="verdictevidence_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return str(self.source)
