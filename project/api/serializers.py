"""The base of every request body's serializer.

DRF drops a body field it does not know, so a client that misspells one (``asserted_on``
for ``asserted_at``) or sends one the endpoint does not take (``id``, ``status``) never
hears that its value was ignored. Bodies here refuse it with a 400 naming the field. The
check runs in ``to_internal_value``, so it holds for nested bodies too
(``appearances.0.page``).

Query parameters are not checked this way: a query string also carries the pagination's
and the filters' parameters, which the view's input serializer does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from project.api.fields import StrictDateTimeField

_M = TypeVar("_M", bound=models.Model)

UNKNOWN_FIELD_CODE = "unknown_field"


def _writable_names(serializer: serializers.Serializer[Any]) -> frozenset[str]:
    """The body fields ``serializer`` takes, worked out once per instance (its fields are)."""
    names: frozenset[str] | None = serializer.__dict__.get("_strict_writable_names")
    if names is None:
        names = frozenset(field.field_name for field in serializer._writable_fields if field.field_name)
        serializer.__dict__["_strict_writable_names"] = names
    return names


def _unknown_fields(serializer: serializers.Serializer[Any], data: Any) -> dict[str, list[ErrorDetail]]:
    if not isinstance(data, Mapping):
        return {}  # DRF's own "expected a dictionary" error applies
    writable = _writable_names(serializer)
    unknown = [name for name in data if name not in writable]
    if not unknown:
        return {}
    expected = ", ".join(sorted(writable)) if writable else "none"
    message = f"This endpoint does not take this field. Its fields: {expected}."
    return {str(name): [ErrorDetail(message, code=UNKNOWN_FIELD_CODE)] for name in unknown}


class StrictInputMixin:
    """Refuse body fields the serializer does not declare (or declares read-only)."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = _unknown_fields(self, data)  # type: ignore[arg-type]
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                exc.detail.update(unknown)  # type: ignore[arg-type]  # report every problem at once
            raise
        if unknown:
            raise ValidationError(unknown)
        return value


class InputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """A request body. Declare its fields with ``project.api.fields``' strict fields."""


class InputModelSerializer(StrictInputMixin, serializers.ModelSerializer[_M]):
    """A request body derived from a model: its date-times must carry a time zone too."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: StrictDateTimeField,
    }
