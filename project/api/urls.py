"""/api/v1/: every API app's routes, under one namespace (``api``)."""

from __future__ import annotations

from django.urls import include, path

from project.api import keys

app_name = "api"

urlpatterns = [
    path("", include("claims.api.urls")),
    path("", include("sources.api.urls")),
    path("keys/", keys.KeyListView.as_view(), name="key-list"),
    path("keys/<str:prefix>/", keys.KeyDetailView.as_view(), name="key-detail"),
]
