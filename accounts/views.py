"""The account area: sign in, list your API keys, create one (shown once), revoke one.

For everyone with an account, staff or not; staff also have the admin. Each view shows
and touches only the signed-in user's own keys.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import services
from accounts.api.views import MAX_LISTED_KEYS
from accounts.forms import KeyCreateForm
from accounts.models import UserAPIKey


def _keys_page(request: HttpRequest, form: KeyCreateForm) -> HttpResponse:
    keys = UserAPIKey.objects.filter(user=request.user, revoked=False).order_by("-created")[:MAX_LISTED_KEYS]
    return render(request, "accounts/keys.html", {"keys": keys, "form": form})


@require_GET
@login_required
def keys(request: HttpRequest) -> HttpResponse:
    return _keys_page(request, KeyCreateForm())


@require_POST
@login_required
@never_cache
def key_create(request: HttpRequest) -> HttpResponse:
    form = KeyCreateForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, form)
    key, secret = services.api_key_create(
        user=request.user, name=form.cleaned_data["name"], expiry_date=form.cleaned_data["expiry_date"]
    )
    # Shown in this response only (never_cache: no copy kept by the browser or a proxy),
    # not through a redirect and a message, which would keep it in the session or a cookie.
    return render(request, "accounts/key_created.html", {"key": key, "secret": secret})


@require_POST
@login_required
def key_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    key = get_object_or_404(UserAPIKey, user=request.user, prefix=prefix, revoked=False)
    services.api_key_revoke(key=key)
    messages.success(request, f"The key {key.prefix} ({key.name}) is revoked: it no longer works.")
    return redirect("accounts:keys")
