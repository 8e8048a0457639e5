"""Filter building blocks shared by the API apps, each with an exact OpenAPI schema.

A filter whose schema is given here (``extend_schema_field``) gets its description from
that schema alone, so each helper puts the help text into it: every query parameter is
documented.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

from project.api.fields import NAIVE_DATETIME_MESSAGE, is_naive_datetime

MAX_ID = 2**63 - 1
TEXT_MAX_LENGTH = 200
# An absolute http(s) URL, the shape sources.urlnorm.normalize_url accepts.
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@:\[\]]+(:[0-9]{1,4})?([/?#]\S*)?$"


class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number that fits a bigint (anything else is a 400, not a
    database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def id_filter(help_text: str, **kwargs: Any) -> IdFilter:
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": help_text}
    return extend_schema_field(schema)(IdFilter(help_text=help_text, **kwargs))  # type: ignore[no-any-return]


def text_filter(help_text: str, max_length: int = TEXT_MAX_LENGTH, **kwargs: Any) -> django_filters.CharFilter:
    return extend_schema_field({"type": "string", "maxLength": max_length, "description": help_text})(  # type: ignore[no-any-return]
        django_filters.CharFilter(help_text=help_text, max_length=max_length, **kwargs)
    )


def url_filter(help_text: str, **kwargs: Any) -> django_filters.CharFilter:
    schema = {"type": "string", "maxLength": 2000, "pattern": URL_PATTERN, "description": help_text}
    return extend_schema_field(schema)(  # type: ignore[no-any-return]
        django_filters.CharFilter(help_text=help_text, max_length=2000, **kwargs)
    )


def date_filter(help_text: str, **kwargs: Any) -> django_filters.DateFilter:
    return extend_schema_field({"type": "string", "format": "date", "description": help_text})(  # type: ignore[no-any-return]
        django_filters.DateFilter(help_text=help_text, **kwargs)
    )


class AwareDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time with its time zone, as request bodies require (a naive one is
    refused rather than read in the server's zone)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and is_naive_datetime(value):
            raise forms.ValidationError(NAIVE_DATETIME_MESSAGE, code="naive_datetime")
        return super().to_python(value)


class AwareDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = AwareDateTimeField


def datetime_filter(help_text: str, **kwargs: Any) -> AwareDateTimeFilter:
    description = (
        f"{help_text} An ISO 8601 date-time with its time zone: Z, or an offset such as +04:00 (%2B04:00 in a URL)."
    )
    return extend_schema_field({"type": "string", "format": "date-time", "description": description})(  # type: ignore[no-any-return]
        AwareDateTimeFilter(help_text=help_text, **kwargs)
    )


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, not "no filter"."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        lowered = str(value).strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise forms.ValidationError("Give true or false.", code="invalid")


class BoolFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


def bool_filter(help_text: str, **kwargs: Any) -> BoolFilter:
    return extend_schema_field({"type": "boolean", "description": help_text})(  # type: ignore[no-any-return]
        BoolFilter(help_text=help_text, **kwargs)
    )


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds the filter form (deep-copying every filter's
    field) only when the request names one of the filters: an unfiltered list, the most
    common request, skips that work."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
