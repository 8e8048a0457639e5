"""Input fields that take JSON types at their word.

DRF's fields coerce: ``"5"`` passes as an integer, ``0`` as a string or a boolean. The
schema promises types, and a client that sends the wrong one has a bug, so request
bodies use these fields, which refuse a value of the wrong JSON type with a 400 naming
the field. (Query parameters are text by nature and keep DRF's parsing, except that a
date-time must carry its time zone wherever it comes from.)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from project.api.loading import instance_where

MAX_ID = 2**63 - 1
DECIMAL_PATTERN = r"^-?\d{0,12}(?:\.\d{0,2})?$"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(serializers.RegexField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if not _is_int(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice whose JSON type must be the choices' type (1, not "1")."""

    def to_internal_value(self, data: Any) -> Any:
        if not any(type(data) is type(choice) for choice in self.choices):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


NAIVE_DATETIME_MESSAGE = (
    "Give the time zone: end the date-time with Z (UTC) or an offset such as +04:00 (URL-encode the + in a query)."
)


def is_naive_datetime(value: str) -> bool:
    """Whether ``value`` parses as an ISO 8601 date-time without a time zone."""
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return False  # a date-time that does not exist (2020-02-30): the parser's own error
    return parsed is not None and timezone.is_naive(parsed)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time with its time zone. Without one, "10:00" could be any of some
    twenty-six instants, and the server's own zone is not the client's: refuse it."""

    default_error_messages = {"naive_datetime": NAIVE_DATETIME_MESSAGE}

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            self.fail("invalid", format="an ISO 8601 date-time")
        if is_naive_datetime(value):
            self.fail("naive_datetime")
        return super().to_internal_value(value)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """An object id: a whole number that fits a bigint, and names an existing row."""

    def to_internal_value(self, data: Any) -> Any:
        if not _is_int(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class StrictSlugRelatedField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """An object named by a unique text column (a predicate's slug), found by one
    precompiled query (``project.api.loading``)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data:  # PostgreSQL text cannot hold it (DRF's own field says so too)
            self.fail("invalid")
        found = instance_where(self.get_queryset(), self.slug_field, data)
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return found


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "number"}],
        "description": "A decimal with up to 12 digits before the point and 2 after, as a string or a number.",
    }
)
class QuantityField(serializers.DecimalField):
    """A quantity: a JSON number, or a string (to keep every digit)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=14, decimal_places=2, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        return super().to_internal_value(data)  # type: ignore[return-value]


class IdListField(serializers.Field):  # type: ignore[type-arg]
    """A list of object ids, checked in one pass (the status lookup takes up to 1000)."""

    default_error_messages = {
        "not_a_list": "Expected a list of ids.",
        "max_length": "Give at most {max_length} ids.",
        "invalid": "An id is a whole number from 1 to 2^63 - 1.",
    }

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[int]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        wrong = {str(index): [self.error_messages["invalid"]] for index, value in enumerate(data)
                 if type(value) is not int or not 1 <= value <= MAX_ID}  # fmt: skip
        if wrong:
            raise serializers.ValidationError(wrong)
        return data

    def to_representation(self, value: Any) -> Any:
        return value
