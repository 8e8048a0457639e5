"""The analysts' admin: log claims with their sources, record verdicts, triage contradictions.

Writes go through ``claims.services``; the admin only parses forms and shows results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from import_export.admin import ExportMixin, ImportExportModelAdmin

from claims import selectors, services
from claims.models import Claim, ClaimSource, Contradiction, Entity, Predicate, ScanRun, Verdict
from claims.models.expressions import PeriodPhrase
from project.admin_history import history_html
from sources.models import Source


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), required=True, strip=True)


def ask_reason(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    title: str,
    intro: str,
    reason_label: str,
    submit_label: str,
    apply: Callable[[Any, str], object],
) -> HttpResponse | None:
    """An intermediate page that asks for a reason, then applies ``apply(obj, reason)``
    to each selected object. Objects whose service refuses are reported, not half-done."""
    form = ReasonForm(request.POST if "post" in request.POST else None)
    if "post" in request.POST and form.is_valid():
        done = 0
        for obj in queryset:
            try:
                apply(obj, form.cleaned_data["reason"])
                done += 1
            except ValidationError as exc:
                modeladmin.message_user(request, f"{obj}: {' '.join(exc.messages)}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{submit_label}: {done} done.", messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/claims/reason_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": title,
            "intro": intro,
            "reason_label": reason_label,
            "submit_label": submit_label,
            "queryset": queryset,
            "form": form,
            "action": action,
        },
    )


def claim_card(claim: Claim, *, full: bool = True, period: str | None = None) -> SafeString:
    """One claim as an analyst reads it: who, what, when, how sure and (``full``) its
    verbatim quote and where it appeared. ``period``: its period in words, if the queryset
    annotated it (else it is worded with one query)."""
    if not full:
        return format_html(
            "<a href='{}'><b>#{}</b></a> <b>{}</b>: {}<br><small>{} · {} · {}</small>",
            reverse("admin:claims_claim_change", args=[claim.pk]),
            claim.pk,
            claim.asserted_by,
            claim.statement,
            claim.proposition,
            period or period_text(claim),
            claim.get_status_display() + (" · retracted" if claim.retracted_at else ""),
        )
    appearances = format_html_join(
        "",
        "<li>{} — <a href='{}'>{}</a>{}</li>",
        (
            (
                link.get_role_display(),
                reverse("admin:sources_source_change", args=[link.source_id]),
                link.source,
                format_html(": <q>{}</q>", link.excerpt) if link.excerpt else "",
            )
            for link in claim.appearances.all()
        ),
    )
    return format_html(
        "<div class='cw-claim'><p><a href='{}'><b>#{}</b></a> <b>{}</b> ({}, {})</p>"
        "<p>{}</p><p><i>{}</i></p><p>Period: {} · Status: <b>{}</b>{}</p><ul>{}</ul></div>",
        reverse("admin:claims_claim_change", args=[claim.pk]),
        claim.pk,
        claim.asserted_by,
        claim.get_hedge_display().lower(),
        f"{claim.asserted_at:%d %b %Y}",
        claim.proposition,
        claim.quote or claim.statement,
        period_text(claim),
        claim.get_status_display(),
        " · RETRACTED" if claim.retracted_at else "",
        appearances,
    )


def period_text(claim: Claim) -> str:
    """The claim's period worded as the engine's explanations word it (``PeriodPhrase``):
    from a ``period_phrase`` annotation when the queryset has one, else one query."""
    annotated = getattr(claim, "period_phrase", None)
    if annotated is not None:
        return str(annotated)
    return PeriodPhrase.of(
        valid_from=claim.valid_from,
        valid_from_precision=claim.valid_from_precision,
        valid_until=claim.valid_until,
        valid_until_precision=claim.valid_until_precision,
    )


# --- Entities and predicates ----------------------------------------------------------


@admin.register(Entity)
class EntityAdmin(ImportExportModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "part_of", "alias_list"]
    list_filter = ["kind"]
    search_fields = ["name"]
    search_help_text = "Finds names and aliases, ignoring accents and case, and near spellings (Agbend → Aghband)."
    autocomplete_fields = ["part_of"]
    readonly_fields = ["history"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "aliases", "part_of", "same_as", "description"]}),
        ("Location", {"fields": ["latitude", "longitude", "coordinate_precision_km"]}),
        ("History", {"fields": ["history"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entity]:
        queryset: QuerySet[Entity] = super().get_queryset(request)
        return queryset.select_related("part_of")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Entity], search_term: str
    ) -> tuple[QuerySet[Entity], bool]:
        if not search_term.strip():
            return queryset, False
        return cast(QuerySet[Entity], queryset.search(search_term)), False  # type: ignore[attr-defined]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    @admin.display(description="Aliases")
    def alias_list(self, obj: Entity) -> str:
        return ", ".join(obj.aliases)

    @admin.display(description="History")
    def history(self, obj: Entity | None) -> SafeString:
        return history_html(obj)


@admin.register(Predicate)
class PredicateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["label", "slug", "value_type", "single_valued", "unit"]
    list_filter = ["value_type", "single_valued"]
    search_fields = ["label", "slug"]
    prepopulated_fields = {"slug": ["label"]}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
        fields = [
            "subject",
            "predicate",
            "polarity",
            "object_entity",
            "quantity_low",
            "quantity_best",
            "quantity_high",
            "text_value",
            "valid_from",
            "valid_from_precision",
            "valid_until",
            "valid_until_precision",
            "asserted_by",
            "asserted_at",
            "statement",
            "quote",
            "hedge",
            "credibility",
            "review_state",
        ]
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
class VerdictAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Verdicts are appended, never edited: the add form records one, the change page only shows it."""

    form = VerdictAdminForm
    list_display = ["claim", "rating", "reviewer", "recorded_at", "published_at"]
    list_filter = ["rating", ("published_at", admin.EmptyFieldListFilter), "recorded_at"]
    search_fields = ["claim__statement", "rationale"]
    autocomplete_fields = ["claim"]
    list_select_related = ["claim", "reviewer"]
    actions = ["publish_verdicts"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["claim", "rating", "rationale", "holds_from", "evidence_sources", "publish"]
        return [
            "claim",
            "rating",
            "rationale",
            "reviewer",
            "recorded_at",
            "holds_from",
            "published_at",
            "evidence_list",
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

    @admin.action(description="Publish selected verdicts", permissions=["publish"])
    def publish_verdicts(self, request: HttpRequest, queryset: QuerySet[Verdict]) -> None:
        for verdict in queryset:
            try:
                services.verdict_publish(verdict=verdict)
            except ValidationError as exc:
                self.message_user(request, f"{verdict}: {' '.join(exc.messages)}", messages.WARNING)

    @admin.display(description="Evidence")
    def evidence_list(self, obj: Verdict) -> str:
        return "; ".join(str(source) for source in obj.evidence.all()) or "—"


# --- Contradictions -------------------------------------------------------------------


@admin.register(Contradiction)
class ContradictionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Triage: the two claims side by side; confirm, or dismiss with a reason."""

    list_display = [
        "kind",
        "relation",
        "state",
        "verdict_conflict",
        "claim_a_card",
        "claim_b_card",
        "explanation",
        "detected_at",
    ]
    list_filter = [
        "state",
        "kind",
        "relation",
        ("integrity_alert_verdict", admin.EmptyFieldListFilter),
        "rule",
        "detected_at",
    ]
    search_fields = ["explanation", "claim_a__statement", "claim_b__statement"]
    actions = ["confirm", "dismiss"]
    list_per_page = 25
    fields = (
        "side_by_side",
        "explanation",
        "kind",
        "relation",
        "state",
        "state_reason",
        "reviewed_by",
        "state_changed_at",
        "resolved_by_verdict",
        "integrity_alert_verdict",
        "integrity_alert_at",
        "rule",
        "rule_version",
        "detected_at",
        "history",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contradiction]:
        claim_related = ("asserted_by", "subject", "predicate", "object_entity")
        queryset: QuerySet[Contradiction] = super().get_queryset(request)
        return (
            queryset.select_related(*(f"claim_{side}__{name}" for side in "ab" for name in claim_related))
            .annotate(claim_a_period=PeriodPhrase("claim_a__"), claim_b_period=PeriodPhrase("claim_b__"))
            .prefetch_related("claim_a__appearances__source", "claim_b__appearances__source")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # flags come from the engine

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # reviewed through the actions, which go through the services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("claims.review_contradiction"))

    @admin.action(description="Confirm: these claims cannot both be true", permissions=["review"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[Contradiction]) -> None:
        done = 0
        for flag in queryset:
            try:
                services.contradiction_confirm(contradiction=flag, user=cast(User, request.user))
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{flag}: {' '.join(exc.messages)}", messages.ERROR)
        if done:
            self.message_user(request, f"Confirmed {done} contradiction(s).", messages.SUCCESS)

    @admin.action(description="Dismiss (asks for a reason)", permissions=["review"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Contradiction]) -> HttpResponse | None:
        return ask_reason(
            self,
            request,
            queryset,
            action="dismiss",
            title="Dismiss contradictions",
            intro="A dismissed flag stays dismissed when the scan runs again.",
            reason_label="Why is this not a contradiction?",
            submit_label="Dismiss",
            apply=lambda flag, reason: services.contradiction_dismiss(
                contradiction=flag,
                user=cast(User, request.user),
                reason=reason,  # type: ignore[arg-type]
            ),
        )

    @admin.display(description="Verdict conflict", boolean=True)
    def verdict_conflict(self, obj: Contradiction) -> bool:
        """Both claims rated true although they cannot both be: an integrity alert."""
        return obj.integrity_alert_verdict_id is not None

    @admin.display(description="Claim A")
    def claim_a_card(self, obj: Contradiction) -> SafeString:
        return claim_card(obj.claim_a, full=False, period=getattr(obj, "claim_a_period", None))

    @admin.display(description="Claim B")
    def claim_b_card(self, obj: Contradiction) -> SafeString:
        return claim_card(obj.claim_b, full=False, period=getattr(obj, "claim_b_period", None))

    @admin.display(description="The two claims")
    def side_by_side(self, obj: Contradiction) -> SafeString:
        return format_html(
            "<table style='width:100%'><tr><th style='width:50%'>Claim A</th><th>Claim B</th></tr>"
            "<tr><td style='vertical-align:top'>{}</td><td style='vertical-align:top'>{}</td></tr></table>",
            claim_card(obj.claim_a),
            claim_card(obj.claim_b),
        )

    @admin.display(description="History")
    def history(self, obj: Contradiction | None) -> SafeString:
        return history_html(obj)


@admin.register(ScanRun)
class ScanRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "started_at",
        "status",
        "duration",
        "claims_scanned",
        "flags_opened",
        "flags_closed",
        "flags_reopened",
        "flags_resolved",
        "triggered_by",
    ]
    list_filter = ["status"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in ScanRun._meta.fields] + ["duration"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
