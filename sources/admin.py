from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, FloatField, Func, Q, QuerySet, TextField, Value
from django.http import HttpRequest
from import_export.admin import ImportExportModelAdmin

from project.admin_history import HistoryAdmin, format_day
from sources import services
from sources.models import DatePrecision, Party, Source

# Below this trigram word similarity a name is not offered ("Aliev" ~ "Ilham Aliyev" is 0.67);
# the entity search's threshold.
FUZZY_THRESHOLD = 0.25


@admin.register(Party)
class PartyAdmin(ImportExportModelAdmin, HistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "kind", "parent", "reliability"]
    list_filter = ["kind", "reliability"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["history"]
    fields = ["name", "kind", "parent", "aliases", "reliability", "same_as", "description", "history"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Party], search_term: str
    ) -> tuple[QuerySet[Party], bool]:
        # Aliases count as names, accents and case are ignored, and near spellings match, as
        # in the entity search: "Aliev" finds "Ilham Aliyev". cw_fold and cw_fold_names are
        # the database's folding functions (claims migration 0001), so both searches agree.
        term = search_term.strip()
        if not term:
            return queryset, False
        names = Func(F("name"), F("aliases"), function="cw_fold_names", output_field=TextField())
        query = Func(Value(term), function="cw_fold", output_field=TextField())
        similarity = Func(query, names, function="word_similarity", output_field=FloatField())
        matches = (
            queryset.annotate(_names=names, _similarity=similarity)
            .filter(Q(_names__contains=query) | Q(_similarity__gte=FUZZY_THRESHOLD))
            .order_by("-_similarity", "name")
        )
        return matches, False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Party, form: Any, change: bool) -> None:
        services.party_save(party=obj)

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


@admin.register(Source)
class SourceAdmin(ImportExportModelAdmin, HistoryAdmin):  # type: ignore[misc]
    list_display = ["title", "kind", "publisher", "published_on", "url", "republished_from"]
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

    @admin.display(description="Published", ordering="published_at")
    def published_on(self, obj: Source) -> str:
        """The day, to the precision it is known ('Oct 2020', '2020'), as periods are worded."""
        if obj.published_at is None:
            return "—"
        if obj.published_precision == DatePrecision.YEAR:
            return str(obj.published_at.year)
        if obj.published_precision == DatePrecision.MONTH:
            return f"{obj.published_at:%b} {obj.published_at.year}"
        return format_day(obj.published_at)
