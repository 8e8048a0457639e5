"""``Idempotency-Key`` on POST: a retried request gets the first answer and writes nothing.

A client that sends ``Idempotency-Key: <1-255 visible ASCII characters>`` with a POST under
/api/ may send the same request again (a timeout, a dropped connection) without writing
twice. The middleware, in one transaction:

1. takes a transaction advisory lock on (credential, key), so two retries that race run
   one after the other;
2. if an answer is stored under that key for the same method, path and body, replays it
   (with ``Idempotent-Replayed: true``) and writes nothing; for another path or body it
   answers 422 naming the header;
3. else runs the view in the same transaction and stores its answer with it. The view's
   ``transaction.on_commit`` work (Celery enqueueing) therefore runs once, after the
   commit that also stores the answer. A 5xx is not stored and its writes are rolled
   back, so the retry runs again; nor are 401, 403 and 429, which say who may ask and how
   often, not what the request did (the view did nothing).

Keys are scoped per credential: the API key's prefix, or the signed-in session's user,
kept as a SHA-256 (never a secret). The credential is verified here before anything is
looked up, so a guessed prefix replays nothing. Answers are kept ``IDEMPOTENCY_TTL_HOURS``
(24); each stored answer deletes up to ``CLEANUP_BATCH`` expired ones.

Creating an API key (``POST /api/v1/keys/``) is not remembered: its answer holds the new
key's secret, which is never stored; nor is a POST that only reads (``read_only_post``,
the status lookup). Requests without the header pass untouched, with no
query of their own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from accounts.api.auth import KEYWORD, APIKeyAuthentication
from accounts.api.views import KeyListView
from accounts.models import IdempotentRequest
from project.api.errors import error_body, invalid_body, refused_value
from project.api.schema import IDEMPOTENCY_KEY_PATTERN
from project.api.throttling import KeyIdentity

HEADER = "Idempotency-Key"
META_NAME = "HTTP_IDEMPOTENCY_KEY"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# pg_advisory_xact_lock(LOCK_CLASS, hashtext(who:key)); the two-key space is apart from the
# engine's one-key locks, and LOCK_CLASS from its GROUP_LOCK_CLASS.
LOCK_CLASS = 0x6964
CLEANUP_BATCH = 100
# Statuses about the credential or the rate, not the request: asked again, they may differ.
NOT_STORED = frozenset({401, 403, 429})
# Views whose answers must not be stored: a new API key's secret is shown once only.
NOT_REMEMBERED: tuple[type, ...] = (KeyListView,)


def key_problem(key: str) -> str | None:
    """Why a client's Idempotency-Key is refused, or None."""
    if not key:
        return f"{HEADER} is empty: send a unique key per request, e.g. a UUID."
    if len(key) > MAX_KEY_LENGTH:
        return f"{HEADER} is longer than {MAX_KEY_LENGTH} characters."
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        return f"{HEADER} must be visible ASCII characters, without spaces."
    return None


def header_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        error_body(
            status_code=status,
            code=code,
            detail=f"{HEADER}: {message}",
            errors=[{"field": HEADER, "code": code, "message": message}],
        ),
        status=status,
    )


def requester(request: HttpRequest) -> str | None:
    """The SHA-256 of the verified credential's public part, or None when the request
    carries no credential that holds (the view then answers 401 or 403 itself)."""
    if request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[0].lower() == KEYWORD.lower():
        try:
            authenticated = APIKeyAuthentication().authenticate(Request(request))
        except APIException:
            return None
        if authenticated is None or not isinstance(authenticated[1], KeyIdentity):
            return None
        credential = f"key:{authenticated[1].prefix}"
    else:
        user = getattr(request, "user", AnonymousUser())
        if not user.is_authenticated:
            return None
        try:
            SessionAuthentication().enforce_csrf(request)  # type: ignore[arg-type]  # reads only META and cookies
        except APIException:
            return None
        credential = f"user:{user.pk}"
    return hashlib.sha256(credential.encode()).hexdigest()


def remembered(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False  # a 404 either way
    view_class = getattr(match.func, "view_class", None)
    # A POST that only reads (a status lookup too long for a URL) is answered afresh.
    return view_class not in NOT_REMEMBERED and not getattr(view_class, "read_only_post", False)


def replay(stored: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(bytes(stored.body), status=stored.status)
    if stored.content_type:
        response["Content-Type"] = stored.content_type
    else:
        del response["Content-Type"]
    if stored.location:
        response["Location"] = stored.location
    if stored.etag:
        response["ETag"] = stored.etag
    response[REPLAYED_HEADER] = "true"
    return response


def store(*, who: str, key: str, request: HttpRequest, body_hash: str, response: HttpResponse) -> None:
    """Call inside the transaction that holds the (who, key) lock, after the view."""
    IdempotentRequest.objects.create(
        who=who,
        key=key,
        method=request.method or "POST",
        path=request.get_full_path(),
        body_hash=body_hash,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=response.content,
        location=response.get("Location", ""),
        etag=response.get("ETag", ""),
    )
    # Old answers go a few at a time, skipping rows another cleanup holds (no waits, no deadlocks).
    expired = IdempotentRequest.objects.expired().select_for_update(skip_locked=True).values("pk")[:CLEANUP_BATCH]
    IdempotentRequest.objects.filter(pk__in=expired).delete()


class IdempotencyMiddleware:
    """See the module docstring. Place after AuthenticationMiddleware (it reads the
    session's user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.META.get(META_NAME)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        problem = key_problem(key)
        if problem is not None:
            return header_error(400, "invalid", problem)
        who = requester(request)
        if who is None or not remembered(request):
            return self.get_response(request)
        try:
            body_hash = hashlib.sha256(request.body).hexdigest()
        except RequestDataTooBig:
            return self.get_response(request)  # refused by the view as without the header
        return self.answer(request, who=who, key=key, body_hash=body_hash)

    def answer(self, request: HttpRequest, *, who: str, key: str, body_hash: str) -> HttpResponse:
        try:
            return self._answer(request, who=who, key=key, body_hash=body_hash)
        except IntegrityError as exc:
            # Raised as the transaction commits (a foreign key, checked then, to a row another
            # request deleted meanwhile): nothing is written or stored, and the view never saw it.
            refused = refused_value(exc)
            if refused is None:
                raise
            return JsonResponse(invalid_body(refused), status=400)

    def _answer(self, request: HttpRequest, *, who: str, key: str, body_hash: str) -> HttpResponse:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_CLASS, f"{who}:{key}"])
            stored = IdempotentRequest.objects.filter(who=who, key=key).first()
            if stored is not None and stored.has_expired:
                stored.delete()
                stored = None
            if stored is not None:
                if (stored.method, stored.path, stored.body_hash) == (
                    request.method,
                    request.get_full_path(),
                    body_hash,
                ):
                    return replay(stored)
                return header_error(
                    422, "idempotency_key_reused",
                    "This key was used for another request (a different path or body); use a new key per request.",
                )  # fmt: skip
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # nothing half-done stays; the retry runs again
            elif response.status_code not in NOT_STORED and not response.streaming:
                store(who=who, key=key, request=request, body_hash=body_hash, response=response)
            return response
