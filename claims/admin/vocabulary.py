"""Entities and predicates: what claims are about and what they assert."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from import_export.admin import ImportExportModelAdmin

from claims import services
from claims.models import Entity, Predicate
from project.admin_history import HistoryAdmin

# --- Entities and predicates ----------------------------------------------------------


@admin.register(Entity)
class EntityAdmin(ImportExportModelAdmin, HistoryAdmin):  # type: ignore[misc]
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

    def save_model(self, request: HttpRequest, obj: Entity, form: ModelForm[Entity], change: bool) -> None:
        # Through the service, as the API's edits go: moving a place re-checks the claims
        # about it and the places within it, renaming it re-explains its flags.
        services.entity_save(entity=obj)

    def has_import_permission(self, request: HttpRequest) -> bool:
        # django-import-export lets anyone import unless told otherwise; an import adds and
        # changes rows, so it takes both permissions (journalists only read).
        return bool(
            request.user.has_perms(
                [
                    f"{self.opts.app_label}.add_{self.opts.model_name}",
                    f"{self.opts.app_label}.change_{self.opts.model_name}",
                ]
            )
        )

    @admin.display(description="Aliases")
    def alias_list(self, obj: Entity) -> str:
        return ", ".join(obj.aliases)


@admin.register(Predicate)
class PredicateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not history-tracked
    list_display = ["label", "slug", "value_type", "single_valued", "unit"]
    list_filter = ["value_type", "single_valued"]
    search_fields = ["label", "slug"]
    prepopulated_fields = {"slug": ["label"]}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Predicate, form: ModelForm[Predicate], change: bool) -> None:
        # Through the service: making it single-valued or spreading to the parts re-checks
        # the claims that use it, relabelling it re-explains their flags.
        services.predicate_save(predicate=obj)
