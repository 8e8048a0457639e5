from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.http import HttpRequest
from django.utils.safestring import SafeString
from import_export.admin import ImportExportModelAdmin

from project.admin_history import history_html
from sources import services
from sources.models import Party, Source


@admin.register(Party)
class PartyAdmin(ImportExportModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "parent", "reliability"]
    list_filter = ["kind", "reliability"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["history"]
    fields = ["name", "kind", "parent", "aliases", "reliability", "same_as", "description", "history"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Party], search_term: str
    ) -> tuple[QuerySet[Party], bool]:
        # Aliases count as names: "Aliyev" finds "Ilham Aliyev, President of Azerbaijan".
        term = search_term.strip()
        if not term:
            return queryset, False
        alias_match = (
            Party.objects.annotate(
                _aliases=Func(F("aliases"), Value(" "), function="array_to_string", output_field=CharField())
            )
            .filter(Q(name__icontains=term) | Q(_aliases__icontains=term))
            .values("pk")
        )
        return queryset.filter(pk__in=alias_match), False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Party, form: Any, change: bool) -> None:
        services.party_save(party=obj)

    @admin.display(description="History")
    def history(self, obj: Party | None) -> SafeString:
        return history_html(obj)


@admin.register(Source)
class SourceAdmin(ImportExportModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "kind", "publisher", "published_at", "url", "republished_from"]
    list_filter = ["kind", "publisher", "language"]
    search_fields = ["title", "url", "author"]
    autocomplete_fields = ["publisher", "republished_from"]
    date_hierarchy = "published_at"
    readonly_fields = ["history"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "url", "publisher", "author", "language"]}),
        ("Publication", {"fields": ["published_at", "published_precision", "republished_from"]}),
        ("Preservation", {"fields": ["archive_url", "content_hash", "retrieved_at"]}),
        ("History", {"fields": ["history"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        queryset: QuerySet[Source] = super().get_queryset(request)
        return queryset.select_related("publisher", "republished_from")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        services.source_save(source=obj)

    @admin.display(description="History")
    def history(self, obj: Source | None) -> SafeString:
        return history_html(obj)
