"""Query filters of the claims API. Each parameter is one domain QuerySet call or one
indexed condition; invalid values are 400s naming the parameter."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.db.backends.postgresql.psycopg_any import DateRange  # type: ignore[import-untyped]
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError

from claims import selectors
from claims.models import Claim, Contradiction, Entity, Predicate, Rating, Status, Verdict, period_range
from project.api.filters import bool_filter, date_filter, datetime_filter, id_filter, text_filter, url_filter
from sources.urlnorm import InvalidURL, normalize_url


class PeriodFilterSet(django_filters.FilterSet):
    """``period_start`` / ``period_end``: what the claims are about overlaps that period."""

    period_start = date_filter(
        "The period the claim is about overlaps from this day (YYYY-MM-DD).", method="filter_nothing"
    )
    period_end = date_filter(
        "The period the claim is about overlaps up to this day (YYYY-MM-DD).", method="filter_nothing"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.period: DateRange | None = None

    def filter_nothing(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset  # both bounds are applied together in filter_queryset

    def clean_period(self) -> DateRange | None:
        start, end = self.form.cleaned_data.get("period_start"), self.form.cleaned_data.get("period_end")
        if start is None and end is None:
            return None
        if start is not None and end is not None and end < start:
            self.form.add_error("period_end", "The end is before the start.")
            return None
        return period_range(start, end)

    def is_valid(self) -> bool:
        valid = bool(super().is_valid())
        if valid:
            self.period = self.clean_period()
            valid = not self.form.errors
        return valid


class ClaimFilter(PeriodFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, help_text="Current status (repeatable).")
    party = id_filter("Asserted by this party.", field_name="asserted_by_id")
    side = id_filter("Asserted by this party or any party under it.", method="filter_side")
    subject = id_filter("About this entity.", field_name="subject_id")
    subject_name = text_filter(
        "About an entity with this name or alias (accent- and case-insensitive, fuzzy).", method="filter_subject_name"
    )
    about = id_filter("About this entity or any place within it (part_of).", method="filter_about")
    predicate = text_filter("The predicate's slug, e.g. controlled-by.", max_length=60, field_name="predicate__slug")
    source_url = url_filter(
        "Appears in the source with this URL (normalised, as sources are stored).", method="filter_source_url"
    )
    asserted_after = datetime_filter("Asserted at or after.", field_name="asserted_at", lookup_expr="gte")
    asserted_before = datetime_filter("Asserted before.", field_name="asserted_at", lookup_expr="lt")
    updated_since = datetime_filter(
        "Changed at or after (for the exact, commit-ordered list of changes use /changes/).",
        field_name="updated_at",
        lookup_expr="gte",
    )
    q = text_filter(
        'Full-text search over statement and quote (web-search syntax: "quoted phrase", or, -not).',
        max_length=500,
        method="filter_q",
    )
    retracted = bool_filter("Only retracted, or only not.", method="filter_retracted")
    review_state = django_filters.ChoiceFilter(
        choices=Claim.ReviewState.choices, help_text="Where the claim is in review."
    )

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_side(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.asserted_by_side(value)

    def filter_subject_name(self, queryset: Any, name: str, value: str) -> Any:
        if not value.strip():
            return queryset
        return queryset.filter(subject__in=Entity.objects.search(value).values("pk"))

    def filter_about(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.about(value)

    def filter_source_url(self, queryset: Any, name: str, value: str) -> Any:
        try:
            url = normalize_url(value)
        except InvalidURL:
            raise ValidationError({"source_url": ["Give an absolute http(s) URL."]}) from None
        return queryset.filter(pk__in=selectors.claim_ids_in_source(url))

    def filter_q(self, queryset: Any, name: str, value: str) -> Any:
        if not value.strip():
            return queryset
        # Matches the generated search_vector column, so the GIN index claim_search_gin serves it.
        return queryset.filter(search_vector=SearchQuery(value, search_type="websearch", config="english"))

    def filter_retracted(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        return queryset.filter(retracted_at__isnull=not value)

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        if self.period is not None:
            queryset = queryset.overlapping(self.period)
        return queryset


class ContradictionFilter(PeriodFilterSet):
    entity = id_filter("About this entity or any place within it (either claim's subject).", method="filter_entity")
    party = id_filter("Either claim asserted by this party.", method="filter_party")
    side = id_filter("Either claim asserted by this party or any party under it.", method="filter_side")
    kind = django_filters.MultipleChoiceFilter(
        choices=Contradiction.Kind.choices, help_text="How the claims conflict (repeatable)."
    )
    relation = django_filters.ChoiceFilter(
        choices=Contradiction.Relation.choices, help_text="Between two parties, or a party against itself."
    )
    state = django_filters.MultipleChoiceFilter(
        choices=Contradiction.State.choices, help_text="Review state (repeatable)."
    )
    confidence = django_filters.TypedMultipleChoiceFilter(
        choices=Contradiction.Confidence.choices,
        coerce=int,
        help_text="How firm the flag is: 3 high, 2 medium, 1 low (repeatable).",
    )
    detected_since = datetime_filter("Detected at or after.", field_name="detected_at", lookup_expr="gte")

    class Meta:
        model = Contradiction
        fields: list[str] = []

    def filter_entity(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.about(value)

    def filter_party(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.filter(Q(claim_a__asserted_by_id=value) | Q(claim_b__asserted_by_id=value))

    def filter_side(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.involving_side(value)

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        if self.period is not None:
            queryset = queryset.overlapping(self.period)
        return queryset


class VerdictFilter(django_filters.FilterSet):
    claim = id_filter("Verdicts of this claim.", field_name="claim_id")
    rating = django_filters.MultipleChoiceFilter(choices=Rating.choices, help_text="The verdict's rating (repeatable).")
    published = bool_filter(
        "Only published verdicts, or only unpublished.", field_name="published_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Verdict
        fields: list[str] = []


class EntityFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Entity.Kind.choices, help_text="What sort of entity.")
    part_of = id_filter("Directly part of this entity.", field_name="part_of_id")
    within = id_filter("This entity and everything within it, however deep.", method="filter_within")
    q = text_filter(
        "Name or alias: accent- and case-insensitive, fuzzy (Agbend finds Aghband). Unless an ordering is "
        "asked for, the best match comes first (ordering=-relevance).",
        method="filter_q",
    )

    class Meta:
        model = Entity
        fields: list[str] = []

    def filter_within(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.within(value)

    def filter_q(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.search(value)  # annotates each match's relevance


class PredicateFilter(django_filters.FilterSet):
    value_type = django_filters.ChoiceFilter(
        choices=Predicate.ValueType.choices,
        help_text="What the predicate's value is: an entity, a quantity, text or none.",
    )

    class Meta:
        model = Predicate
        fields: list[str] = []
