"""Routes of the claims API (mounted under /api/v1/, namespace ``api``)."""

from __future__ import annotations

from django.urls import path

from claims.api import views

urlpatterns = [
    # The hot paths first: URL resolution tries patterns in order.
    path("status/", views.StatusLookupView.as_view(), name="status-lookup"),
    path("contradictions/", views.ContradictionListView.as_view(), name="contradiction-list"),
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/bulk/", views.ClaimBulkView.as_view(), name="claim-bulk"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<int:pk>/retract/", views.ClaimRetractView.as_view(), name="claim-retract"),
    path("claims/<int:pk>/status/", views.ClaimStatusView.as_view(), name="claim-status"),
    path("claims/<int:pk>/claim-review/", views.ClaimReviewView.as_view(), name="claim-review"),
    path("changes/", views.ChangeFeedView.as_view(), name="change-feed"),
    path("verdicts/", views.VerdictListView.as_view(), name="verdict-list"),
    path("verdicts/<int:pk>/", views.VerdictDetailView.as_view(), name="verdict-detail"),
    path("verdicts/<int:pk>/publish/", views.VerdictPublishView.as_view(), name="verdict-publish"),
    path("contradictions/<int:pk>/", views.ContradictionDetailView.as_view(), name="contradiction-detail"),
    path("contradictions/<int:pk>/confirm/", views.ContradictionConfirmView.as_view(), name="contradiction-confirm"),
    path("contradictions/<int:pk>/dismiss/", views.ContradictionDismissView.as_view(), name="contradiction-dismiss"),
    path("entities/", views.EntityListView.as_view(), name="entity-list"),
    path("entities/<int:pk>/", views.EntityDetailView.as_view(), name="entity-detail"),
    path("entities/<int:pk>/timeline/", views.EntityTimelineView.as_view(), name="entity-timeline"),
    path("predicates/", views.PredicateListView.as_view(), name="predicate-list"),
    path("predicates/<slug:slug>/", views.PredicateDetailView.as_view(), name="predicate-detail"),
    path("parties/<int:pk>/record/", views.PartyRecordView.as_view(), name="party-record"),
]
