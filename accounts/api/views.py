"""Per-user API keys: a signed-in user creates, lists and revokes their own keys.

A key is shown once, when created; only its hash is stored. It acts with its user's
role. Get a first key in a browser: the account area (/account/, for everyone) or the
admin (staff); or sign in at /account/login/ and use Swagger UI at /api/docs/. Writes go
through ``accounts.services``.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.models import UserAPIKey
from project.api.fields import StrictCharField, StrictDateTimeField
from project.api.schema import link
from project.api.serializers import InputSerializer
from project.api.throttling import KeyIdentity
from project.api.views import APIView

MAX_LISTED_KEYS = 500


class KeyDocument(serializers.Serializer[Any]):
    prefix = serializers.CharField(help_text="The public part of the key; it names the key in URLs.")
    name = serializers.CharField()
    created = serializers.DateTimeField()
    expiry_date = serializers.DateTimeField(allow_null=True)
    revoked = serializers.BooleanField()


class NewKeyDocument(KeyDocument):
    key = serializers.CharField(help_text='The key, shown this once: send it as "Authorization: Api-Key <key>".')


class KeyInput(InputSerializer):
    name = StrictCharField(max_length=50, help_text="What the key is for, e.g. newsroom-dashboard.")
    expiry_date = StrictDateTimeField(required=False, allow_null=True, help_text="Optional expiry.")

    def validate_expiry_date(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry is in the past.")
        return value


def _document(key: UserAPIKey) -> dict[str, Any]:
    return {"prefix": key.prefix, "name": key.name, "created": key.created, "expiry_date": key.expiry_date,
            "revoked": key.revoked}  # fmt: skip


AUTHENTICATED: tuple[str, ...] = ()  # any signed-in user, whatever the role


class KeyListView(APIView):
    required_permissions = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}

    @extend_schema(operation_id="keys_list", tags=["keys"], responses=KeyDocument(many=True))
    def get(self, request: Request) -> Response:
        """Your active API keys (never the keys themselves), newest first."""
        keys = UserAPIKey.objects.filter(user=request.user, revoked=False).order_by("-created")[:MAX_LISTED_KEYS]
        return Response([_document(key) for key in keys])

    @extend_schema(operation_id="keys_create", tags=["keys"], request=KeyInput, responses={201: NewKeyDocument})
    def post(self, request: Request) -> Response:
        """Create a key for yourself; it carries your role. The response is the only time you see it."""
        serializer = KeyInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, secret = services.api_key_create(
            user=request.user, name=serializer.validated_data["name"],
            expiry_date=serializer.validated_data.get("expiry_date"),
        )  # fmt: skip
        return Response({**_document(key), "key": secret}, status=201)


link("keys_create", "201", "GetKey", "keys_retrieve", {"prefix": "$response.body#/prefix"})
link("keys_create", "201", "RevokeKey", "keys_revoke", {"prefix": "$response.body#/prefix"})


class KeyDetailView(APIView):
    required_permissions = {"GET": AUTHENTICATED, "DELETE": AUTHENTICATED}

    @extend_schema(operation_id="keys_retrieve", tags=["keys"], responses=KeyDocument)
    def get(self, request: Request, prefix: str) -> Response:
        return Response(_document(get_object_or_404(UserAPIKey, user=request.user, prefix=prefix, revoked=False)))

    @extend_schema(operation_id="keys_revoke", tags=["keys"], responses={204: None})
    def delete(self, request: Request, prefix: str) -> Response:
        """Revoke one of your keys, for good. The API then knows it no more (404); the record is kept."""
        key = get_object_or_404(UserAPIKey, user=request.user, prefix=prefix, revoked=False)
        if isinstance(request.auth, KeyIdentity) and request.auth.key_id == key.pk:
            # A client that revokes the key it is holding locks itself out mid-run.
            raise serializers.ValidationError(
                {"prefix": ["This is the key you are using: revoke it with another key or in a browser session."]}
            )
        services.api_key_revoke(key=key)
        return Response(status=204)
