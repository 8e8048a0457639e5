"""What the admin pages share: asking for a reason, a claim as an analyst reads it, a period in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from claims.models import Claim
from claims.models.expressions import PeriodPhrase
from project.admin_history import format_day


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
    describe: Callable[[Any], SafeString] | None = None,
) -> HttpResponse | None:
    """An intermediate page that asks for a reason, then applies ``apply(obj, reason)``
    to each selected object. Objects whose service refuses are reported, not half-done.
    ``describe(obj)``: what the page shows of each object (else its name)."""
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
            "described": [(obj, describe(obj) if describe else None) for obj in queryset],
            "form": form,
            "action": action,
        },
    )


# A claim's statement in a list is shortened to this many characters (all of it on hover).
LIST_STATEMENT_CHARS = 90


def claim_card(claim: Claim, *, full: bool = True, period: str | None = None) -> SafeString:
    """One claim as an analyst reads it: who, what, when, how sure and (``full``) its
    verbatim quote and where it appeared. ``period``: its period in words, if the queryset
    annotated it (else it is worded with one query)."""
    if not full:
        return format_html(
            "<a href='{}'><b>#{}</b></a> <b>{}</b>: <span title='{}'>{}</span><br><small>{} · {} · {}</small>",
            reverse("admin:claims_claim_change", args=[claim.pk]),
            claim.pk,
            claim.asserted_by,
            claim.statement,
            Truncator(claim.statement).chars(LIST_STATEMENT_CHARS),
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
        "<p>{}</p><p>{}</p>{}<p>Period: {} · Status: <b>{}</b>{}</p><ul>{}</ul></div>",
        reverse("admin:claims_claim_change", args=[claim.pk]),
        claim.pk,
        claim.asserted_by,
        claim.get_hedge_display().lower(),
        format_day(claim.asserted_at),
        claim.proposition,
        claim.statement,
        format_html("<p><i>“{}”</i></p>", claim.quote) if claim.quote else "",
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
