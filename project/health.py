"""``/healthz``: is the database reachable, and is the broker?"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is reported, not raised
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_broker() -> str:
    from project.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any failure is reported, not raised
        return f"error: {exc.__class__.__name__}"
    return "ok"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


class HealthCheckMiddleware:
    """Answer ``/healthz`` before host validation.

    Probes (docker, load balancers) call the container by IP, e.g. 127.0.0.1:8000, which
    is rightly not in a production ALLOWED_HOSTS. The probe reveals nothing but "ok", so it
    is served whatever the Host header says. Must come first in MIDDLEWARE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)
