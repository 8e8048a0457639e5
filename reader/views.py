"""The journalists' reader: search, a contradiction, a claim (as of a day), a place, a
party, exports, embeddable cards and ClaimReview JSON-LD. Read only.

Any signed-in user may read (no staff status needed); analysts, who may change claims,
also get "edit in admin" links (``can_edit``). Bad input (an unknown facet value, a
garbage date, a page cursor the reader never issued) is a message on the page with a 400,
never a 500.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from claims import selectors as claim_selectors
from claims.api.claimreview import claim_review
from claims.models import Claim, ClaimSource, Contradiction, Entity, Predicate
from reader import charts, export
from reader import selectors as reader_selectors
from reader.cursors import BadCursor
from reader.forms import CLAIMS, CONTRADICTIONS, AsOfForm, Filters, SearchForm
from sources.models import Party

F = TypeVar("F", bound=Callable[..., HttpResponseBase])
EDIT_PERMISSION = "claims.change_claim"


def reader_view(view: F) -> F:
    """A reader page: GET only, for any signed-in user (sent to the reader's sign-in)."""
    return require_GET(login_required(view, login_url="reader:login"))  # type: ignore[return-value]


def _context(request: HttpRequest, **values: Any) -> dict[str, Any]:
    # Only staff can use the admin: a journalist's page reads no permissions (two queries).
    user = request.user
    return {"can_edit": user.is_staff and user.has_perm(EDIT_PERMISSION), **values}


def _with(query: QueryDict, **changes: str) -> str:
    """The query string ``query`` with ``changes`` (an empty value removes the key)."""
    updated = query.copy()
    for key, value in changes.items():
        if value:
            updated[key] = value
        else:
            updated.pop(key, None)
    return updated.urlencode()


def _errors(form: Any) -> list[str]:
    labels = {name: str(field.label or name) for name, field in form.fields.items()}
    messages = []
    for name, errors in form.errors.items():
        for error in errors:
            messages.append(f"{labels.get(name, 'Search')}: {error}" if name != "__all__" else str(error))
    return messages


def _filters(request: HttpRequest) -> tuple[SearchForm, Filters | None, list[str]]:
    form = SearchForm(request.GET)
    if form.is_valid():
        return form, Filters.from_form(form.cleaned_data), []
    return form, None, _errors(form)


# --- Search ---------------------------------------------------------------------------


@reader_view
def search(request: HttpRequest) -> HttpResponse:
    form, filters, errors = _filters(request)
    page = None
    matches: dict[str, list[Any]] = {}
    if filters is not None:
        cursor = form.cleaned_data.get("cursor") or ""
        if filters.q:
            # The places the words name, read once: the list and the matches both use them.
            places = reader_selectors.matching_places(filters.q, limit=8)
            filters = dataclasses.replace(
                filters, q_places=tuple(p.pk for p in places[: reader_selectors.PLACES_PER_QUERY])
            )
        listing = (
            reader_selectors.claims_matching(filters)
            if filters.show == CLAIMS
            else reader_selectors.contradictions_matching(filters)
        )
        try:
            page = reader_selectors.keyset_page(listing, listing=filters.show, cursor=cursor)
        except BadCursor as exc:
            errors.append(str(exc))
        if filters.q and not cursor:
            matches = {
                "places": places,
                "parties": list(reader_selectors.matching_parties(filters.q)[:8]),
                "sources": list(reader_selectors.matching_sources(filters.q)[:8]),
            }
    query = request.GET
    context = _context(
        request,
        form=form,
        filters=filters,
        errors=errors,
        page=page,
        matches=matches,
        show=(filters.show if filters else request.GET.get("show")) or CONTRADICTIONS,
        next_query=_with(query, cursor=page.next_cursor) if page and page.next_cursor else "",
        first_query=_with(query, cursor=""),
        export_query=_with(query, cursor=""),
        listings={
            CONTRADICTIONS: _with(query, show=CONTRADICTIONS, cursor="", review=""),
            CLAIMS: _with(query, show=CLAIMS, cursor="", review="", kind=""),
        },
        place_query=_with(query, place="", cursor=""),
        # A place chosen from the matches stands for the words that found it.
        in_place_query=_with(query, q="", place="", cursor="", show=CONTRADICTIONS),
    )
    return render(request, "reader/search.html", context, status=400 if errors else 200)


@reader_view
def export_list(request: HttpRequest, fmt: str) -> HttpResponseBase:
    form, filters, errors = _filters(request)
    if filters is None:
        context = _context(request, form=form, errors=errors, page=None, matches={}, show=CONTRADICTIONS)
        return render(request, "reader/search.html", context, status=400)
    columns, items = export.rows(filters, request.build_absolute_uri("/").rstrip("/"))
    name = f"claimwatch-{filters.show}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(export.csv_chunks(columns, items), content_type="text/csv; charset=utf-8")
    elif fmt == "json":
        response = StreamingHttpResponse(export.json_chunks(items), content_type="application/json")
    else:
        raise Http404("CSV or JSON only.")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- A contradiction ----------------------------------------------------------------------


def _contradiction(pk: int) -> Contradiction:
    flag = reader_selectors.contradiction_for_page(pk)
    if flag is None:
        raise Http404("There is no such contradiction.")
    return flag


@reader_view
def contradiction(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _contradiction(pk)
    ids = [flag.claim_a_id, flag.claim_b_id]
    appearances = reader_selectors.appearances_of(ids)
    verdicts = reader_selectors.verdicts_of(ids)
    sides = [
        {"claim": flag.claim_a, "side": flag.side_a, "period": flag.period_a},  # type: ignore[attr-defined]
        {"claim": flag.claim_b, "side": flag.side_b, "period": flag.period_b},  # type: ignore[attr-defined]
    ]
    for side in sides:
        side["appearances"] = appearances.get(side["claim"].pk, [])
        side["verdicts"] = verdicts.get(side["claim"].pk, [])
    context = _context(request, flag=flag, sides=sides, history=reader_selectors.review_history(flag))
    return render(request, "reader/contradiction.html", context)


@reader_view
def contradiction_card(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _contradiction(pk)
    permalink = request.build_absolute_uri(reverse("reader:contradiction", args=[pk]))
    card = render(request, "reader/card_contradiction.html", {"flag": flag, "permalink": permalink}).content
    context = _context(request, card=card.decode(), title=str(flag), back=reverse("reader:contradiction", args=[pk]))
    return render(request, "reader/card_page.html", context)


@reader_view
def contradiction_claimreview(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _contradiction(pk)
    reviews = [
        review for claim_id in (flag.claim_a_id, flag.claim_b_id) if (review := _claim_review(request, claim_id))
    ]
    return HttpResponse(orjson.dumps(reviews), content_type="application/ld+json")


# --- A claim ----------------------------------------------------------------------------


def _claim(pk: int) -> Claim:
    claim = reader_selectors.claim_for_page(pk)
    if claim is None:
        raise Http404("There is no such claim.")
    return claim


def _claim_review(request: HttpRequest, claim_id: int) -> dict[str, Any] | None:
    verdict = reader_selectors.latest_published_verdict(claim_id)
    if verdict is None:
        return None
    claim = (
        Claim.objects.select_related("asserted_by")
        .prefetch_related(Prefetch("appearances", ClaimSource.objects.select_related("source__publisher")))
        .get(pk=claim_id)
    )
    url = request.build_absolute_uri(reverse("reader:claim", args=[claim_id]))
    return claim_review(claim=claim, verdict=verdict, url=url)


@reader_view
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    item = _claim(pk)
    as_of_form = AsOfForm(request.GET)
    errors: list[str] = []
    moment = None
    if as_of_form.is_valid():
        moment = as_of_form.moment()
    else:
        errors = _errors(as_of_form)
    status = item.status
    if moment is not None:
        status = claim_selectors.claim_status_as_of(claim=item, moment=moment)
    verdicts = reader_selectors.verdicts_of([pk], as_of=moment).get(pk, [])
    context = _context(
        request,
        claim=item,
        moment=moment,
        status=status,
        status_label=dict(Claim._meta.get_field("status").flatchoices).get(status, status),  # type: ignore[union-attr]
        recorded_then=moment is None or item.created_at <= moment,
        retracted_then=item.retracted_at is not None and (moment is None or item.retracted_at <= moment),
        verdicts=verdicts,
        appearances=reader_selectors.appearances_of([pk]).get(pk, []),
        contradictions=reader_selectors.contradictions_of_claim(pk),
        as_of_form=as_of_form,
        errors=errors,
        claimreview=_script_json(_claim_review(request, pk)) if moment is None else None,
    )
    return render(request, "reader/claim.html", context, status=400 if errors else 200)


def _script_json(value: dict[str, Any] | None) -> SafeString | None:
    """``value`` as JSON safe inside a <script> element (as ``json_script`` escapes it)."""
    if value is None:
        return None
    text = orjson.dumps(value).decode()
    escaped = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(escaped)  # noqa: S308 - JSON with <, > and & escaped


@reader_view
def claim_card(request: HttpRequest, pk: int) -> HttpResponse:
    item = _claim(pk)
    permalink = request.build_absolute_uri(reverse("reader:claim", args=[pk]))
    card = render(request, "reader/card_claim.html", {"claim": item, "permalink": permalink}).content
    context = _context(request, card=card.decode(), title=item.statement, back=reverse("reader:claim", args=[pk]))
    return render(request, "reader/card_page.html", context)


@reader_view
def claim_claimreview(request: HttpRequest, pk: int) -> HttpResponse:
    _claim(pk)
    review = _claim_review(request, pk)
    if review is None:
        body = {"detail": "This claim has no published verdict yet, so it has no ClaimReview."}
        return HttpResponse(orjson.dumps(body), content_type="application/json", status=404)
    return HttpResponse(orjson.dumps(review), content_type="application/ld+json")


# --- A place and a party ----------------------------------------------------------------


@reader_view
def place(request: HttpRequest, pk: int) -> HttpResponse:
    entity = Entity.objects.select_related("part_of").filter(pk=pk).first()
    if entity is None:
        raise Http404("There is no such place.")
    predicates = list(Predicate.objects.order_by("label"))
    predicate = request.GET.get("predicate", "")
    errors = []
    if predicate and predicate not in {p.slug for p in predicates}:
        errors.append(f"Claim type: “{predicate}” is not one of the listed types; showing every claim.")
        predicate = ""
    claims, more = reader_selectors.place_timeline(entity, predicate=predicate)
    flags, more_flags = reader_selectors.first_of(
        reader_selectors.contradictions_matching(Filters(place=entity)).order_by("-detected_at", "-id")
    )
    context = _context(
        request,
        place=entity,
        ancestors=reader_selectors.place_ancestors(entity),
        parts=reader_selectors.place_parts(entity),
        claims=claims,
        more=more,
        timeline=(timeline := charts.timeline(claims)),
        timeline_bars=charts.bars_svg(timeline.bars),
        timeline_rows=charts.claim_rows(claims),
        flags=flags,
        more_flags=more_flags,
        predicates=predicates,
        predicate=predicate,
        errors=errors,
    )
    return render(request, "reader/place.html", context, status=400 if errors else 200)


@reader_view
def party(request: HttpRequest, pk: int) -> HttpResponse:
    who = Party.objects.select_related("parent").filter(pk=pk).first()
    if who is None:
        raise Http404("There is no such party.")
    members = reader_selectors.party_members(who)
    errors = []
    scope = request.GET.get("scope", "side" if members else "party")
    if scope not in ("side", "party"):
        errors.append(f"Scope: “{scope}” is not one of side or party; showing the side.")
        scope = "side"
    include_side = scope == "side"
    record = claim_selectors.party_record(who, include_side=include_side)
    bars, chart_height = charts.record_bars(record)
    flags, more_flags = reader_selectors.first_of(
        reader_selectors.contradictions_matching(Filters(side=who) if include_side else Filters(party=who)).order_by(
            "-detected_at", "-id"
        )
    )
    context = _context(
        request,
        party=who,
        members=members,
        scope=scope,
        record=record,
        bars=bars,
        chart_height=chart_height,
        claims=reader_selectors.party_claims(who, include_side=include_side),
        flags=flags,
        more_flags=more_flags,
        facet="side" if include_side else "party",
        errors=errors,
    )
    return render(request, "reader/party.html", context, status=400 if errors else 200)
