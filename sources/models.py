"""Parties (who asserts claims) and Sources (the documents in which claims appear)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.validators import ArrayMaxLengthValidator
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from sources.urlnorm import NORMALISED_URL, NOT_NORMALISED_URL, InvalidURL, normalize_url


def choices_check(field: str, choices: type[models.TextChoices], model: str) -> models.CheckConstraint:
    """A CheckConstraint that limits ``field`` to the values of ``choices``."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=f"{model}_{field}_valid",
        violation_error_message=f"{field} must be one of: {', '.join(choices.values)}.",
    )


# Constraint name -> the field its violation is reported against (see ``field_check``).
CHECK_FIELDS: dict[str, str] = {}


def field_check(field: str, *, condition: Any, name: str, message: str) -> models.CheckConstraint:
    """A CheckConstraint that is about one field: when a model's validation finds it broken
    (an admin form, a service's ``full_clean``), the error is reported against ``field``
    rather than the form as a whole (see ``FieldChecks``). The error code is the
    constraint's name."""
    CHECK_FIELDS[name] = field
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_message=message, violation_error_code=name
    )


class FieldChecks(models.Model):
    """A model whose ``field_check`` violations are reported against their fields.

    Django reports every CheckConstraint as a non-field error. A form then shows it at the
    top, away from the field to change, and a form that also validates the model itself
    (as the claim form does, through the service) shows it twice. Against a field it shows
    once: Django skips the checks of a field that already has an error.
    """

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors: dict[str, list[ValidationError]] = {}
            for name, items in exc.error_dict.items():
                for error in items:
                    field = CHECK_FIELDS.get(str(error.code)) if name == NON_FIELD_ERRORS else None
                    errors.setdefault(field or name, []).append(error)
            raise ValidationError(errors) from None


# --- Limits ---------------------------------------------------------------------------
# Each limit is far above what an analyst types or pastes, and is kept by a CHECK as well
# as by validation (a 400 or a form error naming the field). Without them a megabyte of
# text reaches the full-text index (``string is too long for tsvector``: a 500), and a
# multi-megabyte one is stored and sent to every reader of the claim.

# The number of other spellings of one name: transliterations into a few scripts and
# languages come to a dozen or two.
MAX_ALIASES = 50

# Dates and times are kept to the years 1 to 9998. A claim's period widens an end known to
# the month or year to the next 1 January, and the admin's date drill-down steps to the
# next year: a later date would come back from PostgreSQL as one that Python (and so the
# admin and the API) cannot represent ("year 10000 is out of range"). Before year 1 there
# is no Python date at all.
EARLIEST_DATE = dt.date(1, 1, 1)
LATEST_DATE = dt.date(9998, 12, 31)
EARLIEST_TIME = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
LATEST_TIME = dt.datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
DATE_RANGE_MESSAGE = "Give a date from the year 1 to the year 9998."
TIME_RANGE_MESSAGE = "Give a time from the year 1 to the year 9998 (UTC)."


def date_range_validators() -> list[Any]:
    return [
        MinValueValidator(EARLIEST_DATE, message=DATE_RANGE_MESSAGE),
        MaxValueValidator(LATEST_DATE, message=DATE_RANGE_MESSAGE),
    ]


def time_range_validators() -> list[Any]:
    return [
        MinValueValidator(EARLIEST_TIME, message=TIME_RANGE_MESSAGE),
        MaxValueValidator(LATEST_TIME, message=TIME_RANGE_MESSAGE),
    ]


def in_range_check(field: str, model: str, *, nullable: bool, time: bool) -> models.CheckConstraint:
    """The CHECK behind ``date_range_validators`` / ``time_range_validators``."""
    earliest, latest = (EARLIEST_TIME, LATEST_TIME) if time else (EARLIEST_DATE, LATEST_DATE)
    condition = Q(**{f"{field}__gte": earliest, f"{field}__lte": latest})
    if nullable:
        condition = Q(**{f"{field}__isnull": True}) | condition
    return field_check(
        field,
        condition=condition,
        name=f"{model}_{field}_representable",
        message=TIME_RANGE_MESSAGE if time else DATE_RANGE_MESSAGE,
    )


def text_field(max_length: int, **kwargs: Any) -> models.TextField:  # type: ignore[type-arg]
    """A TextField that validates its ``max_length`` (Django's only passes it to forms)."""
    return models.TextField(max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs)


def max_length_check(field: str, model: str, limit: int) -> models.CheckConstraint:
    """The CHECK behind a text field's ``max_length`` (``char_length`` in PostgreSQL)."""
    return field_check(
        field,
        condition=LessThanOrEqual(Length(field), limit),
        name=f"{model}_{field}_length",
        message=f"{field} has at most {limit} characters.",
    )


def aliases_field(**kwargs: Any) -> ArrayField:  # type: ignore[type-arg]
    """Other names of an entity or party: each a name (at most 200 characters, as the
    column type keeps), and at most ``MAX_ALIASES`` of them."""
    return ArrayField(
        models.CharField(max_length=200),
        default=list,
        blank=True,
        validators=[
            ArrayMaxLengthValidator(
                MAX_ALIASES, message=f"Give at most {MAX_ALIASES} aliases (this has %(show_value)d)."
            )
        ],
        **kwargs,
    )


def aliases_check(model: str) -> models.CheckConstraint:
    return field_check(
        "aliases",
        condition=Q(aliases__len__lte=MAX_ALIASES),
        name=f"{model}_aliases_count",
        message=f"Give at most {MAX_ALIASES} aliases.",
    )


def history_tracked() -> Any:
    """Track every insert, update and delete in a history table, written by triggers,
    so that bulk updates and raw SQL are recorded too. The acting user and URL come from
    ``pghistory.middleware.HistoryMiddleware`` or a ``pghistory.context()`` block."""
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


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
        return self.filter(
            pk__in=models.expressions.RawSQL(
                """
                WITH RECURSIVE side(id) AS (
                    SELECT %s::bigint
                    UNION SELECT p.id FROM sources_party p JOIN side ON p.parent_id = side.id
                )
                SELECT id FROM side
                """,
                [root],
            )
        )


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

    def __str__(self) -> str:
        return self.name

    @property
    def side(self) -> Party:
        """The top-most ancestor: the side in a conflict this party speaks for."""
        party = self
        seen = {party.pk}
        while party.parent_id is not None and party.parent_id not in seen:
            party = party.parent  # type: ignore[assignment]
            seen.add(party.pk)
        return party


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
            # Source autocomplete and admin search by title.
            GinIndex(fields=["title"], name="source_title_trgm", opclasses=["gin_trgm_ops"]),
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
