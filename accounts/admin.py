"""API keys in the admin: every user's keys, for superusers and whoever holds the key
model's permissions. Keys are created here for a chosen user (the key is shown once, in a
message) and revoked (never deleted).

The library's primary key is "<prefix>.<hash>", so this admin addresses keys by their
prefix everywhere a page would show it (links, checkboxes, the admin log): the hash is
never shown.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.admin.options import get_content_type_for_model
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db.models import ForeignKey, QuerySet
from django.forms import BaseForm, ModelChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.safestring import SafeString
from rest_framework_api_key.models import APIKey

from accounts import services
from accounts.forms import AdminKeyForm
from accounts.models import UserAPIKey

# The library registers an admin for its own APIKey model, which the API never reads: a
# key made there is refused. Only UserAPIKey, below, holds the keys the API accepts.
admin.site.unregister(APIKey)

ADD_FIELDS = ("user", "name", "expiry_date")
CHANGE_FIELDS = ("user", "prefix", "name", "created", "expiry_date", "revoked")


class KeyChangeList(ChangeList):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pk_attname = "prefix"  # row links go to /<prefix>/change/


@admin.register(UserAPIKey)
class UserAPIKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = AdminKeyForm
    list_display = ("prefix", "name", "user", "created", "expiry_date", "_has_expired", "revoked")
    list_filter = ("revoked", "created", "expiry_date")
    search_fields = ("user__username", "user__email", "prefix", "name")
    list_select_related = ("user",)
    ordering = ("-created",)
    actions = ("revoke_keys",)

    # --- Which fields --------------------------------------------------------------------

    def get_fields(self, request: HttpRequest, obj: UserAPIKey | None = None) -> tuple[str, ...]:
        return ADD_FIELDS if obj is None else CHANGE_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: UserAPIKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        if obj.revoked:
            return CHANGE_FIELDS  # a revoked key is a record now
        return ("user", "prefix", "created")

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: UserAPIKey | None = None) -> bool:
        return False  # revoke instead: the record of a key is kept

    # --- Addressed by prefix -------------------------------------------------------------

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> UserAPIKey | None:
        # A prefix has no dot; a full primary key (old log entries, other code) still works.
        lookup = {"pk": object_id} if "." in object_id else {"prefix": object_id}
        return self.get_queryset(request).filter(**lookup).first()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return KeyChangeList

    def action_checkbox(self, obj: UserAPIKey) -> SafeString:
        checkbox = forms.CheckboxInput({"class": "action-select", "aria-label": f"Select key {obj.prefix}"})
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, obj.prefix)

    def response_action(self, request: HttpRequest, queryset: QuerySet[UserAPIKey]) -> HttpResponse | None:
        # The checkboxes carry prefixes; the admin's action machinery selects by pk.
        prefixes = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        post = request.POST.copy()
        post.setlist(
            helpers.ACTION_CHECKBOX_NAME,
            [str(pk) for pk in UserAPIKey.objects.filter(prefix__in=prefixes).values_list("pk", flat=True)],
        )
        request.POST = post  # type: ignore[assignment]
        return super().response_action(request, queryset)

    def _log(self, request: HttpRequest, obj: UserAPIKey, flag: int, message: Any) -> LogEntry:
        return LogEntry.objects.create(
            user_id=request.user.pk,  # type: ignore[misc]  # a signed-in staff user
            content_type_id=get_content_type_for_model(obj).pk,
            object_id=obj.prefix,
            object_repr=str(obj)[:200],
            action_flag=flag,
            change_message=json.dumps(message) if isinstance(message, list) else message,
        )

    def log_addition(self, request: HttpRequest, obj: UserAPIKey, message: Any) -> LogEntry:  # type: ignore[override]
        return self._log(request, obj, ADDITION, message)

    def log_change(self, request: HttpRequest, obj: UserAPIKey, message: Any) -> LogEntry:  # type: ignore[override]
        return self._log(request, obj, CHANGE, message)

    # --- Create and revoke through the service -----------------------------------------

    def save_form(self, request: HttpRequest, form: BaseForm, change: bool) -> Any:
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        key, secret = services.api_key_create(user=data["user"], name=data["name"], expiry_date=data["expiry_date"])
        self.message_user(
            request,
            f"The API key for {key.user} is: {secret} — copy it now: it is stored only as a hash and will not be "
            'shown again. Send it as "Authorization: Api-Key <key>".',
            messages.WARNING,
        )
        return key

    def save_model(self, request: HttpRequest, obj: UserAPIKey, form: BaseForm, change: bool) -> None:
        if not change:
            return  # save_form created it
        obj.save()
        if "revoked" in form.changed_data and obj.revoked:
            services.api_key_revoke(key=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # a key has no related rows to save

    def _after_save(self, request: HttpRequest, obj: UserAPIKey, done: str) -> HttpResponse:
        self.message_user(request, f"The key {obj.prefix} ({obj}) of {obj.user} was {done}.", messages.SUCCESS)
        if "_addanother" in request.POST:
            return HttpResponseRedirect(reverse("admin:accounts_userapikey_add"))
        if "_continue" in request.POST:
            return HttpResponseRedirect(reverse("admin:accounts_userapikey_change", args=[obj.prefix]))
        return HttpResponseRedirect(reverse("admin:accounts_userapikey_changelist"))

    def response_add(self, request: HttpRequest, obj: UserAPIKey, post_url_continue: str | None = None) -> HttpResponse:
        return self._after_save(request, obj, "added")

    def response_change(self, request: HttpRequest, obj: UserAPIKey) -> HttpResponse:
        return self._after_save(request, obj, "revoked" if obj.revoked else "changed")

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[UserAPIKey]) -> None:
        revoked = 0
        for key in queryset.filter(revoked=False):
            services.api_key_revoke(key=key)
            self.log_change(request, key, "Revoked.")
            revoked += 1
        self.message_user(request, f"{revoked} key(s) revoked.", messages.SUCCESS)
