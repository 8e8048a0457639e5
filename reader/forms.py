"""What the reader's pages read from the query string, checked: a value the form does not
know (a party that does not exist, a status that is not one, a date that is not a date)
is an error shown on the page, never a filter silently dropped or a 500."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from psycopg2.extras import DateRange

from claims.models import Claim, Contradiction, Entity, Status, period_range
from sources.models import Party

CLAIMS, CONTRADICTIONS = "claims", "contradictions"
LISTINGS = [(CONTRADICTIONS, "Contradictions"), (CLAIMS, "Claims")]


def _any(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "Any"), *choices]


class PartyChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200, strip=True)
    show = forms.ChoiceField(label="Show", choices=LISTINGS, required=False)
    place = forms.IntegerField(label="Place", required=False, widget=forms.HiddenInput, min_value=1)
    party = PartyChoiceField(label="Party", queryset=Party.objects.none(), required=False, empty_label="Any")
    side = PartyChoiceField(
        label="Side (with all under it)", queryset=Party.objects.none(), required=False, empty_label="Any"
    )
    period_from = forms.DateField(label="Period from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label="Period to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Kind", required=False, choices=_any(Contradiction.Kind.choices))
    review = forms.ChoiceField(
        label="Review state",
        required=False,
        choices=[
            ("", "Any"),
            ("Contradictions", Contradiction.State.choices),
            ("Claims", Claim.ReviewState.choices),
        ],
    )
    status = forms.ChoiceField(label="Verification status", required=False, choices=_any(Status.choices))
    cursor = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parties = Party.objects.order_by("name").only("id", "name")
        self.fields["party"].queryset = parties  # type: ignore[attr-defined]
        # A side is a party and every party under it (Claim.objects.asserted_by_side).
        self.fields["side"].queryset = parties  # type: ignore[attr-defined]

    def clean_place(self) -> Entity | None:
        pk = self.cleaned_data.get("place")
        if pk is None:
            return None
        place = Entity.objects.filter(pk=pk).first()
        if place is None:
            raise forms.ValidationError(f"There is no place #{pk}.", code="unknown_place")
        return place

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and end < start:
            self.add_error("period_to", "The period's end is before its start.")
        review = data.get("review")
        show = data.get("show") or CONTRADICTIONS
        if review:
            valid = Contradiction.State.values if show == CONTRADICTIONS else Claim.ReviewState.values
            if review not in valid:
                self.add_error("review", f"“{review}” is not a review state of {show}.")
        return data


@dataclass(frozen=True)
class Filters:
    """The facets of a search, checked (see ``SearchForm``)."""

    show: str = CONTRADICTIONS
    q: str = ""
    place: Entity | None = None
    party: Party | None = None
    side: Party | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    kind: str = ""
    review: str = ""
    status: str = ""
    # The ids of the places the words name, when the caller has already read them.
    q_places: tuple[int, ...] | None = None

    @property
    def period(self) -> DateRange | None:
        if self.period_from is None and self.period_to is None:
            return None
        return period_range(self.period_from, self.period_to)

    @classmethod
    def from_form(cls, data: dict[str, Any]) -> Filters:
        return cls(
            show=data.get("show") or CONTRADICTIONS,
            q=data.get("q") or "",
            place=data.get("place"),
            party=data.get("party"),
            side=data.get("side"),
            period_from=data.get("period_from"),
            period_to=data.get("period_to"),
            kind=data.get("kind") or "",
            review=data.get("review") or "",
            status=data.get("status") or "",
        )


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )

    def moment(self) -> dt.datetime | None:
        """The end of the chosen day (UTC): the page as it stood that evening."""
        day = self.cleaned_data.get("as_of")
        if day is None:
            return None
        if day >= dt.date.max:
            return None
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC) - dt.timedelta(
            microseconds=1
        )

    def clean_as_of(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("as_of")
        if day is not None and day > timezone.now().date():
            raise forms.ValidationError("That day is in the future; choose a day up to today.")
        return day
