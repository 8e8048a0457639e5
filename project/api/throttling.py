"""Scoped throttles, counted per API key (or per user for a browser session).

Scopes: ``status`` (the verification-status lookups), ``feed`` (the change feed),
``read`` (other reads) and ``write`` (every unsafe method). Rates come from settings
(``API_THROTTLE_*``), read on each request so that tests can change them.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from claims.models import UserAPIKey


class KeyScopedThrottle(SimpleRateThrottle):
    def __init__(self) -> None:  # the scope, and so the rate, depends on the request
        pass

    @staticmethod
    def scope_for(request: Request, view: Any) -> str:
        if request.method not in SAFE_METHODS and not getattr(view, "read_only_post", False):
            return "write"
        return str(getattr(view, "throttle_scope", "read"))

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = self.scope_for(request, view)
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[assignment]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, UserAPIKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
