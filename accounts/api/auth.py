"""Authentication: per-user API keys (stored hashed) for tools, sessions for the browser.

A request carries a key as ``Authorization: Api-Key <prefix>.<secret>``. The key acts as
its user, with that user's role. Authentication runs on every request, so it is one
statement, prepared once per database connection: it loads the key, its user and the
user's permissions together (no ORM compilation, no query planning per request), and the
role checks that follow cost nothing more. A process also remembers the keys it verified
for a few seconds (``API_KEY_CACHE_SECONDS``), so a busy client skips even that.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.models import UserAPIKey
from project.api.throttling import KeyIdentity

KEYWORD = "Api-Key"
STATEMENT = "claimwatch_api_key_auth"
INVALID = "The API key is not valid, or has been revoked."

# The psycopg2 connections on which the statement is prepared (a new connection, after
# CONN_MAX_AGE or an error, prepares it again).
_prepared: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


class KeyRow(NamedTuple):
    key_id: str
    hashed_key: str
    expiry_date: Any
    user_values: tuple[Any, ...]
    permissions: frozenset[str]


def _user_attnames() -> list[str]:
    return [field.attname for field in get_user_model()._meta.concrete_fields]


def _statement() -> str:
    user_model = get_user_model()
    columns = ", ".join(f'u."{field.column}"' for field in user_model._meta.concrete_fields)
    # The key by its (unique) prefix, its user, and the permissions of the user's groups
    # and of the user, as "app_label.codename" (what ModelBackend caches in _perm_cache).
    return f"""
        PREPARE {STATEMENT}(text) AS
        SELECT k.id, k.hashed_key, k.expiry_date, {columns},
               ARRAY(SELECT ct.app_label || '.' || p.codename
                     FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
                     WHERE p.id IN (SELECT gp.permission_id FROM auth_user_groups ug
                                    JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
                                    WHERE ug.user_id = u.id
                                    UNION ALL
                                    SELECT up.permission_id FROM auth_user_user_permissions up
                                    WHERE up.user_id = u.id))
        FROM {UserAPIKey._meta.db_table} k JOIN "{user_model._meta.db_table}" u ON u.id = k.user_id
        WHERE k.prefix = $1 AND NOT k.revoked
    """  # noqa: S608 - table and column names from the models, never input


def _lookup(prefix: str) -> KeyRow | None:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    raw = connection.connection
    with connection.cursor() as cursor:
        if raw not in _prepared:
            cursor.execute(_statement())
            _prepared[raw] = True
        cursor.execute(f"EXECUTE {STATEMENT}(%s)", [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    key_id, hashed_key, expiry_date, *user_values, permissions = row
    return KeyRow(key_id, hashed_key, expiry_date, tuple(user_values), frozenset(permissions))


class VerifiedKeys:
    """Keys this process verified in the last ``API_KEY_CACHE_SECONDS``, by the SHA-512 of
    the whole key (never the key itself).

    The price of skipping the lookup: revoking a key, deactivating its user or changing
    its role reaches the other processes within that many seconds (the process that
    revokes forgets the key at once). 0 turns the cache off.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, KeyRow]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha512(key.encode()).hexdigest()

    def get(self, key: str) -> KeyRow | None:
        ttl = settings.API_KEY_CACHE_SECONDS
        if ttl <= 0:
            return None
        entry = self._entries.get(self._digest(key))
        if entry is None or entry[0] + ttl < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, row: KeyRow) -> None:
        if settings.API_KEY_CACHE_SECONDS <= 0:
            return
        with self._lock:
            if len(self._entries) >= 10_000:
                self._entries.clear()
            self._entries[self._digest(key)] = (time.monotonic(), row)

    def forget(self, key_id: str) -> None:
        with self._lock:
            for digest in [d for d, (_, row) in self._entries.items() if row.key_id == key_id]:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified_keys = VerifiedKeys()


class APIKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>``. A missing header leaves the request anonymous
    (401); a wrong, revoked or expired key is refused (401)."""

    def authenticate(self, request: Request) -> tuple[Any, KeyIdentity] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != KEYWORD.lower():
            return None
        key = key.strip()
        prefix, dot, _secret = key.partition(".")
        if not dot or not prefix or len(prefix) > 8 or "\x00" in key:
            raise AuthenticationFailed("The API key is malformed: expected <prefix>.<secret>.")
        row = verified_keys.get(key)
        if row is None:
            row = _lookup(prefix)
            if row is None or not UserAPIKey.objects.key_generator.verify(key, row.hashed_key):
                raise AuthenticationFailed(INVALID)
            verified_keys.put(key, row)
        if row.expiry_date is not None and row.expiry_date < timezone.now():
            raise AuthenticationFailed("The API key has expired.")
        user = get_user_model().from_db(DEFAULT_DB_ALIAS, _user_attnames(), row.user_values)
        if not user.is_active:
            raise AuthenticationFailed("The key's user is inactive.")
        # ModelBackend reads this cache instead of querying (django.contrib.auth.backends).
        user._perm_cache = row.permissions  # type: ignore[attr-defined]
        return user, KeyIdentity(row.key_id, prefix)

    def authenticate_header(self, request: Request) -> str:
        # Makes unauthenticated requests 401 (with WWW-Authenticate), not 403.
        return KEYWORD


class APIKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.api.auth.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A per-user key: "Api-Key <prefix>.<secret>". Create one at POST /api/v1/keys/.',
        }
