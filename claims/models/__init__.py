"""Entities, predicates, claims, verdicts and contradictions.

Reads go through QuerySet methods named after domain states; writes go through
``claims.services``. The database keeps the invariants (see each model's ``Meta``).
One module per concept; everything is importable from ``claims.models``.
"""

from claims.models.changes import (
    ClaimChange,
    ClaimChangeKind,
    ClaimChangeQuerySet,
)
from claims.models.claim import (
    EXCERPT_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    RATIONALE_MAX_LENGTH,
    STATEMENT_MAX_LENGTH,
    TEXT_VALUE_MAX_LENGTH,
    Claim,
    ClaimCredibility,
    ClaimHedge,
    ClaimPolarity,
    ClaimQuerySet,
    ClaimReviewState,
    ClaimSource,
    ClaimSourceRole,
    format_quantity,
    period_range,
)
from claims.models.contradiction import (
    Contradiction,
    ContradictionKind,
    ContradictionLifecycle,
    ContradictionQuerySet,
    ContradictionRelation,
    ContradictionState,
    ScanRun,
    ScanRunStatus,
)
from claims.models.counts import PartyClaimCount
from claims.models.expressions import (
    ClaimDoubtPoints,
    ClaimPeriod,
    ClaimRatedVerdict,
    ClaimSearchVector,
    Fold,
    FoldedNames,
)
from claims.models.imports import ClaimImport, ClaimImportOrigin, ClaimImportState
from claims.models.verdict import (
    Verdict,
    VerdictEvidence,
    VerdictQuerySet,
)
from claims.models.vocabulary import (
    CLAIM_REVIEW,
    CLAIM_REVIEW_BEST,
    CLAIM_REVIEW_WORST,
    Entity,
    EntityKind,
    EntityQuerySet,
    PeriodPrecision,
    Predicate,
    PredicateValueType,
    Rating,
    Status,
)

__all__ = [
    "ClaimImport",
    "ClaimImportOrigin",
    "ClaimImportState",
    "period_range",
    "CLAIM_REVIEW",
    "CLAIM_REVIEW_BEST",
    "CLAIM_REVIEW_WORST",
    "Claim",
    "ClaimChange",
    "ClaimChangeKind",
    "ClaimChangeQuerySet",
    "ClaimCredibility",
    "ClaimDoubtPoints",
    "ClaimHedge",
    "ClaimPeriod",
    "ClaimPolarity",
    "ClaimRatedVerdict",
    "ClaimQuerySet",
    "ClaimReviewState",
    "ClaimSearchVector",
    "ClaimSource",
    "ClaimSourceRole",
    "Contradiction",
    "ContradictionKind",
    "ContradictionLifecycle",
    "ContradictionQuerySet",
    "ContradictionRelation",
    "ContradictionState",
    "EXCERPT_MAX_LENGTH",
    "Entity",
    "EntityKind",
    "EntityQuerySet",
    "Fold",
    "FoldedNames",
    "PartyClaimCount",
    "PeriodPrecision",
    "Predicate",
    "PredicateValueType",
    "QUOTE_MAX_LENGTH",
    "RATIONALE_MAX_LENGTH",
    "Rating",
    "STATEMENT_MAX_LENGTH",
    "ScanRun",
    "ScanRunStatus",
    "Status",
    "TEXT_VALUE_MAX_LENGTH",
    "Verdict",
    "VerdictEvidence",
    "VerdictQuerySet",
    "format_quantity",
]
