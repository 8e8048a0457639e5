"""History in the admin: who changed what, and when, from the pghistory event tables.

Also the one way the admin words a moment or a day (``format_moment``, ``format_day``), so
that lists, change pages and history read alike; both apps' admins use them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

MAX_EVENTS = 50
EMPTY = "—"
# Columns a person never edits: derived (search vector, period range, value type) or
# bookkeeping (updated_at). A change to them alone is not shown.
HIDDEN_COLUMNS = frozenset({"updated_at", "search_vector", "period", "value_type"})


# --- One wording of moments and days ---------------------------------------------------


def format_day(value: dt.date | None) -> str:
    """'9 Oct 2020', as the engine's explanations word a day."""
    if value is None:
        return EMPTY
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.day} {value:%b} {value.year}"


def format_moment(value: dt.datetime | None) -> str:
    """'9 Oct 2020 14:05 UTC': the day as ``format_day`` words it, then the time."""
    if value is None:
        return EMPTY
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_day(local.date())} {local:%H:%M} {local.tzname() or ''}".rstrip()


# --- Column values as a person reads them ---------------------------------------------


def _field(model: type[models.Model], column: str) -> models.Field[Any, Any] | None:
    try:
        return model._meta.get_field(column)  # type: ignore[return-value]
    except FieldDoesNotExist:
        for field in model._meta.concrete_fields:
            if field.attname == column:
                return field
    return None


def _label(model: type[models.Model], column: str) -> str:
    field = _field(model, column)
    return capfirst(str(field.verbose_name)) if field is not None else column


def _related_names(model: type[models.Model], events: list[Any]) -> dict[tuple[str, Any], str]:
    """The names of the rows the events' foreign keys point to, one query per related model."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    for event in events:
        for column, change in (event.pgh_diff or {}).items():
            field = _field(model, column)
            if isinstance(field, models.ForeignKey):
                wanted[column].update(value for value in change if value is not None)
    names: dict[tuple[str, Any], str] = {}
    for column, ids in wanted.items():
        related: Any = _field(model, column).related_model  # type: ignore[union-attr]  # a ForeignKey, above
        for row in related._default_manager.filter(pk__in=ids):
            names[(column, row.pk)] = str(row)
    return names


def _value(model: type[models.Model], column: str, value: Any, names: dict[tuple[str, Any], str]) -> str:
    if value is None or value == "" or value == []:
        return "∅"
    field = _field(model, column)
    if field is None:
        return str(value)
    if isinstance(field, models.ForeignKey):
        return names.get((column, value), f"#{value} (no longer exists)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(str(value))
        return format_moment(moment) if moment else str(value)
    if isinstance(field, models.DateField):
        day = parse_date(str(value))
        return format_day(day) if day else str(value)
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    if isinstance(field, ArrayField) and isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _describe(event: Any, model: type[models.Model], names: dict[tuple[str, Any], str]) -> SafeString:
    if event.pgh_label == "insert":
        return mark_safe("created")  # noqa: S308  (a constant)
    if event.pgh_label == "delete":
        return mark_safe("deleted")  # noqa: S308  (a constant)
    rows = [
        (_label(model, column), _value(model, column, before, names), _value(model, column, after, names))
        for column, (before, after) in (event.pgh_diff or {}).items()
        if column not in HIDDEN_COLUMNS
    ]
    if not rows:
        return mark_safe(EMPTY)  # noqa: S308  (a constant)
    return format_html_join("", "<div><b>{}</b>: <del>{}</del> → <ins>{}</ins></div>", rows)


def history_html(obj: models.Model | None) -> SafeString:
    """An HTML table of the object's history, newest first: when, who, and each changed
    field by its label, with names for the rows its foreign keys point to."""
    if obj is None or obj.pk is None:
        return mark_safe("<em>No history yet.</em>")  # noqa: S308  (a constant)
    from pghistory.models import Events

    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at")[:MAX_EVENTS])
    if not events:
        return mark_safe("<em>No history yet.</em>")  # noqa: S308  (a constant)
    model = type(obj)
    names = _related_names(model, events)
    user_ids = {int(e.pgh_context["user"]) for e in events if e.pgh_context and e.pgh_context.get("user")}
    users = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)}

    def who(event: Any) -> str:
        context = event.pgh_context or {}
        if context.get("user"):
            return users.get(int(context["user"]), f"user #{context['user']}")
        return str(context.get("actor") or context.get("url") or "system")

    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((format_moment(e.pgh_created_at), who(e), e.pgh_label, _describe(e, model, names)) for e in events),
    )
    return format_html(
        '<table class="cw-history"><thead><tr><th>When</th><th>Who</th><th>Event</th><th>What changed</th>'
        "</tr></thead><tbody>{}</tbody></table>",
        rows,
    )


# --- The History button ---------------------------------------------------------------


class HistoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A model admin whose History button and History field show the tracked history.

    Django's own history page reads the admin's LogEntry rows, which writes through the
    services (and the API, the engine, raw SQL) never make: it said "no change history" for
    a claim whose page showed one. This one reads the pghistory events, as the page does.
    """

    object_history_template = "admin/claimwatch/object_history.html"
    empty_value_display = "—"  # as format_day and format_moment word a missing value

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            response: HttpResponse = self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
                request, self.opts, object_id
            )
            return response
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            "history": history_html(obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    @admin.display(description="History")
    def history(self, obj: models.Model | None) -> SafeString:
        return history_html(obj)
