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
from django.utils.text import Truncator
from import_export import resources
from import_export.admin import ImportExportMixin

from claims import selectors, services
from claims.admin.common import LIST_STATEMENT_CHARS, ask_reason, period_text
from claims.admin.imports import ClaimSheetResource
from claims.models import Claim, ClaimSource, Contradiction, Predicate
from claims.models.expressions import PeriodPhrase
from project.admin_history import HistoryAdmin, format_day, format_moment

# --- Claims ---------------------------------------------------------------------------


class ClaimSourceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ClaimSource
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "role", "excerpt", "locator"]
    verbose_name = "source"  # "Add another source"
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


class ClaimResource(resources.ModelResource):  # type: ignore[type-arg]
    """A claim as exported: what an analyst logged and what became of it. Derived and
    internal columns (the search vector, the period range, the value type, the current
    verdict's id, who created it, updated_at) are left out. Related rows are their ids."""

    class Meta:
        model = Claim
        fields = (
            "id",
            *services.EDITABLE_FIELD_ORDER,
            "status",
            "retracted_at",
            "retraction_reason",
            "created_at",
        )
        export_order = fields


@admin.register(Claim)
class ClaimAdmin(ImportExportMixin, HistoryAdmin):  # type: ignore[misc]
    form = ClaimAdminForm
    resource_classes = [ClaimResource]
    # Imported claims are recorded by their history (who, when, which import), not by one
    # admin log entry each.
    skip_admin_log = True
    inlines = [ClaimSourceInline]
    list_display = [
        "short_statement",
        "asserted_by",
        "proposition",
        "period_span",
        "status",
        "asserted_on",
        "retracted",
    ]
    list_display_links = ["short_statement"]
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

    def get_import_resource_classes(self, request: HttpRequest) -> list[type[Any]]:
        # A sheet of claims goes through claims.ingest (all rows or none); the export's
        # resource describes a stored claim, not a sheet's row.
        return [ClaimSheetResource]

    def has_import_permission(self, request: HttpRequest) -> bool:
        # As the bulk API: logging claims with their sources (journalists only read).
        return bool(request.user.has_perms(["claims.add_claim", "claims.add_claimsource"]))

    search_fields = ["statement", "quote"]
    search_help_text = "Searches the statement and the verbatim quote."
    autocomplete_fields = ["subject", "predicate", "object_entity", "asserted_by"]
    list_select_related = ["asserted_by", "subject", "predicate"]
    list_per_page = 50
    actions = ["retract_claims"]
    readonly_fields = [
        "status",
        "current_verdict_link",
        "current_verdict_and_record",
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
        if not request.user.has_perm("claims.add_verdict"):
            return self.fieldsets  # the current verdict, without a button that would be refused
        fieldsets: list[tuple[Any, dict[str, Any]]] = [
            (name, {**options, "fields": list(options["fields"])}) for name, options in self.fieldsets
        ]
        verification: list[Any] = fieldsets[3][1]["fields"]
        verification[verification.index("current_verdict_link")] = "current_verdict_and_record"
        return fieldsets

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False, change: bool = False,
        form_url: str = "", obj: Any = None,
    ) -> Any:  # fmt: skip
        # claims/static/claims/claim_form.js shows only the value fields the chosen
        # predicate takes; the vocabulary is small, so the page carries it.
        context["predicate_value_types"] = {
            str(pk): value_type for pk, value_type in Predicate.objects.values_list("pk", "value_type")
        }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    class Media:
        js = ["claims/claim_form.js"]

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

    @admin.display(description="Statement", ordering="statement")
    def short_statement(self, obj: Claim) -> SafeString:
        return format_html(
            "<span title='{}'>{}</span>", obj.statement, Truncator(obj.statement).chars(LIST_STATEMENT_CHARS)
        )

    @admin.display(description="Proposition")
    def proposition(self, obj: Claim) -> str:
        return obj.proposition

    @admin.display(description="Period")
    def period_span(self, obj: Claim) -> str:
        return period_text(obj)

    @admin.display(description="Asserted", ordering="asserted_at")
    def asserted_on(self, obj: Claim) -> str:
        return format_day(obj.asserted_at)

    @admin.display(description="Retracted", ordering="retracted_at")
    def retracted(self, obj: Claim) -> str:
        # Words, not icons: a green tick read as "fine" for a retracted claim.
        return f"retracted {format_day(obj.retracted_at)}" if obj.retracted_at else ""

    @admin.display(description="Retraction")
    def retraction(self, obj: Claim) -> str:
        if obj.retracted_at is None:
            return "—"
        return f"{format_moment(obj.retracted_at)}: {obj.retraction_reason}"

    @admin.display(description="Current verdict")
    def current_verdict_link(self, obj: Claim) -> SafeString:
        if obj.current_verdict_id is None:
            return mark_safe("Unrated.")  # noqa: S308  (a constant)
        return format_html(
            "<a href='{}'>{}</a>",
            reverse("admin:claims_verdict_change", args=[obj.current_verdict_id]),
            obj.current_verdict,
        )

    @admin.display(description="Current verdict")
    def current_verdict_and_record(self, obj: Claim) -> SafeString:
        """The current verdict and, for those who may add one (``get_fieldsets``), the button."""
        add = reverse("admin:claims_verdict_add") + f"?claim={obj.pk}"
        return format_html("{} <a class='button' href='{}'>Record a verdict</a>", self.current_verdict_link(obj), add)

    @admin.display(description="Verdict history")
    def verdict_history(self, obj: Claim) -> SafeString:
        verdicts = selectors.verdict_history(obj).select_related("reviewer").prefetch_related("evidence")
        if not verdicts:
            return mark_safe("<em>No verdicts yet.</em>")  # noqa: S308  (a constant)

        def evidence(verdict: Any) -> SafeString:
            links = format_html_join(
                "; ",
                "<a href='{}'>{}</a>",
                ((reverse("admin:sources_source_change", args=[s.pk]), s) for s in verdict.evidence.all()),
            )
            return links or mark_safe("—")  # noqa: S308  (a constant)

        return format_html(
            "<table><tr><th>Recorded</th><th>Holds from</th><th>Rating</th><th>Reviewer</th><th>Rationale</th>"
            "<th>Evidence</th><th>Published</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        format_moment(v.recorded_at),
                        format_day(v.holds_from),
                        reverse("admin:claims_verdict_change", args=[v.pk]),
                        v.get_rating_display(),
                        v.reviewer,
                        v.rationale,
                        evidence(v),
                        format_day(v.published_at) if v.published_at else "no",
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
