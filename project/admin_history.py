"""History in the admin: who changed what, and when, from the pghistory event tables."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

MAX_EVENTS = 50


def _describe(diff: dict[str, Any] | None, data: dict[str, Any], label: str) -> SafeString:
    if label == "insert":
        return mark_safe("created")  # noqa: S308  (a constant)
    if label == "delete":
        return mark_safe("deleted")  # noqa: S308  (a constant)
    if not diff:
        return mark_safe("—")  # noqa: S308  (a constant)
    hidden = {"updated_at", "search_vector", "period"}
    rows = [(name, before, after) for name, (before, after) in diff.items() if name not in hidden]
    if not rows:
        return mark_safe("—")  # noqa: S308  (a constant)
    return format_html_join(
        "",
        "<div><b>{}</b>: <del>{}</del> → <ins>{}</ins></div>",
        ((n, b if b not in (None, "") else "∅", a if a not in (None, "") else "∅") for n, b, a in rows),
    )


def history_html(obj: models.Model | None) -> SafeString:
    """An HTML table of the object's history, newest first."""
    if obj is None or obj.pk is None:
        return mark_safe("<em>No history yet.</em>")  # noqa: S308  (a constant)
    from pghistory.models import Events

    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at")[:MAX_EVENTS])
    if not events:
        return mark_safe("<em>No history yet.</em>")  # noqa: S308  (a constant)
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
        (
            (
                f"{e.pgh_created_at:%Y-%m-%d %H:%M:%S}",
                who(e),
                e.pgh_label,
                _describe(e.pgh_diff, e.pgh_data, e.pgh_label),
            )
            for e in events
        ),
    )
    return format_html(
        '<table class="cw-history"><thead><tr><th>When</th><th>Who</th><th>Event</th><th>What changed</th>'
        "</tr></thead><tbody>{}</tbody></table>",
        rows,
    )
