"""Query filters for parties and sources."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, Func, Q, TextField, Value
from rest_framework.exceptions import ValidationError

from project.api.filters import id_filter, text_filter, url_filter
from sources.models import Party, Reliability, Source
from sources.urlnorm import InvalidURL, normalize_url


class PartyFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Party.Kind.choices, help_text="What sort of party.")
    reliability = django_filters.ChoiceFilter(choices=Reliability.choices)
    parent = id_filter("Directly under this party.", field_name="parent_id")
    side = id_filter("This party and every party under it.", method="filter_side")
    q = text_filter("Name or alias contains (case-insensitive).", method="filter_q")

    class Meta:
        model = Party
        fields: list[str] = []

    def filter_side(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.within(value)

    def filter_q(self, queryset: Any, name: str, value: str) -> Any:
        if not value.strip():
            return queryset
        aliases = Func(F("aliases"), Value("\n"), function="array_to_string", output_field=TextField())
        return queryset.annotate(_aliases=aliases).filter(Q(name__icontains=value) | Q(_aliases__icontains=value))


class SourceFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Source.Kind.choices, help_text="What sort of source.")
    publisher = id_filter("Published by this party.", field_name="publisher_id")
    republished_from = id_filter("Copies of this source.", field_name="republished_from_id")
    url = url_filter("This URL (normalised, as sources are stored).", method="filter_url")
    q = text_filter("Title contains (case-insensitive).", field_name="title", lookup_expr="icontains")

    class Meta:
        model = Source
        fields: list[str] = []

    def filter_url(self, queryset: Any, name: str, value: str) -> Any:
        try:
            return queryset.filter(url=normalize_url(value))
        except InvalidURL:
            raise ValidationError({"url": ["Give an absolute http(s) URL."]}) from None
