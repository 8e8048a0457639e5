"""The request body of an entity write: what an analyst gives for a place, a person, a
unit or an event. The rules that need the database (not part of itself, a name and kind
unique within its place, both coordinates or neither) are the model's, checked by
``claims.services.entity_save`` and reported against the field."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import Entity
from project.api.fields import StrictCharField, StrictChoiceField, StrictPrimaryKeyRelatedField
from project.api.serializers import InputSerializer
from sources.api.inputs import aliases_input, url_input


class StrictDecimalField(serializers.DecimalField):
    """A decimal given as a JSON number, or as a string of plain digits (no exponent), to
    keep every digit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        integer_digits = self.max_digits - self.decimal_places  # type: ignore[operator]
        self.pattern = re.compile(rf"^-?\d{{0,{integer_digits}}}(?:\.\d{{0,{self.decimal_places}}})?$")

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        if isinstance(data, str) and not self.pattern.match(data):
            self.fail("invalid")
        return super().to_internal_value(data)  # type: ignore[return-value]


def decimal_schema(*, integer_digits: int, decimal_places: int, minimum: int, maximum: int) -> dict[str, Any]:
    pattern = rf"^-?\d{{0,{integer_digits}}}(?:\.\d{{0,{decimal_places}}})?$"
    return {
        "oneOf": [
            {"type": "string", "pattern": pattern},
            {"type": "number", "minimum": minimum, "maximum": maximum},
        ],
        "description": f"Up to {decimal_places} decimal places, from {minimum} to {maximum}; a number or a string.",
    }


@extend_schema_field(decimal_schema(integer_digits=3, decimal_places=6, minimum=-90, maximum=90))
class LatitudeField(StrictDecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=9, decimal_places=6, min_value=-90, max_value=90, **kwargs)


@extend_schema_field(decimal_schema(integer_digits=3, decimal_places=6, minimum=-180, maximum=180))
class LongitudeField(StrictDecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=9, decimal_places=6, min_value=-180, max_value=180, **kwargs)


@extend_schema_field(decimal_schema(integer_digits=5, decimal_places=3, minimum=0, maximum=99999))
class PrecisionKmField(StrictDecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=8, decimal_places=3, min_value=0, max_value=99999, **kwargs)


class EntityInput(InputSerializer):
    """An entity as an analyst writes it; on PATCH, only the fields given change."""

    name = StrictCharField(max_length=200, help_text="Unique with its kind within the place it is part of.")
    kind = StrictChoiceField(choices=Entity.Kind.choices, required=False)
    aliases = aliases_input("Other spellings and transliterations, e.g. Ağbənd, Agbend.")
    part_of = StrictPrimaryKeyRelatedField(
        queryset=Entity.objects.all(), allow_null=True, required=False,
        help_text="The id of the entity this one is part of, e.g. Aghband's district.",
    )  # fmt: skip
    latitude = LatitudeField(allow_null=True, required=False, help_text="Give both coordinates, or neither.")
    longitude = LongitudeField(allow_null=True, required=False, help_text="Give both coordinates, or neither.")
    coordinate_precision_km = PrecisionKmField(
        allow_null=True, required=False, help_text="Radius within which the coordinates are known to be right."
    )
    same_as = url_input(max_length=200, allow_blank=True, help_text="An authority link, e.g. a Wikidata URL.")
    description = StrictCharField(allow_blank=True, required=False, max_length=10_000)
