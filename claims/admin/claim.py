"""Claims, logged with their sources and excerpts; their verdicts, contradictions and history."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from import_export.admin import ExportMixin

from claims import selectors, services
from claims.admin.common import ask_reason, period_text
from claims.models import Claim, ClaimSource, Contradiction
from claims.models.expressions import PeriodPhrase
from project.admin_history import history_html

# --- Claims ---------------------------------------------------------------------------


class ClaimSourceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ClaimSource
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "role", "excerpt", "locator"]
    verbose_name = "appears in source"
    verbose_name_plural = "Sources and verbatim excerpts"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("widgets", {"excerpt": forms.Textarea(attrs={"rows": 2, "cols": 60})})
        return super().get_formset(request, obj, **kwargs)


class ClaimAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Claim
        fields = list(services.EDITABLE_FIELD_ORDER)
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "quote": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "text_value": forms.TextInput(attrs={"size": 60}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "valid_from" in self.fields:  # absent when the form is view-only
            # Without a period, a claim is about the moment it was asserted.
            self.fields["valid_from"].required = False
            self.fields["valid_from"].help_text = "Empty: the day it was asserted."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and self.instance.retracted_at is not None:
            raise ValidationError("This claim is retracted and can no longer be changed; log a new claim instead.")
        probe = Claim(**{name: data.get(name) for name in self.Meta.fields if name in data})
        probe.text_value = data.get("text_value") or ""
        probe.quote = data.get("quote") or ""
        services.claim_fill_defaults(probe)
        for name in (
            "valid_from",
            "valid_from_precision",
            "valid_until",
            "valid_until_precision",
            "quantity_low",
            "quantity_high",
        ):
            data[name] = getattr(probe, name)
        if data.get("predicate") is not None:
            # Let the model's full_clean see the value type the database will check.
            self.instance.value_type = data["predicate"].value_type
            try:
                services.claim_validate(probe)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.error_dict.items():
                        if name in self.fields and name not in self.errors:
                            self.add_error(name, errors)
                        elif name not in self.fields:
                            self.add_error(None, errors)
        return data


@admin.register(Claim)
class ClaimAdmin(ExportMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    form = ClaimAdminForm
    inlines = [ClaimSourceInline]
    list_display = ["statement", "asserted_by", "proposition", "period_span", "status", "asserted_on", "retracted"]
    list_display_links = ["statement"]
    list_filter = [
        "status",
        "review_state",
        "polarity",
        "hedge",
        "predicate",
        ("asserted_by", admin.RelatedOnlyFieldListFilter),
        ("subject", admin.RelatedOnlyFieldListFilter),
        ("retracted_at", admin.EmptyFieldListFilter),
        "asserted_at",
    ]
    date_hierarchy = "asserted_at"
    search_fields = ["statement", "quote"]
    search_help_text = "Searches the statement and the verbatim quote."
    autocomplete_fields = ["subject", "predicate", "object_entity", "asserted_by"]
    list_select_related = ["asserted_by", "subject", "predicate"]
    list_per_page = 50
    actions = ["retract_claims"]
    readonly_fields = [
        "status",
        "current_verdict_link",
        "retraction",
        "verdict_history",
        "contradiction_list",
        "history",
    ]
    fieldsets = [
        (
            "Proposition",
            {
                "fields": [
                    "subject",
                    "predicate",
                    "polarity",
                    "object_entity",
                    ("quantity_low", "quantity_best", "quantity_high"),
                    "text_value",
                ],
                "description": "Subject · predicate · value. Give the value the predicate takes: "
                "an entity, a quantity (low ≤ best ≤ high), a text, or none.",
            },
        ),
        (
            "Period the claim is about",
            {
                "fields": [("valid_from", "valid_from_precision"), ("valid_until", "valid_until_precision")],
                "description": "Not when it was said. A date known only to the month covers the whole month; "
                "an empty end means open-ended.",
            },
        ),
        ("Who said it", {"fields": ["asserted_by", "asserted_at", "statement", "quote", "hedge", "credibility"]}),
        (
            "Verification",
            {
                "fields": [
                    "review_state",
                    "status",
                    "current_verdict_link",
                    "verdict_history",
                    "contradiction_list",
                    "retraction",
                ]
            },
        ),
        ("History", {"fields": ["history"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        queryset: QuerySet[Claim] = super().get_queryset(request)
        return queryset.select_related("asserted_by", "subject", "predicate", "object_entity").annotate(
            period_phrase=PeriodPhrase()  # the Period column, without a query per row
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:  # nothing to verify or show history of yet
            return self.fieldsets[:3]
        return self.fieldsets

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a claim is corrected by retraction; the database refuses deletes too

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.retracted_at is not None:
            return False  # a retracted claim is kept as it was; it can be read, not changed
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Claim, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in ClaimAdminForm.Meta.fields if name in form.cleaned_data}
        if change:
            changed = {name: data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS}
            if changed:
                services.claim_update(claim=obj, data=changed)
            return
        created = services.claim_create(**data, created_by=cast(User, request.user))
        # The inline formsets were bound to ``obj``; point it at the row the service wrote.
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description="Retract selected claims (asks for a reason)", permissions=["change"])
    def retract_claims(self, request: HttpRequest, queryset: QuerySet[Claim]) -> HttpResponse | None:
        return ask_reason(
            self,
            request,
            queryset.active(),  # type: ignore[attr-defined]
            action="retract_claims",
            title="Retract claims",
            intro="A retracted claim stays on record, leaves contradiction checks, and its open flags close.",
            reason_label="Why are these claims retracted?",
            submit_label="Retract",
            apply=lambda claim, reason: services.claim_retract(claim=claim, reason=reason),
        )

    @admin.display(description="Proposition")
    def proposition(self, obj: Claim) -> str:
        return obj.proposition

    @admin.display(description="Period")
    def period_span(self, obj: Claim) -> str:
        return period_text(obj)

    @admin.display(description="Asserted", ordering="asserted_at")
    def asserted_on(self, obj: Claim) -> str:
        return f"{obj.asserted_at:%d %b %Y}"

    @admin.display(description="Retracted", boolean=True)
    def retracted(self, obj: Claim) -> bool:
        return obj.retracted_at is not None

    @admin.display(description="Retraction")
    def retraction(self, obj: Claim) -> str:
        if obj.retracted_at is None:
            return "—"
        return f"{obj.retracted_at:%Y-%m-%d %H:%M}: {obj.retraction_reason}"

    @admin.display(description="Current verdict")
    def current_verdict_link(self, obj: Claim) -> SafeString:
        add = reverse("admin:claims_verdict_add") + f"?claim={obj.pk}"
        record = format_html("<a class='button' href='{}'>Record a verdict</a>", add)
        if obj.current_verdict_id is None:
            return format_html("Unrated. {}", record)
        return format_html(
            "<a href='{}'>{}</a> {}",
            reverse("admin:claims_verdict_change", args=[obj.current_verdict_id]),
            obj.current_verdict,
            record,
        )

    @admin.display(description="Verdict history")
    def verdict_history(self, obj: Claim) -> SafeString:
        verdicts = selectors.verdict_history(obj).select_related("reviewer")
        if not verdicts:
            return mark_safe("<em>No verdicts yet.</em>")  # noqa: S308  (a constant)
        return format_html(
            "<table><tr><th>Recorded</th><th>Holds from</th><th>Rating</th><th>Reviewer</th><th>Rationale</th>"
            "<th>Published</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        f"{v.recorded_at:%Y-%m-%d %H:%M}",
                        f"{v.holds_from:%Y-%m-%d}" if v.holds_from else "—",
                        v.get_rating_display(),
                        v.reviewer,
                        v.rationale,
                        f"{v.published_at:%Y-%m-%d}" if v.published_at else "no",
                    )
                    for v in verdicts
                ),
            ),
        )

    @admin.display(description="Contradictions")
    def contradiction_list(self, obj: Claim) -> SafeString:
        flags = Contradiction.objects.involving(obj).select_related("claim_a", "claim_b")
        if not flags:
            return mark_safe("<em>None flagged.</em>")  # noqa: S308  (a constant)
        return format_html_join(
            "",
            "<div><a href='{}'>{} ({})</a>: {}</div>",
            (
                (
                    reverse("admin:claims_contradiction_change", args=[c.pk]),
                    c.get_kind_display(),
                    c.get_state_display(),
                    c.explanation,
                )
                for c in flags
            ),
        )

    @admin.display(description="History")
    def history(self, obj: Claim | None) -> SafeString:
        return history_html(obj)
