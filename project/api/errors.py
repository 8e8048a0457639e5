"""One error shape for the whole API, from DRF, from Django and from the database.

    {"status": 400, "code": "invalid", "detail": "status: “x” is not a valid choice.",
     "errors": [{"field": "status", "code": "invalid_choice", "message": "“x” is not a valid choice."}]}

``errors`` names each field, query parameter or header at fault (nested fields are
dotted: ``appearances.0.source``); ``field`` is null for a problem with the request as a
whole. Other statuses carry the same keys with an empty ``errors`` list, or the header at
fault (``If-Match`` for 412 and 428).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ErrorDetail, NotFound, PermissionDenied, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD_KEYS = frozenset({NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY})


class ErrorItemSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        allow_null=True,
        help_text="The body field (dotted when nested), query parameter or header at fault; null for the request.",
    )
    code = serializers.CharField(help_text='A stable machine-readable code, e.g. "required", "invalid_choice".')
    message = serializers.CharField(help_text="What is wrong, for a person.")


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error response."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(help_text='e.g. "invalid", "not_found", "precondition_failed", "throttled".')
    detail = serializers.CharField(help_text="A one-line summary.")
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]  # a field, not Serializer.errors


class FieldError(APIException):
    """An error about one named field or header, with a status of its own."""

    def __init__(self, *, field: str, message: str, code: str) -> None:
        super().__init__(detail=message, code=code)
        self.field = field


class PreconditionRequired(FieldError):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED

    def __init__(self) -> None:
        super().__init__(
            field="If-Match",
            code="precondition_required",
            message="Send If-Match with the ETag of the version you are changing (GET it first).",
        )


class PreconditionFailed(FieldError):
    status_code = status.HTTP_412_PRECONDITION_FAILED

    def __init__(self) -> None:
        super().__init__(
            field="If-Match",
            code="precondition_failed",
            message="The resource has changed since you read it: GET it again and reapply your change.",
        )


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The change conflicts with the current state of the data."


def _flatten(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            key = str(key)
            field = prefix if key in NON_FIELD_KEYS else (f"{prefix}.{key}" if prefix else key)
            items.extend(_flatten(value, field))
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and value:
                items.extend(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
            elif isinstance(value, dict | list):
                continue  # an element of a list field with no errors of its own
            else:
                items.extend(_flatten(value, prefix))
        return items
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": prefix, "code": str(code), "message": str(detail)}]


def error_body(
    *, status_code: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or []}


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:3]]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more if parts else "Invalid input."


def _translate(exc: Exception) -> Exception:
    """Turn the domain's and the database's exceptions into API exceptions."""
    if isinstance(exc, DjangoValidationError):
        # Services raise ValidationError keyed by field; the field names are the API's.
        return ValidationError(detail=get_error_detail(exc))
    if isinstance(exc, IntegrityError):
        cause = getattr(exc, "__cause__", None)
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
        message = f"The change breaks the rule {constraint!r}." if constraint else "The change breaks a data rule."
        return Conflict(detail=message)
    if isinstance(exc, Http404):
        return NotFound()  # not Django's "No <Model> matches the given query."
    if isinstance(exc, DjangoPermissionDenied):
        return PermissionDenied()
    if isinstance(exc, DataError):
        return ValidationError(detail={NON_FIELD_ERRORS: [ErrorDetail(f"A value is out of range: {exc}", "invalid")]})
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (it sets WWW-Authenticate and Retry-After), then the one shape."""
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: logged, and answered by ``handler500``
    if isinstance(exc, ValidationError):
        errors = _flatten(exc.detail)
        response.data = error_body(
            status_code=response.status_code, code="invalid", detail=_summary(errors), errors=errors
        )
    elif isinstance(exc, FieldError):
        message = str(exc.detail)
        code = str(exc.get_codes())
        response.data = error_body(
            status_code=response.status_code,
            code=code,
            detail=message,
            errors=[{"field": exc.field, "code": code, "message": message}],
        )
    elif isinstance(exc, APIException):
        codes = exc.get_codes()
        response.data = error_body(
            status_code=response.status_code,
            code=codes if isinstance(codes, str) else exc.default_code,
            detail=str(exc.detail),
        )
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What Django refuses before any view runs: too many query parameters, a bad Host."""
    if _is_api(request):
        detail = "The request is malformed" + (f": {exception}" if exception else ".")
        return JsonResponse(error_body(status_code=400, code="bad_request", detail=detail), status=400)
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """JSON for unknown API URLs (including ids that do not parse); HTML elsewhere."""
    if _is_api(request):
        return JsonResponse(
            error_body(status_code=404, code="not_found", detail="There is nothing at this URL."), status=404
        )
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body(status_code=500, code="server_error", detail="The server failed; the error is logged."),
            status=500,
        )
    return defaults.server_error(request)


_HANDLERS = {400: handler400, 404: handler404, 500: handler500}


class ApiErrorMiddleware:
    """Under /api/, every 400, 404 and 500 that Django itself answers is the one JSON shape.

    Django uses ``handler400``/``handler404``/``handler500`` only when DEBUG is off; with
    DEBUG on (``bin/run``) it answers an unknown URL or an uncaught exception with its HTML
    debug page. API clients, scripts included, must get the same shape either way, so an
    HTML answer with one of those statuses is replaced here. (The exception is still logged
    by Django, with its traceback, before this runs.) Answers from API views are JSON already
    and pass untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        handler = _HANDLERS.get(response.status_code)
        if handler is None or not _is_api(request) or "json" in response.get("Content-Type", ""):
            return response
        return handler(request)
