"""Per-user API keys: the keys the API checks (``accounts.api.auth``); and the POSTs
answered under an ``Idempotency-Key`` (``accounts.api.idempotency``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey


class UserAPIKey(AbstractAPIKey):
    """A per-user API key. Only a hash of the key is stored; the key acts as its user,
    with the user's role (group permissions)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


def idempotency_cutoff() -> dt.datetime:
    """Answers stored before this have expired (``IDEMPOTENCY_TTL_HOURS``): a retry after
    that runs afresh."""
    return timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


class IdempotentRequestQuerySet(models.QuerySet["IdempotentRequest"]):
    def expired(self) -> IdempotentRequestQuerySet:
        return self.filter(created_at__lt=idempotency_cutoff())


class IdempotentRequest(models.Model):
    """A POST the API answered under an ``Idempotency-Key``, kept so that a retry gets the
    same answer and writes nothing (``accounts.api.idempotency``).

    ``who`` is a SHA-256 of the credential's public part (the API key's prefix, or the
    session's user id), never a secret; the client's key is unique per ``who``.
    """

    who = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField()
    body_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=255, blank=True)
    body = models.BinaryField()
    location = models.TextField(blank=True)
    etag = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = IdempotentRequestQuerySet.as_manager()

    class Meta:
        constraints = [
            # Also the index of the middleware's lookup of a retry by (who, key).
            models.UniqueConstraint(fields=["who", "key"], name="accounts_idempotentrequest_once_per_who"),
            # Only answers below 500 are stored: a server error is tried again.
            models.CheckConstraint(
                condition=models.Q(status__gte=100, status__lt=500), name="accounts_idempotentrequest_status_valid"
            ),
        ]
        indexes = [
            # Serves IdempotentRequestQuerySet.expired(): the cleanup of old rows.
            models.Index(fields=["created_at"], name="accounts_idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} under key {self.key!r}: {self.status}"

    @property
    def has_expired(self) -> bool:
        return self.created_at < idempotency_cutoff()
