"""What claims are about and what they assert: entities, predicates, and the shared vocabularies of periods, ratings and statuses."""

from __future__ import annotations

from functools import cached_property

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Cast

from claims.models.expressions import Fold, FoldedNames
from project.db import (
    TREE_MAX_DEPTH,
    FieldChecks,
    aliases_check,
    aliases_field,
    choices_check,
    field_check,
    history_tracked,
    subtree,
    tree_error,
    tree_trigger,
)

# --- Entities and predicates ----------------------------------------------------------


class WordSimilar(Func):
    """``text <% names``: some run of words in ``names`` is at least as similar to ``text``
    as pg_trgm.word_similarity_threshold says (what the trigram index can answer, where
    ``word_similarity(...) >= x`` makes PostgreSQL compute it for every row)."""

    arg_joiner = " <%% "
    template = "(%(expressions)s)"
    output_field = models.BooleanField()


class EntityQuerySet(models.QuerySet["Entity"]):
    # Below this word similarity a name is not offered as a match ("Agbend" ~ "Aghband" is 0.29).
    # The trigram index finds the names above it through pg_trgm's ``<%`` operator, whose
    # threshold is the setting pg_trgm.word_similarity_threshold: project/settings.py sets
    # it to this on every connection.
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
            .filter(Q(_names__contains=query) | Q(WordSimilar(query, names)))
            .order_by("-relevance", "name")
        )

    def within(self, entity: Entity | int) -> EntityQuerySet:
        """The entity and every entity ``part_of`` it, however deep."""
        root = entity.pk if isinstance(entity, Entity) else entity
        return self.filter(pk__in=subtree("claims_entity", "part_of_id", root))


class EntityKind(models.TextChoices):
    PLACE = "place", "Place"
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    MILITARY_UNIT = "military_unit", "Military unit"
    EVENT = "event", "Event"
    OTHER = "other", "Other"


PART_OF_LOOP = "This place lies within the entity itself: an entity cannot be part of a place within it."
PART_OF_TOO_DEEP = (
    f"Places nest at most {TREE_MAX_DEPTH} levels deep, and this would nest them deeper: put the place within a "
    "place higher up."
)


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

    @cached_property
    def within_ids(self) -> list[int]:
        """The ids of this entity and of every entity within it, however deep: read once for
        this object (a place's page asks twice, for its timeline and for its flags)."""
        return list(Entity.objects.within(self).values_list("pk", flat=True))

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
                # Both bounds compared only when both are given: a comparison with NULL is
                # NULL, which a CHECK lets through (a latitude alone would pass).
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (
                    Q(latitude__isnull=False)
                    & Q(longitude__isnull=False)
                    & Q(latitude__gte=-90)
                    & Q(latitude__lte=90)
                    & Q(longitude__gte=-180)
                    & Q(longitude__lte=180)
                ),
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
        triggers = [
            tree_trigger(
                "claims_entity",
                "part_of_id",
                name="entity_part_of_tree",
                loop=PART_OF_LOOP,
                loop_name="entity_part_of_no_loop",
                too_deep=PART_OF_TOO_DEEP,
                too_deep_name="entity_part_of_depth",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        error = tree_error(self, "part_of", loop=PART_OF_LOOP, too_deep=PART_OF_TOO_DEEP)
        if error is not None:
            raise error


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
    spreads_to_parts = models.BooleanField(
        default=False,
        db_default=False,  # rows written by the starter vocabulary's migration, which predates it
        help_text="A claim about a place holds for every place within it (part_of, at any depth): "
        '"controlled by" (the whole place) does, "present near" does not.',
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
