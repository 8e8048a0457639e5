"""Writes for API keys: create one for a user, revoke one. The API, the account area and
the admin all go through here, so a revocation always reaches the key cache."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db import transaction

from accounts.api.auth import verified_keys
from accounts.models import UserAPIKey


def api_key_create(*, user: Any, name: str, expiry_date: dt.datetime | None = None) -> tuple[UserAPIKey, str]:
    """Create a key for ``user``; return it and the key itself, which is stored only as a
    hash: show it to the person this once."""
    key, secret = UserAPIKey.objects.create_key(user=user, name=name, expiry_date=expiry_date)
    return cast(UserAPIKey, key), secret


def api_key_revoke(*, key: UserAPIKey) -> None:
    """Revoke ``key`` for good (the row is kept). Idempotent: revoking a revoked key only
    makes sure this process forgets it. Other processes stop accepting it within
    ``API_KEY_CACHE_SECONDS``."""
    UserAPIKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True)
    key.revoked = True
    key._initial_revoked = True  # the model refuses to save a key "un-revoked"
    verified_keys.forget(key.pk)
    # And again once the revocation is committed: a request in between still saw the key
    # as valid and may have cached it.
    transaction.on_commit(lambda: verified_keys.forget(key.pk))
