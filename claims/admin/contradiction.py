"""Contradictions: triaged from the list or side by side; the full scan's runs."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from claims import services
from claims.admin.common import ask_reason, claim_card
from claims.models import Contradiction, ScanRun
from claims.models.expressions import PeriodPhrase
from project.admin_history import history_html

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
