"""Authentication: per-user API keys (stored hashed) for tools, sessions for the browser.

A request carries a key as ``Authorization: Api-Key <prefix>.<secret>``. The key acts as
its user, with that user's role. One query loads the key, its user and the user's
permissions, so role checks on the hot paths cost nothing more.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Value
from django.db.models.functions import Concat
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from claims.models import UserAPIKey

KEYWORD = "Api-Key"


def _permission_labels(**filters: Any) -> ArraySubquery:
    return ArraySubquery(
        Permission.objects.filter(**filters)
        .annotate(label=Concat("content_type__app_label", Value("."), "codename"))
        .values("label")
    )


class APIKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>``. A missing header leaves the request anonymous
    (401); a wrong, revoked or expired key is refused (401)."""

    def authenticate(self, request: Request) -> tuple[Any, UserAPIKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != KEYWORD.lower():
            return None
        key = key.strip()
        prefix, dot, _secret = key.partition(".")
        if not dot or not prefix or len(prefix) > 8 or "\x00" in key:
            raise AuthenticationFailed("The API key is malformed: expected <prefix>.<secret>.")
        api_key = (
            UserAPIKey.objects.select_related("user")
            .annotate(
                user_permissions=_permission_labels(user=OuterRef("user")),
                group_permissions=_permission_labels(group__user=OuterRef("user")),
            )
            .filter(prefix=prefix, revoked=False)
            .first()
        )
        if api_key is None or not api_key.is_valid(key):
            raise AuthenticationFailed("The API key is not valid, or has been revoked.")
        if api_key.expiry_date is not None and api_key.expiry_date < timezone.now():
            raise AuthenticationFailed("The API key has expired.")
        user = api_key.user
        if not user.is_active:
            raise AuthenticationFailed("The key's user is inactive.")
        # ModelBackend reads this cache instead of querying (django.contrib.auth.backends).
        user._perm_cache = set(api_key.user_permissions) | set(api_key.group_permissions)  # type: ignore[attr-defined]
        return user, api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes unauthenticated requests 401 (with WWW-Authenticate), not 403.
        return KEYWORD


class APIKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "project.api.auth.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A per-user key: "Api-Key <prefix>.<secret>". Create one at POST /api/v1/keys/.',
        }
