"""Keyset (cursor) pagination: no COUNT(*), and a page deep in the list costs what the
first page costs, because the cursor is a position in an index, not an offset.

A view names the orderings it offers (each a non-null column, with ``id`` breaking ties
in the same direction) and its default:

    ordering_fields = ("asserted_at", "updated_at", "id")
    default_ordering = "-asserted_at"

A view with a search parameter may order its matches by how well they match when that
parameter is given and no ordering is asked for: ``search_ordering = ("q", "-relevance")``,
where ``relevance`` is an annotation of the view's queryset (see EntityListView).

The page is ``WHERE (field, id) < (cursor value, cursor id) ORDER BY field DESC, id DESC
LIMIT size + 1``, which an index on (field, id) answers directly.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

CURSOR_MAX_LENGTH = 512


def _invalid(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code=code)]})


@dataclass(frozen=True)
class Position:
    ordering: str
    forward: bool
    value: Any
    pk: int


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _field_and_direction(ordering: str) -> tuple[str, bool]:
    return ordering.lstrip("-"), ordering.startswith("-")


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"

    def __init__(self) -> None:
        self.page_size: int = settings.API_PAGE_SIZE
        self.max_page_size: int = settings.API_MAX_PAGE_SIZE
        self.next_position: Position | None = None
        self.previous_position: Position | None = None

    # --- parsing ----------------------------------------------------------------------

    @staticmethod
    def orderings(view: Any) -> list[str]:
        fields: Sequence[str] = getattr(view, "ordering_fields", ("id",))
        return [name for field in fields for name in (field, f"-{field}")]

    def _ordering(self, request: Request, view: Any) -> str:
        allowed = self.orderings(view)
        value = request.query_params.get(self.ordering_query_param)
        if value is None or value == "":
            search = getattr(view, "search_ordering", None)
            if search is not None and request.query_params.get(search[0], "").strip():
                return str(search[1])
            return str(getattr(view, "default_ordering", "-id"))
        if value not in allowed:
            raise _invalid(self.ordering_query_param, f"Order by one of: {', '.join(allowed)}.", "invalid_choice")
        return value

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise _invalid(self.page_size_query_param, "A page size is a whole number.") from None
        if not 1 <= size <= self.max_page_size:
            raise _invalid(self.page_size_query_param, f"A page holds 1 to {self.max_page_size} items.", "max_value")
        return size

    def _position(self, request: Request, queryset: QuerySet[Any], ordering: str) -> Position | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None or raw == "":
            return None
        try:
            if len(raw) > CURSOR_MAX_LENGTH:
                raise ValueError("too long")
            payload = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            name, direction, value, pk = payload["o"], payload["d"], payload["v"], payload["k"]
            if not isinstance(pk, int) or isinstance(pk, bool) or direction not in ("n", "p"):
                raise ValueError("bad cursor")
            field, _ = _field_and_direction(str(name))
            if field in queryset.query.annotations:  # e.g. a search's relevance
                value = queryset.query.annotations[field].output_field.to_python(value)
            elif field != "id":
                value = queryset.model._meta.get_field(field).to_python(value)
                if value is None:
                    raise ValueError("bad value")
        except (
            ValueError,
            TypeError,
            KeyError,
            binascii.Error,
            orjson.JSONDecodeError,
            FieldDoesNotExist,
            DjangoValidationError,
        ):
            raise _invalid(self.cursor_query_param, "The cursor is not one this API gave out.") from None
        if name != ordering:
            raise _invalid(self.cursor_query_param, f"The cursor belongs to ordering {name!r}; ask with that ordering.")
        return Position(ordering=name, forward=direction == "n", value=value, pk=pk)

    # --- the page ---------------------------------------------------------------------

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any]:
        ordering = self._ordering(request, view)
        size = self._page_size(request)
        position = self._position(request, queryset, ordering)
        field, descending = _field_and_direction(ordering)
        self.request, self.ordering = request, ordering

        forward = position is None or position.forward
        # Walking backwards is walking forwards in the reverse order.
        desc = descending if forward else not descending
        order = [f"-{field}", "-id"] if desc else [field, "id"]
        if field == "id":
            order = order[1:]
        queryset = queryset.order_by(*order)
        if position is not None:
            op = "lt" if desc else "gt"
            if field == "id":
                queryset = queryset.filter(**{f"id__{op}": position.pk})
            else:
                queryset = queryset.filter(
                    Q(**{f"{field}__{op}e": position.value})
                    & (Q(**{f"{field}__{op}": position.value}) | Q(**{field: position.value, f"id__{op}": position.pk}))
                )
        rows = list(queryset[: size + 1])
        # values_list() rows are tuples: find the keyset columns by position.
        columns = {name: index for index, name in enumerate(getattr(queryset, "_fields", None) or ())}
        more = len(rows) > size
        rows = rows[:size]
        if not forward:
            rows.reverse()

        def at(row: Any, forward: bool) -> Position:
            return Position(
                ordering, forward, _encode_value(self._value(row, field, columns)), self._value(row, "id", columns)
            )

        self.next_position = self.previous_position = None
        if rows:
            if (forward and more) or (not forward and position is not None):
                self.next_position = at(rows[-1], True)
            if (forward and position is not None) or (not forward and more):
                self.previous_position = at(rows[0], False)
        return rows

    @staticmethod
    def _value(row: Any, field: str, columns: dict[str, int]) -> Any:
        if isinstance(row, Model):
            return row.pk if field == "id" else getattr(row, field)
        if isinstance(row, tuple):
            return row[columns[field]]
        return row[field]

    def _link(self, position: Position | None) -> str | None:
        if position is None:
            return None
        token = (
            base64.urlsafe_b64encode(
                orjson.dumps(
                    {
                        "o": position.ordering,
                        "d": "n" if position.forward else "p",
                        "v": position.value,
                        "k": position.pk,
                    }
                )
            )
            .decode()
            .rstrip("=")
        )
        params = {k: v for k, v in self.request.query_params.items() if k != self.cursor_query_param}
        params[self.cursor_query_param] = token
        return self.request.build_absolute_uri(self.request.path) + "?" + urlencode(params)

    def get_paginated_data(self, results: Any) -> dict[str, Any]:
        return {
            "next": self._link(self.next_position),
            "previous": self._link(self.previous_position),
            "results": results,
        }

    def get_paginated_response(self, data: Any) -> Response:
        return Response(self.get_paginated_data(data))

    # --- OpenAPI ----------------------------------------------------------------------

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last page."},
                "previous": {**link, "description": "The previous page, or null on the first page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "An opaque position, from a page's next or previous link.",
                "schema": {"type": "string", "maxLength": CURSOR_MAX_LENGTH},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page (default {settings.API_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            },
        ]
        orderings = self.orderings(view)
        if len(orderings) > 2 or getattr(view, "ordering_fields", ("id",)) != ("id",):
            default = f"default {getattr(view, 'default_ordering', '-id')}"
            search = getattr(view, "search_ordering", None)
            if search is not None:
                default += f"; with {search[0]}, {search[1]}: best match first"
            parameters.append(
                {
                    "name": self.ordering_query_param,
                    "required": False,
                    "in": "query",
                    "description": f"Sort key, '-' for descending ({default}).",
                    "schema": {"type": "string", "enum": orderings},
                }
            )
        return parameters
