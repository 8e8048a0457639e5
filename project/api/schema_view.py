"""The schema's own view (apart from ``project.api.schema``, which DRF's settings import
before drf-spectacular's views can be)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request

from project.api.renderers import ORJSONRenderer


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema: YAML by default; JSON with ``?format=json`` or
    ``Accept: application/json``. (The API as a whole takes no ``format`` parameter:
    each endpoint speaks one format.)"""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        wanted = request.query_params.get("format")
        if wanted is None:
            return super().perform_content_negotiation(request, force)
        for renderer in self.get_renderers():
            if renderer.format == wanted:
                return renderer, renderer.media_type
        if force:  # answering the error below: in the API's JSON shape
            return ORJSONRenderer(), ORJSONRenderer.media_type
        raise ValidationError({"format": [ErrorDetail("Give json or yaml.", code="invalid_choice")]})
