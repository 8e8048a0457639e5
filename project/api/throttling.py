"""Scoped throttles, counted per API key (or per user for a browser session).

Scopes: ``status`` (the verification-status lookups), ``feed`` (the change feed),
``read`` (other reads) and ``write`` (every unsafe method). Rates come from settings
(``API_THROTTLE_*``), read on each request so that tests can change them.

Each key has one counter per scope and window (``cache.incr``), not DRF's list of every
request's timestamp, which the cache would have to load and store whole on each request:
at thousands of requests a minute that list, not the query, becomes the cost. A fixed
window lets a client spend up to twice its rate across a window boundary; the counters
live in the default cache (Redis with CACHE_URL, so that all processes share them).
"""

from __future__ import annotations

import functools
import time
from typing import Any, NamedTuple

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class KeyIdentity(NamedTuple):
    """``request.auth`` for a key-authenticated request: which key (throttles count per key)."""

    key_id: str
    prefix: str


@functools.cache
def parse_rate(scope: str, rate: str) -> tuple[int, int]:
    """ "6000/min" -> (6000, 60). A rate that does not parse fails loudly, naming it."""
    count, _, period = rate.partition("/")
    if not count.isdigit() or not period or period[0] not in PERIODS:
        raise ImproperlyConfigured(f"API_THROTTLE_{scope.upper()}={rate!r}: use <count>/<sec|min|hour|day>.")
    return int(count), PERIODS[period[0]]


class KeyScopedThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    @staticmethod
    def scope_for(request: Request, view: Any) -> str:
        if request.method not in SAFE_METHODS and not getattr(view, "read_only_post", False):
            return "write"
        return str(getattr(view, "throttle_scope", "read"))

    @staticmethod
    def ident(request: Request) -> str:
        if isinstance(request.auth, KeyIdentity):
            return f"key:{request.auth.prefix}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{BaseThrottle().get_ident(request)}"

    def allow_request(self, request: Request, view: Any) -> bool:
        scope = self.scope_for(request, view)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        limit, duration = parse_rate(scope, rate)
        now = time.time()
        window = int(now // duration)
        key = f"throttle:{scope}:{self.ident(request)}:{window}"
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first request (or a race for it: add() settles it)
            count = 1 if cache.add(key, 1, timeout=duration + 1) else cache.incr(key)
        if count > limit:
            self.wait_seconds = (window + 1) * duration - now
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
