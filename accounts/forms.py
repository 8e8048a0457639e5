"""The form a person fills in to create an API key (the account area and the admin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import UserAPIKey

NAME_HELP = "What the key is for, e.g. newsroom-dashboard."


def _future(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value <= timezone.now():
        raise forms.ValidationError("The expiry is in the past.")
    return value


class KeyCreateForm(forms.Form):
    name = forms.CharField(max_length=50, strip=True, help_text=NAME_HELP)
    expiry_date = forms.DateTimeField(
        required=False,
        label="Expires (UTC, optional)",
        help_text="Leave empty for a key that does not expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean_expiry_date(self) -> dt.datetime | None:
        return _future(self.cleaned_data.get("expiry_date"))


class AdminKeyForm(forms.ModelForm):  # type: ignore[type-arg]
    """The admin's form: the user and name are chosen on creation; the expiry must lie
    ahead when it is set or changed."""

    class Meta:
        model = UserAPIKey
        fields = ("user", "name", "expiry_date", "revoked")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "name" in self.fields:
            self.fields["name"].help_text = NAME_HELP

    def clean_expiry_date(self) -> dt.datetime | None:
        value = self.cleaned_data.get("expiry_date")
        if "expiry_date" not in self.changed_data:
            return value  # an existing key may keep the expiry it has, even a past one
        return _future(value)
