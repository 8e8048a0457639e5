"""One error shape for the whole API, from DRF, from Django and from the database.

    {"status": 400, "code": "invalid", "detail": "status: “x” is not a valid choice.",
     "errors": [{"field": "status", "code": "invalid_choice", "message": "“x” is not a valid choice."}]}

``errors`` names each field, query parameter or header at fault (nested fields are
dotted: ``appearances.0.source``); ``field`` is null for a problem with the request as a
whole. Other statuses carry the same keys with an empty ``errors`` list, or the header at
fault (``If-Match`` for 412 and 428).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ErrorDetail, NotFound, PermissionDenied, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from project.db import CHECK_FIELDS

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


CHECK_VIOLATION = "23514"
FOREIGN_KEY_VIOLATION = "23503"
_MISSING_KEY = re.compile(r'Key \((\w+)\)=\(.*\) is not present in table "(\w+)"')


def _field_of_column(table: str, column: str) -> models.Field[Any, Any] | None:
    for model in apps.get_models():
        if model._meta.db_table == table:
            for field in model._meta.concrete_fields:
                if field.column == column:
                    return field
    return None


def refused_value(exc: IntegrityError) -> ValidationError | None:
    """A 400 naming the field for what the database refused about a value written (a CHECK
    it breaks, or a row it names that is no longer there), or None for other conflicts.

    Writes leave these checks to the database (``claims.services.claim_create`` does): a
    CHECK it breaks is worded as the constraint's message, against the field the constraint
    is about (``project.db.field_check``); a foreign key is checked when the transaction
    commits, so a row named by the request but deleted by another meanwhile comes here."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    code = getattr(cause, "pgcode", None)
    if diag is None:
        return None
    if code == CHECK_VIOLATION and diag.constraint_name:
        for model in apps.get_models():
            for constraint in model._meta.constraints:
                if isinstance(constraint, models.CheckConstraint) and constraint.name == diag.constraint_name:
                    against = CHECK_FIELDS.get(constraint.name, api_settings.NON_FIELD_ERRORS_KEY)
                    message = constraint.get_violation_error_message()
                    return ValidationError({against: [ErrorDetail(message, code=constraint.violation_error_code)]})
        return None
    missing = _MISSING_KEY.search(diag.message_detail or "") if code == FOREIGN_KEY_VIOLATION else None
    if missing is None or diag.table_name is None:
        return None
    field = _field_of_column(diag.table_name, missing.group(1))
    name = field.name if field is not None else missing.group(1)
    message = "This no longer exists: it was deleted while the request was being handled."
    return ValidationError({name: [ErrorDetail(message, code="does_not_exist")]})


def _translate(exc: Exception) -> Exception:
    """Turn the domain's and the database's exceptions into API exceptions."""
    if isinstance(exc, DjangoValidationError):
        # Services raise ValidationError keyed by field; the field names are the API's.
        return ValidationError(detail=get_error_detail(exc))
    if isinstance(exc, IntegrityError):
        refused = refused_value(exc)
        if refused is not None:
            return refused
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


def invalid_body(exc: ValidationError, *, status_code: int = 400) -> dict[str, Any]:
    """The error body of a ``ValidationError``: each field at fault, and a summary."""
    errors = _flatten(exc.detail)
    return error_body(status_code=status_code, code="invalid", detail=_summary(errors), errors=errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (it sets WWW-Authenticate and Retry-After), then the one shape."""
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: logged, and answered by ``handler500``
    if isinstance(exc, ValidationError):
        response.data = invalid_body(exc, status_code=response.status_code)
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
