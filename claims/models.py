"""Entities, predicates, claims, verdicts and contradictions.

Reads go through QuerySet methods named after domain states; writes go through
``claims.services``. The database keeps the invariants (see each model's ``Meta``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField, DateRangeField
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Cast
from rest_framework_api_key.models import AbstractAPIKey

from sources.models import (
    DATE_RANGE_MESSAGE,
    LATEST_DATE,
    FieldChecks,
    Party,
    Source,
    aliases_check,
    aliases_field,
    choices_check,
    date_range_validators,
    field_check,
    history_tracked,
    in_range_check,
    max_length_check,
    text_field,
    time_range_validators,
)

# Text limits, far above real text (and kept by CHECKs, see ``sources.models``):
# a statement is one proposition as an analyst writes it, a sentence or two (2,000
# characters is some 300 words); a value given as text is a short phrase; a quote or an
# excerpt is a verbatim passage, and 20,000 characters is about twenty minutes of speech;
# a verdict's rationale is at most a short article.
STATEMENT_MAX_LENGTH = 2000
TEXT_VALUE_MAX_LENGTH = 2000
QUOTE_MAX_LENGTH = 20_000
EXCERPT_MAX_LENGTH = 20_000
RATIONALE_MAX_LENGTH = 20_000


class FoldedNames(Func):
    """``cw_fold_names(name, aliases)``: every name of an entity, lower-cased, accents removed.

    The SQL function is created by migration 0001 (immutable, so it can be indexed).
    """

    function = "cw_fold_names"
    output_field = models.TextField()


class Fold(Func):
    """``cw_fold(text)``: lower-case, accents removed (ə→e and ı→i included)."""

    function = "cw_fold"
    output_field = models.TextField()


# --- Entities and predicates ----------------------------------------------------------


class EntityQuerySet(models.QuerySet["Entity"]):
    # Below this word similarity a name is not offered as a match ("Agbend" ~ "Aghband" is 0.29).
    FUZZY_THRESHOLD = 0.25

    def search(self, text: str) -> EntityQuerySet:
        """Entities whose name or alias matches ``text``, accent- and case-insensitively,
        exactly or fuzzily (trigram word similarity), best match first.

        Each match is annotated with its ``relevance``, 0 to 2: how well ``text`` matches
        the best-matching word run among the names (``word_similarity``, 1 for a name or
        alias containing it), plus how close the whole name is to it (``similarity``). So
        for "Shushi" the town Shusha, whose alias it is, comes before "Battle of Shusha",
        and an exact name before a longer one containing it.
        """
        text = text.strip()
        if not text:
            return self
        names = FoldedNames(F("name"), F("aliases"))
        query = Fold(models.Value(text))
        word_similarity = Func(query, names, function="word_similarity", output_field=models.FloatField())
        similarity = Func(query, Fold(F("name")), function="similarity", output_field=models.FloatField())
        # The trigram functions answer float4; as float8 the value a page cursor carries
        # compares equal to the one recomputed for the next page.
        relevance = Cast(word_similarity + similarity, models.FloatField())
        return (
            self.annotate(_names=names, _similarity=word_similarity, relevance=relevance)
            .filter(Q(_names__contains=query) | Q(_similarity__gte=self.FUZZY_THRESHOLD))
            .order_by("-relevance", "name")
        )

    def within(self, entity: Entity | int) -> EntityQuerySet:
        """The entity and every entity ``part_of`` it, however deep."""
        root = entity.pk if isinstance(entity, Entity) else entity
        return self.filter(
            pk__in=models.expressions.RawSQL(
                """
                WITH RECURSIVE tree(id) AS (
                    SELECT %s::bigint
                    UNION SELECT e.id FROM claims_entity e JOIN tree ON e.part_of_id = tree.id
                )
                SELECT id FROM tree
                """,
                [root],
            )
        )


class EntityKind(models.TextChoices):
    PLACE = "place", "Place"
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    MILITARY_UNIT = "military_unit", "Military unit"
    EVENT = "event", "Event"
    OTHER = "other", "Other"


@history_tracked()
class Entity(FieldChecks):
    """What claims are about: a place, a person, a unit, an event."""

    Kind = EntityKind

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PLACE)
    aliases = aliases_field(help_text="Other spellings and transliterations, e.g. Ağbənd, Agbend.")
    part_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        help_text="e.g. Aghband is part of Zangilan district.",
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    coordinate_precision_km = models.DecimalField(
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Radius within which the coordinates are known to be right.",
    )
    same_as = models.URLField(blank=True, help_text="An authority link, e.g. a Wikidata URL.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name"]
        constraints = [
            choices_check("kind", EntityKind, "entity"),
            models.UniqueConstraint(
                fields=["name", "kind", "part_of"],
                name="entity_name_kind_parent_unique",
                nulls_distinct=False,
                violation_error_message="An entity with this name and kind already exists here.",
            ),
            field_check(
                "latitude",
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90) & Q(latitude__lte=90) & Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="entity_coordinates_valid",
                message="Give both latitude (-90..90) and longitude (-180..180), or neither.",
            ),
            field_check(
                "part_of",
                condition=~Q(part_of=F("pk")),
                name="entity_not_part_of_itself",
                message="An entity cannot be part of itself.",
            ),
            aliases_check("entity"),
        ]
        indexes = [
            # Entity search (admin autocomplete, API ?subject=): accent-insensitive trigram match.
            GinIndex(OpClass(FoldedNames(F("name"), F("aliases")), name="gin_trgm_ops"), name="entity_names_trgm"),
        ]

    def __str__(self) -> str:
        return self.name


class PredicateValueType(models.TextChoices):
    ENTITY = "entity", "Entity"
    QUANTITY = "quantity", "Quantity"
    TEXT = "text", "Text"
    NONE = "none", "None"


class Predicate(FieldChecks):
    """The relation a claim asserts: "controlled by", "captured by", "casualties"…"""

    ValueType = PredicateValueType

    slug = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=100, unique=True)
    value_type = models.CharField(max_length=10, choices=ValueType.choices)
    single_valued = models.BooleanField(
        default=False,
        help_text="Only one value can be true for a subject at any one time (e.g. controlled by).",
    )
    unit = models.CharField(max_length=40, blank=True, help_text="For quantities, e.g. people, settlements.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            choices_check("value_type", PredicateValueType, "predicate"),
            # The target of Claim's composite foreign key (predicate, value_type).
            models.UniqueConstraint(fields=["id", "value_type"], name="predicate_id_value_type_unique"),
            field_check(
                "single_valued",
                condition=Q(single_valued=False) | ~Q(value_type="none"),
                name="predicate_single_valued_has_value",
                message="A predicate without a value cannot be single-valued.",
            ),
        ]

    def __str__(self) -> str:
        return self.label


# --- Claims ---------------------------------------------------------------------------


class PeriodPrecision(models.TextChoices):
    """A period bound known to the month covers the whole month."""

    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


class Rating(models.TextChoices):
    """Verdict ratings. ``CLAIM_REVIEW`` maps each to ClaimReview's reviewRating."""

    TRUE = "true", "True"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    MIXED = "mixed", "Mixed"
    MOSTLY_FALSE = "mostly_false", "Mostly false"
    FALSE = "false", "False"
    UNPROVEN = "unproven", "Unproven"


# ClaimReview reviewRating: ratingValue on a 1 (worst) .. 5 (best) scale, and alternateName.
# "Unproven" has no place on the truth scale, so it carries no ratingValue.
CLAIM_REVIEW_BEST, CLAIM_REVIEW_WORST = 5, 1
CLAIM_REVIEW: dict[str, tuple[int | None, str]] = {
    Rating.TRUE: (5, "True"),
    Rating.MOSTLY_TRUE: (4, "Mostly true"),
    Rating.MIXED: (3, "Half true"),
    Rating.MOSTLY_FALSE: (2, "Mostly false"),
    Rating.FALSE: (1, "False"),
    Rating.UNPROVEN: (None, "Unproven"),
}


class Status(models.TextChoices):
    """A claim's verification status: its latest verdict's rating, or unrated."""

    UNRATED = "unrated", "Unrated"
    TRUE = Rating.TRUE.value, Rating.TRUE.label
    MOSTLY_TRUE = Rating.MOSTLY_TRUE.value, Rating.MOSTLY_TRUE.label
    MIXED = Rating.MIXED.value, Rating.MIXED.label
    MOSTLY_FALSE = Rating.MOSTLY_FALSE.value, Rating.MOSTLY_FALSE.label
    FALSE = Rating.FALSE.value, Rating.FALSE.label
    UNPROVEN = Rating.UNPROVEN.value, Rating.UNPROVEN.label


class ClaimPeriod(Func):
    """The half-open date range a claim is about, widened to the precision of each bound.

    A bound known to the month covers the whole month; a missing end is open-ended.
    Built only from immutable functions, so it can be a stored generated column.
    """

    output_field = DateRangeField()

    def __init__(self) -> None:
        super().__init__(F("valid_from"))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra_context: Any,
    ) -> Any:
        sql = """daterange(
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
        return sql, []


class ClaimSearchVector(Func):
    """Full-text document over a claim's statement and quote (English configuration)."""

    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__(F("statement"))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra_context: Any,
    ) -> Any:
        return (
            "setweight(to_tsvector('english'::regconfig, coalesce(statement, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, coalesce(quote, '')), 'B')",
            [],
        )


class ClaimQuerySet(models.QuerySet["Claim"]):
    def active(self) -> ClaimQuerySet:
        """Claims that have not been retracted."""
        return self.filter(retracted_at__isnull=True)

    def retracted(self) -> ClaimQuerySet:
        return self.filter(retracted_at__isnull=False)

    def with_status(self, status: str) -> ClaimQuerySet:
        return self.filter(status=status)

    def disputed(self) -> ClaimQuerySet:
        """Claims that take part in an open or confirmed contradiction."""
        live = [Contradiction.State.OPEN, Contradiction.State.CONFIRMED]
        return self.filter(Q(contradictions_as_a__state__in=live) | Q(contradictions_as_b__state__in=live)).distinct()

    def about(self, entity: Entity | int) -> ClaimQuerySet:
        """Claims whose subject is the entity or any place within it."""
        return self.filter(subject__in=Entity.objects.within(entity))

    def asserted_by_side(self, party: Party | int) -> ClaimQuerySet:
        return self.filter(asserted_by__in=Party.objects.within(party))

    def overlapping(self, start: dt.date | None, end: dt.date | None) -> ClaimQuerySet:
        """Claims whose period overlaps [start, end] (either bound may be open)."""
        from psycopg2.extras import DateRange

        return self.filter(period__overlap=DateRange(start, end + dt.timedelta(days=1) if end else None, "[)"))


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


@history_tracked()
class Claim(FieldChecks):
    """One party's assertion of one proposition: subject · predicate · value, with polarity."""

    Polarity = ClaimPolarity

    Hedge = ClaimHedge

    Credibility = ClaimCredibility

    ReviewState = ClaimReviewState

    # The proposition.
    subject = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="claims_about")
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
    asserted_by = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="claims")
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
    current_verdict = models.ForeignKey(
        "Verdict", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    review_state = models.CharField(max_length=12, choices=ReviewState.choices, default=ReviewState.NEW)

    # A claim is corrected by retraction, never deleted.
    retracted_at = models.DateTimeField(null=True, blank=True, editable=False)
    retraction_reason = models.TextField(blank=True, editable=False)

    search_vector = models.GeneratedField(
        expression=ClaimSearchVector(), output_field=SearchVectorField(), db_persist=True
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
            # Dates the period, once widened, can still give back (see sources.models.LATEST_DATE).
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
            # Claim list and keyset pagination, newest first.
            models.Index(fields=["-asserted_at", "-id"], name="claim_asserted_id"),
            # The API's ?updated_since= and ?ordering=updated_at keyset pages.
            models.Index(fields=["updated_at", "id"], name="claim_updated_id"),
            # Status lookups: ?status=false.
            models.Index(fields=["status"], name="claim_status"),
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
                func="""
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
                """,
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

    def __str__(self) -> str:
        return f"{self.get_role_display()} in {self.source}"


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
                func="""
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
                """,
            ),
            # The claim's status is its latest verdict, kept in this one place.
            pgtrigger.Trigger(
                name="verdict_sets_claim_status",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                func="""
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
                """,
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


# --- Contradictions -------------------------------------------------------------------


class ContradictionQuerySet(models.QuerySet["Contradiction"]):
    def live(self) -> ContradictionQuerySet:
        """Flags that still need, or have had, a person's attention: open or confirmed."""
        return self.filter(state__in=[Contradiction.State.OPEN, Contradiction.State.CONFIRMED])

    def open(self) -> ContradictionQuerySet:
        return self.filter(state=Contradiction.State.OPEN)

    def integrity_alerts(self) -> ContradictionQuerySet:
        """Verdict conflicts: both claims are rated true although they cannot both be."""
        return self.filter(integrity_alert_verdict__isnull=False)

    def involving(self, claim: Claim | int) -> ContradictionQuerySet:
        pk = claim.pk if isinstance(claim, Claim) else claim
        return self.filter(Q(claim_a_id=pk) | Q(claim_b_id=pk))

    def about(self, entity: Entity | int) -> ContradictionQuerySet:
        """Contradictions about the entity or any place within it."""
        return self.filter(claim_a__subject__in=Entity.objects.within(entity))

    def involving_side(self, party: Party | int) -> ContradictionQuerySet:
        parties = Party.objects.within(party)
        return self.filter(Q(claim_a__asserted_by__in=parties) | Q(claim_b__asserted_by__in=parties))


class ContradictionKind(models.TextChoices):
    """Why two claims cannot both be true. A verdict conflict is not a kind of its own but
    an alert on a flag of one of these kinds (see ``Contradiction``)."""

    NEGATION = "negation", "Negation"
    CONFLICTING_VALUE = "conflicting_value", "Conflicting value"
    QUANTITY_MISMATCH = "quantity_mismatch", "Quantity mismatch"


class ContradictionRelation(models.TextChoices):
    DISPUTE = "dispute", "Dispute between parties"
    SELF = "self", "Self-contradiction"


class ContradictionState(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"
    RESOLVED = "resolved", "Resolved by a verdict"
    CLOSED = "closed", "Closed: rule no longer holds"


@history_tracked()
class Contradiction(models.Model):
    """A pair of claims that cannot both be true: found by a rule, explained, reviewed.

    Written by the engine (``claims.detection``) and by reviewers (``claims.services``). The
    engine never deletes a flag: when its rule stops holding it is closed with the reason,
    and the same row reopens if the rule holds again.

    **Verdict conflict** (two contradicting claims both rated true) is an integrity alert on
    the pair's one row, in ``integrity_alert_verdict`` / ``integrity_alert_at``, not a row of
    its own. A pair is stored once (``contradiction_pair_unique``), and a verdict conflict
    is always about a pair that a structural rule already flags: a second row would repeat
    the pair and the explanation, and its kind would hide *why* the claims disagree. So
    ``kind`` keeps the structural reason, and the alert is raised (naming the verdict that
    made both claims true) while both are rated true and cleared when either is re-rated.
    A dismissed flag raises no alert: a person has judged that the claims do not conflict.
    """

    Kind = ContradictionKind

    Relation = ContradictionRelation

    State = ContradictionState

    # Stored once per pair: claim_a is always the claim with the lower id.
    claim_a = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="contradictions_as_a")
    claim_b = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="contradictions_as_b")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    relation = models.CharField(max_length=10, choices=Relation.choices)
    explanation = models.TextField()
    rule = models.CharField(max_length=60)
    rule_version = models.PositiveIntegerField(default=1)
    detected_at = models.DateTimeField(db_default=models.functions.Now())
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    state_reason = models.TextField(blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by_verdict = models.ForeignKey(
        Verdict, null=True, blank=True, on_delete=models.PROTECT, related_name="resolved_contradictions"
    )
    # The verdict conflict alert: see the class docstring.
    integrity_alert_verdict = models.ForeignKey(
        Verdict,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integrity_alerts",
        verbose_name="verdict conflict",
        help_text="Set while both claims are rated true: the verdict that made them so.",
    )
    integrity_alert_at = models.DateTimeField(null=True, blank=True, verbose_name="verdict conflict raised at")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContradictionQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        permissions = [("review_contradiction", "Can confirm or dismiss a contradiction")]
        constraints = [
            choices_check("kind", ContradictionKind, "contradiction"),
            choices_check("relation", ContradictionRelation, "contradiction"),
            choices_check("state", ContradictionState, "contradiction"),
            models.CheckConstraint(
                condition=Q(claim_a__lt=F("claim_b")),
                name="contradiction_pair_ordered",
                violation_error_message="Store a pair with the lower claim id first.",
            ),
            models.UniqueConstraint(
                fields=["claim_a", "claim_b"],
                name="contradiction_pair_unique",
                violation_error_message="This pair of claims is already flagged.",
            ),
            models.CheckConstraint(
                condition=~Q(state="dismissed") | ~Q(state_reason=""),
                name="contradiction_dismissal_has_reason",
                violation_error_message="A dismissal needs a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved") | Q(resolved_by_verdict__isnull=False),
                name="contradiction_resolution_has_verdict",
                violation_error_message="A resolved contradiction names the verdict that settled it.",
            ),
            models.CheckConstraint(
                condition=Q(integrity_alert_verdict__isnull=True, integrity_alert_at__isnull=True)
                | Q(integrity_alert_verdict__isnull=False, integrity_alert_at__isnull=False),
                name="contradiction_alert_complete",
                violation_error_message="A verdict conflict names its verdict and when it was raised.",
            ),
        ]
        indexes = [
            # The triage queue: open flags, newest first.
            models.Index(fields=["-detected_at", "-id"], name="contradiction_open_queue", condition=Q(state="open")),
            # Contradictions of a claim (claim_a is covered by the unique constraint).
            models.Index(fields=["claim_b"], name="contradiction_claim_b"),
            # Journalists' filters: by kind and state.
            models.Index(fields=["kind", "state"], name="contradiction_kind_state"),
            # The API's contradiction list and its keyset pages, newest first, in every state.
            models.Index(fields=["-detected_at", "-id"], name="contradiction_detected_id"),
            # The reviewers' queue of verdict conflicts (``Contradiction.objects.integrity_alerts()``).
            models.Index(
                fields=["-integrity_alert_at"],
                name="contradiction_alert_queue",
                condition=Q(integrity_alert_verdict__isnull=False),
            ),
        ]
        triggers = [
            # Flags are closed with a reason, never deleted.
            pgtrigger.Protect(name="contradiction_protect_delete", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: #{self.claim_a_id} vs #{self.claim_b_id}"


class ScanRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class ScanRun(models.Model):
    """One run of the full contradiction scan."""

    Status = ScanRunStatus

    started_at = models.DateTimeField(db_default=models.functions.Now())
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    triggered_by = models.CharField(max_length=100, blank=True, help_text="beat, command, or a user.")
    claims_scanned = models.PositiveIntegerField(default=0)
    flags_opened = models.PositiveIntegerField(default=0)
    flags_closed = models.PositiveIntegerField(default=0)
    flags_reopened = models.PositiveIntegerField(default=0)
    flags_resolved = models.PositiveIntegerField(default=0, help_text="Settled by a verdict during this scan.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            choices_check("status", ScanRunStatus, "scanrun"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="scanrun_finished_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Scan {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


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


# --- API keys -------------------------------------------------------------------------


class UserAPIKey(AbstractAPIKey):
    """A per-user API key. Only a hash of the key is stored; the key acts as its user,
    with the user's role (group permissions)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
