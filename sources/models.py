"""Parties (who asserts claims) and Sources (the documents in which claims appear)."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from project.db import (
    TREE_MAX_DEPTH,
    FieldChecks,
    aliases_check,
    aliases_field,
    choices_check,
    field_check,
    history_tracked,
    in_range_check,
    subtree,
    time_range_validators,
    tree_error,
    tree_trigger,
)
from sources.sql import PARTY_SIDE
from sources.urlnorm import NORMALISED_URL, NOT_NORMALISED_URL, InvalidURL, normalize_url


class DatePrecision(models.TextChoices):
    """How much of a date is known. A date known to the month covers the whole month."""

    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"
    MINUTE = "minute", "Minute"


class Reliability(models.TextChoices):
    """Source reliability on the Admiralty (NATO) scale."""

    A = "A", "A – Completely reliable"
    B = "B", "B – Usually reliable"
    C = "C", "C – Fairly reliable"
    D = "D", "D – Not usually reliable"
    E = "E", "E – Unreliable"
    F = "F", "F – Reliability cannot be judged"


class NormalizedURLField(models.URLField):  # type: ignore[type-arg]
    """A URL stored, and looked up, in its normalised form (see ``sources.urlnorm``)."""

    def to_python(self, value: Any) -> str | None:
        value = super().to_python(value)
        if not value:
            return None
        try:
            return normalize_url(value)
        except InvalidURL as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return None
        try:
            return normalize_url(value)
        except InvalidURL:
            # Stored as given; the table's CHECK constraint rejects it with a clear name.
            return value


class PartyQuerySet(models.QuerySet["Party"]):
    def within(self, party: Party | int) -> PartyQuerySet:
        """The party and every party under it (its side), however deep."""
        root = party.pk if isinstance(party, Party) else party
        return self.filter(pk__in=subtree("sources_party", "parent_id", root))


class PartyKind(models.TextChoices):
    STATE = "state", "State or government"
    MILITARY = "military", "Military"
    OFFICIAL = "official", "Official"
    MEDIA = "media", "Media outlet"
    JOURNALIST = "journalist", "Journalist"
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    ARMED_GROUP = "armed_group", "Armed group"
    UNKNOWN = "unknown", "Unknown"


PARENT_LOOP = "This party is under the party itself: a party cannot belong to a party under it."
PARENT_TOO_DEEP = (
    f"Parties nest at most {TREE_MAX_DEPTH} levels deep, and this would nest them deeper: put the party under a "
    "party higher up."
)


@history_tracked()
class Party(FieldChecks):
    """Who asserts claims: a government, a ministry, an outlet, a person."""

    Kind = PartyKind

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.UNKNOWN)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The side this party belongs to, e.g. a ministry belongs to its state.",
    )
    aliases = aliases_field()
    same_as = models.URLField(blank=True, help_text="An authority link, e.g. a Wikidata URL.")
    reliability = models.CharField(
        max_length=1,
        choices=Reliability.choices,
        default=Reliability.F,
        help_text="Source reliability on the Admiralty scale.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "parties"
        ordering = ["name"]
        constraints = [
            choices_check("kind", PartyKind, "party"),
            choices_check("reliability", Reliability, "party"),
            field_check(
                "parent",
                condition=~Q(parent=models.F("pk")),
                name="party_not_own_parent",
                message="A party cannot be its own parent.",
            ),
            aliases_check("party"),
        ]
        indexes = [
            # Party autocomplete and the API's ?party= lookup by alias.
            GinIndex(fields=["aliases"], name="party_aliases_gin"),
        ]
        triggers = [
            tree_trigger(
                "sources_party",
                "parent_id",
                name="party_parent_tree",
                loop=PARENT_LOOP,
                loop_name="party_parent_no_loop",
                too_deep=PARENT_TOO_DEEP,
                too_deep_name="party_parent_depth",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        error = tree_error(self, "parent", loop=PARENT_LOOP, too_deep=PARENT_TOO_DEEP)
        if error is not None:
            raise error

    @property
    def side(self) -> Party:
        """The top-most ancestor: the side in a conflict this party speaks for (as saved;
        ``sources.sql.PARTY_SIDE`` walks up to it)."""
        if self.parent_id is None:
            return self
        return Party.objects.get(pk=models.expressions.RawSQL(f"{PARTY_SIDE}(%s)", [self.pk]))  # noqa: S611


class SourceKind(models.TextChoices):
    ARTICLE = "article", "Article"
    VIDEO = "video", "Video"
    IMAGE = "image", "Image"
    STATEMENT = "statement", "Official statement"
    SOCIAL_POST = "social_post", "Social-media post"
    TRANSCRIPT = "transcript", "Transcript"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


@history_tracked()
class Source(FieldChecks):
    """One document or media item in which claims appear."""

    Kind = SourceKind

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARTICLE)
    url = NormalizedURLField(
        max_length=2000,
        null=True,
        blank=True,
        help_text="Stored normalised: lower-case scheme and host, no tracking parameters or trailing slash.",
    )
    title = models.CharField(max_length=500)
    publisher = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="published_sources"
    )
    author = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 tag, e.g. en, hy, az.")
    published_at = models.DateTimeField(null=True, blank=True, validators=time_range_validators())
    published_precision = models.CharField(max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY)
    republished_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="republications",
        help_text="The source this one copies, so that copies are not counted as independent origins.",
    )
    archive_url = models.URLField(max_length=2000, blank=True)
    content_hash = models.CharField(max_length=128, blank=True, help_text="e.g. sha256:…")
    retrieved_at = models.DateTimeField(null=True, blank=True, validators=time_range_validators())
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "title"]
        constraints = [
            choices_check("kind", SourceKind, "source"),
            choices_check("published_precision", DatePrecision, "source"),
            models.UniqueConstraint(
                fields=["url"],
                name="source_url_unique",
                violation_error_message="A source with this URL (after normalisation) already exists.",
            ),
            field_check(
                "url",
                # The shape normalize_url produces, so raw SQL cannot store a second form of a URL.
                condition=Q(url__isnull=True) | (Q(url__regex=NORMALISED_URL) & ~Q(url__regex=NOT_NORMALISED_URL)),
                name="source_url_normalised",
                message="The URL is not in normalised form.",
            ),
            field_check(
                "republished_from",
                condition=~Q(republished_from=models.F("pk")),
                name="source_not_republication_of_itself",
                message="A source cannot be a republication of itself.",
            ),
            # Dates an analyst gives: see LATEST_TIME.
            in_range_check("published_at", "source", nullable=True, time=True),
            in_range_check("retrieved_at", "source", nullable=True, time=True),
        ]
        indexes = [
            # Source autocomplete, admin search and the reader's search by title: each is
            # Django's icontains, UPPER(title) LIKE '%…%', which only an index on UPPER(title)
            # serves (one on the bare title left a scan of every source: 21 ms at 100,000).
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="source_title_trgm"),
        ]

    def __str__(self) -> str:
        publisher = f" ({self.publisher})" if self.publisher_id else ""
        return f"{self.title}{publisher}"

    def origin(self) -> Source:
        """Follow ``republished_from`` to the first publication."""
        source = self
        seen = {source.pk}
        while source.republished_from_id is not None and source.republished_from_id not in seen:
            source = source.republished_from  # type: ignore[assignment]
            seen.add(source.pk)
        return source
