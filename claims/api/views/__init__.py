"""Views of the claims API. Each checks the role (``required_permissions``), parses the
input, makes one service or QuerySet call, and renders a document.

The hot read paths (status lookup, claim and contradiction lists) render ``.values()``
rows through ``claims.api.documents`` and the orjson renderer; the OpenAPI schema still
describes every field, parameter and error (``claims.api.serializers``).

One module per resource; the URLconf reads the views from here.
"""

from claims.api.views.bulk import ClaimBulkView
from claims.api.views.claim import ClaimDetailView, ClaimListView, ClaimRetractView, ClaimReviewView, ClaimStatusView
from claims.api.views.contradiction import (
    ContradictionConfirmView,
    ContradictionDetailView,
    ContradictionDismissView,
    ContradictionListView,
)
from claims.api.views.reference import (
    EntityDetailView,
    EntityListView,
    EntityTimelineView,
    PartyRecordView,
    PredicateDetailView,
    PredicateListView,
)
from claims.api.views.status import ChangeFeedView, StatusLookupView
from claims.api.views.verdict import VerdictDetailView, VerdictListView, VerdictPublishView

__all__ = [
    "ClaimBulkView",
    "ChangeFeedView",
    "ClaimDetailView",
    "ClaimListView",
    "ClaimRetractView",
    "ClaimReviewView",
    "ClaimStatusView",
    "ContradictionConfirmView",
    "ContradictionDetailView",
    "ContradictionDismissView",
    "ContradictionListView",
    "EntityDetailView",
    "EntityListView",
    "EntityTimelineView",
    "PartyRecordView",
    "PredicateDetailView",
    "PredicateListView",
    "StatusLookupView",
    "VerdictDetailView",
    "VerdictListView",
    "VerdictPublishView",
]
