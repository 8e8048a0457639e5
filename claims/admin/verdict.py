"""Verdicts: recorded, never edited; published once."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from claims import services
from claims.admin.common import LIST_STATEMENT_CHARS
from claims.models import Verdict
from project.admin_history import HistoryAdmin, format_day, format_moment
from sources.models import Source

# --- Verdicts -------------------------------------------------------------------------


class VerdictAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    evidence_sources = forms.ModelMultipleChoiceField(
        queryset=Source.objects.all(),
        required=False,
        label="Evidence",
        widget=AutocompleteSelectMultiple(Verdict._meta.get_field("evidence"), admin.site),
    )
    publish = forms.BooleanField(required=False, help_text="Publish now (for ClaimReview). Publication is final.")

    class Meta:
        model = Verdict
        fields = ["claim", "rating", "rationale", "holds_from"]


@admin.register(Verdict)
class VerdictAdmin(HistoryAdmin):
    """Verdicts are appended, never edited: the add form records one, the change page only shows it."""

    form = VerdictAdminForm
    list_display = ["short_claim", "rating", "reviewer", "recorded", "published"]
    list_filter = ["rating", ("published_at", admin.EmptyFieldListFilter), "recorded_at"]
    search_fields = ["claim__statement", "rationale"]
    autocomplete_fields = ["claim"]
    list_select_related = ["claim__asserted_by", "reviewer"]
    actions = ["publish_verdicts"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["claim", "rating", "rationale", "holds_from", "evidence_sources", "publish"]
        return [
            "claim",
            "rating",
            "rationale",
            "reviewer_name",
            "recorded",
            "holds_from_day",
            "published",
            "evidence_list",
            "history",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.get_fields(request, obj)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"claim": request.GET.get("claim")}

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("claims.add_verdict"))

    def save_model(self, request: HttpRequest, obj: Verdict, form: Any, change: bool) -> None:
        verdict = services.verdict_record(
            claim=form.cleaned_data["claim"],
            rating=form.cleaned_data["rating"],
            rationale=form.cleaned_data["rationale"],
            reviewer=cast(User, request.user),
            evidence=form.cleaned_data["evidence_sources"],
            publish=form.cleaned_data["publish"],
            holds_from=form.cleaned_data.get("holds_from"),
        )
        obj.pk = verdict.pk
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # evidence is written by verdict_record

    def response_add(self, request: HttpRequest, obj: Verdict, post_url_continue: str | None = None) -> HttpResponse:
        """Back to the claim the verdict is about: its status and verdict history show it."""
        if "_addanother" in request.POST or "_continue" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"Verdict recorded: {obj}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[obj.claim_id]))

    @admin.action(description="Publish selected verdicts", permissions=["publish"])
    def publish_verdicts(self, request: HttpRequest, queryset: QuerySet[Verdict]) -> None:
        for verdict in queryset:
            try:
                services.verdict_publish(verdict=verdict)
            except ValidationError as exc:
                self.message_user(request, f"{verdict}: {' '.join(exc.messages)}", messages.WARNING)

    @admin.display(description="Claim", ordering="claim__statement")
    def short_claim(self, obj: Verdict) -> SafeString:
        text = str(obj.claim)
        return format_html("<span title='{}'>{}</span>", text, Truncator(text).chars(LIST_STATEMENT_CHARS))

    @admin.display(description="Reviewer")
    def reviewer_name(self, obj: Verdict) -> str:
        # A name, not a link to the user admin, which only superusers may open.
        return str(obj.reviewer)

    @admin.display(description="Recorded", ordering="recorded_at")
    def recorded(self, obj: Verdict) -> str:
        return format_moment(obj.recorded_at)

    @admin.display(description="Holds from")
    def holds_from_day(self, obj: Verdict) -> str:
        return format_day(obj.holds_from)

    @admin.display(description="Published", ordering="published_at")
    def published(self, obj: Verdict) -> str:
        return format_moment(obj.published_at) if obj.published_at else "not published"

    @admin.display(description="Evidence")
    def evidence_list(self, obj: Verdict) -> SafeString:
        links = format_html_join(
            "; ",
            "<a href='{}'>{}</a>",
            ((reverse("admin:sources_source_change", args=[s.pk]), s) for s in obj.evidence.all()),
        )
        return links or mark_safe("—")  # noqa: S308  (a constant)
