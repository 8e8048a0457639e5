"""Filter building blocks shared by the API apps, each with an exact OpenAPI schema."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1
TEXT_MAX_LENGTH = 200


class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number that fits a bigint (anything else is a 400, not a
    database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def id_filter(help_text: str, **kwargs: Any) -> IdFilter:
    return extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})(  # type: ignore[no-any-return]
        IdFilter(help_text=help_text, **kwargs)
    )


def text_filter(help_text: str, max_length: int = TEXT_MAX_LENGTH, **kwargs: Any) -> django_filters.CharFilter:
    return extend_schema_field({"type": "string", "maxLength": max_length})(  # type: ignore[no-any-return]
        django_filters.CharFilter(help_text=help_text, max_length=max_length, **kwargs)
    )
