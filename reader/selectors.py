"""The reader's reads: the search lists and what each page shows. Read only; built on the
QuerySets and ``claims.selectors``. Every function here runs a fixed number of queries,
whatever the number of rows it returns (tests/test_reader_queries.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from claims.models import (
    Claim,
    ClaimQuerySet,
    ClaimSource,
    Contradiction,
    ContradictionQuerySet,
    Entity,
    Verdict,
)
from claims.models.expressions import Fold, FoldedNames, PeriodPhrase
from claims.selectors import party_sides
from reader.charts import TimelineClaim
from reader.cursors import cursor_issue, cursor_read
from reader.forms import CONTRADICTIONS, Filters
from sources.models import Party, Source

PAGE_SIZE = 25
# Places a search box's words stand for: the best few entity matches (name or alias,
# accent-insensitive, fuzzy), as Entity.objects.search ranks them.
PLACES_PER_QUERY = 5


def with_sides(claims: list[Claim]) -> list[Claim]:
    """Name the sides (``side_name``) of the claims: one query for the parties of the whole
    list (none for an empty one), each party's side worked out once, not once a claim."""
    sides = party_sides(claim.asserted_by_id for claim in claims)
    for claim in claims:
        claim.side_name = sides.get(claim.asserted_by_id, {}).get("name", "")  # type: ignore[attr-defined]
    return claims


def claims_by_id(ids: set[int], *, related: tuple[str, ...]) -> dict[int, Claim]:
    """The claims, with ``related`` joined, their period in words and their side: two queries."""
    claims = Claim.objects.select_related(*related).annotate(period_phrase=PeriodPhrase())
    return {claim.pk: claim for claim in with_sides(list(claims.filter(pk__in=ids)))} if ids else {}


def with_claims(
    flags: list[Contradiction], *, related: tuple[str, ...] = ("subject", "asserted_by")
) -> list[Contradiction]:
    """Load both claims of each flag (with their sides and periods, as ``side_a``,
    ``period_a``…) in two queries, rather than joining them into the flags' query: a query
    of a dozen joins took longer to plan than to run."""
    claims = claims_by_id({pk for flag in flags for pk in (flag.claim_a_id, flag.claim_b_id)}, related=related)
    for flag in flags:
        flag.claim_a, flag.claim_b = claims[flag.claim_a_id], claims[flag.claim_b_id]
        for name, claim in (("a", flag.claim_a), ("b", flag.claim_b)):
            setattr(flag, f"side_{name}", claim.side_name)  # type: ignore[attr-defined]
            setattr(flag, f"period_{name}", claim.period_phrase)  # type: ignore[attr-defined]
    return flags


def complete(rows: list[Any]) -> list[Any]:
    """What a list row shows beyond its own columns: a claim's side, a flag's two claims."""
    if rows and isinstance(rows[0], Contradiction):
        return with_claims(rows)
    return with_sides(rows)


def _words(text: str) -> SearchQuery:
    # Matches the generated search_vector column, so the GIN index claim_search_gin serves it.
    return SearchQuery(text, search_type="websearch", config="english")


def matching_places(text: str, *, limit: int) -> list[Entity]:
    """The places (entities) the search words name, best first, at most ``limit``: those
    whose name or an alias contains the words (accent- and case-insensitively; the trigram
    index finds them), or, only when none does, the near spellings (Agbend → Aghband),
    as Entity.objects.search ranks them. A journalist who typed a name gets that name, not
    every name that looks like it: ranking every near spelling of "Bench place 881" among
    84,000 places took 800 ms. One query, two when nothing contains the words."""
    named = Entity.objects.search(text).select_related("part_of")
    containing = list(named.filter(Q(_names__contains=Fold(Value(text.strip()))))[:limit])
    return containing or list(named[:limit])


def matching_parties(text: str) -> QuerySet[Party]:
    """Parties whose name or an alias contains ``text``, accent- and case-insensitively."""
    names = FoldedNames(F("name"), F("aliases"))
    return Party.objects.annotate(_names=names).filter(_names__contains=Fold(Value(text.strip()))).order_by("name")


def matching_sources(text: str) -> QuerySet[Source]:
    """Sources whose title contains ``text`` (the trigram index source_title_trgm)."""
    return Source.objects.filter(title__icontains=text.strip()).select_related("publisher").order_by("title", "id")


def about_place(place: Entity) -> Q:
    """Claims about the place or a place within it. The places' ids are read first (one
    query), so that the claims are found through claim_subject_predicate; a subquery of
    the recursive walk was planned as a scan of every claim."""
    return Q(subject_id__in=place.within_ids)


def _about_words(text: str, places: tuple[int, ...] | None = None) -> Q:
    """Claims whose statement or quote has the words, or about a place they name. The
    places are read first (one query), so that the two halves are two index scans (the
    GIN index on the words, claim_subject_predicate on the places) and not a scan of every
    claim testing both."""
    if places is None:
        places = tuple(place.pk for place in matching_places(text, limit=PLACES_PER_QUERY))
    return Q(search_vector=_words(text)) | Q(subject_id__in=places)


# --- The two lists ----------------------------------------------------------------------

# What a list row shows (few joins: planning a query of many joins costs more than running it).
LIST_RELATED = ("subject", "asserted_by")
# What a claim's proposition reads ("Hadrut · controlled by · not Azerbaijan").
CLAIM_RELATED = ("subject", "predicate", "object_entity", "asserted_by")


def claims_matching(filters: Filters, *, related: tuple[str, ...] = LIST_RELATED) -> ClaimQuerySet:
    claims = Claim.objects.select_related(*related).annotate(period_phrase=PeriodPhrase())
    if filters.q:
        claims = claims.filter(_about_words(filters.q, filters.q_places))
    if filters.place is not None:
        claims = claims.filter(about_place(filters.place))
    if filters.party is not None:
        claims = claims.filter(asserted_by=filters.party)
    if filters.side is not None:
        claims = claims.asserted_by_side(filters.side)
    if filters.period is not None:
        claims = claims.overlapping(filters.period)
    if filters.kind:
        flagged = Contradiction.objects.filter(Q(claim_a=OuterRef("pk")) | Q(claim_b=OuterRef("pk")), kind=filters.kind)
        claims = claims.filter(Exists(flagged))
    if filters.review:
        claims = claims.filter(review_state=filters.review)
    if filters.status:
        claims = claims.filter(status=filters.status)
    return claims


def contradictions_matching(filters: Filters) -> ContradictionQuerySet:
    flags = Contradiction.objects.all()
    if filters.q:
        flags = _involving_any(flags, _about_words(filters.q, filters.q_places))
    if filters.place is not None:
        flags = _involving_any(flags, about_place(filters.place))
    if filters.party is not None:
        flags = _involving_any(flags, Q(asserted_by=filters.party))
    if filters.side is not None:
        flags = flags.involving_side(filters.side)
    if filters.period is not None:
        flags = flags.overlapping(filters.period)
    if filters.kind:
        flags = flags.filter(kind=filters.kind)
    if filters.review:
        flags = flags.filter(state=filters.review)
    if filters.status:
        flags = flags.filter(Q(claim_a__status=filters.status) | Q(claim_b__status=filters.status))
    return flags


# Up to this many claims, a flag filter reads their ids first (see ``_involving_any``).
CLAIM_IDS_CAP = 5000


def _involving_any(flags: ContradictionQuerySet, condition: Q) -> ContradictionQuerySet:
    """Flags either of whose claims meets ``condition`` (a Q over Claim's fields).

    When those claims are few (a place's, a district's: hundreds), their ids are read first
    (one query), then their flags' ids through the indexes on claim_a and claim_b (another),
    and the flags are read by primary key. Joining the claims into the flags' query instead
    walks the flags newest first and reads most of them before it finds a page of rare
    matches. Many claims (a party's: tens of thousands):
    then matches are common, and that walk, testing each flag's two claims by primary key,
    finds a page within a few hundred flags (3 ms for a party at 1M claims, where a
    semi-join read and hashed the party's 45,000 claims twice first: 40 ms).
    """
    ids = list(Claim.objects.filter(condition).order_by().values_list("pk", flat=True)[: CLAIM_IDS_CAP + 1])
    if len(ids) > CLAIM_IDS_CAP:
        return flags.filter(_on_claim("claim_a__", condition) | _on_claim("claim_b__", condition))
    table = Contradiction._meta.db_table

    def claim_among(column: str) -> RawSQL:
        return RawSQL(  # noqa: S611 - fixed column names; the ids are one array parameter
            f'"{table}"."{column}" = ANY(%s)', [ids], output_field=models.BooleanField()
        )

    # Their flags' ids too, by those indexes alone, one scan of each (an OR of the two was
    # planned as a scan of every flag): with a review state and an order to page in, the
    # planner walked the state's newest-first index instead, testing each of 90,000 open
    # flags against the claims (190 ms for a district at 1M claims).
    by_a, by_b = (
        Contradiction.objects.filter(claim_among(column)).order_by().values_list("pk", flat=True)
        for column in ("claim_a_id", "claim_b_id")
    )
    flag_ids = list(by_a.union(by_b)[: CLAIM_IDS_CAP + 1])
    if len(flag_ids) > CLAIM_IDS_CAP:
        return flags.filter(claim_among("claim_a_id") | claim_among("claim_b_id"))
    return flags.filter(pk__in=flag_ids)


def _on_claim(prefix: str, condition: Q) -> Q:
    """``condition``, a Q over Claim's fields, as a Q over the flag's claim at ``prefix``."""
    moved = Q()
    moved.connector, moved.negated = condition.connector, condition.negated
    for child in condition.children:
        if isinstance(child, Q):
            moved.children.append(_on_claim(prefix, child))
        else:
            lookup, value = cast(tuple[str, Any], child)
            moved.children.append((f"{prefix}{lookup}", value))
    return moved


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


ORDER_FIELD = {CONTRADICTIONS: "detected_at", "claims": "asserted_at"}


def keyset_page(queryset: QuerySet[Any], *, listing: str, cursor: str = "", size: int = PAGE_SIZE) -> Page:
    """One page, newest first: ``WHERE (field, id) < (cursor) ORDER BY field DESC, id DESC
    LIMIT size + 1`` (the indexes claim_asserted_id and contradiction_detected_id). A cursor
    the reader did not issue raises ``BadCursor``."""
    field = ORDER_FIELD[listing]
    queryset = queryset.order_by(f"-{field}", "-id")
    if cursor:
        moment, pk = cursor_read(cursor, listing=listing)
        queryset = queryset.filter(Q(**{f"{field}__lte": moment}) & (Q(**{f"{field}__lt": moment}) | Q(id__lt=pk)))
    rows = complete(list(queryset[: size + 1]))
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows and more else None
    next_cursor = cursor_issue(listing=listing, moment=getattr(last, field), pk=last.pk) if last else None
    return Page(rows, next_cursor)


# --- Detail pages -----------------------------------------------------------------------


def claim_for_page(pk: int) -> Claim | None:
    claim = (
        Claim.objects.select_related(*CLAIM_RELATED, "subject__part_of")
        .annotate(period_phrase=PeriodPhrase())
        .filter(pk=pk)
        .first()
    )
    return with_sides([claim])[0] if claim else None


def contradiction_for_page(pk: int) -> Contradiction | None:
    flag = Contradiction.objects.select_related("reviewed_by").filter(pk=pk).first()
    return with_claims([flag], related=CLAIM_RELATED)[0] if flag else None


def appearances_of(claim_ids: Iterable[int]) -> dict[int, list[ClaimSource]]:
    """Each claim's appearances with their sources (and publishers), in the order linked."""
    found: dict[int, list[ClaimSource]] = defaultdict(list)
    links = ClaimSource.objects.filter(claim_id__in=list(claim_ids)).select_related("source__publisher")
    for link in links.order_by("claim_id", "id"):
        found[link.claim_id].append(link)
    return found


def verdicts_of(claim_ids: Iterable[int], *, as_of: dt.datetime | None = None) -> dict[int, list[Verdict]]:
    """Each claim's verdicts, newest first (with ``as_of``, those recorded by then)."""
    verdicts = Verdict.objects.filter(claim_id__in=list(claim_ids)).select_related("reviewer")
    if as_of is not None:
        verdicts = verdicts.as_of(as_of)
    found: dict[int, list[Verdict]] = defaultdict(list)
    for verdict in verdicts.order_by("claim_id", "-recorded_at", "-id"):
        found[verdict.claim_id].append(verdict)
    return found


@dataclass(frozen=True)
class ReviewStep:
    at: dt.datetime
    state: str
    reason: str
    who: str


def review_history(contradiction: Contradiction) -> list[ReviewStep]:
    """The flag's state over time, oldest first: each history event that moved its state
    (or opened it), from the pghistory events. Two queries (events, then reviewers)."""
    events = list(
        apps.get_model("claims", "ContradictionEvent")
        .objects.filter(pgh_obj_id=contradiction.pk)
        .order_by("pgh_created_at", "pgh_id")
        .values_list("pgh_created_at", "state", "state_reason", "reviewed_by_id")
    )
    users = dict(get_user_model().objects.filter(pk__in={e[3] for e in events if e[3]}).values_list("pk", "username"))
    states = dict(Contradiction.State.choices)
    steps: list[ReviewStep] = []
    for at, state, reason, reviewer in events:
        if steps and steps[-1].state == states.get(state, state) and steps[-1].reason == reason:
            continue
        steps.append(ReviewStep(at, str(states.get(state, state)), reason, users.get(reviewer, "the engine")))
    return steps


def contradictions_of_claim(claim_id: int) -> list[Contradiction]:
    flags = Contradiction.objects.involving(claim_id).order_by("-detected_at", "-id")
    return with_claims(list(flags[:100]))


def latest_published_verdict(claim_id: int) -> Verdict | None:
    return (
        Verdict.objects.published()
        .filter(claim_id=claim_id)
        .select_related("claim")
        .order_by("-recorded_at", "-id")
        .first()
    )


# --- Place and party pages ----------------------------------------------------------------

TIMELINE_LIMIT = 400


def place_timeline(place: Entity, *, predicate: str = "") -> tuple[list[TimelineClaim], bool]:
    """The claims about the place and places within it, by period start, at most
    ``TIMELINE_LIMIT`` (the latest); and whether there were more. Plain rows of what the
    picture and its table show (``reader.charts``), two queries."""
    claims = Claim.objects.filter(about_place(place)).annotate(period_phrase=PeriodPhrase())
    if predicate:
        claims = claims.filter(predicate__slug=predicate)
    rows = list(
        claims.order_by("-valid_from", "-id").values_list(
            "pk", "valid_from", "valid_until", "statement", "status", "polarity", "asserted_by__name", "asserted_by_id",
            "period_phrase",
        )[: TIMELINE_LIMIT + 1]
    )  # fmt: skip
    more = len(rows) > TIMELINE_LIMIT
    rows = rows[:TIMELINE_LIMIT]
    sides = party_sides(row[7] for row in rows)
    timeline = [
        TimelineClaim(
            pk, start, end, statement, status, polarity, party, sides.get(party_id, {}).get("name", ""), phrase
        )
        for pk, start, end, statement, status, polarity, party, party_id, phrase in reversed(rows)
    ]
    return timeline, more


def place_parts(place: Entity) -> list[Entity]:
    return list(Entity.objects.filter(part_of=place).order_by("name")[:200])


def place_ancestors(place: Entity) -> list[Entity]:
    """The places the place is within, nearest first (one query per level, at most 8)."""
    chain: list[Entity] = []
    current = place
    while current.part_of_id is not None and len(chain) < 8:
        parent = Entity.objects.filter(pk=current.part_of_id).first()
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return chain


def party_claims(party: Party, *, include_side: bool, limit: int = PAGE_SIZE) -> list[Claim]:
    claims = Claim.objects.asserted_by_side(party) if include_side else Claim.objects.filter(asserted_by=party)
    claims = claims.select_related(*LIST_RELATED).annotate(period_phrase=PeriodPhrase())
    return list(claims.order_by("-asserted_at", "-id")[:limit])


def party_members(party: Party) -> list[Party]:
    return list(Party.objects.filter(parent=party).order_by("name")[:200])


def first_of(queryset: QuerySet[Any], limit: int = PAGE_SIZE) -> tuple[list[Any], bool]:
    rows = complete(list(queryset[: limit + 1]))
    return rows[:limit], len(rows) > limit
