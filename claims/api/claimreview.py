"""schema.org ClaimReview JSON-LD for a claim with a published verdict.

https://schema.org/ClaimReview, as Google Fact Check Tools reads it: ``claimReviewed``,
``itemReviewed`` (a Claim with its ``author`` and ``appearance``) and ``reviewRating``
(``ratingValue`` on ``worstRating``..``bestRating``, and ``alternateName``).
"""

from __future__ import annotations

from typing import Any

from claims.models import CLAIM_REVIEW, CLAIM_REVIEW_BEST, CLAIM_REVIEW_WORST, Claim, Verdict
from sources.models import Party

PUBLISHER = "Claimwatch"
PERSON_KINDS = frozenset({Party.Kind.PERSON, Party.Kind.JOURNALIST, Party.Kind.OFFICIAL})


def _party(party: Party) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "Person" if party.kind in PERSON_KINDS else "Organization",
        "name": party.name,
    }
    if party.same_as:
        node["sameAs"] = party.same_as
    return node


def claim_review(*, claim: Claim, verdict: Verdict, url: str) -> dict[str, Any]:
    """The ClaimReview of ``claim`` by its latest published ``verdict``. ``claim`` comes
    with ``asserted_by`` and its appearances' sources loaded."""
    rating_value, alternate_name = CLAIM_REVIEW[verdict.rating]
    rating: dict[str, Any] = {
        "@type": "Rating",
        "bestRating": CLAIM_REVIEW_BEST,
        "worstRating": CLAIM_REVIEW_WORST,
        "alternateName": alternate_name,
    }
    if rating_value is not None:
        rating["ratingValue"] = rating_value
    appearances = []
    for link in claim.appearances.all():
        source = link.source
        work: dict[str, Any] = {"@type": "CreativeWork", "headline": source.title}
        if source.url:
            work["url"] = source.url
        if source.published_at:
            work["datePublished"] = source.published_at.date().isoformat()
        if source.publisher_id is not None:
            work["publisher"] = _party(source.publisher)  # type: ignore[arg-type]
        appearances.append(work)
    item: dict[str, Any] = {
        "@type": "Claim",
        "author": _party(claim.asserted_by),
        "datePublished": claim.asserted_at.date().isoformat(),
        "appearance": appearances,
    }
    if appearances:
        item["firstAppearance"] = appearances[0]
    published = verdict.published_at or verdict.recorded_at
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.statement,
        "itemReviewed": item,
        "reviewRating": rating,
        "reviewBody": verdict.rationale,
        "datePublished": published.date().isoformat(),
        "author": {"@type": "Organization", "name": PUBLISHER},
    }
