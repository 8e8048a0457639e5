"""Claims and where they appear (ClaimSource)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import DateRangeField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from psycopg2.extras import DateRange

from claims import sql
from claims.models.expressions import ClaimDoubtPoints, ClaimPeriod, ClaimRatedVerdict, ClaimSearchVector
from claims.models.vocabulary import Entity, PeriodPrecision, Predicate, PredicateValueType, Status
from project.db import (
    DATE_RANGE_MESSAGE,
    LATEST_DATE,
    FieldChecks,
    choices_check,
    date_range_validators,
    field_check,
    history_tracked,
    in_range_check,
    max_length_check,
    text_field,
    time_range_validators,
)
from sources.models import Party, Source

# Text limits, far above real text (and kept by CHECKs, see ``project.db``):
# a statement is one proposition as an analyst writes it, a sentence or two (2,000
# characters is some 300 words); a value given as text is a short phrase; a quote or an
# excerpt is a verbatim passage, and 20,000 characters is about twenty minutes of speech;
# a verdict's rationale is at most a short article.
STATEMENT_MAX_LENGTH = 2000
TEXT_VALUE_MAX_LENGTH = 2000
QUOTE_MAX_LENGTH = 20_000
EXCERPT_MAX_LENGTH = 20_000
RATIONALE_MAX_LENGTH = 20_000


def period_range(start: dt.date | None, end: dt.date | None) -> DateRange:
    """The half-open date range for the inclusive period [start, end] (either may be open),
    the shape of a claim's ``period``."""
    upper = end + dt.timedelta(days=1) if end is not None and end < dt.date.max else None
    return DateRange(start, upper, "[)")


class ClaimQuerySet(models.QuerySet["Claim"]):
    def active(self) -> ClaimQuerySet:
        """Claims that have not been retracted."""
        return self.filter(retracted_at__isnull=True)

    def retracted(self) -> ClaimQuerySet:
        return self.filter(retracted_at__isnull=False)

    def about(self, entity: Entity | int) -> ClaimQuerySet:
        """Claims whose subject is the entity or any place within it."""
        return self.filter(subject__in=Entity.objects.within(entity))

    def asserted_by_side(self, party: Party | int) -> ClaimQuerySet:
        return self.filter(asserted_by__in=Party.objects.within(party))

    def overlapping(self, period: DateRange) -> ClaimQuerySet:
        """Claims whose period overlaps ``period`` (see ``period_range``)."""
        return self.filter(period__overlap=period)


class ClaimPolarity(models.TextChoices):
    AFFIRMS = "affirms", "Affirms"
    DENIES = "denies", "Denies"


class ClaimHedge(models.TextChoices):
    STATED = "stated", "Stated"
    CLAIMED = "claimed", "Claimed"
    ALLEGED = "alleged", "Alleged"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"


class ClaimCredibility(models.IntegerChoices):
    """Information credibility on the Admiralty scale."""

    CONFIRMED = 1, "1 – Confirmed by other sources"
    PROBABLY_TRUE = 2, "2 – Probably true"
    POSSIBLY_TRUE = 3, "3 – Possibly true"
    DOUBTFUL = 4, "4 – Doubtful"
    IMPROBABLE = 5, "5 – Improbable"
    CANNOT_BE_JUDGED = 6, "6 – Truth cannot be judged"


class ClaimReviewState(models.TextChoices):
    NEW = "new", "New"
    IN_REVIEW = "in_review", "In review"
    DECIDED = "decided", "Decided"


# A verdict with this rating settles a flag (one of two claims that cannot both be true is
# false). "Mostly false" does not: the claim's gist may be wrong while the detail that
# contradicts the other claim is right, so a person decides.
SETTLING_RATING = Status.FALSE.value
# Both claims rated this way, although they cannot both be true, raise the integrity alert.
ALERT_RATING = Status.TRUE.value


@history_tracked(exclude=["own_statement", "doubt_points", "settling_verdict_id", "alert_verdict_id"])
class Claim(FieldChecks):
    """One party's assertion of one proposition: subject · predicate · value, with polarity."""

    Polarity = ClaimPolarity

    Hedge = ClaimHedge

    Credibility = ClaimCredibility

    ReviewState = ClaimReviewState

    # The proposition.
    # No index of its own: claim_subject_predicate (and the GiST index) lead with it.
    subject = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="claims_about", db_index=False)
    predicate = models.ForeignKey(Predicate, on_delete=models.PROTECT, related_name="claims")
    # Copied from the predicate; a composite foreign key (predicate_id, value_type) keeps it
    # equal to the predicate's, and a CHECK keeps the value columns to match it.
    value_type = models.CharField(max_length=10, choices=Predicate.ValueType.choices, editable=False)
    object_entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="claims_as_object"
    )
    quantity_low = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    quantity_best = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    quantity_high = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    text_value = text_field(TEXT_VALUE_MAX_LENGTH, blank=True)
    polarity = models.CharField(max_length=10, choices=Polarity.choices, default=Polarity.AFFIRMS)

    # The period the proposition is about (not when it was said).
    valid_from = models.DateField(validators=date_range_validators())
    valid_from_precision = models.CharField(max_length=10, choices=PeriodPrecision.choices, default=PeriodPrecision.DAY)
    valid_until = models.DateField(
        null=True, blank=True, validators=date_range_validators(), help_text="Empty means open-ended."
    )
    valid_until_precision = models.CharField(
        max_length=10, choices=PeriodPrecision.choices, default=PeriodPrecision.DAY
    )
    period = models.GeneratedField(expression=ClaimPeriod(), output_field=DateRangeField(), db_persist=True)

    # Who said it, when, and how it was reported.
    # No index of its own: claim_party_asserted leads with it.
    asserted_by = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="claims", db_index=False)
    asserted_at = models.DateTimeField(validators=time_range_validators())
    statement = text_field(
        STATEMENT_MAX_LENGTH, help_text='As an analyst would write it: "Azerbaijan controls Aghband".'
    )
    quote = text_field(QUOTE_MAX_LENGTH, blank=True, help_text="Verbatim, as said or reported.")
    hedge = models.CharField(max_length=12, choices=Hedge.choices, default=Hedge.STATED)
    credibility = models.PositiveSmallIntegerField(choices=Credibility.choices, default=Credibility.CANNOT_BE_JUDGED)
    sources: models.ManyToManyField[Source, ClaimSource] = models.ManyToManyField(
        Source, through="ClaimSource", related_name="claims"
    )

    # Verification status: maintained by the database from the latest verdict (trigger below).
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNRATED, editable=False)
    # Not indexed: verdicts are append-only, so nothing looks claims up by it.
    current_verdict = models.ForeignKey(
        "Verdict", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    review_state = models.CharField(max_length=12, choices=ReviewState.choices, default=ReviewState.NEW)

    # A claim is corrected by retraction, never deleted.
    retracted_at = models.DateTimeField(null=True, blank=True, editable=False)
    retraction_reason = models.TextField(blank=True, editable=False)

    search_vector = models.GeneratedField(
        expression=ClaimSearchVector(), output_field=SearchVectorField(), db_persist=True
    )
    # Kept by triggers on the appearances (``ClaimSource``), whose history records the
    # changes; the contradiction engine reads it beside each pair for the flag's confidence.
    own_statement = models.BooleanField(
        null=True,
        editable=False,
        help_text="True if the claim appears as its party's own statement, false if only in others' reports, "
        "empty if no appearance is recorded.",
    )
    # What the contradiction engine reads of the claim beside each of its pairs, worked out
    # once when the row is written rather than for every pair at every scan (a narrower
    # row for the scan's self-join to hash, too). Derived from the columns above, so they
    # are neither history nor a content change: their inputs are.
    doubt_points = models.GeneratedField(
        expression=ClaimDoubtPoints(), output_field=models.SmallIntegerField(), db_persist=True
    )
    # The current verdict if it settles the claim's flags, or if it raises their alert.
    settling_verdict_id = models.GeneratedField(
        expression=ClaimRatedVerdict(SETTLING_RATING), output_field=models.BigIntegerField(), db_persist=True
    )
    alert_verdict_id = models.GeneratedField(
        expression=ClaimRatedVerdict(ALERT_RATING), output_field=models.BigIntegerField(), db_persist=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-asserted_at", "-id"]
        constraints = [
            choices_check("value_type", PredicateValueType, "claim"),
            choices_check("polarity", ClaimPolarity, "claim"),
            choices_check("hedge", ClaimHedge, "claim"),
            choices_check("status", Status, "claim"),
            choices_check("review_state", ClaimReviewState, "claim"),
            choices_check("valid_from_precision", PeriodPrecision, "claim"),
            choices_check("valid_until_precision", PeriodPrecision, "claim"),
            field_check(
                "credibility",
                condition=Q(credibility__gte=1, credibility__lte=6),
                name="claim_credibility_valid",
                message="Credibility is 1 (confirmed) to 6 (cannot be judged).",
            ),
            field_check(
                "valid_until",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="claim_period_ordered",
                message="The period's end is before its start.",
            ),
            field_check(
                "quantity_best",
                condition=(
                    Q(quantity_low__isnull=True)
                    | Q(quantity_best__isnull=True)
                    | Q(quantity_low__lte=F("quantity_best"))
                )
                & (
                    Q(quantity_best__isnull=True)
                    | Q(quantity_high__isnull=True)
                    | Q(quantity_best__lte=F("quantity_high"))
                )
                & (
                    Q(quantity_low__isnull=True)
                    | Q(quantity_high__isnull=True)
                    | Q(quantity_low__lte=F("quantity_high"))
                ),
                name="claim_quantity_ordered",
                message="A quantity must satisfy low ≤ best ≤ high.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        value_type="entity",
                        object_entity__isnull=False,
                        quantity_best__isnull=True,
                        quantity_low__isnull=True,
                        quantity_high__isnull=True,
                        text_value="",
                    )
                    | Q(
                        value_type="quantity",
                        object_entity__isnull=True,
                        quantity_best__isnull=False,
                        quantity_low__isnull=False,
                        quantity_high__isnull=False,
                        text_value="",
                    )
                    | (
                        Q(
                            value_type="text",
                            object_entity__isnull=True,
                            quantity_best__isnull=True,
                            quantity_low__isnull=True,
                            quantity_high__isnull=True,
                        )
                        & ~Q(text_value="")
                    )
                    | Q(
                        value_type="none",
                        object_entity__isnull=True,
                        quantity_best__isnull=True,
                        quantity_low__isnull=True,
                        quantity_high__isnull=True,
                        text_value="",
                    )
                ),
                name="claim_value_matches_type",
                violation_error_message="The value does not match the predicate's value type.",
            ),
            models.CheckConstraint(
                condition=Q(retracted_at__isnull=True, retraction_reason="")
                | (Q(retracted_at__isnull=False) & ~Q(retraction_reason="")),
                name="claim_retraction_has_reason",
                violation_error_message="A retraction needs a reason.",
            ),
            # Oversized text would break the full-text index (see STATEMENT_MAX_LENGTH).
            max_length_check("statement", "claim", STATEMENT_MAX_LENGTH),
            max_length_check("quote", "claim", QUOTE_MAX_LENGTH),
            max_length_check("text_value", "claim", TEXT_VALUE_MAX_LENGTH),
            # Dates the period, once widened, can still give back (see project.db.LATEST_DATE).
            # valid_until needs no lower bound: the period is ordered.
            in_range_check("valid_from", "claim", nullable=False, time=False),
            field_check(
                "valid_until",
                condition=Q(valid_until__isnull=True) | Q(valid_until__lte=LATEST_DATE),
                name="claim_valid_until_representable",
                message=DATE_RANGE_MESSAGE,
            ),
            # The default period is the day of the assertion.
            in_range_check("asserted_at", "claim", nullable=False, time=True),
        ]
        indexes = [
            # Contradiction candidates: claims sharing a subject and predicate.
            models.Index(fields=["subject", "predicate"], name="claim_subject_predicate"),
            # The incremental contradiction check (claims.detection.claim_check): live claims with
            # the same subject and predicate whose period overlaps (``period && %s``), so its cost
            # follows the overlapping candidates even when a subject has years of claims.
            GistIndex(
                fields=["subject", "predicate", "period"],
                name="claim_candidates_gist",
                condition=Q(retracted_at__isnull=True),
            ),
            # Claim list by party, newest first.
            models.Index(fields=["asserted_by", "-asserted_at"], name="claim_party_asserted"),
            # A party's track record (claims.selectors.party_record), counted from the index.
            models.Index(fields=["asserted_by", "status"], include=["retracted_at"], name="claim_party_status"),
            # ... and its claims later rated false: only a claim with a verdict can have been,
            # and few have one (3% in the benchmark), so they are read from this small index.
            models.Index(
                fields=["asserted_by"],
                include=["asserted_at", "id"],
                condition=Q(current_verdict__isnull=False),
                name="claim_rated_party",
            ),
            # Claim list and keyset pagination, newest first.
            models.Index(fields=["-asserted_at", "-id"], name="claim_asserted_id"),
            # The API's ?updated_since= and ?ordering=updated_at keyset pages.
            models.Index(fields=["updated_at", "id"], name="claim_updated_id"),
            # Status lookups (?status=false), newest first: the reader's and the API's status
            # facet walks only the claims of that status, in order (with a plain status index
            # the planner walked every claim newest-first, 840,000 of 1M, for "false in October").
            models.Index(fields=["status", "-asserted_at", "-id"], name="claim_status_asserted"),
            # Full-text ?q= over statement and quote.
            GinIndex(fields=["search_vector"], name="claim_search_gin"),
        ]
        triggers = [
            # Claims are corrected by retraction; a hard delete loses the record.
            pgtrigger.Protect(name="claim_protect_delete", operation=pgtrigger.Delete),
            # The status is the latest verdict's rating. Only the verdict trigger below keeps it
            # so; any other write that makes the two disagree is refused.
            pgtrigger.Trigger(
                name="claim_status_is_latest_verdict",
                # A constraint trigger runs after the row's own CHECKs, so those report first.
                when=pgtrigger.After,
                timing=pgtrigger.Immediate,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func=sql.CLAIM_STATUS_IS_LATEST_VERDICT,
            ),
            # own_statement is the appearances' triggers' to write: any other update keeps
            # it (a stale instance saved after its appearances changed cannot undo them).
            pgtrigger.Trigger(
                name="claim_own_statement_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__own_statement__df=pgtrigger.F("new__own_statement")),
                func=sql.CLAIM_OWN_STATEMENT_KEPT,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asserted_by}: {self.statement}" if self.asserted_by_id else self.statement

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The value type follows the predicate; the composite foreign key enforces it.
        if self.predicate_id is not None:
            self.value_type = self.predicate.value_type
        super().save(*args, **kwargs)

    @property
    def value_display(self) -> str:
        if self.value_type == Predicate.ValueType.ENTITY:
            return str(self.object_entity)
        if self.value_type == Predicate.ValueType.QUANTITY:
            return format_quantity(self.quantity_low, self.quantity_best, self.quantity_high)
        if self.value_type == Predicate.ValueType.TEXT:
            return str(self.text_value)
        return ""

    @property
    def proposition(self) -> str:
        """ "Hadrut · controlled by · not Azerbaijan"."""
        value = self.value_display
        negation = "not " if self.polarity == self.Polarity.DENIES else ""
        parts = [str(self.subject), f"{negation}{self.predicate}" if not value else str(self.predicate)]
        if value:
            parts.append(f"{negation}{value}")
        return " · ".join(parts)


def format_quantity(low: Decimal | None, best: Decimal | None, high: Decimal | None) -> str:
    def fmt(value: Decimal | None) -> str:
        return "?" if value is None else f"{value.normalize():f}"

    if low == best == high:
        return fmt(best)
    return f"{fmt(best)} ({fmt(low)}–{fmt(high)})"


class ClaimSourceRole(models.TextChoices):
    ORIGINAL = "original", "Original statement"
    REPORT = "report", "Report of it"
    REPUBLICATION = "republication", "Republication"
    EVIDENCE = "evidence", "Evidence"


@history_tracked()
class ClaimSource(FieldChecks):
    """Where a claim appears, in what role, and the verbatim excerpt."""

    Role = ClaimSourceRole

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="appearances")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="appearances")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REPORT)
    excerpt = text_field(EXCERPT_MAX_LENGTH, blank=True, help_text="Verbatim, as it appears in the source.")
    locator = models.CharField(
        max_length=100, blank=True, help_text='Where the excerpt sits: "¶4", or "00:01:23" in a video.'
    )

    class Meta:
        verbose_name = "claim appearance"
        ordering = ["id"]
        constraints = [
            choices_check("role", ClaimSourceRole, "claimsource"),
            models.UniqueConstraint(
                fields=["claim", "source", "role"],
                name="claimsource_claim_source_role_unique",
                violation_error_message="This source is already linked to the claim in this role.",
            ),
            max_length_check("excerpt", "claimsource", EXCERPT_MAX_LENGTH),
        ]
        indexes = [
            # Status by source URL: source -> claims.
            models.Index(fields=["source", "claim"], name="claimsource_source_claim"),
        ]
        # The claims' ``own_statement``, kept once per statement (a trigger with transition
        # tables takes one operation).
        triggers = [
            pgtrigger.Trigger(
                name=f"claimsource_own_statement_{operation}",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=getattr(pgtrigger, operation.capitalize()),
                referencing=pgtrigger.Referencing(**tables),  # type: ignore[no-untyped-call]
                func=sql.CLAIM_OWN_STATEMENT.format(claims=claims),
            )
            for operation, tables, claims in (
                ("insert", {"new": "new_rows"}, "SELECT DISTINCT claim_id FROM new_rows"),
                ("update", {"old": "old_rows", "new": "new_rows"},
                 "SELECT claim_id FROM old_rows UNION SELECT claim_id FROM new_rows"),
                ("delete", {"old": "old_rows"}, "SELECT DISTINCT claim_id FROM old_rows"),
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_role_display()} in {self.source}"
