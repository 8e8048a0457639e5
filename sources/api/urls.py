"""Routes of the sources API (mounted under /api/v1/, namespace ``api``)."""

from __future__ import annotations

from django.urls import path

from sources.api import views

urlpatterns = [
    path("parties/", views.PartyListView.as_view(), name="party-list"),
    path("parties/<int:pk>/", views.PartyDetailView.as_view(), name="party-detail"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source-detail"),
]
