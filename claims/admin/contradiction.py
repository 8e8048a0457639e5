"""Contradictions: triaged from the list or side by side; the full scan's runs."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from claims import selectors, services
from claims.admin.common import ReasonForm, ask_reason, claim_card
from claims.models import Contradiction, Entity, ScanRun
from claims.models.contradiction import ContradictionLifecycle
from claims.models.expressions import PeriodPhrase
from project.admin_history import HistoryAdmin, format_moment

LIST_EXPLANATION_CHARS = 160

# --- List filters ---------------------------------------------------------------------


class StateFilter(admin.SimpleListFilter):
    """Opens on the flags that wait for a person (open); "All states" shows every flag."""

    title = "state"
    parameter_name = "state"
    DEFAULT = Contradiction.State.OPEN
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*Contradiction.State.choices, (self.ALL, "All states")]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or self.DEFAULT
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value() or self.DEFAULT
        if value == self.ALL:
            return queryset
        if value not in Contradiction.State.values:
            raise IncorrectLookupParameters(f"No such state: {value}")
        return queryset.filter(state=value)


class _EntityFilter(admin.SimpleListFilter):
    def entity_id(self) -> int | None:
        value = self.value()
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise IncorrectLookupParameters(f"Not an entity id: {value}") from None


class SubjectFilter(_EntityFilter):
    """The subject both claims are about (the engine pairs claims only by subject)."""

    title = "subject"
    parameter_name = "subject"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        flagged = Contradiction.objects.values("claim_a__subject")
        return [(str(e.pk), str(e)) for e in Entity.objects.filter(pk__in=flagged).order_by("name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        pk = self.entity_id()
        if pk is None:
            return queryset
        return queryset.filter(Q(claim_a__subject_id=pk) | Q(claim_b__subject_id=pk))


class PlaceFilter(_EntityFilter):
    """A place and every place within it (``Entity.objects.within``): a district, a country."""

    title = "place (and places within it)"
    parameter_name = "within"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        containers = Entity.objects.filter(parts__isnull=False).distinct().order_by("name")
        return [(str(e.pk), str(e)) for e in containers]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        pk = self.entity_id()
        if pk is None:
            return queryset
        return cast(QuerySet[Any], queryset.about(pk))  # type: ignore[attr-defined]


# --- Contradictions -------------------------------------------------------------------


@admin.register(Contradiction)
class ContradictionAdmin(HistoryAdmin):
    """Triage: the two claims side by side; confirm, or dismiss with a reason, from the
    list (actions) or from the flag's own page (its Confirm and Dismiss buttons)."""

    list_display = [
        "kind",
        "relation",
        "state",
        "confidence",
        "verdict_conflict",
        "claim_a_card",
        "claim_b_card",
        "short_explanation",
        "detected_on",
    ]
    list_filter = [
        StateFilter,
        SubjectFilter,
        PlaceFilter,
        "kind",
        "relation",
        "confidence",
        ("integrity_alert_verdict", admin.EmptyFieldListFilter),
        "rule",
        "detected_at",
    ]
    search_fields = ["explanation", "claim_a__statement", "claim_b__statement"]
    actions = ["confirm", "dismiss"]
    # The review queue: the firmest flags first (a reframing reported second-hand does not
    # sit beside a direct denial), newest first within a level.
    ordering = ("-confidence", "-detected_at", "-id")
    list_per_page = 25
    fields = (
        "side_by_side",
        "explanation",
        "corroboration",
        "kind",
        "relation",
        "state",
        "state_reason",
        "reviewer",
        "state_changed",
        "resolved_by_verdict",
        "integrity_alert_verdict",
        "integrity_alert",
        "rule",
        "rule_version",
        "confidence",
        "detected",
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

    # --- Review from the flag's page ------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/confirm/", view(self.confirm_view), name="claims_contradiction_confirm"),
            path("<path:object_id>/dismiss/", view(self.dismiss_view), name="claims_contradiction_dismiss"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        flag = self.get_object(request, unquote(object_id))
        context = {**(extra_context or {}), **self._review_context(request, flag)}
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _review_context(self, request: HttpRequest, flag: Contradiction | None) -> dict[str, bool]:
        """Which review buttons the page shows: only those the person may press, and only
        the moves the flag's state allows (``ContradictionLifecycle.review_refusal``)."""
        if flag is None or not self.has_review_permission(request):
            return {"can_confirm": False, "can_dismiss": False}
        allowed = {
            to: ContradictionLifecycle.review_refusal(state=flag.state, to=to) is None
            for to in (Contradiction.State.CONFIRMED, Contradiction.State.DISMISSED)
        }
        return {
            "can_confirm": allowed[Contradiction.State.CONFIRMED],
            "can_dismiss": allowed[Contradiction.State.DISMISSED],
        }

    def _reviewable(self, request: HttpRequest, object_id: str) -> Contradiction:
        if not self.has_review_permission(request):
            raise PermissionDenied
        flag: Contradiction | None = self.get_object(request, unquote(object_id))
        if flag is None:
            raise Http404("No such contradiction.")
        return flag

    def _back_to(self, flag: Contradiction) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:claims_contradiction_change", args=[flag.pk]))

    def confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        flag = self._reviewable(request, object_id)
        try:
            services.contradiction_confirm(contradiction=flag, user=cast(User, request.user))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, f"Confirmed: {flag}.", messages.SUCCESS)
        return self._back_to(flag)

    def dismiss_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: the two claims and a reason box; POST: dismiss with that reason."""
        flag = self._reviewable(request, object_id)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                services.contradiction_dismiss(
                    contradiction=flag, user=cast(User, request.user), reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, f"Dismissed: {flag}.", messages.SUCCESS)
            return self._back_to(flag)
        return TemplateResponse(
            request,
            "admin/claims/contradiction/dismiss.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Dismiss this contradiction",
                "subtitle": str(flag),
                "flag": flag,
                "side_by_side": self.side_by_side(flag),
                "form": form,
            },
        )

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
            describe=self.side_by_side,
            reason_label="Why is this not a contradiction?",
            submit_label="Dismiss",
            apply=lambda flag, reason: services.contradiction_dismiss(
                contradiction=flag,
                user=cast(User, request.user),
                reason=reason,  # type: ignore[arg-type]
            ),
        )

    @admin.display(description="Verdict conflict", ordering="integrity_alert_at")
    def verdict_conflict(self, obj: Contradiction) -> str:
        """Both claims rated true although they cannot both be: an integrity alert. Said in
        words where there is one; blank where there is none (not a column of red crosses)."""
        return "⚠ both rated true" if obj.integrity_alert_verdict_id is not None else ""

    @admin.display(description="Explanation")
    def short_explanation(self, obj: Contradiction) -> SafeString:
        return format_html(
            "<span title='{}'>{}</span>", obj.explanation, Truncator(obj.explanation).chars(LIST_EXPLANATION_CHARS)
        )

    @admin.display(description="Detected", ordering="detected_at")
    def detected_on(self, obj: Contradiction) -> str:
        return format_moment(obj.detected_at)

    @admin.display(description="Detected")
    def detected(self, obj: Contradiction) -> str:
        return format_moment(obj.detected_at)

    @admin.display(description="Reviewed by")
    def reviewer(self, obj: Contradiction) -> str:
        # A name, not a link to the user admin, which only superusers may open.
        return str(obj.reviewed_by) if obj.reviewed_by_id else "—"

    @admin.display(description="State changed")
    def state_changed(self, obj: Contradiction) -> str:
        return format_moment(obj.state_changed_at)

    @admin.display(description="Verdict conflict since")
    def integrity_alert(self, obj: Contradiction) -> str:
        return format_moment(obj.integrity_alert_at)

    @admin.display(description="Claim A")
    def claim_a_card(self, obj: Contradiction) -> SafeString:
        return claim_card(obj.claim_a, full=False, period=getattr(obj, "claim_a_period", None))

    @admin.display(description="Claim B")
    def claim_b_card(self, obj: Contradiction) -> SafeString:
        return claim_card(obj.claim_b, full=False, period=getattr(obj, "claim_b_period", None))

    @admin.display(description="Corroboration")
    def corroboration(self, obj: Contradiction) -> SafeString:
        """Each claim's agreeing reports by independent origin (one query for the pair):
        whether either is confirmed by other sources, or only repeated by copies."""
        found = selectors.claim_corroborations([obj.claim_a_id, obj.claim_b_id])
        lines = []
        for label, pk in (("A", obj.claim_a_id), ("B", obj.claim_b_id)):
            corroboration = found.get(pk)
            if corroboration is None:
                continue
            confirmed = (
                "confirmed by other sources (suggest credibility 1)"
                if corroboration.suggested_credibility
                else "not confirmed by an independent origin"
            )
            lines.append(format_html("Claim {} (#{}): {}; {}", label, pk, corroboration.summary, confirmed))
        return format_html("<br>".join(["{}"] * len(lines)), *lines) if lines else format_html("—")

    @admin.display(description="The two claims")
    def side_by_side(self, obj: Contradiction) -> SafeString:
        return format_html(
            "<table style='width:100%'><tr><th style='width:50%'>Claim A</th><th>Claim B</th></tr>"
            "<tr><td style='vertical-align:top'>{}</td><td style='vertical-align:top'>{}</td></tr></table>",
            claim_card(obj.claim_a),
            claim_card(obj.claim_b),
        )


@admin.register(ScanRun)
class ScanRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "started",
        "status",
        "duration",
        "claims_scanned",
        "flags_opened",
        "flags_closed",
        "flags_reopened",
        "flags_resolved",
        "split",
        "triggered_by",
    ]
    list_filter = ["status"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        moments = {"started_at": "started", "finished_at": "finished"}  # worded as everywhere else
        return [moments.get(field.name, field.name) for field in ScanRun._meta.fields] + ["duration", "split"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_readonly_fields(request, obj)

    @admin.display(description="Started", ordering="started_at")
    def started(self, obj: ScanRun) -> str:
        return format_moment(obj.started_at)

    @admin.display(description="Finished")
    def finished(self, obj: ScanRun) -> str:
        return format_moment(obj.finished_at)

    @admin.display(description="Split")
    def split(self, obj: ScanRun) -> str:
        """Whether the run was one statement, the whole of a split scan, or one part of it."""
        if obj.part is not None:
            return f"part {obj.part + 1} of {obj.parts} (scan #{obj.parent_id})"
        return f"into {obj.parts} parts" if obj.parts > 1 else "one statement"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
