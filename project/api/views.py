"""Base classes for the API's views."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model
from rest_framework import generics, views
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request

_M = TypeVar("_M", bound=Model)


class StrictQueryMixin:
    """An empty query parameter (``?since=``) is a 400 naming it, not a silently dropped
    filter: a client that sends one has a bug it should hear about."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authenticate first: 401 before 400
        empty = sorted({name for name, values in request.query_params.lists() if "" in values})
        if empty:
            raise ValidationError(
                {name: [ErrorDetail("Leave the parameter out, or give it a value.", code="blank")] for name in empty}
            )


class APIView(StrictQueryMixin, views.APIView):
    pass


class GenericAPIView(StrictQueryMixin, generics.GenericAPIView[_M]):
    pass
